/* Black-box tests of /auth/totp-provider (seed-api §6.9, DECISIONS §13.10): setup,
 * setup/verify within ±1 step, two-step login completed by verify, a code accepted
 * once per step, remove and admin remove. Codes are computed with lib/auth/totp. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tadmin.h"
#include "totp.h"
#include "tpassword.h"
#include "tsupport.h"

static struct tapi api;
static cJSON *resp;
static char user_id[37], access[512];

static void
setup(void)
{
	tsupport_require_pg();
	tadmin_start(&api, NULL);
	resp = NULL;
	tpw_create_user(api.db, "ann@example.com", TPW_PASSWORD, true, user_id);
	tpw_login_ok(&api, "ann@example.com", TPW_PASSWORD, access);
}

static void
teardown(void)
{
	cJSON_Delete(resp);
	/* 0: a clean shutdown, no crash and (under ASan) no leak in the daemon. */
	ck_assert_int_eq(tapi_stop(&api), 0);
}

static int
call(const char *token, const char *method, const char *path, const char *body)
{
	return tadmin_call(&api, token, method, path, body, &resp);
}

/* the call runs first, then resp is read (a macro, so resp is not read before it) */
#define assert_error(status, want, key) tadmin_assert_error((status), (want), (key), &resp)
#define assert_success(status)          tadmin_assert_success((status), &resp)

static void
assert_info(const char *token, bool configured, bool verified)
{
	ck_assert_int_eq(call(token, "GET", "/auth/totp-provider", NULL), 200);
	ck_assert_int_eq(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "isConfigured")),
	                 configured);
	ck_assert_int_eq(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "isVerified")),
	                 verified);
}

/* {"totp":"<code of secret at now + offset_s>"} into body (64 bytes). */
static const char *
code_body(char *body, const char *secret, int offset_s)
{
	char code[TOTP_CODE_MAX];

	ck_assert(totp_now(TOTP_SHA512, secret, (int64_t)time(NULL) + offset_s, code));
	snprintf(body, 64, "{\"totp\":\"%s\"}", code);
	return body;
}

/* POST setup; the secret into secret (TOTP_SECRET_LEN). */
static void
do_setup(char *secret)
{
	ck_assert_int_eq(call(access, "POST", "/auth/totp-provider/setup", "{}"), 200);
	snprintf(secret, TOTP_SECRET_LEN, "%s", tpw_str(resp, "secret"));
}

START_TEST(setup_verify_login_remove)
{
	char secret[TOTP_SECRET_LEN], first[TOTP_SECRET_LEN], body[64], used[64];
	char two_step[512];

	assert_info(access, false, false);
	do_setup(first);
	do_setup(secret);
	/* An unverified setup is replaced. */
	ck_assert_str_ne(first, secret);
	ck_assert_int_eq(tadmin_count(api.db, "SELECT 1 FROM \"totpSettings\"", 0), 1);
	ck_assert_uint_eq(strlen(secret), 52);
	ck_assert_str_eq(tpw_str(resp, "algorithm"), "sha512");
	ck_assert_ptr_nonnull(strstr(tpw_str(resp, "otpAuthUrl"), secret));
	ck_assert(strncmp(tpw_str(resp, "otpAuthUrl"), "otpauth://totp/", 15) == 0);
	ck_assert_ptr_nonnull(strstr(tpw_str(resp, "otpAuthUrl"), "&algorithm=SHA512"));
	assert_info(access, true, false);
	/* A code of the first secret or far from now is not valid. */
	assert_error(
	    call(access, "POST", "/auth/totp-provider/setup/verify", code_body(body, first, 0)),
	    400, "authTotpProvider.setupVerify.invalidTotp");
	assert_error(
	    call(access, "POST", "/auth/totp-provider/setup/verify", code_body(body, secret, 300)),
	    400, "authTotpProvider.setupVerify.invalidTotp");
	assert_success(
	    call(access, "POST", "/auth/totp-provider/setup/verify", code_body(used, secret, 0)));
	assert_info(access, true, true);
	assert_error(call(access, "POST", "/auth/totp-provider/setup", "{}"), 400,
	             "authTotpProvider.setup.alreadyConfigured");
	assert_error(
	    call(access, "POST", "/auth/totp-provider/setup/verify", code_body(body, secret, 0)),
	    400, "authTotpProvider.setupVerify.totpAlreadyVerified");
	/* Login now needs the second step. */
	tpw_login_ok(&api, "ann@example.com", TPW_PASSWORD, two_step);
	ck_assert_int_eq(tadmin_count(api.db,
	                              "SELECT 1 FROM \"sessionStore\" WHERE data->>'type' = "
	                              "'checkTwoStep' AND data->>'twoStepType' = 'totpProvider'",
	                              0),
	                 1);
	assert_error(call(two_step, "GET", "/auth/password-based", NULL), 400,
	             "auth.requireUser.incorrectSessionType");
	/* The code already used for setup is not accepted again (once per step). */
	assert_error(call(two_step, "POST", "/auth/totp-provider/verify", used), 400,
	             "authTotpProvider.verify.invalidTotp");
	/* The next step's code is (within ±1 step). */
	assert_success(
	    call(two_step, "POST", "/auth/totp-provider/verify", code_body(body, secret, 30)));
	ck_assert_int_eq(call(two_step, "GET", "/auth/password-based", NULL), 200);
	ck_assert_int_eq(tadmin_count(api.db,
	                              "SELECT 1 FROM \"sessionStore\" WHERE data->>'type' = 'user' "
	                              "AND NOT data ? 'twoStepType'",
	                              0),
	                 2);
	/* And that one is used now too. */
	assert_error(call(two_step, "POST", "/auth/totp-provider/verify", body), 400,
	             "authTotpProvider.verify.invalidTotp");
	assert_success(call(access, "DELETE", "/auth/totp-provider/remove", NULL));
	assert_info(access, false, false);
	assert_error(call(access, "DELETE", "/auth/totp-provider/remove", NULL), 400,
	             "authTotpProvider.remove.totpNotConfigured");
	/* Without TOTP the login is a user session again. */
	tpw_login_ok(&api, "ann@example.com", TPW_PASSWORD, two_step);
	ck_assert_int_eq(call(two_step, "GET", "/auth/password-based", NULL), 200);
}
END_TEST

