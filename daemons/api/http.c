/* HTTP core: workers, the request pipeline (limits, CORS, routing, body, validation,
 * access, handler, render, request log) and graceful draining on shutdown. */
#include "http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "api.h"
#include "fatal.h"
#include "json.h"
#include "pg.h"
#include "timeutil.h"
#include "uuid.h"

/* Session + "the user exists, is not deleted and is linked to tenant $2". */
static const char http_sql_session_user[] =
    "SELECT " SESSION_COLUMNS ", EXISTS (SELECT 1 FROM \"user\" u JOIN \"userTenant\" ut "
    "ON ut.\"user\" = u.id AND ut.tenant = $2::uuid "
    "WHERE u.id = " API_SESSION_USER_ID " AND (u.\"deletedAt\" IS NULL OR "
    "u.\"deletedAt\" > now())) FROM " SESSION_FROM;

static const char http_sql_user_valid[] =
    "SELECT EXISTS (SELECT 1 FROM \"user\" u JOIN \"userTenant\" ut ON ut.\"user\" = u.id "
    "AND ut.tenant = $2::uuid WHERE u.id = $1::uuid AND (u.\"deletedAt\" IS NULL OR "
    "u.\"deletedAt\" > now()))";

/* DECISIONS §13.3: roles of the current tenant and global roles only. */
static const char http_sql_has_permission[] =
    "SELECT EXISTS (SELECT 1 FROM \"userRole\" ur JOIN role r ON r.id = ur.role "
    "JOIN \"rolePermission\" rp ON rp.role = r.id JOIN permission p ON p.id = rp.permission "
    "WHERE ur.\"user\" = $1::uuid AND (r.tenant = $2::uuid OR r.tenant IS NULL) "
    "AND p.identifier = $3)";

struct err *
http_prepare(PGconn *db)
{
	struct err *e = session_prepare(db);

	if (e == NULL)
		e = pg_prepare(db, "api_session_user", http_sql_session_user, 2);
	if (e == NULL)
		e = pg_prepare(db, "api_user_valid", http_sql_user_valid, 2);
	if (e == NULL)
		e = pg_prepare(db, "api_has_permission", http_sql_has_permission, 3);
	return e;
}

static const char *
http_method_name(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_OPTIONS:
		return "OPTIONS";
	case EVHTTP_REQ_TRACE:
		return "TRACE";
	case EVHTTP_REQ_CONNECT:
		return "CONNECT";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	}
	return "UNKNOWN";
}

/* ---- connection accounting (api.max_connections) ---- */

static void
http_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct api_worker *w = arg;

	for (size_t i = 0; i < w->nconns; i++) {
		if (w->conns[i] != evcon)
			continue;
		w->conns[i] = w->conns[--w->nconns];
		atomic_fetch_sub(&w->server->connections, 1);
		return;
	}
}

/* Register evcon on its first request; false when over the limit. */
static bool
http_conn_admit(struct api_worker *w, struct evhttp_connection *evcon)
{
	for (size_t i = 0; i < w->nconns; i++)
		if (w->conns[i] == evcon)
			return true;
	if (atomic_fetch_add(&w->server->connections, 1) >= w->server->cfg->api_max_connections) {
		atomic_fetch_sub(&w->server->connections, 1);
		return false;
	}
	if (w->nconns == w->capconns) {
		w->capconns = w->capconns ? w->capconns * 2 : 64;
		w->conns = realloc(w->conns, w->capconns * sizeof(*w->conns));
		if (w->conns == NULL)
			fatal_oom();
	}
	w->conns[w->nconns++] = evcon;
	evhttp_connection_set_closecb(evcon, http_conn_closed, w);
	return true;
}

/* ---- responses ---- */

static void
http_default_headers(struct api_ctx *c)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);

	evhttp_add_header(h, "X-DNS-Prefetch-Control", "off");
	evhttp_add_header(h, "Strict-Transport-Security", "max-age=5184000; includeSubDomains");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Vary", "Origin");
	evhttp_add_header(h, "X-Request-Id", c->request_id);
	if (c->worker->draining)
		evhttp_add_header(h, "Connection", "close");
}

