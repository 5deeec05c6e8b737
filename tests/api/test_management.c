/* Black-box tests of /_lightbase/management (seed-api §6.10, DECISIONS §13.4/§13.17):
 * the magic link (development answer, production webhook or log), the feature-flag
 * list/single/update with GET /feature-flag/current after the cache window, and the
 * nightly purge of management users. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "management.h"
#include "tadmin.h"
#include "tsupport.h"

#define FLAG_CACHE_MS "200"
#define EXAMPLE_FLAG  "__FEATURE_LPC_EXAMPLE_FLAG"
#define MAGIC_LINK    "/_lightbase/management/request-magic-link"
#define FLAG_LIST     "/_lightbase/management/feature-flag/list"

static struct tapi api;
static cJSON *resp;
static bool started;

static void
setup(void)
{
	tsupport_require_pg();
	resp = NULL;
	started = false;
}

static void
teardown(void)
{
	cJSON_Delete(resp);
	if (started)
		tadmin_stop(&api);
}

static void
start(const char *const *env)
{
	tadmin_start(&api, env);
	started = true;
}

/* the call runs first, then resp is read (a macro, so resp is not read before it) */
#define assert_error(status, want, key) tadmin_assert_error((status), (want), (key), &resp)

static long
management_users(const char *slack_id)
{
	char name[100];

	snprintf(name, sizeof(name), "Lightbase management %s", slack_id);
	return tadmin_count(api.db, "SELECT 1 FROM \"user\" WHERE name = $1", 1, name);
}

/* Log in with the anonymous token of a magic link (the frontend's step). */
static void
login_with_link(const char *link, char *access)
{
	const char *token = strstr(link, "/_lightbase/auth/");
	char body[200];

	ck_assert_ptr_nonnull(token);
	snprintf(body, sizeof(body), "{\"token\":\"%s\"}", token + strlen("/_lightbase/auth/"));
	ck_assert_int_eq(
	    tadmin_call(&api, NULL, "POST", "/auth/anonymous-based/login", body, &resp), 200);
	snprintf(access, 512, "%s",
	         cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(resp, "accessToken")));
}

START_TEST(magic_link_in_development)
{
	const char *prefix = "https://scaffold.acc.lightbase.nl/_lightbase/auth/auth-anonymous-";
	char link[300], access[512], *user;
	int st;

	start(NULL);
	st = tadmin_call(&api, NULL, "POST", MAGIC_LINK, "{\"slackUserId\":\"U123\"}", &resp);
	ck_assert_int_eq(st, 200);
	snprintf(link, sizeof(link), "%s",
	         cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(resp, "magicLink")));
	ck_assert_int_eq(strncmp(link, prefix, strlen(prefix)), 0);
	ck_assert_int_eq(strlen(link), strlen(prefix) + 36);

	user = tadmin_value(api.db,
	                    "SELECT id FROM \"user\" WHERE name = 'Lightbase management U123'", 0);
	ck_assert_ptr_nonnull(user);
	ck_assert_int_eq(
	    tadmin_count(api.db, "SELECT 1 FROM \"userTenant\" WHERE \"user\" = $1", 1, user), 2);
	ck_assert_int_eq(tadmin_count(api.db,
	                              "SELECT 1 FROM \"userRole\" ur JOIN role r ON r.id = ur.role "
	                              "WHERE ur.\"user\" = $1 AND r.identifier = '_lightbase' "
	                              "AND r.tenant IS NULL",
	                              1, user),
	                 1);
	ck_assert_int_eq(tadmin_count(api.db,
	                              "SELECT 1 FROM \"anonymousLogin\" a JOIN job j "
	                              "ON j.data->>'anonymousLoginId' = a.id::text "
	                              "WHERE a.\"user\" = $1 AND a.\"isAllowedToLogin\" "
	                              "AND j.name = 'auth.anonymousBased.userRegistered' "
	                              "AND $2 LIKE '%' || a.\"loginToken\"",
	                              2, user, link),
	                 1);
	free(user);

	/* The link logs in as a holder of lightbase:internal, in every tenant. */
	login_with_link(link, access);
	ck_assert_int_eq(tadmin_call(&api, access, "POST", FLAG_LIST, "{}", &resp), 200);
	ck_assert_int_eq(
	    tadmin_call_in(&api, TADMIN_OTHER_ORIGIN, access, "POST", FLAG_LIST, "{}", &resp), 200);

	/* Each call creates another user. */
	ck_assert_int_eq(
	    tadmin_call(&api, NULL, "POST", MAGIC_LINK, "{\"slackUserId\":\"U123\"}", &resp), 200);
	ck_assert_int_eq(management_users("U123"), 2);
}
END_TEST

