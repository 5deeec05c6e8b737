/* Start-up sync of tenants, users, feature flags, permissions and mandatory roles. */
#include "sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fatal.h"
#include "json.h"
#include "permission.h"
#include "pg.h"

const char *const sync_feature_flags[] = {
	"__FEATURE_LPC_EXAMPLE_FLAG",
	NULL,
};

/* Postgres text-array literal {"a","b"} of a NULL-terminated list (caller frees). */
static char *
sync_array_literal(const char *const *list)
{
	size_t len = 3;
	char *out, *p;

	for (size_t i = 0; list[i] != NULL; i++)
		len += strlen(list[i]) + 3;
	out = p = xmalloc(len);
	*p++ = '{';
	for (size_t i = 0; list[i] != NULL; i++)
		p += sprintf(p, "%s\"%s\"", i > 0 ? "," : "", list[i]);
	*p++ = '}';
	*p = '\0';
	return out;
}

static struct err *
sync_tenants(PGconn *db, struct tenant_config *tc)
{
	for (size_t i = 0; i < tc->ntenants; i++) {
		struct tenant *t = &tc->tenants[i];
		char *data = json_print(t->data);
		const char *params[2] = { t->name, data };
		struct err *e = NULL;
		PGresult *r = pg_query(db,
		                       "INSERT INTO tenant (name, data) VALUES ($1, $2::jsonb) "
		                       "ON CONFLICT (name) DO UPDATE SET data = EXCLUDED.data "
		                       "RETURNING id",
		                       2, params, &e);

		free(data);
		if (r == NULL)
			return e;
		snprintf(t->id, sizeof(t->id), "%s", pg_get(r, 0, 0));
		PQclear(r);
	}
	return pg_exec(db,
	               "INSERT INTO \"userTenant\" (\"user\", tenant) SELECT u.id, t.id "
	               "FROM \"user\" u, tenant t ON CONFLICT DO NOTHING",
	               0, NULL);
}

static struct err *
sync_list(PGconn *db, const char *del_sql, const char *ins_sql, const char *const *list)
{
	char *arr = sync_array_literal(list);
	const char *params[1] = { arr };
	struct err *e = pg_exec(db, del_sql, 1, params);

	if (e == NULL)
		e = pg_exec(db, ins_sql, 1, params);
	free(arr);
	return e;
}

static const char sync_sql_roles[] =
    "INSERT INTO role (identifier, tenant) SELECT 'admin', t.id FROM tenant t "
    "WHERE NOT EXISTS (SELECT 1 FROM role r WHERE r.identifier = 'admin' AND r.tenant = t.id)";
static const char sync_sql_global_role[] =
    "INSERT INTO role (identifier, tenant) SELECT '_lightbase', NULL WHERE NOT EXISTS "
    "(SELECT 1 FROM role r WHERE r.identifier = '_lightbase' AND r.tenant IS NULL)";
static const char sync_sql_role_perm_clear[] =
    "DELETE FROM \"rolePermission\" rp USING role r WHERE rp.role = r.id AND "
    "((r.identifier = 'admin' AND r.tenant IS NOT NULL) OR "
    "(r.identifier = '_lightbase' AND r.tenant IS NULL))";
static const char sync_sql_role_perm_admin[] =
    "INSERT INTO \"rolePermission\" (role, permission) SELECT r.id, p.id FROM role r, "
    "permission p WHERE r.identifier = 'admin' AND r.tenant IS NOT NULL AND p.identifier IN "
    "('auth:user:list', 'auth:user:manage', 'auth:permission:manage', "
    "'auth:keycloak:user:create', 'auth:totp:manage')";
static const char sync_sql_role_perm_global[] =
    "INSERT INTO \"rolePermission\" (role, permission) SELECT r.id, p.id FROM role r, "
    "permission p WHERE r.identifier = '_lightbase' AND r.tenant IS NULL AND "
    "p.identifier = 'lightbase:internal'";

static struct err *
sync_all(PGconn *db, struct tenant_config *tc)
{
	const char *const role_sql[] = {
		sync_sql_roles,           sync_sql_global_role,      sync_sql_role_perm_clear,
		sync_sql_role_perm_admin, sync_sql_role_perm_global, NULL
	};
	struct err *e = pg_advisory_xact_lock(db, SYNC_LOCK_KEY);

	if (e == NULL)
		e = sync_tenants(db, tc);
	if (e == NULL)
		e = sync_list(db, "DELETE FROM \"featureFlag\" WHERE name <> ALL ($1::text[])",
		              "INSERT INTO \"featureFlag\" (name, \"globalValue\", description) "
		              "SELECT unnest($1::text[]), false, '' ON CONFLICT (name) DO NOTHING",
		              sync_feature_flags);
	if (e == NULL)
		e = sync_list(db, "DELETE FROM permission WHERE identifier <> ALL ($1::text[])",
		              "INSERT INTO permission (identifier) SELECT unnest($1::text[]) "
		              "ON CONFLICT (identifier) DO NOTHING",
		              permission_identifiers);
	for (size_t i = 0; e == NULL && role_sql[i] != NULL; i++)
		e = pg_exec(db, role_sql[i], 0, NULL);
	return e;
}

struct err *
sync_run(PGconn *db, struct tenant_config *tc)
{
	struct err *e = pg_begin(db);

	if (e != NULL)
		return e;
	e = sync_all(db, tc);
	if (e == NULL)
		e = pg_commit(db);
	if (e != NULL)
		pg_rollback(db);
	return e;
}