static size_t
http_send_json(struct api_ctx *c, int status, const cJSON *body)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(c->req);
	char *text = json_print(body);
	size_t len = strlen(text);

	evhttp_add_header(evhttp_request_get_output_headers(c->req), "Content-Type",
	                  "application/json; charset=utf-8");
	evbuffer_add(out, text, len);
	free(text);
	evhttp_send_reply(c->req, status, status < 400 ? "OK" : "Error", NULL);
	return len;
}

static void
http_log_error(struct api_ctx *c, const struct err *e)
{
	cJSON *ctx = json_object(), *msg = json_object();

	cJSON_AddStringToObject(ctx, "type", "http");
	cJSON_AddStringToObject(ctx, "requestId", c->request_id);
	cJSON_AddStringToObject(msg, "type", "api_error");
	cJSON_AddItemToObject(msg, "error", err_to_log(e));
	log_json(c->log, e->status >= 500 ? LOG_ERROR : LOG_INFO, ctx, msg);
	cJSON_Delete(ctx);
}

/* Render and free e; returns the body length. */
static size_t
http_send_error(struct api_ctx *c, struct err *e)
{
	cJSON *body = err_render(e, c->request_id, c->cfg->production);
	size_t len;

	http_log_error(c, e);
	len = http_send_json(c, e->status, body);
	cJSON_Delete(body);
	err_free(e);
	return len;
}

/* ---- CORS (seed-api §1.6) ---- */

static bool
http_origin_allowed(const struct api_ctx *c, const char *origin)
{
	const struct tenant_config *tc = c->server->tenants;
	const char *env = c->cfg->backend_env;

	if (origin == NULL)
		return false;
	if (env != NULL && (strcmp(env, "development") == 0 || strcmp(env, "acceptance") == 0) &&
	    strncmp(origin, "http://localhost:", 17) == 0)
		return true;
	for (size_t i = 0; i < tc->ntenants; i++)
		for (size_t j = 0; j < tc->tenants[i].nurls; j++) {
			const char *pu = tc->tenants[i].urls[j].public_url;
			const char *scheme =
			    strncmp(pu, "localhost", 9) == 0 ? "http://" : "https://";
			size_t sl = strlen(scheme);

			if (strncmp(origin, scheme, sl) == 0 && strcmp(origin + sl, pu) == 0)
				return true;
		}
	return false;
}

/* Adds CORS headers; returns true when the request was a preflight (answered 204). */
static bool
http_cors(struct api_ctx *c, enum evhttp_cmd_type cmd)
{
	const char *origin = api_header(c, "Origin");
	struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
	const char *req_method, *req_headers;

	if (!http_origin_allowed(c, origin))
		return false;
	evhttp_add_header(h, "Access-Control-Allow-Origin", origin);
	evhttp_add_header(h, "Access-Control-Allow-Credentials", "true");
	req_method = api_header(c, "Access-Control-Request-Method");
	if (cmd != EVHTTP_REQ_OPTIONS || req_method == NULL)
		return false;
	evhttp_add_header(h, "Access-Control-Max-Age", "7200");
	evhttp_add_header(h, "Access-Control-Allow-Methods",
	                  "GET,PUT,POST,PATCH,DELETE,HEAD,OPTIONS");
	req_headers = api_header(c, "Access-Control-Request-Headers");
	if (req_headers != NULL)
		evhttp_add_header(h, "Access-Control-Allow-Headers", req_headers);
	evhttp_send_reply(c->req, 204, "No Content", NULL);
	return true;
}

/* ---- input ---- */

/* arena_defer callback (a cast of cJSON_Delete would call it through the wrong type). */
static void
http_json_free(void *p)
{
	cJSON_Delete(p);
}

static int
http_hex(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Percent-decode s into the arena; NULL on a bad escape. */
static char *
http_decode(struct arena *a, const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = arena_alloc(a, n + 1);

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= n)
			return NULL;
		if (http_hex((unsigned char)s[i + 1]) < 0 || http_hex((unsigned char)s[i + 2]) < 0)
			return NULL;
		out[o++] = (char)(http_hex((unsigned char)s[i + 1]) * 16 +
		                  http_hex((unsigned char)s[i + 2]));
		i += 2;
	}
	out[o] = '\0';
	return out;
}

