/* /auth/password-based routes (seed-api §6.8): login, verify-otp, verify-email,
 * forgot/reset password, list emails, update password/email, and the optional
 * self-registration (auth.register_enabled). Every POST is behind the per-IP limiter. */
#include <ctype.h>
#include <string.h>

#include "json.h"
#include "password.h"
#include "password_account.h"
#include "password_login.h"
#include "password_support.h"
#include "password_token.h"
#include "pg.h"
#include "routes.h"
#include "session.h"
#include "user_create.h"

static const struct schema password_based_email = { .type = SCHEMA_T_EMAIL };
static const struct schema password_based_password = { .type = SCHEMA_T_STRING,
	                                               .min_len = 8,
	                                               .max_len = 512 };

static const struct schema login_body =
    SCHEMA_OBJECT(SCHEMA_FIELD("email", SCHEMA_REF(&password_based_email)),
                  SCHEMA_FIELD("password", SCHEMA_REF(&password_based_password)),
                  SCHEMA_FIELD("device", SCHEMA_OPT_REF(&schema_login_device)));
static const struct schema verify_otp_body =
    SCHEMA_OBJECT(SCHEMA_FIELD("otp", SCHEMA_STRING(.min_len = 6, .max_len = 6)));
static const struct schema verify_email_body =
    SCHEMA_OBJECT(SCHEMA_FIELD("verifyToken", SCHEMA_STRING(.min_len = 36)),
                  SCHEMA_FIELD("device", SCHEMA_OPT_REF(&schema_login_device)));
static const struct schema email_body =
    SCHEMA_OBJECT(SCHEMA_FIELD("email", SCHEMA_REF(&password_based_email)));
static const struct schema reset_body =
    SCHEMA_OBJECT(SCHEMA_FIELD("resetToken", SCHEMA_STRING(.min_len = 36)),
                  SCHEMA_FIELD("password", SCHEMA_REF(&password_based_password)));
static const struct schema password_body =
    SCHEMA_OBJECT(SCHEMA_FIELD("password", SCHEMA_REF(&password_based_password)));
static const struct schema register_body =
    SCHEMA_OBJECT(SCHEMA_FIELD("email", SCHEMA_REF(&password_based_email)),
                  SCHEMA_FIELD("password", SCHEMA_REF(&password_based_password)));

static const char *
body_string(const struct api_ctx *c, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->body, name));
}

/* The template's /^\d{6}$/ on an already length-checked code. */
static struct err *
check_six_digits(const char *code, const char *path)
{
	for (int i = 0; i < 6; i++)
		if (!isdigit((unsigned char)code[i]))
			return json_error(path, "validator.pattern", NULL);
	return NULL;
}

/* A login between its lookup (on the loop) and its session (back on the loop): the
 * hash work in between runs on a hash thread (api_defer). Lives in the request arena. */
struct login_job {
	struct password_login_found found;
	struct password_params pp;
	const char *password; /* c->body's, valid until the request ends */
	char new_hash[PASSWORD_HASH_MAX];
	struct err *hash_err;
};

/* On a hash thread: verify, and the upgraded hash when the login will succeed. */
static void
login_work(void *arg)
{
	struct login_job *j = arg;

	password_login_verify(&j->found, j->password, &j->pp);
	if (j->found.ok && j->found.verified && j->found.needs_rehash)
		j->hash_err = password_hash(&j->pp, j->password, j->new_hash);
}

static struct err *
login_done(struct api_ctx *c, void *arg, cJSON **response)
{
	struct login_job *j = arg;
	struct authctx ctx;
	cJSON *data = NULL;
	struct err *e;

	password_support_ctx(c, &ctx);
	e = password_login_conclude(&ctx, &j->found);
	if (e == NULL)
		e = j->hash_err;
	else
		err_free(j->hash_err);
	if (e == NULL)
		e = pg_begin(c->db);
	if (e != NULL)
		return e;
	e = password_login_finish(&ctx, &j->found, j->found.needs_rehash ? j->new_hash : NULL,
	                          &data);
	return password_support_finish_login(c, e, data, response);
}

