/* Operator routes (DECISIONS "Additions", §13.22):
 * GET /_metrics                  Prometheus text of this process (api.metrics, else 404);
 * GET /_health/ready             200 {"database":"ok"} when SELECT 1 works on the worker's
 *                                connection, else 503 error.server.notReady;
 * GET /_docs/openapi.json        the OpenAPI 3.1 document (routes/openapi.c);
 * GET /_compas/structure.json    the template's structure (api.structure_file), outside
 *                                production only.
 * The documents are made once at start-up (ops_load); the handlers only answer. */
#include "routes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fatal.h"
#include "file.h"
#include "http.h"
#include "json.h"
#include "pg.h"
#include "timeutil.h"

/* ---- start-up ---- */

/* The structure file, checked to be JSON (a broken file is not served). A problem is a
 * warning, never a failed start: the route is a development aid. */
static void
ops_load_structure(struct api_server *srv)
{
	const char *path = srv->cfg->api_structure_file;
	size_t len = 0;
	char *text = path != NULL && path[0] != '\0' ? file_read(path, &len) : NULL;
	struct err *e = NULL;
	cJSON *doc;

	if (text == NULL) {
		log_error(srv->log, "api.start",
		          "warning: api.structure_file %s: cannot read it, "
		          "/_compas/structure.json answers 404",
		          path != NULL ? path : "(unset)");
		return;
	}
	doc = json_parse(text, len, &e);
	if (doc == NULL) {
		log_error(srv->log, "api.start",
		          "warning: api.structure_file %s: not JSON (%s), "
		          "/_compas/structure.json answers 404",
		          path, e != NULL ? e->message : "?");
		err_free(e);
		free(text);
		return;
	}
	cJSON_Delete(doc);
	srv->structure = text;
	srv->structure_len = len;
}

void
ops_load(struct api_server *srv)
{
	srv->openapi = openapi_build(srv->groups);
	srv->openapi_len = strlen(srv->openapi);
	ops_load_structure(srv);
}

void
ops_unload(struct api_server *srv)
{
	free(srv->openapi);
	srv->openapi = NULL;
	srv->openapi_len = 0;
	free(srv->structure);
	srv->structure = NULL;
	srv->structure_len = 0;
}

/* ---- GET /_metrics ---- */

/* The exposition text, grown as needed (freed with the request's arena). */
struct ops_text {
	char *data;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3)))
ops_printf(struct ops_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t->data + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= t->cap - t->len) {
		size_t cap =
		    t->cap * 2 > t->len + (size_t)n + 1 ? t->cap * 2 : t->len + (size_t)n + 1;
		char *data = realloc(t->data, cap);

		if (data == NULL)
			fatal_oom();
		t->data = data;
		t->cap = cap;
		va_start(ap, fmt);
		vsnprintf(t->data + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
	}
	t->len += (size_t)n;
}

static void
ops_help(struct ops_text *t, const char *name, const char *type, const char *help)
{
	ops_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value with \ " and newline escaped (route names are identifiers, but the
 * exposition format must never break). */
static const char *
ops_label(char *buf, size_t cap, const char *v)
{
	size_t o = 0;

	for (; *v != '\0' && o + 3 < cap; v++) {
		if (*v == '\\' || *v == '"' || *v == '\n') {
			buf[o++] = '\\';
			buf[o++] = *v == '\n' ? 'n' : *v;
			continue;
		}
		buf[o++] = *v;
	}
	buf[o] = '\0';
	return buf;
}

static uint64_t
ops_load_u64(const atomic_uint_fast64_t *v)
{
	return (uint64_t)atomic_load_explicit(v, memory_order_relaxed);
}

/* Every worker's count of (route, class), summed. */
static uint64_t
ops_requests(const struct api_server *srv, size_t route, int cls)
{
	uint64_t n = 0;

	for (int w = 0; w < srv->nworkers; w++)
		n += ops_load_u64(
		    &srv->workers[w].metrics.requests[route * HTTP_METRICS_CLASSES + (size_t)cls]);
	return n;
}

static void
ops_requests_route(struct ops_text *t, const struct api_server *srv, size_t route, const char *name)
{
	char label[256];

	for (int cls = 0; cls < HTTP_METRICS_CLASSES; cls++) {
		uint64_t n = ops_requests(srv, route, cls);

		if (n > 0)
			ops_printf(
			    t, "platform_api_requests_total{route=\"%s\",status=\"%dxx\"} %llu\n",
			    ops_label(label, sizeof(label), name), cls + 1, (unsigned long long)n);
	}
}

static void
ops_metrics_requests(struct ops_text *t, const struct api_server *srv)
{
	size_t route = 0;

	ops_help(t, "platform_api_requests_total", "counter",
	         "Requests answered, by route event name and status class (route \"none\": no "
	         "route matched).");
	for (size_t g = 0; srv->groups[g] != NULL; g++)
		for (size_t i = 0; i < srv->groups[g]->count; i++, route++)
			ops_requests_route(t, srv, route, srv->groups[g]->routes[i].name);
	ops_requests_route(t, srv, srv->nroutes, "none");
}