static struct err *
http_params(struct api_ctx *c, const struct router_match *m)
{
	cJSON *p = json_object();

	arena_defer(c->arena, http_json_free, p);
	for (size_t i = 0; i < m->nparams; i++) {
		char *v = http_decode(c->arena, m->values[i]);

		if (v == NULL) {
			cJSON *info = json_object();

			cJSON_AddStringToObject(info, "key", m->names[i]);
			cJSON_AddStringToObject(info, "value", m->values[i]);
			return err_new("router.param.invalidEncoding", 400, info);
		}
		cJSON_AddStringToObject(p, m->names[i], v);
	}
	c->params = p;
	return NULL;
}

static cJSON *
http_query_object(struct api_ctx *c)
{
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(c->req));
	struct evkeyvalq kv;
	struct evkeyval *it;
	cJSON *o = json_object();

	if (q == NULL || evhttp_parse_query_str(q, &kv) != 0)
		return o;
	TAILQ_FOREACH(it, &kv, next)
	{
		cJSON_DeleteItemFromObjectCaseSensitive(o, it->key); /* last one wins */
		cJSON_AddStringToObject(o, it->key, it->value);
	}
	evhttp_clear_headers(&kv);
	return o;
}

static bool
http_is_json(const char *ct)
{
	if (ct == NULL)
		return false;
	return strncasecmp(ct, "application/json", 16) == 0 ||
	       strncasecmp(ct, "application/vnd.api+json", 24) == 0 ||
	       strncasecmp(ct, "application/csp-report", 22) == 0 ||
	       strncasecmp(ct, "application/json-patch+json", 27) == 0;
}

/* Parse the JSON body (NULL when there is none or it is not JSON). */
static struct err *
http_body(struct api_ctx *c, enum evhttp_cmd_type cmd, cJSON **body)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(c->req);
	size_t len = evbuffer_get_length(in);
	struct err *e = NULL;
	const char *raw;

	*body = NULL;
	if (cmd != EVHTTP_REQ_POST && cmd != EVHTTP_REQ_PUT && cmd != EVHTTP_REQ_PATCH)
		return NULL;
	if (len == 0 || !http_is_json(api_header(c, "Content-Type")))
		return NULL;
	raw = (const char *)evbuffer_pullup(in, -1);
	*body = json_parse(raw, len, &e);
	if (*body != NULL)
		arena_defer(c->arena, http_json_free, *body);
	return e;
}

static struct err *
http_validate_group(struct api_ctx *c, const struct schema *s, const cJSON *in, cJSON **out)
{
	struct err *e = NULL;

	*out = validate(s, in, &e);
	if (*out != NULL)
		arena_defer(c->arena, http_json_free, *out);
	return e;
}

static struct err *
http_input(struct api_ctx *c, enum evhttp_cmd_type cmd, const struct router_match *m)
{
	const struct api_route *rt = m->route;
	struct err *e = http_params(c, m);
	cJSON *body = NULL, *params, *query;

	if (e == NULL && (rt->body != NULL || rt->query != NULL))
		e = http_body(c, cmd, &body);
	if (e == NULL && rt->params != NULL) {
		e = http_validate_group(c, rt->params, c->params, &params);
		c->params = params;
	}
	if (e == NULL && rt->query != NULL) {
		cJSON *raw = http_query_object(c);

		arena_defer(c->arena, http_json_free, raw);
		e = http_validate_group(c, rt->query, raw, &query);
		c->query = query;
	}
	if (e == NULL && rt->body != NULL)
		e = http_validate_group(c, rt->body, body, &c->body);
	return e;
}

/* ---- access ---- */

