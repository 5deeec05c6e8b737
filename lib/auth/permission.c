/* Roles and permissions: tenant-scoped checks (DECISIONS §13.3), summaries and the
 * role-management operations of seed-api §6.6. */
#include "permission.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "pg.h"
#include "user_admin.h"
#include "uuid.h"

const char *const permission_identifiers[] = { PERMISSION_USER_LIST,
	                                       PERMISSION_USER_MANAGE,
	                                       PERMISSION_MANAGE,
	                                       PERMISSION_KEYCLOAK_CREATE,
	                                       PERMISSION_TOTP_MANAGE,
	                                       PERMISSION_INTERNAL,
	                                       NULL };

/* A role (aliased r) counts for a request when it belongs to the request's tenant ($1)
 * or is global. */
#define ROLE_IN_SCOPE "(r.\"tenant\" = $1::uuid OR r.\"tenant\" IS NULL)"
/* Static roles are the mandatory ones synced at start-up (seed-api §5.2). */
#define ROLE_IS_STATIC                                                                             \
	"((r.\"tenant\" IS NOT NULL AND r.identifier = '" PERMISSION_ROLE_ADMIN "')"               \
	" OR (r.\"tenant\" IS NULL AND r.identifier = '" PERMISSION_ROLE_LIGHTBASE "'))"

bool
permission_is_known(const char *identifier)
{
	for (size_t i = 0; permission_identifiers[i] != NULL; i++) {
		if (strcmp(permission_identifiers[i], identifier) == 0)
			return true;
	}
	return false;
}

/* A query whose single row holds one json column; parsed into *out. */
static struct err *
query_json(PGconn *db, const char *sql, int n, const char *const *params, cJSON **out)
{
	struct err *e = NULL;
	PGresult *r = pg_query(db, sql, n, params, &e);

	if (e != NULL)
		return e;
	*out = PQntuples(r) == 1 ? pg_get_json(r, 0, 0) : NULL;
	PQclear(r);
	if (*out == NULL)
		return err_internal("permission: query returned no json");
	return NULL;
}

/* Number of rows a statement returned or touched. */
static struct err *
query_count(PGconn *db, const char *sql, int n, const char *const *params, long *count)
{
	struct err *e = NULL;
	PGresult *r = pg_query(db, sql, n, params, &e);

	if (e != NULL)
		return e;
	*count = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : atol(PQcmdTuples(r));
	PQclear(r);
	return NULL;
}

static cJSON *
string_array(const char *const *items, size_t n)
{
	cJSON *a = json_array();

	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(items[i]));
	return a;
}

struct err *
permission_require(PGconn *db, const char *tenant_id, const char *user_id, const char *const *perms,
                   size_t n)
{
	static const char sql[] =
	    "SELECT w.identifier FROM jsonb_array_elements_text($3::jsonb) WITH ORDINALITY "
	    "AS w(identifier, n) WHERE NOT EXISTS (SELECT 1 FROM \"userRole\" ur "
	    "JOIN \"role\" r ON r.id = ur.\"role\" "
	    "JOIN \"rolePermission\" rp ON rp.\"role\" = r.id "
	    "JOIN \"permission\" p ON p.id = rp.\"permission\" "
	    "WHERE ur.\"user\" = $2::uuid AND " ROLE_IN_SCOPE " "
	    "AND p.identifier = w.identifier) ORDER BY w.n";
	cJSON *wanted = string_array(perms, n);
	char *wanted_text = json_print(wanted);
	const char *params[] = { tenant_id, user_id, wanted_text };
	struct err *e = NULL;
	PGresult *r = pg_query(db, sql, 3, params, &e);
	cJSON *missing, *info;

	cJSON_Delete(wanted);
	free(wanted_text);
	if (e != NULL)
		return e;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return NULL;
	}
	missing = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		cJSON_AddItemToArray(missing, cJSON_CreateString(pg_get(r, i, 0)));
	PQclear(r);
	info = json_object();
	cJSON_AddItemToObject(info, "missingPermissions", missing);
	return err_new("auth.requireUser.missingPermissions", 400, info);
}

struct err *
permission_user_has(PGconn *db, const char *tenant_id, const char *user_id, const char *perm,
                    bool *has)
{
	struct err *e = permission_require(db, tenant_id, user_id, &perm, 1);

	*has = e == NULL;
	if (e != NULL && strcmp(e->key, "auth.requireUser.missingPermissions") == 0) {
		err_free(e);
		return NULL;
	}
	return e;
}