START_TEST(magic_link_validation)
{
	start(NULL);
	assert_error(tadmin_call(&api, NULL, "POST", MAGIC_LINK, "{}", &resp), 400,
	             "validator.error");
	assert_error(tadmin_call(&api, NULL, "POST", MAGIC_LINK,
	                         "{\"slackUserId\":\"123456789012345678901234567890123\"}", &resp),
	             400, "validator.error");
	assert_error(tadmin_call(&api, NULL, "POST", MAGIC_LINK, "{\"slackUserId\":\"\"}", &resp),
	             400, "validator.error");
	ck_assert_int_eq(tadmin_count(api.db, "SELECT 1 FROM \"user\"", 0), 0);
}
END_TEST

/* DECISIONS §13.4: outside development the link is never in the response. */
START_TEST(magic_link_production_goes_to_log)
{
	const char *env[] = { "NODE_ENV=production", NULL };
	char *token;

	start(env);
	ck_assert_int_eq(
	    tadmin_call(&api, NULL, "POST", MAGIC_LINK, "{\"slackUserId\":\"U9\"}", &resp), 200);
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(resp, "magicLink"));
	token = tadmin_value(api.db,
	                     "SELECT a.\"loginToken\" FROM \"anonymousLogin\" a JOIN \"user\" u "
	                     "ON u.id = a.\"user\" WHERE u.name = 'Lightbase management U9'",
	                     0);
	ck_assert_ptr_nonnull(token);
	ck_assert(tapi_log_contains(&api, token));
	free(token);
}
END_TEST

/* A one-shot HTTP server standing in for the Slack webhook. */
struct hook {
	int fd;
	int status; /* answer status */
	char request[8192];
};

static void *
hook_serve(void *arg)
{
	struct hook *h = arg;
	int c = accept(h->fd, NULL, NULL);
	size_t len = 0;
	char answer[128];

	if (c < 0)
		return NULL;
	for (;;) {
		ssize_t n = read(c, h->request + len, sizeof(h->request) - 1 - len);
		const char *end, *cl;

		if (n <= 0)
			break;
		len += (size_t)n;
		h->request[len] = '\0';
		end = strstr(h->request, "\r\n\r\n");
		cl = strcasestr(h->request, "content-length:");
		if (end != NULL && cl != NULL &&
		    len >= (size_t)(end + 4 - h->request) + strtoul(cl + 15, NULL, 10))
			break;
	}
	snprintf(answer, sizeof(answer),
	         "HTTP/1.1 %d X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", h->status);
	ck_assert_int_gt(write(c, answer, strlen(answer)), 0);
	close(c);
	return NULL;
}

static int
hook_listen(struct hook *h)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);

	h->fd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(h->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(h->fd, 4), 0);
	ck_assert_int_eq(getsockname(h->fd, (struct sockaddr *)&sa, &sl), 0);
	return ntohs(sa.sin_port);
}

START_TEST(magic_link_production_webhook)
{
	static struct hook h = { .status = 200 };
	char webhook[128];
	const char *env[] = { "NODE_ENV=production", webhook, NULL };
	pthread_t thread;
	char *token;

	snprintf(webhook, sizeof(webhook),
	         "PLATFORM_MANAGEMENT_SLACK_WEBHOOK=http://127.0.0.1:%d/hook", hook_listen(&h));
	ck_assert_int_eq(pthread_create(&thread, NULL, hook_serve, &h), 0);
	start(env);
	ck_assert_int_eq(
	    tadmin_call(&api, NULL, "POST", MAGIC_LINK, "{\"slackUserId\":\"U77\"}", &resp), 200);
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(resp, "magicLink"));
	pthread_join(thread, NULL);
	close(h.fd);
	token = tadmin_value(api.db,
	                     "SELECT a.\"loginToken\" FROM \"anonymousLogin\" a JOIN \"user\" u "
	                     "ON u.id = a.\"user\" WHERE u.name = 'Lightbase management U77'",
	                     0);
	ck_assert_ptr_nonnull(token);
	ck_assert_ptr_nonnull(strstr(h.request, "POST /hook "));
	ck_assert_ptr_nonnull(strstr(h.request, token));
	ck_assert_ptr_nonnull(strstr(h.request, "<@U77>"));
	ck_assert(!tapi_log_contains(&api, token));
	free(token);
}
END_TEST

