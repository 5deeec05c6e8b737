/* Black-box tests of the user administration routes (seed-api §6.3, §7.6, DECISIONS
 * §13.13/§13.23): list filters and ordering, single user, rename, soft delete (which
 * revokes sessions and enqueues auth.user.softDeleted) and reactivation. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impersonate.h"
#include "session.h"
#include "tadmin.h"
#include "tsupport.h"

static struct tapi api;
static char admin_token[512], admin_id[37];
static cJSON *resp;

/* Fixture users of the default tenant, created in this order (createdAt 2020-01-0N). */
enum { ALICE, BOB, TEMP, DAVE, KIM, OLGA, NUSERS };
static char ids[NUSERS][37];

static void
add_user(int i, const char *name, const char *day, const char *tenant)
{
	char *id = tadmin_value(api.db,
	                        "INSERT INTO \"user\" (name, \"lastLogin\", \"createdAt\", "
	                        "\"updatedAt\") VALUES ($1, to_timestamp(0), $2::timestamptz, "
	                        "$2::timestamptz) RETURNING id",
	                        2, name, day);

	snprintf(ids[i], 37, "%s", id);
	free(id);
	tadmin_count(api.db,
	             "INSERT INTO \"userTenant\" (\"user\", tenant) SELECT $1, id FROM tenant "
	             "WHERE name = $2",
	             2, ids[i], tenant);
}

static void
add_users(void)
{
	add_user(ALICE, "Alice Anders", "2020-01-01T00:00:00Z", TADMIN_TENANT);
	tadmin_count(api.db,
	             "INSERT INTO \"passwordLogin\" (\"user\", email, password, \"verifiedAt\", "
	             "\"createdAt\") VALUES ($1, 'alice@example.com', 'x', "
	             "'2020-01-01T10:00:00Z', '2020-01-01T09:00:00Z')",
	             1, ids[ALICE]);
	add_user(BOB, "Bob", "2020-01-02T00:00:00Z", TADMIN_TENANT);
	tadmin_count(
	    api.db,
	    "INSERT INTO \"anonymousLogin\" (\"user\", \"loginToken\", "
	    "\"isAllowedToLogin\") VALUES ($1, 'auth-anonymous-bob-token-000000000000000000', "
	    "true)",
	    1, ids[BOB]);
	add_user(TEMP, "alicia", "2020-01-03T00:00:00Z", TADMIN_TENANT);
	tadmin_count(
	    api.db,
	    "INSERT INTO \"anonymousLogin\" (\"user\", \"loginToken\", "
	    "\"isAllowedToLogin\") VALUES ($1, 'auth-anonymous-tmp-token-000000000000000000', "
	    "false)",
	    1, ids[TEMP]);
	add_user(DAVE, "Deleted Dave", "2020-01-04T00:00:00Z", TADMIN_TENANT);
	tadmin_count(api.db,
	             "INSERT INTO \"passwordLogin\" (\"user\", email, password) "
	             "VALUES ($1, 'dave@example.com', 'x')",
	             1, ids[DAVE]);
	tadmin_count(api.db,
	             "UPDATE \"user\" SET \"deletedAt\" = '2021-01-01T00:00:00Z' WHERE id = $1", 1,
	             ids[DAVE]);
	add_user(KIM, "Keycloak Kim", "2020-01-05T00:00:00Z", TADMIN_TENANT);
	tadmin_count(
	    api.db,
	    "INSERT INTO \"keycloakLogin\" (\"user\", email) VALUES ($1, 'kim@example.com')", 1,
	    ids[KIM]);
	add_user(OLGA, "Alice Other", "2020-01-06T00:00:00Z", TADMIN_OTHER);
}

static void
setup(void)
{
	tsupport_require_pg();
	tadmin_start(&api, NULL);
	tadmin_login(&api, admin_token, admin_id);
	tadmin_grant(api.db, admin_id, "admin", TADMIN_TENANT);
	add_users();
	resp = NULL;
}

static void
teardown(void)
{
	cJSON_Delete(resp);
	tadmin_stop(&api);
}

static int
as_admin(const char *method, const char *path, const char *body)
{
	return tadmin_call(&api, admin_token, method, path, body, &resp);
}