struct err *
permission_summary(PGconn *db, const char *tenant_id, const char *user_id, cJSON **out)
{
	static const char sql[] =
	    "SELECT json_build_object("
	    "'roles', COALESCE((SELECT json_agg(json_build_object('id', r.id, "
	    "'identifier', r.identifier) ORDER BY r.identifier COLLATE \"C\", r.id) "
	    "FROM \"userRole\" ur JOIN \"role\" r ON r.id = ur.\"role\" "
	    "WHERE ur.\"user\" = $2::uuid AND " ROLE_IN_SCOPE "), '[]'::json), "
	    "'permissions', COALESCE((SELECT json_agg(x.identifier "
	    "ORDER BY x.identifier COLLATE \"C\") FROM (SELECT DISTINCT p.identifier "
	    "FROM \"userRole\" ur JOIN \"role\" r ON r.id = ur.\"role\" "
	    "JOIN \"rolePermission\" rp ON rp.\"role\" = r.id "
	    "JOIN \"permission\" p ON p.id = rp.\"permission\" "
	    "WHERE ur.\"user\" = $2::uuid AND " ROLE_IN_SCOPE ") x), '[]'::json))";
	const char *params[] = { tenant_id, user_id };

	return query_json(db, sql, 2, params, out);
}

struct err *
permission_user_summary(PGconn *db, const char *tenant_id, const char *user_id, cJSON **out)
{
	char id[UUID_STR_LEN];
	struct err *e =
	    user_admin_require_target(db, tenant_id, user_id, "authPermission.requireUser", id);

	if (e != NULL)
		return e;
	return permission_summary(db, tenant_id, id, out);
}

struct err *
permission_list(PGconn *db, cJSON **out)
{
	static const char sql[] =
	    "SELECT json_build_object('permissions', COALESCE((SELECT json_agg(json_build_object("
	    "'id', p.id, 'identifier', p.identifier) ORDER BY p.identifier COLLATE \"C\") "
	    "FROM \"permission\" p), '[]'::json))";

	return query_json(db, sql, 0, NULL, out);
}

struct err *
permission_role_list(PGconn *db, const char *tenant_id, cJSON **out)
{
	static const char sql[] =
	    "SELECT json_build_object('roles', COALESCE((SELECT json_agg(json_build_object("
	    "'id', r.id, 'identifier', r.identifier, "
	    "'isEditable', r.\"tenant\" IS NOT NULL AND NOT " ROLE_IS_STATIC ", "
	    "'permissions', COALESCE((SELECT json_agg(p.identifier "
	    "ORDER BY p.identifier COLLATE \"C\") FROM \"rolePermission\" rp "
	    "JOIN \"permission\" p ON p.id = rp.\"permission\" WHERE rp.\"role\" = r.id), "
	    "'[]'::json)) ORDER BY r.identifier COLLATE \"C\", r.id) "
	    "FROM \"role\" r WHERE " ROLE_IN_SCOPE "), '[]'::json))";
	const char *params[] = { tenant_id };

	return query_json(db, sql, 1, params, out);
}

struct err *
permission_role_create(PGconn *db, const char *tenant_id, const char *identifier, cJSON **out)
{
	/* Creates of one tenant are serialised, so two concurrent requests for the same
	 * identifier cannot both pass the duplicate check (there is no unique index). */
	static const char sql_lock[] =
	    "SELECT pg_advisory_xact_lock(hashtext('platform.role.create'), hashtext($1))";
	static const char sql[] =
	    "INSERT INTO \"role\" (\"identifier\", \"tenant\") SELECT $2::text, $1::uuid "
	    "WHERE NOT EXISTS (SELECT 1 FROM \"role\" WHERE \"identifier\" = $2::text "
	    "AND \"tenant\" = $1::uuid) RETURNING json_build_object('role', json_build_object("
	    "'id', id, 'identifier', identifier))";
	const char *params[] = { tenant_id, identifier };
	struct err *e = pg_begin(db);
	PGresult *r;

	*out = NULL;
	if (e == NULL)
		e = pg_exec(db, sql_lock, 1, params);
	if (e == NULL) {
		r = pg_query(db, sql, 2, params, &e);
		if (e == NULL && PQntuples(r) == 1)
			*out = pg_get_json(r, 0, 0);
		PQclear(r);
	}
	if (e == NULL && *out == NULL)
		e = err_new("authPermission.createRole.duplicateIdentifier", 400, NULL);
	if (e == NULL)
		e = pg_commit(db);
	if (e != NULL) {
		pg_rollback(db);
		cJSON_Delete(*out);
		*out = NULL;
	}
	return e;
}

