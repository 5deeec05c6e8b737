/* libpq wrappers. Errors carry the SQLSTATE so callers can branch on it. */
#include "pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fatal.h"
#include "timeutil.h"

/* POSTGRES_HOST may be "host:port" or "h1:p1,h2:p2" (the template's form); libpq wants
 * separate comma lists. Splits into host and port buffers. */
static void
pg_split_hosts(const char *spec, const char *default_port, char *hosts, size_t hn, char *ports,
               size_t pn)
{
	char *copy = xstrdup(spec), *save = NULL, *tok;
	size_t ho = 0, po = 0;
	bool any_port = false;

	hosts[0] = ports[0] = '\0';
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strrchr(tok, ':');
		const char *port = default_port != NULL ? default_port : "";

		if (colon != NULL && strchr(tok, ']') == NULL && colon == strchr(tok, ':')) {
			*colon = '\0';
			port = colon + 1;
			any_port = true;
		}
		ho +=
		    (size_t)snprintf(hosts + ho, ho < hn ? hn - ho : 0, "%s%s", ho ? "," : "", tok);
		po += (size_t)snprintf(ports + po, po < pn ? pn - po : 0, "%s%s", po ? "," : "",
		                       port);
	}
	if (!any_port && default_port == NULL)
		ports[0] = '\0';
	free(copy);
}

static PGconn *
pg_connect_once(const struct config *cfg, const char *dbname)
{
	const char *keys[16], *vals[16];
	char hosts[1024], ports[256], timeout[16];
	int n = 0;

	/* The URI goes first and later keywords override it field by field, as the
	 * template's driver does (platform-runtime §1: replicated quirk). */
	if (cfg->db_uri != NULL) {
		keys[n] = "dbname";
		vals[n++] = cfg->db_uri;
	}
	if (cfg->db_host != NULL) {
		pg_split_hosts(cfg->db_host, cfg->db_port, hosts, sizeof(hosts), ports,
		               sizeof(ports));
		keys[n] = "host";
		vals[n++] = hosts;
		if (ports[0] != '\0') {
			keys[n] = "port";
			vals[n++] = ports;
		}
	} else if (cfg->db_port != NULL) {
		keys[n] = "port";
		vals[n++] = cfg->db_port;
	}
	if (cfg->db_user != NULL) {
		keys[n] = "user";
		vals[n++] = cfg->db_user;
	}
	if (cfg->db_password != NULL) {
		keys[n] = "password";
		vals[n++] = cfg->db_password;
	}
	/* with a URI, an explicitly configured app.name still replaces its database name
	 * (the template's quirk); the built-in default does not */
	if (dbname != NULL || cfg->db_database != NULL || cfg->db_uri == NULL ||
	    cfg->app_name_explicit) {
		keys[n] = "dbname";
		vals[n++] = dbname != NULL ? dbname : config_db_name(cfg);
	}
	snprintf(timeout, sizeof(timeout), "%lld", (long long)cfg->db_connect_timeout_s);
	keys[n] = "connect_timeout";
	vals[n++] = timeout;
	keys[n] = "sslmode";
	vals[n++] = config_db_sslmode(cfg);
	keys[n] = "application_name";
	vals[n++] = cfg->app_name;
	keys[n] = NULL;
	vals[n] = NULL;
	return PQconnectdbParams(keys, vals, 1);
}

static void
pg_sleep_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

PGconn *
pg_connect(const struct config *cfg, const struct logger *lg, const char *dbname, struct err **errp)
{
	int64_t attempts = cfg->db_connect_retries + 1;

	for (int64_t i = 0; i < attempts; i++) {
		PGconn *conn = pg_connect_once(cfg, dbname);
		char msg[512];

		if (PQstatus(conn) == CONNECTION_OK)
			return conn;
		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(conn));
		msg[strcspn(msg, "\n")] = '\0';
		PQfinish(conn);
		/* a missing database will not appear by waiting */
		if (strstr(msg, "does not exist") != NULL || i + 1 == attempts) {
			*errp = err_newf(
			    "error.server.internal", 500,
			    "cannot connect to PostgreSQL (host %s, database %s) after "
			    "%lld attempt(s): %s",
			    cfg->db_host != NULL ? cfg->db_host : "from db.uri",
			    dbname != NULL ? dbname : config_db_name(cfg), (long long)i + 1, msg);
			return NULL;
		}
		if (lg != NULL)
			log_info(lg, "db",
			         "PostgreSQL not reachable yet (attempt %lld of %lld): %s",
			         (long long)i + 1, (long long)attempts, msg);
		pg_sleep_ms(cfg->db_retry_delay_ms);
	}
	return NULL;
}

static struct err *
pg_result_error(PGconn *conn, PGresult *r, const char *what)
{
	const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(conn);
	struct err *e = err_internal("%s: %s", what, msg != NULL ? msg : "unknown error");
	size_t n = strlen(e->message);

	while (n > 0 && (e->message[n - 1] == '\n' || e->message[n - 1] == ' '))
		e->message[--n] = '\0';
	if (state != NULL)
		snprintf(e->code, sizeof(e->code), "%s", state);
	return e;
}

static PGresult *
pg_check(PGconn *conn, PGresult *r, const char *what, struct err **errp)
{
	ExecStatusType st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return r;
	*errp = pg_result_error(conn, r, what);
	PQclear(r);
	return NULL;
}

