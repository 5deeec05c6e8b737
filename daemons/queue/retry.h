/* Failure bookkeeping shared by the worker and the watchdog: retry later with backoff,
 * or keep the job failed after queue.max_attempts (and schedule a cron job's next run). */
#ifndef QUEUE_RETRY_H
#define QUEUE_RETRY_H

#include <stdbool.h>
#include <libpq-fe.h>

#include "config.h"
#include "err.h"
#include "job.h"

enum retry_outcome { RETRY_LATER, RETRY_FAILED, RETRY_LEASE_LOST };

/* Record that attempt retryCount+1 of j failed with message; in its own transaction. */
struct err *retry_record_failure(PGconn *conn, const struct config *cfg, const struct job *j,
                                 const char *lease, const char *message,
                                 enum retry_outcome *outcome);

#endif
