/* Schema validation with Compas semantics and its path-keyed error map. */
#include "validate.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fatal.h"
#include "json.h"
#include "timeutil.h"
#include "uuid.h"

#define VALIDATE_PATH_MAX 512

const struct schema schema_web_push_information =
    SCHEMA_OBJECT(SCHEMA_FIELD("endpoint", SCHEMA_STRING()),
                  SCHEMA_FIELD("keys", SCHEMA_OBJ(SCHEMA_FIELD("p256dh", SCHEMA_STRING()),
                                                  SCHEMA_FIELD("auth", SCHEMA_STRING()))));

const struct schema schema_login_device =
    SCHEMA_OBJECT(SCHEMA_FIELD("platform", SCHEMA_ENUM("apple", "android", "desktop", "other")),
                  SCHEMA_FIELD("name", SCHEMA_STRING()),
                  SCHEMA_FIELD("notificationToken", SCHEMA_STRING(.optional = true)),
                  SCHEMA_FIELD("webPushInformation", SCHEMA_OPT_REF(&schema_web_push_information)));

struct vstate {
	cJSON *errors; /* path -> {key, ...} */
};

static cJSON *validate_node(struct vstate *st, const struct schema *s, const cJSON *in,
                            const char *path, bool *absent);

static void
validate_error(struct vstate *st, const char *path, const char *kind, cJSON *detail)
{
	cJSON *entry = detail != NULL ? detail : json_object();

	cJSON_AddStringToObject(entry, "key", kind);
	if (cJSON_GetObjectItemCaseSensitive(st->errors, path) != NULL) {
		cJSON_Delete(entry);
		return;
	}
	cJSON_AddItemToObject(st->errors, path, entry);
}

static cJSON *
validate_detail_int(const char *name, double v)
{
	cJSON *d = json_object();

	cJSON_AddNumberToObject(d, name, v);
	return d;
}

static size_t
validate_utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static char *
validate_trim(const char *s)
{
	size_t len;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	char *out = xmalloc(len + 1);
	memcpy(out, s, len);
	out[len] = '\0';
	return out;
}

static bool
validate_email_pattern(const char *s)
{
	/* ^\S+@\S+\.\S+$ */
	const char *at, *dot;

	for (const char *p = s; *p != '\0'; p++)
		if (isspace((unsigned char)*p))
			return false;
	for (at = s + 1; *at != '\0'; at++) {
		if (*at != '@')
			continue;
		for (dot = at + 2; *dot != '\0'; dot++)
			if (*dot == '.' && dot[1] != '\0')
				return true;
	}
	return false;
}

static cJSON *
validate_one_of(struct vstate *st, const struct schema *s, char *v, const char *path)
{
	cJSON *d, *allowed;

	for (size_t i = 0; s->one_of[i] != NULL; i++)
		if (strcmp(s->one_of[i], v) == 0)
			return cJSON_CreateString(v);
	d = json_object();
	allowed = json_array();
	for (size_t i = 0; s->one_of[i] != NULL; i++)
		cJSON_AddItemToArray(allowed, cJSON_CreateString(s->one_of[i]));
	cJSON_AddItemToObject(d, "allowedValues", allowed);
	cJSON_AddStringToObject(d, "foundValue", v);
	validate_error(st, path, "validator.oneOf", d);
	return NULL;
}

