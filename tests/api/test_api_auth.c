/* Black-box: anonymous login, scaffold user creation, /auth/me (with and without user,
 * each 401 session key, invalidUser), /auth/logout, /auth/impersonate-stop-session. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jwt.h"
#include "thttp.h"
#include "tsupport.h"

#define TEST_KEY "test-signing-key-0123456789abcdef" /* tsupport_env_for_db's APP_KEYS */

static struct tapi api;

static void
setup(void)
{
	tapi_start(&api, NULL);
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

/* GET /auth/me with this Authorization value (NULL: none); returns the status, *j set. */
static int
me(const char *authorization, cJSON **j)
{
	char h[700];
	const char *hl[] = { h, NULL };

	snprintf(h, sizeof(h), "Authorization: %s", authorization != NULL ? authorization : "");
	return thttp_json(&api, "GET", "/auth/me", authorization != NULL ? hl : NULL, NULL, j);
}

static void
assert_me_error(const char *authorization, const char *key)
{
	cJSON *j = NULL;

	ck_assert_int_eq(me(authorization, &j), 401);
	ck_assert_str_eq(jstr(j, "key"), key);
	cJSON_Delete(j);
}

/* After a change made straight in SQL: /auth/me may answer from a worker's cache until
 * PostgreSQL's notification arrives (migration 007), which takes milliseconds; poll for
 * up to 2 s (the cache itself lives 10 s, so a lost invalidation still fails). */
static void
assert_me_error_soon(const char *authorization, const char *key)
{
	cJSON *j = NULL;
	int st = 0;

	for (int i = 0; i < 200 && st != 401; i++) {
		cJSON_Delete(j);
		j = NULL;
		if (i > 0)
			tsupport_sleep_ms(10);
		st = me(authorization, &j);
	}
	ck_assert_int_eq(st, 401);
	ck_assert_str_eq(jstr(j, "key"), key);
	cJSON_Delete(j);
}

static char *
craft(const char *claim, const char *id, double exp)
{
	static char tok[JWT_MAX_LEN + 8];
	char t[JWT_MAX_LEN];
	cJSON *p = json_object();

	cJSON_AddNumberToObject(p, "exp", exp);
	cJSON_AddStringToObject(p, claim, id);
	jwt_sign(p, TEST_KEY, t);
	cJSON_Delete(p);
	snprintf(tok, sizeof(tok), "Bearer %s", t);
	return tok;
}

static char *
bearer(const char *token)
{
	static char b[600];

	snprintf(b, sizeof(b), "Bearer %s", token);
	return b;
}

START_TEST(scaffold_and_anonymous_login)
{
	cJSON *j = NULL;
	char body[256], tok[128];

	ck_assert_int_eq(thttp_json(&api, "POST", "/scaffold/create-user", NULL, NULL, &j), 200);
	snprintf(tok, sizeof(tok), "%s", jstr(j, "loginToken"));
	ck_assert_int_eq((int)strlen(tok), 51);
	ck_assert(strncmp(tok, "auth-anonymous-", 15) == 0);
	ck_assert_int_eq(tsupport_db_scalar(api.db, "SELECT count(*) FROM job WHERE name = "
	                                            "'auth.anonymousBased.userRegistered' AND "
	                                            "priority = 4"),
	                 1);
	/* linked to every tenant */
	ck_assert_int_eq(tsupport_db_scalar(api.db, "SELECT count(*) FROM \"userTenant\""), 2);
	snprintf(body, sizeof(body),
	         "{\"token\":\"%s\",\"device\":{\"platform\":\"android\",\"name\":\"Pixel\"}}",
	         tok);
	ck_assert_int_eq(thttp_json(&api, "POST", "/auth/anonymous-based/login", NULL, body, &j),
	                 200);
	ck_assert_ptr_nonnull(jstr(j, "accessToken"));
	ck_assert_ptr_nonnull(jstr(j, "refreshToken"));
	ck_assert_int_eq(tsupport_db_scalar(api.db, "SELECT count(*) FROM device WHERE platform = "
	                                            "'android' AND name = 'Pixel'"),
	                 1);
	ck_assert_int_eq(tsupport_db_scalar(api.db, "SELECT count(*) FROM \"user\" WHERE "
	                                            "\"lastLogin\" > now() - interval '1 minute'"),
	                 1);
	/* the same token logs in again */
	ck_assert_int_eq(thttp_json(&api, "POST", "/auth/anonymous-based/login", NULL, body, &j),
	                 200);
	/* unknown token */
	ck_assert_int_eq(thttp_json(&api, "POST", "/auth/anonymous-based/login", NULL,
	                            "{\"token\":\"auth-anonymous-00000000-0000-4000-8000-"
	                            "000000000000\"}",
	                            &j),
	                 400);
	ck_assert_str_eq(jstr(j, "key"), "authAnonymousBased.login.unknownToken");
	/* not allowed */
	tsupport_db_scalar(api.db, "UPDATE \"anonymousLogin\" SET \"isAllowedToLogin\" = false "
	                           "RETURNING 1");
	ck_assert_int_eq(thttp_json(&api, "POST", "/auth/anonymous-based/login", NULL, body, &j),
	                 400);
	ck_assert_str_eq(jstr(j, "key"), "authAnonymousBased.login.tokenIsNotAllowedToLogin");
	cJSON_Delete(j);
}
END_TEST

START_TEST(auth_me_shape)
{
	char access[512], refresh[512];
	cJSON *j = NULL, *user, *session;

	tapi_login_anonymous(&api, access, refresh);
	ck_assert_int_eq(me(bearer(access), &j), 200);
	session = cJSON_GetObjectItem(j, "session");
	user = cJSON_GetObjectItem(j, "user");
	ck_assert_str_eq(jstr(session, "type"), "user");
	ck_assert_str_eq(jstr(session, "loginType"), "anonymousBased");
	ck_assert_str_eq(jstr(session, "userId"), jstr(user, "id"));
	ck_assert(cJSON_IsArray(cJSON_GetObjectItem(user, "roles")));
	ck_assert(cJSON_IsArray(cJSON_GetObjectItem(user, "permissions")));
	ck_assert(cJSON_IsTrue(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(user, "anonymousLogin"), "isAllowedToLogin")));
	ck_assert_int_eq((int)strlen(jstr(user, "createdAt")), 24);
	ck_assert(jstr(user, "createdAt")[23] == 'Z');
	ck_assert_ptr_null(cJSON_GetObjectItem(user, "name"));
	ck_assert_ptr_null(cJSON_GetObjectItem(user, "passwordLogin"));
	/* roles and permissions show up */
	tsupport_db_scalar(api.db, "INSERT INTO \"userRole\" (\"user\", role) SELECT u.id, r.id "
	                           "FROM \"user\" u, role r WHERE r.identifier = '_lightbase' "
	                           "RETURNING 1");
	ck_assert_int_eq(me(bearer(access), &j), 200);
	user = cJSON_GetObjectItem(j, "user");
	ck_assert_str_eq(
	    jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(user, "roles"), 0), "identifier"),
	    "_lightbase");
	ck_assert_str_eq(
	    cJSON_GetArrayItem(cJSON_GetObjectItem(user, "permissions"), 0)->valuestring,
	    "lightbase:internal");
	cJSON_Delete(j);
}
END_TEST

