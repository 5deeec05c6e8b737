/* /session routes: list, logout, set-notification-token (seed §6.4, DECISIONS §13.14). */
#include "routes.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "pg.h"

/* Live sessions only: not revoked, with a refresh token that is neither revoked nor
 * expired. $1 user, $2 current session. */
static const char session_sql_list[] =
    "SELECT s.id, s.id = $2::uuid, d.platform, d.name, d.\"notificationToken\", "
    "d.\"webPushInformation\", d.id IS NOT NULL FROM \"sessionStore\" s "
    "LEFT JOIN device d ON d.session = s.id "
    "WHERE (s.data->>'userId')::uuid = $1::uuid AND s.\"revokedAt\" IS NULL AND EXISTS ("
    "SELECT 1 FROM \"sessionStoreToken\" t WHERE t.session = s.id AND t.\"refreshToken\" IS "
    "NULL AND (t.\"revokedAt\" IS NULL OR t.\"revokedAt\" > now()) AND t.\"expiresAt\" > now()) "
    "ORDER BY s.\"createdAt\", s.id";

static cJSON *
session_device_json(const PGresult *r, int row)
{
	cJSON *d = json_object(), *wp;

	cJSON_AddStringToObject(d, "platform", pg_get(r, row, 2));
	cJSON_AddStringToObject(d, "name", pg_get(r, row, 3));
	if (!pg_is_null(r, row, 4))
		cJSON_AddStringToObject(d, "notificationToken", pg_get(r, row, 4));
	wp = pg_get_json(r, row, 5);
	if (wp != NULL)
		cJSON_AddItemToObject(d, "webPushInformation", wp);
	return d;
}

static struct err *
session_list(struct api_ctx *c, cJSON **response)
{
	const char *params[2] = { c->user.id, c->session.id };
	struct err *e = NULL;
	PGresult *r = api_query_cached(c, "session_list", session_sql_list, 2, params, &e);
	cJSON *list;

	if (r == NULL)
		return e;
	list = json_array();
	for (int i = 0; i < PQntuples(r); i++) {
		cJSON *s = json_object();

		cJSON_AddStringToObject(s, "sessionId", pg_get(r, i, 0));
		cJSON_AddBoolToObject(s, "isCurrentSession", pg_get_bool(r, i, 1));
		if (pg_get_bool(r, i, 6))
			cJSON_AddItemToObject(s, "device", session_device_json(r, i));
		cJSON_AddItemToArray(list, s);
	}
	PQclear(r);
	*response = json_object();
	cJSON_AddItemToObject(*response, "sessions", list);
	return NULL;
}

static struct err *
session_logout(struct api_ctx *c, cJSON **response)
{
	const char *params[2] = {
		cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->body, "sessionId")),
		c->user.id,
	};
	struct err *e = NULL;
	PGresult *r = pg_query(c->db,
	                       "DELETE FROM \"sessionStore\" WHERE id = $1::uuid AND "
	                       "(data->>'userId')::uuid = $2::uuid RETURNING id",
	                       2, params, &e);
	int n;

	if (r == NULL)
		return e;
	n = PQntuples(r);
	PQclear(r);
	if (n == 0)
		return err_new("authSession.logout.unknown", 400, NULL);
	*response = json_object();
	return NULL;
}

/* The platform rules for the current session's device (seed §6.4). */
static struct err *
session_check_device(const char *platform, bool has_token, bool has_webpush)
{
	bool ok = true;

	if (strcmp(platform, "desktop") == 0)
		ok = has_webpush && !has_token;
	else if (strcmp(platform, "apple") == 0 || strcmp(platform, "android") == 0)
		ok = has_token && !has_webpush;
	return ok ? NULL : err_new("authSession.setDeviceNotificationToken.invalid", 400, NULL);
}

static struct err *
session_set_token_tx(struct api_ctx *c, const char *token, const char *webpush)
{
	const char *p1[1] = { c->session.id };
	const char *p3[3] = { token, c->user.id, c->session.id };
	struct err *e = NULL;
	PGresult *r = pg_query(c->db,
	                       "SELECT id, platform FROM device WHERE session = $1::uuid "
	                       "ORDER BY \"createdAt\" LIMIT 1 FOR UPDATE",
	                       1, p1, &e);
	char device_id[UUID_STR_LEN];

	if (r == NULL)
		return e;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return err_new("authSession.setDeviceNotificationToken.unknown", 400, NULL);
	}
	snprintf(device_id, sizeof(device_id), "%s", pg_get(r, 0, 0));
	e = session_check_device(pg_get(r, 0, 1), token != NULL, webpush != NULL);
	PQclear(r);
	if (e == NULL && token != NULL)
		e = pg_exec(
		    c->db,
		    "DELETE FROM \"sessionStore\" s USING device d WHERE d.session = s.id "
		    "AND d.\"notificationToken\" = $1 AND (s.data->>'userId')::uuid = $2::uuid "
		    "AND s.id <> $3::uuid",
		    3, p3);
	if (e == NULL) {
		const char *p[3] = { device_id, token, webpush };

		e = pg_exec(c->db,
		            "UPDATE device SET \"notificationToken\" = COALESCE($2, "
		            "\"notificationToken\"), \"webPushInformation\" = COALESCE($3::jsonb, "
		            "\"webPushInformation\"), \"updatedAt\" = now() WHERE id = $1::uuid",
		            3, p);
	}
	return e;
}

static struct err *
session_set_notification_token(struct api_ctx *c, cJSON **response)
{
	const char *token =
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c->body, "notificationToken"));
	const cJSON *wp = cJSON_GetObjectItemCaseSensitive(c->body, "webPushInformation");
	char *webpush = wp != NULL ? json_print(wp) : NULL;
	struct err *e = pg_begin(c->db);

	if (e == NULL)
		e = session_set_token_tx(c, token, webpush);
	if (e == NULL)
		e = pg_commit(c->db);
	if (e != NULL)
		pg_rollback(c->db);
	free(webpush);
	if (e == NULL)
		*response = json_object();
	return e;
}

static const struct schema session_logout_body =
    SCHEMA_OBJECT(SCHEMA_FIELD("sessionId", SCHEMA_UUID()));

static const struct schema session_token_body =
    SCHEMA_OBJECT(SCHEMA_FIELD("notificationToken", SCHEMA_STRING(.optional = true)),
                  SCHEMA_FIELD("webPushInformation", SCHEMA_OPT_REF(&schema_web_push_information)));

static const struct api_route routes[] = {
	{ "GET", "/session/list", "router.session.list", session_list, "user", NULL, NULL, NULL },
	{ "POST", "/session/logout", "router.session.logout", session_logout, "user", NULL, NULL,
	  &session_logout_body },
	{ "POST", "/session/set-notification-token", "router.session.setNotificationToken",
	  session_set_notification_token, "user", NULL, NULL, &session_token_body },
};

const struct api_route_group routes_session = API_ROUTE_GROUP(routes);
