/* NDJSON and pretty log printers. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fatal.h"
#include "timeutil.h"

void
log_init(struct logger *lg, const char *daemon, enum log_format format, int fd)
{
	lg->daemon = daemon;
	lg->application = NULL;
	lg->format = format;
	lg->fd = fd;
	lg->buffer = NULL;
}

static cJSON *
log_build_context(const struct logger *lg, const cJSON *context)
{
	cJSON *ctx = cJSON_CreateObject();
	const cJSON *it;

	if (ctx == NULL)
		fatal_oom();
	if (lg->application != NULL)
		cJSON_AddStringToObject(ctx, "application", lg->application);
	cJSON_AddStringToObject(ctx, "daemon", lg->daemon);
	cJSON_ArrayForEach(it, context)
	{
		if (it->string == NULL)
			continue;
		cJSON_DeleteItemFromObjectCaseSensitive(ctx, it->string);
		cJSON_AddItemToObject(ctx, it->string, cJSON_Duplicate(it, true));
	}
	return ctx;
}

static char *
log_format_ndjson(const struct logger *lg, enum log_level level, int64_t time_ms,
                  const cJSON *context, const cJSON *message)
{
	cJSON *line = cJSON_CreateObject();
	char *text, *out;
	size_t n;

	if (line == NULL)
		fatal_oom();
	cJSON_AddStringToObject(line, "level", level == LOG_ERROR ? "error" : "info");
	cJSON_AddNumberToObject(line, "time", (double)time_ms);
	cJSON_AddItemToObject(line, "context", log_build_context(lg, context));
	if (message != NULL)
		cJSON_AddItemToObject(line, "message", cJSON_Duplicate(message, true));
	text = cJSON_PrintUnformatted(line);
	cJSON_Delete(line);
	if (text == NULL)
		fatal_oom();
	n = strlen(text);
	out = xmalloc(n + 2);
	memcpy(out, text, n);
	out[n] = '\n';
	out[n + 1] = '\0';
	free(text);
	return out;
}

static char *
log_format_pretty(const struct logger *lg, enum log_level level, int64_t time_ms,
                  const cJSON *context, const cJSON *message)
{
	time_t secs = (time_t)(time_ms / 1000);
	struct tm tm;
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(context, "type");
	char *ctx_text = NULL, *msg_text = NULL, *out;
	cJSON *rest = NULL;
	size_t cap;

	localtime_r(&secs, &tm);
	if (context != NULL && cJSON_GetArraySize(context) > (type != NULL ? 1 : 0)) {
		rest = cJSON_Duplicate(context, true);
		cJSON_DeleteItemFromObjectCaseSensitive(rest, "type");
		ctx_text = cJSON_PrintUnformatted(rest);
		cJSON_Delete(rest);
	}
	if (cJSON_IsString(message))
		msg_text = xstrdup(message->valuestring);
	else if (message != NULL)
		msg_text = cJSON_Print(message);
	cap = 128 + strlen(lg->daemon) + (ctx_text ? strlen(ctx_text) : 0) +
	      (msg_text ? strlen(msg_text) : 0) +
	      (cJSON_IsString(type) ? strlen(type->valuestring) : 0);
	out = xmalloc(cap);
	snprintf(out, cap, "%02d:%02d:%02d.%03d %s%s\033[0m %s[%s]%s%s %s\n", tm.tm_hour, tm.tm_min,
	         tm.tm_sec, (int)(time_ms % 1000), level == LOG_ERROR ? "\033[31m" : "\033[34m",
	         level == LOG_ERROR ? "error" : "info", lg->daemon,
	         cJSON_IsString(type) ? type->valuestring : "", ctx_text ? " " : "",
	         ctx_text ? ctx_text : "", msg_text ? msg_text : "");
	free(ctx_text);
	free(msg_text);
	return out;
}

char *
log_format_line(const struct logger *lg, enum log_level level, int64_t time_ms,
                const cJSON *context, const cJSON *message)
{
	if (lg->format == LOG_FORMAT_PRETTY)
		return log_format_pretty(lg, level, time_ms, context, message);
	return log_format_ndjson(lg, level, time_ms, context, message);
}

static void
log_write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return; /* nowhere left to report a logging failure */
		}
		buf += w;
		n -= (size_t)w;
	}
}

