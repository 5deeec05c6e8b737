/* POST /scaffold/create-user: development only (DECISIONS §13.5), seed §6.11. */
#include "routes.h"

#include <stdio.h>

#include "json.h"
#include "pg.h"

/* $1 login token. Returns user id and anonymous login id. */
static const char scaffold_sql_create[] =
    "WITH u AS (INSERT INTO \"user\" (\"lastLogin\") VALUES ('1970-01-01T00:00:00Z') "
    "RETURNING id), "
    "ut AS (INSERT INTO \"userTenant\" (\"user\", tenant) SELECT u.id, t.id FROM u, tenant t), "
    "a AS (INSERT INTO \"anonymousLogin\" (\"user\", \"isAllowedToLogin\", \"loginToken\") "
    "SELECT u.id, true, $1 FROM u RETURNING id) "
    "SELECT u.id, a.id FROM u, a";

static struct err *
scaffold_create_tx(struct api_ctx *c, const char *token)
{
	const char *params[1] = { token };
	struct err *e = NULL;
	PGresult *r = pg_query(c->db, scaffold_sql_create, 1, params, &e);
	cJSON *data;

	if (r == NULL)
		return e;
	data = json_object();
	cJSON_AddStringToObject(data, "anonymousLoginId", pg_get(r, 0, 1));
	cJSON_AddItemToObject(data, "metadata", json_object());
	PQclear(r);
	e = api_job_enqueue(c, "auth.anonymousBased.userRegistered", data, 4);
	cJSON_Delete(data);
	return e;
}

static struct err *
scaffold_create_user(struct api_ctx *c, cJSON **response)
{
	char uuid[UUID_STR_LEN], token[64];
	struct err *e = api_require_tenant(c);

	if (e != NULL)
		return e;
	uuid_v4(uuid);
	snprintf(token, sizeof(token), "auth-anonymous-%s", uuid);
	e = pg_begin(c->db);
	if (e == NULL)
		e = scaffold_create_tx(c, token);
	if (e == NULL)
		e = pg_commit(c->db);
	if (e != NULL) {
		pg_rollback(c->db);
		return e;
	}
	*response = json_object();
	cJSON_AddStringToObject(*response, "loginToken", token);
	return NULL;
}

static const struct api_route routes[] = {
	{ "POST", "/scaffold/create-user", "router.scaffold.createUser", scaffold_create_user,
	  "development", NULL, NULL, NULL },
};

const struct api_route_group routes_scaffold = API_ROUTE_GROUP(routes);
