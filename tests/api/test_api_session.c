/* Black-box: /session/list (live sessions only), /session/logout, and
 * /session/set-notification-token with the platform rules and one session per token. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thttp.h"
#include "tsupport.h"

static struct tapi api;

static void
setup(void)
{
	tapi_start(&api, NULL);
}

static void
teardown(void)
{
	ck_assert_int_eq(tapi_stop(&api), 0);
}

static const char *
jstr(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* A new user; returns its login token. */
static void
new_user(char *token)
{
	cJSON *j = NULL;

	ck_assert_int_eq(thttp_json(&api, "POST", "/scaffold/create-user", NULL, NULL, &j), 200);
	snprintf(token, 128, "%s", jstr(j, "loginToken"));
	cJSON_Delete(j);
}

/* Log in with an optional device JSON; access token out. */
static void
login(const char *token, const char *device, char *access)
{
	char body[512];
	cJSON *j = NULL;

	if (device != NULL)
		snprintf(body, sizeof(body), "{\"token\":\"%s\",\"device\":%s}", token, device);
	else
		snprintf(body, sizeof(body), "{\"token\":\"%s\"}", token);
	ck_assert_int_eq(thttp_json(&api, "POST", "/auth/anonymous-based/login", NULL, body, &j),
	                 200);
	snprintf(access, 512, "%s", jstr(j, "accessToken"));
	cJSON_Delete(j);
}

static int
call(const char *method, const char *path, const char *access, const char *body, cJSON **j)
{
	char hb[600];
	const char *h[] = { tapi_bearer(hb, access), NULL };

	return thttp_json(&api, method, path, h, body, j);
}

START_TEST(list_and_logout)
{
	char tok[128], a1[512], a2[512], a3[512], body[128], other[128], ao[512];
	cJSON *j = NULL, *sessions;
	const char *second_id = NULL;

	new_user(tok);
	login(tok, "{\"platform\":\"desktop\",\"name\":\"Firefox\"}", a1);
	login(tok, NULL, a2);
	login(tok, NULL, a3);
	/* a revoked session is not listed (DECISIONS §13.14) */
	ck_assert_int_eq(call("POST", "/auth/logout", a3, NULL, &j), 200);
	ck_assert_int_eq(call("GET", "/session/list", a1, NULL, &j), 200);
	sessions = cJSON_GetObjectItem(j, "sessions");
	ck_assert_int_eq(cJSON_GetArraySize(sessions), 2);
	ck_assert(
	    cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(sessions, 0), "isCurrentSession")));
	ck_assert_str_eq(
	    jstr(cJSON_GetObjectItem(cJSON_GetArrayItem(sessions, 0), "device"), "name"),
	    "Firefox");
	ck_assert(cJSON_IsFalse(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(sessions, 1), "isCurrentSession")));
	ck_assert_ptr_null(cJSON_GetObjectItem(cJSON_GetArrayItem(sessions, 1), "device"));
	second_id = jstr(cJSON_GetArrayItem(sessions, 1), "sessionId");
	snprintf(body, sizeof(body), "{\"sessionId\":\"%s\"}", second_id);
	/* another user cannot log it out */
	new_user(other);
	login(other, NULL, ao);
	ck_assert_int_eq(call("POST", "/session/logout", ao, body, &j), 400);
	ck_assert_str_eq(jstr(j, "key"), "authSession.logout.unknown");
	ck_assert_int_eq(call("GET", "/session/list", a1, NULL, &j), 200);
	snprintf(body, sizeof(body), "{\"sessionId\":\"%s\"}",
	         jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "sessions"), 1), "sessionId"));
	ck_assert_int_eq(call("POST", "/session/logout", a1, body, &j), 200);
	ck_assert_int_eq(cJSON_GetArraySize(j), 0);
	ck_assert_int_eq(call("GET", "/auth/me", a2, NULL, &j), 401);
	ck_assert_int_eq(call("GET", "/session/list", a1, NULL, &j), 200);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "sessions")), 1);
	/* validation and auth */
	ck_assert_int_eq(call("POST", "/session/logout", a1, "{\"sessionId\":\"nope\"}", &j), 400);
	ck_assert_str_eq(
	    jstr(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "info"), "$.sessionId"), "key"),
	    "validator.pattern");
	ck_assert_int_eq(thttp_json(&api, "GET", "/session/list", NULL, NULL, &j), 401);
	ck_assert_str_eq(jstr(j, "key"), "sessionStore.verifyAndDecodeJWT.missingToken");
	cJSON_Delete(j);
}
END_TEST

