/* Password login and verify-otp business logic (seed-api §6.8, §4.5, §7.4). */
#include "password_login.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "authjob.h"
#include "json.h"
#include "pg.h"
#include "totp.h"

static struct err *
password_login_invalid(void)
{
	return err_new("authPasswordBased.login.invalidEmailPasswordCombination", 400, NULL);
}

static struct err *
password_login_record_attempt(const struct authctx *ctx, const char *login_id)
{
	const char *params[1] = { login_id };

	return pg_exec(ctx->db,
	               "INSERT INTO \"passwordLoginAttempt\" (\"passwordLogin\") VALUES ($1)", 1,
	               params);
}

/* True (in *blocked) when the login has auth.login_throttle_max failures in the window. */
static struct err *
password_login_throttled(const struct authctx *ctx, const char *login_id, bool *blocked)
{
	char window[24];
	const char *params[2] = { login_id, window };
	struct err *e = NULL;
	PGresult *r;

	*blocked = false;
	if (!ctx->cfg->auth_login_throttle)
		return NULL;
	snprintf(window, sizeof(window), "%lld", (long long)ctx->cfg->auth_login_throttle_window_s);
	r = pg_query(ctx->db,
	             "SELECT count(*) FROM \"passwordLoginAttempt\" WHERE \"passwordLogin\" = $1 "
	             "AND \"createdAt\" > now() - make_interval(secs => $2::bigint)",
	             2, params, &e);
	if (r == NULL)
		return e;
	*blocked = pg_get_int64(r, 0, 0) >= ctx->cfg->auth_login_throttle_max;
	PQclear(r);
	return NULL;
}

struct err *
password_login_lookup(const struct authctx *ctx, const char *email,
                      struct password_login_found *out)
{
	const char *params[2] = { email, ctx->tenant_id };
	struct err *e = NULL;
	PGresult *r;
	bool blocked;

	memset(out, 0, sizeof(*out));
	r = pg_query(ctx->db,
	             "SELECT pl.id, pl.\"user\", pl.password, pl.\"verifiedAt\" IS NOT NULL "
	             "FROM \"passwordLogin\" pl JOIN \"user\" u ON u.id = pl.\"user\" "
	             "JOIN \"userTenant\" ut ON ut.\"user\" = u.id AND ut.tenant = $2 "
	             "WHERE pl.email = $1 AND (u.\"deletedAt\" IS NULL OR u.\"deletedAt\" > now()) "
	             "ORDER BY u.\"createdAt\" LIMIT 1",
	             2, params, &e);
	if (r == NULL)
		return e;
	out->exists = PQntuples(r) > 0;
	if (out->exists) {
		snprintf(out->login_id, sizeof(out->login_id), "%s", pg_get(r, 0, 0));
		snprintf(out->user_id, sizeof(out->user_id), "%s", pg_get(r, 0, 1));
		if (strlen(pg_get(r, 0, 2)) < sizeof(out->stored))
			snprintf(out->stored, sizeof(out->stored), "%s", pg_get(r, 0, 2));
		out->verified = pg_get_bool(r, 0, 3);
	}
	PQclear(r);
	if (!out->exists)
		return NULL;
	e = password_login_throttled(ctx, out->login_id, &blocked);
	if (e == NULL && blocked) {
		e = password_login_record_attempt(ctx, out->login_id);
		if (e == NULL)
			e = err_new("authPasswordBased.login.maxAttemptsExceeded", 400, NULL);
	}
	return e;
}

void
password_login_verify(struct password_login_found *f, const char *password,
                      const struct password_params *p)
{
	if (!f->exists) {
		password_verify_dummy(p, password);
		f->ok = false;
		return;
	}
	f->ok = password_verify(password, f->stored);
	f->needs_rehash = f->ok && password_needs_rehash(p, f->stored);
}

struct err *
password_login_conclude(const struct authctx *ctx, const struct password_login_found *f)
{
	struct err *e;

	if (!f->exists)
		return password_login_invalid();
	if (!f->ok) {
		e = password_login_record_attempt(ctx, f->login_id);
		return e != NULL ? e : password_login_invalid();
	}
	if (!f->verified)
		return err_new("authPasswordBased.login.emailNotVerified", 400, NULL);
	return NULL;
}

struct err *
password_login_check(const struct authctx *ctx, const char *email, const char *password,
                     struct password_login_found *out)
{
	struct password_params pp;
	struct err *e;

	password_params_from_config(ctx->cfg, &pp);
	e = password_login_lookup(ctx, email, out);
	if (e != NULL)
		return e;
	password_login_verify(out, password, &pp);
	return password_login_conclude(ctx, out);
}

struct err *
password_login_finish(const struct authctx *ctx, const struct password_login_found *f,
                      const char *new_hash, cJSON **session_data)
{
	const char *p1[1] = { f->user_id };
	const char *p2[2] = { f->login_id, new_hash };
	struct err *e;

	e = pg_exec(ctx->db, "UPDATE \"user\" SET \"lastLogin\" = now() WHERE id = $1", 1, p1);
	if (e == NULL && new_hash != NULL)
		e = pg_exec(ctx->db,
		            "UPDATE \"passwordLogin\" SET password = $2, \"updatedAt\" = now() "
		            "WHERE id = $1",
		            2, p2);
	if (e != NULL)
		return e;
	return password_login_session_data(ctx, f->user_id, "passwordBased", session_data);
}