static struct err *
login_handler(struct api_ctx *c, cJSON **response)
{
	struct login_job *j;
	struct authctx ctx;
	struct err *e;

	(void)response;
	e = password_support_ratelimit(c, PASSWORD_SUPPORT_COST_LOGIN);
	if (e != NULL)
		return e;
	j = arena_alloc(c->arena, sizeof(*j));
	memset(j, 0, sizeof(*j));
	password_support_ctx(c, &ctx);
	e = password_login_lookup(&ctx, body_string(c, "email"), &j->found);
	if (e != NULL)
		return e;
	password_params_from_config(c->cfg, &j->pp);
	j->password = body_string(c, "password");
	return api_defer(c, login_work, login_done, j);
}

/* A new password hashed on a hash thread (api_defer) before the route's transaction,
 * as the lib/auth functions do inline. Lives in the request arena. */
struct hash_job {
	struct password_params pp;
	const char *password; /* c->body's */
	char hash[PASSWORD_HASH_MAX];
	struct err *err;
};

static void
hash_work(void *arg)
{
	struct hash_job *j = arg;

	j->err = password_hash(&j->pp, j->password, j->hash);
}

/* Hash body.password on a hash thread, then done on the loop. */
static struct err *
hash_defer(struct api_ctx *c, api_done_fn done)
{
	struct hash_job *j = arena_alloc(c->arena, sizeof(*j));

	memset(j, 0, sizeof(*j));
	password_params_from_config(c->cfg, &j->pp);
	j->password = body_string(c, "password");
	return api_defer(c, hash_work, done, j);
}

static struct err *
verify_otp_handler(struct api_ctx *c, cJSON **response)
{
	const char *otp = body_string(c, "otp");
	struct authctx ctx;
	struct err *e;

	e = password_support_ratelimit(c, PASSWORD_SUPPORT_COST);
	if (e == NULL)
		e = check_six_digits(otp, "$.otp");
	if (e != NULL)
		return e;
	password_support_ctx(c, &ctx);
	e = password_login_verify_otp(&ctx, c->user.id, c->session.data, otp);
	if (e == NULL)
		e = session_update(c->db, &c->session);
	if (e == NULL)
		*response = password_support_success();
	return e;
}

static struct err *
verify_email_handler(struct api_ctx *c, cJSON **response)
{
	char user_id[UUID_STR_LEN];
	struct authctx ctx;
	cJSON *data = NULL;
	struct err *e;

	e = password_support_ratelimit(c, PASSWORD_SUPPORT_COST);
	if (e == NULL)
		e = pg_begin(c->db);
	if (e != NULL)
		return e;
	password_support_ctx(c, &ctx);
	e = password_token_verify_email(&ctx, body_string(c, "verifyToken"), user_id, &data);
	return password_support_finish_login(c, e, data, response);
}

static struct err *
forgot_password_handler(struct api_ctx *c, cJSON **response)
{
	struct authctx ctx;
	struct err *e;

	e = password_support_ratelimit(c, PASSWORD_SUPPORT_COST);
	if (e != NULL)
		return e;
	password_support_ctx(c, &ctx);
	e = password_token_forgot_password(&ctx, body_string(c, "email"));
	if (e == NULL)
		*response = password_support_success();
	return e;
}

static struct err *
reset_password_done(struct api_ctx *c, void *arg, cJSON **response)
{
	struct hash_job *j = arg;
	struct authctx ctx;
	struct err *e = j->err;

	password_support_ctx(c, &ctx);
	if (e == NULL)
		e = password_token_reset_password_hashed(&ctx, body_string(c, "resetToken"),
		                                         j->hash);
	if (e == NULL)
		*response = password_support_success();
	return e;
}

static struct err *
reset_password_handler(struct api_ctx *c, cJSON **response)
{
	struct err *e;

	(void)response;
	e = password_support_ratelimit(c, PASSWORD_SUPPORT_COST);
	if (e != NULL)
		return e;
	return hash_defer(c, reset_password_done);
}

static struct err *
list_emails_handler(struct api_ctx *c, cJSON **response)
{
	struct authctx ctx;

	password_support_ctx(c, &ctx);
	return password_account_list_emails(&ctx, c->user.id, response);
}

