/* The OpenAPI 3.1 document of the route table (GET /_docs/openapi.json, routes/ops.c),
 * generated once at start-up from the same data the core serves with: struct api_route
 * (method, path, name, access) and the validation schemas (validate.h). */
#include "routes.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fatal.h"
#include "json.h"

/* Follow s->ref like validate.c does: optional/nullable of any node on the way count. */
static const struct schema *
openapi_resolve(const struct schema *s, bool *optional, bool *nullable)
{
	*optional = s->optional;
	*nullable = s->nullable;
	while (s->ref != NULL) {
		s = s->ref;
		*optional = *optional || s->optional;
		*nullable = *nullable || s->nullable;
	}
	return s;
}

static cJSON *openapi_schema(const struct schema *s);

static void
openapi_string(cJSON *o, const struct schema *s)
{
	/* validate.h: min_len 0 means the default of 1 unless allow_empty */
	int min = s->allow_empty ? s->min_len : (s->min_len > 0 ? s->min_len : 1);

	cJSON_AddStringToObject(o, "type", "string");
	cJSON_AddNumberToObject(o, "minLength", min);
	if (s->max_len > 0)
		cJSON_AddNumberToObject(o, "maxLength", s->max_len);
	if (s->one_of != NULL) {
		cJSON *e = cJSON_AddArrayToObject(o, "enum");

		for (size_t i = 0; s->one_of[i] != NULL; i++)
			cJSON_AddItemToArray(e, cJSON_CreateString(s->one_of[i]));
	}
}

static void
openapi_number(cJSON *o, const struct schema *s)
{
	bool is_int = s->type == SCHEMA_T_INT;

	cJSON_AddStringToObject(o, "type", is_int ? "integer" : "number");
	if (s->has_range) {
		cJSON_AddNumberToObject(o, "minimum", (double)s->min);
		cJSON_AddNumberToObject(o, "maximum", (double)s->max);
	} else if (is_int) { /* validate.c's default range for ints */
		cJSON_AddNumberToObject(o, "minimum", -2147483647.0);
		cJSON_AddNumberToObject(o, "maximum", 2147483647.0);
	}
}

static void
openapi_object(cJSON *o, const struct schema *s)
{
	cJSON *props = json_object(), *req = json_array();

	cJSON_AddStringToObject(o, "type", "object");
	for (const struct schema_field *f = s->fields; f != NULL && f->name != NULL; f++) {
		bool optional, nullable;

		openapi_resolve(f->schema, &optional, &nullable);
		cJSON_AddItemToObject(props, f->name, openapi_schema(f->schema));
		if (!optional && !nullable)
			cJSON_AddItemToArray(req, cJSON_CreateString(f->name));
	}
	cJSON_AddItemToObject(o, "properties", props);
	if (cJSON_GetArraySize(req) > 0)
		cJSON_AddItemToObject(o, "required", req);
	else
		cJSON_Delete(req);
	cJSON_AddBoolToObject(o, "additionalProperties", s->loose);
}

static void
openapi_array(cJSON *o, const struct schema *s)
{
	cJSON_AddStringToObject(o, "type", "array");
	cJSON_AddItemToObject(o, "items",
	                      s->items != NULL ? openapi_schema(s->items) : json_object());
	if (s->min_len > 0)
		cJSON_AddNumberToObject(o, "minItems", s->min_len);
	if (s->max_len > 0)
		cJSON_AddNumberToObject(o, "maxItems", s->max_len);
}

/* JSON Schema (2020-12, as OpenAPI 3.1 uses) of one validation schema. */
static cJSON *
openapi_schema(const struct schema *in)
{
	bool optional, nullable;
	const struct schema *s = openapi_resolve(in, &optional, &nullable);
	cJSON *o = json_object();
	cJSON *type;

	switch (s->type) {
	case SCHEMA_T_ANY:
		return o;
	case SCHEMA_T_STRING:
		openapi_string(o, s);
		break;
	case SCHEMA_T_UUID:
		cJSON_AddStringToObject(o, "type", "string");
		cJSON_AddStringToObject(o, "format", "uuid");
		break;
	case SCHEMA_T_EMAIL:
		cJSON_AddStringToObject(o, "type", "string");
		cJSON_AddStringToObject(o, "format", "email");
		cJSON_AddNumberToObject(o, "minLength", 2);
		cJSON_AddNumberToObject(o, "maxLength", 150);
		break;
	case SCHEMA_T_INT:
	case SCHEMA_T_NUMBER:
		openapi_number(o, s);
		break;
	case SCHEMA_T_BOOL:
		cJSON_AddStringToObject(o, "type", "boolean");
		break;
	case SCHEMA_T_OBJECT:
		openapi_object(o, s);
		break;
	case SCHEMA_T_ARRAY:
		openapi_array(o, s);
		break;
	case SCHEMA_T_DATE:
		cJSON_AddStringToObject(o, "type", "string");
		cJSON_AddStringToObject(o, "format", "date-time");
		break;
	}
	/* "string | null": 3.1 lists both types */
	type = cJSON_GetObjectItemCaseSensitive(o, "type");
	if (nullable && cJSON_IsString(type)) {
		cJSON *both = json_array();

		cJSON_AddItemToArray(both, cJSON_CreateString(type->valuestring));
		cJSON_AddItemToArray(both, cJSON_CreateString("null"));
		cJSON_ReplaceItemInObjectCaseSensitive(o, "type", both);
	}
	return o;
}