START_TEST(auth_me_session_errors)
{
	char access[512], refresh[512], sql[256], uid[40];
	cJSON *j = NULL;

	tapi_login_anonymous(&api, access, refresh);
	assert_me_error(NULL, "sessionStore.verifyAndDecodeJWT.missingToken");
	assert_me_error("Basic abc", "sessionStore.verifyAndDecodeJWT.missingToken");
	assert_me_error("Bearer abc.def", "sessionStore.verifyAndDecodeJWT.missingToken");
	access[strlen(access) - 3] = access[strlen(access) - 3] == 'x' ? 'y' : 'x';
	assert_me_error(bearer(access), "sessionStore.verifyAndDecodeJWT.invalidToken");
	assert_me_error(
	    craft("compasSessionAccessToken", "00000000-0000-4000-8000-000000000000", 1000),
	    "sessionStore.verifyAndDecodeJWT.expiredToken");
	assert_me_error(bearer(refresh), "sessionStore.get.invalidAccessToken");
	assert_me_error(
	    craft("compasSessionAccessToken", "00000000-0000-4000-8000-000000000000", 4000000000.0),
	    "sessionStore.get.invalidSession");
	/* a refresh row id used as an access token id is not an access token row */
	tapi_login_anonymous(&api, access, refresh);
	tapi_user_id(&api, access, uid);
	/* revoked session */
	tsupport_db_scalar(api.db, "UPDATE \"sessionStore\" SET \"revokedAt\" = now() RETURNING 1");
	assert_me_error_soon(bearer(access), "sessionStore.get.revokedToken");
	/* soft-deleted user: invalidUser */
	tapi_login_anonymous(&api, access, refresh);
	tapi_user_id(&api, access, uid);
	snprintf(sql, sizeof(sql),
	         "UPDATE \"user\" SET \"deletedAt\" = now() WHERE id = '%s' RETURNING 1", uid);
	tsupport_db_scalar(api.db, sql);
	assert_me_error_soon(bearer(access), "auth.requireUser.invalidUser");
	/* statuses are 401 and the body is the template's */
	ck_assert_int_eq(me(NULL, &j), 401);
	ck_assert_str_eq(jstr(j, "type"), "api_error");
	cJSON_Delete(j);
}
END_TEST

