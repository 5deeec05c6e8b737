/* Development-only jobs for tests (refused in production, i.e. not registered there).
 * Both insert a row into "queueTestRecord", a table only test databases have:
 *   platform.test.record  in the job's transaction (rolled back on failure or crash)
 *   platform.test.mark    in autocommit (survives anything: shows duplicate runs)
 * data: {tag?: string, sleepMs?: int (blocking sleep after the insert, not
 * interruptible: exercises the watchdog), failTimes?: int (fail while retryCount <
 * failTimes)}. */
#ifndef QUEUE_DEVJOBS_H
#define QUEUE_DEVJOBS_H

#include "handler.h"

struct err *devjobs_record(struct handler_ctx *ctx, const struct job *j);

#endif
