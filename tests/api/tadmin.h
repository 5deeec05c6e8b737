/* Fixtures for the admin route tests (permissions, users, management): rows written
 * straight into the test database, anonymous logins, and authenticated requests. */
#ifndef TADMIN_H
#define TADMIN_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "thttp.h"

/* Two tenants (tests/api/tenants-admin.json): the default one and another. */
#define TADMIN_TENANT       "scaffold"
#define TADMIN_OTHER        "other"
#define TADMIN_OTHER_ORIGIN "other.acc.lightbase.nl"

/* Start the api with both tenants, plus extra "K=V" settings (NULL-terminated, may be
 * NULL; at most 8). */
void tadmin_start(struct tapi *api, const char *const *extra_env);

/* Stop the api; a non-zero exit (e.g. a sanitizer report) fails the test, after
 * printing the daemon's log to stderr. */
void tadmin_stop(struct tapi *api);

/* Run sql with n text parameters (NULL = SQL NULL); aborts the test on an error.
 * tadmin_value returns the first column of the first row (caller frees; NULL when no
 * row or SQL NULL), tadmin_count the number of rows returned or affected. */
char *tadmin_value(PGconn *db, const char *sql, int n, ...);
long tadmin_count(PGconn *db, const char *sql, int n, ...);

/* Give user the role identifier of tenant_name (NULL: the global role). */
void tadmin_grant(PGconn *db, const char *user_id, const char *identifier, const char *tenant_name);
/* Id of the role identifier in tenant_name (NULL: global), into out (37 bytes). */
void tadmin_role_id(PGconn *db, const char *identifier, const char *tenant_name, char *out);

/* A new anonymous user logged in: access token (512 bytes) and user id (37 bytes). */
void tadmin_login(const struct tapi *api, char *access, char *user_id);

/* Request with a bearer token (NULL: none) in the default tenant, or in the tenant of
 * origin (an x-lpc-tenant-origin value) with tadmin_call_in. *json as thttp_json. */
int tadmin_call(const struct tapi *api, const char *access, const char *method, const char *path,
                const char *body, cJSON **json);
int tadmin_call_in(const struct tapi *api, const char *origin, const char *access,
                   const char *method, const char *path, const char *body, cJSON **json);
/* tadmin_call repeated (10 ms apart, 2 s at most) until it answers want; returns the last
 * status. For GET /auth/me after a change made in SQL: the api's cache learns of it
 * through a PostgreSQL notification, milliseconds later (its life is 10 s). */
int tadmin_call_until(const struct tapi *api, const char *access, const char *method,
                      const char *path, cJSON **json, int want);

/* status is want and *resp the error body with key; status is 200 and *resp
 * {success: true}. resp is read only after status was computed. */
void tadmin_assert_error(int status, int want, const char *key, cJSON *const *resp);
void tadmin_assert_success(int status, cJSON *const *resp);

/* The error key of a response body, or "" when none. */
const char *tadmin_key(const cJSON *json);
/* Item i of array name in obj as a string ("" when absent). */
const char *tadmin_str_at(const cJSON *obj, const char *name, int i);

#endif