START_TEST(auth_me_two_step_omits_user)
{
	char access[512], refresh[512], hb[600];
	cJSON *j = NULL;

	/* a user with verified TOTP gets a checkTwoStep session */
	tsupport_db_scalar(api.db,
	                   "INSERT INTO \"totpSettings\" (\"user\", secret, \"verifiedAt\") "
	                   "SELECT id, 'X', now() FROM \"user\" RETURNING 1");
	ck_assert_int_eq(thttp_json(&api, "POST", "/scaffold/create-user", NULL, NULL, &j), 200);
	tsupport_db_scalar(api.db,
	                   "INSERT INTO \"totpSettings\" (\"user\", secret, \"verifiedAt\") "
	                   "SELECT id, 'X', now() FROM \"user\" u WHERE NOT EXISTS (SELECT "
	                   "1 FROM \"totpSettings\" t WHERE t.\"user\" = u.id) RETURNING 1");
	{
		char body[128];

		snprintf(body, sizeof(body), "{\"token\":\"%s\"}", jstr(j, "loginToken"));
		ck_assert_int_eq(
		    thttp_json(&api, "POST", "/auth/anonymous-based/login", NULL, body, &j), 200);
		snprintf(access, sizeof(access), "%s", jstr(j, "accessToken"));
		snprintf(refresh, sizeof(refresh), "%s", jstr(j, "refreshToken"));
	}
	ck_assert_int_eq(me(bearer(access), &j), 200);
	ck_assert_str_eq(jstr(cJSON_GetObjectItem(j, "session"), "type"), "checkTwoStep");
	ck_assert_str_eq(jstr(cJSON_GetObjectItem(j, "session"), "twoStepType"), "totpProvider");
	ck_assert_ptr_null(cJSON_GetObjectItem(j, "user"));
	/* routes that need a full session refuse it */
	{
		const char *h[] = { tapi_bearer(hb, access), NULL };

		ck_assert_int_eq(thttp_json(&api, "GET", "/session/list", h, NULL, &j), 400);
		ck_assert_str_eq(jstr(j, "key"), "auth.requireUser.incorrectSessionType");
		ck_assert_str_eq(jstr(cJSON_GetObjectItem(j, "info"), "expectedType"), "user");
	}
	cJSON_Delete(j);
}
END_TEST

START_TEST(logout_idempotent)
{
	char access[512], refresh[512], hb[600] = "";
	const char *h[] = { hb, NULL };
	cJSON *j = NULL;
	long before;

	tapi_login_anonymous(&api, access, refresh);
	tapi_bearer(hb, access);
	before = tsupport_db_scalar(api.db, "SELECT count(*) FROM \"sessionStore\"");
	ck_assert_int_eq(thttp_json(&api, "POST", "/auth/logout", h, NULL, &j), 200);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "success")));
	ck_assert_int_eq(tsupport_db_scalar(api.db, "SELECT count(*) FROM \"sessionStore\""),
	                 before - 1);
	/* again, and without any token: still success */
	ck_assert_int_eq(thttp_json(&api, "POST", "/auth/logout", h, NULL, &j), 200);
	ck_assert_int_eq(thttp_json(&api, "POST", "/auth/logout", NULL, NULL, &j), 200);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "success")));
	assert_me_error(bearer(access), "sessionStore.get.invalidSession");
	cJSON_Delete(j);
}
END_TEST

START_TEST(impersonate_stop)
{
	char access[512], refresh[512], hb[600] = "", uid[40], sql[512];
	const char *h[] = { hb, "X-No-Tenant: 1", NULL };
	cJSON *j = NULL;

	tapi_login_anonymous(&api, access, refresh);
	tapi_bearer(hb, access);
	tapi_user_id(&api, access, uid);
	ck_assert_int_eq(thttp_json(&api, "POST", "/auth/impersonate-stop-session", h, NULL, &j),
	                 400);
	ck_assert_str_eq(jstr(j, "key"), "authImpersonate.stopSession.invalid");
	/* impersonating: the session's user is someone else, the impersonator is uid */
	snprintf(sql, sizeof(sql),
	         "UPDATE \"sessionStore\" SET data = data || jsonb_build_object('userId', "
	         "'00000000-0000-4000-8000-000000000001', 'impersonatorUserId', '%s') WHERE "
	         "data->>'userId' = '%s' RETURNING 1",
	         uid, uid);
	tsupport_db_scalar(api.db, sql);
	ck_assert_int_eq(thttp_json(&api, "POST", "/auth/impersonate-stop-session", h, NULL, &j),
	                 200);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "success")));
	/* same token, back to the impersonator */
	ck_assert_int_eq(me(bearer(access), &j), 200);
	ck_assert_str_eq(jstr(cJSON_GetObjectItem(j, "session"), "userId"), uid);
	ck_assert_ptr_null(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(j, "session"), "impersonatorUserId"));
	/* no token: 401 */
	{
		const char *none[] = { "X-No-Tenant: 1", NULL };

		ck_assert_int_eq(
		    thttp_json(&api, "POST", "/auth/impersonate-stop-session", none, NULL, &j),
		    401);
		ck_assert_str_eq(jstr(j, "key"), "sessionStore.verifyAndDecodeJWT.missingToken");
	}
	cJSON_Delete(j);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("api-auth");
	TCase *tc = tcase_create("api-auth");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, scaffold_and_anonymous_login);
	tcase_add_test(tc, auth_me_shape);
	tcase_add_test(tc, auth_me_session_errors);
	tcase_add_test(tc, auth_me_two_step_omits_user);
	tcase_add_test(tc, logout_idempotent);
	tcase_add_test(tc, impersonate_stop);
	suite_add_tcase(s, tc);
	return s;
}

TAPI_MAIN(suite)
