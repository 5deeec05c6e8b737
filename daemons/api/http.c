/* HTTP core: workers, the request pipeline (limits, CORS, routing, body, validation,
 * access, handler, render, request log) and graceful draining on shutdown. */
#include "http.h"

#include <ctype.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fatal.h"
#include "hashpool.h"
#include "httpio.h"
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
	if (e == NULL)
		e = pg_exec(db, "LISTEN platform_auth", 0, NULL);
	return e;
}

/* ---- responses ---- */

static void
http_default_headers(struct api_ctx *c)
{
	httpio_add_header(c->req, "X-DNS-Prefetch-Control", "off");
	httpio_add_header(c->req, "Strict-Transport-Security",
	                  "max-age=5184000; includeSubDomains");
	httpio_add_header(c->req, "X-Content-Type-Options", "nosniff");
	httpio_add_header(c->req, "Vary", "Origin");
	httpio_add_header(c->req, "X-Request-Id", c->request_id);
}

static size_t
http_send_json(struct api_ctx *c, int status, const cJSON *body)
{
	char *text = json_print(body);
	size_t len = strlen(text);

	httpio_add_header(c->req, "Content-Type", "application/json; charset=utf-8");
	httpio_respond(c->req, status, text, len);
	free(text);
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
http_cors(struct api_ctx *c)
{
	const char *origin = api_header(c, "Origin");
	const char *req_method, *req_headers;

	if (!http_origin_allowed(c, origin))
		return false;
	httpio_add_header(c->req, "Access-Control-Allow-Origin", origin);
	httpio_add_header(c->req, "Access-Control-Allow-Credentials", "true");
	req_method = api_header(c, "Access-Control-Request-Method");
	if (strcmp(c->method, "OPTIONS") != 0 || req_method == NULL)
		return false;
	httpio_add_header(c->req, "Access-Control-Max-Age", "7200");
	httpio_add_header(c->req, "Access-Control-Allow-Methods",
	                  "GET,PUT,POST,PATCH,DELETE,HEAD,OPTIONS");
	req_headers = api_header(c, "Access-Control-Request-Headers");
	if (req_headers != NULL)
		httpio_add_header(c->req, "Access-Control-Allow-Headers", req_headers);
	httpio_respond(c->req, 204, NULL, 0);
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

/* Percent-decode s[0, n) into the arena; NULL on a bad escape (kept as it is instead
 * when lenient: the query string, as evhttp did). plus: '+' is a space. */
static char *
http_decode_n(struct arena *a, const char *s, size_t n, bool plus, bool lenient)
{
	size_t o = 0;
	char *out = arena_alloc(a, n + 1);

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%' ||
		    (lenient && (i + 2 >= n || http_hex((unsigned char)s[i + 1]) < 0 ||
		                 http_hex((unsigned char)s[i + 2]) < 0))) {
			out[o++] = plus && s[i] == '+' ? ' ' : s[i];
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

static char *
http_decode(struct arena *a, const char *s)
{
	return http_decode_n(a, s, strlen(s), false, false);
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
	const char *q = httpio_req_query(c->req);
	cJSON *o = json_object();

	while (q != NULL && *q != '\0') {
		size_t n = strcspn(q, "&"), kn = strcspn(q, "=");
		const char *v = kn < n ? q + kn + 1 : q + n;
		char *key, *value;

		if (kn > n)
			kn = n;
		key = http_decode_n(c->arena, q, kn, true, true);
		value = http_decode_n(c->arena, v, (size_t)(q + n - v), true, true);
		if (*key != '\0') {
			cJSON_DeleteItemFromObjectCaseSensitive(o, key); /* last one wins */
			cJSON_AddStringToObject(o, key, value);
		}
		q += n;
		if (*q == '&')
			q++;
	}
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
http_body(struct api_ctx *c, cJSON **body)
{
	size_t len;
	const char *raw = httpio_req_body(c->req, &len);
	struct err *e = NULL;

	*body = NULL;
	if (strcmp(c->method, "POST") != 0 && strcmp(c->method, "PUT") != 0 &&
	    strcmp(c->method, "PATCH") != 0)
		return NULL;
	if (len == 0 || !http_is_json(api_header(c, "Content-Type")))
		return NULL;
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
http_input(struct api_ctx *c, const struct router_match *m)
{
	const struct api_route *rt = m->route;
	struct err *e = http_params(c, m);
	cJSON *body = NULL, *params, *query;

	if (e == NULL && (rt->body != NULL || rt->query != NULL))
		e = http_body(c, &body);
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
	const char *xff = api_header(c, "X-Forwarded-For");

	if (c->cfg->production && c->cfg->api_trust_proxy && xff != NULL) {
		size_t n = strcspn(xff, ", ");

		snprintf(c->client_ip, sizeof(c->client_ip), "%.*s", (int)n, xff);
		return;
	}
	snprintf(c->client_ip, sizeof(c->client_ip), "%s", httpio_req_peer(c->req));
}

/* Notifications already read from the connection (by a query, or by http_db_readable):
 * any of them makes every cached /auth/me response stale. */
static void
http_db_notified(struct api_worker *w)
{
	PGnotify *n;
	bool any = false;

	while ((n = PQnotifies(w->db)) != NULL) {
		PQfreemem(n);
		any = true;
	}
	if (any)
		atomic_fetch_add(&w->server->auth_generation, 1);
}

/* The connection's socket is readable between requests: a notification (from another
 * session's commit). Highest priority, so it is taken before the requests of the same
 * loop turn. */
static void
http_db_readable(evutil_socket_t fd, short what, void *arg)
{
	struct api_worker *w = arg;

	(void)fd;
	(void)what;
	if (!PQconsumeInput(w->db)) { /* lost: http_db_check reconnects on the next request */
		event_del(w->db_ev);
		atomic_fetch_add(&w->server->auth_generation, 1);
		return;
	}
	http_db_notified(w);
}

static void
http_db_watch(struct api_worker *w)
{
	if (w->db_ev != NULL)
		event_free(w->db_ev);
	w->db_ev = event_new(w->base, PQsocket(w->db), EV_READ | EV_PERSIST, http_db_readable, w);
	if (w->db_ev == NULL || event_priority_set(w->db_ev, 0) != 0 ||
	    event_add(w->db_ev, NULL) != 0)
		fatal("api: cannot watch the database connection");
}

static void
http_db_check(struct api_worker *w)
{
	struct err *e;

	if (PQstatus(w->db) == CONNECTION_OK)
		return;
	/* notifications sent while it was down are lost */
	atomic_fetch_add(&w->server->auth_generation, 1);
	PQreset(w->db);
	w->nprepared = 0;
	if (PQstatus(w->db) != CONNECTION_OK)
		return;
	e = http_prepare(w->db);
	if (e != NULL) {
		log_error(w->server->log, "api.db", "re-prepare after reconnect: %s", e->message);
		err_free(e);
	}
	http_db_watch(w);
}

/* A query that met a dead connection made libpq close its socket. Stop watching that
 * descriptor now, before this loop accepts a client that may get the same number (the
 * stale event would then steal or drop the client's events); http_db_check reconnects
 * on the next request. Found by the readiness test (GET /_health/ready). */
static void
http_db_unwatch_if_lost(struct api_worker *w)
{
	if (PQstatus(w->db) == CONNECTION_OK || w->db_ev == NULL)
		return;
	event_free(w->db_ev);
	w->db_ev = NULL;
	atomic_fetch_add(&w->server->auth_generation, 1);
}

/* After a handler (or a deferred done): close a forgotten transaction and render e or
 * resp; returns the response length. A request deferred without error is left open
 * (*status 0, c->deferred stays set). */
static size_t
http_finish(struct api_ctx *c, struct err *e, cJSON *resp, int *status)
{
	size_t len;

	http_db_unwatch_if_lost(c->worker);
	if (PQtransactionStatus(c->db) != PQTRANS_IDLE) {
		pg_rollback(c->db);
		if (e == NULL)
			e = err_internal("route %s left a transaction open", c->route->name);
	}
	/* This request's own changes drop every worker's /auth/me cache before it is
	 * answered. Its transaction's notification cannot be relied on for that:
	 * PostgreSQL sends a session its own notifications only once it is idle again,
	 * after the COMMIT's answer. So any request that may write (every method but GET,
	 * HEAD and OPTIONS, whatever its status: a refused refresh-token reuse revokes a
	 * session) moves the generation itself. */
	http_db_notified(c->worker);
	if (strcmp(c->method, "GET") != 0 && strcmp(c->method, "HEAD") != 0 &&
	    strcmp(c->method, "OPTIONS") != 0)
		atomic_fetch_add(&c->worker->server->auth_generation, 1);
	if (e == NULL && c->deferred) {
		cJSON_Delete(resp);
		*status = 0;
		return 0;
	}
	c->deferred = false;
	if (e != NULL) {
		cJSON_Delete(resp);
		*status = e->status;
		return http_send_error(c, e);
	}
	*status = 200;
	if (resp == NULL && c->raw_response != NULL) {
		httpio_add_header(c->req, "Content-Type",
		                  c->raw_type != NULL ? c->raw_type
		                                      : "application/json; charset=utf-8");
		httpio_respond(c->req, 200, c->raw_response, c->raw_len);
		return c->raw_len;
	}
	if (resp == NULL)
		resp = json_object();
	len = http_send_json(c, 200, resp);
	cJSON_Delete(resp);
	return len;
}

/* Run route + handler; returns the response length. */
static size_t
http_dispatch(struct api_ctx *c, const char *path, int *status)
{
	struct router_match m;
	struct err *e;
	cJSON *resp = NULL;

	if (!router_match(c->server->router, c->method, path, &m)) {
		*status = 404;
		return http_send_error(c, err_new("error.server.notFound", 404, NULL));
	}
	c->route = m.route;
	http_db_check(c->worker);
	e = http_input(c, &m);
	if (e == NULL)
		e = http_access(c);
	if (e == NULL)
		e = c->route->handler(c, &resp);
	return http_finish(c, e, resp, status);
}

static void
http_buf_int(char *out, size_t cap, size_t *len, int64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		tmp[--i] = '-';
	if (*len + sizeof(tmp) - i <= cap) {
		memcpy(out + *len, tmp + i, sizeof(tmp) - i);
		*len += sizeof(tmp) - i;
	}
}

static bool
http_buf_raw(char *out, size_t cap, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (*len + n > cap)
		return false;
	memcpy(out + *len, s, n);
	*len += n;
	return true;
}

/* The request line in NDJSON, formatted directly (every request writes one; building it
 * with cJSON cost more than the rest of a small request). The same bytes as log_json.
 * False when it does not fit (long params): the caller uses log_json. */
static bool
http_log_request_fast(struct api_ctx *c, int status, size_t req_len, size_t resp_len,
                      int64_t duration)
{
	char line[1024];
	size_t n = 0, cap = sizeof(line) - 1;
	bool ok = http_buf_raw(line, cap, &n, "{\"level\":\"info\",\"time\":");

	http_buf_int(line, cap, &n, timeutil_now_ms());
	ok = ok && http_buf_raw(line, cap, &n, ",\"context\":{");
	if (c->log->application != NULL)
		ok = ok && http_buf_raw(line, cap, &n, "\"application\":") &&
		     log_json_string(line, cap, &n, c->log->application) &&
		     http_buf_raw(line, cap, &n, ",");
	ok = ok && http_buf_raw(line, cap, &n, "\"daemon\":") &&
	     log_json_string(line, cap, &n, c->log->daemon) &&
	     http_buf_raw(line, cap, &n, ",\"type\":\"http\",\"requestId\":") &&
	     log_json_string(line, cap, &n, c->request_id) &&
	     http_buf_raw(line, cap, &n, "},\"message\":{\"request\":{\"length\":");
	http_buf_int(line, cap, &n, (int64_t)req_len);
	ok = ok && http_buf_raw(line, cap, &n, ",\"method\":") &&
	     log_json_string(line, cap, &n, c->method);
	if (c->route != NULL)
		ok = ok && http_buf_raw(line, cap, &n, ",\"eventName\":") &&
		     log_json_string(line, cap, &n, c->route->name);
	if (c->params != NULL && cJSON_GetArraySize(c->params) > 0)
		return false;
	ok = ok && http_buf_raw(line, cap, &n, "},\"response\":{\"duration\":");
	http_buf_int(line, cap, &n, duration);
	ok = ok && http_buf_raw(line, cap, &n, ",\"length\":");
	http_buf_int(line, cap, &n, (int64_t)resp_len);
	ok = ok && http_buf_raw(line, cap, &n, ",\"status\":");
	http_buf_int(line, cap, &n, status);
	ok = ok && http_buf_raw(line, cap, &n, "}}}\n") && n < cap;
	if (ok)
		log_write_line(c->log, line, n);
	return ok;
}

static void
http_log_request_json(struct api_ctx *c, int status, size_t req_len, size_t resp_len,
                      int64_t duration)
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
	cJSON_AddNumberToObject(rs, "duration", (double)duration);
	cJSON_AddNumberToObject(rs, "length", (double)resp_len);
	cJSON_AddNumberToObject(rs, "status", status);
	cJSON_AddItemToObject(msg, "request", rq);
	cJSON_AddItemToObject(msg, "response", rs);
	log_json(c->log, LOG_INFO, ctx, msg);
	cJSON_Delete(ctx);
}

/* ---- request metrics (struct http_metrics, http.h) ---- */

const int64_t http_metrics_bucket_ms[HTTP_METRICS_BUCKETS] = { 5,   10,  25,   50,   100,
	                                                       250, 500, 1000, 2500, 5000 };

/* Only the owning worker's thread writes: a plain load + store, no atomic RMW. */
static inline void
http_metrics_add(atomic_uint_fast64_t *v, uint64_t n)
{
	atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) + n,
	                      memory_order_relaxed);
}

static inline void
http_metrics_inflight(struct api_worker *w, int delta)
{
	atomic_int_fast64_t *v = &w->metrics.inflight;

	atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) + delta,
	                      memory_order_relaxed);
}