static struct err *
http_access(struct api_ctx *c)
{
	const char *a = c->route->access;

	if (strcmp(a, "none") == 0)
		return NULL;
	if (strcmp(a, "bearer") == 0)
		return api_require_session(c);
	if (strcmp(a, "development") == 0)
		return c->cfg->production ? err_new("error.server.notFound", 404, NULL) : NULL;
	if (strcmp(a, "tenant") == 0)
		return api_require_tenant(c);
	if (strcmp(a, "session") == 0)
		return api_require_user_any(c);
	if (strcmp(a, "user") == 0)
		return api_require_user(c);
	if (strncmp(a, "perm:", 5) == 0)
		return api_require_permission(c, a + 5);
	return err_internal("route %s: unknown access rule %s", c->route->path, a);
}

/* ---- the pipeline ---- */

static void
http_client_ip(struct api_ctx *c)
{
	char *addr = NULL;
	ev_uint16_t port = 0;
	const char *xff = api_header(c, "X-Forwarded-For");

	if (c->cfg->production && c->cfg->api_trust_proxy && xff != NULL) {
		size_t n = strcspn(xff, ", ");

		snprintf(c->client_ip, sizeof(c->client_ip), "%.*s", (int)n, xff);
		return;
	}
	evhttp_connection_get_peer(evhttp_request_get_connection(c->req), &addr, &port);
	snprintf(c->client_ip, sizeof(c->client_ip), "%s", addr != NULL ? addr : "");
}

static size_t
http_headers_size(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	struct evkeyval *it;
	size_t n = strlen(evhttp_request_get_uri(req)) + 16;

	TAILQ_FOREACH(it, h, next)
	n += strlen(it->key) + strlen(it->value) + 4;
	return n;
}

static void
http_db_check(struct api_worker *w)
{
	struct err *e;

	if (PQstatus(w->db) == CONNECTION_OK)
		return;
	PQreset(w->db);
	w->nprepared = 0;
	if (PQstatus(w->db) != CONNECTION_OK)
		return;
	e = http_prepare(w->db);
	if (e != NULL) {
		log_error(w->server->log, "api.db", "re-prepare after reconnect: %s", e->message);
		err_free(e);
	}
}

/* Run route + handler; returns the response length. */
static size_t
http_dispatch(struct api_ctx *c, enum evhttp_cmd_type cmd, const char *path, int *status)
{
	struct router_match m;
	struct err *e;
	cJSON *resp = NULL;
	size_t len;

	if (!router_match(c->server->router, c->method, path, &m)) {
		*status = 404;
		return http_send_error(c, err_new("error.server.notFound", 404, NULL));
	}
	c->route = m.route;
	http_db_check(c->worker);
	e = http_input(c, cmd, &m);
	if (e == NULL)
		e = http_access(c);
	if (e == NULL)
		e = c->route->handler(c, &resp);
	if (PQtransactionStatus(c->db) != PQTRANS_IDLE) {
		pg_rollback(c->db);
		if (e == NULL)
			e = err_internal("route %s left a transaction open", c->route->name);
	}
	if (e != NULL) {
		cJSON_Delete(resp);
		*status = e->status;
		return http_send_error(c, e);
	}
	if (resp == NULL)
		resp = json_object();
	*status = 200;
	len = http_send_json(c, 200, resp);
	cJSON_Delete(resp);
	return len;
}

static void
http_log_request(struct api_ctx *c, int status, size_t req_len, size_t resp_len, int64_t t0)
{
	cJSON *ctx = json_object(), *msg = json_object(), *rq = json_object(), *rs = json_object();

	cJSON_AddStringToObject(ctx, "type", "http");
	cJSON_AddStringToObject(ctx, "requestId", c->request_id);
	cJSON_AddNumberToObject(rq, "length", (double)req_len);
	cJSON_AddStringToObject(rq, "method", c->method);
	if (c->route != NULL)
		cJSON_AddStringToObject(rq, "eventName", c->route->name);
	if (c->params != NULL && cJSON_GetArraySize(c->params) > 0)
		cJSON_AddItemToObject(rq, "params", cJSON_Duplicate(c->params, true));
	cJSON_AddNumberToObject(rs, "duration", (double)(timeutil_monotonic_ms() - t0));
	cJSON_AddNumberToObject(rs, "length", (double)resp_len);
	cJSON_AddNumberToObject(rs, "status", status);
	cJSON_AddItemToObject(msg, "request", rq);
	cJSON_AddItemToObject(msg, "response", rs);
	log_json(c->log, LOG_INFO, ctx, msg);
	cJSON_Delete(ctx);
}