/* the call runs first, then resp is read (a macro, so resp is not read before it) */
#define assert_error(status, want, key) tadmin_assert_error((status), (want), (key), &resp)
#define assert_success(status)          tadmin_assert_success((status), &resp)

/* The list answer must be exactly these users, in this order (-1 = the admin). */
static void
assert_list(const char *body, const int *want, int n)
{
	const cJSON *users;

	ck_assert_int_eq(as_admin("POST", "/auth/list-users", body), 200);
	users = cJSON_GetObjectItemCaseSensitive(resp, "users");
	ck_assert_msg(cJSON_GetArraySize(users) == n, "%s: %d users, want %d", body,
	              cJSON_GetArraySize(users), n);
	for (int i = 0; i < n; i++) {
		const char *id = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(users, i), "id"));

		ck_assert_str_eq(id, want[i] < 0 ? admin_id : ids[want[i]]);
	}
}

START_TEST(list_default_order_and_exclusions)
{
	/* Soft-deleted (Dave), temporary anonymous (alicia) and other tenants (Olga) are
	 * left out; creation order, the admin (created now) last. */
	assert_list("{}", (const int[]){ ALICE, BOB, KIM, -1 }, 4);
	assert_list("{\"filters\":{\"includeSoftDeletedUsers\":true}}",
	            (const int[]){ ALICE, BOB, DAVE, KIM, -1 }, 5);
	assert_list("{\"filters\":{\"includeAnonymousTemporarySessions\":true}}",
	            (const int[]){ ALICE, BOB, TEMP, KIM, -1 }, 5);
}
END_TEST

START_TEST(list_login_filters)
{
	assert_list("{\"filters\":{\"passwordLoginExists\":true}}", (const int[]){ ALICE }, 1);
	assert_list("{\"filters\":{\"passwordLoginExists\":true,\"includeSoftDeletedUsers\":true}}",
	            (const int[]){ ALICE, DAVE }, 2);
	assert_list("{\"filters\":{\"passwordLoginExists\":false}}", (const int[]){ BOB, KIM, -1 },
	            3);
	assert_list("{\"filters\":{\"anonymousLoginExists\":\"true\"}}", (const int[]){ BOB, -1 },
	            2);
	assert_list("{\"filters\":{\"keycloakLoginExists\":true}}", (const int[]){ KIM }, 1);
	assert_list("{\"filters\":{\"digidLoginExists\":true}}", (const int[]){ 0 }, 0);
	assert_list("{\"filters\":{\"keycloakLoginExists\":false,\"anonymousLoginExists\":false}}",
	            (const int[]){ ALICE }, 1);
}
END_TEST

START_TEST(list_name_search)
{
	assert_list("{\"search\":{\"name\":\"ALI\"}}", (const int[]){ ALICE }, 1);
	assert_list("{\"search\":{\"name\":\"ali\"},\"filters\":{"
	            "\"includeAnonymousTemporarySessions\":true}}",
	            (const int[]){ ALICE, TEMP }, 2);
	/* LIKE wildcards are taken literally. */
	assert_list("{\"search\":{\"name\":\"%\"}}", (const int[]){ 0 }, 0);
	assert_list("{\"search\":{\"name\":\"B_b\"}}", (const int[]){ 0 }, 0);
}
END_TEST

START_TEST(list_errors)
{
	char token[512], id[37];

	assert_error(as_admin("POST", "/auth/list-users", "{\"filters\":{\"nope\":true}}"), 400,
	             "validator.error");
	assert_error(as_admin("POST", "/auth/list-users",
	                      "{\"filters\":{\"passwordLoginExists\":\"maybe\"}}"),
	             400, "validator.error");
	assert_error(as_admin("POST", "/auth/list-users", NULL), 400, "validator.error");
	tadmin_login(&api, token, id);
	assert_error(tadmin_call(&api, token, "POST", "/auth/list-users", "{}", &resp), 400,
	             "auth.requireUser.missingPermissions");
	assert_error(tadmin_call(&api, NULL, "POST", "/auth/list-users", "{}", &resp), 401,
	             "sessionStore.verifyAndDecodeJWT.missingToken");
}
END_TEST

