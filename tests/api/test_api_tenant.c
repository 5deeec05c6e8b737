/* Black-box: multitenancy. Start-up sync rows, tenant resolution by x-lpc-tenant-origin,
 * Host and Origin, the two tenant errors, production resolution, and the feature-flag
 * read path with per-tenant overrides. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thttp.h"
#include "tsupport.h"

static struct tapi api;

static void
setup_acc(void)
{
	const char *env[] = { "PLATFORM_API_FEATURE_FLAG_CACHE_MS=0", NULL };

	tapi_start(&api, env);
}

static void
setup_shared(void)
{
	char path[512];
	const char *env[] = { path, NULL };

	snprintf(path, sizeof(path), "PLATFORM_API_TENANTS_FILE=%s/tests/api/tenants-shared.json",
	         getenv("TEST_SOURCE_ROOT"));
	tapi_start(&api, env);
}

static void
setup_prod(void)
{
	const char *env[] = { "NODE_ENV=production", "LPC_BACKEND_ENVIRONMENT=production", NULL };

	tapi_start(&api, env);
}

static void
teardown(void)
{
	ck_assert_int_eq(tapi_stop(&api), 0);
}

static const char *
jstr(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* GET /multitenant/current with headers; returns the tenant name or the error key. */
static char *
current(const char *const *headers, int *status)
{
	static char out[128];
	cJSON *j = NULL;

	*status = thttp_json(&api, "GET", "/multitenant/current", headers, NULL, &j);
	if (*status == 200)
		snprintf(out, sizeof(out), "%s", jstr(cJSON_GetObjectItem(j, "tenant"), "name"));
	else
		snprintf(out, sizeof(out), "%s", j != NULL ? jstr(j, "key") : "?");
	cJSON_Delete(j);
	return out;
}

START_TEST(startup_sync_rows)
{
	ck_assert_int_eq(tsupport_db_scalar(api.db, "SELECT count(*) FROM tenant"), 2);
	ck_assert_int_eq(tsupport_db_scalar(api.db, "SELECT count(*) FROM permission"), 6);
	ck_assert_int_eq(tsupport_db_scalar(api.db, "SELECT count(*) FROM role WHERE identifier = "
	                                            "'admin' AND tenant IS NOT NULL"),
	                 2);
	ck_assert_int_eq(tsupport_db_scalar(api.db, "SELECT count(*) FROM role WHERE identifier = "
	                                            "'_lightbase' AND tenant IS NULL"),
	                 1);
	ck_assert_int_eq(tsupport_db_scalar(api.db, "SELECT count(*) FROM \"rolePermission\""), 11);
	ck_assert_int_eq(tsupport_db_scalar(api.db, "SELECT count(*) FROM \"featureFlag\" WHERE "
	                                            "name = '__FEATURE_LPC_EXAMPLE_FLAG'"),
	                 1);
}
END_TEST

START_TEST(resolve_by_tenant_origin_and_host)
{
	const char *second[] = { "x-lpc-tenant-origin: second.acc.lightbase.nl", NULL };
	const char *by_host[] = { "X-No-Tenant: 1", "Host: api.second.acc.lightbase.nl", NULL };
	const char *unknown[] = { "x-lpc-tenant-origin: unknown.example.com", NULL };
	const char *no_host[] = { "X-No-Tenant: 1", "Host:", NULL };
	const char *disabled[] = { "x-lpc-tenant-origin: disabled.lightbase.nl", NULL };
	cJSON *j = NULL;
	int st;

	ck_assert_str_eq(current(NULL, &st), "scaffold");
	ck_assert_int_eq(st, 200);
	ck_assert_str_eq(current(second, &st), "second");
	ck_assert_str_eq(current(by_host, &st), "second");
	ck_assert_str_eq(current(unknown, &st), "multitenant.require.invalidTenant");
	ck_assert_int_eq(st, 400);
	ck_assert_str_eq(current(disabled, &st), "multitenant.require.invalidTenant");
	ck_assert_str_eq(current(no_host, &st), "multitenant.require.missingHostHeader");
	ck_assert_int_eq(st, 400);
	/* the response shape */
	ck_assert_int_eq(thttp_json(&api, "GET", "/multitenant/current", second, NULL, &j), 200);
	ck_assert_str_eq(
	    jstr(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "tenant"), "data"), "color"), "blue");
	ck_assert_int_eq((int)strlen(jstr(cJSON_GetObjectItem(j, "tenant"), "id")), 36);
	cJSON_Delete(j);
}
END_TEST

