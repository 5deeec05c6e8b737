/* The watchdog: the main thread calls it about ten times a second. */
#include "watchdog.h"

#include <stdio.h>
#include <unistd.h>

#include "exitcode.h"
#include "json.h"
#include "pg.h"
#include "retry.h"
#include "timeutil.h"

static _Noreturn void
watchdog_fire(struct queue *q, struct worker_slot *s)
{
	const struct job *j = s->job;
	char msg[128];
	cJSON *context = json_object(), *m = json_object();
	struct err *e = NULL;
	enum retry_outcome ro = RETRY_LEASE_LOST;
	PGconn *conn;

	snprintf(msg, sizeof(msg), "handler timed out after %lld ms", (long long)s->timeout_ms);
	conn = pg_connect(q->cfg, q->lg, NULL, &e);
	if (conn != NULL) {
		const char *params[1] = { "5000" };

		e = pg_exec(conn, "SELECT set_config('lock_timeout', $1, false)", 1, params);
		if (e == NULL)
			e = job_prepare(conn);
		if (e == NULL)
			e = retry_record_failure(conn, q->cfg, j, s->lease, msg, &ro);
		PQfinish(conn);
	}
	cJSON_AddStringToObject(context, "type", "queue_handler");
	cJSON_AddStringToObject(context, "id", j->id_text);
	cJSON_AddStringToObject(m, "type", "job_timeout");
	cJSON_AddStringToObject(m, "name", j->name);
	cJSON_AddNumberToObject(m, "timeoutMs", (double)s->timeout_ms);
	cJSON_AddStringToObject(m, "outcome",
	                        e != NULL            ? "unrecorded"
	                        : ro == RETRY_LATER  ? "retry"
	                        : ro == RETRY_FAILED ? "failed"
	                                             : "lease_lost");
	if (e != NULL)
		cJSON_AddStringToObject(m, "error", e->message);
	cJSON_AddStringToObject(m, "message",
	                        "handler exceeded its time-out; ending the process so that its "
	                        "transaction rolls back");
	log_json(q->lg, LOG_ERROR, context, m);
	cJSON_Delete(context);
	_exit(EXIT_RUNTIME);
}

void
watchdog_check(struct queue *q)
{
	int64_t now = timeutil_monotonic_ms();

	for (int i = 0; i < q->nworkers; i++) {
		struct worker_slot *s = &q->workers[i].slot;

		pthread_mutex_lock(&s->mu);
		if (s->deadline_ms != 0 && s->job != NULL &&
		    now > s->deadline_ms + WATCHDOG_GRACE_MS)
			watchdog_fire(q, s);
		pthread_mutex_unlock(&s->mu);
	}
}