/* A failed delivery rolls the user back and is a 500. */
START_TEST(magic_link_webhook_failure)
{
	static struct hook h = { .status = 500 };
	char webhook[128];
	const char *env[] = { "NODE_ENV=production", webhook, NULL };
	pthread_t thread;

	snprintf(webhook, sizeof(webhook),
	         "PLATFORM_MANAGEMENT_SLACK_WEBHOOK=http://127.0.0.1:%d/hook", hook_listen(&h));
	ck_assert_int_eq(pthread_create(&thread, NULL, hook_serve, &h), 0);
	start(env);
	assert_error(tadmin_call(&api, NULL, "POST", MAGIC_LINK, "{\"slackUserId\":\"U5\"}", &resp),
	             500, "error.server.internal");
	pthread_join(thread, NULL);
	close(h.fd);
	ck_assert_int_eq(management_users("U5"), 0);
}
END_TEST

START_TEST(purge_management_users)
{
	char access[512], id[37], *keep;
	long deleted = -1;
	struct err *e;

	start(NULL);
	ck_assert_int_eq(
	    tadmin_call(&api, NULL, "POST", MAGIC_LINK, "{\"slackUserId\":\"U1\"}", &resp), 200);
	login_with_link(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(resp, "magicLink")),
	                access);
	/* Same name without the role, and the role without the name: both stay. */
	keep = tadmin_value(api.db,
	                    "INSERT INTO \"user\" (name, \"lastLogin\") "
	                    "VALUES ('Lightbase management fake', to_timestamp(0)) RETURNING id",
	                    0);
	tadmin_login(&api, access, id);
	tadmin_grant(api.db, id, "_lightbase", NULL);

	e = management_purge_users(api.db, &deleted);
	ck_assert_ptr_null(e);
	ck_assert_int_eq(deleted, 1);
	ck_assert_int_eq(management_users("U1"), 0);
	ck_assert_int_eq(tadmin_count(api.db, "SELECT 1 FROM \"user\" WHERE id = $1", 1, keep), 1);
	ck_assert_int_eq(tadmin_count(api.db, "SELECT 1 FROM \"user\" WHERE id = $1", 1, id), 1);
	/* The purged user's session went with it; the other user's did not. */
	ck_assert_int_eq(tadmin_count(api.db, "SELECT 1 FROM \"sessionStore\"", 0), 1);
	free(keep);
}
END_TEST

/* A holder of lightbase:internal (global _lightbase role), logged in. */
static void
internal_login(char *access)
{
	char id[37];

	tadmin_login(&api, access, id);
	tadmin_grant(api.db, id, "_lightbase", NULL);
}

/* Three flags besides the synced example flag (created now). */
static void
add_flags(char ids[3][37])
{
	const char *names[] = { "__FEATURE_A", "__FEATURE_B", "__FIX_C" };
	const char *days[] = { "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z",
		               "2020-01-03T00:00:00Z" };

	for (int i = 0; i < 3; i++) {
		char *id =
		    tadmin_value(api.db,
		                 "INSERT INTO \"featureFlag\" (name, \"globalValue\", "
		                 "description, \"createdAt\", \"updatedAt\") VALUES ($1, false, "
		                 "'', $2::timestamptz, $2::timestamptz) RETURNING id",
		                 2, names[i], days[i]);

		snprintf(ids[i], 37, "%s", id);
		free(id);
	}
}

/* The list answer must hold exactly these names in this order, and total. */
static void
assert_flags(const char *access, const char *query, const char *body, int total,
             const char *const *names, int n)
{
	char path[200];
	const cJSON *list;

	snprintf(path, sizeof(path), "%s%s", FLAG_LIST, query);
	ck_assert_int_eq(tadmin_call(&api, access, "POST", path, body, &resp), 200);
	ck_assert_int_eq(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(resp, "total")),
	                 total);
	list = cJSON_GetObjectItemCaseSensitive(resp, "list");
	ck_assert_msg(cJSON_GetArraySize(list) == n, "%s %s: %d items, want %d", query, body,
	              cJSON_GetArraySize(list), n);
	for (int i = 0; i < n; i++)
		ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
		                     cJSON_GetArrayItem(list, i), "name")),
		                 names[i]);
}

