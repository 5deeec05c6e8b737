/* platform-queue: the job queue daemon (issue 6). Usage:
 *   platform-queue [--config FILE]                 run the workers (SIGTERM drains)
 *   platform-queue [--config FILE] --retry-failed [NAME]  reset failed jobs, exit */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "daemon.h"
#include "exitcode.h"
#include "fatal.h"
#include "json.h"
#include "notify.h"
#include "pg.h"
#include "schedule.h"
#include "timeutil.h"
#include "watchdog.h"
#include "worker.h"

struct main_args {
	const char *config;
	bool retry_failed;
	const char *retry_name;
};

static void
main_usage(FILE *f)
{
	fprintf(f, "usage: platform-queue [--config FILE] [--retry-failed [NAME]]\n"
	           "  Runs the job queue workers. --retry-failed resets jobs kept as failed\n"
	           "  (all, or those named NAME) so they run again, and exits.\n");
}

static void
main_parse_args(int argc, char **argv, struct main_args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			main_usage(stdout);
			exit(EXIT_OK);
		} else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			a->config = argv[++i];
		} else if (strcmp(argv[i], "--retry-failed") == 0) {
			a->retry_failed = true;
			if (i + 1 < argc && argv[i + 1][0] != '-')
				a->retry_name = argv[++i];
		} else {
			fprintf(stderr, "platform-queue: unknown argument %s\n", argv[i]);
			main_usage(stderr);
			exit(EXIT_USAGE);
		}
	}
}

static void
main_log(const struct logger *lg, enum log_level level, const char *message, cJSON *m)
{
	cJSON *context = json_object();

	cJSON_AddStringToObject(context, "type", "queue");
	if (m == NULL)
		m = json_object();
	cJSON_AddStringToObject(m, "message", message);
	log_json(lg, level, context, m);
	cJSON_Delete(context);
}

static int
main_retry_failed(const struct config *cfg, const struct logger *lg, const char *name)
{
	struct err *e = NULL;
	PGconn *conn = pg_connect(cfg, lg, NULL, &e);
	int64_t count = 0;
	cJSON *m;

	if (conn == NULL || (e = job_retry_failed(conn, name, &count)) != NULL) {
		log_error(lg, "queue", "retry-failed: %s", e->message);
		err_free(e);
		if (conn != NULL)
			PQfinish(conn);
		return conn == NULL ? EXIT_DB : EXIT_RUNTIME;
	}
	PQfinish(conn);
	m = json_object();
	cJSON_AddNumberToObject(m, "count", (double)count);
	if (name != NULL)
		cJSON_AddStringToObject(m, "name", name);
	main_log(lg, LOG_INFO, "Failed jobs reset for a new attempt", m);
	return EXIT_OK;
}

/* Register the recurring jobs before the workers start. */
static int
main_register_cron(const struct config *cfg, const struct logger *lg)
{
	struct schedule_entry *s = NULL;
	struct err *e;
	PGconn *conn;
	int n = 0;

	if ((e = schedule_load(cfg, &s, &n)) != NULL) {
		fprintf(stderr, "platform-queue: configuration error: %s\n", e->message);
		err_free(e);
		return EXIT_CONFIG;
	}
	conn = pg_connect(cfg, lg, NULL, &e);
	if (conn == NULL || (e = schedule_register(conn, s, n)) != NULL) {
		log_error(lg, "queue", "registering cron jobs: %s", e->message);
		err_free(e);
		free(s);
		if (conn != NULL)
			PQfinish(conn);
		return conn == NULL ? EXIT_DB : EXIT_RUNTIME;
	}
	PQfinish(conn);
	free(s);
	return EXIT_OK;
}

/* Threads inherit the blocked SIGTERM/SIGINT mask: only the main thread takes them. */
static void
main_start_workers(struct queue *q)
{
	q->workers = xcalloc((size_t)q->nworkers, sizeof(struct worker));
	atomic_store(&q->running, q->nworkers);
	for (int i = 0; i < q->nworkers; i++) {
		q->workers[i].q = q;
		q->workers[i].index = i;
		pthread_mutex_init(&q->workers[i].slot.mu, NULL);
	}
	for (int i = 0; i < q->nworkers; i++)
		if (pthread_create(&q->workers[i].thread, NULL, worker_main, &q->workers[i]) != 0)
			fatal("pthread_create failed");
}

