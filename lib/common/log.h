/* Structured logging: one NDJSON object per line {level, time, context, message}
 * (platform-runtime §6.1), or a readable "pretty" form for a terminal. Every line's
 * context names the daemon. One write(2) per line, so threads do not interleave; or, with a
 * per-thread struct log_buffer, lines are appended and written together by log_flush. */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

enum log_level { LOG_INFO, LOG_ERROR };
enum log_format { LOG_FORMAT_NDJSON, LOG_FORMAT_PRETTY };

/* Lines appended instead of written, then written with one write(2) by log_flush: the api's
 * workers flush at the end of each event-loop turn (a line waits microseconds, never a
 * request). Owned by one thread. Zero-initialise it, then set on_first/arg if wanted. */
struct log_buffer {
	char *data;
	size_t len, cap;
	void (*on_first)(void *arg); /* called when a line lands in an empty buffer (may be NULL) */
	void *arg;
};

/* Most bytes a log_buffer holds: a line that would take it past this flushes it first, and
 * a line longer than this on its own is written directly (after the flush). */
#define LOG_BUFFER_MAX (64 * 1024)

struct logger {
	const char *daemon;      /* "api", "queue", "migrate", "platformd", ... */
	const char *application; /* APP_NAME, added to context in production; may be NULL */
	enum log_format format;
	int fd;
	struct log_buffer *buffer; /* NULL: one write(2) per line; else buffered (one thread) */
};

/* Sets buffer to NULL (unbuffered). */
void log_init(struct logger *lg, const char *daemon, enum log_format format, int fd);

/* Render one line (with trailing newline). context is borrowed (may be NULL);
 * message is borrowed. Caller frees the result. */
char *log_format_line(const struct logger *lg, enum log_level level, int64_t time_ms,
                      const cJSON *context, const cJSON *message);

/* Write (or buffer, see struct logger.buffer) a line. context borrowed (may be NULL),
 * message consumed. */
void log_json(const struct logger *lg, enum log_level level, const cJSON *context, cJSON *message);
/* Convenience: context {type}, message a formatted string. */
void log_info(const struct logger *lg, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_error(const struct logger *lg, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Write or buffer one ready line (line[n-1] must be '\n'). */
void log_write_line(const struct logger *lg, const char *line, size_t n);
/* Write the buffered lines (one write(2), retrying short writes and EINTR) and empty it.
 * Nothing happens when lg->buffer is NULL or empty. */
void log_flush(const struct logger *lg);
/* Free the buffer's memory (after a last log_flush); it may be used again afterwards. */
void log_buffer_free(struct log_buffer *b);

/* Append s as a JSON string (quotes included, escaped per RFC 8259: " \\ and control
 * characters; bytes >= 0x80 copied as they are) to out[*len, cap); returns false (and
 * leaves *len unchanged) when it does not fit. Escapes as cJSON does (\b \f \n \r \t,
 * other controls \u00xx lowercase). s must not be NULL; out is not NUL-terminated, and
 * bytes past *len may be scribbled on when it returns false. */
bool log_json_string(char *out, size_t cap, size_t *len, const char *s);

#endif
