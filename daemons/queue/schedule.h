/* Recurring jobs (platform-runtime §3.8, seed-api §8.2): the schedule, registration at
 * start-up and the next occurrence when a cron job completes. Both run under the
 * template's transaction advisory lock, so several daemons keep one pending job per
 * name; the next occurrence is always computed from "now", so ticks missed while no
 * daemon ran are skipped, not replayed. */
#ifndef QUEUE_SCHEDULE_H
#define QUEUE_SCHEDULE_H

#include <libpq-fe.h>

#include "config.h"
#include "cron.h"
#include "err.h"
#include "job.h"

#define SCHEDULE_LOCK_KEY (-9871233452LL)

struct schedule_entry {
	char name[128];
	char expr[128];
	struct cron cron;
};

/* The template's schedule, or queue.cron_schedule ("name=expr;name=expr") when set.
 * Caller frees *out. */
struct err *schedule_load(const struct config *cfg, struct schedule_entry **out, int *n);
/* Register the schedule in one transaction (deletes pending cron jobs not in it). */
struct err *schedule_register(PGconn *conn, const struct schedule_entry *s, int n);
/* Insert the next occurrence of cron job j; call inside the transaction that completes
 * (or finally fails) j. */
struct err *schedule_insert_next(PGconn *conn, const struct job *j);

#endif