/* "/auth/user/:user/update" -> "/auth/user/{user}/update" */
static char *
openapi_path(const char *path)
{
	size_t n = strlen(path), o = 0;
	char *out = xmalloc(2 * n + 1);

	for (size_t i = 0; i < n; i++) {
		if (path[i] == ':' && (i == 0 || path[i - 1] == '/')) {
			size_t len = strcspn(path + i + 1, "/");

			out[o++] = '{';
			memcpy(out + o, path + i + 1, len);
			o += len;
			out[o++] = '}';
			i += len;
			continue;
		}
		out[o++] = path[i];
	}
	out[o] = '\0';
	return out;
}

static cJSON *
openapi_parameter(const char *name, const char *in, bool required, cJSON *schema)
{
	cJSON *p = json_object();

	cJSON_AddStringToObject(p, "name", name);
	cJSON_AddStringToObject(p, "in", in);
	cJSON_AddBoolToObject(p, "required", required);
	cJSON_AddItemToObject(p, "schema", schema);
	return p;
}

/* A path param's schema: from the route's params schema when it names it, else string. */
static cJSON *
openapi_path_param_schema(const struct api_route *rt, const char *name)
{
	for (const struct schema_field *f = rt->params != NULL ? rt->params->fields : NULL;
	     f != NULL && f->name != NULL; f++)
		if (strcmp(f->name, name) == 0)
			return openapi_schema(f->schema);
	return openapi_schema(SCHEMA_STRING());
}

/* Access rules that resolve the tenant (router.h): every one but none/bearer/development. */
static bool
openapi_needs_tenant(const char *access)
{
	return strcmp(access, "none") != 0 && strcmp(access, "bearer") != 0 &&
	       strcmp(access, "development") != 0;
}

static void
openapi_parameters(cJSON *op, const struct api_route *rt)
{
	cJSON *params = json_array();
	const char *p = rt->path;

	while ((p = strchr(p, ':')) != NULL) {
		size_t len = strcspn(p + 1, "/");
		char name[128];

		snprintf(name, sizeof(name), "%.*s", (int)len, p + 1);
		cJSON_AddItemToArray(
		    params,
		    openapi_parameter(name, "path", true, openapi_path_param_schema(rt, name)));
		p += 1 + len;
	}
	for (const struct schema_field *f = rt->query != NULL ? rt->query->fields : NULL;
	     f != NULL && f->name != NULL; f++) {
		bool optional, nullable;

		openapi_resolve(f->schema, &optional, &nullable);
		cJSON_AddItemToArray(params, openapi_parameter(f->name, "query", !optional,
		                                               openapi_schema(f->schema)));
	}
	if (openapi_needs_tenant(rt->access)) {
		cJSON *h = openapi_parameter("x-lpc-tenant-origin", "header", false,
		                             openapi_schema(SCHEMA_STRING()));

		cJSON_AddStringToObject(h, "description",
		                        "The tenant's public url; else Host or Origin names it.");
		cJSON_AddItemToArray(params, h);
	}
	if (cJSON_GetArraySize(params) > 0)
		cJSON_AddItemToObject(op, "parameters", params);
	else
		cJSON_Delete(params);
}

static cJSON *
openapi_json_content(cJSON *schema)
{
	cJSON *content = json_object(), *media = json_object();

	cJSON_AddItemToObject(media, "schema", schema);
	cJSON_AddItemToObject(content, "application/json", media);
	return content;
}

static cJSON *
openapi_ref(const char *ref)
{
	cJSON *o = json_object();

	cJSON_AddStringToObject(o, "$ref", ref);
	return o;
}

static void
openapi_responses(cJSON *op)
{
	cJSON *responses = json_object(), *ok = json_object();
	cJSON *generic = json_object();

	cJSON_AddStringToObject(generic, "type", "object");
	cJSON_AddStringToObject(ok, "description", "Success");
	cJSON_AddItemToObject(ok, "content", openapi_json_content(generic));
	cJSON_AddItemToObject(responses, "200", ok);
	cJSON_AddItemToObject(responses, "4XX", openapi_ref("#/components/responses/Error"));
	cJSON_AddItemToObject(responses, "5XX", openapi_ref("#/components/responses/Error"));
	cJSON_AddItemToObject(op, "responses", responses);
}

/* The access rule (router.h) as security requirements: every rule that reads the
 * session needs the bearer access token; the rest none. */
