/* Wall-clock time in ms since the epoch, and ISO 8601 (UTC, millisecond) text. */
#ifndef COMMON_TIMEUTIL_H
#define COMMON_TIMEUTIL_H

#include <stdbool.h>
#include <stdint.h>

#define TIMEUTIL_ISO_LEN 25 /* "2024-01-02T03:04:05.678Z" + NUL */

int64_t timeutil_now_ms(void);
int64_t timeutil_monotonic_ms(void);
void timeutil_iso8601(int64_t ms, char out[TIMEUTIL_ISO_LEN]);
/* Accepts "YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|+HHMM]" and Postgres' text form
 * "YYYY-MM-DD HH:MM:SS[.ffffff]+00[:00]". */
bool timeutil_parse_iso8601(const char *s, int64_t *ms_out);

#endif
