/* Feature-flag read path (seed-api §6.5, §7.12): a per-worker snapshot of the
 * "featureFlag" table kept for api.feature_flag_cache_ms, resolved per tenant. */
#ifndef API_FLAGS_H
#define API_FLAGS_H

#include <stdint.h>
#include <cjson/cJSON.h>

#include "err.h"

struct api_ctx;

struct flags_cache {
	int64_t loaded_ms; /* monotonic; 0 = empty */
	cJSON *rows;       /* [{name, globalValue, tenantValues}] */
};

/* {"<flag>": bool, ...} for every available flag and the request's tenant (required). */
struct err *flags_current(struct api_ctx *c, cJSON **out);
/* Drop the snapshot (the next read reloads). */
void flags_flush(struct flags_cache *fc);

#endif