/* The role must belong to the tenant (unknownRole) and not be static (notEditable). */
static struct err *
require_editable_role(PGconn *db, const char *tenant_id, const char *role_id, char id[UUID_STR_LEN])
{
	static const char sql[] = "SELECT " ROLE_IS_STATIC " FROM \"role\" r "
	                          "WHERE r.id = $2::uuid AND r.\"tenant\" = $1::uuid";
	const char *params[] = { tenant_id, id };
	struct err *e = NULL;
	PGresult *r;
	bool found, is_static;

	if (!uuid_normalize(role_id, id))
		return err_new("authPermission.requireRole.unknownRole", 400, NULL);
	r = pg_query(db, sql, 2, params, &e);
	if (e != NULL)
		return e;
	found = PQntuples(r) == 1;
	is_static = found && pg_get_bool(r, 0, 0);
	PQclear(r);
	if (!found)
		return err_new("authPermission.requireRole.unknownRole", 400, NULL);
	if (is_static)
		return err_new("authPermission.requireRole.notEditable", 400, NULL);
	return NULL;
}

struct err *
permission_role_delete(PGconn *db, const char *tenant_id, const char *role_id)
{
	char id[UUID_STR_LEN];
	const char *params[] = { id };
	struct err *e = require_editable_role(db, tenant_id, role_id, id);

	if (e != NULL)
		return e;
	return pg_exec(db, "DELETE FROM \"role\" WHERE id = $1::uuid", 1, params);
}

/* Every item must be a known identifier, listed once, and the list non-empty. */
static bool
identifiers_valid(const cJSON *identifiers)
{
	const cJSON *a, *b;
	int n = 0;

	cJSON_ArrayForEach(a, identifiers)
	{
		if (!cJSON_IsString(a) || !permission_is_known(a->valuestring))
			return false;
		for (b = identifiers->child; b != a; b = b->next) {
			if (strcmp(a->valuestring, b->valuestring) == 0)
				return false;
		}
		n++;
	}
	return n > 0;
}

struct err *
permission_role_add_permissions(PGconn *db, const char *tenant_id, const char *role_id,
                                const cJSON *identifiers)
{
	/* Counting found rows against the list length is the template's check; known
	 * identifiers missing from the table (not synced) fail it as well. */
	static const char sql_count[] =
	    "SELECT count(*) = jsonb_array_length($1::jsonb) FROM \"permission\" p "
	    "WHERE p.identifier IN (SELECT jsonb_array_elements_text($1::jsonb))";
	static const char sql_insert[] =
	    "INSERT INTO \"rolePermission\" (\"role\", \"permission\") SELECT $1::uuid, p.id "
	    "FROM \"permission\" p WHERE p.identifier IN "
	    "(SELECT jsonb_array_elements_text($2::jsonb)) ON CONFLICT DO NOTHING";
	char id[UUID_STR_LEN];
	struct err *e = require_editable_role(db, tenant_id, role_id, id);
	char *list;
	PGresult *r;
	bool all_found;

	if (e != NULL)
		return e;
	if (!identifiers_valid(identifiers))
		return err_new("authPermission.roleAddPermissions.unknownPermission", 400, NULL);
	list = json_print(identifiers);
	r = pg_query(db, sql_count, 1, (const char *const[]){ list }, &e);
	all_found = e == NULL && pg_get_bool(r, 0, 0);
	PQclear(r);
	if (e == NULL && !all_found)
		e = err_new("authPermission.roleAddPermissions.unknownPermission", 400, NULL);
	if (e == NULL)
		e = pg_exec(db, sql_insert, 2, (const char *const[]){ id, list });
	free(list);
	return e;
}