/* The route's index in the server's route table (its groups in order), or nroutes. */
static size_t
http_metrics_route_index(const struct api_server *srv, const struct api_route *rt)
{
	size_t base = 0;
	uintptr_t p = (uintptr_t)rt; /* compared as integers: the groups are separate arrays */

	for (size_t g = 0; rt != NULL && srv->groups != NULL && srv->groups[g] != NULL; g++) {
		const struct api_route_group *grp = srv->groups[g];
		uintptr_t first = (uintptr_t)grp->routes;

		if (p >= first && p < first + grp->count * sizeof(*rt))
			return base + (p - first) / sizeof(*rt);
		base += grp->count;
	}
	return srv->nroutes;
}

/* One finished request (the hook in http_log_request). */
static void
http_metrics_observe(struct api_ctx *c, int status, int64_t duration_ms)
{
	struct http_metrics *m = &c->worker->metrics;
	size_t route = http_metrics_route_index(c->server, c->route);
	int cls = status / 100 - 1, b = 0;

	if (cls < 0 || cls >= HTTP_METRICS_CLASSES)
		cls = HTTP_METRICS_CLASSES - 1;
	if (duration_ms < 0)
		duration_ms = 0;
	while (b < HTTP_METRICS_BUCKETS && duration_ms > http_metrics_bucket_ms[b])
		b++;
	http_metrics_add(&m->requests[route * HTTP_METRICS_CLASSES + (size_t)cls], 1);
	if (b < HTTP_METRICS_BUCKETS)
		http_metrics_add(&m->buckets[b], 1);
	http_metrics_add(&m->count, 1);
	http_metrics_add(&m->sum_ms, (uint64_t)duration_ms);
	http_metrics_inflight(c->worker, -1);
}

