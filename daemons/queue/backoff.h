/* Retry delays: capped exponential backoff with jitter. */
#ifndef QUEUE_BACKOFF_H
#define QUEUE_BACKOFF_H

#include <stdint.h>

/* Delay before attempt number attempt+1, after attempt (>= 1) failed:
 * d = min(max_ms, base_ms * 2^(attempt-1)), returned uniformly in [d/2, d]. */
int64_t backoff_delay_ms(int64_t base_ms, int64_t max_ms, int64_t attempt);

#endif
