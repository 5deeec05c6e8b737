/* platform-api: configuration, tenants, start-up sync, workers, signals. */
#include <event2/event.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "exitcode.h"
#include "fatal.h"
#include "http.h"
#include "log.h"
#include "notify.h"
#include "pg.h"
#include "router.h"
#include "routes.h"
#include "sync.h"
#include "tenant.h"

/* Everything main owns, in one place (no other global state). */
struct api_main {
	struct config cfg;
	struct logger log;
	struct tenant_config tenants;
	struct router *router;
	struct api_server srv;
	struct event_base *base;
	struct event *sigterm, *sigint, *poll;
	bool stopping;
};

static void
api_usage(FILE *out)
{
	fprintf(out, "usage: platform-api [--config FILE]\n"
	             "Serves the platform HTTP API (configuration: conf/platform.conf).\n");
}

static const char *
api_parse_args(int argc, char **argv)
{
	const char *config_path = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config_path = argv[++i];
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			api_usage(stdout);
			exit(EXIT_OK);
		} else {
			api_usage(stderr);
			exit(EXIT_USAGE);
		}
	}
	return config_path;
}

static void
api_poll_stopped(evutil_socket_t fd, short what, void *arg)
{
	struct api_main *m = arg;

	(void)fd;
	(void)what;
	if (atomic_load(&m->srv.stopped_workers) >= m->srv.nworkers)
		event_base_loopexit(m->base, NULL);
}

static void
api_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct api_main *m = arg;
	struct timeval tv = { 0, 20 * 1000 };

	(void)what;
	if (m->stopping) {
		log_info(&m->log, "api.shutdown", "second signal %d: exiting now", (int)sig);
		_exit(EXIT_RUNTIME);
	}
	m->stopping = true;
	notify_send("STOPPING=1");
	log_info(&m->log, "api.shutdown", "signal %d: draining (at most %llds)", (int)sig,
	         (long long)m->cfg.api_shutdown_timeout_s);
	http_stop(&m->srv);
	m->poll = event_new(m->base, -1, EV_PERSIST, api_poll_stopped, m);
	event_add(m->poll, &tv);
}

static int
api_sync(struct api_main *m)
{
	struct err *e = NULL;
	PGconn *db = pg_connect(&m->cfg, &m->log, NULL, &e);

	if (db == NULL) {
		log_error(&m->log, "api.start", "database: %s", e->message);
		err_free(e);
		return EXIT_DB;
	}
	e = sync_run(db, &m->tenants);
	PQfinish(db);
	if (e != NULL) {
		log_error(&m->log, "api.start", "start-up sync: %s: %s", e->key, e->message);
		err_free(e);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static int
api_setup(struct api_main *m)
{
	const char *env = m->cfg.backend_env != NULL ? m->cfg.backend_env : "development";
	struct err *e = tenant_config_load(m->cfg.api_tenants_file, env, &m->tenants);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int rc;

	if (e != NULL) {
		log_error(&m->log, "api.start", "tenants: %s", e->message);
		err_free(e);
		return EXIT_CONFIG;
	}
	if (m->cfg.api_access_token_ttl_s >= m->cfg.api_refresh_token_ttl_s) {
		log_error(&m->log, "api.start",
		          "api.access_token_ttl_s must be below api.refresh_token_ttl_s");
		return EXIT_CONFIG;
	}
	rc = api_sync(m);
	if (rc != EXIT_OK)
		return rc;
	m->router = router_new(routes_all);
	m->srv.cfg = &m->cfg;
	m->srv.log = &m->log;
	m->srv.tenants = &m->tenants;
	m->srv.router = m->router;
	m->srv.groups = routes_all;
	ops_load(&m->srv); /* /_docs/openapi.json, /_compas/structure.json */
	/* Always APP_KEYS (the template's fixed staging key is not used: DECISIONS). */
	m->srv.session.signing_key = m->cfg.app_keys;
	m->srv.session.access_ttl_s = m->cfg.api_access_token_ttl_s;
	m->srv.session.refresh_ttl_s = m->cfg.api_refresh_token_ttl_s;
	m->srv.session.grace_s = m->cfg.api_refresh_grace_s;
	m->srv.dev_allowed =
	    !m->cfg.production || strcmp(env, "development") == 0 || strcmp(env, "acceptance") == 0;
	m->srv.nworkers =
	    m->cfg.api_workers > 0 ? (int)m->cfg.api_workers : (int)(cores > 0 ? cores : 1);
	m->srv.nhash_threads = m->cfg.api_hash_threads > 0 ? (int)m->cfg.api_hash_threads
	                                                   : (int)(cores > 0 ? cores : 1);
	e = http_start(&m->srv);
	if (e != NULL) {
		log_error(&m->log, "api.start", "%s", e->message);
		err_free(e);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static void
api_cleanup(struct api_main *m)
{
	if (m->poll != NULL)
		event_free(m->poll);
	if (m->sigterm != NULL)
		event_free(m->sigterm);
	if (m->sigint != NULL)
		event_free(m->sigint);
	if (m->base != NULL)
		event_base_free(m->base);
	ops_unload(&m->srv);
	router_free(m->router);
	tenant_config_free(&m->tenants);
	config_free(&m->cfg);
}

int
main(int argc, char **argv)
{
	struct api_main m = { 0 };
	const char *config_path = api_parse_args(argc, argv);
	int rc;

	signal(SIGPIPE, SIG_IGN);
	daemon_setup("api", config_path, &m.cfg, &m.log);
	/* Signals are caught before the workers listen, so a SIGTERM right after the port
	 * opens is a graceful stop, not a kill. */
	if (evthread_use_pthreads() != 0)
		fatal("api: evthread_use_pthreads failed");
	m.base = event_base_new();
	m.sigterm = m.base != NULL ? evsignal_new(m.base, SIGTERM, api_on_signal, &m) : NULL;
	m.sigint = m.base != NULL ? evsignal_new(m.base, SIGINT, api_on_signal, &m) : NULL;
	if (m.sigterm == NULL || m.sigint == NULL)
		fatal("api: cannot set up signal handling");
	event_add(m.sigterm, NULL);
	event_add(m.sigint, NULL);
	rc = api_setup(&m);
	if (rc != EXIT_OK) {
		api_cleanup(&m);
		return rc;
	}
	log_info(&m.log, "api.start", "listening on %s:%lld with %d workers", m.cfg.api_listen,
	         (long long)m.cfg.api_port, m.srv.nworkers);
	notify_send("READY=1");
	event_base_dispatch(m.base);
	http_join(&m.srv);
	log_info(&m.log, "api.shutdown", "stopped");
	api_cleanup(&m);
	return EXIT_OK;
}