/* A new OTP secret for the login, and its current code as auth.passwordBased.requestOtp. */
static struct err *
password_login_send_otp(const struct authctx *ctx, const char *user_id, const char *login_id)
{
	char secret[TOTP_SECRET_LEN], code[TOTP_CODE_MAX];
	const char *params[2] = { login_id, secret };
	cJSON *data;
	struct err *e;

	totp_generate_secret(secret);
	e = pg_exec(ctx->db,
	            "UPDATE \"passwordLogin\" SET \"otpSecret\" = $2, \"updatedAt\" = now() "
	            "WHERE id = $1",
	            2, params);
	if (e != NULL)
		return e;
	if (!totp_now(TOTP_SHA512, secret, (int64_t)time(NULL), code))
		return err_internal("password_login_send_otp: bad secret");
	data = json_object();
	cJSON_AddStringToObject(data, "userId", user_id);
	cJSON_AddStringToObject(data, "passwordLoginId", login_id);
	cJSON_AddStringToObject(data, "otp", code);
	return authjob_enqueue(ctx, "auth.passwordBased.requestOtp", data);
}

struct err *
password_login_session_data(const struct authctx *ctx, const char *user_id, const char *login_type,
                            cJSON **out)
{
	const char *params[1] = { user_id };
	struct err *e = NULL;
	PGresult *r;
	cJSON *data;
	const char *two_step = NULL;

	r = pg_query(ctx->db,
	             "SELECT EXISTS (SELECT 1 FROM \"totpSettings\" t WHERE t.\"user\" = $1 "
	             "AND t.\"verifiedAt\" IS NOT NULL), "
	             "(SELECT pl.id FROM \"passwordLogin\" pl WHERE pl.\"user\" = $1 "
	             "AND pl.\"otpEnabledAt\" IS NOT NULL LIMIT 1)",
	             1, params, &e);
	if (r == NULL)
		return e;
	if (pg_get_bool(r, 0, 0))
		two_step = "totpProvider";
	else if (!pg_is_null(r, 0, 1))
		two_step = "passwordBasedOtp";
	if (two_step != NULL && strcmp(two_step, "passwordBasedOtp") == 0)
		e = password_login_send_otp(ctx, user_id, pg_get(r, 0, 1));
	PQclear(r);
	if (e != NULL)
		return e;
	data = json_object();
	cJSON_AddStringToObject(data, "type", two_step != NULL ? "checkTwoStep" : "user");
	cJSON_AddStringToObject(data, "loginType", login_type);
	cJSON_AddStringToObject(data, "userId", user_id);
	if (two_step != NULL)
		cJSON_AddStringToObject(data, "twoStepType", two_step);
	*out = data;
	return NULL;
}

static bool
password_login_is_two_step(const cJSON *session_data)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(session_data, "type");

	return cJSON_IsString(type) && strcmp(type->valuestring, "checkTwoStep") == 0;
}

bool
password_login_two_step_allows(const cJSON *session_data, const char *two_step_type)
{
	const cJSON *step = cJSON_GetObjectItemCaseSensitive(session_data, "twoStepType");

	if (!password_login_is_two_step(session_data))
		return true;
	return cJSON_IsString(step) && strcmp(step->valuestring, two_step_type) == 0;
}

void
password_login_complete_two_step(cJSON *session_data)
{
	if (!password_login_is_two_step(session_data))
		return;
	cJSON_ReplaceItemInObjectCaseSensitive(session_data, "type", cJSON_CreateString("user"));
	cJSON_DeleteItemFromObjectCaseSensitive(session_data, "twoStepType");
}

struct err *
password_login_verify_otp(const struct authctx *ctx, const char *user_id, cJSON *session_data,
                          const char *otp)
{
	const char *params[1] = { user_id };
	const char *p2[2];
	struct err *e = NULL;
	PGresult *r, *u;
	bool ok;

	r = pg_query(ctx->db,
	             "SELECT id, \"otpSecret\" FROM \"passwordLogin\" WHERE \"user\" = $1 "
	             "AND \"otpEnabledAt\" IS NOT NULL LIMIT 1",
	             1, params, &e);
	if (r == NULL)
		return e;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return err_new("authPasswordBased.verifyOtp.notEnabled", 400, NULL);
	}
	ok = password_login_two_step_allows(session_data, "passwordBasedOtp") &&
	     !pg_is_null(r, 0, 1) &&
	     totp_verify(TOTP_SHA512, pg_get(r, 0, 1), otp, time(NULL), PASSWORD_LOGIN_OTP_WINDOW,
	                 TOTP_NO_STEP, NULL);
	if (ok) {
		/* Single use: clear the secret, unless a concurrent request did first. */
		p2[0] = pg_get(r, 0, 0);
		p2[1] = pg_get(r, 0, 1);
		u = pg_query(
		    ctx->db,
		    "UPDATE \"passwordLogin\" SET \"otpSecret\" = NULL, \"updatedAt\" = now() "
		    "WHERE id = $1 AND \"otpSecret\" = $2",
		    2, p2, &e);
		ok = u != NULL && strcmp(PQcmdTuples(u), "1") == 0;
		PQclear(u);
	}
	PQclear(r);
	if (e != NULL)
		return e;
	if (!ok)
		return err_new("authPasswordBased.verifyOtp.invalid", 400, NULL);
	password_login_complete_two_step(session_data);
	return NULL;
}
