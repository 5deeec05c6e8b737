/* Enqueue the template's auth jobs (seed-api §8.3) as rows of "job", on the caller's
 * connection so they commit or roll back with the caller's transaction. */
#ifndef AUTH_AUTHJOB_H
#define AUTH_AUTHJOB_H

#include <cjson/cJSON.h>

#include "authctx.h"
#include "err.h"

#define AUTHJOB_PRIORITY 4

/* Insert job name with data (consumed) plus data.metadata = {tenant: ctx->tenant_meta}. */
struct err *authjob_enqueue(const struct authctx *ctx, const char *name, cJSON *data);

#endif
