/* Black-box tests of /auth/password-based (seed-api §6.8, DECISIONS §13.9-§13.12,
 * §13.16): login, throttling, the bcrypt upgrade, email OTP, verify-email,
 * forgot/reset password, list emails, update password/email and registration. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tadmin.h"
#include "tpassword.h"
#include "tsupport.h"

static struct tapi api;
static cJSON *resp;
static char user_id[37];

static void
start(const char *const *env)
{
	tsupport_require_pg();
	tadmin_start(&api, env);
	resp = NULL;
	tpw_create_user(api.db, "ann@example.com", TPW_PASSWORD, true, user_id);
}

static void
setup(void)
{
	start(NULL);
}

static void
setup_register(void)
{
	const char *env[] = { "PLATFORM_AUTH_REGISTER_ENABLED=true", NULL };

	start(env);
}

static void
teardown(void)
{
	cJSON_Delete(resp);
	/* 0: a clean shutdown, no crash and (under ASan) no leak in the daemon. */
	ck_assert_int_eq(tapi_stop(&api), 0);
}

static int
post(const char *access, const char *path, const char *body)
{
	return tadmin_call(&api, access, "POST", path, body, &resp);
}

/* the call runs first, then resp is read (a macro, so resp is not read before it) */
#define assert_error(status, want, key) tadmin_assert_error((status), (want), (key), &resp)
#define assert_success(status)          tadmin_assert_success((status), &resp)

/* GET /auth/me with token: the status (200 alive, 401 dead). */
static int
me(const char *access)
{
	return tadmin_call(&api, access, "GET", "/auth/me", NULL, &resp);
}

static char *
login_column(const char *column)
{
	char sql[200];

	snprintf(sql, sizeof(sql), "SELECT \"%s\"::text FROM \"passwordLogin\" WHERE \"user\" = $1",
	         column);
	return tadmin_value(api.db, sql, 1, user_id);
}

START_TEST(login_success_creates_session)
{
	char access[512];
	long before = tadmin_count(api.db, "SELECT 1 FROM \"sessionStore\"", 0);

	ck_assert_int_eq(tpw_login(&api, "ann@example.com", TPW_PASSWORD, &resp), 200);
	ck_assert_uint_gt(strlen(tpw_str(resp, "refreshToken")), 20);
	snprintf(access, sizeof(access), "%s", tpw_access(resp));
	ck_assert_int_eq(me(access), 200);
	ck_assert_int_eq(tadmin_count(api.db, "SELECT 1 FROM \"sessionStore\"", 0), before + 1);
	ck_assert_int_eq(tadmin_count(api.db,
	                              "SELECT 1 FROM \"sessionStore\" WHERE data->>'type' = 'user' "
	                              "AND data->>'loginType' = 'passwordBased' AND "
	                              "data->>'userId' = $1",
	                              1, user_id),
	                 1);
	ck_assert_int_eq(tadmin_count(api.db,
	                              "SELECT 1 FROM \"user\" WHERE id = $1 AND \"lastLogin\" > "
	                              "now() - interval '1 minute'",
	                              1, user_id),
	                 1);
	/* Email is case-insensitive and trimmed by the validator; a device is stored. */
	ck_assert_int_eq(post(NULL, "/auth/password-based/login",
	                      "{\"email\":\" ANN@Example.com \",\"password\":\"" TPW_PASSWORD "\","
	                      "\"device\":{\"platform\":\"desktop\",\"name\":\"laptop\"}}"),
	                 200);
	ck_assert_int_eq(tadmin_count(api.db, "SELECT 1 FROM device WHERE name = 'laptop'", 0), 1);
}
END_TEST

