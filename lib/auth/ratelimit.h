/* The template's per-IP limiter (seed-api §10.1, rate-limiter-flexible's memory
 * limiter): a fixed window of `points` that starts at a key's first consumption; a
 * request that takes the total over the budget is rejected and blocks the key for
 * `block_ms`. Thread-safe (one mutex); memory is bounded by sweeping expired keys. */
#ifndef AUTH_RATELIMIT_H
#define AUTH_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A clock in milliseconds; injected so tests need no sleeping. */
typedef int64_t (*ratelimit_clock)(void *arg);

struct ratelimit;

/* clock NULL = timeutil_monotonic_ms. Never returns NULL (aborts on out of memory). */
struct ratelimit *ratelimit_new(int64_t points, int64_t window_ms, int64_t block_ms,
                                ratelimit_clock clock, void *clock_arg);
void ratelimit_free(struct ratelimit *rl);

/* Consume cost points for key. True when allowed, false when rejected (over budget
 * or blocked). When retry_after_ms is not NULL it gets the time until the key resets. */
bool ratelimit_consume(struct ratelimit *rl, const char *key, int64_t cost,
                       int64_t *retry_after_ms);

/* Number of keys currently tracked (tests). */
size_t ratelimit_size(struct ratelimit *rl);

#endif
