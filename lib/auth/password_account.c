/* List emails, update password / email, uniqueness and session revocation. */
#include "password_account.h"

#include <stdio.h>
#include <string.h>

#include "authjob.h"
#include "json.h"
#include "password.h"
#include "password_token.h"
#include "pg.h"
#include "timeutil.h"
#include "uuid.h"

struct err *
password_account_list_emails(const struct authctx *ctx, const char *user_id, cJSON **out)
{
	const char *params[1] = { user_id };
	char iso[TIMEUTIL_ISO_LEN];
	struct err *e = NULL;
	cJSON *emails, *item;
	PGresult *r;

	r = pg_query(ctx->db,
	             "SELECT email, \"verifiedAt\", \"createdAt\" FROM \"passwordLogin\" "
	             "WHERE \"user\" = $1 ORDER BY \"createdAt\" LIMIT 1",
	             1, params, &e);
	if (r == NULL)
		return e;
	*out = json_object();
	emails = cJSON_AddArrayToObject(*out, "emails");
	for (int i = 0; i < PQntuples(r); i++) {
		item = json_object();
		cJSON_AddStringToObject(item, "email", pg_get(r, i, 0));
		cJSON_AddBoolToObject(item, "isVerified", !pg_is_null(r, i, 1));
		if (!pg_is_null(r, i, 1)) {
			timeutil_iso8601(pg_get_time_ms(r, i, 1), iso);
			cJSON_AddStringToObject(item, "verifiedAt", iso);
		}
		timeutil_iso8601(pg_get_time_ms(r, i, 2), iso);
		cJSON_AddStringToObject(item, "createdAt", iso);
		cJSON_AddItemToArray(emails, item);
	}
	PQclear(r);
	return NULL;
}

struct err *
password_account_revoke_sessions(const struct authctx *ctx, const char *user_id)
{
	const char *params[1] = { user_id };

	return pg_exec(ctx->db,
	               "DELETE FROM \"sessionStore\" WHERE (data->>'userId')::uuid = $1::uuid", 1,
	               params);
}

struct err *
password_account_check_unique(const struct authctx *ctx, const char *user_id, const char *email)
{
	const char *params[2] = { user_id, email };
	struct err *e = NULL;
	PGresult *r;
	bool dup;

	e = pg_exec(ctx->db, "SELECT pg_advisory_xact_lock(hashtext('platform.email:' || $1))", 1,
	            params + 1);
	if (e != NULL)
		return e;
	r = pg_query(ctx->db,
	             "SELECT EXISTS (SELECT 1 FROM \"passwordLogin\" pl "
	             "JOIN \"user\" u ON u.id = pl.\"user\" "
	             "WHERE pl.email = $2 AND pl.\"user\" <> $1 "
	             "AND (u.\"deletedAt\" IS NULL OR u.\"deletedAt\" > now()) "
	             "AND EXISTS (SELECT 1 FROM \"userTenant\" a JOIN \"userTenant\" b "
	             "ON a.tenant = b.tenant WHERE a.\"user\" = $1 AND b.\"user\" = pl.\"user\"))",
	             2, params, &e);
	if (r == NULL)
		return e;
	dup = pg_get_bool(r, 0, 0);
	PQclear(r);
	if (dup)
		return err_new("authPasswordBased.checkUnique.duplicateEmail", 400, NULL);
	return NULL;
}

/* The password login id of the user (400 invalidUser-style internal error if none). */
static struct err *
password_account_login_id(const struct authctx *ctx, const char *user_id, char *login_id,
                          size_t len, char *email, size_t email_len)
{
	const char *params[1] = { user_id };
	struct err *e = NULL;
	PGresult *r;

	r = pg_query(ctx->db,
	             "SELECT id, email FROM \"passwordLogin\" WHERE \"user\" = $1 "
	             "ORDER BY \"createdAt\" LIMIT 1 FOR UPDATE",
	             1, params, &e);
	if (r == NULL)
		return e;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return err_new("auth.requireUser.invalidUser", 401, NULL);
	}
	snprintf(login_id, len, "%s", pg_get(r, 0, 0));
	if (email != NULL)
		snprintf(email, email_len, "%s", pg_get(r, 0, 1));
	PQclear(r);
	return NULL;
}

