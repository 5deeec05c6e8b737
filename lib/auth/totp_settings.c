/* TOTP provider business logic over "totpSettings". */
#include "totp_settings.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "password_login.h"
#include "pg.h"
#include "totp.h"

/* The user's settings row: id, secret, verified, lastUsedStep (NULL: none). */
static PGresult *
totp_settings_load(const struct authctx *ctx, const char *user_id, struct err **errp)
{
	const char *params[1] = { user_id };

	return pg_query(ctx->db,
	                "SELECT id, secret, \"verifiedAt\" IS NOT NULL, \"lastUsedStep\" "
	                "FROM \"totpSettings\" WHERE \"user\" = $1 "
	                "ORDER BY \"verifiedAt\" NULLS LAST, \"createdAt\" LIMIT 1",
	                1, params, errp);
}

struct err *
totp_settings_info(const struct authctx *ctx, const char *user_id, cJSON **out)
{
	struct err *e = NULL;
	PGresult *r = totp_settings_load(ctx, user_id, &e);

	if (r == NULL)
		return e;
	*out = json_object();
	cJSON_AddBoolToObject(*out, "isConfigured", PQntuples(r) > 0);
	cJSON_AddBoolToObject(*out, "isVerified", PQntuples(r) > 0 && pg_get_bool(r, 0, 2));
	PQclear(r);
	return NULL;
}

static struct err *
totp_settings_setup_tx(const struct authctx *ctx, const char *user_id, const char *secret)
{
	const char *params[2] = { user_id, secret };
	struct err *e = NULL;
	PGresult *r;
	bool verified;

	/* Serialise setups of one user so two requests cannot both insert. */
	e = pg_exec(ctx->db, "SELECT pg_advisory_xact_lock(hashtext('platform.totp:' || $1))", 1,
	            params);
	if (e != NULL)
		return e;
	r = pg_query(ctx->db,
	             "SELECT EXISTS (SELECT 1 FROM \"totpSettings\" WHERE \"user\" = $1 "
	             "AND \"verifiedAt\" IS NOT NULL)",
	             1, params, &e);
	if (r == NULL)
		return e;
	verified = pg_get_bool(r, 0, 0);
	PQclear(r);
	if (verified)
		return err_new("authTotpProvider.setup.alreadyConfigured", 400, NULL);
	e = pg_exec(ctx->db, "DELETE FROM \"totpSettings\" WHERE \"user\" = $1", 1, params);
	if (e == NULL)
		e = pg_exec(ctx->db,
		            "INSERT INTO \"totpSettings\" (\"user\", secret) VALUES ($1, $2)", 2,
		            params);
	return e;
}

struct err *
totp_settings_setup(const struct authctx *ctx, const char *user_id, cJSON **out)
{
	char secret[TOTP_SECRET_LEN], url[512];
	struct err *e;

	totp_generate_secret(secret);
	if (!totp_otpauth_url(ctx->cfg->app_name, secret, url, sizeof(url)))
		return err_internal("totp_settings_setup: app name too long");
	e = pg_begin(ctx->db);
	if (e != NULL)
		return e;
	e = totp_settings_setup_tx(ctx, user_id, secret);
	if (e == NULL)
		e = pg_commit(ctx->db);
	else
		pg_rollback(ctx->db);
	if (e != NULL)
		return e;
	*out = json_object();
	cJSON_AddStringToObject(*out, "otpAuthUrl", url);
	cJSON_AddStringToObject(*out, "secret", secret);
	cJSON_AddStringToObject(*out, "algorithm", "sha512");
	return NULL;
}

/* Verify code against row r and record its step (atomically: a code of a step already
 * used, even by a concurrent request, fails). set_verified also sets verifiedAt. */
