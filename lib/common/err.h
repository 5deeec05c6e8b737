/* One error type for the whole platform: a template error key, an HTTP status and
 * optional info, created where the failure happens and rendered once. */
#ifndef COMMON_ERR_H
#define COMMON_ERR_H

#include <stdbool.h>
#include <cjson/cJSON.h>

struct err {
	char key[96];      /* e.g. "auth.requireUser.missingPermissions" */
	int status;        /* HTTP status */
	cJSON *info;       /* owned, NULL renders as {} */
	char code[8];      /* SQLSTATE for database errors, else "" */
	char message[512]; /* detail for logs; never sent to clients in production */
};

/* Allocate an error; takes ownership of info (may be NULL). Never returns NULL. */
struct err *err_new(const char *key, int status, cJSON *info);
/* Same with a printf-style log message. */
struct err *err_newf(const char *key, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Internal error (500 error.server.internal) with a log message. */
struct err *err_internal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Re-key an error (keeps its message as the cause); frees cause, returns the new error. */
struct err *err_wrap(struct err *cause, const char *key, int status);
void err_free(struct err *e);

/* The template's body: {key, status, info, type, requestId}; in production no info
 * on status >= 500 and never the message. Caller owns the result. */
cJSON *err_render(const struct err *e, const char *request_id, bool production);
/* Full form for logs (always info and message). Caller owns the result. */
cJSON *err_to_log(const struct err *e);

#endif