static void
main_begin_stop(struct queue *q)
{
	uint64_t one = 1;
	cJSON *m = json_object();

	atomic_store(&q->stopping, true);
	if (write(q->stop_fd, &one, sizeof(one)) < 0)
		fatal("eventfd write: %s", strerror(errno));
	notify_send("STOPPING=1");
	cJSON_AddNumberToObject(m, "workers", q->nworkers);
	main_log(q->lg, LOG_INFO, "Stopping queue", m);
}

/* Signals, readiness, watchdog and shutdown, ten times a second. Returns the exit code
 * once every worker has returned. */
static int
main_loop(struct queue *q, const sigset_t *sigs)
{
	struct timespec tick = { 0, 100 * 1000000L };
	int64_t stop_deadline = 0;
	bool ready_sent = false;

	for (;;) {
		int sig = sigtimedwait(sigs, NULL, &tick);

		if (sig == SIGTERM || sig == SIGINT) {
			if (atomic_load(&q->stopping)) {
				main_log(q->lg, LOG_INFO, "Second signal: exiting now", NULL);
				_exit(EXIT_OK);
			}
			main_begin_stop(q);
			stop_deadline =
			    timeutil_monotonic_ms() + q->cfg->queue_shutdown_timeout_s * 1000;
		}
		if (!ready_sent && atomic_load(&q->ready) == q->nworkers) {
			cJSON *m = json_object();

			cJSON_AddNumberToObject(m, "workers", q->nworkers);
			cJSON_AddNumberToObject(m, "pollInterval",
			                        (double)q->cfg->queue_poll_interval_ms);
			main_log(q->lg, LOG_INFO, "Starting queue", m);
			notify_send("READY=1");
			ready_sent = true;
		}
		if (atomic_load(&q->failures) > 0 && !atomic_load(&q->stopping)) {
			main_log(q->lg, LOG_ERROR, "A worker lost the database; stopping", NULL);
			main_begin_stop(q);
			stop_deadline =
			    timeutil_monotonic_ms() + q->cfg->queue_shutdown_timeout_s * 1000;
		}
		watchdog_check(q);
		if (atomic_load(&q->running) == 0)
			break;
		if (stop_deadline != 0 && timeutil_monotonic_ms() > stop_deadline) {
			/* running handlers are abandoned: their transactions roll back and
			 * their leases bring the jobs back */
			main_log(q->lg, LOG_ERROR, "Shutdown time-out: exiting with jobs running",
			         NULL);
			_exit(EXIT_OK);
		}
	}
	for (int i = 0; i < q->nworkers; i++)
		pthread_join(q->workers[i].thread, NULL);
	return atomic_load(&q->failures) > 0 ? EXIT_DB : EXIT_OK;
}

int
main(int argc, char **argv)
{
	struct main_args args;
	struct config cfg;
	struct logger lg;
	struct queue q;
	sigset_t sigs;
	struct err *e;
	int rc;

	main_parse_args(argc, argv, &args);
	daemon_setup("queue", args.config, &cfg, &lg);
	if (args.retry_failed) {
		rc = main_retry_failed(&cfg, &lg, args.retry_name);
		config_free(&cfg);
		return rc;
	}
	memset(&q, 0, sizeof(q));
	q.cfg = &cfg;
	q.lg = &lg;
	q.nworkers = (int)cfg.queue_parallel;
	if ((e = mail_send_init(&q.mail, &cfg, &lg)) != NULL) {
		fprintf(stderr, "platform-queue: configuration error: %s\n", e->message);
		err_free(e);
		config_free(&cfg);
		return EXIT_CONFIG;
	}
	/* signals are taken by sigtimedwait in the main thread only */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (cfg.queue_cron && (rc = main_register_cron(&cfg, &lg)) != EXIT_OK) {
		curl_global_cleanup();
		config_free(&cfg);
		return rc;
	}
	q.stop_fd = eventfd(0, EFD_CLOEXEC);
	if (q.stop_fd < 0)
		fatal("eventfd: %s", strerror(errno));
	main_start_workers(&q);
	rc = main_loop(&q, &sigs);
	for (int i = 0; i < q.nworkers; i++)
		pthread_mutex_destroy(&q.workers[i].slot.mu);
	free(q.workers);
	close(q.stop_fd);
	curl_global_cleanup();
	config_free(&cfg);
	return rc;
}
