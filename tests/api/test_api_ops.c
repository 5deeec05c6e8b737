/* Black-box: the operator routes. GET /_metrics (Prometheus text: per-route counters
 * summed over the workers, a cumulative duration histogram, gauges, process metrics;
 * /_health not counted; api.metrics = false is 404), GET /_health/ready, GET
 * /_docs/openapi.json (every route, path params, security, bodies, query), and GET
 * /_compas/structure.json (development only; a missing file is a warning and 404). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thttp.h"
#include "tsupport.h"

static struct tapi api;
static char structure_env[600];

static const char *
structure_path_env(void)
{
	const char *root = getenv("TEST_SOURCE_ROOT");

	snprintf(structure_env, sizeof(structure_env),
	         "PLATFORM_API_STRUCTURE_FILE=%s/conf/compas-structure.json",
	         root != NULL ? root : ".");
	return structure_env;
}

/* Every key is given each time: tapi_start's setenv outlives the fixture. */
static void
setup_dev(void)
{
	const char *env[] = { "PLATFORM_API_METRICS=true", structure_path_env(), NULL };

	tapi_start(&api, env);
}

static void
setup_production(void)
{
	const char *env[] = { "NODE_ENV=production", "PLATFORM_API_METRICS=false",
		              structure_path_env(), NULL };

	tapi_start(&api, env);
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

static bool
header_starts(const struct thttp_response *r, const char *name, const char *prefix)
{
	char v[256];

	return thttp_header(r, name, v, sizeof(v)) && strncmp(v, prefix, strlen(prefix)) == 0;
}

/* The value of the sample "name" (with its labels, e.g. `x{a="b"}`) in an exposition
 * text; -1 when absent. */
static double
sample(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, name, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return -1;
}

/* GET /_metrics (asserting its status and type); the body, caller frees. */
static char *
metrics_text(void)
{
	struct thttp_response r;
	char *text;

	ck_assert_int_eq(thttp_full(&api, "GET", "/_metrics", NULL, NULL, &r), 200);
	ck_assert(header_starts(&r, "Content-Type", "text/plain; version=0.0.4"));
	text = strdup(r.body);
	thttp_response_free(&r);
	return text;
}

static double
metric(const char *name)
{
	char *text = metrics_text();
	double v = sample(text, name);

	free(text);
	return v;
}

/* A request is counted once its response is sent, on whichever worker served it: a
 * /_metrics request served by the other worker may come a moment before that. */
static double
metric_until(const char *name, double at_least)
{
	double v = -1;

	for (int i = 0; i < 100; i++) {
		v = metric(name);
		if (v >= at_least)
			break;
		tsupport_sleep_ms(10);
	}
	return v;
}

START_TEST(metrics_exposition)
{
	char *text = metrics_text();

	/* every family has its HELP and TYPE */
	ck_assert_ptr_nonnull(strstr(text, "# TYPE platform_api_requests_total counter\n"));
	ck_assert_ptr_nonnull(
	    strstr(text, "# TYPE platform_api_request_duration_seconds histogram\n"));
	ck_assert_ptr_nonnull(strstr(text, "# HELP platform_api_requests_in_flight "));
	/* this request is in flight, over an open connection */
	ck_assert(sample(text, "platform_api_requests_in_flight") >= 1);
	ck_assert(sample(text, "platform_api_open_connections") >= 1);
	ck_assert(sample(text, "platform_api_workers") == 2);
	ck_assert(sample(text, "platform_api_auth_cache_generation") >= 0);
	ck_assert(sample(text, "platform_api_uptime_seconds") >= 0);
	ck_assert(sample(text, "process_resident_memory_bytes") > 1024 * 1024);
	ck_assert(sample(text, "process_cpu_seconds_total") >= 0);
	ck_assert(sample(text, "process_start_time_seconds") > 1.6e9);
	ck_assert(text[strlen(text) - 1] == '\n');
	free(text);
}
END_TEST

START_TEST(metrics_count_by_route_and_status_class)
{
	const char *unauthorized = "platform_api_requests_total{route=\"router.auth.me\","
	                           "status=\"4xx\"}";
	const char *echo = "platform_api_requests_total{route=\"router.dev.echo\",status=\"2xx\"}";
	const char *none = "platform_api_requests_total{route=\"none\",status=\"4xx\"}";
	double me0 = metric(unauthorized), echo0 = metric(echo), none0 = metric(none);
	cJSON *j = NULL;

	me0 = me0 < 0 ? 0 : me0;
	echo0 = echo0 < 0 ? 0 : echo0;
	none0 = none0 < 0 ? 0 : none0;
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(thttp_json(&api, "GET", "/auth/me", NULL, NULL, &j), 401);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(thttp_json(&api, "GET", "/_dev/echo/x", NULL, NULL, &j), 200);
	ck_assert_int_eq(thttp_json(&api, "GET", "/no/such/route", NULL, NULL, &j), 404);
	cJSON_Delete(j);
	ck_assert(metric_until(unauthorized, me0 + 3) == me0 + 3);
	ck_assert(metric_until(echo, echo0 + 2) == echo0 + 2);
	ck_assert(metric_until(none, none0 + 1) == none0 + 1);
	/* the metrics requests count themselves, as 2xx of their route */
	ck_assert(metric("platform_api_requests_total{route=\"router.ops.metrics\","
	                 "status=\"2xx\"}") >= 3);
}
END_TEST

START_TEST(metrics_histogram_cumulative)
{
	static const char *const les[] = { "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
		                           "0.5",   "1",    "2.5",   "5",    "+Inf" };
	cJSON *j = NULL;
	char *text, name[128];
	double prev = 0, count, inf = 0;

	ck_assert_int_eq(thttp_json(&api, "GET", "/_dev/sleep?ms=30", NULL, NULL, &j), 200);
	cJSON_Delete(j);
	metric_until("platform_api_requests_total{route=\"router.dev.sleep\",status=\"2xx\"}", 1);
	text = metrics_text();
	for (size_t i = 0; i < sizeof(les) / sizeof(les[0]); i++) {
		double v;

		snprintf(name, sizeof(name),
		         "platform_api_request_duration_seconds_bucket{le=\"%s\"}", les[i]);
		v = sample(text, name);
		ck_assert_msg(v >= prev, "bucket le=%s (%g) below the previous (%g)", les[i], v,
		              prev);
		prev = inf = v;
	}
	count = sample(text, "platform_api_request_duration_seconds_count");
	ck_assert(count >= 2);
	ck_assert(inf == count);
	/* the 30 ms sleep is above the 25 ms bound */
	ck_assert(sample(text, "platform_api_request_duration_seconds_bucket{le=\"0.025\"}") <
	          count);
	ck_assert(sample(text, "platform_api_request_duration_seconds_sum") >= 0.03);
	free(text);
}
END_TEST

START_TEST(metrics_health_not_counted)
{
	struct thttp_response r;
	double before = metric("platform_api_request_duration_seconds_count"), after;

	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(thttp_full(&api, "GET", "/_health", NULL, NULL, &r), 200);
		thttp_response_free(&r);
	}
	tsupport_sleep_ms(100); /* the first /_metrics request is counted by now */
	after = metric("platform_api_request_duration_seconds_count");
	ck_assert_msg(after == before + 1, "before %g after %g", before, after);
}
END_TEST