struct err *
password_account_set_password(const struct authctx *ctx, const char *login_id, const char *user_id,
                              const char *hash, bool verify, const char *job)
{
	const char *params[3] = { login_id, hash, verify ? "true" : "false" };
	struct err *e;
	cJSON *data;

	e = pg_exec(ctx->db,
	            "UPDATE \"passwordLogin\" SET password = $2, \"updatedAt\" = now(), "
	            "\"verifiedAt\" = CASE WHEN $3::boolean THEN COALESCE(\"verifiedAt\", now()) "
	            "ELSE \"verifiedAt\" END WHERE id = $1",
	            3, params);
	if (e == NULL)
		e = password_account_revoke_sessions(ctx, user_id);
	if (e != NULL)
		return e;
	data = json_object();
	cJSON_AddStringToObject(data, "passwordLoginId", login_id);
	return authjob_enqueue(ctx, job, data);
}

static struct err *
password_account_update_password_tx(const struct authctx *ctx, const char *user_id,
                                    const char *hash)
{
	char login_id[64];
	struct err *e;

	e = password_account_login_id(ctx, user_id, login_id, sizeof(login_id), NULL, 0);
	if (e != NULL)
		return e;
	return password_account_set_password(ctx, login_id, user_id, hash, false,
	                                     "auth.passwordBased.passwordUpdated");
}

struct err *
password_account_update_password(const struct authctx *ctx, const char *user_id,
                                 const char *password)
{
	char hash[PASSWORD_HASH_MAX];
	struct err *e = password_hash_config(ctx->cfg, password, hash);

	if (e != NULL)
		return e;
	return password_account_update_password_hashed(ctx, user_id, hash);
}

struct err *
password_account_update_password_hashed(const struct authctx *ctx, const char *user_id,
                                        const char *hash)
{
	struct err *e = pg_begin(ctx->db);

	if (e != NULL)
		return e;
	e = password_account_update_password_tx(ctx, user_id, hash);
	if (e == NULL)
		return pg_commit(ctx->db);
	pg_rollback(ctx->db);
	return e;
}

static struct err *
password_account_update_email_tx(const struct authctx *ctx, const char *user_id, const char *email)
{
	char login_id[64], previous[512], token[64], reset_id[UUID_STR_LEN];
	const char *p_update[2] = { login_id, email };
	struct err *e = NULL;
	cJSON *data;

	e = password_account_login_id(ctx, user_id, login_id, sizeof(login_id), previous,
	                              sizeof(previous));
	if (e == NULL)
		e = pg_exec(ctx->db,
		            "UPDATE \"passwordLogin\" SET email = $2, \"verifiedAt\" = NULL, "
		            "\"updatedAt\" = now() WHERE id = $1",
		            2, p_update);
	if (e != NULL)
		return e;
	e = password_token_insert(ctx, login_id, false, token, reset_id);
	if (e != NULL)
		return e;
	data = json_object();
	cJSON_AddStringToObject(data, "previousEmail", previous);
	cJSON_AddStringToObject(data, "passwordLoginId", login_id);
	cJSON_AddStringToObject(data, "passwordLoginResetId", reset_id);
	e = password_account_revoke_sessions(ctx, user_id);
	if (e == NULL)
		e = authjob_enqueue(ctx, "auth.passwordBased.emailUpdated", data);
	else
		cJSON_Delete(data);
	if (e == NULL)
		e = password_account_check_unique(ctx, user_id, email);
	return e;
}

struct err *
password_account_update_email(const struct authctx *ctx, const char *user_id, const char *email)
{
	struct err *e = pg_begin(ctx->db);

	if (e != NULL)
		return e;
	e = password_account_update_email_tx(ctx, user_id, email);
	if (e == NULL)
		return pg_commit(ctx->db);
	pg_rollback(ctx->db);
	return e;
}