static void
http_request_done(struct evhttp_request *req, void *arg)
{
	struct api_worker *w = arg;

	(void)req;
	w->inflight--;
}

static bool
http_limits(struct api_ctx *c, size_t body_len, int *status, size_t *resp_len)
{
	const struct config *cfg = c->cfg;
	struct err *e = NULL;

	if (!http_conn_admit(c->worker, evhttp_request_get_connection(c->req)))
		e = err_new("error.server.tooManyConnections", 503, NULL);
	else if ((int64_t)http_headers_size(c->req) > cfg->api_max_header_bytes)
		e = err_new("error.server.headersTooLarge", 431, NULL);
	else if ((int64_t)body_len > cfg->api_max_body_bytes)
		e = err_new("error.server.maxFieldSize", 413, NULL);
	if (e == NULL)
		return false;
	if (e->status == 503 || e->status == 431)
		evhttp_add_header(evhttp_request_get_output_headers(c->req), "Connection", "close");
	*status = e->status;
	*resp_len = http_send_error(c, e);
	return true;
}

static void
http_on_request(struct evhttp_request *req, void *arg)
{
	struct api_worker *w = arg;
	struct api_server *srv = w->server;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	size_t body_len = evbuffer_get_length(evhttp_request_get_input_buffer(req)), resp_len = 0;
	int64_t t0 = timeutil_monotonic_ms();
	int status = 0;
	struct api_ctx c = { 0 };

	w->inflight++;
	evhttp_request_set_on_complete_cb(req, http_request_done, w);
	if (path != NULL && strcmp(path, "/_health") == 0) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
		                  "text/plain");
		evhttp_send_reply(req, 200, "OK", NULL);
		return;
	}
	arena_reset(w->arena);
	c.arena = w->arena;
	c.db = w->db;
	c.cfg = srv->cfg;
	c.log = srv->log;
	c.worker = w;
	c.server = srv;
	c.req = req;
	c.method = http_method_name(cmd);
	uuid_v4(c.request_id);
	http_client_ip(&c);
	http_default_headers(&c);
	if (http_limits(&c, body_len, &status, &resp_len)) {
		/* answered */
	} else if (http_cors(&c, cmd)) {
		status = 204;
	} else if (path == NULL) {
		status = 404;
		resp_len = http_send_error(&c, err_new("error.server.notFound", 404, NULL));
	} else {
		resp_len = http_dispatch(&c, cmd, path, &status);
	}
	http_log_request(&c, status, body_len, resp_len, t0);
	session_clear(&c.session);
	arena_reset(w->arena);
}

/* ---- workers and draining ---- */

static void
http_drain_check(evutil_socket_t fd, short what, void *arg)
{
	struct api_worker *w = arg;

	(void)fd;
	(void)what;
	if (w->inflight <= 0 || timeutil_monotonic_ms() >= w->drain_deadline_ms)
		event_base_loopexit(w->base, NULL);
}

static void
http_on_shutdown(evutil_socket_t fd, short what, void *arg)
{
	struct api_worker *w = arg;
	struct timeval tv = { 0, 20 * 1000 };

	(void)fd;
	(void)what;
	if (w->draining)
		return;
	w->draining = true;
	w->drain_deadline_ms =
	    timeutil_monotonic_ms() + w->server->cfg->api_shutdown_timeout_s * 1000;
	if (w->bound != NULL) {
		evhttp_del_accept_socket(w->http, w->bound);
		w->bound = NULL;
	}
	w->drain_timer = event_new(w->base, -1, EV_PERSIST, http_drain_check, w);
	event_add(w->drain_timer, &tv);
}

static void *
http_worker_main(void *arg)
{
	struct api_worker *w = arg;

	event_base_dispatch(w->base);
	atomic_fetch_add(&w->server->stopped_workers, 1);
	return NULL;
}