START_TEST(flag_list_filter_order_paginate)
{
	char access[512], flags[3][37], body[300];

	start(NULL);
	internal_login(access);
	add_flags(flags);
	assert_flags(access, "", "{}", 4,
	             (const char *const[]){ "__FEATURE_A", "__FEATURE_B", "__FIX_C", EXAMPLE_FLAG },
	             4);
	assert_flags(access, "?offset=1&limit=2", "{}", 4,
	             (const char *const[]){ "__FEATURE_B", "__FIX_C" }, 2);
	assert_flags(access, "?offset=10", "{}", 4, NULL, 0);
	assert_flags(access, "", "{\"where\":{\"nameILike\":\"fix\"}}", 1,
	             (const char *const[]){ "__FIX_C" }, 1);
	assert_flags(access, "", "{\"where\":{\"nameNotLike\":\"FEATURE\"}}", 1,
	             (const char *const[]){ "__FIX_C" }, 1);
	assert_flags(access, "", "{\"where\":{\"nameIn\":[\"__FIX_C\",\"__FEATURE_A\"]}}", 2,
	             (const char *const[]){ "__FEATURE_A", "__FIX_C" }, 2);
	assert_flags(access, "",
	             "{\"where\":{\"createdAtGreaterThan\":\"2020-01-01T12:00:00.000Z\","
	             "\"createdAtLowerThan\":\"2020-01-03T12:00:00.000Z\"}}",
	             2, (const char *const[]){ "__FEATURE_B", "__FIX_C" }, 2);
	assert_flags(access, "",
	             "{\"where\":{\"nameNotIn\":[\"__FIX_C\"],\"createdAtIn\":["
	             "\"2020-01-01T00:00:00.000Z\",\"2020-01-03T00:00:00.000Z\"]}}",
	             1, (const char *const[]){ "__FEATURE_A" }, 1);
	assert_flags(access, "", "{\"where\":{\"updatedAt\":\"2020-01-02T00:00:00.000Z\"}}", 1,
	             (const char *const[]){ "__FEATURE_B" }, 1);
	snprintf(body, sizeof(body), "{\"where\":{\"idIn\":[\"%s\"],\"idNotEqual\":\"%s\"}}",
	         flags[0], flags[1]);
	assert_flags(access, "", body, 1, (const char *const[]){ "__FEATURE_A" }, 1);
	assert_flags(access, "", "{\"orderBy\":[\"name\"],\"orderBySpec\":{\"name\":\"DESC\"}}", 4,
	             (const char *const[]){ "__FIX_C", EXAMPLE_FLAG, "__FEATURE_B", "__FEATURE_A" },
	             4);

	assert_error(
	    tadmin_call(&api, access, "POST", FLAG_LIST, "{\"orderBy\":[\"nope\"]}", &resp), 400,
	    "validator.error");
	assert_error(tadmin_call(&api, access, "POST", FLAG_LIST "?limit=6000", "{}", &resp), 400,
	             "validator.error");
	assert_error(
	    tadmin_call(&api, access, "POST", FLAG_LIST, "{\"where\":{\"idIn\":[\"x\"]}}", &resp),
	    400, "validator.error");
}
END_TEST

START_TEST(flag_routes_need_lightbase_internal)
{
	char access[512], id[37];

	start(NULL);
	tadmin_login(&api, access, id);
	tadmin_grant(api.db, id, "admin", TADMIN_TENANT);
	assert_error(tadmin_call(&api, access, "POST", FLAG_LIST, "{}", &resp), 400,
	             "auth.requireUser.missingPermissions");
	assert_error(tadmin_call(&api, NULL, "POST", FLAG_LIST, "{}", &resp), 401,
	             "sessionStore.verifyAndDecodeJWT.missingToken");
}
END_TEST

