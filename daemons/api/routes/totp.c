/* /auth/totp-provider routes (seed-api §6.9): info, setup, setup/verify, verify
 * (completes a two-step session), remove and admin remove (auth:totp:manage). */
#include <ctype.h>

#include "json.h"
#include "password_support.h"
#include "routes.h"
#include "session.h"
#include "totp_settings.h"

static const struct schema setup_body = SCHEMA_EMPTY_OBJECT();
static const struct schema totp_body =
    SCHEMA_OBJECT(SCHEMA_FIELD("totp", SCHEMA_STRING(.min_len = 6, .max_len = 6)));
static const struct schema user_params = SCHEMA_OBJECT(SCHEMA_FIELD("user", SCHEMA_UUID()));

/* The template's /\d{6}/ on a 6-character code. */
static struct err *
totp_body_code(const struct api_ctx *c, const char **code)
{
	*code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->body, "totp"));
	for (int i = 0; i < 6; i++)
		if (!isdigit((unsigned char)(*code)[i]))
			return json_error("$.totp", "validator.pattern", NULL);
	return NULL;
}

static struct err *
info_handler(struct api_ctx *c, cJSON **response)
{
	struct authctx ctx;

	password_support_ctx(c, &ctx);
	return totp_settings_info(&ctx, c->user.id, response);
}

static struct err *
setup_handler(struct api_ctx *c, cJSON **response)
{
	struct authctx ctx;

	password_support_ctx(c, &ctx);
	return totp_settings_setup(&ctx, c->user.id, response);
}

static struct err *
setup_verify_handler(struct api_ctx *c, cJSON **response)
{
	struct authctx ctx;
	const char *code;
	struct err *e = totp_body_code(c, &code);

	if (e != NULL)
		return e;
	password_support_ctx(c, &ctx);
	e = totp_settings_setup_verify(&ctx, c->user.id, code);
	if (e == NULL)
		*response = password_support_success();
	return e;
}

static struct err *
verify_handler(struct api_ctx *c, cJSON **response)
{
	struct authctx ctx;
	const char *code;
	struct err *e = totp_body_code(c, &code);

	if (e != NULL)
		return e;
	password_support_ctx(c, &ctx);
	e = totp_settings_verify(&ctx, c->user.id, c->session.data, code);
	if (e == NULL)
		e = session_update(c->db, &c->session);
	if (e == NULL)
		*response = password_support_success();
	return e;
}

static struct err *
remove_handler(struct api_ctx *c, cJSON **response)
{
	struct authctx ctx;
	struct err *e;

	password_support_ctx(c, &ctx);
	e = totp_settings_remove(&ctx, c->user.id);
	if (e == NULL)
		*response = password_support_success();
	return e;
}

static struct err *
remove_for_user_handler(struct api_ctx *c, cJSON **response)
{
	struct authctx ctx;
	struct err *e;

	password_support_ctx(c, &ctx);
	e = totp_settings_remove_for_user(&ctx, api_param(c, "user"));
	if (e == NULL)
		*response = password_support_success();
	return e;
}

static const struct api_route routes[] = {
	{ "GET", "/auth/totp-provider", "router.authTotpProvider.info", info_handler, "user", NULL,
	  NULL, NULL },
	{ "POST", "/auth/totp-provider/setup", "router.authTotpProvider.setup", setup_handler,
	  "user", NULL, NULL, &setup_body },
	{ "POST", "/auth/totp-provider/setup/verify", "router.authTotpProvider.setupVerify",
	  setup_verify_handler, "session", NULL, NULL, &totp_body },
	{ "POST", "/auth/totp-provider/verify", "router.authTotpProvider.verify", verify_handler,
	  "session", NULL, NULL, &totp_body },
	{ "DELETE", "/auth/totp-provider/remove", "router.authTotpProvider.remove", remove_handler,
	  "user", NULL, NULL, NULL },
	{ "DELETE", "/auth/totp-provider/user/:user/remove",
	  "router.authTotpProvider.removeForUser", remove_for_user_handler, "perm:auth:totp:manage",
	  &user_params, NULL, NULL },
};

const struct api_route_group routes_totp = API_ROUTE_GROUP(routes);