static struct err *
http_bind(struct api_worker *w)
{
	const struct config *cfg = w->server->cfg;
	struct sockaddr_in sa = { .sin_family = AF_INET,
		                  .sin_port = htons((uint16_t)cfg->api_port) };
	struct evconnlistener *l;

	if (inet_pton(AF_INET, cfg->api_listen, &sa.sin_addr) != 1)
		return err_newf("api.listen", 500, "api.listen: %s is not an IPv4 address",
		                cfg->api_listen);
	l = evconnlistener_new_bind(w->base, NULL, NULL,
	                            LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT |
	                                LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	                            1024, (struct sockaddr *)&sa, sizeof(sa));
	if (l == NULL)
		return err_newf("api.listen", 500, "cannot listen on %s:%lld: %s", cfg->api_listen,
		                (long long)cfg->api_port, strerror(errno));
	w->bound = evhttp_bind_listener(w->http, l);
	if (w->bound == NULL) {
		evconnlistener_free(l);
		return err_newf("api.listen", 500, "evhttp_bind_listener failed");
	}
	return NULL;
}

static struct err *
http_worker_init(struct api_server *srv, struct api_worker *w, int index)
{
	const struct config *cfg = srv->cfg;
	struct err *e = NULL;
	/* Hard caps above the configured limits, so oversize input up to them gets our JSON
	 * error; beyond them evhttp answers itself (413 / 400). */
	int64_t hdr_cap = cfg->api_max_header_bytes * 2 + 8192;
	int64_t body_cap = cfg->api_max_body_bytes + 64 * 1024;

	w->server = srv;
	w->index = index;
	w->arena = arena_new();
	w->base = event_base_new();
	w->http = evhttp_new(w->base);
	if (w->base == NULL || w->http == NULL)
		fatal("api: cannot create the event loop");
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	                                        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                                        EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(w->http, (ev_ssize_t)hdr_cap);
	evhttp_set_max_body_size(w->http, (ev_ssize_t)body_cap);
	evhttp_set_timeout(w->http, (int)cfg->api_read_timeout_s);
	evhttp_set_gencb(w->http, http_on_request, w);
	w->shutdown_ev = event_new(w->base, -1, 0, http_on_shutdown, w);
	w->db = pg_connect(cfg, srv->log, NULL, &e);
	if (w->db == NULL)
		return e;
	e = http_prepare(w->db);
	if (e == NULL)
		e = http_bind(w);
	return e;
}

static void
http_worker_free(struct api_worker *w)
{
	if (w->http != NULL)
		evhttp_free(w->http);
	if (w->shutdown_ev != NULL)
		event_free(w->shutdown_ev);
	if (w->drain_timer != NULL)
		event_free(w->drain_timer);
	if (w->base != NULL)
		event_base_free(w->base);
	if (w->db != NULL)
		PQfinish(w->db);
	if (w->arena != NULL)
		arena_free(w->arena);
	flags_flush(&w->flags);
	free(w->conns);
}

struct err *
http_start(struct api_server *srv)
{
	struct err *e = NULL;
	int i;

	srv->workers = xcalloc((size_t)srv->nworkers, sizeof(*srv->workers));
	for (i = 0; i < srv->nworkers && e == NULL; i++)
		e = http_worker_init(srv, &srv->workers[i], i);
	if (e != NULL) {
		for (int k = 0; k < i; k++)
			http_worker_free(&srv->workers[k]);
		free(srv->workers);
		srv->workers = NULL;
		return e;
	}
	for (i = 0; i < srv->nworkers; i++)
		if (pthread_create(&srv->workers[i].thread, NULL, http_worker_main,
		                   &srv->workers[i]) != 0)
			fatal("api: pthread_create failed");
	return NULL;
}

void
http_stop(struct api_server *srv)
{
	for (int i = 0; i < srv->nworkers; i++)
		event_active(srv->workers[i].shutdown_ev, EV_READ, 0);
}

void
http_join(struct api_server *srv)
{
	for (int i = 0; i < srv->nworkers; i++)
		pthread_join(srv->workers[i].thread, NULL);
	for (int i = 0; i < srv->nworkers; i++)
		http_worker_free(&srv->workers[i]);
	free(srv->workers);
	srv->workers = NULL;
}
