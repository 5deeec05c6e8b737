/* /auth core routes: me, refresh-tokens, logout, impersonate-stop-session (seed §6.3). */
#include "routes.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "http.h"
#include "pg.h"
#include "textcache.h"
#include "timeutil.h"
#include "user_summary.h"

/* One light statement per uncached /auth/me: session by access token id ($1) with its
 * revocation state, whether its user is valid in tenant $2, the user id, the summary
 * epoch (migration 006), and the times at which a cached answer must end: the token's
 * revocation when it lies ahead (the refresh grace) and the user's deletion date. */
static const char auth_sql_me[] =
    "SELECT " SESSION_COLUMNS ", u.id IS NOT NULL, u.id, "
    "(SELECT e.value FROM \"platformSummaryEpoch\" e WHERE e.id = 1), "
    "(extract(epoch FROM t.\"revokedAt\") * 1000)::bigint, "
    "(extract(epoch FROM u.\"deletedAt\") * 1000)::bigint "
    "FROM \"sessionStoreToken\" t JOIN \"sessionStore\" s ON s.id = t.session "
    "LEFT JOIN \"user\" u ON u.id = " API_SESSION_USER_ID
    " AND (u.\"deletedAt\" IS NULL OR u.\"deletedAt\" > now()) AND EXISTS (SELECT 1 FROM "
    "\"userTenant\" ut WHERE ut.\"user\" = u.id AND ut.tenant = $2::uuid) "
    "WHERE t.id = $1 AND t.\"refreshToken\" IS NOT NULL";

/* On a cache miss: the summary of user $1 in tenant $2 with the epoch it was computed
 * under, in one snapshot. */
static const char auth_sql_me_summary[] =
    "SELECT (SELECT e.value FROM \"platformSummaryEpoch\" e WHERE e.id = 1), " USER_SUMMARY_SQL(
        "$2") " FROM \"user\" u WHERE u.id = $1::uuid";

/* The user summary JSON text of user_id in the request's tenant: from the worker's cache
 * while the epoch is unchanged, else computed and cached. *json is owned by the cache. */
static struct err *
auth_me_summary(struct api_ctx *c, const char *user_id, int64_t epoch, const char **json)
{
	struct textcache *tc = &c->worker->summaries;
	const char *params[2] = { user_id, c->tenant.tenant->id };
	char key[80];
	struct err *e = NULL;
	size_t len;
	PGresult *r;

	snprintf(key, sizeof(key), "%s/%s", user_id, c->tenant.tenant->id);
	*json = textcache_get(tc, epoch, key, 0, &len);
	if (*json != NULL)
		return NULL;
	r = api_query_cached(c, "auth_me_summary", auth_sql_me_summary, 2, params, &e);
	if (r == NULL)
		return e;
	if (PQntuples(r) == 1 && !pg_is_null(r, 0, 1)) {
		epoch = pg_get_int64(r, 0, 0);
		textcache_put(tc, epoch, key, pg_get(r, 0, 1), strlen(pg_get(r, 0, 1)), INT64_MAX);
		*json = textcache_get(tc, epoch, key, 0, &len);
	}
	PQclear(r);
	return NULL;
}

/* Until when an answer made now may be served from the cache. */
static int64_t
auth_me_expiry(const struct api_ctx *c, const PGresult *r, int64_t now)
{
	int64_t until = now + c->cfg->api_auth_cache_ms;

	for (int col = 8; col <= 9; col++)
		if (!pg_is_null(r, 0, col) && pg_get_int64(r, 0, col) < until)
			until = pg_get_int64(r, 0, col);
	return until;
}

/* The answer from the database: *text (malloc'd) and until when it may be cached. */
static struct err *
auth_me_load(struct api_ctx *c, const char *token_id, char **text, int64_t *until)
{
	const char *params[2] = { token_id, c->tenant.tenant->id };
	char user_id[UUID_STR_LEN];
	const char *summary = NULL;
	struct err *e = NULL;
	int64_t epoch;
	bool with_user;
	cJSON *resp;
	PGresult *r = api_query_cached(c, "auth_me", auth_sql_me, 2, params, &e);

	if (r == NULL)
		return e;
	e = session_from_result(r, token_id, &c->session);
	if (e == NULL && !pg_get_bool(r, 0, 5))
		e = err_new("auth.requireUser.invalidUser", 401, NULL);
	if (e != NULL) {
		PQclear(r);
		return e;
	}
	/* the user is omitted during two-step and for non-user sessions (seed-api §6.3) */
	with_user =
	    strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->session.data, "type"))
	               ?: "",
	           "user") == 0;
	snprintf(user_id, sizeof(user_id), "%s", pg_get(r, 0, 6));
	epoch = pg_get_int64(r, 0, 7);
	*until = auth_me_expiry(c, r, timeutil_now_ms());
	PQclear(r);
	c->has_session = true;
	if (with_user && (e = auth_me_summary(c, user_id, epoch, &summary)) != NULL)
		return e;
	resp = json_object();
	cJSON_AddItemReferenceToObject(resp, "session", c->session.data);
	if (summary != NULL)
		cJSON_AddItemToObject(resp, "user", cJSON_Parse(summary));
	*text = json_print(resp);
	cJSON_Delete(resp);
	return NULL;
}

