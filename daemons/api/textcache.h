/* Per-worker cache of JSON texts by key, all valid under one stamp: a different stamp
 * drops every entry. /auth/me keeps two: user summaries by (user, tenant) stamped with
 * the database's summary epoch (migration 006), and whole responses by (access token,
 * tenant) stamped with the server's auth generation (bumped on every change notified by
 * migration 007's triggers), each response also with its own expiry. */
#ifndef API_TEXTCACHE_H
#define API_TEXTCACHE_H

#include <stddef.h>
#include <stdint.h>

#define TEXTCACHE_SLOTS 4096 /* entries per cache; a half-full table starts over */

struct textcache_entry {
	char key[80]; /* "" = free */
	char *text;   /* owned */
	size_t len;
	int64_t expires_ms; /* wall clock */
};

struct textcache {
	int64_t stamp; /* the stamp every entry was stored under; -1 = none */
	size_t used;
	struct textcache_entry *slots; /* TEXTCACHE_SLOTS, allocated on first store */
};

void textcache_init(struct textcache *tc);
/* The text under key stored with this stamp and not expired at now_ms (and its length),
 * or NULL. A different stamp drops every entry first. */
const char *textcache_get(struct textcache *tc, int64_t stamp, const char *key, int64_t now_ms,
                          size_t *len);
/* Store a copy of text[0, len) under key with stamp, valid until expires_ms. */
void textcache_put(struct textcache *tc, int64_t stamp, const char *key, const char *text,
                   size_t len, int64_t expires_ms);
void textcache_free(struct textcache *tc);

#endif