/* Called once per finished request (also deferred and refused ones). */
static void
http_log_request(struct api_ctx *c, int status, size_t req_len, size_t resp_len, int64_t t0)
{
	int64_t duration = timeutil_monotonic_ms() - t0;

	http_metrics_observe(c, status, duration);

	if (c->log->format == LOG_FORMAT_NDJSON &&
	    http_log_request_fast(c, status, req_len, resp_len, duration))
		return;
	http_log_request_json(c, status, req_len, resp_len, duration);
}

/* ---- deferred requests (api_defer) ---- */

/* A request whose handler deferred: it owns its context (arena, session, input) until
 * the reply is sent. The job is the first member (the pool hands it back). */
struct http_deferred {
	struct hashpool_job job;
	struct api_ctx c;
	struct event *done_ev; /* activated by the hash thread, runs on the worker's loop */
	int64_t t0;
	size_t body_len;
	struct http_deferred *prev, *next; /* the worker's list */
};

/* On a hash thread: the CPU work, then wake the worker's loop (event_active is
 * thread-safe: main calls evthread_use_pthreads before the loops exist). */
static void
http_deferred_run(struct hashpool_job *job)
{
	struct http_deferred *d = (struct http_deferred *)job;

	d->c.defer_work(d->c.defer_arg);
	event_active(d->done_ev, EV_READ, 0);
}