START_TEST(feature_flags_per_tenant)
{
	const char *second[] = { "x-lpc-tenant-origin: second.acc.lightbase.nl", NULL };
	cJSON *j = NULL;

	ck_assert_int_eq(thttp_json(&api, "GET", "/feature-flag/current", NULL, NULL, &j), 200);
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "__FEATURE_LPC_EXAMPLE_FLAG")));
	ck_assert_int_eq(cJSON_GetArraySize(j), 1);
	tsupport_db_scalar(api.db, "UPDATE \"featureFlag\" SET \"tenantValues\" = "
	                           "'{\"second\": true}' RETURNING 1");
	ck_assert_int_eq(thttp_json(&api, "GET", "/feature-flag/current", second, NULL, &j), 200);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "__FEATURE_LPC_EXAMPLE_FLAG")));
	ck_assert_int_eq(thttp_json(&api, "GET", "/feature-flag/current", NULL, NULL, &j), 200);
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "__FEATURE_LPC_EXAMPLE_FLAG")));
	tsupport_db_scalar(api.db, "UPDATE \"featureFlag\" SET \"globalValue\" = true, "
	                           "\"tenantValues\" = '{\"second\": false}' RETURNING 1");
	ck_assert_int_eq(thttp_json(&api, "GET", "/feature-flag/current", NULL, NULL, &j), 200);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "__FEATURE_LPC_EXAMPLE_FLAG")));
	ck_assert_int_eq(thttp_json(&api, "GET", "/feature-flag/current", second, NULL, &j), 200);
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "__FEATURE_LPC_EXAMPLE_FLAG")));
	/* tenant required */
	const char *unknown[] = { "x-lpc-tenant-origin: nope.example", NULL };
	ck_assert_int_eq(thttp_json(&api, "GET", "/feature-flag/current", unknown, NULL, &j), 400);
	ck_assert_str_eq(jstr(j, "key"), "multitenant.require.invalidTenant");
	cJSON_Delete(j);
}
END_TEST

START_TEST(resolve_by_origin_with_shared_api_urls)
{
	const char *second[] = { "Origin: https://second.acc.lightbase.nl", NULL };
	const char *first[] = { "Origin: https://scaffold.acc.lightbase.nl", NULL };
	const char *none[] = { "X-No-Tenant: 1", "Host: api.acc.lightbase.nl", NULL };
	int st;

	ck_assert_str_eq(current(second, &st), "second");
	ck_assert_str_eq(current(first, &st), "scaffold");
	/* shared api urls: Host alone is not enough */
	ck_assert_str_eq(current(none, &st), "multitenant.require.invalidTenant");
}
END_TEST

START_TEST(production_resolution)
{
	const char *by_host[] = { "X-No-Tenant: 1", "Host: api.scaffold.lightbase.nl", NULL };
	const char *header_only[] = { "x-lpc-tenant-origin: scaffold.lightbase.nl", NULL };
	cJSON *j = NULL;
	int st;

	ck_assert_str_eq(current(by_host, &st), "scaffold");
	/* production with unique api urls ignores x-lpc-tenant-origin */
	ck_assert_str_eq(current(header_only, &st), "multitenant.require.invalidTenant");
	/* development-only routes do not exist; error bodies carry no message */
	ck_assert_int_eq(thttp_json(&api, "POST", "/scaffold/create-user", by_host, NULL, &j), 404);
	ck_assert_str_eq(jstr(j, "key"), "error.server.notFound");
	ck_assert_ptr_null(cJSON_GetObjectItem(j, "message"));
	ck_assert_ptr_null(cJSON_GetObjectItem(j, "stack"));
	cJSON_Delete(j);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("api-tenant");
	TCase *acc = tcase_create("acceptance");
	TCase *shared = tcase_create("shared-api-urls");
	TCase *prod = tcase_create("production");

	tcase_add_unchecked_fixture(acc, setup_acc, teardown);
	tcase_set_timeout(acc, 120);
	tcase_add_test(acc, startup_sync_rows);
	tcase_add_test(acc, resolve_by_tenant_origin_and_host);
	tcase_add_test(acc, feature_flags_per_tenant);
	suite_add_tcase(s, acc);
	tcase_add_unchecked_fixture(shared, setup_shared, teardown);
	tcase_set_timeout(shared, 120);
	tcase_add_test(shared, resolve_by_origin_with_shared_api_urls);
	suite_add_tcase(s, shared);
	tcase_add_unchecked_fixture(prod, setup_prod, teardown);
	tcase_set_timeout(prod, 120);
	tcase_add_test(prod, production_resolution);
	suite_add_tcase(s, prod);
	return s;
}

TAPI_MAIN(suite)
