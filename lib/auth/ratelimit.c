/* Fixed-window per-key limiter with blocking, in memory, behind one mutex. */
#include "ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fatal.h"
#include "timeutil.h"

#define RATELIMIT_BUCKETS  4096
#define RATELIMIT_KEY_MAX  64
#define RATELIMIT_MAX_KEYS 200000 /* past this, new keys are not tracked (fail open) */

struct ratelimit_entry {
	struct ratelimit_entry *next;
	char key[RATELIMIT_KEY_MAX];
	int64_t consumed;
	int64_t expires_ms; /* end of the window, or of the block */
	bool blocked;
};

struct ratelimit {
	pthread_mutex_t mu;
	int64_t points, window_ms, block_ms;
	ratelimit_clock clock;
	void *clock_arg;
	size_t count;
	int64_t next_sweep_ms;
	struct ratelimit_entry *buckets[RATELIMIT_BUCKETS];
};

static int64_t
ratelimit_default_clock(void *arg)
{
	(void)arg;
	return timeutil_monotonic_ms();
}

struct ratelimit *
ratelimit_new(int64_t points, int64_t window_ms, int64_t block_ms, ratelimit_clock clock,
              void *clock_arg)
{
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));

	pthread_mutex_init(&rl->mu, NULL);
	rl->points = points;
	rl->window_ms = window_ms;
	rl->block_ms = block_ms;
	rl->clock = clock != NULL ? clock : ratelimit_default_clock;
	rl->clock_arg = clock_arg;
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	for (size_t i = 0; i < RATELIMIT_BUCKETS; i++) {
		struct ratelimit_entry *e = rl->buckets[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	pthread_mutex_destroy(&rl->mu);
	free(rl);
}

static size_t
ratelimit_hash(const char *key)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	return h % RATELIMIT_BUCKETS;
}

/* Drop every expired entry; at most once a second. Called with the mutex held. */
static void
ratelimit_sweep(struct ratelimit *rl, int64_t now)
{
	if (now < rl->next_sweep_ms)
		return;
	rl->next_sweep_ms = now + 1000;
	for (size_t i = 0; i < RATELIMIT_BUCKETS; i++) {
		struct ratelimit_entry **pp = &rl->buckets[i];

		while (*pp != NULL) {
			struct ratelimit_entry *e = *pp;

			if (e->expires_ms <= now) {
				*pp = e->next;
				free(e);
				rl->count--;
			} else {
				pp = &e->next;
			}
		}
	}
}

static struct ratelimit_entry *
ratelimit_find(struct ratelimit *rl, const char *key, size_t bucket)
{
	for (struct ratelimit_entry *e = rl->buckets[bucket]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

static struct ratelimit_entry *
ratelimit_insert(struct ratelimit *rl, const char *key, size_t bucket)
{
	struct ratelimit_entry *e;

	if (rl->count >= RATELIMIT_MAX_KEYS)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->next = rl->buckets[bucket];
	rl->buckets[bucket] = e;
	rl->count++;
	return e;
}

bool
ratelimit_consume(struct ratelimit *rl, const char *key, int64_t cost, int64_t *retry_after_ms)
{
	char k[RATELIMIT_KEY_MAX];
	struct ratelimit_entry *e;
	size_t bucket;
	int64_t now;
	bool allowed = true;

	snprintf(k, sizeof(k), "%s", key != NULL ? key : "");
	bucket = ratelimit_hash(k);
	pthread_mutex_lock(&rl->mu);
	now = rl->clock(rl->clock_arg);
	ratelimit_sweep(rl, now);
	e = ratelimit_find(rl, k, bucket);
	if (e != NULL && e->expires_ms <= now) {
		e->consumed = 0;
		e->blocked = false;
		e->expires_ms = now + rl->window_ms;
	}
	if (e == NULL) {
		e = ratelimit_insert(rl, k, bucket);
		if (e != NULL)
			e->expires_ms = now + rl->window_ms;
	}
	if (e != NULL) {
		e->consumed += cost;
		if (e->consumed > rl->points) {
			allowed = false;
			if (!e->blocked && rl->block_ms > 0) {
				e->blocked = true;
				e->expires_ms = now + rl->block_ms;
			}
		}
		if (retry_after_ms != NULL)
			*retry_after_ms = e->expires_ms - now;
	}
	pthread_mutex_unlock(&rl->mu);
	return allowed;
}

size_t
ratelimit_size(struct ratelimit *rl)
{
	size_t n;

	pthread_mutex_lock(&rl->mu);
	n = rl->count;
	pthread_mutex_unlock(&rl->mu);
	return n;
}