START_TEST(get_user_summary)
{
	char path[128];
	const cJSON *user, *login;

	snprintf(path, sizeof(path), "/auth/user/%s", ids[ALICE]);
	ck_assert_int_eq(as_admin("GET", path, NULL), 200);
	user = cJSON_GetObjectItemCaseSensitive(resp, "user");
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(user, "id")),
	                 ids[ALICE]);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(user, "name")),
	                 "Alice Anders");
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(user, "lastLogin")),
	                 "1970-01-01T00:00:00.000Z");
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(user, "createdAt")),
	                 "2020-01-01T00:00:00.000Z");
	login = cJSON_GetObjectItemCaseSensitive(user, "passwordLogin");
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(login, "email")),
	                 "alice@example.com");
	ck_assert_str_eq(
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(login, "verifiedAt")),
	    "2020-01-01T10:00:00.000Z");
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(login, "otpEnabledAt"));
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(user, "anonymousLogin"));
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(user, "deletedAt"));
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(user, "roles")), 0);

	/* The admin's own summary carries its role and permissions. */
	snprintf(path, sizeof(path), "/auth/user/%s", admin_id);
	ck_assert_int_eq(as_admin("GET", path, NULL), 200);
	user = cJSON_GetObjectItemCaseSensitive(resp, "user");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(user, "permissions")),
	                 5);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(user, "anonymousLogin"), "isAllowedToLogin")));

	/* Soft-deleted users are visible to admins, with deletedAt. */
	snprintf(path, sizeof(path), "/auth/user/%s", ids[DAVE]);
	ck_assert_int_eq(as_admin("GET", path, NULL), 200);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
	                     cJSON_GetObjectItemCaseSensitive(resp, "user"), "deletedAt")),
	                 "2021-01-01T00:00:00.000Z");

	snprintf(path, sizeof(path), "/auth/user/%s", ids[OLGA]);
	assert_error(as_admin("GET", path, NULL), 400, "auth.getUser.invalidUser");
	assert_error(as_admin("GET", "/auth/user/00000000-0000-4000-8000-000000000000", NULL), 400,
	             "auth.getUser.invalidUser");
	assert_error(as_admin("GET", "/auth/user/abc", NULL), 400, "validator.error");
}
END_TEST

static char *
name_of(int i)
{
	return tadmin_value(api.db, "SELECT name FROM \"user\" WHERE id = $1", 1, ids[i]);
}

START_TEST(update_user_name)
{
	char path[128], *name;

	snprintf(path, sizeof(path), "/auth/user/%s/update", ids[BOB]);
	assert_success(as_admin("PUT", path, "{\"name\":\"Robert\"}"));
	name = name_of(BOB);
	ck_assert_str_eq(name, "Robert");
	free(name);
	assert_success(as_admin("PUT", path, "{}"));
	name = name_of(BOB);
	ck_assert_str_eq(name, "Robert");
	free(name);
	assert_success(as_admin("PUT", path, "{\"name\":null}"));
	ck_assert_ptr_null(name_of(BOB));
	assert_success(as_admin("PUT", path, "{\"name\":\"Bob\"}"));
	assert_success(as_admin("PUT", path, "{\"name\":\"\"}"));
	ck_assert_ptr_null(name_of(BOB));

	assert_error(as_admin("PUT", path, "{\"name\":5,\"x\":1}"), 400, "validator.error");
	snprintf(path, sizeof(path), "/auth/user/%s/update", ids[OLGA]);
	assert_error(as_admin("PUT", path, "{\"name\":\"x\"}"), 400,
	             "auth.updateUser.requireUser.invalidUser");
	name = name_of(OLGA);
	ck_assert_str_eq(name, "Alice Other");
	free(name);
}
END_TEST

