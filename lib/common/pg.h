/* PostgreSQL access: connect with retry, parameterized statements only, transactions,
 * advisory locks and typed result getters. Every statement goes out with PQexecParams
 * or PQexecPrepared; SQL text never carries values. */
#ifndef COMMON_PG_H
#define COMMON_PG_H

#include <stdbool.h>
#include <stdint.h>
#include <libpq-fe.h>
#include <cjson/cJSON.h>

#include "config.h"
#include "err.h"
#include "log.h"

/* Connect as configured (platform-runtime §1), retrying db.connect_retries times,
 * db.retry_delay_ms apart. dbname overrides the configured database (NULL: keep).
 * On failure returns NULL and an error naming host and database. */
PGconn *pg_connect(const struct config *cfg, const struct logger *lg, const char *dbname,
                   struct err **errp);
/* Create the configured database if it does not exist (via the "postgres" database). */
struct err *pg_create_database_if_missing(const struct config *cfg, const struct logger *lg);

/* Run a statement with text parameters (NULL entries are SQL NULL). Returns the result
 * (caller PQclear's it) or NULL with *errp set (SQLSTATE in err->code). */
PGresult *pg_query(PGconn *conn, const char *sql, int nparams, const char *const *params,
                   struct err **errp);
/* Same, discarding the result. */
struct err *pg_exec(PGconn *conn, const char *sql, int nparams, const char *const *params);
/* Prepared statements: prepare once per connection, then run by name. */
struct err *pg_prepare(PGconn *conn, const char *name, const char *sql, int nparams);
PGresult *pg_query_prepared(PGconn *conn, const char *name, int nparams, const char *const *params,
                            struct err **errp);
/* A script of several statements without parameters (migrations only). */
struct err *pg_exec_script(PGconn *conn, const char *sql);

struct err *pg_begin(PGconn *conn);
struct err *pg_commit(PGconn *conn);
void pg_rollback(PGconn *conn); /* best effort; logs nothing */

/* Session-level advisory lock (blocks), unlock, and try-lock. */
struct err *pg_advisory_lock(PGconn *conn, int64_t key);
struct err *pg_advisory_unlock(PGconn *conn, int64_t key);
struct err *pg_advisory_try_lock(PGconn *conn, int64_t key, bool *acquired);
/* Transaction-level advisory lock (released at commit/rollback). */
struct err *pg_advisory_xact_lock(PGconn *conn, int64_t key);

/* Result getters: NULL/0/false for SQL NULL. */
const char *pg_get(const PGresult *r, int row, int col);
bool pg_is_null(const PGresult *r, int row, int col);
int64_t pg_get_int64(const PGresult *r, int row, int col);
bool pg_get_bool(const PGresult *r, int row, int col);
/* Parse a json/jsonb column; NULL for SQL NULL. Caller owns the result. */
cJSON *pg_get_json(const PGresult *r, int row, int col);
/* timestamptz text -> ms since epoch (0 for NULL). */
int64_t pg_get_time_ms(const PGresult *r, int row, int col);
/* Column index by name, or -1. */
int pg_col(const PGresult *r, const char *name);

#endif
