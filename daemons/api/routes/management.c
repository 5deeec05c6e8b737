/* /_lightbase/management routes (seed-api §6.10): the magic link and the feature-flag
 * CRUD of holders of lightbase:internal; rules in lib/auth/management.c and
 * lib/auth/feature_flag.c. */
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feature_flag.h"
#include "json.h"
#include "management.h"
#include "permission.h"

#define INTERNAL "perm:" PERMISSION_INTERNAL

static const struct schema magic_link_body =
    SCHEMA_OBJECT(SCHEMA_FIELD("slackUserId", SCHEMA_STRING(.max_len = 32)));
static const struct schema flag_params =
    SCHEMA_OBJECT(SCHEMA_FIELD("featureFlagId", SCHEMA_UUID()));
static const struct schema list_query =
    SCHEMA_OBJECT(SCHEMA_FIELD("offset", SCHEMA_INT(.optional = true)),
                  SCHEMA_FIELD("limit", SCHEMA_INT(.optional = true, .has_range = true,
                                                   .min = -2147483647, .max = 5000)));

#define OPT_UUID    SCHEMA_UUID(.optional = true)
#define OPT_UUIDS   SCHEMA_ARRAY(SCHEMA_UUID(), .optional = true)
#define OPT_STRING  SCHEMA_STRING(.optional = true)
#define OPT_STRINGS SCHEMA_ARRAY(SCHEMA_STRING(), .optional = true)
#define OPT_DATE    SCHEMA_DATE(.optional = true)
#define OPT_DATES   SCHEMA_ARRAY(SCHEMA_DATE(), .optional = true)
#define COLUMNS     "id", "name", "createdAt", "updatedAt"
#define DIRECTION   SCHEMA_OPT_ENUM("ASC", "DESC")
#define DATE_WHERE(c)                                                                              \
	SCHEMA_FIELD(c, OPT_DATE), SCHEMA_FIELD(c "NotEqual", OPT_DATE),                           \
	    SCHEMA_FIELD(c "In", OPT_DATES), SCHEMA_FIELD(c "NotIn", OPT_DATES),                   \
	    SCHEMA_FIELD(c "GreaterThan", OPT_DATE), SCHEMA_FIELD(c "LowerThan", OPT_DATE)

static const struct schema list_body = SCHEMA_OBJECT(
    SCHEMA_FIELD(
        "where",
        SCHEMA_OPT_OBJ(SCHEMA_FIELD("id", OPT_UUID), SCHEMA_FIELD("idNotEqual", OPT_UUID),
                       SCHEMA_FIELD("idIn", OPT_UUIDS), SCHEMA_FIELD("idNotIn", OPT_UUIDS),
                       SCHEMA_FIELD("name", OPT_STRING), SCHEMA_FIELD("nameNotEqual", OPT_STRING),
                       SCHEMA_FIELD("nameIn", OPT_STRINGS), SCHEMA_FIELD("nameNotIn", OPT_STRINGS),
                       SCHEMA_FIELD("nameLike", OPT_STRING), SCHEMA_FIELD("nameILike", OPT_STRING),
                       SCHEMA_FIELD("nameNotLike", OPT_STRING), DATE_WHERE("createdAt"),
                       DATE_WHERE("updatedAt"))),
    SCHEMA_FIELD("orderBy", SCHEMA_ARRAY(SCHEMA_ENUM(COLUMNS), .optional = true)),
    SCHEMA_FIELD("orderBySpec",
                 SCHEMA_OPT_OBJ(SCHEMA_FIELD("id", DIRECTION), SCHEMA_FIELD("name", DIRECTION),
                                SCHEMA_FIELD("createdAt", DIRECTION),
                                SCHEMA_FIELD("updatedAt", DIRECTION))));
/* tenantValues is a map tenant name -> boolean, checked by the handler. */
static const struct schema update_body = SCHEMA_OBJECT(
    SCHEMA_FIELD("globalValue", SCHEMA_BOOL(.optional = true)),
    SCHEMA_FIELD("tenantValues", SCHEMA_ANY(.optional = true)),
    SCHEMA_FIELD("description", SCHEMA_STRING(.optional = true, .allow_empty = true)));

