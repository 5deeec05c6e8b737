/* User administration: the userSummary built in one SQL expression, the filtered user
 * list, single user, rename and soft delete / reactivate (seed-api §6.3, §7.6). */
#include "user_admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "pg.h"
#include "user_summary.h"

/* ISO-8601 UTC with milliseconds, the template's date serialisation; NULL stays NULL. */
#define TS(x) USER_SUMMARY_TS(x)
/* Roles that count in the request's tenant ($1): the tenant's own and global ones. */
#define ROLE_IN_SCOPE    USER_SUMMARY_ROLE_IN_SCOPE("$1")
#define NOT_SOFT_DELETED "(u.\"deletedAt\" IS NULL OR u.\"deletedAt\" > now())"
#define IN_TENANT                                                                                  \
	"EXISTS (SELECT 1 FROM \"userTenant\" ut WHERE ut.\"user\" = u.id "                        \
	"AND ut.\"tenant\" = $1::uuid)"
#define SUMMARY_JSON USER_SUMMARY_SQL("$1")

void
user_admin_filter_init(struct user_admin_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->anonymous_login = USER_ADMIN_ANY;
	f->digid_login = USER_ADMIN_ANY;
	f->keycloak_login = USER_ADMIN_ANY;
	f->password_login = USER_ADMIN_ANY;
}

static struct err *
invalid_user(const char *prefix)
{
	char key[96];

	snprintf(key, sizeof(key), "%s.invalidUser", prefix);
	return err_new(key, 400, NULL);
}

struct err *
user_admin_require_target(PGconn *db, const char *tenant_id, const char *user_id,
                          const char *prefix, char id_out[UUID_STR_LEN])
{
	static const char sql[] = "SELECT 1 FROM \"user\" u WHERE u.id = $2::uuid AND " IN_TENANT;
	struct err *e = NULL;
	PGresult *r;
	bool found;

	if (!uuid_normalize(user_id, id_out))
		return invalid_user(prefix);
	r = pg_query(db, sql, 2, (const char *const[]){ tenant_id, id_out }, &e);
	if (e != NULL)
		return e;
	found = PQntuples(r) == 1;
	PQclear(r);
	return found ? NULL : invalid_user(prefix);
}

struct err *
user_admin_summary(PGconn *db, const char *tenant_id, const char *user_id, cJSON **out)
{
	static const char sql[] = "SELECT " SUMMARY_JSON " FROM \"user\" u "
	                          "WHERE u.id = $2::uuid AND " IN_TENANT;
	char id[UUID_STR_LEN];
	struct err *e = NULL;
	PGresult *r;

	*out = NULL;
	if (!uuid_normalize(user_id, id))
		return NULL;
	r = pg_query(db, sql, 2, (const char *const[]){ tenant_id, id }, &e);
	if (e != NULL)
		return e;
	if (PQntuples(r) == 1)
		*out = pg_get_json(r, 0, 0);
	PQclear(r);
	return NULL;
}

static const char *
exists_param(enum user_admin_exists v)
{
	if (v == USER_ADMIN_ANY)
		return NULL;
	return v == USER_ADMIN_WITH ? "true" : "false";
}

/* %name% for ILIKE, with the pattern characters of name taken literally. */
static char *
like_pattern(const char *name)
{
	size_t n = strlen(name);
	char *out = malloc(2 * n + 3), *w = out;

	if (out == NULL)
		abort();
	*w++ = '%';
	for (const char *s = name; *s != '\0'; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			*w++ = '\\';
		*w++ = *s;
	}
	*w++ = '%';
	*w = '\0';
	return out;
}

struct err *
user_admin_list(PGconn *db, const char *tenant_id, const struct user_admin_filter *f, cJSON **out)
{
	static const char sql[] =
	    "SELECT " SUMMARY_JSON " FROM \"user\" u WHERE " IN_TENANT " "
	    "AND ($2::bool OR " NOT_SOFT_DELETED ") "
	    "AND ($3::bool IS NULL OR EXISTS (SELECT 1 FROM \"anonymousLogin\" a "
	    "WHERE a.\"user\" = u.id) = $3::bool) "
	    "AND ($4::bool IS NULL OR EXISTS (SELECT 1 FROM \"digidLogin\" d "
	    "WHERE d.\"user\" = u.id) = $4::bool) "
	    "AND ($5::bool IS NULL OR EXISTS (SELECT 1 FROM \"keycloakLogin\" k "
	    "WHERE k.\"user\" = u.id) = $5::bool) "
	    "AND ($6::bool IS NULL OR EXISTS (SELECT 1 FROM \"passwordLogin\" p "
	    "WHERE p.\"user\" = u.id) = $6::bool) "
	    "AND ($7::text IS NULL OR u.name ILIKE $7::text ESCAPE '\\') "
	    "AND ($8::bool OR NOT (EXISTS (SELECT 1 FROM \"anonymousLogin\" a "
	    "WHERE a.\"user\" = u.id AND NOT a.\"isAllowedToLogin\") "
	    "AND NOT EXISTS (SELECT 1 FROM \"passwordLogin\" p WHERE p.\"user\" = u.id))) "
	    "ORDER BY u.\"createdAt\", u.\"updatedAt\", u.id";
	char *pattern = f->name_search != NULL ? like_pattern(f->name_search) : NULL;
	const char *params[] = { tenant_id,
		                 f->include_soft_deleted ? "true" : "false",
		                 exists_param(f->anonymous_login),
		                 exists_param(f->digid_login),
		                 exists_param(f->keycloak_login),
		                 exists_param(f->password_login),
		                 pattern,
		                 f->include_anonymous_temporary ? "true" : "false" };
	struct err *e = NULL;
	PGresult *r = pg_query(db, sql, 8, params, &e);
	cJSON *users;

	free(pattern);
	if (e != NULL)
		return e;
	users = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		cJSON_AddItemToArray(users, pg_get_json(r, i, 0));
	PQclear(r);
	*out = json_object();
	cJSON_AddItemToObject(*out, "users", users);
	return NULL;
}

