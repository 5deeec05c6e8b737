/* Per-worker cache of auth.userSummary JSON by (user, tenant), valid only while the
 * database's summary epoch (migration 006) is unchanged: /auth/me then needs one light
 * statement on a hit, and never serves a summary older than the last committed change. */
#ifndef API_SUMMARY_CACHE_H
#define API_SUMMARY_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define SUMMARY_CACHE_SLOTS 4096 /* entries per worker; a full table starts over */

struct summary_cache_entry {
	char key[80]; /* "<user id>/<tenant id>", "" = free */
	char *json;   /* owned */
};

struct summary_cache {
	int64_t epoch; /* the epoch every entry was computed under; -1 = none */
	size_t used;
	struct summary_cache_entry *slots; /* SUMMARY_CACHE_SLOTS, allocated on first store */
};

void summary_cache_init(struct summary_cache *sc);
/* The cached JSON text for user/tenant under epoch, or NULL. A different epoch drops
 * every entry first. */
const char *summary_cache_get(struct summary_cache *sc, int64_t epoch, const char *user_id,
                              const char *tenant_id);
/* Store a copy of json for user/tenant under epoch. */
void summary_cache_put(struct summary_cache *sc, int64_t epoch, const char *user_id,
                       const char *tenant_id, const char *json);
void summary_cache_free(struct summary_cache *sc);

#endif