static void
log_buffer_reserve(struct log_buffer *b, size_t n)
{
	size_t cap = b->cap != 0 ? b->cap : 4096;
	char *data;

	if (b->cap - b->len >= n)
		return;
	while (cap - b->len < n)
		cap *= 2;
	if (cap > LOG_BUFFER_MAX)
		cap = LOG_BUFFER_MAX; /* callers never ask for more than LOG_BUFFER_MAX in all */
	data = realloc(b->data, cap);
	if (data == NULL)
		fatal_oom();
	b->data = data;
	b->cap = cap;
}

void
log_write_line(const struct logger *lg, const char *line, size_t n)
{
	struct log_buffer *b = lg->buffer;
	bool was_empty;

	if (n == 0)
		return;
	if (b == NULL) {
		log_write_all(lg->fd, line, n);
		return;
	}
	if (n > LOG_BUFFER_MAX - b->len)
		log_flush(lg);
	if (n > LOG_BUFFER_MAX) {
		log_write_all(lg->fd, line, n); /* too big to buffer; order kept by the flush */
		return;
	}
	log_buffer_reserve(b, n);
	was_empty = b->len == 0;
	memcpy(b->data + b->len, line, n);
	b->len += n;
	if (was_empty && b->on_first != NULL)
		b->on_first(b->arg);
}

void
log_flush(const struct logger *lg)
{
	struct log_buffer *b = lg->buffer;

	if (b == NULL || b->len == 0)
		return;
	log_write_all(lg->fd, b->data, b->len);
	b->len = 0;
}

void
log_buffer_free(struct log_buffer *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
log_json(const struct logger *lg, enum log_level level, const cJSON *context, cJSON *message)
{
	char *line = log_format_line(lg, level, timeutil_now_ms(), context, message);

	log_write_line(lg, line, strlen(line));
	free(line);
	cJSON_Delete(message);
}

/* 0: copied as is; else the character after the backslash ('u': \u00xx). */
static const char log_json_escape[256] = {
	['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n',  ['\f'] = 'f', ['\r'] = 'r', [0x01] = 'u',
	[0x02] = 'u', [0x03] = 'u', [0x04] = 'u',  [0x05] = 'u', [0x06] = 'u', [0x07] = 'u',
	[0x0b] = 'u', [0x0e] = 'u', [0x0f] = 'u',  [0x10] = 'u', [0x11] = 'u', [0x12] = 'u',
	[0x13] = 'u', [0x14] = 'u', [0x15] = 'u',  [0x16] = 'u', [0x17] = 'u', [0x18] = 'u',
	[0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u',  [0x1c] = 'u', [0x1d] = 'u', [0x1e] = 'u',
	[0x1f] = 'u', ['"'] = '"',  ['\\'] = '\\',
};

bool
log_json_string(char *out, size_t cap, size_t *len, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t o = *len;

	if (o >= cap)
		return false;
	out[o++] = '"';
	for (;;) {
		const unsigned char *run = p;
		size_t k;
		char e;

		while (*p != '\0' && log_json_escape[*p] == 0)
			p++;
		k = (size_t)(p - run);
		if (k > cap - o)
			return false;
		memcpy(out + o, run, k);
		o += k;
		if (*p == '\0')
			break;
		e = log_json_escape[*p];
		if (e == 'u') {
			if (cap - o < 6)
				return false;
			out[o++] = '\\';
			out[o++] = 'u';
			out[o++] = '0';
			out[o++] = '0';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 0x0f];
		} else {
			if (cap - o < 2)
				return false;
			out[o++] = '\\';
			out[o++] = e;
		}
		p++;
	}
	if (o >= cap)
		return false;
	out[o++] = '"';
	*len = o;
	return true;
}

static void
log_vtyped(const struct logger *lg, enum log_level level, const char *type, const char *fmt,
           va_list ap)
{
	char buf[2048];
	cJSON *ctx = cJSON_CreateObject();

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (ctx == NULL)
		fatal_oom();
	if (type != NULL)
		cJSON_AddStringToObject(ctx, "type", type);
	log_json(lg, level, ctx, cJSON_CreateString(buf));
	cJSON_Delete(ctx);
}

void
log_info(const struct logger *lg, const char *type, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vtyped(lg, LOG_INFO, type, fmt, ap);
	va_end(ap);
}

void
log_error(const struct logger *lg, const char *type, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vtyped(lg, LOG_ERROR, type, fmt, ap);
	va_end(ap);
}