START_TEST(login_errors)
{
	char other[37];

	assert_error(tpw_login(&api, "nobody@example.com", TPW_PASSWORD, &resp), 400,
	             "authPasswordBased.login.invalidEmailPasswordCombination");
	assert_error(tpw_login(&api, "ann@example.com", "wrong password", &resp), 400,
	             "authPasswordBased.login.invalidEmailPasswordCombination");
	/* The failure is recorded even though the request failed. */
	ck_assert_int_eq(tadmin_count(api.db, "SELECT 1 FROM \"passwordLoginAttempt\"", 0), 1);
	/* Unverified: only a correct password learns that. */
	tpw_create_user(api.db, "bob@example.com", TPW_PASSWORD, false, other);
	assert_error(tpw_login(&api, "bob@example.com", "wrong password", &resp), 400,
	             "authPasswordBased.login.invalidEmailPasswordCombination");
	assert_error(tpw_login(&api, "bob@example.com", TPW_PASSWORD, &resp), 400,
	             "authPasswordBased.login.emailNotVerified");
	/* Logins are per tenant: not from a tenant the user is not linked to. */
	tadmin_count(api.db,
	             "DELETE FROM \"userTenant\" WHERE \"user\" = $1 AND tenant = "
	             "(SELECT id FROM tenant WHERE name = 'other')",
	             1, user_id);
	assert_error(
	    tadmin_call_in(&api, TADMIN_OTHER_ORIGIN, NULL, "POST", "/auth/password-based/login",
	                   "{\"email\":\"ann@example.com\",\"password\":\"" TPW_PASSWORD "\"}",
	                   &resp),
	    400, "authPasswordBased.login.invalidEmailPasswordCombination");
	/* Soft-deleted users cannot log in. */
	tadmin_count(api.db, "UPDATE \"user\" SET \"deletedAt\" = now() WHERE id = $1", 1, user_id);
	assert_error(tpw_login(&api, "ann@example.com", TPW_PASSWORD, &resp), 400,
	             "authPasswordBased.login.invalidEmailPasswordCombination");
	/* Validation. */
	assert_error(tpw_login(&api, "ann@example.com", "short", &resp), 400, "validator.error");
	ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(resp, "info"), "$.password"));
	assert_error(tpw_login(&api, "not-an-email", TPW_PASSWORD, &resp), 400, "validator.error");
	assert_error(post(NULL, "/auth/password-based/login", "{\"email\":\"ann@example.com\"}"),
	             400, "validator.error");
	ck_assert_int_eq(tadmin_count(api.db, "SELECT 1 FROM \"sessionStore\"", 0), 0);
}
END_TEST

START_TEST(login_throttled_after_ten_failures)
{
	for (int i = 0; i < 10; i++)
		assert_error(tpw_login(&api, "ann@example.com", "wrong password", &resp), 400,
		             "authPasswordBased.login.invalidEmailPasswordCombination");
	/* The 11th attempt is blocked, even with the right password. */
	assert_error(tpw_login(&api, "ann@example.com", TPW_PASSWORD, &resp), 400,
	             "authPasswordBased.login.maxAttemptsExceeded");
	ck_assert_int_eq(tadmin_count(api.db, "SELECT 1 FROM \"passwordLoginAttempt\"", 0), 11);
	/* Once the failures leave the window the login works again. */
	tadmin_count(
	    api.db,
	    "UPDATE \"passwordLoginAttempt\" SET \"createdAt\" = now() - interval '6 minutes'", 0);
	ck_assert_int_eq(tpw_login(&api, "ann@example.com", TPW_PASSWORD, &resp), 200);
}
END_TEST

START_TEST(login_throttle_can_be_disabled)
{
	tapi_stop(&api);
	{
		const char *env[] = { "PLATFORM_AUTH_LOGIN_THROTTLE=false", NULL };

		tadmin_start(&api, env);
	}
	tpw_create_user(api.db, "ann@example.com", TPW_PASSWORD, true, user_id);
	for (int i = 0; i < 11; i++)
		tpw_login(&api, "ann@example.com", "wrong password", &resp);
	ck_assert_int_eq(tpw_login(&api, "ann@example.com", TPW_PASSWORD, &resp), 200);
	ck_assert_int_eq(tadmin_count(api.db, "SELECT 1 FROM \"passwordLoginAttempt\"", 0), 11);
}
END_TEST