START_TEST(verify_errors)
{
	char secret[TOTP_SECRET_LEN], body[64];

	assert_error(call(access, "POST", "/auth/totp-provider/verify", "{\"totp\":\"123456\"}"),
	             400, "authTotpProvider.verify.totpNotConfigured");
	assert_error(
	    call(access, "POST", "/auth/totp-provider/setup/verify", "{\"totp\":\"123456\"}"), 400,
	    "authTotpProvider.setupVerify.totpNotConfigured");
	do_setup(secret);
	assert_error(call(access, "POST", "/auth/totp-provider/verify", code_body(body, secret, 0)),
	             400, "authTotpProvider.verify.totpNotVerified");
	assert_error(call(access, "POST", "/auth/totp-provider/verify", "{\"totp\":\"12345\"}"),
	             400, "validator.error");
	assert_error(call(access, "POST", "/auth/totp-provider/verify", "{\"totp\":\"abcdef\"}"),
	             400, "validator.error");
	assert_error(call(access, "POST", "/auth/totp-provider/setup", "{\"x\":1}"), 400,
	             "validator.error");
	assert_error(call(NULL, "GET", "/auth/totp-provider", NULL), 401,
	             "sessionStore.verifyAndDecodeJWT.missingToken");
	ck_assert_int_eq(
	    tadmin_count(api.db, "SELECT 1 FROM \"totpSettings\" WHERE \"verifiedAt\" IS NULL", 0),
	    1);
}
END_TEST

START_TEST(remove_for_user_needs_permission)
{
	char secret[TOTP_SECRET_LEN], body[64], path[128], admin[512], admin_id[37];

	do_setup(secret);
	assert_success(
	    call(access, "POST", "/auth/totp-provider/setup/verify", code_body(body, secret, 0)));
	tadmin_login(&api, admin, admin_id);
	snprintf(path, sizeof(path), "/auth/totp-provider/user/%s/remove", user_id);
	assert_error(call(admin, "DELETE", path, NULL), 400, "auth.requireUser.missingPermissions");
	tadmin_grant(api.db, admin_id, "admin", TADMIN_TENANT);
	assert_success(call(admin, "DELETE", path, NULL));
	ck_assert_int_eq(tadmin_count(api.db, "SELECT 1 FROM \"totpSettings\"", 0), 0);
	assert_error(call(admin, "DELETE", path, NULL), 400,
	             "authTotpProvider.removeForUser.totpNotConfigured");
	assert_error(call(admin, "DELETE",
	                  "/auth/totp-provider/user/6f1c8b9e-3f7a-4c7e-9d2a-1b2c3d4e5f60/remove",
	                  NULL),
	             400, "authTotpProvider.removeForUser.invalidUser");
	assert_error(call(admin, "DELETE", "/auth/totp-provider/user/not-a-uuid/remove", NULL), 400,
	             "validator.error");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("api-totp");
	TCase *tc = tcase_create("totp");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, setup_verify_login_remove);
	tcase_add_test(tc, verify_errors);
	tcase_add_test(tc, remove_for_user_needs_permission);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
