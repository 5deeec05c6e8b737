/* The "job" table's SQL for the worker: batched claims under a lease, batched
 * completion, lease renewal and release, failure bookkeeping and operator retries. */
#ifndef QUEUE_JOB_H
#define QUEUE_JOB_H

#include <stdbool.h>
#include <stdint.h>
#include <libpq-fe.h>
#include <cjson/cJSON.h>

#include "arena.h"
#include "err.h"

#define JOB_CRON_TYPE "compas.queue.cronJob"

struct job {
	int64_t id;
	const char *id_text;
	const char *name;
	int priority;
	int64_t retry_count;
	cJSON *data;              /* owned by the batch arena */
	int64_t timeout_ms;       /* "handlerTimeout", or 0 for the default */
	const char *scheduled_at; /* database text form */
	bool is_cron;
};

/* A claimed batch. lease is the "lockedUntil" value the claim wrote: it fences every
 * later statement, so a worker whose lease ran out cannot touch a job claimed again. */
struct job_batch {
	struct job *jobs;
	int n;
	char lease[64];
	int64_t lease_until_ms; /* app clock estimate of the lease end */
};

/* Prepare the worker's statements on conn (once per connection). */
struct err *job_prepare(PGconn *conn);
/* Complete the ndone jobs done (claimed under done_lease; *completed gets how many
 * still held it) and claim up to limit ready jobs, sorted by priority, "scheduledAt",
 * id, in one statement. ids and texts live in the arena a. */
struct err *job_claim_batch(PGconn *conn, const int64_t *done, int ndone, const char *done_lease,
                            int *completed, int limit, int64_t lease_ms, struct arena *a,
                            struct job_batch *b);
/* Mark ids (n of them, claimed under lease) complete; *done gets the rows updated. */
struct err *job_complete(PGconn *conn, const int64_t *ids, int n, const char *lease, int *done);
/* Extend the lease of ids to now + lease_ms; updates b->lease. *kept gets the count. */
struct err *job_renew(PGconn *conn, const int64_t *ids, int n, int64_t lease_ms,
                      struct job_batch *b, int *kept);
/* Give ids back at once (shutdown): another worker may claim them. */
struct err *job_release(PGconn *conn, const int64_t *ids, int n, const char *lease);
/* Record a failed attempt: retried after delay_ms, or kept failed when final.
 * *done is false when the lease was lost (another worker owns the job now). */
struct err *job_fail(PGconn *conn, const struct job *j, const char *lease, bool final,
                     int64_t delay_ms, const char *error, bool *done);
/* Milliseconds until the earliest future "scheduledAt" of a pending job, or -1. */
struct err *job_next_due_ms(PGconn *conn, int64_t *ms);
/* Reset failed jobs (all, or those named name) so they run again; *count gets how many. */
struct err *job_retry_failed(PGconn *conn, const char *name, int64_t *count);

#endif
