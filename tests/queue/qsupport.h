/* Queue test support: a migrated database per test, the daemon spawned with
 * PR_SET_PDEATHSIG, bounded waits on database state and log files, and cleanup at exit
 * (daemons killed, database dropped, temp dir removed) even when an assertion fails. */
#ifndef QSUPPORT_H
#define QSUPPORT_H

#include <stdbool.h>
#include <sys/types.h>
#include <check.h>
#include <libpq-fe.h>

#include "tsupport.h"

#define QS_WAIT_MS 30000      /* bound for "eventually"; never a performance assertion */
#define QS_BUCKET  "qsbucket" /* storage.bucket of the tests (storage.dir = <tmp>/files) */

struct qs {
	char *db;
	PGconn *conn;
	char tmp[256];
	pid_t pids[8];
	int npids;
};

extern struct qs qs;

/* check runs each test in a child that leaves with _exit() when an assertion fails, so
 * atexit cleanup does not run then. main() therefore opens a registry before running
 * the suite; qs_setup() records each database and temp dir in it, and
 * qs_registry_cleanup() (in main, after the run) drops and removes whatever is left.
 * Daemons die with the test child (PR_SET_PDEATHSIG). */
void qs_registry_open(void);
void qs_registry_cleanup(void);
/* A suite's main: TAP skip plan without a cluster, else run it between
 * qs_registry_open() and qs_registry_cleanup(); the exit code for meson. */
int qs_main(Suite *suite);

/* Skip without a cluster; create and migrate a database, the "queueTestRecord" table,
 * a temp dir, and the environment for the daemon (fast polling, no cron, .eml mail,
 * local storage under <tmp>/files/QS_BUCKET). */
void qs_setup(void);
/* Spawn platform-queue (extra args may be NULL) logging to <tmp>/<logname>. */
pid_t qs_start(const char *logname, const char *arg1, const char *arg2);
/* Spawn any argv, logging to <tmp>/<logname> (NULL: inherit). */
pid_t qs_spawn(char *const argv[], const char *logname);
/* SIGTERM and wait; the exit code, 128+signal, or -1 if it did not stop. */
int qs_stop(pid_t pid);
/* Wait for pid to exit by itself; same return values. */
int qs_wait_exit(pid_t pid, int timeout_ms);
void qs_forget(pid_t pid);
void qs_exec(const char *sql);
long qs_scalar(const char *sql);
/* Poll until the scalar equals (or, with at_least, reaches) expected; returns the last
 * value seen. */
long qs_wait(const char *sql, long expected, bool at_least);
/* Poll until the log contains needle; returns whether it did. */
bool qs_wait_log(const char *logname, const char *needle);
/* Occurrences of needle in the log. */
int qs_log_count(const char *logname, const char *needle);
char *qs_path(const char *name); /* <tmp>/<name>, caller frees */
/* Write text to path, then set its times age_s seconds back (0: leave them). */
void qs_write_file(const char *path, const char *text, int age_s);
bool qs_file_exists(const char *path);

#endif