START_TEST(metrics_auth_generation_moves)
{
	char access[512], refresh[512];
	double before = metric("platform_api_auth_cache_generation");

	/* a new user and session: migration 007's triggers notify platform_auth */
	tapi_login_anonymous(&api, access, refresh);
	ck_assert(metric_until("platform_api_auth_cache_generation", before + 1) > before);
}
END_TEST

START_TEST(ready_checks_database)
{
	struct thttp_response r;
	int unready = 0;

	ck_assert_int_eq(thttp_full(&api, "GET", "/_health/ready", NULL, NULL, &r), 200);
	ck_assert(header_starts(&r, "Content-Type", "application/json"));
	ck_assert_ptr_nonnull(r.json);
	ck_assert_str_eq(jstr(r.json, "database"), "ok");
	thttp_response_free(&r);
	/* the workers' connections are dropped under them: a request that meets a dead
	 * connection answers 503 error.server.notReady, the next reconnects (http.c) */
	tsupport_db_scalar(api.db,
	                   "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
	                   "WHERE datname = current_database() AND pid <> pg_backend_pid()");
	for (int i = 0; i < 10; i++) {
		long st = thttp_full(&api, "GET", "/_health/ready", NULL, NULL, &r);

		ck_assert_msg(st == 200 || st == 503, "status %ld", st);
		if (st == 503) {
			ck_assert_str_eq(jstr(r.json, "key"), "error.server.notReady");
			ck_assert_int_eq(cJSON_GetObjectItem(r.json, "status")->valueint, 503);
			ck_assert_str_eq(jstr(r.json, "type"), "api_error");
			unready++;
		}
		thttp_response_free(&r);
	}
	ck_assert_int_le(unready, 2); /* at most once per worker */
	ck_assert_int_eq(thttp_full(&api, "GET", "/_health/ready", NULL, NULL, &r), 200);
	thttp_response_free(&r);
	/* /_health itself is unchanged: empty body */
	ck_assert_int_eq(thttp_full(&api, "GET", "/_health", NULL, NULL, &r), 200);
	ck_assert_str_eq(r.body, "");
	thttp_response_free(&r);
}
END_TEST

