/* Open addressing over a fixed table; invalidation is all-or-nothing by stamp, which is
 * enough because the changes that move a stamp are rare next to /auth/me reads. */
#include "textcache.h"

#include <stdlib.h>
#include <string.h>

#include "fatal.h"

void
textcache_init(struct textcache *tc)
{
	tc->stamp = -1;
	tc->used = 0;
	tc->slots = NULL;
}

static void
textcache_clear(struct textcache *tc)
{
	if (tc->slots == NULL)
		return;
	for (size_t i = 0; i < TEXTCACHE_SLOTS; i++) {
		free(tc->slots[i].text);
		tc->slots[i].text = NULL;
		tc->slots[i].key[0] = '\0';
	}
	tc->used = 0;
}

static size_t
textcache_hash(const char *key)
{
	size_t h = 1469598103934665603ULL; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h;
}

/* The slot holding key, or the free slot where it would go. */
static struct textcache_entry *
textcache_slot(struct textcache *tc, const char *key)
{
	size_t i = textcache_hash(key) % TEXTCACHE_SLOTS;

	for (;;) {
		struct textcache_entry *e = &tc->slots[i];

		if (e->key[0] == '\0' || strcmp(e->key, key) == 0)
			return e;
		i = (i + 1) % TEXTCACHE_SLOTS;
	}
}

static void
textcache_restamp(struct textcache *tc, int64_t stamp)
{
	if (stamp == tc->stamp)
		return;
	textcache_clear(tc);
	tc->stamp = stamp;
}

const char *
textcache_get(struct textcache *tc, int64_t stamp, const char *key, int64_t now_ms, size_t *len)
{
	struct textcache_entry *e;

	textcache_restamp(tc, stamp);
	if (tc->slots == NULL || strlen(key) >= sizeof(e->key))
		return NULL;
	e = textcache_slot(tc, key);
	if (e->key[0] == '\0' || now_ms >= e->expires_ms)
		return NULL;
	*len = e->len;
	return e->text;
}

void
textcache_put(struct textcache *tc, int64_t stamp, const char *key, const char *text, size_t len,
              int64_t expires_ms)
{
	struct textcache_entry *e;

	textcache_restamp(tc, stamp);
	if (strlen(key) >= sizeof(e->key))
		return;
	if (tc->slots == NULL)
		tc->slots = xcalloc(TEXTCACHE_SLOTS, sizeof(*tc->slots));
	/* keep the table at most half full so probes stay short */
	if (tc->used >= TEXTCACHE_SLOTS / 2)
		textcache_clear(tc);
	e = textcache_slot(tc, key);
	if (e->key[0] == '\0') {
		memcpy(e->key, key, strlen(key) + 1);
		tc->used++;
	}
	free(e->text);
	e->text = xmalloc(len + 1);
	memcpy(e->text, text, len);
	e->text[len] = '\0';
	e->len = len;
	e->expires_ms = expires_ms;
}

void
textcache_free(struct textcache *tc)
{
	textcache_clear(tc);
	free(tc->slots);
	tc->slots = NULL;
}