/* DECISIONS §13.13: soft delete revokes every session and enqueues the job. */
START_TEST(soft_delete_revokes_sessions)
{
	char token[512], token2[512], id[37], path[128];
	char *tenant, *login_token, body[200];
	long jobs;

	tadmin_login(&api, token, id);
	/* A second session of the same user. */
	login_token = tadmin_value(
	    api.db, "SELECT \"loginToken\" FROM \"anonymousLogin\" WHERE \"user\" = $1", 1, id);
	snprintf(body, sizeof(body), "{\"token\":\"%s\"}", login_token);
	ck_assert_int_eq(
	    tadmin_call(&api, NULL, "POST", "/auth/anonymous-based/login", body, &resp), 200);
	snprintf(token2, sizeof(token2), "%s",
	         cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(resp, "accessToken")));
	ck_assert_int_eq(tadmin_call(&api, token, "GET", "/auth/me", NULL, &resp), 200);

	snprintf(path, sizeof(path), "/auth/user/%s/set-active", id);
	assert_success(as_admin("POST", path, "{\"active\":false}"));
	ck_assert_int_eq(
	    tadmin_count(api.db,
	                 "SELECT 1 FROM \"user\" WHERE id = $1 AND \"deletedAt\" IS NOT "
	                 "NULL",
	                 1, id),
	    1);
	ck_assert_int_eq(tadmin_count(api.db,
	                              "SELECT 1 FROM \"sessionStore\" WHERE data->>'userId' = $1 "
	                              "AND \"revokedAt\" IS NOT NULL",
	                              1, id),
	                 2);
	ck_assert_int_eq(
	    tadmin_count(api.db,
	                 "SELECT 1 FROM \"sessionStoreToken\" t JOIN \"sessionStore\" s "
	                 "ON s.id = t.session WHERE s.data->>'userId' = $1 "
	                 "AND t.\"revokedAt\" IS NULL",
	                 1, id),
	    0);
	tenant =
	    tadmin_value(api.db, "SELECT id::text FROM tenant WHERE name = $1", 1, TADMIN_TENANT);
	ck_assert_int_eq(tadmin_count(api.db,
	                              "SELECT 1 FROM job WHERE name = 'auth.user.softDeleted' "
	                              "AND priority = 4 AND data->>'userId' = $1 "
	                              "AND data->'metadata'->'tenant'->>'id' = $2",
	                              2, id, tenant),
	                 1);
	free(tenant);
	ck_assert_int_eq(tadmin_call(&api, token, "GET", "/auth/me", NULL, &resp), 401);
	ck_assert_int_eq(tadmin_call(&api, token2, "GET", "/auth/me", NULL, &resp), 401);
	/* Excluded from lookups: the anonymous token no longer logs in. */
	ck_assert_int_eq(
	    tadmin_call(&api, NULL, "POST", "/auth/anonymous-based/login", body, &resp), 400);

	/* A second deactivation is a no-op (no second job). */
	assert_success(as_admin("POST", path, "{\"active\":false}"));
	jobs = tadmin_count(api.db, "SELECT 1 FROM job WHERE name = 'auth.user.softDeleted'", 0);
	ck_assert_int_eq(jobs, 1);

	/* Reactivate: the user can log in again, the old sessions stay revoked. */
	assert_success(as_admin("POST", path, "{\"active\":true}"));
	ck_assert_int_eq(
	    tadmin_count(api.db, "SELECT 1 FROM \"user\" WHERE id = $1 AND \"deletedAt\" IS NULL",
	                 1, id),
	    1);
	ck_assert_int_eq(tadmin_call(&api, token, "GET", "/auth/me", NULL, &resp), 401);
	ck_assert_int_eq(
	    tadmin_call(&api, NULL, "POST", "/auth/anonymous-based/login", body, &resp), 200);
	free(login_token);
}
END_TEST

/* A user soft-deleted behind the api's back (sessions still live) is rejected too. */
START_TEST(soft_deleted_user_gets_401)
{
	char token[512], id[37];

	tadmin_login(&api, token, id);
	ck_assert_int_eq(tadmin_call(&api, token, "GET", "/auth/me", NULL, &resp), 200);
	tadmin_count(api.db, "UPDATE \"user\" SET \"deletedAt\" = now() WHERE id = $1", 1, id);
	assert_error(tadmin_call_until(&api, token, "GET", "/auth/me", &resp, 401), 401,
	             "auth.requireUser.invalidUser");
	assert_error(tadmin_call(&api, token, "GET", "/auth/permission/summary", NULL, &resp), 401,
	             "auth.requireUser.invalidUser");
}
END_TEST