static const cJSON *
jget(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const cJSON *
openapi_op(const cJSON *doc, const char *path, const char *method)
{
	return jget(jget(jget(doc, "paths"), path), method);
}

static const cJSON *
openapi_param(const cJSON *op, const char *name)
{
	const cJSON *p;

	cJSON_ArrayForEach(p,
	                   jget(op, "parameters")) if (jstr(p, "name") != NULL &&
	                                               strcmp(jstr(p, "name"), name) == 0) return p;
	return NULL;
}

static bool
json_array_has(const cJSON *arr, const char *s)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, arr) if (cJSON_IsString(v) &&
	                               strcmp(v->valuestring, s) == 0) return true;
	return false;
}

START_TEST(openapi_document)
{
	struct thttp_response r;
	const cJSON *doc, *op, *p, *path;
	int operations = 0;

	ck_assert_int_eq(thttp_full(&api, "GET", "/_docs/openapi.json", NULL, NULL, &r), 200);
	ck_assert(header_starts(&r, "Content-Type", "application/json"));
	doc = r.json;
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(jstr(doc, "openapi"), "3.1.0");
	/* /auth/me: the template's event name, its access rule (the handler reads the
	 * session itself), the error responses */
	op = openapi_op(doc, "/auth/me", "get");
	ck_assert_ptr_nonnull(op);
	ck_assert_str_eq(jstr(op, "operationId"), "router.auth.me");
	ck_assert_str_eq(jstr(op, "x-platform-access"), "tenant");
	ck_assert_ptr_nonnull(jget(jget(jget(op, "responses"), "200"), "content"));
	ck_assert_str_eq(jstr(jget(jget(op, "responses"), "4XX"), "$ref"),
	                 "#/components/responses/Error");
	ck_assert_ptr_nonnull(jget(jget(jget(doc, "components"), "schemas"), "Error"));
	/* a path param route: {user}, required, a uuid */
	op = openapi_op(doc, "/auth/user/{user}", "get");
	ck_assert_ptr_nonnull(op);
	p = openapi_param(op, "user");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(jstr(p, "in"), "path");
	ck_assert(cJSON_IsTrue(jget(p, "required")));
	ck_assert_str_eq(jstr(jget(p, "schema"), "format"), "uuid");
	/* a permission route needs the bearer token */
	ck_assert_ptr_nonnull(jget(cJSON_GetArrayItem(jget(op, "security"), 0), "bearerAuth"));
	ck_assert_ptr_nonnull(jstr(op, "x-platform-permission"));
	ck_assert_ptr_nonnull(openapi_op(doc, "/auth/user/{user}/update", "put"));
	/* a body: required fields and its nested optional object */
	op = openapi_op(doc, "/auth/password-based/login", "post");
	ck_assert_ptr_nonnull(op);
	p = jget(jget(jget(jget(op, "requestBody"), "content"), "application/json"), "schema");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(jstr(p, "type"), "object");
	ck_assert(json_array_has(jget(p, "required"), "email"));
	ck_assert(json_array_has(jget(p, "required"), "password"));
	ck_assert(!json_array_has(jget(p, "required"), "device"));
	ck_assert_str_eq(jstr(jget(jget(p, "properties"), "device"), "type"), "object");
	ck_assert(cJSON_IsFalse(jget(p, "additionalProperties")));
	/* query parameters with their range */
	op = openapi_op(doc, "/_dev/sleep", "get");
	p = openapi_param(op, "ms");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(jstr(p, "in"), "query");
	ck_assert_str_eq(jstr(jget(p, "schema"), "type"), "integer");
	ck_assert_int_eq(jget(jget(p, "schema"), "maximum")->valueint, 30000);
	/* the operator routes themselves, and no Express-style ":param" left */
	ck_assert_ptr_nonnull(openapi_op(doc, "/_metrics", "get"));
	ck_assert_ptr_nonnull(openapi_op(doc, "/_health/ready", "get"));
	cJSON_ArrayForEach(path, jget(doc, "paths"))
	{
		ck_assert_msg(strchr(path->string, ':') == NULL, "path %s", path->string);
		operations += cJSON_GetArraySize(path);
	}
	ck_assert_int_ge(operations, 45);
	thttp_response_free(&r);
}
END_TEST

