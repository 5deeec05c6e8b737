/* The HTTP core: worker threads (each its own event_base, evhttp on a SO_REUSEPORT
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
#include "router.h"
#include "session.h"
#include "summary_cache.h"
#include "tenant.h"

struct event_base;
struct evhttp;
struct evhttp_bound_socket;
struct evhttp_connection;
struct event;
struct hashpool;
struct http_deferred;
struct http_conn;

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
};

struct api_worker {
	struct api_server *server;
	int index;
	pthread_t thread;
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct event *shutdown_ev;
	struct event *drain_timer;
	PGconn *db;
	struct arena *arena;
	struct flags_cache flags;
	struct summary_cache summaries; /* /auth/me user summaries (summary_cache.h) */
	const char *prepared[64];       /* statements prepared by api_query_cached */
	size_t nprepared;
	bool draining;
	int64_t drain_deadline_ms;
	int inflight; /* requests not yet answered, deferred ones included */
	/* deferred requests waiting for their work (freed at the end if never done) */
	struct http_deferred *deferred;
	/* connections registered for the max-connections limit */
	struct evhttp_connection **conns;
	size_t nconns, capconns;
	/* open connections with their read deadline (api.read_timeout_s) */
	struct http_conn *open_conns;
};

/* Create the workers: connect, prepare, bind (all before returning, so a bind or
 * database failure is reported at start-up). evthread_use_pthreads() must have been
 * called before (main does). */
struct err *http_start(struct api_server *srv);
/* Ask every worker to drain and stop (thread-safe, async-signal-unsafe). */
void http_stop(struct api_server *srv);
/* Wait for the workers and free them. */
void http_join(struct api_server *srv);

/* Prepare the api's statements on a fresh connection. */
struct err *http_prepare(PGconn *db);

#endif
