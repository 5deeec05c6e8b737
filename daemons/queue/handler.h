/* Job handlers: the context they run with and the table from job name to handler. */
#ifndef QUEUE_HANDLER_H
#define QUEUE_HANDLER_H

#include <stdbool.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "arena.h"
#include "config.h"
#include "err.h"
#include "job.h"
#include "log.h"

struct mail_send;

struct handler_ctx {
	PGconn *conn; /* the worker's connection; inside a transaction for HANDLER_TX */
	const struct config *cfg;
	const struct logger *lg;
	struct arena *arena; /* freed after the job */
	struct mail_send *mail;
	int64_t deadline_ms; /* monotonic clock; I/O time-outs must end before it */
};

typedef struct err *(*handler_fn)(struct handler_ctx *ctx, const struct job *j);

enum handler_flags {
	HANDLER_TX = 1,  /* writes to the database: runs in a transaction that also
	                  * completes the job, so its effect commits exactly once */
	HANDLER_DEV = 2, /* test helper: not registered in production */
};

struct handler {
	const char *name;
	handler_fn fn;
	unsigned flags;
};

/* The handler for name, or NULL (the job is then consumed, as the template does). */
const struct handler *handler_find(const char *name, bool production);
/* Log one line {type, ...} on the job's logger context; fields consumed. */
void handler_log(const struct handler_ctx *ctx, const struct job *j, const char *type,
                 cJSON *fields);
/* Milliseconds left before the deadline (at least 1). */
int64_t handler_remaining_ms(const struct handler_ctx *ctx);

#endif