START_TEST(set_active_errors)
{
	char path[128], token[512], id[37];

	snprintf(path, sizeof(path), "/auth/user/%s/set-active", ids[OLGA]);
	assert_error(as_admin("POST", path, "{\"active\":false}"), 400,
	             "auth.setUserActive.requireUser.invalidUser");
	ck_assert_int_eq(
	    tadmin_count(api.db, "SELECT 1 FROM \"user\" WHERE id = $1 AND \"deletedAt\" IS NULL",
	                 1, ids[OLGA]),
	    1);
	snprintf(path, sizeof(path), "/auth/user/%s/set-active", ids[BOB]);
	assert_error(as_admin("POST", path, "{}"), 400, "validator.error");
	tadmin_login(&api, token, id);
	assert_error(tadmin_call(&api, token, "POST", path, "{\"active\":false}", &resp), 400,
	             "auth.requireUser.missingPermissions");
	ck_assert_int_eq(
	    tadmin_count(api.db, "SELECT 1 FROM job WHERE name = 'auth.user.softDeleted'", 0), 0);
}
END_TEST

static const char *
me_string(const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(resp, "session"), key));
}

/* seed-api §7.5: impersonation is started by library code on a loaded session; the same
 * token then acts as the target until the stop route. */
START_TEST(impersonation_start_and_stop)
{
	struct session_settings settings = { .signing_key = getenv("APP_KEYS"),
		                             .access_ttl_s = 600,
		                             .refresh_ttl_s = 3600,
		                             .grace_s = 15 };
	struct session sess = { 0 };
	char *tenant =
	    tadmin_value(api.db, "SELECT id::text FROM tenant WHERE name = $1", 1, TADMIN_TENANT);
	struct err *e;

	ck_assert_ptr_nonnull(settings.signing_key);
	ck_assert_ptr_null(session_prepare(api.db));
	e = session_load(api.db, &settings, admin_token, &sess);
	ck_assert_ptr_null(e);
	/* Soft-deleted, other-tenant and unknown targets are refused. */
	e = impersonate_start(api.db, tenant, &sess, ids[DAVE]);
	ck_assert_str_eq(e->key, "authImpersonate.startSession.invalid");
	err_free(e);
	e = impersonate_start(api.db, tenant, &sess, ids[OLGA]);
	ck_assert_str_eq(e->key, "authImpersonate.startSession.invalid");
	err_free(e);
	e = impersonate_start(api.db, tenant, &sess, admin_id);
	ck_assert_str_eq(e->key, "authImpersonate.startSession.invalid");
	err_free(e);

	ck_assert_ptr_null(impersonate_start(api.db, tenant, &sess, ids[BOB]));
	/* started straight in the database: /auth/me learns of it from the notification */
	for (int i = 0; i < 200; i++) {
		ck_assert_int_eq(tadmin_call(&api, admin_token, "GET", "/auth/me", NULL, &resp),
		                 200);
		if (strcmp(me_string("userId") ?: "", ids[BOB]) == 0)
			break;
		tsupport_sleep_ms(10);
	}
	e = impersonate_start(api.db, tenant, &sess, ids[ALICE]);
	ck_assert_str_eq(e->key, "authImpersonate.startSession.invalid");
	err_free(e);
	session_clear(&sess);

	ck_assert_int_eq(tadmin_call(&api, admin_token, "GET", "/auth/me", NULL, &resp), 200);
	ck_assert_str_eq(me_string("userId"), ids[BOB]);
	ck_assert_str_eq(me_string("impersonatorUserId"), admin_id);
	assert_success(
	    tadmin_call(&api, admin_token, "POST", "/auth/impersonate-stop-session", NULL, &resp));
	ck_assert_int_eq(tadmin_call(&api, admin_token, "GET", "/auth/me", NULL, &resp), 200);
	ck_assert_str_eq(me_string("userId"), admin_id);
	ck_assert_ptr_null(me_string("impersonatorUserId"));
	free(tenant);
}
END_TEST

static Suite *
user_admin_suite(void)
{
	Suite *s = suite_create("user_admin");
	TCase *tc = tcase_create("routes");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, list_default_order_and_exclusions);
	tcase_add_test(tc, list_login_filters);
	tcase_add_test(tc, list_name_search);
	tcase_add_test(tc, list_errors);
	tcase_add_test(tc, get_user_summary);
	tcase_add_test(tc, update_user_name);
	tcase_add_test(tc, soft_delete_revokes_sessions);
	tcase_add_test(tc, soft_deleted_user_gets_401);
	tcase_add_test(tc, set_active_errors);
	tcase_add_test(tc, impersonation_start_and_stop);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(user_admin_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
