/* Impersonation start: swap the session's user for a target of the same tenant and
 * remember who started it. */
#include "impersonate.h"

#include <string.h>

#include "pg.h"
#include "uuid.h"

static struct err *
invalid(void)
{
	return err_new("authImpersonate.startSession.invalid", 400, NULL);
}

/* The target must be an active user linked to the tenant. */
static struct err *
target_exists(PGconn *db, const char *tenant_id, const char *user_id, bool *found)
{
	static const char sql[] =
	    "SELECT 1 FROM \"user\" u JOIN \"userTenant\" ut ON ut.\"user\" = u.id "
	    "WHERE u.id = $2::uuid AND ut.\"tenant\" = $1::uuid "
	    "AND (u.\"deletedAt\" IS NULL OR u.\"deletedAt\" > now())";
	struct err *e = NULL;
	PGresult *r = pg_query(db, sql, 2, (const char *const[]){ tenant_id, user_id }, &e);

	*found = e == NULL && PQntuples(r) == 1;
	PQclear(r);
	return e;
}

struct err *
impersonate_start(PGconn *db, const char *tenant_id, struct session *sess,
                  const char *target_user_id)
{
	const char *type =
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sess->data, "type"));
	const char *current =
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sess->data, "userId"));
	char target[UUID_STR_LEN];
	bool found = false;
	struct err *e;

	if (type == NULL || strcmp(type, "user") != 0 || current == NULL ||
	    cJSON_HasObjectItem(sess->data, "impersonatorUserId") ||
	    !uuid_normalize(target_user_id, target) || strcmp(current, target) == 0)
		return invalid();
	e = target_exists(db, tenant_id, target, &found);
	if (e != NULL)
		return e;
	if (!found)
		return invalid();
	cJSON_AddStringToObject(sess->data, "impersonatorUserId", current);
	cJSON_ReplaceItemInObjectCaseSensitive(sess->data, "userId", cJSON_CreateString(target));
	return session_update(db, sess);
}
