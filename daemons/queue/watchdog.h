/* Handler time-outs, enforced by the worker process rather than left to the handler.
 * Cooperative limits come first: statement_timeout on the handler's transaction and
 * libcurl's time-out on SMTP. A handler still running WATCHDOG_GRACE_MS after its
 * deadline (stuck in C code, a DNS lookup, ...) cannot be stopped safely inside the
 * thread, so the watchdog records the attempt as failed (retry with backoff, or
 * failed for good) on a fresh connection and ends the whole process with EXIT_RUNTIME.
 * PostgreSQL then rolls the handler's transaction back; the supervisor restarts the
 * daemon; other jobs of the process come back when their lease ends. */
#ifndef QUEUE_WATCHDOG_H
#define QUEUE_WATCHDOG_H

#include "worker.h"

#define WATCHDOG_GRACE_MS 1000

/* Check every worker slot; does not return when a handler overran. */
void watchdog_check(struct queue *q);

#endif
