/* Black-box HTTP test support: a libcurl + cJSON client, and a real platform-api started
 * on a freshly created and migrated database of the scratch cluster.
 *
 * Usage (a check test; needs TEST_PG_HOST/PORT, TEST_API_EXE, TEST_SOURCE_ROOT):
 *   struct tapi api;
 *   tapi_start(&api, NULL);                  // or a NULL-terminated "K=V" env list
 *   cJSON *resp = NULL;
 *   int st = thttp_json(&api, "POST", "/auth/anonymous-based/login", NULL,
 *                       "{\"token\":\"...\"}", &resp);
 *   ck_assert_int_eq(st, 200);
 *   const char *hdrs[] = { "Authorization: Bearer ...", NULL };
 *   st = thttp_json(&api, "GET", "/auth/me", hdrs, NULL, &resp);   // frees old *resp
 *   long n = tsupport_db_scalar(api.db, "SELECT count(*) FROM \"sessionStore\"");
 *   cJSON_Delete(resp);
 *   tapi_stop(&api);                         // SIGTERM, wait, drop the database
 * Requests get "x-lpc-tenant-origin: scaffold.acc.lightbase.nl" unless the headers
 * already name x-lpc-tenant-origin, Origin or Host-only ("X-No-Tenant: 1" drops it). */
#ifndef THTTP_H
#define THTTP_H

#include <stdbool.h>
#include <sys/types.h>
#include <cjson/cJSON.h>
#include <libpq-fe.h>

struct thttp_response {
	long status;
	char *body;    /* NUL terminated (may be empty) */
	char *headers; /* raw response header block */
	cJSON *json;   /* parsed body, or NULL */
};

/* Generic request to url. headers: NULL-terminated "Name: value" list (may be NULL);
 * body may be NULL. Returns the status (0 when the connection failed). */
long thttp_request(const char *method, const char *url, const char *const *headers,
                   const char *body, size_t body_len, struct thttp_response *out);
void thttp_response_free(struct thttp_response *r);
/* Value of a response header (case-insensitive) into buf; false when absent. */
bool thttp_header(const struct thttp_response *r, const char *name, char *buf, size_t len);

struct tapi {
	char *dbname;
	PGconn *db; /* connection to the test database, for assertions and fixtures */
	pid_t pid;
	int port;
	char base[64];      /* http://127.0.0.1:<port> */
	char log_path[256]; /* daemon stdout/stderr */
	char dir[128];      /* temp dir (removed by tapi_stop) */
};

/* Create and migrate a database, start platform-api on a free port with the test
 * tenants file (tests/api/tenants.json), NODE_ENV=development,
 * LPC_BACKEND_ENVIRONMENT=acceptance, 2 workers, plus env (NULL-terminated "K=V",
 * may be NULL; applied last). Waits until /_health answers; aborts on failure. */
void tapi_start(struct tapi *api, const char *const *env);
/* SIGTERM, wait (returns the exit status as tsupport_wait), then drop the database.
 * Returns the daemon's exit code (or 128+signal). */
int tapi_stop(struct tapi *api);
/* Send SIGTERM only (tapi_stop still needed to reap and clean up). */
void tapi_signal_term(struct tapi *api);
/* Request to the daemon: path relative to base; *json replaced by the parsed body
 * (freed first if non-NULL). Returns the status. */
int thttp_json(const struct tapi *api, const char *method, const char *path,
               const char *const *headers, const char *body, cJSON **json);
/* Same with the full response (headers, raw body). */
int thttp_full(const struct tapi *api, const char *method, const char *path,
               const char *const *headers, const char *body, struct thttp_response *out);
/* Log helpers: the daemon's log so far (caller frees), and whether it has a line
 * containing needle. */
char *tapi_log(const struct tapi *api);
bool tapi_log_contains(const struct tapi *api, const char *needle);

/* Fixtures: create a user with an anonymous login in every tenant and log in; the
 * returned tokens are written to access/refresh (512 bytes each). */
void tapi_login_anonymous(const struct tapi *api, char *access, char *refresh);
/* A user id from its access token (via /auth/me), into out (37 bytes). */
void tapi_user_id(const struct tapi *api, const char *access, char *out);
/* "Authorization: Bearer <token>" into buf (600 bytes), for header lists. */
const char *tapi_bearer(char *buf, const char *token);
/* A raw TCP connection to the daemon (10 s receive time-out), and a write of all of s on
 * it (both fail the test on error): for what curl will not send. */
int tapi_raw_connect(const struct tapi *api);
void tapi_raw_send(int fd, const char *s);

/* main() of a check suite of black-box tests (include <check.h> first): without a
 * cluster it prints a TAP skip and exits 0. */
#define TAPI_MAIN(suite_fn)                                                                        \
	int main(void)                                                                             \
	{                                                                                          \
		SRunner *sr;                                                                       \
		int failed;                                                                        \
                                                                                                   \
		if (getenv("TEST_PG_HOST") == NULL || getenv("TEST_PG_PORT") == NULL) {            \
			printf("1..0 # SKIP TEST_PG_HOST/TEST_PG_PORT not set\n");                 \
			return 0;                                                                  \
		}                                                                                  \
		sr = srunner_create(suite_fn());                                                   \
		srunner_run_all(sr, CK_ENV);                                                       \
		failed = srunner_ntests_failed(sr);                                                \
		srunner_free(sr);                                                                  \
		return failed == 0 ? 0 : 1;                                                        \
	}

#endif
