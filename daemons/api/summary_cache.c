/* Open addressing over a fixed table; invalidation is all-or-nothing by epoch, which is
 * enough because changes to users, logins and roles are rare next to /auth/me reads. */
#include "summary_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fatal.h"

void
summary_cache_init(struct summary_cache *sc)
{
	sc->epoch = -1;
	sc->used = 0;
	sc->slots = NULL;
}

static void
summary_cache_clear(struct summary_cache *sc)
{
	if (sc->slots == NULL)
		return;
	for (size_t i = 0; i < SUMMARY_CACHE_SLOTS; i++) {
		free(sc->slots[i].json);
		sc->slots[i].json = NULL;
		sc->slots[i].key[0] = '\0';
	}
	sc->used = 0;
}

static size_t
summary_cache_hash(const char *key)
{
	size_t h = 1469598103934665603ULL; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h;
}

/* The slot holding key, or the free slot where it would go. */
static struct summary_cache_entry *
summary_cache_slot(struct summary_cache *sc, const char *key)
{
	size_t i = summary_cache_hash(key) % SUMMARY_CACHE_SLOTS;

	for (;;) {
		struct summary_cache_entry *e = &sc->slots[i];

		if (e->key[0] == '\0' || strcmp(e->key, key) == 0)
			return e;
		i = (i + 1) % SUMMARY_CACHE_SLOTS;
	}
}

static void
summary_cache_key(char *out, size_t n, const char *user_id, const char *tenant_id)
{
	snprintf(out, n, "%s/%s", user_id, tenant_id);
}

const char *
summary_cache_get(struct summary_cache *sc, int64_t epoch, const char *user_id,
                  const char *tenant_id)
{
	char key[80];
	struct summary_cache_entry *e;

	if (epoch != sc->epoch) {
		summary_cache_clear(sc);
		sc->epoch = epoch;
		return NULL;
	}
	if (sc->slots == NULL)
		return NULL;
	summary_cache_key(key, sizeof(key), user_id, tenant_id);
	e = summary_cache_slot(sc, key);
	return e->key[0] != '\0' ? e->json : NULL;
}

void
summary_cache_put(struct summary_cache *sc, int64_t epoch, const char *user_id,
                  const char *tenant_id, const char *json)
{
	char key[80];
	struct summary_cache_entry *e;

	if (epoch != sc->epoch) {
		summary_cache_clear(sc);
		sc->epoch = epoch;
	}
	if (sc->slots == NULL)
		sc->slots = xcalloc(SUMMARY_CACHE_SLOTS, sizeof(*sc->slots));
	/* keep the table at most half full so probes stay short */
	if (sc->used >= SUMMARY_CACHE_SLOTS / 2)
		summary_cache_clear(sc);
	summary_cache_key(key, sizeof(key), user_id, tenant_id);
	e = summary_cache_slot(sc, key);
	if (e->key[0] == '\0') {
		snprintf(e->key, sizeof(e->key), "%s", key);
		sc->used++;
	}
	free(e->json);
	e->json = xstrdup(json);
}

void
summary_cache_free(struct summary_cache *sc)
{
	summary_cache_clear(sc);
	free(sc->slots);
	sc->slots = NULL;
}
