/* verify-email, forgot-password and reset-password on "passwordLoginReset" rows. */
#include "password_token.h"

#include <stdio.h>
#include <string.h>

#include "authjob.h"
#include "json.h"
#include "password.h"
#include "password_account.h"
#include "password_login.h"
#include "pg.h"

/* The token row of a non-deleted user linked to the tenant, locked; columns: reset id,
 * login id, user id, verified, shouldSetPassword. */
static PGresult *
password_token_find(const struct authctx *ctx, const char *token, struct err **errp)
{
	const char *params[2] = { token, ctx->tenant_id };

	return pg_query(ctx->db,
	                "SELECT r.id, pl.id, pl.\"user\", pl.\"verifiedAt\" IS NOT NULL, "
	                "r.\"shouldSetPassword\" FROM \"passwordLoginReset\" r "
	                "JOIN \"passwordLogin\" pl ON pl.id = r.login "
	                "JOIN \"user\" u ON u.id = pl.\"user\" "
	                "JOIN \"userTenant\" ut ON ut.\"user\" = u.id AND ut.tenant = $2 "
	                "WHERE r.\"resetToken\" = $1 AND r.\"expiresAt\" > now() "
	                "AND (u.\"deletedAt\" IS NULL OR u.\"deletedAt\" > now()) "
	                "LIMIT 1 FOR UPDATE OF r",
	                2, params, errp);
}

static struct err *
password_token_delete(const struct authctx *ctx, const char *reset_id)
{
	const char *params[1] = { reset_id };

	return pg_exec(ctx->db, "DELETE FROM \"passwordLoginReset\" WHERE id = $1", 1, params);
}

struct err *
password_token_insert(const struct authctx *ctx, const char *login_id, bool should_set_password,
                      char token[64], char reset_id[UUID_STR_LEN])
{
	const char *params[3] = { login_id, token, should_set_password ? "true" : "false" };
	struct err *e = NULL;
	PGresult *r;

	snprintf(token, 64, "%s", should_set_password ? "auth-reset-" : "auth-verify-");
	uuid_v4(token + strlen(token));
	r = pg_query(ctx->db,
	             "INSERT INTO \"passwordLoginReset\" (login, \"resetToken\", "
	             "\"shouldSetPassword\", \"expiresAt\") "
	             "VALUES ($1, $2, $3, now() + interval '24 hours') RETURNING id",
	             3, params, &e);
	if (r == NULL)
		return e;
	snprintf(reset_id, UUID_STR_LEN, "%s", pg_get(r, 0, 0));
	PQclear(r);
	return NULL;
}

static struct err *
password_token_mark_verified(const struct authctx *ctx, const char *login_id)
{
	const char *params[1] = { login_id };
	cJSON *data;
	struct err *e;

	e = pg_exec(ctx->db,
	            "UPDATE \"passwordLogin\" SET \"verifiedAt\" = now(), \"updatedAt\" = now() "
	            "WHERE id = $1",
	            1, params);
	if (e != NULL)
		return e;
	data = json_object();
	cJSON_AddStringToObject(data, "passwordLoginId", login_id);
	return authjob_enqueue(ctx, "auth.passwordBased.loginVerified", data);
}

struct err *
password_token_verify_email(const struct authctx *ctx, const char *token,
                            char user_id[UUID_STR_LEN], cJSON **session_data)
{
	struct err *e = NULL;
	PGresult *r;

	r = password_token_find(ctx, token, &e);
	if (r == NULL)
		return e;
	if (PQntuples(r) == 0 || pg_get_bool(r, 0, 4)) {
		PQclear(r);
		return err_new("authPasswordBased.verifyEmail.invalidVerifyToken", 400, NULL);
	}
	snprintf(user_id, UUID_STR_LEN, "%s", pg_get(r, 0, 2));
	e = password_token_delete(ctx, pg_get(r, 0, 0));
	if (e == NULL && !pg_get_bool(r, 0, 3))
		e = password_token_mark_verified(ctx, pg_get(r, 0, 1));
	PQclear(r);
	if (e != NULL)
		return e;
	return password_login_session_data(ctx, user_id, "passwordBased", session_data);
}

static struct err *
password_token_forgot_tx(const struct authctx *ctx, const char *email)
{
	const char *params[2] = { email, ctx->tenant_id };
	char token[64], reset_id[UUID_STR_LEN], login_id[UUID_STR_LEN];
	struct err *e = NULL;
	PGresult *r;
	cJSON *data;

	r = pg_query(ctx->db,
	             "SELECT pl.id FROM \"passwordLogin\" pl JOIN \"user\" u ON u.id = pl.\"user\" "
	             "JOIN \"userTenant\" ut ON ut.\"user\" = u.id AND ut.tenant = $2 "
	             "WHERE pl.email = $1 AND (u.\"deletedAt\" IS NULL OR u.\"deletedAt\" > now()) "
	             "ORDER BY u.\"createdAt\" LIMIT 1",
	             2, params, &e);
	if (r == NULL)
		return e;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return NULL;
	}
	snprintf(login_id, sizeof(login_id), "%s", pg_get(r, 0, 0));
	PQclear(r);
	e = password_token_insert(ctx, login_id, true, token, reset_id);
	if (e != NULL)
		return e;
	data = json_object();
	cJSON_AddStringToObject(data, "passwordLoginId", login_id);
	cJSON_AddStringToObject(data, "passwordLoginResetId", reset_id);
	return authjob_enqueue(ctx, "auth.passwordBased.forgotPassword", data);
}

struct err *
password_token_forgot_password(const struct authctx *ctx, const char *email)
{
	struct err *e = pg_begin(ctx->db);

	if (e != NULL)
		return e;
	e = password_token_forgot_tx(ctx, email);
	if (e == NULL)
		return pg_commit(ctx->db);
	pg_rollback(ctx->db);
	return e;
}

static struct err *
password_token_reset_tx(const struct authctx *ctx, const char *token, const char *hash)
{
	char login_id[UUID_STR_LEN], user_id[UUID_STR_LEN];
	struct err *e = NULL;
	PGresult *r;

	r = password_token_find(ctx, token, &e);
	if (r == NULL)
		return e;
	if (PQntuples(r) == 0 || !pg_get_bool(r, 0, 4)) {
		PQclear(r);
		return err_new("authPasswordBased.resetPassword.invalidResetToken", 400, NULL);
	}
	snprintf(login_id, sizeof(login_id), "%s", pg_get(r, 0, 1));
	snprintf(user_id, sizeof(user_id), "%s", pg_get(r, 0, 2));
	e = password_token_delete(ctx, pg_get(r, 0, 0));
	PQclear(r);
	if (e != NULL)
		return e;
	return password_account_set_password(ctx, login_id, user_id, hash, true,
	                                     "auth.passwordBased.passwordReset");
}

struct err *
password_token_reset_password(const struct authctx *ctx, const char *token, const char *password)
{
	char hash[PASSWORD_HASH_MAX];
	struct err *e = password_hash_config(ctx->cfg, password, hash);

	if (e != NULL)
		return e;
	return password_token_reset_password_hashed(ctx, token, hash);
}

struct err *
password_token_reset_password_hashed(const struct authctx *ctx, const char *token, const char *hash)
{
	struct err *e = pg_begin(ctx->db);

	if (e != NULL)
		return e;
	e = password_token_reset_tx(ctx, token, hash);
	if (e == NULL)
		return pg_commit(ctx->db);
	pg_rollback(ctx->db);
	return e;
}
