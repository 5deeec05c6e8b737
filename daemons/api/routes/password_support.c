/* Request context, per-IP limiter and login sessions for the password/TOTP routes. */
#include "password_support.h"

#include <pthread.h>
#include <stdlib.h>

#include "json.h"
#include "pg.h"
#include "ratelimit.h"
#include "session.h"

/* The limiter is per process, shared by every worker thread (it locks inside); made
 * on first use, with the configuration of that request (the same for every request). */
struct password_support_state {
	pthread_mutex_t mu;
	struct ratelimit *limiter;
};

static struct password_support_state password_support_state = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
};

static struct ratelimit *
password_support_limiter(const struct config *cfg)
{
	struct ratelimit *rl;

	pthread_mutex_lock(&password_support_state.mu);
	if (password_support_state.limiter == NULL)
		password_support_state.limiter =
		    ratelimit_new(cfg->api_rate_limit_points, cfg->api_rate_limit_window_s * 1000,
		                  cfg->api_rate_limit_block_s * 1000, NULL, NULL);
	rl = password_support_state.limiter;
	pthread_mutex_unlock(&password_support_state.mu);
	return rl;
}

struct err *
password_support_ratelimit(struct api_ctx *c, int cost)
{
	if (!c->cfg->api_rate_limit || !c->cfg->production)
		return NULL;
	if (ratelimit_consume(password_support_limiter(c->cfg), c->client_ip, cost, NULL))
		return NULL;
	return err_new("server.internal.rateLimit", 429, NULL);
}

void
password_support_ctx(struct api_ctx *c, struct authctx *ctx)
{
	cJSON *meta = api_tenant_metadata(c);

	arena_defer(c->arena, (void (*)(void *))cJSON_Delete, meta);
	ctx->db = c->db;
	ctx->cfg = c->cfg;
	ctx->tenant_id = c->has_tenant ? c->tenant.tenant->id : "";
	ctx->tenant_meta = meta;
}

static struct err *
password_support_device(struct api_ctx *c, const char *session_id)
{
	const cJSON *dev = cJSON_GetObjectItemCaseSensitive(c->body, "device");
	const cJSON *push;
	char *push_text = NULL;
	const char *params[5];
	struct err *e;

	if (!cJSON_IsObject(dev))
		return NULL;
	push = cJSON_GetObjectItemCaseSensitive(dev, "webPushInformation");
	if (cJSON_IsObject(push))
		push_text = json_print(push);
	params[0] = session_id;
	params[1] = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(dev, "name"));
	params[2] = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(dev, "platform"));
	params[3] =
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(dev, "notificationToken"));
	params[4] = push_text;
	e = pg_exec(c->db,
	            "INSERT INTO \"device\" (session, name, platform, \"notificationToken\", "
	            "\"webPushInformation\") VALUES ($1, $2, $3, $4, $5::jsonb)",
	            5, params);
	free(push_text);
	return e;
}

struct err *
password_support_login_session(struct api_ctx *c, const cJSON *data, cJSON **response)
{
	struct session_tokens tokens;
	char session_id[UUID_STR_LEN];
	struct err *e;

	e = session_create(c->db, api_session_settings(c), data, &tokens, session_id);
	if (e == NULL)
		e = password_support_device(c, session_id);
	if (e != NULL)
		return e;
	*response = json_object();
	cJSON_AddStringToObject(*response, "accessToken", tokens.access);
	cJSON_AddStringToObject(*response, "refreshToken", tokens.refresh);
	return NULL;
}

cJSON *
password_support_success(void)
{
	cJSON *r = json_object();

	cJSON_AddBoolToObject(r, "success", 1);
	return r;
}

struct err *
password_support_finish_login(struct api_ctx *c, struct err *e, cJSON *data, cJSON **response)
{
	if (e == NULL)
		e = password_support_login_session(c, data, response);
	cJSON_Delete(data);
	if (e == NULL)
		e = pg_commit(c->db);
	if (e != NULL) {
		pg_rollback(c->db);
		cJSON_Delete(*response);
		*response = NULL;
	}
	return e;
}
