/* Typed access to cJSON values. A failure is a 400 validator.error whose info is
 * keyed by the path of the offending value ("$.user.email"), as platform-runtime §9.2. */
#ifndef COMMON_JSON_H
#define COMMON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "err.h"

/* Parse a buffer that need not be NUL terminated. Top level must be an object or an
 * array; otherwise (or on a syntax error) 400 error.server.unsupportedBodyFormat. */
cJSON *json_parse(const char *buf, size_t len, struct err **errp);

/* A validator.error with one entry: info[path] = {key: kind}; detail (consumed, may be
 * NULL) adds fields to that entry. */
struct err *json_error(const char *path, const char *kind, cJSON *detail);

/* Getters: path is the path of obj ("$" for the root). A missing or null value gives
 * validator.undefined when required, else leaves *out untouched and returns NULL. */
struct err *json_get_string(const cJSON *obj, const char *path, const char *name, bool required,
                            const char **out);
struct err *json_get_int(const cJSON *obj, const char *path, const char *name, bool required,
                         int64_t min, int64_t max, int64_t *out);
struct err *json_get_bool(const cJSON *obj, const char *path, const char *name, bool required,
                          bool *out);
struct err *json_get_object(const cJSON *obj, const char *path, const char *name, bool required,
                            const cJSON **out);
struct err *json_get_array(const cJSON *obj, const char *path, const char *name, bool required,
                           const cJSON **out);

/* Print compactly; never NULL. Caller frees. */
char *json_print(const cJSON *v);
/* cJSON_Create* that never return NULL. */
cJSON *json_object(void);
cJSON *json_array(void);

#endif
