/* Password login (seed-api §6.8 login and verify-otp) and the session data every
 * login writes (§4.5): the two-step check, with a fresh email OTP for every
 * passwordBasedOtp session (DECISIONS §13.9). */
#ifndef AUTH_PASSWORD_LOGIN_H
#define AUTH_PASSWORD_LOGIN_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "authctx.h"
#include "err.h"
#include "password.h"
#include "uuid.h"

/* The email OTP is valid for this many 30-second steps either side (seed-api §7.4). */
#define PASSWORD_LOGIN_OTP_WINDOW 11

struct password_login_found {
	char user_id[UUID_STR_LEN];
	char login_id[UUID_STR_LEN];
	bool needs_rehash; /* bcrypt or other argon2 parameters: store a new hash */
	/* Filled by password_login_lookup. */
	bool exists;                    /* a login with this email in the tenant */
	bool verified;                  /* its email is verified */
	char stored[PASSWORD_HASH_MAX]; /* its hash ("" when too long: never matches) */
	/* Filled by password_login_verify. */
	bool ok; /* the password matches */
};

/* Login steps 1-4: find the non-deleted user of the tenant with this email (unknown:
 * a dummy verification, then invalidEmailPasswordCombination), the failed-attempt
 * block (auth.login_throttle*: maxAttemptsExceeded), the password (a mismatch records
 * an attempt row on its own, committed), then verified email (emailNotVerified).
 * Runs outside any transaction; the hash work happens here. It is
 * password_login_lookup + password_login_verify + password_login_conclude, which a
 * caller may run apart to do the hash work elsewhere (the api's hash threads). */
struct err *password_login_check(const struct authctx *ctx, const char *email, const char *password,
                                 struct password_login_found *out);

/* Steps 1-2 (database, no hash work): *out is zeroed, then filled when the email has a
 * login (exists). A blocked login records an attempt and gives maxAttemptsExceeded. */
struct err *password_login_lookup(const struct authctx *ctx, const char *email,
                                  struct password_login_found *out);

/* Step 3, the hash work (CPU only: no database, safe on any thread): f->ok and
 * f->needs_rehash (against p); an unknown email costs a dummy verification. */
void password_login_verify(struct password_login_found *f, const char *password,
                           const struct password_params *p);

/* Steps 3-4 on the database after password_login_verify: unknown email or mismatch
 * (which records an attempt) give invalidEmailPasswordCombination, then
 * emailNotVerified. NULL: the login may proceed (password_login_finish). */
struct err *password_login_conclude(const struct authctx *ctx,
                                    const struct password_login_found *f);

/* Login steps 5-6 in the caller's transaction: lastLogin = now, store new_hash when not
 * NULL (the upgrade to argon2id), and the session data (password_login_session_data). */
struct err *password_login_finish(const struct authctx *ctx, const struct password_login_found *f,
                                  const char *new_hash, cJSON **session_data);

/* {type, loginType, userId[, twoStepType]} for user_id (seed-api §4.5). For a
 * passwordBasedOtp two-step session a new OTP secret is stored and the code is
 * enqueued as auth.passwordBased.requestOtp. Caller owns *out. */
struct err *password_login_session_data(const struct authctx *ctx, const char *user_id,
                                        const char *login_type, cJSON **out);

/* verify-otp for the session's user: notEnabled / invalid (400). A code is single use
 * (the secret is cleared). A checkTwoStep passwordBasedOtp session becomes "user" and
 * loses twoStepType (DECISIONS §13.10); a checkTwoStep session waiting for another
 * provider gets invalid; other sessions are left as they are. */
struct err *password_login_verify_otp(const struct authctx *ctx, const char *user_id,
                                      cJSON *session_data, const char *otp);

/* False when the session is a checkTwoStep session waiting for another provider than
 * two_step_type (that provider's code must not complete it). */
bool password_login_two_step_allows(const cJSON *session_data, const char *two_step_type);
/* A checkTwoStep session becomes type "user" without twoStepType (DECISIONS §13.10);
 * other sessions are left as they are. */
void password_login_complete_two_step(cJSON *session_data);

#endif