PGresult *
pg_query(PGconn *conn, const char *sql, int nparams, const char *const *params, struct err **errp)
{
	return pg_check(conn, PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0),
	                "query", errp);
}

struct err *
pg_exec(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
	struct err *e = NULL;
	PGresult *r = pg_query(conn, sql, nparams, params, &e);

	PQclear(r);
	return e;
}

struct err *
pg_prepare(PGconn *conn, const char *name, const char *sql, int nparams)
{
	struct err *e = NULL;
	PGresult *r = pg_check(conn, PQprepare(conn, name, sql, nparams, NULL), "prepare", &e);

	PQclear(r);
	return e;
}

PGresult *
pg_query_prepared(PGconn *conn, const char *name, int nparams, const char *const *params,
                  struct err **errp)
{
	return pg_check(conn, PQexecPrepared(conn, name, nparams, params, NULL, NULL, 0), name,
	                errp);
}

struct err *
pg_exec_script(PGconn *conn, const char *sql)
{
	struct err *e = NULL;
	PGresult *last = NULL, *r;

	/* PQexec returns only the last result; a failing statement stops the script */
	if (!PQsendQuery(conn, sql))
		return pg_result_error(conn, NULL, "script");
	while ((r = PQgetResult(conn)) != NULL) {
		ExecStatusType st = PQresultStatus(r);

		if (e == NULL && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
		    st != PGRES_EMPTY_QUERY)
			e = pg_result_error(conn, r, "script");
		PQclear(last);
		last = r;
	}
	PQclear(last);
	return e;
}

struct err *
pg_begin(PGconn *conn)
{
	return pg_exec(conn, "BEGIN", 0, NULL);
}

struct err *
pg_commit(PGconn *conn)
{
	return pg_exec(conn, "COMMIT", 0, NULL);
}

void
pg_rollback(PGconn *conn)
{
	PQclear(PQexec(conn, "ROLLBACK"));
}

static struct err *
pg_lock_call(PGconn *conn, const char *sql, int64_t key, bool *result)
{
	char buf[32];
	const char *params[1] = { buf };
	struct err *e = NULL;
	PGresult *r;

	snprintf(buf, sizeof(buf), "%lld", (long long)key);
	r = pg_query(conn, sql, 1, params, &e);
	if (r != NULL && result != NULL)
		*result = PQntuples(r) == 1 && pg_get_bool(r, 0, 0);
	PQclear(r);
	return e;
}

struct err *
pg_advisory_lock(PGconn *conn, int64_t key)
{
	return pg_lock_call(conn, "SELECT pg_advisory_lock($1::bigint)", key, NULL);
}

struct err *
pg_advisory_unlock(PGconn *conn, int64_t key)
{
	return pg_lock_call(conn, "SELECT pg_advisory_unlock($1::bigint)", key, NULL);
}

struct err *
pg_advisory_try_lock(PGconn *conn, int64_t key, bool *acquired)
{
	return pg_lock_call(conn, "SELECT pg_try_advisory_lock($1::bigint)", key, acquired);
}

struct err *
pg_advisory_xact_lock(PGconn *conn, int64_t key)
{
	return pg_lock_call(conn, "SELECT pg_advisory_xact_lock($1::bigint)", key, NULL);
}

const char *
pg_get(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return NULL;
	return PQgetvalue(r, row, col);
}

bool
pg_is_null(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) != 0;
}

int64_t
pg_get_int64(const PGresult *r, int row, int col)
{
	const char *v = pg_get(r, row, col);

	return v != NULL ? strtoll(v, NULL, 10) : 0;
}

bool
pg_get_bool(const PGresult *r, int row, int col)
{
	const char *v = pg_get(r, row, col);

	return v != NULL && v[0] == 't';
}

cJSON *
pg_get_json(const PGresult *r, int row, int col)
{
	const char *v = pg_get(r, row, col);

	return v != NULL ? cJSON_Parse(v) : NULL;
}

int64_t
pg_get_time_ms(const PGresult *r, int row, int col)
{
	const char *v = pg_get(r, row, col);
	int64_t ms = 0;

	if (v != NULL && !timeutil_parse_iso8601(v, &ms))
		return 0;
	return ms;
}

int
pg_col(const PGresult *r, const char *name)
{
	return PQfnumber(r, name);
}

struct err *
pg_create_database_if_missing(const struct config *cfg, const struct logger *lg)
{
	const char *name = config_db_name(cfg);
	const char *params[1] = { name };
	struct err *e = NULL;
	PGconn *conn = pg_connect(cfg, lg, "postgres", &e);
	PGresult *r;

	if (conn == NULL)
		return e;
	r = pg_query(conn, "SELECT 1 FROM pg_database WHERE datname = $1", 1, params, &e);
	if (r != NULL && PQntuples(r) == 0) {
		/* identifiers cannot be parameters: quote with libpq's own escaping */
		char *ident = PQescapeIdentifier(conn, name, strlen(name));
		char sql[1200];

		snprintf(sql, sizeof(sql), "CREATE DATABASE %s", ident);
		PQfreemem(ident);
		e = pg_exec(conn, sql, 0, NULL);
		if (e != NULL && strcmp(e->code, "42P04") == 0) { /* created concurrently */
			err_free(e);
			e = NULL;
		}
		if (e == NULL && lg != NULL)
			log_info(lg, "db", "created database %s", name);
	}
	PQclear(r);
	PQfinish(conn);
	return e;
}