static struct err *
update_password_done(struct api_ctx *c, void *arg, cJSON **response)
{
	struct hash_job *j = arg;
	struct authctx ctx;
	struct err *e = j->err;

	password_support_ctx(c, &ctx);
	if (e == NULL)
		e = password_account_update_password_hashed(&ctx, c->user.id, j->hash);
	if (e == NULL)
		*response = password_support_success();
	return e;
}

static struct err *
update_password_handler(struct api_ctx *c, cJSON **response)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(c->session.data, "type");
	struct err *e;

	(void)response;
	e = password_support_ratelimit(c, PASSWORD_SUPPORT_COST);
	if (e == NULL)
		e = api_require_login_type(c, "passwordBased");
	if (e != NULL)
		return e;
	/* user or passwordBasedUpdatePassword, not checkTwoStep (empty info). */
	if (!cJSON_IsString(type) || strcmp(type->valuestring, "checkTwoStep") == 0)
		return err_new("auth.requireUser.incorrectSessionType", 400, NULL);
	return hash_defer(c, update_password_done);
}

static struct err *
update_email_handler(struct api_ctx *c, cJSON **response)
{
	struct authctx ctx;
	struct err *e;

	e = password_support_ratelimit(c, PASSWORD_SUPPORT_COST);
	if (e == NULL)
		e = api_require_login_type(c, "passwordBased");
	if (e != NULL)
		return e;
	password_support_ctx(c, &ctx);
	e = password_account_update_email(&ctx, c->user.id, body_string(c, "email"));
	if (e == NULL)
		*response = password_support_success();
	return e;
}

static struct err *
register_done(struct api_ctx *c, void *arg, cJSON **response)
{
	struct hash_job *j = arg;
	struct user_create_input in = { 0 };
	struct user_create_result res;
	struct authctx ctx;
	struct err *e = j->err;

	password_support_ctx(c, &ctx);
	in.email = body_string(c, "email");
	in.password = j->password;
	if (e == NULL)
		e = user_create_password_hashed(&ctx, &in, j->hash, &res);
	if (e == NULL)
		*response = password_support_success();
	return e;
}

static struct err *
register_handler(struct api_ctx *c, cJSON **response)
{
	struct err *e;

	(void)response;
	if (!c->cfg->auth_register_enabled)
		return err_new("error.server.notFound", 404, NULL);
	e = password_support_ratelimit(c, PASSWORD_SUPPORT_COST);
	if (e != NULL)
		return e;
	return hash_defer(c, register_done);
}

static const struct api_route routes[] = {
	{ "GET", "/auth/password-based", "router.authPasswordBased.listEmails", list_emails_handler,
	  "user", NULL, NULL, NULL },
	{ "POST", "/auth/password-based/login", "router.authPasswordBased.login", login_handler,
	  "tenant", NULL, NULL, &login_body },
	{ "POST", "/auth/password-based/verify-otp", "router.authPasswordBased.verifyOtp",
	  verify_otp_handler, "session", NULL, NULL, &verify_otp_body },
	{ "POST", "/auth/password-based/verify-email", "router.authPasswordBased.verifyEmail",
	  verify_email_handler, "tenant", NULL, NULL, &verify_email_body },
	{ "POST", "/auth/password-based/forgot-password", "router.authPasswordBased.forgotPassword",
	  forgot_password_handler, "tenant", NULL, NULL, &email_body },
	{ "POST", "/auth/password-based/reset-password", "router.authPasswordBased.resetPassword",
	  reset_password_handler, "tenant", NULL, NULL, &reset_body },
	{ "POST", "/auth/password-based/update-password", "router.authPasswordBased.updatePassword",
	  update_password_handler, "session", NULL, NULL, &password_body },
	{ "POST", "/auth/password-based/update-email", "router.authPasswordBased.updateEmail",
	  update_email_handler, "user", NULL, NULL, &email_body },
	{ "POST", "/auth/password-based/register", "router.authPasswordBased.register",
	  register_handler, "tenant", NULL, NULL, &register_body },
};

const struct api_route_group routes_password_based = API_ROUTE_GROUP(routes);
