/* HTTP core: workers, the request pipeline (limits, CORS, routing, body, validation,
 * access, handler, render, request log) and graceful draining on shutdown. */
#include "http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
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
#include "hashpool.h"
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
	return true; /* http_conn_on_close calls http_conn_closed */
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

/* ---- read and write time-outs (api.read_timeout_s, api.write_timeout_s) ----
 *
 * evhttp 2.1 has one time-out per connection (evhttp_set_timeout) and, when it fires,
 * evhttp_connection_incoming_fail() treats EVREQ_HTTP_TIMEOUT like EOF: the connection is
 * closed without a response, even halfway through a request. So evhttp gets no time-out.
 * Each connection's bufferevent is made here (evhttp_set_bevcb) with only the write
 * time-out, which evhttp's error path turns into a close, and a struct http_conn keeps the
 * read deadline on its own timer: from the accept or the end of the previous response
 * while idle (then the connection is closed quietly), from the first byte of a request
 * while receiving (then 408 error.server.requestTimeout, and the close), and off while a
 * request is with its handler or its response is being written. Bytes in and out are seen
 * through evbuffer callbacks on the bufferevent's buffers.
 * evhttp has no hook between making a connection and its first request: in the first
 * loop turn after the accept (before any read), the evhttp_connection is taken from the
 * bufferevent's callback argument (evhttp always passes it there) to set the close
 * callback that frees the struct. */
enum http_conn_state {
	HTTP_CONN_IDLE,      /* waiting for a request */
	HTTP_CONN_RECEIVING, /* part of a request arrived */
	HTTP_CONN_BUSY,      /* with the handler, or the response is being written */
	HTTP_CONN_CLOSING,   /* our 408 is being written */
};

struct http_conn {
	struct api_worker *w;
	struct bufferevent *bev;
	struct evhttp_connection *evcon; /* NULL until bound */
	struct event *deadline;
	struct evbuffer_cb_entry *in_cb, *out_cb;
	enum http_conn_state state;
	struct http_conn *prev, *next; /* the worker's open connections */
};

static void
http_conn_arm(struct http_conn *hc, enum http_conn_state state)
{
	struct timeval tv = { (time_t)hc->w->server->cfg->api_read_timeout_s, 0 };

	if (hc->evcon == NULL)
		return; /* the bind arms it */
	hc->state = state;
	event_add(hc->deadline, &tv);
}

/* Idle, or receiving when pipelined bytes already wait. */
static void
http_conn_arm_next(struct http_conn *hc)
{
	bool pending = evbuffer_get_length(bufferevent_get_input(hc->bev)) > 0;

	http_conn_arm(hc, pending ? HTTP_CONN_RECEIVING : HTTP_CONN_IDLE);
}

static void
http_conn_busy(struct http_conn *hc)
{
	if (hc->evcon == NULL || hc->state == HTTP_CONN_CLOSING)
		return;
	hc->state = HTTP_CONN_BUSY;
	event_del(hc->deadline);
}

static void
http_conn_unlink(struct http_conn *hc)
{
	if (hc->prev != NULL)
		hc->prev->next = hc->next;
	else
		hc->w->open_conns = hc->next;
	if (hc->next != NULL)
		hc->next->prev = hc->prev;
}

/* evhttp closes the connection (its bufferevent and socket are still there). */
static void
http_conn_on_close(struct evhttp_connection *evcon, void *arg)
{
	struct http_conn *hc = arg;

	http_conn_closed(evcon, hc->w);
	evbuffer_remove_cb_entry(bufferevent_get_input(hc->bev), hc->in_cb);
	evbuffer_remove_cb_entry(bufferevent_get_output(hc->bev), hc->out_cb);
	http_conn_unlink(hc);
	event_free(hc->deadline);
	free(hc);
}

