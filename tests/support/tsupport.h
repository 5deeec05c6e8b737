/* Test support: a fresh database per test on the scratch cluster that scripts/test.sh
 * starts (TEST_PG_HOST/TEST_PG_PORT), running the real executables, and small helpers.
 * Integration tests call tsupport_require_pg() first: without a cluster it prints a TAP
 * "1..0 # SKIP" plan and exits 0, which meson (protocol 'tap') reports as skipped. */
#ifndef TSUPPORT_H
#define TSUPPORT_H

#include <stdbool.h>
#include <sys/types.h>
#include <libpq-fe.h>

#define TSUPPORT_SKIP 77

void tsupport_require_pg(void);
/* Create an empty database named <prefix>_<random hex>; returns its name (static storage
 * is not used: caller frees). */
char *tsupport_db_create(const char *prefix);
void tsupport_db_drop(const char *name);
/* Connect to a database of the scratch cluster (aborts the test on failure). */
PGconn *tsupport_db_connect(const char *name);
/* Run one statement and return the first column of the first row as a long (or -1). */
long tsupport_db_scalar(PGconn *conn, const char *sql);

/* Set the environment a daemon needs to reach database name: POSTGRES_HOST/PORT/USER/
 * DATABASE, APP_KEYS, NODE_ENV=development, sslmode disable. */
void tsupport_env_for_db(const char *name);

/* Spawn argv with the current environment; stdout/stderr go to log_path (appended) or
 * are inherited when NULL. Returns the pid. */
pid_t tsupport_spawn(char *const argv[], const char *log_path);
/* Wait up to timeout_ms for pid; returns the wait status, or -1 on time-out. */
int tsupport_wait(pid_t pid, int timeout_ms);
/* Spawn and wait; returns the exit code (or 128+signal, or -1 on time-out). */
int tsupport_run(char *const argv[], const char *log_path, int timeout_ms);
/* Path of a built executable, from the environment variable name (set by meson). */
const char *tsupport_exe(const char *env_name);
/* Read a whole file (caller frees), or NULL. */
char *tsupport_read_file(const char *path);
/* A free TCP port on 127.0.0.1. */
int tsupport_free_port(void);
/* Wait until 127.0.0.1:port accepts connections; false on time-out. */
bool tsupport_wait_port(int port, int timeout_ms);
void tsupport_sleep_ms(int ms);

#endif
