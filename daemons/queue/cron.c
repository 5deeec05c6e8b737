/* Cron expression parsing and next-occurrence search, UTC only. */
#include "cron.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct cron_field {
	int lo, hi;
	const char *const *names; /* names[i] is value lo+i (NULL: no names) */
};

static const char *const cron_months[] = { "jan", "feb", "mar", "apr", "may", "jun",
	                                   "jul", "aug", "sep", "oct", "nov", "dec" };
static const char *const cron_days[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

static const struct cron_field cron_fields[6] = {
	{ 0, 59, NULL }, { 0, 59, NULL },        { 0, 23, NULL },
	{ 1, 31, NULL }, { 1, 12, cron_months }, { 0, 7, cron_days },
};

static bool
cron_value(const char *s, size_t n, const struct cron_field *f, int *out)
{
	char buf[16];
	char *end;
	long v;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (f->names != NULL && isalpha((unsigned char)buf[0])) {
		for (int i = 0; i <= f->hi - f->lo; i++)
			if (strcasecmp(buf, f->names[i]) == 0) {
				*out = f->lo + i;
				return true;
			}
		return false;
	}
	v = strtol(buf, &end, 10);
	if (*end != '\0' || !isdigit((unsigned char)buf[0]) || v < f->lo || v > f->hi)
		return false;
	*out = (int)v;
	return true;
}

/* One comma-separated item: "*", "a", "a-b", each optionally "/step". */
static bool
cron_item(const char *s, size_t n, const struct cron_field *f, uint64_t *bits)
{
	const char *slash = memchr(s, '/', n), *dash;
	size_t rn = slash != NULL ? (size_t)(slash - s) : n;
	int lo = f->lo, hi = f->hi, step = 1;

	if (slash != NULL) {
		struct cron_field sf = { 1, f->hi + 1, NULL };

		if (!cron_value(slash + 1, n - rn - 1, &sf, &step))
			return false;
	}
	if (!(rn == 1 && (s[0] == '*' || s[0] == '?'))) {
		dash = memchr(s, '-', rn);
		if (dash != NULL) {
			if (!cron_value(s, (size_t)(dash - s), f, &lo) ||
			    !cron_value(dash + 1, rn - (size_t)(dash - s) - 1, f, &hi) || hi < lo)
				return false;
		} else {
			if (!cron_value(s, rn, f, &lo))
				return false;
			if (slash == NULL)
				hi = lo;
		}
	}
	for (int v = lo; v <= hi; v += step)
		*bits |= 1ULL << v;
	return true;
}

static bool
cron_field_parse(const char *s, const struct cron_field *f, uint64_t *bits, bool *any)
{
	*bits = 0;
	*any = (strcmp(s, "*") == 0 || strcmp(s, "?") == 0);
	while (*s != '\0') {
		size_t n = strcspn(s, ",");

		if (!cron_item(s, n, f, bits))
			return false;
		s += n;
		if (*s == ',')
			s++;
	}
	return *bits != 0;
}

static const char *
cron_shortcut(const char *expr)
{
	static const struct {
		const char *name, *expr;
	} map[] = { { "@yearly", "0 0 1 1 *" },  { "@annually", "0 0 1 1 *" },
		    { "@monthly", "0 0 1 * *" }, { "@weekly", "0 0 * * 0" },
		    { "@daily", "0 0 * * *" },   { "@midnight", "0 0 * * *" },
		    { "@hourly", "0 * * * *" } };

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(expr, map[i].name) == 0)
			return map[i].expr;
	return expr;
}

bool
cron_parse(const char *expr, struct cron *c, char *why, size_t whylen)
{
	char copy[256], *fields[7], *save = NULL, *tok;
	int n = 0, first;
	uint64_t bits[6];
	bool any[6];

	memset(c, 0, sizeof(*c));
	if (expr == NULL || strlen(expr) >= sizeof(copy)) {
		snprintf(why, whylen, "missing or too long");
		return false;
	}
	snprintf(copy, sizeof(copy), "%s", cron_shortcut(expr));
	for (tok = strtok_r(copy, " \t", &save); tok != NULL && n < 7;
	     tok = strtok_r(NULL, " \t", &save))
		fields[n++] = tok;
	if (n != 5 && n != 6) {
		snprintf(why, whylen, "expected 5 or 6 fields, got %d", n);
		return false;
	}
	first = n == 6 ? 0 : 1;
	bits[0] = 1; /* second 0 when there is no seconds field */
	any[0] = false;
	for (int i = first; i < 6; i++) {
		if (!cron_field_parse(fields[i - first], &cron_fields[i], &bits[i], &any[i])) {
			snprintf(why, whylen, "bad field %d \"%s\"", i - first + 1,
			         fields[i - first]);
			return false;
		}
	}
	if (bits[5] & (1ULL << 7)) /* Sunday as 7 */
		bits[5] = (bits[5] | 1ULL) & 0x7f;
	c->second = bits[0];
	c->minute = bits[1];
	c->hour = (uint32_t)bits[2];
	c->dom = (uint32_t)bits[3];
	c->month = (uint32_t)bits[4];
	c->dow = (uint32_t)bits[5];
	c->dom_any = any[3];
	c->dow_any = any[5];
	c->has_seconds = n == 6;
	return true;
}

static bool
cron_day_matches(const struct cron *c, const struct tm *tm)
{
	bool dom = (c->dom >> tm->tm_mday) & 1, dow = (c->dow >> tm->tm_wday) & 1;

	if (c->dom_any && c->dow_any)
		return true;
	if (c->dom_any)
		return dow;
	if (c->dow_any)
		return dom;
	return dom || dow;
}

int64_t
cron_next(const struct cron *c, int64_t after_s)
{
	int64_t t = after_s + 1, limit = after_s + 5LL * 366 * 86400;
	struct tm tm;
	time_t tt;

	if (!c->has_seconds && t % 60 != 0)
		t += 60 - ((t % 60) + 60) % 60;
	while (t <= limit) {
		tt = (time_t)t;
		gmtime_r(&tt, &tm);
		if (!((c->month >> (tm.tm_mon + 1)) & 1)) {
			tm.tm_mon++;
			tm.tm_mday = 1;
			tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		} else if (!cron_day_matches(c, &tm)) {
			tm.tm_mday++;
			tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		} else if (!((c->hour >> tm.tm_hour) & 1)) {
			tm.tm_hour++;
			tm.tm_min = tm.tm_sec = 0;
		} else if (!((c->minute >> tm.tm_min) & 1)) {
			tm.tm_min++;
			tm.tm_sec = 0;
		} else if (!((c->second >> tm.tm_sec) & 1)) {
			tm.tm_sec++;
		} else {
			return t;
		}
		t = (int64_t)timegm(&tm);
	}
	return -1;
}
