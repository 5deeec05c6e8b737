/* Black-box: refresh-token rotation with a 3 s grace window fixed from the first
 * revocation, replay inside the grace, reuse after it (session revoked, leak job), and
 * the refresh error keys. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jwt.h"
#include "thttp.h"
#include "tsupport.h"

#define TEST_KEY "test-signing-key-0123456789abcdef"

static struct tapi api;

static void
setup(void)
{
	const char *env[] = { "PLATFORM_API_REFRESH_GRACE_S=3", NULL };

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

/* POST /auth/refresh-tokens; on 200 copies the new pair out. */
static int
refresh_with(const char *refresh, char *new_access, char *new_refresh, char *key)
{
	char body[700];
	cJSON *j = NULL;
	int st;

	snprintf(body, sizeof(body), "{\"refreshToken\":\"%s\"}", refresh);
	st = thttp_json(&api, "POST", "/auth/refresh-tokens", NULL, body, &j);
	if (st == 200) {
		snprintf(new_access, 512, "%s", jstr(j, "accessToken"));
		snprintf(new_refresh, 512, "%s", jstr(j, "refreshToken"));
	} else if (key != NULL) {
		snprintf(key, 128, "%s", j != NULL ? jstr(j, "key") : "");
	}
	cJSON_Delete(j);
	return st;
}

static int
me_status(const char *access)
{
	char hb[600];
	const char *h[] = { tapi_bearer(hb, access), NULL };
	cJSON *j = NULL;
	int st = thttp_json(&api, "GET", "/auth/me", h, NULL, &j);

	cJSON_Delete(j);
	return st;
}

START_TEST(rotation_grace_and_reuse)
{
	char a0[512], r0[512], a1[512], r1[512], a2[512], r2[512], key[128];

	tapi_login_anonymous(&api, a0, r0);
	ck_assert_int_eq(refresh_with(r0, a1, r1, NULL), 200);
	ck_assert_str_ne(a1, a0);
	ck_assert_str_ne(r1, r0);
	/* the old access token is rejected at once, the new pair works */
	ck_assert_int_eq(me_status(a0), 401);
	ck_assert_int_eq(me_status(a1), 200);
	/* replay of r0 inside the grace window yields another pair */
	ck_assert_int_eq(refresh_with(r0, a2, r2, NULL), 200);
	ck_assert_int_eq(me_status(a2), 200);
	/* wait past the grace (3 s from the FIRST revocation; the replay did not extend it) */
	tsupport_sleep_ms(3500);
	ck_assert_int_eq(refresh_with(r0, a2, r2, key), 401);
	ck_assert_str_eq(key, "sessionStore.refreshTokens.revokedToken");
	/* reuse revoked the whole session and reported it */
	ck_assert_int_eq(me_status(a1), 401);
	ck_assert_int_eq(refresh_with(r1, a2, r2, key), 401);
	ck_assert_str_eq(key, "sessionStore.refreshTokens.revokedToken");
	ck_assert_int_eq(
	    tsupport_db_scalar(api.db, "SELECT count(*) FROM job WHERE name = "
	                               "'compas.sessionStore.potentialLeakedSession' AND "
	                               "priority = 5 AND data->'report'->'session' ? 'tokens'"),
	    1);
	ck_assert_int_eq(tsupport_db_scalar(api.db, "SELECT count(*) FROM \"sessionStore\" WHERE "
	                                            "\"revokedAt\" IS NULL"),
	                 0);
}
END_TEST

START_TEST(grace_is_fixed_from_first_revocation)
{
	char a0[512], r0[512], a1[512], r1[512], key[128];

	tapi_login_anonymous(&api, a0, r0);
	ck_assert_int_eq(refresh_with(r0, a1, r1, NULL), 200);
	tsupport_sleep_ms(1500);
	ck_assert_int_eq(refresh_with(r0, a1, r1, NULL), 200); /* inside: 1.5 s */
	tsupport_sleep_ms(2000);
	/* 3.5 s after the first revocation: refused even though the last replay was 2 s ago */
	ck_assert_int_eq(refresh_with(r0, a1, r1, key), 401);
	ck_assert_str_eq(key, "sessionStore.refreshTokens.revokedToken");
}
END_TEST

START_TEST(refresh_errors)
{
	char a0[512], r0[512], a1[512], r1[512], key[128], tok[JWT_MAX_LEN];
	cJSON *p = json_object(), *j = NULL;

	tapi_login_anonymous(&api, a0, r0);
	/* an access token is not a refresh token */
	ck_assert_int_eq(refresh_with(a0, a1, r1, key), 401);
	ck_assert_str_eq(key, "sessionStore.refreshTokens.invalidRefreshToken");
	/* a valid JWT for a row that does not exist */
	cJSON_AddNumberToObject(p, "exp", 4000000000.0);
	cJSON_AddStringToObject(p, "compasSessionRefreshToken",
	                        "00000000-0000-4000-8000-000000000000");
	jwt_sign(p, TEST_KEY, tok);
	cJSON_Delete(p);
	ck_assert_int_eq(refresh_with(tok, a1, r1, key), 401);
	ck_assert_str_eq(key, "sessionStore.refreshTokens.invalidSession");
	/* garbage */
	ck_assert_int_eq(refresh_with("xxx.yyy.zzz", a1, r1, key), 401);
	ck_assert_str_eq(key, "sessionStore.verifyAndDecodeJWT.invalidToken");
	ck_assert_int_eq(refresh_with("abc", a1, r1, key), 401);
	ck_assert_str_eq(key, "sessionStore.verifyAndDecodeJWT.missingToken");
	/* revoked session */
	tsupport_db_scalar(api.db, "UPDATE \"sessionStore\" SET \"revokedAt\" = now() RETURNING 1");
	ck_assert_int_eq(refresh_with(r0, a1, r1, key), 401);
	ck_assert_str_eq(key, "sessionStore.refreshTokens.revokedToken");
	/* validation */
	ck_assert_int_eq(
	    thttp_json(&api, "POST", "/auth/refresh-tokens", NULL, "{\"refreshToken\":\"\"}", &j),
	    400);
	ck_assert_str_eq(jstr(j, "key"), "validator.error");
	cJSON_Delete(j);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("api-refresh");
	TCase *tc = tcase_create("api-refresh");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, rotation_grace_and_reuse);
	tcase_add_test(tc, grace_is_fixed_from_first_revocation);
	tcase_add_test(tc, refresh_errors);
	suite_add_tcase(s, tc);
	return s;
}

TAPI_MAIN(suite)