static void
ops_metrics_duration(struct ops_text *t, const struct api_server *srv)
{
	uint64_t cumulative = 0, count = 0, sum_ms = 0;

	ops_help(t, "platform_api_request_duration_seconds", "histogram",
	         "Time from a request's arrival to its response (millisecond resolution).");
	for (int b = 0; b < HTTP_METRICS_BUCKETS; b++) {
		for (int w = 0; w < srv->nworkers; w++)
			cumulative += ops_load_u64(&srv->workers[w].metrics.buckets[b]);
		ops_printf(t, "platform_api_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
		           (double)http_metrics_bucket_ms[b] / 1000.0,
		           (unsigned long long)cumulative);
	}
	for (int w = 0; w < srv->nworkers; w++) {
		count += ops_load_u64(&srv->workers[w].metrics.count);
		sum_ms += ops_load_u64(&srv->workers[w].metrics.sum_ms);
	}
	/* read after the buckets: a request finishing meanwhile keeps +Inf >= every bucket */
	if (count < cumulative)
		count = cumulative;
	ops_printf(t, "platform_api_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
	           (unsigned long long)count);
	ops_printf(t, "platform_api_request_duration_seconds_sum %.3f\n", (double)sum_ms / 1000.0);
	ops_printf(t, "platform_api_request_duration_seconds_count %llu\n",
	           (unsigned long long)count);
}

static void
ops_metrics_server(struct ops_text *t, const struct api_server *srv)
{
	int64_t inflight = 0;

	for (int w = 0; w < srv->nworkers; w++)
		inflight +=
		    atomic_load_explicit(&srv->workers[w].metrics.inflight, memory_order_relaxed);
	ops_help(t, "platform_api_requests_in_flight", "gauge",
	         "Requests received and not yet answered (this one included).");
	ops_printf(t, "platform_api_requests_in_flight %lld\n", (long long)inflight);
	ops_help(t, "platform_api_open_connections", "gauge", "Open client connections.");
	ops_printf(t, "platform_api_open_connections %d\n",
	           atomic_load_explicit(&srv->connections, memory_order_relaxed));
	ops_help(t, "platform_api_workers", "gauge", "Worker threads (api.workers).");
	ops_printf(t, "platform_api_workers %d\n", srv->nworkers);
	ops_help(t, "platform_api_auth_cache_generation", "counter",
	         "Invalidations of the /auth/me caches: platform_auth notifications seen and "
	         "lost database connections.");
	ops_printf(t, "platform_api_auth_cache_generation %lld\n",
	           (long long)atomic_load_explicit(&srv->auth_generation, memory_order_relaxed));
	ops_help(t, "platform_api_uptime_seconds", "gauge", "Seconds since the workers started.");
	ops_printf(t, "platform_api_uptime_seconds %.3f\n",
	           (double)(timeutil_monotonic_ms() - srv->started_ms) / 1000.0);
}

/* Resident set from /proc/self/statm (pages); 0 when unavailable. */
static uint64_t
ops_rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long long size = 0, resident = 0;
	long page = sysconf(_SC_PAGESIZE);

	if (f == NULL)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (uint64_t)resident * (uint64_t)(page > 0 ? page : 4096);
}

static void
ops_metrics_process(struct ops_text *t, const struct api_server *srv)
{
	struct rusage ru;
	double cpu = 0;

	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	ops_help(t, "process_cpu_seconds_total", "counter", "User and system CPU time.");
	ops_printf(t, "process_cpu_seconds_total %.3f\n", cpu);
	ops_help(t, "process_resident_memory_bytes", "gauge", "Resident memory.");
	ops_printf(t, "process_resident_memory_bytes %llu\n", (unsigned long long)ops_rss_bytes());
	ops_help(t, "process_start_time_seconds", "gauge", "Start time, seconds since the epoch.");
	ops_printf(t, "process_start_time_seconds %.3f\n", (double)srv->started_wall_ms / 1000.0);
}

static struct err *
ops_metrics(struct api_ctx *c, cJSON **response)
{
	struct ops_text t = { 0 };

	(void)response;
	if (!c->cfg->api_metrics)
		return err_new("error.server.notFound", 404, NULL);
	t.cap = 16384;
	t.data = xmalloc(t.cap);
	ops_metrics_requests(&t, c->server);
	ops_metrics_duration(&t, c->server);
	ops_metrics_server(&t, c->server);
	ops_metrics_process(&t, c->server);
	arena_defer(c->arena, free, t.data);
	c->raw_response = t.data;
	c->raw_len = t.len;
	c->raw_type = "text/plain; version=0.0.4; charset=utf-8";
	return NULL;
}

/* ---- GET /_health/ready ---- */

static struct err *
ops_ready(struct api_ctx *c, cJSON **response)
{
	struct err *e = pg_exec(c->db, "SELECT 1", 0, NULL);
	cJSON *info;

	if (e != NULL) {
		log_error(c->log, "api.ready", "database: %s", e->message);
		err_free(e);
		info = json_object();
		cJSON_AddStringToObject(info, "database", "unavailable");
		return err_new("error.server.notReady", 503, info);
	}
	*response = json_object();
	cJSON_AddStringToObject(*response, "database", "ok");
	return NULL;
}

/* ---- documents ---- */

static struct err *
ops_openapi(struct api_ctx *c, cJSON **response)
{
	(void)response;
	c->raw_response = c->server->openapi;
	c->raw_len = c->server->openapi_len;
	return NULL;
}

static struct err *
ops_structure(struct api_ctx *c, cJSON **response)
{
	(void)response;
	if (c->server->structure == NULL)
		return err_new("error.server.notFound", 404, NULL);
	c->raw_response = c->server->structure;
	c->raw_len = c->server->structure_len;
	return NULL;
}

static const struct api_route routes[] = {
	{ "GET", "/_metrics", "router.ops.metrics", ops_metrics, "none", NULL, NULL, NULL },
	{ "GET", "/_health/ready", "router.ops.ready", ops_ready, "none", NULL, NULL, NULL },
	{ "GET", "/_docs/openapi.json", "router.ops.openapi", ops_openapi, "none", NULL, NULL,
	  NULL },
	{ "GET", "/_compas/structure.json", "router.ops.structure", ops_structure, "development",
	  NULL, NULL, NULL },
};

const struct api_route_group routes_ops = API_ROUTE_GROUP(routes);
