/* Error creation, wrapping and rendering in the template's body format. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fatal.h"

struct err *
err_new(const char *key, int status, cJSON *info)
{
	struct err *e = calloc(1, sizeof(*e));

	if (e == NULL)
		fatal_oom();
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->status = status;
	e->info = info;
	return e;
}

struct err *
err_newf(const char *key, int status, const char *fmt, ...)
{
	struct err *e = err_new(key, status, NULL);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return e;
}

struct err *
err_internal(const char *fmt, ...)
{
	struct err *e = err_new("error.server.internal", 500, NULL);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return e;
}

struct err *
err_wrap(struct err *cause, const char *key, int status)
{
	struct err *e = err_new(key, status, NULL);

	if (cause != NULL) {
		size_t n = strlen(cause->key);

		/* "<cause key>: <cause message>", truncated to fit */
		memcpy(e->message, cause->key, n);
		if (n + 2 < sizeof(e->message)) {
			e->message[n] = ':';
			e->message[n + 1] = ' ';
			n += 2;
		}
		memcpy(e->message + n, cause->message,
		       strnlen(cause->message, sizeof(e->message) - n - 1));
		e->message[n + strnlen(cause->message, sizeof(e->message) - n - 1)] = '\0';
		memcpy(e->code, cause->code, sizeof(e->code));
		err_free(cause);
	}
	return e;
}

void
err_free(struct err *e)
{
	if (e == NULL)
		return;
	cJSON_Delete(e->info);
	free(e);
}

cJSON *
err_render(const struct err *e, const char *request_id, bool production)
{
	cJSON *body = cJSON_CreateObject();

	if (body == NULL)
		fatal_oom();
	cJSON_AddStringToObject(body, "key", e->key);
	cJSON_AddNumberToObject(body, "status", e->status);
	if (!production || e->status < 500) {
		cJSON *info =
		    e->info != NULL ? cJSON_Duplicate(e->info, true) : cJSON_CreateObject();
		cJSON_AddItemToObject(body, "info", info);
	}
	cJSON_AddStringToObject(body, "type", "api_error");
	cJSON_AddStringToObject(body, "requestId", request_id != NULL ? request_id : "");
	if (!production && e->message[0] != '\0')
		cJSON_AddStringToObject(body, "message", e->message);
	return body;
}

cJSON *
err_to_log(const struct err *e)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		fatal_oom();
	cJSON_AddStringToObject(o, "key", e->key);
	cJSON_AddNumberToObject(o, "status", e->status);
	cJSON_AddItemToObject(
	    o, "info", e->info != NULL ? cJSON_Duplicate(e->info, true) : cJSON_CreateObject());
	if (e->code[0] != '\0')
		cJSON_AddStringToObject(o, "code", e->code);
	if (e->message[0] != '\0')
		cJSON_AddStringToObject(o, "message", e->message);
	return o;
}
