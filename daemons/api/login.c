/* Session creation at login: two-step check, session + tokens, device, lastLogin. */
#include "login.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "pg.h"

static const char login_sql_two_step[] =
    "SELECT EXISTS (SELECT 1 FROM \"totpSettings\" WHERE \"user\" = $1::uuid AND "
    "\"verifiedAt\" IS NOT NULL), EXISTS (SELECT 1 FROM \"passwordLogin\" WHERE "
    "\"user\" = $1::uuid AND \"otpEnabledAt\" IS NOT NULL)";

static const char login_sql_device[] =
    "INSERT INTO device (session, name, platform, \"notificationToken\", "
    "\"webPushInformation\") VALUES ($1, $2, $3, $4, $5::jsonb)";

static struct err *
login_two_step(struct api_ctx *c, const char *user_id, char out[32])
{
	const char *params[1] = { user_id };
	struct err *e = NULL;
	PGresult *r = api_query_cached(c, "login_two_step", login_sql_two_step, 1, params, &e);

	if (r == NULL)
		return e;
	out[0] = '\0';
	if (pg_get_bool(r, 0, 0))
		snprintf(out, 32, "totpProvider");
	else if (pg_get_bool(r, 0, 1))
		snprintf(out, 32, "passwordBasedOtp");
	PQclear(r);
	return NULL;
}

static struct err *
login_device(struct api_ctx *c, const char *session_id, const cJSON *device)
{
	const cJSON *wp = cJSON_GetObjectItemCaseSensitive(device, "webPushInformation");
	char *wp_json = wp != NULL ? json_print(wp) : NULL;
	const char *params[5] = {
		session_id,
		cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(device, "name")),
		cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(device, "platform")),
		cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(device, "notificationToken")),
		wp_json,
	};
	struct err *e = pg_exec(c->db, login_sql_device, 5, params);

	free(wp_json);
	return e;
}

struct err *
login_session_create(struct api_ctx *c, const char *user_id, const char *login_type,
                     const cJSON *device, struct login_result *out)
{
	const char *params[1] = { user_id };
	cJSON *data = json_object();
	struct err *e;

	memset(out, 0, sizeof(*out));
	e = login_two_step(c, user_id, out->two_step_type);
	if (e == NULL)
		e = pg_exec(c->db, "UPDATE \"user\" SET \"lastLogin\" = now() WHERE id = $1::uuid",
		            1, params);
	if (e == NULL) {
		cJSON_AddStringToObject(data, "type",
		                        out->two_step_type[0] != '\0' ? "checkTwoStep" : "user");
		cJSON_AddStringToObject(data, "loginType", login_type);
		cJSON_AddStringToObject(data, "userId", user_id);
		if (out->two_step_type[0] != '\0')
			cJSON_AddStringToObject(data, "twoStepType", out->two_step_type);
		e = session_create(c->db, api_session_settings(c), data, &out->tokens,
		                   out->session_id);
	}
	if (e == NULL && device != NULL)
		e = login_device(c, out->session_id, device);
	cJSON_Delete(data);
	return e;
}