static void
openapi_security(cJSON *op, const char *access)
{
	cJSON *security = json_array();
	bool bearer = strcmp(access, "bearer") == 0 || strcmp(access, "session") == 0 ||
	              strcmp(access, "user") == 0 || strncmp(access, "perm:", 5) == 0;

	if (bearer) {
		cJSON *req = json_object();

		cJSON_AddItemToObject(req, "bearerAuth", json_array());
		cJSON_AddItemToArray(security, req);
	}
	cJSON_AddItemToObject(op, "security", security);
	cJSON_AddStringToObject(op, "x-platform-access", access);
	if (strncmp(access, "perm:", 5) == 0)
		cJSON_AddStringToObject(op, "x-platform-permission", access + 5);
}

/* The first path segment ("auth", "_lightbase", ...) as the tag. */
static void
openapi_tag(cJSON *op, const char *path)
{
	char tag[64];
	const char *p = path[0] == '/' ? path + 1 : path;
	size_t len = strcspn(p, "/");

	snprintf(tag, sizeof(tag), "%.*s", (int)len, p);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(op, "tags"), cJSON_CreateString(tag));
}

static cJSON *
openapi_operation(const struct api_route *rt)
{
	cJSON *op = json_object();

	cJSON_AddStringToObject(op, "operationId", rt->name);
	openapi_tag(op, rt->path);
	openapi_parameters(op, rt);
	if (rt->body != NULL) {
		cJSON *body = json_object();

		cJSON_AddBoolToObject(body, "required", true);
		cJSON_AddItemToObject(body, "content",
		                      openapi_json_content(openapi_schema(rt->body)));
		cJSON_AddItemToObject(op, "requestBody", body);
	}
	openapi_responses(op);
	openapi_security(op, rt->access);
	return op;
}

static void
openapi_add_route(cJSON *paths, const struct api_route *rt)
{
	char *path = openapi_path(rt->path);
	char method[16];
	cJSON *item = cJSON_GetObjectItemCaseSensitive(paths, path);
	size_t i;

	if (item == NULL) {
		item = json_object();
		cJSON_AddItemToObject(paths, path, item);
	}
	for (i = 0; rt->method[i] != '\0' && i + 1 < sizeof(method); i++)
		method[i] = (char)tolower((unsigned char)rt->method[i]);
	method[i] = '\0';
	cJSON_AddItemToObject(item, method, openapi_operation(rt));
	free(path);
}

/* The template's error body (seed-api §1.5). */
static cJSON *
openapi_components(void)
{
	static const char error_schema[] =
	    "{\"type\":\"object\",\"required\":[\"key\",\"status\",\"info\",\"type\",\"requestId\"]"
	    ","
	    "\"properties\":{\"key\":{\"type\":\"string\"},\"status\":{\"type\":\"integer\"},"
	    "\"info\":{\"type\":\"object\"},\"type\":{\"const\":\"api_error\"},"
	    "\"requestId\":{\"type\":\"string\"}}}";
	cJSON *components = json_object(), *schemas = json_object(), *responses = json_object();
	cJSON *error = json_object(), *schemes = json_object(), *bearer = json_object();

	cJSON_AddItemToObject(schemas, "Error", cJSON_Parse(error_schema));
	cJSON_AddItemToObject(components, "schemas", schemas);
	cJSON_AddStringToObject(error, "description",
	                        "Error ({key, status, info, type, requestId})");
	cJSON_AddItemToObject(error, "content",
	                      openapi_json_content(openapi_ref("#/components/schemas/Error")));
	cJSON_AddItemToObject(responses, "Error", error);
	cJSON_AddItemToObject(components, "responses", responses);
	cJSON_AddStringToObject(bearer, "type", "http");
	cJSON_AddStringToObject(bearer, "scheme", "bearer");
	cJSON_AddStringToObject(bearer, "bearerFormat", "JWT");
	cJSON_AddItemToObject(schemes, "bearerAuth", bearer);
	cJSON_AddItemToObject(components, "securitySchemes", schemes);
	return components;
}

char *
openapi_build(const struct api_route_group *const *groups)
{
	cJSON *doc = json_object(), *info = json_object(), *paths = json_object();
	char *text;

	cJSON_AddStringToObject(doc, "openapi", "3.1.0");
	cJSON_AddStringToObject(info, "title", "platform-api");
	cJSON_AddStringToObject(info, "version", "0.1.0");
	cJSON_AddStringToObject(info, "description",
	                        "Generated from the route table and validation schemas of "
	                        "platform-api; every error answers {key, status, info, type, "
	                        "requestId}.");
	cJSON_AddItemToObject(doc, "info", info);
	for (size_t g = 0; groups[g] != NULL; g++)
		for (size_t i = 0; i < groups[g]->count; i++)
			openapi_add_route(paths, &groups[g]->routes[i]);
	cJSON_AddItemToObject(doc, "paths", paths);
	cJSON_AddItemToObject(doc, "components", openapi_components());
	text = json_print(doc);
	cJSON_Delete(doc);
	return text;
}
