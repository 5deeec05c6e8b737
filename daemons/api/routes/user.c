/* User administration routes (seed-api §6.3 admin part): list, get, rename and
 * set-active; the rules live in lib/auth/user_admin.c. */
#include "routes.h"

#include "json.h"
#include "permission.h"
#include "user_admin.h"

static const struct schema user_params = SCHEMA_OBJECT(SCHEMA_FIELD("user", SCHEMA_UUID()));
static const struct schema list_body = SCHEMA_OBJECT(
    SCHEMA_FIELD("search", SCHEMA_OPT_OBJ(SCHEMA_FIELD("name", SCHEMA_STRING(.optional = true)))),
    SCHEMA_FIELD(
        "filters",
        SCHEMA_OPT_OBJ(
            SCHEMA_FIELD("anonymousLoginExists", SCHEMA_BOOL(.optional = true)),
            SCHEMA_FIELD("digidLoginExists", SCHEMA_BOOL(.optional = true)),
            SCHEMA_FIELD("keycloakLoginExists", SCHEMA_BOOL(.optional = true)),
            SCHEMA_FIELD("passwordLoginExists", SCHEMA_BOOL(.optional = true)),
            SCHEMA_FIELD("includeAnonymousTemporarySessions", SCHEMA_BOOL(.optional = true)),
            SCHEMA_FIELD("includeSoftDeletedUsers", SCHEMA_BOOL(.optional = true)))));
static const struct schema update_body =
    SCHEMA_OBJECT(SCHEMA_FIELD("name", SCHEMA_STRING(.optional = true, .nullable = true)));
static const struct schema set_active_body = SCHEMA_OBJECT(SCHEMA_FIELD("active", SCHEMA_BOOL()));

static struct err *
success(cJSON **response)
{
	*response = json_object();
	cJSON_AddBoolToObject(*response, "success", 1);
	return NULL;
}

/* A boolean filter of the list body: absent = any. */
static enum user_admin_exists
exists_filter(const cJSON *filters, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(filters, name);

	if (!cJSON_IsBool(v))
		return USER_ADMIN_ANY;
	return cJSON_IsTrue(v) ? USER_ADMIN_WITH : USER_ADMIN_WITHOUT;
}

static struct err *
list_users_handler(struct api_ctx *c, cJSON **response)
{
	const cJSON *search = cJSON_GetObjectItemCaseSensitive(c->body, "search");
	const cJSON *filters = cJSON_GetObjectItemCaseSensitive(c->body, "filters");
	struct user_admin_filter f;

	user_admin_filter_init(&f);
	f.name_search = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(search, "name"));
	f.anonymous_login = exists_filter(filters, "anonymousLoginExists");
	f.digid_login = exists_filter(filters, "digidLoginExists");
	f.keycloak_login = exists_filter(filters, "keycloakLoginExists");
	f.password_login = exists_filter(filters, "passwordLoginExists");
	f.include_anonymous_temporary = cJSON_IsTrue(
	    cJSON_GetObjectItemCaseSensitive(filters, "includeAnonymousTemporarySessions"));
	f.include_soft_deleted =
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(filters, "includeSoftDeletedUsers"));
	return user_admin_list(c->db, c->tenant.tenant->id, &f, response);
}

static struct err *
get_user_handler(struct api_ctx *c, cJSON **response)
{
	return user_admin_get(c->db, c->tenant.tenant->id, api_param(c, "user"), response);
}

static struct err *
update_user_handler(struct api_ctx *c, cJSON **response)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(c->body, "name");
	struct err *e = user_admin_update_name(c->db, c->tenant.tenant->id, api_param(c, "user"),
	                                       name != NULL, cJSON_GetStringValue(name));

	return e != NULL ? e : success(response);
}

static struct err *
set_active_handler(struct api_ctx *c, cJSON **response)
{
	bool active = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->body, "active"));
	cJSON *meta = api_tenant_metadata(c);
	struct err *e =
	    user_admin_set_active(c->db, c->tenant.tenant->id, api_param(c, "user"), active, meta);

	cJSON_Delete(meta);
	return e != NULL ? e : success(response);
}

static const struct api_route routes[] = {
	{ "POST", "/auth/list-users", "router.auth.listUsers", list_users_handler,
	  "perm:" PERMISSION_USER_LIST, NULL, NULL, &list_body },
	{ "GET", "/auth/user/:user", "router.auth.getUser", get_user_handler,
	  "perm:" PERMISSION_USER_LIST, &user_params, NULL, NULL },
	{ "PUT", "/auth/user/:user/update", "router.auth.updateUser", update_user_handler,
	  "perm:" PERMISSION_USER_MANAGE, &user_params, NULL, &update_body },
	{ "POST", "/auth/user/:user/set-active", "router.auth.setUserActive", set_active_handler,
	  "perm:" PERMISSION_USER_MANAGE, &user_params, NULL, &set_active_body },
};
const struct api_route_group routes_user = API_ROUTE_GROUP(routes);
