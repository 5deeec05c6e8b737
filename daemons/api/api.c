/* Request helpers for handlers: tenant, session, user and permission requirements,
 * and job enqueueing on the request's connection. */
#include "api.h"

#include "httpio.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "json.h"
#include "pg.h"

struct err *
api_defer(struct api_ctx *c, api_work_fn work, api_done_fn done, void *arg)
{
	if (c->deferred)
		return err_internal("route %s: api_defer called twice", c->route->name);
	c->deferred = true;
	c->defer_work = work;
	c->defer_done = done;
	c->defer_arg = arg;
	return NULL;
}

const char *
api_param(const struct api_ctx *c, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->params, name));
}

const char *
api_header(const struct api_ctx *c, const char *name)
{
	return httpio_req_header(c->req, name);
}

const struct session_settings *
api_session_settings(const struct api_ctx *c)
{
	return &c->server->session;
}

bool
api_is_development(const struct api_ctx *c)
{
	return !c->cfg->production;
}

/* The scheme of the request as the template sees it (forwarded only behind a trusted
 * proxy in production). */
static const char *
api_protocol(const struct api_ctx *c)
{
	const char *fwd = api_header(c, "X-Forwarded-Proto");

	if (c->cfg->production && c->cfg->api_trust_proxy && fwd != NULL &&
	    strncmp(fwd, "https", 5) == 0)
		return "https";
	return "http";
}

struct err *
api_require_tenant(struct api_ctx *c)
{
	struct err *e;

	if (c->has_tenant)
		return NULL;
	e = tenant_resolve(c->server->tenants, c->server->dev_allowed, api_protocol(c),
	                   api_header(c, "Host"), api_header(c, "Origin"),
	                   api_header(c, "x-lpc-tenant-origin"), &c->tenant);
	c->has_tenant = e == NULL;
	return e;
}

struct err *
api_require_session(struct api_ctx *c)
{
	struct err *e;

	if (c->has_session)
		return NULL;
	e = session_load(c->db, &c->server->session,
	                 session_bearer_token(api_header(c, "Authorization")), &c->session);
	c->has_session = e == NULL;
	return e;
}

/* Session and user validity in one statement ($1 token id, $2 tenant id). */
static struct err *
api_load_session_user(struct api_ctx *c, bool *user_ok)
{
	char token_id[UUID_STR_LEN];
	const char *params[2] = { token_id, c->tenant.tenant->id };
	struct err *e = session_verify_access(
	    &c->server->session, session_bearer_token(api_header(c, "Authorization")), token_id);
	PGresult *r;

	if (e != NULL)
		return e;
	r = pg_query_prepared(c->db, "api_session_user", 2, params, &e);
	if (r == NULL)
		return e;
	e = session_from_result(r, token_id, &c->session);
	if (e == NULL) {
		c->has_session = true;
		*user_ok = pg_get_bool(r, 0, 5);
	}
	PQclear(r);
	return e;
}

static struct err *
api_check_user(struct api_ctx *c, bool *user_ok)
{
	const char *uid =
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->session.data, "userId"));
	const char *params[2] = { uid, c->tenant.tenant->id };
	struct err *e = NULL;
	PGresult *r;

	*user_ok = false;
	if (uid == NULL || !uuid_normalize(uid, c->user.id))
		return NULL;
	params[0] = c->user.id;
	r = pg_query_prepared(c->db, "api_user_valid", 2, params, &e);
	if (r == NULL)
		return e;
	*user_ok = PQntuples(r) == 1 && pg_get_bool(r, 0, 0);
	PQclear(r);
	return NULL;
}

struct err *
api_require_user_any(struct api_ctx *c)
{
	const char *uid;
	bool ok = false;
	struct err *e;

	if (c->has_user)
		return NULL;
	e = api_require_tenant(c);
	if (e == NULL)
		e = c->has_session ? api_check_user(c, &ok) : api_load_session_user(c, &ok);
	if (e != NULL)
		return e;
	uid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->session.data, "userId"));
	if (!ok || uid == NULL || !uuid_normalize(uid, c->user.id))
		return err_new("auth.requireUser.invalidUser", 401, NULL);
	c->has_user = true;
	return NULL;
}

struct err *
api_require_user(struct api_ctx *c)
{
	struct err *e = api_require_user_any(c);
	const char *type;
	cJSON *info;

	if (e != NULL)
		return e;
	type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->session.data, "type"));
	if (type != NULL && strcmp(type, "user") == 0)
		return NULL;
	info = json_object();
	cJSON_AddStringToObject(info, "expectedType", "user");
	return err_new("auth.requireUser.incorrectSessionType", 400, info);
}

struct err *
api_require_login_type(struct api_ctx *c, const char *login_type)
{
	const char *lt;
	cJSON *info;

	if (!c->has_session)
		return err_internal("api_require_login_type without a session");
	lt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->session.data, "loginType"));
	if (lt != NULL && strcmp(lt, login_type) == 0)
		return NULL;
	info = json_object();
	cJSON_AddStringToObject(info, "expectedLoginType", login_type);
	return err_new("auth.requireUser.incorrectLoginType", 400, info);
}

struct err *
api_require_permission(struct api_ctx *c, const char *permission)
{
	const char *params[3];
	struct err *e = api_require_user(c);
	PGresult *r;
	bool ok;
	cJSON *info, *missing;

	if (e != NULL)
		return e;
	params[0] = c->user.id;
	params[1] = c->tenant.tenant->id;
	params[2] = permission;
	r = pg_query_prepared(c->db, "api_has_permission", 3, params, &e);
	if (r == NULL)
		return e;
	ok = pg_get_bool(r, 0, 0);
	PQclear(r);
	if (ok)
		return NULL;
	info = json_object();
	missing = json_array();
	cJSON_AddItemToArray(missing, cJSON_CreateString(permission));
	cJSON_AddItemToObject(info, "missingPermissions", missing);
	return err_new("auth.requireUser.missingPermissions", 400, info);
}

struct err *
api_job_enqueue(struct api_ctx *c, const char *name, const cJSON *data, int priority)
{
	char prio[16];
	char *json = data != NULL ? json_print(data) : NULL;
	const char *params[3] = { name, prio, json != NULL ? json : "{}" };
	struct err *e;

	snprintf(prio, sizeof(prio), "%d", priority);
	e = pg_exec(c->db, "INSERT INTO job (name, priority, data) VALUES ($1, $2::int, $3::jsonb)",
	            3, params);
	free(json);
	return e;
}

cJSON *
api_tenant_metadata(const struct api_ctx *c)
{
	cJSON *t = json_object();

	cJSON_AddStringToObject(t, "id", c->has_tenant ? c->tenant.tenant->id : "");
	cJSON_AddStringToObject(t, "publicUrl", c->tenant.public_url);
	cJSON_AddStringToObject(t, "apiUrl", c->tenant.api_url);
	return t;
}

PGresult *
api_query_cached(struct api_ctx *c, const char *name, const char *sql, int nparams,
                 const char *const *params, struct err **errp)
{
	struct api_worker *w = c->worker;
	bool found = false;

	for (size_t i = 0; i < w->nprepared && !found; i++)
		found = strcmp(w->prepared[i], name) == 0;
	if (!found) {
		*errp = pg_prepare(c->db, name, sql, nparams);
		if (*errp != NULL)
			return NULL;
		if (w->nprepared < sizeof(w->prepared) / sizeof(w->prepared[0]))
			w->prepared[w->nprepared++] = name;
	}
	return pg_query_prepared(c->db, name, nparams, params, errp);
}
