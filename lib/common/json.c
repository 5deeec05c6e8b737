/* cJSON helpers with path-keyed validation errors. */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fatal.h"

cJSON *
json_object(void)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		fatal_oom();
	return o;
}

cJSON *
json_array(void)
{
	cJSON *a = cJSON_CreateArray();

	if (a == NULL)
		fatal_oom();
	return a;
}

char *
json_print(const cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);

	if (s == NULL)
		fatal_oom();
	return s;
}

cJSON *
json_parse(const char *buf, size_t len, struct err **errp)
{
	const char *end = NULL;
	cJSON *v = cJSON_ParseWithLengthOpts(buf, len, &end, false);

	if (v != NULL && end != NULL) {
		/* only whitespace may follow the value */
		size_t rest = len - (size_t)(end - buf);

		for (size_t i = 0; i < rest; i++) {
			char c = end[i];

			if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\0') {
				cJSON_Delete(v);
				v = NULL;
				break;
			}
		}
	}
	if (v == NULL || !(cJSON_IsObject(v) || cJSON_IsArray(v))) {
		cJSON_Delete(v);
		*errp = err_newf("error.server.unsupportedBodyFormat", 400, "invalid JSON body");
		return NULL;
	}
	return v;
}

struct err *
json_error(const char *path, const char *kind, cJSON *detail)
{
	cJSON *info = json_object();
	cJSON *entry = detail != NULL ? detail : json_object();

	cJSON_AddStringToObject(entry, "key", kind);
	cJSON_AddItemToObject(info, path, entry);
	return err_new("validator.error", 400, info);
}

static struct err *
json_lookup(const cJSON *obj, const char *path, const char *name, bool required, const cJSON **item,
            char *child_path, size_t child_len)
{
	snprintf(child_path, child_len, "%s.%s", path, name);
	*item = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (*item == NULL || cJSON_IsNull(*item)) {
		*item = NULL;
		if (required)
			return json_error(child_path, "validator.undefined", NULL);
	}
	return NULL;
}

struct err *
json_get_string(const cJSON *obj, const char *path, const char *name, bool required,
                const char **out)
{
	char p[256];
	const cJSON *it;
	struct err *e = json_lookup(obj, path, name, required, &it, p, sizeof(p));

	if (e != NULL || it == NULL)
		return e;
	if (!cJSON_IsString(it))
		return json_error(p, "validator.string", NULL);
	*out = it->valuestring;
	return NULL;
}

struct err *
json_get_int(const cJSON *obj, const char *path, const char *name, bool required, int64_t min,
             int64_t max, int64_t *out)
{
	char p[256];
	const cJSON *it;
	struct err *e = json_lookup(obj, path, name, required, &it, p, sizeof(p));
	cJSON *detail;

	if (e != NULL || it == NULL)
		return e;
	if (!cJSON_IsNumber(it) || it->valuedouble != floor(it->valuedouble)) {
		detail = json_object();
		cJSON_AddStringToObject(detail, "subType", "int");
		return json_error(p, "validator.number", detail);
	}
	if (it->valuedouble < (double)min || it->valuedouble > (double)max) {
		detail = json_object();
		cJSON_AddNumberToObject(detail, "minValue", (double)min);
		cJSON_AddNumberToObject(detail, "maxValue", (double)max);
		return json_error(p, "validator.range", detail);
	}
	*out = (int64_t)it->valuedouble;
	return NULL;
}

struct err *
json_get_bool(const cJSON *obj, const char *path, const char *name, bool required, bool *out)
{
	char p[256];
	const cJSON *it;
	struct err *e = json_lookup(obj, path, name, required, &it, p, sizeof(p));
	cJSON *detail;

	if (e != NULL || it == NULL)
		return e;
	if (!cJSON_IsBool(it)) {
		detail = json_object();
		cJSON_AddStringToObject(detail, "expectedType", "boolean");
		return json_error(p, "validator.type", detail);
	}
	*out = cJSON_IsTrue(it);
	return NULL;
}

struct err *
json_get_object(const cJSON *obj, const char *path, const char *name, bool required,
                const cJSON **out)
{
	char p[256];
	const cJSON *it;
	struct err *e = json_lookup(obj, path, name, required, &it, p, sizeof(p));

	if (e != NULL || it == NULL)
		return e;
	if (!cJSON_IsObject(it))
		return json_error(p, "validator.object", NULL);
	*out = it;
	return NULL;
}

struct err *
json_get_array(const cJSON *obj, const char *path, const char *name, bool required,
               const cJSON **out)
{
	char p[256];
	const cJSON *it;
	struct err *e = json_lookup(obj, path, name, required, &it, p, sizeof(p));

	if (e != NULL || it == NULL)
		return e;
	if (!cJSON_IsArray(it))
		return json_error(p, "validator.array", NULL);
	*out = it;
	return NULL;
}