START_TEST(structure_served_in_development)
{
	struct thttp_response r;
	const char *root = getenv("TEST_SOURCE_ROOT");
	char path[512];
	char *file;

	snprintf(path, sizeof(path), "%s/conf/compas-structure.json", root != NULL ? root : ".");
	file = tsupport_read_file(path);
	ck_assert_ptr_nonnull(file);
	ck_assert_int_eq(thttp_full(&api, "GET", "/_compas/structure.json", NULL, NULL, &r), 200);
	ck_assert(header_starts(&r, "Content-Type", "application/json"));
	ck_assert_ptr_nonnull(r.json);
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(r.json, "auth"));
	ck_assert_str_eq(r.body, file);
	thttp_response_free(&r);
	free(file);
}
END_TEST

START_TEST(production_hides_structure_and_metrics_off)
{
	struct thttp_response r;

	ck_assert_int_eq(thttp_full(&api, "GET", "/_compas/structure.json", NULL, NULL, &r), 404);
	ck_assert_str_eq(jstr(r.json, "key"), "error.server.notFound");
	thttp_response_free(&r);
	/* api.metrics = false */
	ck_assert_int_eq(thttp_full(&api, "GET", "/_metrics", NULL, NULL, &r), 404);
	ck_assert_str_eq(jstr(r.json, "key"), "error.server.notFound");
	thttp_response_free(&r);
	/* the others stay */
	ck_assert_int_eq(thttp_full(&api, "GET", "/_health/ready", NULL, NULL, &r), 200);
	thttp_response_free(&r);
	ck_assert_int_eq(thttp_full(&api, "GET", "/_docs/openapi.json", NULL, NULL, &r), 200);
	thttp_response_free(&r);
}
END_TEST

START_TEST(structure_file_missing_is_a_warning)
{
	const char *env[] = { "PLATFORM_API_METRICS=true",
		              "PLATFORM_API_STRUCTURE_FILE=/nonexistent/structure.json", NULL };
	struct thttp_response r;

	tapi_start(&api, env);
	ck_assert_int_eq(thttp_full(&api, "GET", "/_compas/structure.json", NULL, NULL, &r), 404);
	ck_assert_str_eq(jstr(r.json, "key"), "error.server.notFound");
	thttp_response_free(&r);
	ck_assert(tapi_log_contains(&api, "/nonexistent/structure.json"));
	ck_assert_int_eq(tapi_stop(&api), 0);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("api-ops");
	TCase *tc = tcase_create("api-ops");

	tcase_add_unchecked_fixture(tc, setup_dev, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, metrics_exposition);
	tcase_add_test(tc, metrics_count_by_route_and_status_class);
	tcase_add_test(tc, metrics_histogram_cumulative);
	tcase_add_test(tc, metrics_health_not_counted);
	tcase_add_test(tc, metrics_auth_generation_moves);
	tcase_add_test(tc, ready_checks_database);
	tcase_add_test(tc, openapi_document);
	tcase_add_test(tc, structure_served_in_development);
	suite_add_tcase(s, tc);
	tc = tcase_create("api-ops-production");
	tcase_add_unchecked_fixture(tc, setup_production, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, production_hides_structure_and_metrics_off);
	suite_add_tcase(s, tc);
	tc = tcase_create("api-ops-missing");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, structure_file_missing_is_a_warning);
	suite_add_tcase(s, tc);
	return s;
}

TAPI_MAIN(suite)
