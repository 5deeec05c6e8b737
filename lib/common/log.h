/* Structured logging: one NDJSON object per line {level, time, context, message}
 * (platform-runtime §6.1), or a readable "pretty" form for a terminal. Every line's
 * context names the daemon. One write(2) per line, so threads do not interleave. */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>

enum log_level { LOG_INFO, LOG_ERROR };
enum log_format { LOG_FORMAT_NDJSON, LOG_FORMAT_PRETTY };

struct logger {
	const char *daemon;      /* "api", "queue", "migrate", "platformd", ... */
	const char *application; /* APP_NAME, added to context in production; may be NULL */
	enum log_format format;
	int fd;
};

void log_init(struct logger *lg, const char *daemon, enum log_format format, int fd);

/* Render one line (with trailing newline). context is borrowed (may be NULL);
 * message is borrowed. Caller frees the result. */
char *log_format_line(const struct logger *lg, enum log_level level, int64_t time_ms,
                      const cJSON *context, const cJSON *message);

/* Write a line. context borrowed (may be NULL), message consumed. */
void log_json(const struct logger *lg, enum log_level level, const cJSON *context, cJSON *message);
/* Convenience: context {type}, message a formatted string. */
void log_info(const struct logger *lg, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_error(const struct logger *lg, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