START_TEST(bcrypt_hash_is_upgraded)
{
	char *hash;

	/* The template's test users: "Test123!" as a cost-4 bcrypt hash. */
	tadmin_count(api.db, "UPDATE \"passwordLogin\" SET password = $2 WHERE \"user\" = $1", 2,
	             user_id, "$2b$04$C0gXvDsZmYqMGwqlp8DNT.fGnB6wExSRstNufX7iKj3zFcanh819K");
	assert_error(tpw_login(&api, "ann@example.com", "Test123?", &resp), 400,
	             "authPasswordBased.login.invalidEmailPasswordCombination");
	hash = login_column("password");
	ck_assert(strncmp(hash, "$2b$", 4) == 0);
	free(hash);
	ck_assert_int_eq(tpw_login(&api, "ann@example.com", "Test123!", &resp), 200);
	hash = login_column("password");
	ck_assert_msg(strncmp(hash, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0, "hash %s", hash);
	free(hash);
	ck_assert_int_eq(tpw_login(&api, "ann@example.com", "Test123!", &resp), 200);
	assert_error(tpw_login(&api, "ann@example.com", "Test123?", &resp), 400,
	             "authPasswordBased.login.invalidEmailPasswordCombination");
}
END_TEST

START_TEST(otp_two_step)
{
	char access[512], access2[512], otp[16], wrong[16], first_otp[16];
	cJSON *job;

	tadmin_count(api.db, "UPDATE \"passwordLogin\" SET \"otpEnabledAt\" = now()", 0);
	tpw_login_ok(&api, "ann@example.com", TPW_PASSWORD, access);
	ck_assert_int_eq(
	    tadmin_count(api.db,
	                 "SELECT 1 FROM \"sessionStore\" WHERE data->>'type' = "
	                 "'checkTwoStep' AND data->>'twoStepType' = 'passwordBasedOtp'",
	                 0),
	    1);
	/* A two-step session cannot use user routes yet. */
	assert_error(tadmin_call(&api, access, "GET", "/auth/password-based", NULL, &resp), 400,
	             "auth.requireUser.incorrectSessionType");
	/* The code is enqueued for the queue to mail. */
	job = tpw_job(api.db, "auth.passwordBased.requestOtp");
	ck_assert_ptr_nonnull(job);
	snprintf(otp, sizeof(otp), "%s", tpw_str(job, "otp"));
	ck_assert_uint_eq(strlen(otp), 6);
	ck_assert_str_eq(tpw_str(job, "userId"), user_id);
	ck_assert_str_eq(tpw_str(cJSON_GetObjectItemCaseSensitive(
	                             cJSON_GetObjectItemCaseSensitive(job, "metadata"), "tenant"),
	                         "publicUrl"),
	                 "https://scaffold.acc.lightbase.nl");
	cJSON_Delete(job);
	ck_assert_int_eq(tadmin_count(api.db,
	                              "SELECT 1 FROM job WHERE name = "
	                              "'auth.passwordBased.requestOtp' AND priority = 4",
	                              0),
	                 1);
	snprintf(wrong, sizeof(wrong), "%06d", (atoi(otp) + 1) % 1000000);
	snprintf(first_otp, sizeof(first_otp), "%s", otp);
	/* A fresh code for every two-step session (DECISIONS §13.9): log in again. */
	tpw_login_ok(&api, "ann@example.com", TPW_PASSWORD, access2);
	ck_assert_int_eq(tpw_job_count(api.db, "auth.passwordBased.requestOtp"), 2);
	job = tpw_job(api.db, "auth.passwordBased.requestOtp");
	snprintf(otp, sizeof(otp), "%s", tpw_str(job, "otp"));
	cJSON_Delete(job);
	snprintf(wrong, sizeof(wrong), "%06d", (atoi(otp) + 1) % 1000000);
	assert_error(post(access2, "/auth/password-based/verify-otp", "{\"otp\":\"12345a\"}"), 400,
	             "validator.error");
	assert_error(post(access2, "/auth/password-based/verify-otp", "{\"otp\":\"1234567\"}"), 400,
	             "validator.error");
	{
		char body[64];

		snprintf(body, sizeof(body), "{\"otp\":\"%s\"}", wrong);
		assert_error(post(access2, "/auth/password-based/verify-otp", body), 400,
		             "authPasswordBased.verifyOtp.invalid");
		snprintf(body, sizeof(body), "{\"otp\":\"%s\"}", otp);
		assert_success(post(access2, "/auth/password-based/verify-otp", body));
		/* The session is a user session now, without twoStepType (DECISIONS §13.10). */
		ck_assert_int_eq(
		    tadmin_call(&api, access2, "GET", "/auth/password-based", NULL, &resp), 200);
		ck_assert_int_eq(
		    tadmin_count(api.db,
		                 "SELECT 1 FROM \"sessionStore\" WHERE data->>'type' = "
		                 "'user' AND NOT data ? 'twoStepType'",
		                 0),
		    1);
		/* A code is single use: not again, and not for the other session. */
		assert_error(post(access, "/auth/password-based/verify-otp", body), 400,
		             "authPasswordBased.verifyOtp.invalid");
		ck_assert_int_eq(
		    tadmin_call(&api, access, "GET", "/auth/password-based", NULL, &resp), 400);
	}
}
END_TEST

START_TEST(verify_otp_not_enabled)
{
	char access[512];

	tpw_login_ok(&api, "ann@example.com", TPW_PASSWORD, access);
	assert_error(post(access, "/auth/password-based/verify-otp", "{\"otp\":\"123456\"}"), 400,
	             "authPasswordBased.verifyOtp.notEnabled");
	assert_error(post(NULL, "/auth/password-based/verify-otp", "{\"otp\":\"123456\"}"), 401,
	             "sessionStore.verifyAndDecodeJWT.missingToken");
	ck_assert_int_eq(tpw_job_count(api.db, "auth.passwordBased.requestOtp"), 0);
}
END_TEST

START_TEST(forgot_and_reset_password)
{
	char access[512], body[256];
	cJSON *job;
	char *token;

	tpw_login_ok(&api, "ann@example.com", TPW_PASSWORD, access);
	/* Unknown email: success, nothing enqueued. */
	assert_success(post(NULL, "/auth/password-based/forgot-password",
	                    "{\"email\":\"nobody@example.com\"}"));
	ck_assert_int_eq(tpw_job_count(api.db, "auth.passwordBased.forgotPassword"), 0);
	assert_success(
	    post(NULL, "/auth/password-based/forgot-password", "{\"email\":\"ann@example.com\"}"));
	job = tpw_job(api.db, "auth.passwordBased.forgotPassword");
	ck_assert_ptr_nonnull(job);
	token =
	    tadmin_value(api.db,
	                 "SELECT \"resetToken\" FROM \"passwordLoginReset\" WHERE id = $1 AND "
	                 "\"shouldSetPassword\" AND \"expiresAt\" > now() + interval '23 hours'",
	                 1, tpw_str(job, "passwordLoginResetId"));
	cJSON_Delete(job);
	ck_assert_ptr_nonnull(token);
	ck_assert(strncmp(token, "auth-reset-", 11) == 0);
	/* A reset token is not a verify token. */
	snprintf(body, sizeof(body), "{\"verifyToken\":\"%s\"}", token);
	assert_error(post(NULL, "/auth/password-based/verify-email", body), 400,
	             "authPasswordBased.verifyEmail.invalidVerifyToken");
	/* Bound to its tenant (DECISIONS §13.11). */
	snprintf(body, sizeof(body), "{\"resetToken\":\"%s\",\"password\":\"New password 2\"}",
	         token);
	tadmin_count(api.db,
	             "DELETE FROM \"userTenant\" WHERE \"user\" = $1 AND tenant = "
	             "(SELECT id FROM tenant WHERE name = 'other')",
	             1, user_id);
	assert_error(tadmin_call_in(&api, TADMIN_OTHER_ORIGIN, NULL, "POST",
	                            "/auth/password-based/reset-password", body, &resp),
	             400, "authPasswordBased.resetPassword.invalidResetToken");
	assert_success(post(NULL, "/auth/password-based/reset-password", body));
	ck_assert_int_eq(tpw_job_count(api.db, "auth.passwordBased.passwordReset"), 1);
	/* Old password fails, new works, old sessions are dead (DECISIONS §13.12). */
	assert_error(tpw_login(&api, "ann@example.com", TPW_PASSWORD, &resp), 400,
	             "authPasswordBased.login.invalidEmailPasswordCombination");
	ck_assert_int_eq(me(access), 401);
	ck_assert_int_eq(tpw_login(&api, "ann@example.com", "New password 2", &resp), 200);
	/* Single use. */
	assert_error(post(NULL, "/auth/password-based/reset-password", body), 400,
	             "authPasswordBased.resetPassword.invalidResetToken");
	assert_error(post(NULL, "/auth/password-based/reset-password",
	                  "{\"resetToken\":\"short\",\"password\":\"New password 2\"}"),
	             400, "validator.error");
	free(token);
}
END_TEST

START_TEST(reset_verifies_email_and_expired_tokens_fail)
{
	char other[37], body[256];
	char *token;

	tpw_create_user(api.db, "bob@example.com", TPW_PASSWORD, false, other);
	assert_success(
	    post(NULL, "/auth/password-based/forgot-password", "{\"email\":\"bob@example.com\"}"));
	token = tadmin_value(api.db, "SELECT \"resetToken\" FROM \"passwordLoginReset\"", 0);
	snprintf(body, sizeof(body), "{\"resetToken\":\"%s\",\"password\":\"New password 2\"}",
	         token);
	tadmin_count(api.db, "UPDATE \"passwordLoginReset\" SET \"expiresAt\" = now()", 0);
	assert_error(post(NULL, "/auth/password-based/reset-password", body), 400,
	             "authPasswordBased.resetPassword.invalidResetToken");
	tadmin_count(api.db,
	             "UPDATE \"passwordLoginReset\" SET \"expiresAt\" = now() + interval '1 hour'",
	             0);
	assert_success(post(NULL, "/auth/password-based/reset-password", body));
	ck_assert_int_eq(tpw_login(&api, "bob@example.com", "New password 2", &resp), 200);
	free(token);
}
END_TEST

START_TEST(list_emails)
{
	char access[512], anon[512], anon_refresh[512];
	const cJSON *item;

	tpw_login_ok(&api, "ann@example.com", TPW_PASSWORD, access);
	ck_assert_int_eq(tadmin_call(&api, access, "GET", "/auth/password-based", NULL, &resp),
	                 200);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(resp, "emails")), 1);
	item = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(resp, "emails"), 0);
	ck_assert_str_eq(tpw_str(item, "email"), "ann@example.com");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "isVerified")));
	ck_assert_uint_eq(strlen(tpw_str(item, "verifiedAt")), 24);
	ck_assert_uint_eq(strlen(tpw_str(item, "createdAt")), 24);
	tapi_login_anonymous(&api, anon, anon_refresh);
	ck_assert_int_eq(tadmin_call(&api, anon, "GET", "/auth/password-based", NULL, &resp), 200);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(resp, "emails")), 0);
	assert_error(tadmin_call(&api, NULL, "GET", "/auth/password-based", NULL, &resp), 401,
	             "sessionStore.verifyAndDecodeJWT.missingToken");
}
END_TEST

