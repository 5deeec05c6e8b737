/* Failed attempts: backoff, final failure, cron continuation, in one transaction. */
#include "retry.h"

#include "backoff.h"
#include "pg.h"
#include "schedule.h"

struct err *
retry_record_failure(PGconn *conn, const struct config *cfg, const struct job *j, const char *lease,
                     const char *message, enum retry_outcome *outcome)
{
	int64_t attempt = j->retry_count + 1;
	bool final = attempt >= cfg->queue_max_attempts, done = false;
	int64_t delay = final ? 0
	                      : backoff_delay_ms(cfg->queue_backoff_base_ms,
	                                         cfg->queue_backoff_max_ms, attempt);
	struct err *e;

	*outcome = RETRY_LEASE_LOST;
	if ((e = pg_begin(conn)) != NULL)
		return e;
	e = job_fail(conn, j, lease, final, delay, message, &done);
	if (e == NULL && done && final && j->is_cron)
		e = schedule_insert_next(conn, j);
	if (e != NULL) {
		pg_rollback(conn);
		return e;
	}
	if ((e = pg_commit(conn)) != NULL)
		return e;
	if (done)
		*outcome = final ? RETRY_FAILED : RETRY_LATER;
	return NULL;
}