static cJSON *
validate_string(struct vstate *st, const struct schema *s, const cJSON *in, const char *path,
                bool optional, bool *absent)
{
	char *v;
	size_t len, min;
	cJSON *out = NULL;

	if (!cJSON_IsString(in)) {
		validate_error(st, path, "validator.string", NULL);
		return NULL;
	}
	v = s->trim || s->type == SCHEMA_T_EMAIL ? validate_trim(in->valuestring)
	                                         : xstrdup(in->valuestring);
	if (s->lower || s->type == SCHEMA_T_EMAIL)
		for (char *p = v; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
	if (v[0] == '\0' && optional) {
		*absent = true;
		free(v);
		return NULL;
	}
	len = validate_utf8_len(v);
	min = s->min_len > 0 ? (size_t)s->min_len : (s->allow_empty ? 0 : 1);
	if (s->type == SCHEMA_T_EMAIL && min < 2)
		min = 2;
	if (len < min) {
		validate_error(st, path, "validator.length",
		               validate_detail_int("minLength", (double)min));
	} else if (s->max_len > 0 && len > (size_t)s->max_len) {
		validate_error(st, path, "validator.length",
		               validate_detail_int("maxLength", s->max_len));
	} else if (s->type == SCHEMA_T_EMAIL && (len > 150 || !validate_email_pattern(v))) {
		if (len > 150)
			validate_error(st, path, "validator.length",
			               validate_detail_int("maxLength", 150));
		else
			validate_error(st, path, "validator.pattern", NULL);
	} else if (s->one_of != NULL) {
		out = validate_one_of(st, s, v, path);
	} else {
		bool bad = false;

		for (size_t i = 0; s->disallowed != NULL && s->disallowed[i] != NULL; i++)
			bad = bad || strstr(v, s->disallowed[i]) != NULL;
		if (bad) {
			cJSON *d = json_object(), *arr = json_array();

			for (size_t i = 0; s->disallowed[i] != NULL; i++)
				cJSON_AddItemToArray(arr, cJSON_CreateString(s->disallowed[i]));
			cJSON_AddItemToObject(d, "disallowedCharacters", arr);
			validate_error(st, path, "validator.disallowedCharacters", d);
		} else {
			out = cJSON_CreateString(v);
		}
	}
	free(v);
	return out;
}

static cJSON *
validate_uuid(struct vstate *st, const cJSON *in, const char *path)
{
	char norm[UUID_STR_LEN];
	cJSON *d;

	if (!cJSON_IsString(in)) {
		validate_error(st, path, "validator.string", NULL);
		return NULL;
	}
	if (uuid_normalize(in->valuestring, norm))
		return cJSON_CreateString(norm);
	d = json_object();
	cJSON_AddStringToObject(d, "patternExplanation", "UUID");
	validate_error(st, path, "validator.pattern", d);
	return NULL;
}

static bool
validate_number_value(const cJSON *in, double *v)
{
	char *end;

	if (cJSON_IsNumber(in)) {
		*v = in->valuedouble;
		return true;
	}
	if (!cJSON_IsString(in) || in->valuestring[0] == '\0')
		return false;
	errno = 0;
	*v = strtod(in->valuestring, &end);
	return errno == 0 && *end == '\0' && isfinite(*v);
}

static cJSON *
validate_number(struct vstate *st, const struct schema *s, const cJSON *in, const char *path)
{
	bool is_int = s->type == SCHEMA_T_INT;
	double v, min = s->has_range ? (double)s->min : (is_int ? -2147483647.0 : -1e308);
	double max = s->has_range ? (double)s->max : (is_int ? 2147483647.0 : 1e308);
	cJSON *d;

	if (!validate_number_value(in, &v) || (is_int && floor(v) != v)) {
		d = json_object();
		cJSON_AddStringToObject(d, "subType", is_int ? "int" : "float");
		validate_error(st, path, "validator.number", d);
		return NULL;
	}
	if (v < min) {
		validate_error(st, path, "validator.range", validate_detail_int("minValue", min));
		return NULL;
	}
	if (v > max) {
		validate_error(st, path, "validator.range", validate_detail_int("maxValue", max));
		return NULL;
	}
	return cJSON_CreateNumber(v);
}

static cJSON *
validate_bool(struct vstate *st, const cJSON *in, const char *path)
{
	const char *sv = cJSON_IsString(in) ? in->valuestring : NULL;
	cJSON *d;

	if (cJSON_IsBool(in))
		return cJSON_CreateBool(cJSON_IsTrue(in));
	if (cJSON_IsNumber(in) && (in->valuedouble == 0 || in->valuedouble == 1))
		return cJSON_CreateBool(in->valuedouble == 1);
	if (sv != NULL && (strcmp(sv, "true") == 0 || strcmp(sv, "1") == 0))
		return cJSON_CreateTrue();
	if (sv != NULL && (strcmp(sv, "false") == 0 || strcmp(sv, "0") == 0))
		return cJSON_CreateFalse();
	d = json_object();
	cJSON_AddStringToObject(d, "expectedType", "boolean");
	validate_error(st, path, "validator.type", d);
	return NULL;
}

static cJSON *
validate_date(struct vstate *st, const cJSON *in, const char *path)
{
	int64_t ms;
	char iso[TIMEUTIL_ISO_LEN];

	if (cJSON_IsNumber(in))
		ms = (int64_t)in->valuedouble;
	else if (!cJSON_IsString(in) || !timeutil_parse_iso8601(in->valuestring, &ms)) {
		validate_error(st, path, "validator.date.invalid", NULL);
		return NULL;
	}
	timeutil_iso8601(ms, iso);
	return cJSON_CreateString(iso);
}

static const char *
validate_type_name(const cJSON *in)
{
	if (cJSON_IsString(in))
		return "string";
	if (cJSON_IsNumber(in))
		return "number";
	if (cJSON_IsBool(in))
		return "boolean";
	return "object";
}

static bool
validate_known_key(const struct schema *s, const char *k)
{
	for (size_t i = 0; s->fields[i].name != NULL; i++)
		if (strcmp(s->fields[i].name, k) == 0)
			return true;
	return false;
}

static void
validate_strict_keys(struct vstate *st, const struct schema *s, const cJSON *in, const char *path)
{
	cJSON *unknown = json_array(), *expected, *found, *d;
	const cJSON *it;

	cJSON_ArrayForEach(it, in)
	{
		if (!cJSON_IsNull(it) && !validate_known_key(s, it->string))
			cJSON_AddItemToArray(unknown, cJSON_CreateString(it->string));
	}
	if (cJSON_GetArraySize(unknown) == 0) {
		cJSON_Delete(unknown);
		return;
	}
	expected = json_array();
	for (size_t i = 0; s->fields[i].name != NULL; i++)
		cJSON_AddItemToArray(expected, cJSON_CreateString(s->fields[i].name));
	found = json_array();
	cJSON_ArrayForEach(it, in)
	{
		cJSON_AddItemToArray(found, cJSON_CreateString(it->string));
	}
	d = json_object();
	cJSON_AddItemToObject(d, "unknownKeys", unknown);
	cJSON_AddItemToObject(d, "expectedKeys", expected);
	cJSON_AddItemToObject(d, "foundKeys", found);
	validate_error(st, path, "validator.keys", d);
}

static cJSON *
validate_object(struct vstate *st, const struct schema *s, const cJSON *in, const char *path)
{
	char child[VALIDATE_PATH_MAX];
	cJSON *out, *d;

	if (!cJSON_IsObject(in)) {
		d = json_object();
		cJSON_AddItemToObject(d, "value", cJSON_Duplicate(in, true));
		cJSON_AddStringToObject(d, "foundType", validate_type_name(in));
		validate_error(st, path, "validator.object", d);
		return NULL;
	}
	if (!s->loose)
		validate_strict_keys(st, s, in, path);
	out = json_object();
	for (size_t i = 0; s->fields[i].name != NULL; i++) {
		bool absent = false;
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, s->fields[i].name);
		cJSON *r;

		snprintf(child, sizeof(child), "%s.%s", path, s->fields[i].name);
		r = validate_node(st, s->fields[i].schema, v, child, &absent);
		if (r != NULL)
			cJSON_AddItemToObject(out, s->fields[i].name, r);
	}
	return out;
}