static void
http_deferred_unlink(struct http_deferred *d)
{
	struct api_worker *w = d->c.worker;

	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		w->deferred = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
}

static void
http_deferred_free(struct http_deferred *d)
{
	http_deferred_unlink(d);
	event_free(d->done_ev);
	session_clear(&d->c.session);
	arena_free(d->c.arena);
	free(d);
}

/* Back on the worker's loop: done, render, log. (A reply to a client that went away is
 * dropped by httpio_respond.) */
static void
http_deferred_done(evutil_socket_t fd, short what, void *arg)
{
	struct http_deferred *d = arg;
	struct api_ctx *c = &d->c;
	cJSON *resp = NULL;
	struct err *e;
	size_t len;
	int status;

	(void)fd;
	(void)what;
	c->deferred = false;
	http_db_check(c->worker);
	e = c->defer_done(c, c->defer_arg, &resp);
	len = http_finish(c, e, resp, &status);
	if (c->deferred) {
		hashpool_submit(c->server->hashpool, &d->job);
		return;
	}
	http_log_request(c, status, d->body_len, len, d->t0);
	http_deferred_free(d);
}

/* The handler deferred: move the context (and the worker's arena) to the heap, give the
 * worker a fresh arena, and queue the work. */
static void
http_deferred_start(struct api_ctx *c, size_t body_len, int64_t t0)
{
	struct api_worker *w = c->worker;
	struct http_deferred *d = xcalloc(1, sizeof(*d));

	d->c = *c;
	d->t0 = t0;
	d->body_len = body_len;
	d->job.run = http_deferred_run;
	d->done_ev = event_new(w->base, -1, 0, http_deferred_done, d);
	if (d->done_ev == NULL)
		fatal_oom();
	w->arena = arena_new();
	d->next = w->deferred;
	if (w->deferred != NULL)
		w->deferred->prev = d;
	w->deferred = d;
	hashpool_submit(w->server->hashpool, &d->job);
}

