/* /auth/permission routes (seed-api §6.6): summaries, the permission and role lists, and
 * role management; the rules live in lib/auth/permission.c. */
#include "routes.h"

#include "json.h"
#include "permission.h"

#define MANAGE "perm:" PERMISSION_MANAGE

static const struct schema role_params = SCHEMA_OBJECT(SCHEMA_FIELD("role", SCHEMA_UUID()));
static const struct schema user_params = SCHEMA_OBJECT(SCHEMA_FIELD("user", SCHEMA_UUID()));
static const struct schema create_role_body =
    SCHEMA_OBJECT(SCHEMA_FIELD("identifier", SCHEMA_STRING()));
static const struct schema permissions_body = SCHEMA_OBJECT(
    SCHEMA_FIELD("permissions", SCHEMA_ARRAY(SCHEMA_STRING(.one_of = permission_identifiers), )));
static const struct schema role_body = SCHEMA_OBJECT(SCHEMA_FIELD("role", SCHEMA_UUID()));

static const char *
tenant_id(const struct api_ctx *c)
{
	return c->tenant.tenant->id;
}

static const char *
body_string(const struct api_ctx *c, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->body, name));
}

static struct err *
success(cJSON **response)
{
	*response = json_object();
	cJSON_AddBoolToObject(*response, "success", 1);
	return NULL;
}

static struct err *
summary_handler(struct api_ctx *c, cJSON **response)
{
	return permission_summary(c->db, tenant_id(c), c->user.id, response);
}

static struct err *
permission_list_handler(struct api_ctx *c, cJSON **response)
{
	return permission_list(c->db, response);
}

static struct err *
role_list_handler(struct api_ctx *c, cJSON **response)
{
	return permission_role_list(c->db, tenant_id(c), response);
}

static struct err *
create_role_handler(struct api_ctx *c, cJSON **response)
{
	return permission_role_create(c->db, tenant_id(c), body_string(c, "identifier"), response);
}

static struct err *
remove_role_handler(struct api_ctx *c, cJSON **response)
{
	struct err *e = permission_role_delete(c->db, tenant_id(c), api_param(c, "role"));

	return e != NULL ? e : success(response);
}

static struct err *
role_add_permissions_handler(struct api_ctx *c, cJSON **response)
{
	struct err *e = permission_role_add_permissions(
	    c->db, tenant_id(c), api_param(c, "role"),
	    cJSON_GetObjectItemCaseSensitive(c->body, "permissions"));

	return e != NULL ? e : success(response);
}

static struct err *
role_remove_permissions_handler(struct api_ctx *c, cJSON **response)
{
	struct err *e = permission_role_remove_permissions(
	    c->db, tenant_id(c), api_param(c, "role"),
	    cJSON_GetObjectItemCaseSensitive(c->body, "permissions"));

	return e != NULL ? e : success(response);
}

static struct err *
user_summary_handler(struct api_ctx *c, cJSON **response)
{
	return permission_user_summary(c->db, tenant_id(c), api_param(c, "user"), response);
}

static struct err *
user_assign_role_handler(struct api_ctx *c, cJSON **response)
{
	struct err *e = permission_user_assign_role(c->db, tenant_id(c), c->user.id,
	                                            api_param(c, "user"), body_string(c, "role"));

	return e != NULL ? e : success(response);
}

static struct err *
user_remove_role_handler(struct api_ctx *c, cJSON **response)
{
	struct err *e = permission_user_remove_role(c->db, tenant_id(c), api_param(c, "user"),
	                                            body_string(c, "role"));

	return e != NULL ? e : success(response);
}

static const struct api_route routes[] = {
	{ "GET", "/auth/permission/summary", "router.authPermission.summary", summary_handler,
	  "user", NULL, NULL, NULL },
	{ "GET", "/auth/permission/permission/list", "router.authPermission.permissionList",
	  permission_list_handler, MANAGE, NULL, NULL, NULL },
	{ "GET", "/auth/permission/role/list", "router.authPermission.roleList", role_list_handler,
	  MANAGE, NULL, NULL, NULL },
	{ "POST", "/auth/permission/role", "router.authPermission.createRole", create_role_handler,
	  MANAGE, NULL, NULL, &create_role_body },
	{ "DELETE", "/auth/permission/role/:role", "router.authPermission.removeRole",
	  remove_role_handler, MANAGE, &role_params, NULL, NULL },
	{ "POST", "/auth/permission/role/:role/add-permissions",
	  "router.authPermission.roleAddPermissions", role_add_permissions_handler, MANAGE,
	  &role_params, NULL, &permissions_body },
	{ "POST", "/auth/permission/role/:role/remove-permissions",
	  "router.authPermission.roleRemovePermissions", role_remove_permissions_handler, MANAGE,
	  &role_params, NULL, &permissions_body },
	{ "GET", "/auth/permission/user/:user/summary", "router.authPermission.userSummary",
	  user_summary_handler, MANAGE, &user_params, NULL, NULL },
	{ "POST", "/auth/permission/user/:user/assign-role", "router.authPermission.userAssignRole",
	  user_assign_role_handler, MANAGE, &user_params, NULL, &role_body },
	{ "POST", "/auth/permission/user/:user/remove-role", "router.authPermission.userRemoveRole",
	  user_remove_role_handler, MANAGE, &user_params, NULL, &role_body },
};
const struct api_route_group routes_permission = API_ROUTE_GROUP(routes);