START_TEST(update_password)
{
	char access[512], other_session[512], anon[512], anon_refresh[512];

	tpw_login_ok(&api, "ann@example.com", TPW_PASSWORD, access);
	tpw_login_ok(&api, "ann@example.com", TPW_PASSWORD, other_session);
	assert_error(
	    post(access, "/auth/password-based/update-password", "{\"password\":\"short\"}"), 400,
	    "validator.error");
	assert_success(post(access, "/auth/password-based/update-password",
	                    "{\"password\":\"New password 2\"}"));
	/* Every session of the user is gone, the caller's too. */
	ck_assert_int_eq(me(access), 401);
	ck_assert_int_eq(me(other_session), 401);
	ck_assert_int_eq(tpw_job_count(api.db, "auth.passwordBased.passwordUpdated"), 1);
	assert_error(tpw_login(&api, "ann@example.com", TPW_PASSWORD, &resp), 400,
	             "authPasswordBased.login.invalidEmailPasswordCombination");
	ck_assert_int_eq(tpw_login(&api, "ann@example.com", "New password 2", &resp), 200);
	/* Only for password sessions, and not during two-step. */
	tapi_login_anonymous(&api, anon, anon_refresh);
	assert_error(
	    post(anon, "/auth/password-based/update-password", "{\"password\":\"New password 3\"}"),
	    400, "auth.requireUser.incorrectLoginType");
	/* A forced-rotation session (passwordBasedUpdatePassword) may change it. */
	tpw_login_ok(&api, "ann@example.com", "New password 2", access);
	tadmin_count(api.db,
	             "UPDATE \"sessionStore\" SET data = jsonb_set(data, '{type}', "
	             "'\"passwordBasedUpdatePassword\"') WHERE data->>'userId' = $1",
	             1, user_id);
	assert_success(post(access, "/auth/password-based/update-password",
	                    "{\"password\":\"New password 4\"}"));
	tadmin_count(api.db, "UPDATE \"passwordLogin\" SET \"otpEnabledAt\" = now()", 0);
	tpw_login_ok(&api, "ann@example.com", "New password 4", access);
	assert_error(post(access, "/auth/password-based/update-password",
	                  "{\"password\":\"New password 3\"}"),
	             400, "auth.requireUser.incorrectSessionType");
}
END_TEST

