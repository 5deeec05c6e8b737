/* Password user creation in one transaction (seed-api §7.2). */
#include "user_create.h"

#include <stdio.h>
#include <string.h>

#include "authjob.h"
#include "json.h"
#include "password.h"
#include "password_account.h"
#include "password_token.h"
#include "pg.h"
#include "random.h"

static struct err *
user_create_user(const struct authctx *ctx, struct user_create_result *out)
{
	struct err *e = NULL;
	PGresult *r;

	r = pg_query(ctx->db,
	             "INSERT INTO \"user\" (\"lastLogin\") VALUES ('1970-01-01T00:00:00Z') "
	             "RETURNING id",
	             0, NULL, &e);
	if (r == NULL)
		return e;
	snprintf(out->user_id, sizeof(out->user_id), "%s", pg_get(r, 0, 0));
	PQclear(r);
	/* syncUsersAcrossAllTenants: the template links every user to every tenant. */
	return pg_exec(ctx->db,
	               "INSERT INTO \"userTenant\" (tenant, \"user\") "
	               "SELECT t.id, $1 FROM \"tenant\" t ON CONFLICT DO NOTHING",
	               1, (const char *const[]){ out->user_id });
}

static struct err *
user_create_login(const struct authctx *ctx, const struct user_create_input *in, const char *hash,
                  struct user_create_result *out)
{
	bool verified = in->verified || in->password == NULL;
	const char *params[4] = { out->user_id, in->email, hash, verified ? "true" : "false" };
	struct err *e = NULL;
	PGresult *r;

	r = pg_query(ctx->db,
	             "INSERT INTO \"passwordLogin\" (\"user\", email, password, \"verifiedAt\") "
	             "VALUES ($1, $2, $3, CASE WHEN $4::boolean THEN now() END) RETURNING id",
	             4, params, &e);
	if (r == NULL)
		return e;
	snprintf(out->login_id, sizeof(out->login_id), "%s", pg_get(r, 0, 0));
	PQclear(r);
	return NULL;
}

static struct err *
user_create_roles(const struct authctx *ctx, const struct user_create_input *in,
                  const char *user_id)
{
	struct err *e = NULL;
	PGresult *r;

	for (size_t i = 0; i < in->nroles && e == NULL; i++) {
		const char *params[3] = { in->roles[i], ctx->tenant_id, user_id };

		r = pg_query(
		    ctx->db,
		    "INSERT INTO \"userRole\" (role, \"user\") "
		    "SELECT id, $3 FROM \"role\" WHERE identifier = $1 "
		    "AND (tenant IS NULL OR tenant = $2) ON CONFLICT DO NOTHING RETURNING id",
		    3, params, &e);
		if (r == NULL)
			break;
		if (PQntuples(r) == 0)
			e = err_newf("authPermission.userSyncRoles.unknownRoleIdentifier", 400,
			             "unknown role '%s'", in->roles[i]);
		PQclear(r);
	}
	return e;
}

static struct err *
user_create_tx(const struct authctx *ctx, const struct user_create_input *in, const char *hash,
               struct user_create_result *out)
{
	char reset_id[UUID_STR_LEN];
	cJSON *data;
	struct err *e;

	e = user_create_user(ctx, out);
	if (e == NULL)
		e = user_create_login(ctx, in, hash, out);
	if (e == NULL)
		e = password_token_insert(ctx, out->login_id, in->password == NULL, out->token,
		                          reset_id);
	if (e == NULL)
		e = user_create_roles(ctx, in, out->user_id);
	if (e == NULL)
		e = password_account_check_unique(ctx, out->user_id, in->email);
	if (e != NULL)
		return e;
	data = json_object();
	cJSON_AddStringToObject(data, "passwordLoginId", out->login_id);
	cJSON_AddStringToObject(data, "passwordLoginResetId", reset_id);
	return authjob_enqueue(ctx, "auth.passwordBased.userRegistered", data);
}

struct err *
user_create_password(const struct authctx *ctx, const struct user_create_input *in,
                     struct user_create_result *out)
{
	char hash[PASSWORD_HASH_MAX], random_pw[48];
	struct err *e;

	memset(out, 0, sizeof(*out));
	if (in->password == NULL)
		random_token(random_pw, sizeof(random_pw), 32); /* never known to anyone */
	e = password_hash_config(ctx->cfg, in->password != NULL ? in->password : random_pw, hash);
	explicit_bzero(random_pw, sizeof(random_pw));
	if (e != NULL)
		return e;
	return user_create_password_hashed(ctx, in, hash, out);
}

struct err *
user_create_password_hashed(const struct authctx *ctx, const struct user_create_input *in,
                            const char *hash, struct user_create_result *out)
{
	struct err *e;

	memset(out, 0, sizeof(*out));
	e = pg_begin(ctx->db);
	if (e != NULL)
		return e;
	e = user_create_tx(ctx, in, hash, out);
	if (e == NULL)
		return pg_commit(ctx->db);
	pg_rollback(ctx->db);
	memset(out, 0, sizeof(*out));
	return e;
}
