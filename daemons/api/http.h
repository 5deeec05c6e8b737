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