START_TEST(update_email)
{
	char access[512], other[37], body[256];
	cJSON *job;
	char *token;

	tpw_create_user(api.db, "bob@example.com", TPW_PASSWORD, true, other);
	tpw_login_ok(&api, "ann@example.com", TPW_PASSWORD, access);
	/* Another live user of a shared tenant has it: rolled back, session kept. */
	assert_error(
	    post(access, "/auth/password-based/update-email", "{\"email\":\"bob@example.com\"}"),
	    400, "authPasswordBased.checkUnique.duplicateEmail");
	ck_assert_int_eq(me(access), 200);
	ck_assert_int_eq(tpw_job_count(api.db, "auth.passwordBased.emailUpdated"), 0);
	ck_assert_int_eq(tadmin_count(api.db, "SELECT 1 FROM \"passwordLoginReset\"", 0), 0);
	/* A soft-deleted user does not reserve the email (DECISIONS, §13.18). */
	tadmin_count(api.db, "UPDATE \"user\" SET \"deletedAt\" = now() WHERE id = $1", 1, other);
	assert_success(
	    post(access, "/auth/password-based/update-email", "{\"email\":\"Bob@Example.com\"}"));
	ck_assert_int_eq(me(access), 401);
	job = tpw_job(api.db, "auth.passwordBased.emailUpdated");
	ck_assert_str_eq(tpw_str(job, "previousEmail"), "ann@example.com");
	token = tadmin_value(api.db,
	                     "SELECT \"resetToken\" FROM \"passwordLoginReset\" WHERE id = $1 AND "
	                     "NOT \"shouldSetPassword\"",
	                     1, tpw_str(job, "passwordLoginResetId"));
	cJSON_Delete(job);
	ck_assert(token != NULL && strncmp(token, "auth-verify-", 12) == 0);
	/* Re-verification needed. */
	assert_error(tpw_login(&api, "bob@example.com", TPW_PASSWORD, &resp), 400,
	             "authPasswordBased.login.emailNotVerified");
	snprintf(body, sizeof(body), "{\"verifyToken\":\"%s\"}", token);
	ck_assert_int_eq(post(NULL, "/auth/password-based/verify-email", body), 200);
	ck_assert_int_eq(tpw_login(&api, "bob@example.com", TPW_PASSWORD, &resp), 200);
	free(token);
}
END_TEST

