/* The worker loop: claim, run, complete; LISTEN platform_job to wake up, poll as the
 * fallback (jobs inserted by the template's Node code do not notify). */
#include "worker.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "fatal.h"
#include "handler.h"
#include "json.h"
#include "pg.h"
#include "retry.h"
#include "schedule.h"
#include "timeutil.h"

enum worker_outcome {
	WORKER_OK_BATCH, /* success; completion goes out with the batch */
	WORKER_OK,       /* success, completed in the handler's transaction */
	WORKER_NO_HANDLER,
	WORKER_RETRY,
	WORKER_FAILED,
	WORKER_LEASE_LOST,
	WORKER_ERROR, /* could not even record the failure; the lease brings it back */
};

static const char *const worker_outcome_names[] = { "ok",     "ok",         "no_handler", "retry",
	                                            "failed", "lease_lost", "error" };

/* Successes not yet marked complete: they go out with the next claim. */
struct worker_pending {
	int64_t *ids;
	int n;
	char lease[64];
};

int64_t
worker_default_lease_ms(const struct config *cfg)
{
	return 2 * cfg->queue_handler_timeout_ms + WORKER_LEASE_MARGIN_MS;
}

static void
worker_log(struct worker *w, const char *fmt, const struct err *e)
{
	log_error(w->q->lg, "queue", fmt, w->index, e != NULL ? e->message : "");
}

