/* Cron expressions in UTC (the npm cron-parser subset the template uses): 5 fields
 * (minute hour day-of-month month day-of-week) or 6 with leading seconds. */
#ifndef QUEUE_CRON_H
#define QUEUE_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cron {
	uint64_t second, minute; /* bit n set: value n allowed */
	uint32_t hour, dom, month, dow;
	bool dom_any, dow_any; /* "*": classic cron ORs dom and dow when both are restricted */
	bool has_seconds;
};

/* Parse expr (5 or 6 fields, `* , - /`, month and day names, `?`, @hourly-style
 * shortcuts). On failure returns false with a reason in why. */
bool cron_parse(const char *expr, struct cron *c, char *why, size_t whylen);
/* The first occurrence strictly after after_s (seconds since the epoch, UTC), or -1 if
 * none within five years (e.g. "0 0 31 2 *"). */
int64_t cron_next(const struct cron *c, int64_t after_s);

#endif
