/* Capped exponential backoff with "equal jitter", so retries of many jobs that failed
 * together (a mail server outage) spread out instead of arriving in one wave. */
#include "backoff.h"

#include "random.h"

int64_t
backoff_delay_ms(int64_t base_ms, int64_t max_ms, int64_t attempt)
{
	int64_t d = base_ms;

	for (int64_t i = 1; i < attempt && d < max_ms; i++)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	if (d <= 1)
		return d < 0 ? 0 : d;
	if (d / 2 + 1 > (int64_t)UINT32_MAX)
		return d;
	return d - d / 2 + (int64_t)random_uniform((uint32_t)(d / 2 + 1));
}
