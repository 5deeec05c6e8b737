/* Fixtures for the admin route tests: SQL helpers with parameters, role grants,
 * anonymous logins and bearer requests. */
#include "tadmin.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsupport.h"

void
tadmin_start(struct tapi *api, const char *const *extra_env)
{
	static char tenants[512];
	const char *env[10] = { tenants };
	int n = 1;

	snprintf(tenants, sizeof(tenants),
	         "PLATFORM_API_TENANTS_FILE=%s/tests/api/tenants-admin.json",
	         getenv("TEST_SOURCE_ROOT") != NULL ? getenv("TEST_SOURCE_ROOT") : ".");
	for (int i = 0; extra_env != NULL && extra_env[i] != NULL && n < 9; i++)
		env[n++] = extra_env[i];
	env[n] = NULL;
	tapi_start(api, env);
}

void
tadmin_stop(struct tapi *api)
{
	char *log = tapi_log(api);
	int rc = tapi_stop(api);

	if (rc != 0)
		fprintf(stderr, "platform-api exited %d; its log:\n%s\n", rc,
		        log != NULL ? log : "");
	free(log);
	ck_assert_int_eq(rc, 0);
}

static PGresult *
run(PGconn *db, const char *sql, int n, va_list ap)
{
	const char *params[16];
	PGresult *r;
	ExecStatusType st;

	ck_assert_int_le(n, 16);
	for (int i = 0; i < n; i++)
		params[i] = va_arg(ap, const char *);
	r = PQexecParams(db, sql, n, NULL, params, NULL, NULL, 0);
	st = PQresultStatus(r);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
		ck_abort_msg("sql failed: %s: %s", sql, PQerrorMessage(db));
	return r;
}

char *
tadmin_value(PGconn *db, const char *sql, int n, ...)
{
	va_list ap;
	PGresult *r;
	char *v = NULL;

	va_start(ap, n);
	r = run(db, sql, n, ap);
	va_end(ap);
	if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		v = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

long
tadmin_count(PGconn *db, const char *sql, int n, ...)
{
	va_list ap;
	PGresult *r;
	long count;

	va_start(ap, n);
	r = run(db, sql, n, ap);
	va_end(ap);
	count = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : atol(PQcmdTuples(r));
	PQclear(r);
	return count;
}

void
tadmin_role_id(PGconn *db, const char *identifier, const char *tenant_name, char *out)
{
	char *id = tadmin_value(db,
	                        "SELECT r.id FROM role r LEFT JOIN tenant t ON t.id = r.tenant "
	                        "WHERE r.identifier = $1 AND t.name IS NOT DISTINCT FROM $2",
	                        2, identifier, tenant_name);

	ck_assert_msg(id != NULL, "role %s of %s not found", identifier,
	              tenant_name != NULL ? tenant_name : "(global)");
	snprintf(out, 37, "%s", id);
	free(id);
}

void
tadmin_grant(PGconn *db, const char *user_id, const char *identifier, const char *tenant_name)
{
	char role[37];

	tadmin_role_id(db, identifier, tenant_name, role);
	ck_assert_int_eq(tadmin_count(db,
	                              "INSERT INTO \"userRole\" (\"user\", role) "
	                              "VALUES ($1, $2)",
	                              2, user_id, role),
	                 1);
}

void
tadmin_login(const struct tapi *api, char *access, char *user_id)
{
	char refresh[512];

	tapi_login_anonymous(api, access, refresh);
	tapi_user_id(api, access, user_id);
}

int
tadmin_call_in(const struct tapi *api, const char *origin, const char *access, const char *method,
               const char *path, const char *body, cJSON **json)
{
	char bearer[600], tenant[300];
	const char *headers[3] = { NULL, NULL, NULL };
	int n = 0;

	if (access != NULL)
		headers[n++] = tapi_bearer(bearer, access);
	if (origin != NULL) {
		snprintf(tenant, sizeof(tenant), "x-lpc-tenant-origin: %s", origin);
		headers[n++] = tenant;
	}
	return thttp_json(api, method, path, headers, body, json);
}

int
tadmin_call(const struct tapi *api, const char *access, const char *method, const char *path,
            const char *body, cJSON **json)
{
	return tadmin_call_in(api, NULL, access, method, path, body, json);
}

int
tadmin_call_until(const struct tapi *api, const char *access, const char *method, const char *path,
                  cJSON **json, int want)
{
	int st = 0;

	for (int i = 0; i < 200 && st != want; i++) {
		if (i > 0)
			tsupport_sleep_ms(10);
		cJSON_Delete(*json);
		*json = NULL;
		st = tadmin_call(api, access, method, path, NULL, json);
	}
	return st;
}

void
tadmin_assert_error(int status, int want, const char *key, cJSON *const *resp)
{
	ck_assert_int_eq(status, want);
	ck_assert_str_eq(tadmin_key(*resp), key);
}

void
tadmin_assert_success(int status, cJSON *const *resp)
{
	ck_assert_int_eq(status, 200);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(*resp, "success")));
}

const char *
tadmin_key(const cJSON *json)
{
	const char *key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "key"));

	return key != NULL ? key : "";
}

const char *
tadmin_str_at(const cJSON *obj, const char *name, int i)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, name);
	const char *s = cJSON_GetStringValue(cJSON_GetArrayItem(a, i));

	return s != NULL ? s : "";
}