struct err *
permission_role_remove_permissions(PGconn *db, const char *tenant_id, const char *role_id,
                                   const cJSON *identifiers)
{
	static const char sql_first_missing[] =
	    "SELECT w.identifier FROM jsonb_array_elements_text($2::jsonb) WITH ORDINALITY "
	    "AS w(identifier, n) WHERE NOT EXISTS (SELECT 1 FROM \"rolePermission\" rp "
	    "JOIN \"permission\" p ON p.id = rp.\"permission\" WHERE rp.\"role\" = $1::uuid "
	    "AND p.identifier = w.identifier) ORDER BY w.n LIMIT 1";
	static const char sql_delete[] =
	    "DELETE FROM \"rolePermission\" rp USING \"permission\" p "
	    "WHERE p.id = rp.\"permission\" AND rp.\"role\" = $1::uuid "
	    "AND p.identifier IN (SELECT jsonb_array_elements_text($2::jsonb))";
	char id[UUID_STR_LEN];
	struct err *e = require_editable_role(db, tenant_id, role_id, id);
	const char *params[] = { id, NULL };
	char *list;
	PGresult *r;
	cJSON *info;

	if (e != NULL)
		return e;
	list = json_print(identifiers);
	params[1] = list;
	r = pg_query(db, sql_first_missing, 2, params, &e);
	if (e == NULL && PQntuples(r) > 0) {
		info = json_object();
		cJSON_AddStringToObject(info, "permission", pg_get(r, 0, 0));
		e = err_new("authPermission.roleRemovePermissions.permissionNotAssigned", 400,
		            info);
	}
	PQclear(r);
	if (e == NULL)
		e = pg_exec(db, sql_delete, 2, params);
	free(list);
	return e;
}

struct err *
permission_user_assign_role(PGconn *db, const char *tenant_id, const char *caller_id,
                            const char *user_id, const char *role_id)
{
	/* The user's own roles are checked first (userHasRole), so only scope matters here. */
	static const char sql_role[] = "SELECT " ROLE_IS_STATIC " FROM \"role\" r "
	                               "WHERE r.id = $2::uuid AND " ROLE_IN_SCOPE;
	static const char sql_has[] = "SELECT 1 FROM \"userRole\" "
	                              "WHERE \"user\" = $1::uuid AND \"role\" = $2::uuid";
	static const char sql_insert[] =
	    "INSERT INTO \"userRole\" (\"user\", \"role\") VALUES ($1::uuid, $2::uuid) "
	    "ON CONFLICT DO NOTHING";
	const char *internal = PERMISSION_INTERNAL;
	char uid[UUID_STR_LEN], rid[UUID_STR_LEN];
	struct err *e =
	    user_admin_require_target(db, tenant_id, user_id, "authPermission.requireUser", uid);
	PGresult *r;
	long has = 0;
	bool found = false, is_static = false;

	if (e != NULL)
		return e;
	if (!uuid_normalize(role_id, rid))
		return err_new("authPermission.userAssignRole.unknownRole", 400, NULL);
	e = query_count(db, sql_has, 2, (const char *const[]){ uid, rid }, &has);
	if (e == NULL && has > 0)
		e = err_new("authPermission.userAssignRole.userHasRole", 400, NULL);
	if (e != NULL)
		return e;
	r = pg_query(db, sql_role, 2, (const char *const[]){ tenant_id, rid }, &e);
	if (e != NULL)
		return e;
	found = PQntuples(r) == 1;
	is_static = found && pg_get_bool(r, 0, 0);
	PQclear(r);
	if (!found)
		return err_new("authPermission.userAssignRole.unknownRole", 400, NULL);
	if (is_static)
		e = permission_require(db, tenant_id, caller_id, &internal, 1);
	if (e == NULL)
		e = pg_exec(db, sql_insert, 2, (const char *const[]){ uid, rid });
	return e;
}

struct err *
permission_user_remove_role(PGconn *db, const char *tenant_id, const char *user_id,
                            const char *role_id)
{
	static const char sql[] = "DELETE FROM \"userRole\" ur USING \"role\" r "
	                          "WHERE r.id = ur.\"role\" AND ur.\"user\" = $2::uuid "
	                          "AND ur.\"role\" = $3::uuid AND " ROLE_IN_SCOPE;
	char uid[UUID_STR_LEN], rid[UUID_STR_LEN];
	struct err *e =
	    user_admin_require_target(db, tenant_id, user_id, "authPermission.requireUser", uid);
	long removed = 0;

	if (e != NULL)
		return e;
	if (!uuid_normalize(role_id, rid))
		return err_new("authPermission.userRemoveRole.roleNotAssigned", 400, NULL);
	e = query_count(db, sql, 3, (const char *const[]){ tenant_id, uid, rid }, &removed);
	if (e == NULL && removed == 0)
		e = err_new("authPermission.userRemoveRole.roleNotAssigned", 400, NULL);
	return e;
}