START_TEST(set_notification_token_rules)
{
	char tok[128], a_none[512], a_desk[512], a_app1[512], a_app2[512], a_other[512];
	cJSON *j = NULL;

	new_user(tok);
	login(tok, NULL, a_none);
	login(tok, "{\"platform\":\"desktop\",\"name\":\"d\"}", a_desk);
	login(tok, "{\"platform\":\"apple\",\"name\":\"phone\",\"notificationToken\":\"T1\"}",
	      a_app1);
	login(tok, "{\"platform\":\"apple\",\"name\":\"phone2\"}", a_app2);
	login(tok, "{\"platform\":\"other\",\"name\":\"o\"}", a_other);
	ck_assert_int_eq(call("POST", "/session/set-notification-token", a_none,
	                      "{\"notificationToken\":\"x\"}", &j),
	                 400);
	ck_assert_str_eq(jstr(j, "key"), "authSession.setDeviceNotificationToken.unknown");
	/* desktop: web push only */
	ck_assert_int_eq(call("POST", "/session/set-notification-token", a_desk,
	                      "{\"notificationToken\":\"x\"}", &j),
	                 400);
	ck_assert_str_eq(jstr(j, "key"), "authSession.setDeviceNotificationToken.invalid");
	ck_assert_int_eq(call("POST", "/session/set-notification-token", a_desk,
	                      "{\"webPushInformation\":{\"endpoint\":\"https://push\",\"keys\":{"
	                      "\"p256dh\":\"k\",\"auth\":\"a\"}}}",
	                      &j),
	                 200);
	ck_assert_int_eq(tsupport_db_scalar(api.db, "SELECT count(*) FROM device WHERE "
	                                            "\"webPushInformation\"->>'endpoint' = "
	                                            "'https://push'"),
	                 1);
	/* apple: notification token only */
	ck_assert_int_eq(call("POST", "/session/set-notification-token", a_app2, "{}", &j), 400);
	ck_assert_str_eq(jstr(j, "key"), "authSession.setDeviceNotificationToken.invalid");
	/* the same token on another session of this user logs that one out */
	ck_assert_int_eq(call("POST", "/session/set-notification-token", a_app2,
	                      "{\"notificationToken\":\"T1\"}", &j),
	                 200);
	ck_assert_int_eq(call("GET", "/auth/me", a_app1, NULL, &j), 401);
	ck_assert_int_eq(call("GET", "/auth/me", a_app2, NULL, &j), 200);
	ck_assert_int_eq(tsupport_db_scalar(api.db, "SELECT count(*) FROM device WHERE "
	                                            "\"notificationToken\" = 'T1'"),
	                 1);
	/* other: anything goes */
	ck_assert_int_eq(call("POST", "/session/set-notification-token", a_other, "{}", &j), 200);
	/* validation: strict keys */
	ck_assert_int_eq(call("POST", "/session/set-notification-token", a_other, "{\"x\":1}", &j),
	                 400);
	ck_assert_str_eq(jstr(j, "key"), "validator.error");
	cJSON_Delete(j);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("api-session");
	TCase *tc = tcase_create("api-session");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, list_and_logout);
	tcase_add_test(tc, set_notification_token_rules);
	suite_add_tcase(s, tc);
	return s;
}

TAPI_MAIN(suite)