static void
http_conn_bind(struct http_conn *hc)
{
	void *arg = NULL;

	bufferevent_getcb(hc->bev, NULL, NULL, NULL, &arg);
	if (arg == NULL || evhttp_connection_get_bufferevent(arg) != hc->bev)
		fatal("api: evhttp did not pass its connection to the bufferevent");
	hc->evcon = arg;
	evhttp_connection_set_closecb(hc->evcon, http_conn_on_close, hc);
	http_conn_arm_next(hc);
}

static void
http_conn_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct http_conn *hc = arg;

	(void)buf;
	if (info->n_added > 0 && hc->state == HTTP_CONN_IDLE)
		http_conn_arm(hc, HTTP_CONN_RECEIVING);
}

/* A response (ours or evhttp's own) is queued: busy; fully written: the next deadline. */
static void
http_conn_output(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct http_conn *hc = arg;

	if (hc->state == HTTP_CONN_CLOSING)
		return;
	if (info->n_added > 0)
		http_conn_busy(hc);
	else if (info->n_deleted > 0 && evbuffer_get_length(buf) == 0)
		http_conn_arm_next(hc);
}

static void
http_conn_reply_sent(struct bufferevent *bev, void *arg)
{
	struct http_conn *hc = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		evhttp_connection_free(hc->evcon);
}

static void
http_conn_reply_failed(struct bufferevent *bev, short what, void *arg)
{
	struct http_conn *hc = arg;

	(void)bev;
	(void)what;
	evhttp_connection_free(hc->evcon);
}

/* evhttp has no request to answer before it is complete, so the 408 goes out on the
 * bufferevent itself: evhttp's callbacks are replaced (it sees nothing more), and the
 * connection is freed once the reply is written, fails or hits the write time-out. */
static void
http_conn_timeout_reply(struct http_conn *hc)
{
	const struct api_server *srv = hc->w->server;
	struct api_ctx c = { .log = srv->log };
	struct err *e = err_new("error.server.requestTimeout", 408, NULL);
	cJSON *body;
	char *text;

	uuid_v4(c.request_id);
	body = err_render(e, c.request_id, srv->cfg->production);
	text = json_print(body);
	http_log_error(&c, e);
	hc->state = HTTP_CONN_CLOSING;
	bufferevent_setcb(hc->bev, NULL, http_conn_reply_sent, http_conn_reply_failed, hc);
	bufferevent_disable(hc->bev, EV_READ);
	evbuffer_add_printf(
	    bufferevent_get_output(hc->bev),
	    "HTTP/1.1 408 Request Timeout\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\nX-Request-Id: %s\r\n\r\n%s",
	    strlen(text), c.request_id, text);
	bufferevent_enable(hc->bev, EV_WRITE);
	free(text);
	cJSON_Delete(body);
	err_free(e);
}

static void
http_conn_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *hc = arg;

	(void)fd;
	(void)what;
	if (hc->evcon == NULL)
		http_conn_bind(hc);
	else if (hc->state == HTTP_CONN_IDLE)
		evhttp_connection_free(hc->evcon);
	else if (hc->state == HTTP_CONN_RECEIVING)
		http_conn_timeout_reply(hc);
}

/* evhttp_set_bevcb: the bufferevent of an accepted connection, with the write time-out. */
static struct bufferevent *
http_conn_new(struct event_base *base, void *arg)
{
	struct api_worker *w = arg;
	struct timeval wtv = { (time_t)w->server->cfg->api_write_timeout_s, 0 };
	struct http_conn *hc = xcalloc(1, sizeof(*hc));

	hc->w = w;
	hc->bev = bufferevent_socket_new(base, -1, 0);
	hc->deadline = event_new(base, -1, 0, http_conn_deadline, hc);
	if (hc->bev == NULL || hc->deadline == NULL)
		fatal_oom();
	bufferevent_set_timeouts(hc->bev, NULL, &wtv);
	hc->in_cb = evbuffer_add_cb(bufferevent_get_input(hc->bev), http_conn_input, hc);
	hc->out_cb = evbuffer_add_cb(bufferevent_get_output(hc->bev), http_conn_output, hc);
	if (hc->in_cb == NULL || hc->out_cb == NULL)
		fatal_oom();
	hc->next = w->open_conns;
	if (w->open_conns != NULL)
		w->open_conns->prev = hc;
	w->open_conns = hc;
	event_active(hc->deadline, EV_TIMEOUT, 0); /* the bind, once evhttp has its connection */
	return hc->bev;
}