START_TEST(register_verify_email_then_login)
{
	char access[512], body[256];
	cJSON *job;
	char *token;

	assert_success(post(NULL, "/auth/password-based/register",
	                    "{\"email\":\"new@example.com\",\"password\":\"" TPW_PASSWORD "\"}"));
	assert_error(post(NULL, "/auth/password-based/register",
	                  "{\"email\":\"ann@example.com\",\"password\":\"" TPW_PASSWORD "\"}"),
	             400, "authPasswordBased.checkUnique.duplicateEmail");
	ck_assert_int_eq(tpw_job_count(api.db, "auth.passwordBased.userRegistered"), 1);
	/* Login with an unverified email. */
	assert_error(tpw_login(&api, "new@example.com", TPW_PASSWORD, &resp), 400,
	             "authPasswordBased.login.emailNotVerified");
	job = tpw_job(api.db, "auth.passwordBased.userRegistered");
	token =
	    tadmin_value(api.db, "SELECT \"resetToken\" FROM \"passwordLoginReset\" WHERE id = $1",
	                 1, tpw_str(job, "passwordLoginResetId"));
	cJSON_Delete(job);
	ck_assert(token != NULL && strncmp(token, "auth-verify-", 12) == 0);
	/* Tenant-bound: not from a tenant the user is not in. */
	tadmin_count(
	    api.db,
	    "DELETE FROM \"userTenant\" WHERE tenant = (SELECT id FROM tenant WHERE name = "
	    "'other')",
	    0);
	snprintf(body, sizeof(body), "{\"verifyToken\":\"%s\"}", token);
	assert_error(tadmin_call_in(&api, TADMIN_OTHER_ORIGIN, NULL, "POST",
	                            "/auth/password-based/verify-email", body, &resp),
	             400, "authPasswordBased.verifyEmail.invalidVerifyToken");
	snprintf(body, sizeof(body),
	         "{\"verifyToken\":\"%s\",\"device\":{\"platform\":\"apple\",\"name\":\"phone\"}}",
	         token);
	ck_assert_int_eq(post(NULL, "/auth/password-based/verify-email", body), 200);
	snprintf(access, sizeof(access), "%s", tpw_access(resp));
	ck_assert_int_eq(me(access), 200);
	ck_assert_int_eq(tpw_job_count(api.db, "auth.passwordBased.loginVerified"), 1);
	ck_assert_int_eq(tadmin_count(api.db, "SELECT 1 FROM device WHERE platform = 'apple'", 0),
	                 1);
	/* Single use (DECISIONS §13.11). */
	assert_error(post(NULL, "/auth/password-based/verify-email", body), 400,
	             "authPasswordBased.verifyEmail.invalidVerifyToken");
	assert_error(post(NULL, "/auth/password-based/verify-email", "{\"verifyToken\":\"short\"}"),
	             400, "validator.error");
	ck_assert_int_eq(tpw_login(&api, "new@example.com", TPW_PASSWORD, &resp), 200);
	free(token);
}
END_TEST