/* The access token is verified (signature, expiry) on every request; what the database
 * says about it comes from the worker's cache while nothing notified a change (see
 * api.auth_cache_ms and migration 007). The generation is read before the statement, so
 * an answer loaded while a change commits is stored as already stale. */
static struct err *
auth_me(struct api_ctx *c, cJSON **response)
{
	char token_id[UUID_STR_LEN], key[80];
	int64_t generation = atomic_load(&c->server->auth_generation), until = 0, now;
	struct err *e =
	    session_verify_access(api_session_settings(c),
	                          session_bearer_token(api_header(c, "Authorization")), token_id);
	const char *hit;
	char *text = NULL;
	size_t len;

	(void)response;
	if (e != NULL)
		return e;
	now = timeutil_now_ms();
	snprintf(key, sizeof(key), "%s/%s", token_id, c->tenant.tenant->id);
	hit = c->cfg->api_auth_cache_ms > 0
	          ? textcache_get(&c->worker->me, generation, key, now, &len)
	          : NULL;
	if (hit == NULL) {
		e = auth_me_load(c, token_id, &text, &until);
		if (e != NULL)
			return e;
		len = strlen(text);
		if (c->cfg->api_auth_cache_ms > 0)
			textcache_put(&c->worker->me, generation, key, text, len, until);
		hit = text;
	}
	c->raw_response = arena_strndup(c->arena, hit, len);
	c->raw_len = len;
	free(text);
	return NULL;
}

static struct err *
auth_refresh_tokens(struct api_ctx *c, cJSON **response)
{
	struct session_tokens t;
	const char *token =
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->body, "refreshToken"));
	struct err *e = session_refresh(c->db, api_session_settings(c), token, &t);

	if (e != NULL)
		return e;
	*response = json_object();
	cJSON_AddStringToObject(*response, "accessToken", t.access);
	cJSON_AddStringToObject(*response, "refreshToken", t.refresh);
	return NULL;
}

static cJSON *
auth_success(void)
{
	cJSON *o = json_object();

	cJSON_AddTrueToObject(o, "success");
	return o;
}

/* Idempotent: a missing or invalid token is ignored. */
static struct err *
auth_logout(struct api_ctx *c, cJSON **response)
{
	struct err *e = api_require_session(c);

	if (e == NULL)
		e = session_delete(c->db, c->session.id);
	if (e != NULL && e->status == 500) {
		return e;
	}
	err_free(e);
	*response = auth_success();
	return NULL;
}

static struct err *
auth_impersonate_stop(struct api_ctx *c, cJSON **response)
{
	cJSON *imp = cJSON_GetObjectItemCaseSensitive(c->session.data, "impersonatorUserId");
	struct err *e;

	if (!cJSON_IsString(imp))
		return err_new("authImpersonate.stopSession.invalid", 400, NULL);
	cJSON_ReplaceItemInObjectCaseSensitive(c->session.data, "userId",
	                                       cJSON_CreateString(imp->valuestring));
	cJSON_DeleteItemFromObjectCaseSensitive(c->session.data, "impersonatorUserId");
	e = session_update(c->db, &c->session);
	if (e != NULL)
		return e;
	*response = auth_success();
	return NULL;
}

static const struct schema auth_refresh_body =
    SCHEMA_OBJECT(SCHEMA_FIELD("refreshToken", SCHEMA_STRING()));

static const struct api_route routes[] = {
	{ "GET", "/auth/me", "router.auth.me", auth_me, "tenant", NULL, NULL, NULL },
	{ "POST", "/auth/refresh-tokens", "router.auth.refreshTokens", auth_refresh_tokens, "none",
	  NULL, NULL, &auth_refresh_body },
	{ "POST", "/auth/logout", "router.auth.logout", auth_logout, "none", NULL, NULL, NULL },
	{ "POST", "/auth/impersonate-stop-session", "router.auth.impersonateStopSession",
	  auth_impersonate_stop, "bearer", NULL, NULL, NULL },
};

const struct api_route_group routes_auth = API_ROUTE_GROUP(routes);
