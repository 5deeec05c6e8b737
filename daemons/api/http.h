/* The HTTP core: worker threads (each its own event_base, httpio on a SO_REUSEPORT
 * listener, and PostgreSQL connection), the per-request pipeline, limits, CORS,
 * request logging and graceful shutdown. */
#ifndef API_HTTP_H
#define API_HTTP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <libpq-fe.h>

#include "arena.h"
#include "config.h"
#include "flags.h"
#include "log.h"
#include "random.h"
#include "router.h"
#include "session.h"
#include "textcache.h"
#include "tenant.h"

struct event_base;
struct event;
struct hashpool;
struct http_deferred;
struct httpio;

/* ---- request metrics (GET /_metrics, rendered by routes/ops.c) ----
 * Each worker owns its counters: only its own thread writes them (a relaxed load and
 * store, no read-modify-write, no lock on the request path), and /_metrics, on any
 * worker, sums every worker's with relaxed loads (a sum may lag by a request, never
 * tear). Counted once per finished request, from http_log_request; /_health is not. */
#define HTTP_METRICS_CLASSES 5  /* status classes 1xx .. 5xx */
#define HTTP_METRICS_BUCKETS 10 /* duration histogram upper bounds (http_metrics_bucket_ms) */
extern const int64_t http_metrics_bucket_ms[HTTP_METRICS_BUCKETS];

struct http_metrics {
	/* [route * HTTP_METRICS_CLASSES + class]; route index as in api_server.groups
	 * order, index nroutes = no route matched (404, refused requests) */
	atomic_uint_fast64_t *requests;
	atomic_uint_fast64_t buckets[HTTP_METRICS_BUCKETS]; /* per bucket, not cumulative */
	atomic_uint_fast64_t count, sum_ms;                 /* every finished request */
	atomic_int_fast64_t inflight;                       /* started, not yet finished */
};

/* Shared by all workers; read-only once the workers run (except the counters). */
struct api_server {
	const struct config *cfg;
	const struct logger *log;
	const struct tenant_config *tenants;
	const struct router *router;
	struct session_settings session;
	bool dev_allowed; /* tenant resolution: !production or env development/acceptance */
	atomic_int connections;
	atomic_int stopped_workers; /* workers whose loop has ended */
	int nworkers;
	struct api_worker *workers;
	int nhash_threads;         /* api.hash_threads resolved (0 = cores) */
	struct hashpool *hashpool; /* CPU work of deferred requests (api_defer) */
	/* Bumped whenever what /auth/me answers may have changed: a "platform_auth"
	 * notification (migration 007) seen by any worker, or a lost database connection.
	 * Cached /auth/me responses are valid only under the value they were made under. */
	atomic_int_fast64_t auth_generation;

	/* Operator routes (routes/ops.c), all set before http_start. */
	const struct api_route_group *const *groups; /* the route table (routes_all) */
	size_t nroutes;                              /* routes in groups (http_start) */
	int64_t started_ms, started_wall_ms;         /* monotonic and wall clock (http_start) */
	char *openapi; /* GET /_docs/openapi.json (ops_load, owned by main) */
	size_t openapi_len;
	char *structure; /* GET /_compas/structure.json, NULL: not served (owned by main) */
	size_t structure_len;
};

struct api_worker {
	struct api_server *server;
	int index;
	pthread_t thread;
	struct event_base *base;
	struct httpio *io; /* connections and requests (httpio.h) */
	/* The server's logger with a line buffer: a turn of the loop writes its lines with
	 * one write(2), from log_flush_ev (lowest priority, so it runs once the turn's
	 * requests are done). */
	struct logger log;
	struct log_buffer logbuf;
	struct event *log_flush_ev;
	struct random_pool ids; /* request ids */
	struct event *shutdown_ev;
	struct event *drain_timer;
	PGconn *db;
	struct arena *arena;
	struct flags_cache flags;
	struct event *db_ev;        /* the connection's socket: notifications */
	struct textcache summaries; /* /auth/me user summaries by user/tenant */
	struct textcache me;        /* /auth/me responses by token/tenant */
	const char *prepared[64];   /* statements prepared by api_query_cached */
	size_t nprepared;
	bool draining;
	int64_t drain_deadline_ms;
	/* deferred requests waiting for their work (freed at the end if never done) */
	struct http_deferred *deferred;
	struct http_metrics metrics; /* written by this worker's thread only */
};

/* Create the workers: connect, prepare, bind (all before returning, so a bind or
 * database failure is reported at start-up). evthread_use_pthreads() must have been
 * called before (main does). */
struct err *http_start(struct api_server *srv);
/* Ask every worker to drain and stop (thread-safe, async-signal-unsafe). */
void http_stop(struct api_server *srv);
/* Wait for the workers and free them. */
void http_join(struct api_server *srv);

/* Prepare the api's statements on a fresh connection, and LISTEN for platform_auth. */
struct err *http_prepare(PGconn *db);

#endif