START_TEST(flag_single)
{
	char access[512], flags[3][37], path[200];
	const cJSON *item;

	start(NULL);
	internal_login(access);
	add_flags(flags);
	snprintf(path, sizeof(path), "/_lightbase/management/feature-flag/%s/single", flags[1]);
	ck_assert_int_eq(tadmin_call(&api, access, "GET", path, NULL, &resp), 200);
	item = cJSON_GetObjectItemCaseSensitive(resp, "item");
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "id")),
	                 flags[1]);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "name")),
	                 "__FEATURE_B");
	ck_assert_str_eq(
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "description")), "");
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(item, "globalValue")));
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(item, "tenantValues"));
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "createdAt")),
	                 "2020-01-02T00:00:00.000Z");
	assert_error(tadmin_call(&api, access, "GET",
	                         "/_lightbase/management/feature-flag/"
	                         "00000000-0000-4000-8000-000000000000/single",
	                         NULL, &resp),
	             400, "managementFeatureFlag.single.notFound");
}
END_TEST

static bool
current_flag(const char *origin)
{
	ck_assert_int_eq(
	    tadmin_call_in(&api, origin, NULL, "GET", "/feature-flag/current", NULL, &resp), 200);
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, EXAMPLE_FLAG));
}

START_TEST(flag_update_visible_after_cache)
{
	const char *env[] = { "PLATFORM_API_FEATURE_FLAG_CACHE_MS=" FLAG_CACHE_MS, NULL };
	char access[512], path[200], *id, *v;

	start(env);
	internal_login(access);
	id =
	    tadmin_value(api.db, "SELECT id FROM \"featureFlag\" WHERE name = $1", 1, EXAMPLE_FLAG);
	ck_assert(!current_flag(NULL));
	snprintf(path, sizeof(path), "/_lightbase/management/feature-flag/%s/update", id);
	ck_assert_int_eq(tadmin_call(&api, access, "PUT", path,
	                             "{\"globalValue\":true,\"description\":\"on\","
	                             "\"tenantValues\":{\"other\":false}}",
	                             &resp),
	                 200);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "success")));
	v = tadmin_value(api.db,
	                 "SELECT \"globalValue\"::text || description || \"tenantValues\"::text "
	                 "FROM \"featureFlag\" WHERE id = $1",
	                 1, id);
	ck_assert_str_eq(v, "trueon{\"other\": false}");
	free(v);

	/* After the cache window every worker serves the new values. */
	tsupport_sleep_ms(2 * atoi(FLAG_CACHE_MS) + 50);
	ck_assert(current_flag(NULL));
	ck_assert(!current_flag(TADMIN_OTHER_ORIGIN));

	/* PUT replaces: omitted globalValue is false, description ""; tenantValues stay. */
	ck_assert_int_eq(tadmin_call(&api, access, "PUT", path, "{}", &resp), 200);
	v = tadmin_value(api.db,
	                 "SELECT \"globalValue\"::text || '|' || description || '|' || "
	                 "\"tenantValues\"::text FROM \"featureFlag\" WHERE id = $1",
	                 1, id);
	ck_assert_str_eq(v, "false||{\"other\": false}");
	free(v);
	tsupport_sleep_ms(2 * atoi(FLAG_CACHE_MS) + 50);
	ck_assert(!current_flag(NULL));

	assert_error(
	    tadmin_call(&api, access, "PUT", path, "{\"tenantValues\":{\"x\":\"maybe\"}}", &resp),
	    400, "validator.error");
	assert_error(tadmin_call(&api, access, "PUT", path, "{\"tenantValues\":[true]}", &resp),
	             400, "validator.error");
	assert_error(tadmin_call(&api, access, "PUT",
	                         "/_lightbase/management/feature-flag/"
	                         "00000000-0000-4000-8000-000000000000/update",
	                         "{}", &resp),
	             400, "managementFeatureFlag.single.notFound");
	free(id);
}
END_TEST

static Suite *
management_suite(void)
{
	Suite *s = suite_create("management");
	TCase *tc = tcase_create("routes");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, magic_link_in_development);
	tcase_add_test(tc, magic_link_validation);
	tcase_add_test(tc, magic_link_production_goes_to_log);
	tcase_add_test(tc, magic_link_production_webhook);
	tcase_add_test(tc, magic_link_webhook_failure);
	tcase_add_test(tc, purge_management_users);
	tcase_add_test(tc, flag_list_filter_order_paginate);
	tcase_add_test(tc, flag_routes_need_lightbase_internal);
	tcase_add_test(tc, flag_single);
	tcase_add_test(tc, flag_update_visible_after_cache);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(management_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