static PGconn *
worker_connect(struct worker *w)
{
	const struct config *cfg = w->q->cfg;
	char timeout[24];
	const char *params[1] = { timeout };
	struct err *e = NULL;
	PGconn *conn = pg_connect(cfg, w->q->lg, NULL, &e);

	if (conn == NULL) {
		worker_log(w, "worker %d: %s", e);
		err_free(e);
		return NULL;
	}
	/* default for handlers outside a transaction; those inside get SET LOCAL */
	snprintf(timeout, sizeof(timeout), "%lld", (long long)cfg->queue_handler_timeout_ms);
	if ((e = pg_exec(conn, "SELECT set_config('statement_timeout', $1, false)", 1, params)) !=
	        NULL ||
	    (e = job_prepare(conn)) != NULL ||
	    (e = pg_exec(conn, "LISTEN platform_job", 0, NULL))) {
		worker_log(w, "worker %d: set-up failed: %s", e);
		err_free(e);
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

static bool
worker_drain_notifies(PGconn *conn)
{
	PGnotify *n;
	bool any = false;

	PQconsumeInput(conn);
	while ((n = PQnotifies(conn)) != NULL) {
		PQfreemem(n);
		any = true;
	}
	return any;
}

/* Sleep until a NOTIFY, the next scheduled job, the poll interval or shutdown. */
static void
worker_wait(struct worker *w, PGconn *conn)
{
	struct pollfd fds[2] = { { PQsocket(conn), POLLIN, 0 }, { w->q->stop_fd, POLLIN, 0 } };
	int64_t timeout = w->q->cfg->queue_poll_interval_ms, due = -1;
	struct err *e;

	if (worker_drain_notifies(conn))
		return;
	/* a scheduled job or a retry due before the next poll: wake up for it */
	if ((e = job_next_due_ms(conn, &due)) != NULL)
		err_free(e);
	else if (due >= 0 && due < timeout)
		timeout = due;
	if (poll(fds, 2, (int)timeout) > 0 && (fds[0].revents != 0))
		worker_drain_notifies(conn);
}

static void
worker_slot_set(struct worker *w, const struct job *j, const char *lease, int64_t timeout_ms,
                int64_t deadline_ms)
{
	pthread_mutex_lock(&w->slot.mu);
	w->slot.job = j;
	w->slot.timeout_ms = timeout_ms;
	w->slot.deadline_ms = deadline_ms;
	snprintf(w->slot.lease, sizeof(w->slot.lease), "%s", lease);
	pthread_mutex_unlock(&w->slot.mu);
}

static void
worker_slot_clear(struct worker *w)
{
	pthread_mutex_lock(&w->slot.mu);
	w->slot.job = NULL;
	w->slot.deadline_ms = 0;
	pthread_mutex_unlock(&w->slot.mu);
}

/* Transaction around a writing handler (or a cron job): the completion and the next
 * occurrence commit with the handler's own writes, or none of them does. */
static struct err *
worker_run_tx(struct handler_ctx *ctx, const struct handler *h, const struct job *j,
              const char *lease, int64_t timeout_ms, bool *lease_lost)
{
	char t[24];
	const char *params[1] = { t };
	int done = 0;
	struct err *e;

	snprintf(t, sizeof(t), "%lld", (long long)timeout_ms);
	if ((e = pg_begin(ctx->conn)) != NULL)
		return e;
	e = pg_exec(ctx->conn, "SELECT set_config('statement_timeout', $1, true)", 1, params);
	if (e == NULL && h != NULL)
		e = h->fn(ctx, j);
	if (e == NULL)
		e = job_complete(ctx->conn, &j->id, 1, lease, &done);
	if (e == NULL && done == 0) {
		*lease_lost = true;
		pg_rollback(ctx->conn);
		return NULL;
	}
	if (e == NULL && j->is_cron)
		e = schedule_insert_next(ctx->conn, j);
	if (e != NULL) {
		pg_rollback(ctx->conn);
		return e;
	}
	return pg_commit(ctx->conn);
}

static void
worker_log_job(struct worker *w, const struct job *j, enum worker_outcome o, int64_t ms,
               const struct err *e)
{
	cJSON *context = json_object(), *m = json_object();

	cJSON_AddStringToObject(context, "type", "queue_handler");
	cJSON_AddStringToObject(context, "id", j->id_text);
	cJSON_AddStringToObject(m, "type", "job");
	cJSON_AddStringToObject(m, "name", j->name);
	cJSON_AddStringToObject(m, "outcome", worker_outcome_names[o]);
	cJSON_AddNumberToObject(m, "attempt", (double)(j->retry_count + 1));
	cJSON_AddNumberToObject(m, "durationMs", (double)ms);
	if (e != NULL)
		cJSON_AddStringToObject(m, "error", e->message[0] ? e->message : e->key);
	log_json(w->q->lg, e != NULL || o == WORKER_LEASE_LOST ? LOG_ERROR : LOG_INFO, context, m);
	cJSON_Delete(context);
}

static enum worker_outcome
worker_failure(struct worker *w, PGconn *conn, const struct job *j, const char *lease,
               const struct err *cause)
{
	enum retry_outcome ro;
	char *info = cause->info != NULL ? json_print(cause->info) : NULL, msg[1024];
	struct err *e;

	/* a validator error says what was wrong in its info ({"$.metadata": ...}) */
	if (cause->message[0] != '\0')
		snprintf(msg, sizeof(msg), "%s", cause->message);
	else
		snprintf(msg, sizeof(msg), "%s%s%s", cause->key, info != NULL ? " " : "",
		         info != NULL ? info : "");
	free(info);
	e = retry_record_failure(conn, w->q->cfg, j, lease, msg, &ro);

	if (e != NULL) {
		worker_log(w, "worker %d: recording a failure: %s", e);
		err_free(e);
		return WORKER_ERROR;
	}
	return ro == RETRY_LATER    ? WORKER_RETRY
	       : ro == RETRY_FAILED ? WORKER_FAILED
	                            : WORKER_LEASE_LOST;
}

static enum worker_outcome
worker_run_job(struct worker *w, PGconn *conn, const struct job *j, const char *lease,
               struct arena *a)
{
	const struct config *cfg = w->q->cfg;
	const struct handler *h = handler_find(j->name, cfg->production);
	int64_t timeout = j->timeout_ms > 0 ? j->timeout_ms : cfg->queue_handler_timeout_ms;
	int64_t t0 = timeutil_monotonic_ms();
	struct handler_ctx ctx = { conn, cfg, w->q->lg, a, &w->q->mail, t0 + timeout };
	enum worker_outcome o = WORKER_OK_BATCH;
	bool lost = false;
	struct err *e = NULL;

	if (h == NULL) {
		/* consumed, as the template does; a cron job without handler is not
		 * rescheduled (an error, since the schedule names it) */
		cJSON *context = json_object(), *m = json_object();

		cJSON_AddStringToObject(context, "type", "queue");
		cJSON_AddStringToObject(m, "message", "No handler registered for the job.");
		cJSON_AddStringToObject(m, "name", j->name);
		cJSON_AddStringToObject(m, "id", j->id_text);
		log_json(w->q->lg, j->is_cron ? LOG_ERROR : LOG_INFO, context, m);
		cJSON_Delete(context);
		o = WORKER_NO_HANDLER;
	} else {
		worker_slot_set(w, j, lease, timeout, t0 + timeout);
		if ((h->flags & HANDLER_TX) || j->is_cron) {
			e = worker_run_tx(&ctx, h, j, lease, timeout, &lost);
			o = lost ? WORKER_LEASE_LOST : WORKER_OK;
		} else {
			e = h->fn(&ctx, j);
		}
		worker_slot_clear(w);
		if (e != NULL)
			o = worker_failure(w, conn, j, lease, e);
	}
	worker_log_job(w, j, o, timeutil_monotonic_ms() - t0, e);
	err_free(e);
	return o;
}

static void
worker_flush(struct worker *w, PGconn *conn, struct worker_pending *p)
{
	int count = 0;
	struct err *e;

	if (p->n == 0)
		return;
	e = job_complete(conn, p->ids, p->n, p->lease, &count);
	if (e != NULL) {
		worker_log(w, "worker %d: completing a batch: %s", e);
		err_free(e);
	} else if (count != p->n) {
		log_error(
		    w->q->lg, "queue",
		    "worker %d: %d of %d completed jobs had lost their lease (they run again)",
		    w->index, p->n - count, p->n);
	}
	p->n = 0;
}

/* Keep the lease ahead of the next handler's time-out. */
static void
worker_keep_lease(struct worker *w, PGconn *conn, struct job_batch *b, int from, int64_t timeout,
                  struct arena *a)
{
	int64_t need = timeout + WORKER_LEASE_MARGIN_MS, lease = worker_default_lease_ms(w->q->cfg);
	int64_t *ids;
	int kept = 0;
	struct err *e;

	if (b->lease_until_ms - timeutil_now_ms() >= need)
		return;
	if (lease < 2 * need)
		lease = 2 * need;
	ids = arena_alloc(a, sizeof(int64_t) * (size_t)(b->n - from));
	for (int i = from; i < b->n; i++)
		ids[i - from] = b->jobs[i].id;
	e = job_renew(conn, ids, b->n - from, lease, b, &kept);
	if (e != NULL) {
		worker_log(w, "worker %d: renewing a lease: %s", e);
		err_free(e);
	}
}

/* Run the batch; successes are left in p for the next claim to complete. */
static void
worker_run_batch(struct worker *w, PGconn *conn, struct job_batch *b, struct arena *a,
                 struct worker_pending *p)
{
	int i;

	snprintf(p->lease, sizeof(p->lease), "%s", b->lease);
	for (i = 0; i < b->n && !atomic_load(&w->q->stopping); i++) {
		const struct job *j = &b->jobs[i];
		int64_t timeout =
		    j->timeout_ms > 0 ? j->timeout_ms : w->q->cfg->queue_handler_timeout_ms;
		enum worker_outcome o;

		if (b->lease_until_ms - timeutil_now_ms() < timeout + WORKER_LEASE_MARGIN_MS) {
			worker_flush(w, conn, p);
			worker_keep_lease(w, conn, b, i, timeout, a);
			snprintf(p->lease, sizeof(p->lease), "%s", b->lease);
		}
		o = worker_run_job(w, conn, j, b->lease, a);
		if (o == WORKER_OK_BATCH || o == WORKER_NO_HANDLER)
			p->ids[p->n++] = j->id;
	}
	if (i < b->n) { /* shutting down: complete what ran, hand the rest back at once */
		int64_t *rest = arena_alloc(a, sizeof(int64_t) * (size_t)(b->n - i));
		struct err *e;

		worker_flush(w, conn, p);
		for (int k = i; k < b->n; k++)
			rest[k - i] = b->jobs[k].id;
		if ((e = job_release(conn, rest, b->n - i, b->lease)) != NULL) {
			worker_log(w, "worker %d: releasing jobs: %s", e);
			err_free(e);
		}
	}
}

void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct queue *q = w->q;
	PGconn *conn = worker_connect(w);
	struct arena *a = arena_new();
	struct worker_pending p = { xcalloc((size_t)q->cfg->queue_batch_size, sizeof(int64_t)), 0,
		                    "" };
	bool counted = false;

	while (conn != NULL && !atomic_load(&q->stopping)) {
		struct job_batch b = { 0 };
		int completed = 0;
		struct err *e;

		if (!counted) {
			atomic_fetch_add(&q->ready, 1);
			counted = true;
		}
		arena_reset(a);
		e = job_claim_batch(conn, p.ids, p.n, p.lease, &completed,
		                    (int)q->cfg->queue_batch_size, worker_default_lease_ms(q->cfg),
		                    a, &b);
		if (e != NULL) {
			worker_log(w, "worker %d: claiming jobs: %s", e);
			err_free(e);
			if (PQstatus(conn) != CONNECTION_OK) {
				/* the completions went down with it: those jobs run again */
				p.n = 0;
				PQfinish(conn);
				conn = worker_connect(w);
				continue;
			}
			worker_flush(w, conn, &p);
			worker_wait(w, conn);
			continue;
		}
		if (completed != p.n)
			log_error(
			    q->lg, "queue",
			    "worker %d: %d of %d completed jobs had lost their lease (they run "
			    "again)",
			    w->index, p.n - completed, p.n);
		p.n = 0;
		if (b.n == 0)
			worker_wait(w, conn);
		else
			worker_run_batch(w, conn, &b, a, &p);
	}
	if (conn == NULL) {
		atomic_fetch_add(&q->failures, 1);
	} else {
		worker_flush(w, conn, &p);
		PQfinish(conn);
	}
	free(p.ids);
	arena_free(a);
	atomic_fetch_sub(&q->running, 1);
	return NULL;
}