/* At exit, requests whose work never finished (the drain deadline passed); httpio_free
 * then drops their connections. */
static void
http_deferred_free_all(struct api_worker *w)
{
	while (w->deferred != NULL)
		http_deferred_free(w->deferred);
}

/* The method as a string that outlives the request's buffer (the request log line is
 * written after the response, when httpio may already have reused or freed it). */
static const char *
http_method(struct api_ctx *c, const char *m)
{
	static const char *const known[] = { "GET",    "POST",    "PUT", "PATCH",
		                             "DELETE", "OPTIONS", "HEAD" };

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(m, known[i]) == 0)
			return known[i];
	return arena_strdup(c->arena, m);
}

/* A request httpio could not take (its status: 400, 408, 413, 431, 503, 505). */
static size_t
http_refused(struct api_ctx *c, int status)
{
	const char *key;

	switch (status) {
	case 408:
		key = "error.server.requestTimeout";
		break;
	case 413:
		key = "error.server.maxFieldSize";
		break;
	case 431:
		key = "error.server.headersTooLarge";
		break;
	case 503:
		key = "error.server.tooManyConnections";
		break;
	case 505:
		key = "error.server.httpVersionNotSupported";
		break;
	default:
		key = "error.server.badRequest";
		status = 400;
	}
	return http_send_error(c, err_new(key, status, NULL));
}

