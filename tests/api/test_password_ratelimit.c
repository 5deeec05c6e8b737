/* Black-box test of the per-IP limiter on the password routes (seed-api §10.1): in
 * production, 11 points per 60 s window (login 2, other password routes 1), then a
 * 429 server.internal.rateLimit block; GET routes and other paths are not limited. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "tadmin.h"
#include "tpassword.h"
#include "tsupport.h"

static struct tapi api;
static cJSON *resp;

static void
teardown(void)
{
	cJSON_Delete(resp);
	/* 0: a clean shutdown, no crash and (under ASan) no leak in the daemon. */
	ck_assert_int_eq(tapi_stop(&api), 0);
}

static int
forgot(void)
{
	return tadmin_call(&api, NULL, "POST", "/auth/password-based/forgot-password",
	                   "{\"email\":\"ann@example.com\"}", &resp);
}

START_TEST(sixth_login_is_rejected_and_blocks)
{
	const char *env[] = { "NODE_ENV=production", NULL };
	char user_id[37];

	tsupport_require_pg();
	tadmin_start(&api, env);
	resp = NULL;
	tpw_create_user(api.db, "ann@example.com", TPW_PASSWORD, true, user_id);
	/* Five logins pass (10 points), whatever their outcome. */
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(tpw_login(&api, "ann@example.com", "wrong password", &resp), 400);
	ck_assert_int_eq(tpw_login(&api, "ann@example.com", TPW_PASSWORD, &resp), 200);
	/* The sixth is rejected and starts the block. */
	ck_assert_int_eq(tpw_login(&api, "ann@example.com", TPW_PASSWORD, &resp), 429);
	ck_assert_str_eq(tadmin_key(resp), "server.internal.rateLimit");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(resp, "info")), 0);
	/* Every password POST is blocked now, even a 1-point one. */
	ck_assert_int_eq(forgot(), 429);
	ck_assert_int_eq(tpw_job_count(api.db, "auth.passwordBased.forgotPassword"), 0);
	/* GET and other routes are not limited. */
	ck_assert_int_eq(tadmin_call(&api, NULL, "GET", "/auth/password-based", NULL, &resp), 401);
	ck_assert_int_eq(tadmin_call(&api, NULL, "POST", "/auth/anonymous-based/login",
	                             "{\"token\":\"auth-anonymous-x\"}", &resp),
	                 400);
}
END_TEST

START_TEST(one_point_routes_allow_eleven)
{
	const char *env[] = { "NODE_ENV=production", NULL };

	tsupport_require_pg();
	tadmin_start(&api, env);
	resp = NULL;
	for (int i = 0; i < 11; i++)
		ck_assert_int_eq(forgot(), 200);
	ck_assert_int_eq(forgot(), 429);
	ck_assert_str_eq(tadmin_key(resp), "server.internal.rateLimit");
}
END_TEST

START_TEST(not_limited_in_development)
{
	tsupport_require_pg();
	tadmin_start(&api, NULL);
	resp = NULL;
	for (int i = 0; i < 13; i++)
		ck_assert_int_eq(forgot(), 200);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("api-password-ratelimit");
	TCase *tc = tcase_create("ratelimit");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, sixth_login_is_rejected_and_blocks);
	tcase_add_test(tc, one_point_routes_allow_eleven);
	tcase_add_test(tc, not_limited_in_development);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