struct err *
user_admin_get(PGconn *db, const char *tenant_id, const char *user_id, cJSON **out)
{
	cJSON *summary = NULL;
	struct err *e = user_admin_summary(db, tenant_id, user_id, &summary);

	if (e != NULL)
		return e;
	if (summary == NULL)
		return invalid_user("auth.getUser");
	*out = json_object();
	cJSON_AddItemToObject(*out, "user", summary);
	return NULL;
}

struct err *
user_admin_update_name(PGconn *db, const char *tenant_id, const char *user_id, bool set,
                       const char *name)
{
	static const char sql[] =
	    "UPDATE \"user\" u SET \"name\" = CASE WHEN $3::bool THEN $4::text ELSE u.\"name\" "
	    "END, "
	    "\"updatedAt\" = now() WHERE u.id = $2::uuid AND " IN_TENANT " RETURNING u.id";
	char id[UUID_STR_LEN];
	const char *params[] = { tenant_id, id, set ? "true" : "false", name };
	struct err *e = NULL;
	PGresult *r;
	bool found;

	if (!uuid_normalize(user_id, id))
		return invalid_user("auth.updateUser.requireUser");
	r = pg_query(db, sql, 4, params, &e);
	if (e != NULL)
		return e;
	found = PQntuples(r) == 1;
	PQclear(r);
	return found ? NULL : invalid_user("auth.updateUser.requireUser");
}

/* Soft delete inside the open transaction: mark, revoke sessions, enqueue the job. */
static struct err *
soft_delete(PGconn *db, const char *id, const cJSON *tenant_metadata)
{
	static const char sql_mark[] =
	    "UPDATE \"user\" SET \"deletedAt\" = now(), \"updatedAt\" = now() WHERE id = $1::uuid";
	/* DECISIONS §13.13: every session of the user (also those it impersonates from). */
	static const char sql_revoke_tokens[] =
	    "UPDATE \"sessionStoreToken\" SET \"revokedAt\" = now() WHERE \"revokedAt\" IS NULL "
	    "AND \"session\" IN (SELECT s.id FROM \"sessionStore\" s "
	    "WHERE s.\"data\"->>'userId' = $1 OR s.\"data\"->>'impersonatorUserId' = $1)";
	static const char sql_revoke_sessions[] =
	    "UPDATE \"sessionStore\" s SET \"revokedAt\" = now(), \"updatedAt\" = now() "
	    "WHERE s.\"revokedAt\" IS NULL "
	    "AND (s.\"data\"->>'userId' = $1 OR s.\"data\"->>'impersonatorUserId' = $1)";
	static const char sql_job[] =
	    "INSERT INTO \"job\" (\"name\", \"priority\", \"data\", \"isComplete\") "
	    "VALUES ('auth.user.softDeleted', 4, $1::jsonb, false)";
	const char *params[] = { id };
	cJSON *data = json_object(), *metadata = json_object();
	char *text;
	struct err *e;

	cJSON_AddStringToObject(data, "userId", id);
	cJSON_AddItemToObject(metadata, "tenant",
	                      tenant_metadata != NULL ? cJSON_Duplicate(tenant_metadata, 1)
	                                              : json_object());
	cJSON_AddItemToObject(data, "metadata", metadata);
	text = json_print(data);
	cJSON_Delete(data);
	e = pg_exec(db, sql_mark, 1, params);
	if (e == NULL)
		e = pg_exec(db, sql_revoke_tokens, 1, params);
	if (e == NULL)
		e = pg_exec(db, sql_revoke_sessions, 1, params);
	if (e == NULL)
		e = pg_exec(db, sql_job, 1, (const char *const[]){ text });
	free(text);
	return e;
}

struct err *
user_admin_set_active(PGconn *db, const char *tenant_id, const char *user_id, bool active,
                      const cJSON *tenant_metadata)
{
	static const char sql_lock[] = "SELECT NOT " NOT_SOFT_DELETED " FROM \"user\" u "
	                               "WHERE u.id = $2::uuid AND " IN_TENANT " FOR UPDATE OF u";
	static const char sql_restore[] = "UPDATE \"user\" SET \"deletedAt\" = NULL, "
	                                  "\"updatedAt\" = now() WHERE id = $1::uuid";
	char id[UUID_STR_LEN];
	struct err *e;
	PGresult *r;
	bool found, deleted;

	if (!uuid_normalize(user_id, id))
		return invalid_user("auth.setUserActive.requireUser");
	e = pg_begin(db);
	if (e != NULL)
		return e;
	r = pg_query(db, sql_lock, 2, (const char *const[]){ tenant_id, id }, &e);
	found = e == NULL && PQntuples(r) == 1;
	deleted = found && pg_get_bool(r, 0, 0);
	PQclear(r);
	if (e == NULL && !found)
		e = invalid_user("auth.setUserActive.requireUser");
	if (e == NULL && active && deleted)
		e = pg_exec(db, sql_restore, 1, (const char *const[]){ id });
	if (e == NULL && !active && !deleted)
		e = soft_delete(db, id, tenant_metadata);
	if (e == NULL)
		e = pg_commit(db);
	if (e != NULL)
		pg_rollback(db);
	return e;
}