START_TEST(verify_email_with_otp_is_two_step)
{
	char other[37], access[512], body[128];
	cJSON *job;

	/* A verify-email login of a user with email OTP also gets a fresh code (§13.9). */
	tpw_create_user(api.db, "bob@example.com", TPW_PASSWORD, false, other);
	tadmin_count(api.db,
	             "UPDATE \"passwordLogin\" SET \"otpEnabledAt\" = now() WHERE \"user\" = $1", 1,
	             other);
	tadmin_count(
	    api.db,
	    "INSERT INTO \"passwordLoginReset\" (login, \"resetToken\", \"shouldSetPassword\", "
	    "\"expiresAt\") SELECT id, 'auth-verify-00000000-0000-4000-8000-000000000001', "
	    "false, now() + interval '1 hour' FROM \"passwordLogin\" WHERE \"user\" = $1",
	    1, other);
	ck_assert_int_eq(
	    post(NULL, "/auth/password-based/verify-email",
	         "{\"verifyToken\":\"auth-verify-00000000-0000-4000-8000-000000000001\"}"),
	    200);
	snprintf(access, sizeof(access), "%s", tpw_access(resp));
	ck_assert_int_eq(
	    tadmin_count(api.db,
	                 "SELECT 1 FROM \"sessionStore\" WHERE data->>'type' = "
	                 "'checkTwoStep' AND data->>'twoStepType' = 'passwordBasedOtp'",
	                 0),
	    1);
	job = tpw_job(api.db, "auth.passwordBased.requestOtp");
	ck_assert_ptr_nonnull(job);
	snprintf(body, sizeof(body), "{\"otp\":\"%s\"}", tpw_str(job, "otp"));
	cJSON_Delete(job);
	assert_success(post(access, "/auth/password-based/verify-otp", body));
	ck_assert_int_eq(tadmin_call(&api, access, "GET", "/auth/password-based", NULL, &resp),
	                 200);
}
END_TEST

START_TEST(register_disabled_by_default)
{
	assert_error(post(NULL, "/auth/password-based/register",
	                  "{\"email\":\"new@example.com\",\"password\":\"" TPW_PASSWORD "\"}"),
	             404, "error.server.notFound");
	ck_assert_int_eq(tadmin_count(api.db, "SELECT 1 FROM \"passwordLogin\"", 0), 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("api-password");
	TCase *tc = tcase_create("password");
	TCase *reg = tcase_create("register");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, login_success_creates_session);
	tcase_add_test(tc, login_errors);
	tcase_add_test(tc, login_throttled_after_ten_failures);
	tcase_add_test(tc, login_throttle_can_be_disabled);
	tcase_add_test(tc, bcrypt_hash_is_upgraded);
	tcase_add_test(tc, otp_two_step);
	tcase_add_test(tc, verify_otp_not_enabled);
	tcase_add_test(tc, forgot_and_reset_password);
	tcase_add_test(tc, reset_verifies_email_and_expired_tokens_fail);
	tcase_add_test(tc, list_emails);
	tcase_add_test(tc, update_password);
	tcase_add_test(tc, update_email);
	tcase_add_test(tc, verify_email_with_otp_is_two_step);
	tcase_add_test(tc, register_disabled_by_default);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(reg, setup_register, teardown);
	tcase_set_timeout(reg, 120);
	tcase_add_test(reg, register_verify_email_then_login);
	suite_add_tcase(s, reg);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