/* A complete request went to the handler: no read deadline until its response is out
 * (the handler may defer; freeing the connection then would free its request). */
static void
http_conn_request(struct api_worker *w, struct evhttp_request *req)
{
	struct bufferevent *bev =
	    evhttp_connection_get_bufferevent(evhttp_request_get_connection(req));

	for (struct http_conn *hc = w->open_conns; hc != NULL; hc = hc->next)
		if (hc->bev == bev) {
			http_conn_busy(hc);
			return;
		}
}

/* After evhttp_free (which closes every bound connection): any never bound. */
static void
http_conn_free_all(struct api_worker *w)
{
	while (w->open_conns != NULL) {
		struct http_conn *hc = w->open_conns;

		http_conn_unlink(hc);
		event_free(hc->deadline);
		free(hc);
	}
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

/* After a handler (or a deferred done): close a forgotten transaction and render e or
 * resp; returns the response length. A request deferred without error is left open
 * (*status 0, c->deferred stays set). */
static size_t
http_finish(struct api_ctx *c, struct err *e, cJSON *resp, int *status)
{
	size_t len;

	if (PQtransactionStatus(c->db) != PQTRANS_IDLE) {
		pg_rollback(c->db);
		if (e == NULL)
			e = err_internal("route %s left a transaction open", c->route->name);
	}
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
	if (resp == NULL)
		resp = json_object();
	*status = 200;
	len = http_send_json(c, 200, resp);
	cJSON_Delete(resp);
	return len;
}

/* Run route + handler; returns the response length. */
static size_t
http_dispatch(struct api_ctx *c, enum evhttp_cmd_type cmd, const char *path, int *status)
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
	e = http_input(c, cmd, &m);
	if (e == NULL)
		e = http_access(c);
	if (e == NULL)
		e = c->route->handler(c, &resp);
	return http_finish(c, e, resp, status);
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

/* Back on the worker's loop: done, render, log. A client that went away has its request
 * detached by evhttp (no connection, no completion callback): the reply only frees it. */
static void
http_deferred_done(evutil_socket_t fd, short what, void *arg)
{
	struct http_deferred *d = arg;
	struct api_ctx *c = &d->c;
	bool detached = evhttp_request_get_connection(c->req) == NULL;
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
	if (detached)
		c->worker->inflight--;
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

/* At exit, requests whose work never finished (the drain deadline passed). evhttp frees
 * the ones still on a connection; detached ones are ours. */
static void
http_deferred_free_all(struct api_worker *w)
{
	while (w->deferred != NULL) {
		struct http_deferred *d = w->deferred;

		if (evhttp_request_get_connection(d->c.req) == NULL)
			evhttp_request_free(d->c.req);
		http_deferred_free(d);
	}
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
	http_conn_request(w, req);
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
	summary_cache_init(&w->summaries);
	w->base = event_base_new();
	w->http = evhttp_new(w->base);
	if (w->base == NULL || w->http == NULL)
		fatal("api: cannot create the event loop");
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	                                        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                                        EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(w->http, (ev_ssize_t)hdr_cap);
	evhttp_set_max_body_size(w->http, (ev_ssize_t)body_cap);
	evhttp_set_bevcb(w->http, http_conn_new, w); /* the time-outs, see http_conn_new */
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
	http_deferred_free_all(w);
	if (w->http != NULL)
		evhttp_free(w->http);
	http_conn_free_all(w);
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
	summary_cache_free(&w->summaries);
	free(w->conns);
}

struct err *
http_start(struct api_server *srv)
{
	struct err *e = NULL;
	int i;

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