static cJSON *
validate_array(struct vstate *st, const struct schema *s, const cJSON *in, const char *path)
{
	char child[VALIDATE_PATH_MAX];
	cJSON *out, *wrapped = NULL;
	const cJSON *it;
	int n, i = 0;

	if (!cJSON_IsArray(in)) {
		/* Compas converts a single value into a one-element array. */
		wrapped = json_array();
		cJSON_AddItemToArray(wrapped, cJSON_Duplicate(in, true));
		in = wrapped;
	}
	n = cJSON_GetArraySize(in);
	if ((s->min_len > 0 && n < s->min_len) || (s->max_len > 0 && n > s->max_len)) {
		cJSON *d = n < s->min_len ? validate_detail_int("minLength", s->min_len)
		                          : validate_detail_int("maxLength", s->max_len);

		cJSON_AddNumberToObject(d, "foundLength", n);
		validate_error(st, path, "validator.length", d);
		cJSON_Delete(wrapped);
		return NULL;
	}
	out = json_array();
	cJSON_ArrayForEach(it, in)
	{
		bool absent = false;
		cJSON *r;

		snprintf(child, sizeof(child), "%s.%d", path, i++);
		r = validate_node(st, s->items, it, child, &absent);
		if (r != NULL)
			cJSON_AddItemToArray(out, r);
	}
	cJSON_Delete(wrapped);
	return out;
}

static cJSON *
validate_node(struct vstate *st, const struct schema *s, const cJSON *in, const char *path,
              bool *absent)
{
	bool optional = s->optional, nullable = s->nullable;

	while (s->ref != NULL) {
		s = s->ref;
		optional = optional || s->optional;
		nullable = nullable || s->nullable;
	}
	*absent = false;
	if (in == NULL || cJSON_IsNull(in)) {
		if (in != NULL && nullable)
			return cJSON_CreateNull();
		if (optional || nullable) {
			*absent = true;
			return NULL;
		}
		validate_error(st, path, "validator.undefined", NULL);
		return NULL;
	}
	switch (s->type) {
	case SCHEMA_T_STRING:
	case SCHEMA_T_EMAIL: {
		cJSON *r = validate_string(st, s, in, path, optional || nullable, absent);

		if (*absent && nullable) {
			*absent = false;
			return cJSON_CreateNull();
		}
		return r;
	}
	case SCHEMA_T_UUID:
		return validate_uuid(st, in, path);
	case SCHEMA_T_INT:
	case SCHEMA_T_NUMBER:
		return validate_number(st, s, in, path);
	case SCHEMA_T_BOOL:
		return validate_bool(st, in, path);
	case SCHEMA_T_OBJECT:
		return validate_object(st, s, in, path);
	case SCHEMA_T_ARRAY:
		return validate_array(st, s, in, path);
	case SCHEMA_T_DATE:
		return validate_date(st, in, path);
	case SCHEMA_T_ANY:
		break;
	}
	return cJSON_Duplicate(in, true);
}

cJSON *
validate(const struct schema *s, const cJSON *input, struct err **errp)
{
	struct vstate st = { .errors = json_object() };
	bool absent = false;
	cJSON *out = validate_node(&st, s, input, "$", &absent);

	*errp = NULL;
	if (cJSON_GetArraySize(st.errors) > 0) {
		cJSON_Delete(out);
		*errp = err_new("validator.error", 400, st.errors);
		return NULL;
	}
	cJSON_Delete(st.errors);
	return out;
}
