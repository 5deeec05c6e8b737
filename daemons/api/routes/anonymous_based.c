/* POST /auth/anonymous-based/login (seed §6.7). */
#include "routes.h"

#include <stdio.h>
#include <string.h>

#include "json.h"
#include "login.h"
#include "pg.h"

static const char anonymous_sql_find[] =
    "SELECT u.id, a.\"isAllowedToLogin\" FROM \"anonymousLogin\" a "
    "JOIN \"user\" u ON u.id = a.\"user\" "
    "JOIN \"userTenant\" ut ON ut.\"user\" = u.id AND ut.tenant = $2::uuid "
    "WHERE a.\"loginToken\" = $1 AND (u.\"deletedAt\" IS NULL OR u.\"deletedAt\" > now()) "
    "ORDER BY a.\"createdAt\" LIMIT 1";

static struct err *
anonymous_find(struct api_ctx *c, const char *token, char user_id[UUID_STR_LEN])
{
	const char *params[2] = { token, c->tenant.tenant->id };
	struct err *e = NULL;
	PGresult *r = pg_query(c->db, anonymous_sql_find, 2, params, &e);

	if (r == NULL)
		return e;
	if (PQntuples(r) == 0)
		e = err_new("authAnonymousBased.login.unknownToken", 400, NULL);
	else if (!pg_get_bool(r, 0, 1))
		e = err_new("authAnonymousBased.login.tokenIsNotAllowedToLogin", 400, NULL);
	else
		snprintf(user_id, UUID_STR_LEN, "%s", pg_get(r, 0, 0));
	PQclear(r);
	return e;
}

static struct err *
anonymous_login(struct api_ctx *c, cJSON **response)
{
	const char *token =
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->body, "token"));
	const cJSON *device = cJSON_GetObjectItemCaseSensitive(c->body, "device");
	char user_id[UUID_STR_LEN];
	struct login_result lr;
	struct err *e = anonymous_find(c, token, user_id);

	if (e != NULL)
		return e;
	e = pg_begin(c->db);
	if (e == NULL)
		e = login_session_create(c, user_id, "anonymousBased", device, &lr);
	if (e == NULL)
		e = pg_commit(c->db);
	if (e != NULL) {
		pg_rollback(c->db);
		return e;
	}
	*response = json_object();
	cJSON_AddStringToObject(*response, "accessToken", lr.tokens.access);
	cJSON_AddStringToObject(*response, "refreshToken", lr.tokens.refresh);
	return NULL;
}

static const struct schema anonymous_login_body =
    SCHEMA_OBJECT(SCHEMA_FIELD("token", SCHEMA_STRING(.min_len = 40)),
                  SCHEMA_FIELD("device", SCHEMA_OPT_REF(&schema_login_device)));

static const struct api_route routes[] = {
	{ "POST", "/auth/anonymous-based/login", "router.authAnonymousBased.login", anonymous_login,
	  "tenant", NULL, NULL, &anonymous_login_body },
};

const struct api_route_group routes_anonymous_based = API_ROUTE_GROUP(routes);