static void
http_on_request(struct httpio_req *req, void *arg)
{
	struct api_worker *w = arg;
	struct api_server *srv = w->server;
	const char *path = httpio_req_path(req);
	size_t body_len, resp_len = 0;
	int64_t t0 = timeutil_monotonic_ms();
	int status = httpio_req_error(req);
	struct api_ctx c = { 0 };

	httpio_req_body(req, &body_len);
	if (status == 0 && strcmp(path, "/_health") == 0) {
		httpio_add_header(req, "Content-Type", "text/plain");
		httpio_respond(req, 200, NULL, 0);
		return;
	}
	http_metrics_inflight(w, 1); /* until http_log_request */
	arena_reset(w->arena);
	c.arena = w->arena;
	c.db = w->db;
	c.cfg = srv->cfg;
	c.log = &w->log;
	c.worker = w;
	c.server = srv;
	c.req = req;
	c.method = http_method(&c, httpio_req_method(req));
	uuid_v4_pool(&w->ids, c.request_id);
	http_client_ip(&c);
	http_default_headers(&c);
	if (status != 0) {
		resp_len = http_refused(&c, status);
	} else if (http_cors(&c)) {
		status = 204;
	} else {
		resp_len = http_dispatch(&c, path, &status);
	}
	if (c.deferred) {
		http_deferred_start(&c, body_len, t0);
		return;
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
	if (httpio_inflight(w->io) <= 0 || timeutil_monotonic_ms() >= w->drain_deadline_ms)
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
	httpio_drain(w->io);
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

static void
http_log_flush(evutil_socket_t fd, short what, void *arg)
{
	struct api_worker *w = arg;

	(void)fd;
	(void)what;
	log_flush(&w->log);
}

/* The first line of a turn: flush once the turn's requests are done. */
static void
http_log_pending(void *arg)
{
	struct api_worker *w = arg;

	event_active(w->log_flush_ev, EV_TIMEOUT, 0);
}

static struct err *
http_worker_init(struct api_server *srv, struct api_worker *w, int index)
{
	const struct config *cfg = srv->cfg;
	struct err *e = NULL;
	struct httpio_settings hs = {
		.max_head = (size_t)cfg->api_max_header_bytes,
		.max_body = (size_t)cfg->api_max_body_bytes,
		.read_timeout_s = (int)cfg->api_read_timeout_s,
		.write_timeout_s = (int)cfg->api_write_timeout_s,
		.max_connections = (int)cfg->api_max_connections,
		.connections = &srv->connections,
	};

	w->server = srv;
	w->index = index;
	w->arena = arena_new();
	w->metrics.requests =
	    xcalloc((srv->nroutes + 1) * HTTP_METRICS_CLASSES, sizeof(*w->metrics.requests));
	textcache_init(&w->summaries);
	textcache_init(&w->me);
	w->base = event_base_new();
	if (w->base == NULL || event_base_priority_init(w->base, 3) != 0)
		fatal("api: cannot create the event loop");
	/* events get the middle priority by default; the log flush runs after them */
	w->log = *srv->log;
	w->log.buffer = &w->logbuf;
	w->logbuf.on_first = http_log_pending;
	w->logbuf.arg = w;
	w->log_flush_ev = event_new(w->base, -1, 0, http_log_flush, w);
	if (w->log_flush_ev == NULL || event_priority_set(w->log_flush_ev, 2) != 0)
		fatal("api: cannot create the log flush event");
	w->io = httpio_new(w->base, &hs, http_on_request, w);
	w->shutdown_ev = event_new(w->base, -1, 0, http_on_shutdown, w);
	w->db = pg_connect(cfg, srv->log, NULL, &e);
	if (w->db == NULL)
		return e;
	e = http_prepare(w->db);
	if (e == NULL)
		e = httpio_listen(w->io, cfg->api_listen, (int)cfg->api_port);
	if (e == NULL)
		http_db_watch(w);
	return e;
}

static void
http_worker_free(struct api_worker *w)
{
	http_deferred_free_all(w);
	httpio_free(w->io);
	log_flush(&w->log);
	log_buffer_free(&w->logbuf);
	if (w->log_flush_ev != NULL)
		event_free(w->log_flush_ev);
	if (w->db_ev != NULL)
		event_free(w->db_ev);
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
	free(w->metrics.requests);
	textcache_free(&w->summaries);
	textcache_free(&w->me);
}

struct err *
http_start(struct api_server *srv)
{
	struct err *e = NULL;
	int i;

	srv->nroutes = 0;
	for (size_t g = 0; srv->groups != NULL && srv->groups[g] != NULL; g++)
		srv->nroutes += srv->groups[g]->count;
	srv->started_ms = timeutil_monotonic_ms();
	srv->started_wall_ms = timeutil_now_ms();
	srv->hashpool = hashpool_new(srv->nhash_threads);
	srv->workers = xcalloc((size_t)srv->nworkers, sizeof(*srv->workers));
	for (i = 0; i < srv->nworkers && e == NULL; i++)
		e = http_worker_init(srv, &srv->workers[i], i);
	if (e != NULL) {
		for (int k = 0; k < i; k++)
			http_worker_free(&srv->workers[k]);
		free(srv->workers);
		srv->workers = NULL;
		hashpool_free(srv->hashpool);
		srv->hashpool = NULL;
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
	/* After the loops (they wait for deferred work), before the workers' events go. */
	hashpool_free(srv->hashpool);
	srv->hashpool = NULL;
	for (int i = 0; i < srv->nworkers; i++)
		http_worker_free(&srv->workers[i]);
	free(srv->workers);
	srv->workers = NULL;
}