static struct err *
totp_settings_accept(const struct authctx *ctx, PGresult *r, const char *code, bool set_verified,
                     bool *ok)
{
	int64_t last = pg_is_null(r, 0, 3) ? TOTP_NO_STEP : pg_get_int64(r, 0, 3), step;
	char step_text[24];
	const char *params[3] = { pg_get(r, 0, 0), step_text, set_verified ? "true" : "false" };
	struct err *e = NULL;
	PGresult *u;

	*ok = totp_verify(TOTP_SHA512, pg_get(r, 0, 1), code, time(NULL), TOTP_SETTINGS_WINDOW,
	                  last, &step);
	if (!*ok)
		return NULL;
	snprintf(step_text, sizeof(step_text), "%lld", (long long)step);
	u = pg_query(ctx->db,
	             "UPDATE \"totpSettings\" SET \"lastUsedStep\" = $2::bigint, "
	             "\"verifiedAt\" = CASE WHEN $3::boolean THEN now() ELSE \"verifiedAt\" END, "
	             "\"updatedAt\" = now() WHERE id = $1 "
	             "AND (\"lastUsedStep\" IS NULL OR \"lastUsedStep\" < $2::bigint)",
	             3, params, &e);
	if (u == NULL)
		return e;
	*ok = strcmp(PQcmdTuples(u), "1") == 0;
	PQclear(u);
	return NULL;
}

struct err *
totp_settings_setup_verify(const struct authctx *ctx, const char *user_id, const char *code)
{
	struct err *e = NULL;
	PGresult *r = totp_settings_load(ctx, user_id, &e);
	bool ok = false;

	if (r == NULL)
		return e;
	if (PQntuples(r) == 0)
		e = err_new("authTotpProvider.setupVerify.totpNotConfigured", 400, NULL);
	else if (pg_get_bool(r, 0, 2))
		e = err_new("authTotpProvider.setupVerify.totpAlreadyVerified", 400, NULL);
	else
		e = totp_settings_accept(ctx, r, code, true, &ok);
	PQclear(r);
	if (e == NULL && !ok)
		e = err_new("authTotpProvider.setupVerify.invalidTotp", 400, NULL);
	return e;
}

struct err *
totp_settings_verify(const struct authctx *ctx, const char *user_id, cJSON *session_data,
                     const char *code)
{
	struct err *e = NULL;
	PGresult *r = totp_settings_load(ctx, user_id, &e);
	bool ok = false;

	if (r == NULL)
		return e;
	if (PQntuples(r) == 0)
		e = err_new("authTotpProvider.verify.totpNotConfigured", 400, NULL);
	else if (!pg_get_bool(r, 0, 2))
		e = err_new("authTotpProvider.verify.totpNotVerified", 400, NULL);
	else if (password_login_two_step_allows(session_data, "totpProvider"))
		e = totp_settings_accept(ctx, r, code, false, &ok);
	PQclear(r);
	if (e == NULL && !ok)
		e = err_new("authTotpProvider.verify.invalidTotp", 400, NULL);
	if (e == NULL)
		password_login_complete_two_step(session_data);
	return e;
}

static struct err *
totp_settings_delete(const struct authctx *ctx, const char *user_id, const char *missing_key)
{
	const char *params[1] = { user_id };
	struct err *e = NULL;
	PGresult *r;
	bool deleted;

	r = pg_query(ctx->db, "DELETE FROM \"totpSettings\" WHERE \"user\" = $1", 1, params, &e);
	if (r == NULL)
		return e;
	deleted = strcmp(PQcmdTuples(r), "0") != 0;
	PQclear(r);
	return deleted ? NULL : err_new(missing_key, 400, NULL);
}

struct err *
totp_settings_remove(const struct authctx *ctx, const char *user_id)
{
	return totp_settings_delete(ctx, user_id, "authTotpProvider.remove.totpNotConfigured");
}

struct err *
totp_settings_remove_for_user(const struct authctx *ctx, const char *target_id)
{
	const char *params[2] = { target_id, ctx->tenant_id };
	struct err *e = NULL;
	PGresult *r;
	bool found;

	r = pg_query(ctx->db,
	             "SELECT EXISTS (SELECT 1 FROM \"user\" u JOIN \"userTenant\" ut "
	             "ON ut.\"user\" = u.id AND ut.tenant = $2 WHERE u.id = $1)",
	             2, params, &e);
	if (r == NULL)
		return e;
	found = pg_get_bool(r, 0, 0);
	PQclear(r);
	if (!found)
		return err_new("authTotpProvider.removeForUser.invalidUser", 400, NULL);
	return totp_settings_delete(ctx, target_id,
	                            "authTotpProvider.removeForUser.totpNotConfigured");
}