static struct err *
magic_link_handler(struct api_ctx *c, cJSON **response)
{
	cJSON *meta = api_tenant_metadata(c);
	struct management_request req = {
		.slack_user_id =
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->body, "slackUserId")),
		.tenant_name = c->tenant.tenant->name,
		.public_url = c->tenant.public_url,
		.tenant_metadata = meta,
	};
	char *link = NULL;
	struct err *e = management_request_magic_link(c->db, c->cfg, c->log, &req, &link);

	cJSON_Delete(meta);
	if (e != NULL)
		return e;
	*response = json_object();
	if (link != NULL)
		cJSON_AddStringToObject(*response, "magicLink", link);
	free(link);
	return NULL;
}

static int64_t
query_int(const struct api_ctx *c, const char *name, int64_t fallback)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->query, name);

	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : fallback;
}

static struct err *
flag_list_handler(struct api_ctx *c, cJSON **response)
{
	struct feature_flag_query q = {
		.where = cJSON_GetObjectItemCaseSensitive(c->body, "where"),
		.order_by = cJSON_GetObjectItemCaseSensitive(c->body, "orderBy"),
		.order_by_spec = cJSON_GetObjectItemCaseSensitive(c->body, "orderBySpec"),
		.offset = query_int(c, "offset", 0),
		.limit = query_int(c, "limit", 50),
	};

	return feature_flag_list(c->db, &q, response);
}

static struct err *
flag_single_handler(struct api_ctx *c, cJSON **response)
{
	return feature_flag_single(c->db, api_param(c, "featureFlagId"), response);
}

/* {<tenant name>: boolean}, with the validator's boolean coercions; NULL when absent. */
static struct err *
tenant_values_parse(const cJSON *in, cJSON **out)
{
	const cJSON *v;
	char path[256];

	*out = NULL;
	if (in == NULL || cJSON_IsNull(in))
		return NULL;
	if (!cJSON_IsObject(in))
		return json_error("$.tenantValues", "validator.object", NULL);
	*out = json_object();
	cJSON_ArrayForEach(v, in)
	{
		const char *s = cJSON_GetStringValue(v);
		int b = cJSON_IsBool(v) ? cJSON_IsTrue(v) : -1;

		if (s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "1") == 0))
			b = 1;
		else if (s != NULL && (strcmp(s, "false") == 0 || strcmp(s, "0") == 0))
			b = 0;
		else if (cJSON_IsNumber(v) && (v->valuedouble == 0 || v->valuedouble == 1))
			b = v->valuedouble == 1;
		if (b < 0) {
			cJSON_Delete(*out);
			*out = NULL;
			snprintf(path, sizeof(path), "$.tenantValues.%s", v->string);
			return json_error(path, "validator.type", NULL);
		}
		cJSON_AddBoolToObject(*out, v->string, b);
	}
	return NULL;
}

static struct err *
flag_update_handler(struct api_ctx *c, cJSON **response)
{
	const cJSON *desc = cJSON_GetObjectItemCaseSensitive(c->body, "description");
	cJSON *values = NULL;
	struct err *e =
	    tenant_values_parse(cJSON_GetObjectItemCaseSensitive(c->body, "tenantValues"), &values);

	/* PUT replaces (DECISIONS §13.17): omitted globalValue is false, description "". */
	if (e == NULL)
		e = feature_flag_update(
		    c->db, api_param(c, "featureFlagId"),
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->body, "globalValue")),
		    cJSON_IsString(desc) ? desc->valuestring : "", values);
	cJSON_Delete(values);
	if (e != NULL)
		return e;
	*response = json_object();
	cJSON_AddBoolToObject(*response, "success", 1);
	return NULL;
}

static const struct api_route routes[] = {
	{ "POST", "/_lightbase/management/request-magic-link", "router.management.requestMagicLink",
	  magic_link_handler, "tenant", NULL, NULL, &magic_link_body },
	{ "POST", "/_lightbase/management/feature-flag/list", "router.managementFeatureFlag.list",
	  flag_list_handler, INTERNAL, NULL, &list_query, &list_body },
	{ "GET", "/_lightbase/management/feature-flag/:featureFlagId/single",
	  "router.managementFeatureFlag.single", flag_single_handler, INTERNAL, &flag_params, NULL,
	  NULL },
	{ "PUT", "/_lightbase/management/feature-flag/:featureFlagId/update",
	  "router.managementFeatureFlag.update", flag_update_handler, INTERNAL, &flag_params, NULL,
	  &update_body },
};
const struct api_route_group routes_management = API_ROUTE_GROUP(routes);
