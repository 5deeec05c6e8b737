/* Black-box: the HTTP core. Health, 404 and the error body, request log lines,
 * security and CORS headers, preflight, limits (413 body, 431 header), PATCH/OPTIONS,
 * body parsing and validation errors with nested paths. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "thttp.h"
#include "tsupport.h"

static struct tapi api;

static void
setup(void)
{
	const char *env[] = { "PLATFORM_API_MAX_BODY_BYTES=2048",
		              "PLATFORM_API_MAX_HEADER_BYTES=2048", NULL };

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

START_TEST(health_any_method)
{
	struct thttp_response r;

	ck_assert_int_eq(thttp_full(&api, "GET", "/_health", NULL, NULL, &r), 200);
	ck_assert_str_eq(r.body, "");
	thttp_response_free(&r);
	ck_assert_int_eq(thttp_full(&api, "POST", "/_health", NULL, "{}", &r), 200);
	thttp_response_free(&r);
}
END_TEST

START_TEST(not_found_error_body_and_log)
{
	struct thttp_response r;
	char rid[64], needle[128];

	ck_assert_int_eq(thttp_full(&api, "GET", "/does/not/exist", NULL, NULL, &r), 404);
	ck_assert_ptr_nonnull(r.json);
	ck_assert_str_eq(jstr(r.json, "key"), "error.server.notFound");
	ck_assert_int_eq(cJSON_GetObjectItem(r.json, "status")->valueint, 404);
	ck_assert(cJSON_IsObject(cJSON_GetObjectItem(r.json, "info")));
	ck_assert_str_eq(jstr(r.json, "type"), "api_error");
	snprintf(rid, sizeof(rid), "%s", jstr(r.json, "requestId"));
	ck_assert_int_eq((int)strlen(rid), 36);
	thttp_response_free(&r);
	/* one NDJSON request line with the request id and the status */
	snprintf(needle, sizeof(needle), "\"requestId\":\"%s\"", rid);
	ck_assert(tapi_log_contains(&api, needle));
	ck_assert(tapi_log_contains(&api, "\"status\":404"));
	/* known path, wrong method: also 404 (no 405) */
	ck_assert_int_eq(thttp_full(&api, "DELETE", "/auth/me", NULL, NULL, &r), 404);
	thttp_response_free(&r);
	/* PATCH and OPTIONS reach the router (evhttp would say 501) */
	ck_assert_int_eq(thttp_full(&api, "PATCH", "/x", NULL, "{}", &r), 404);
	ck_assert_str_eq(jstr(r.json, "key"), "error.server.notFound");
	thttp_response_free(&r);
	ck_assert_int_eq(thttp_full(&api, "OPTIONS", "/auth/me", NULL, NULL, &r), 404);
	thttp_response_free(&r);
}
END_TEST

START_TEST(request_log_has_route_name)
{
	cJSON *j = NULL;

	ck_assert_int_eq(thttp_json(&api, "GET", "/multitenant/current", NULL, NULL, &j), 200);
	cJSON_Delete(j);
	ck_assert(tapi_log_contains(&api, "\"eventName\":\"router.multitenant.current\""));
	ck_assert(tapi_log_contains(&api, "\"type\":\"http\""));
	ck_assert(tapi_log_contains(&api, "\"duration\":"));
}
END_TEST

START_TEST(security_headers)
{
	struct thttp_response r;
	char v[256];

	thttp_full(&api, "GET", "/multitenant/current", NULL, NULL, &r);
	ck_assert(thttp_header(&r, "Strict-Transport-Security", v, sizeof(v)));
	ck_assert_str_eq(v, "max-age=5184000; includeSubDomains");
	ck_assert(thttp_header(&r, "X-DNS-Prefetch-Control", v, sizeof(v)));
	ck_assert_str_eq(v, "off");
	ck_assert(thttp_header(&r, "Vary", v, sizeof(v)));
	ck_assert_str_eq(v, "Origin");
	ck_assert(!thttp_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)));
	thttp_response_free(&r);
}
END_TEST

START_TEST(cors_allowed_and_preflight)
{
	struct thttp_response r;
	char v[256];
	const char *ok[] = { "Origin: https://scaffold.acc.lightbase.nl",
		             "x-lpc-tenant-origin: scaffold.acc.lightbase.nl", NULL };
	const char *local[] = { "Origin: http://localhost:5173",
		                "x-lpc-tenant-origin: scaffold.acc.lightbase.nl", NULL };
	const char *bad[] = { "Origin: https://evil.example", NULL };
	const char *pre[] = { "Origin: https://scaffold.acc.lightbase.nl",
		              "Access-Control-Request-Method: POST",
		              "Access-Control-Request-Headers: authorization,content-type", NULL };

	ck_assert_int_eq(thttp_full(&api, "GET", "/multitenant/current", ok, NULL, &r), 200);
	ck_assert(thttp_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)));
	ck_assert_str_eq(v, "https://scaffold.acc.lightbase.nl");
	ck_assert(thttp_header(&r, "Access-Control-Allow-Credentials", v, sizeof(v)));
	ck_assert_str_eq(v, "true");
	thttp_response_free(&r);
	/* acceptance: any http://localhost:<port> */
	ck_assert_int_eq(thttp_full(&api, "GET", "/multitenant/current", local, NULL, &r), 200);
	ck_assert(thttp_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)));
	ck_assert_str_eq(v, "http://localhost:5173");
	thttp_response_free(&r);
	/* not allowed: no CORS headers, request still served (then fails tenant lookup) */
	thttp_full(&api, "GET", "/feature-flag/current", bad, NULL, &r);
	ck_assert(!thttp_header(&r, "Access-Control-Allow-Origin", v, sizeof(v)));
	thttp_response_free(&r);
	/* preflight */
	ck_assert_int_eq(thttp_full(&api, "OPTIONS", "/auth/me", pre, NULL, &r), 204);
	ck_assert(thttp_header(&r, "Access-Control-Max-Age", v, sizeof(v)));
	ck_assert_str_eq(v, "7200");
	ck_assert(thttp_header(&r, "Access-Control-Allow-Methods", v, sizeof(v)));
	ck_assert_str_eq(v, "GET,PUT,POST,PATCH,DELETE,HEAD,OPTIONS");
	ck_assert(thttp_header(&r, "Access-Control-Allow-Headers", v, sizeof(v)));
	ck_assert_str_eq(v, "authorization,content-type");
	thttp_response_free(&r);
}
END_TEST

/* Just over the limit, and far over it (once evhttp's own page): the JSON body. */
START_TEST(oversize_body_413)
{
	static const size_t sizes[] = { 4096, 512 * 1024 };
	struct thttp_response r;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		char *body = malloc(n);

		memset(body, ' ', n - 1);
		body[0] = '{';
		body[n - 3] = '}';
		body[n - 1] = '\0';
		ck_assert_int_eq(thttp_full(&api, "POST", "/auth/refresh-tokens", NULL, body, &r),
		                 413);
		ck_assert_str_eq(jstr(r.json, "key"), "error.server.maxFieldSize");
		ck_assert_int_eq(cJSON_GetObjectItem(r.json, "status")->valueint, 413);
		thttp_response_free(&r);
		free(body);
	}
	/* the daemon still answers */
	ck_assert_int_eq(thttp_full(&api, "GET", "/_health", NULL, NULL, &r), 200);
	thttp_response_free(&r);
}
END_TEST

START_TEST(oversize_header_431)
{
	static const size_t sizes[] = { 3000, 64 * 1024 };
	struct thttp_response r;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *big = malloc(sizes[i]);
		const char *h[] = { big, NULL };

		memset(big, 'a', sizes[i] - 1);
		memcpy(big, "X-Big: ", 7);
		big[sizes[i] - 1] = '\0';
		ck_assert_int_eq(thttp_full(&api, "GET", "/multitenant/current", h, NULL, &r), 431);
		ck_assert_str_eq(jstr(r.json, "key"), "error.server.headersTooLarge");
		thttp_response_free(&r);
		free(big);
	}
}
END_TEST

START_TEST(body_parse_and_validation)
{
	cJSON *j = NULL, *info;

	/* malformed JSON */
	ck_assert_int_eq(thttp_json(&api, "POST", "/auth/refresh-tokens", NULL, "{bad", &j), 400);
	ck_assert_str_eq(jstr(j, "key"), "error.server.unsupportedBodyFormat");
	/* no body at all */
	ck_assert_int_eq(thttp_json(&api, "POST", "/auth/refresh-tokens", NULL, NULL, &j), 400);
	ck_assert_str_eq(jstr(j, "key"), "validator.error");
	ck_assert_str_eq(jstr(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "info"), "$"), "key"),
	                 "validator.undefined");
	/* nested paths, strict keys, lengths, enums */
	ck_assert_int_eq(thttp_json(&api, "POST", "/auth/anonymous-based/login", NULL,
	                            "{\"token\":\"short\",\"device\":{\"platform\":\"pc\","
	                            "\"webPushInformation\":{\"endpoint\":\"e\",\"keys\":{\"auth\":"
	                            "\"\"}}},\"other\":true}",
	                            &j),
	                 400);
	ck_assert_str_eq(jstr(j, "key"), "validator.error");
	info = cJSON_GetObjectItem(j, "info");
	ck_assert_str_eq(jstr(cJSON_GetObjectItem(info, "$.token"), "key"), "validator.length");
	ck_assert_int_eq(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(info, "$.token"), "minLength")->valueint, 40);
	ck_assert_str_eq(jstr(cJSON_GetObjectItem(info, "$.device.platform"), "key"),
	                 "validator.oneOf");
	ck_assert_str_eq(jstr(cJSON_GetObjectItem(info, "$.device.name"), "key"),
	                 "validator.undefined");
	ck_assert_str_eq(
	    jstr(cJSON_GetObjectItem(info, "$.device.webPushInformation.keys.p256dh"), "key"),
	    "validator.undefined");
	ck_assert_str_eq(
	    jstr(cJSON_GetObjectItem(info, "$.device.webPushInformation.keys.auth"), "key"),
	    "validator.length");
	ck_assert_str_eq(jstr(cJSON_GetObjectItem(info, "$"), "key"), "validator.keys");
	/* path params are URL-decoded; a bad escape is router.param.invalidEncoding */
	ck_assert_int_eq(thttp_json(&api, "GET", "/_dev/echo/a%20b%2Fc", NULL, NULL, &j), 200);
	ck_assert_str_eq(jstr(j, "value"), "a b/c");
	ck_assert_int_eq(thttp_json(&api, "GET", "/_dev/echo/bad%zz", NULL, NULL, &j), 400);
	ck_assert_str_eq(jstr(j, "key"), "router.param.invalidEncoding");
	ck_assert_str_eq(jstr(cJSON_GetObjectItem(j, "info"), "key"), "value");
	ck_assert_str_eq(jstr(cJSON_GetObjectItem(j, "info"), "value"), "bad%zz");
	/* a query schema: int out of range */
	ck_assert_int_eq(thttp_json(&api, "GET", "/_dev/sleep?ms=99999999", NULL, NULL, &j), 400);
	ck_assert_str_eq(jstr(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "info"), "$.ms"), "key"),
	                 "validator.range");
	cJSON_Delete(j);
}
END_TEST

/* ---- the wire: raw HTTP/1.1 over a socket ---- */

/* Read until `responses` complete responses (by Content-Length) are in buf, or EOF
 * (*eof set). Returns the bytes read. */
static size_t
wire_read(int fd, char *buf, size_t cap, int responses, bool *eof)
{
	size_t len = 0;

	*eof = false;
	for (;;) {
		const char *p = buf;
		int complete = 0;
		ssize_t n;

		buf[len] = '\0';
		while (p != NULL && (p = strstr(p, "HTTP/1.1 ")) != NULL) {
			const char *end = strstr(p, "\r\n\r\n"),
			           *cl = strstr(p, "Content-Length: ");

			if (end == NULL)
				break;
			if (atoi(p + 9) == 100) { /* an interim response has no body */
				p = end + 4;
				continue;
			}
			if (cl == NULL || cl > end ||
			    (size_t)(end + 4 - buf) + (size_t)atoi(cl + 16) > len)
				break;
			complete++;
			p = end + 4 + atoi(cl + 16);
		}
		if (complete >= responses)
			return len;
		n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0) {
			*eof = true;
			return len;
		}
		len += (size_t)n;
	}
}

/* Three requests in one write: three answers, in order; the request log names each. */
START_TEST(pipelined_requests_in_order)
{
	char buf[16384];
	int fd = tapi_raw_connect(&api);
	bool eof;
	const char *one, *two;

	tapi_raw_send(fd, "GET /_dev/echo/first HTTP/1.1\r\nHost: x\r\n\r\n"
	                  "GET /_dev/echo/second HTTP/1.1\r\nHost: x\r\n\r\n"
	                  "GET /_health HTTP/1.1\r\nHost: x\r\n\r\n");
	wire_read(fd, buf, sizeof(buf), 3, &eof);
	ck_assert(!eof);
	one = strstr(buf, "{\"value\":\"first\"}");
	two = strstr(buf, "{\"value\":\"second\"}");
	ck_assert_ptr_nonnull(one);
	ck_assert_ptr_nonnull(two);
	ck_assert(one < two);
	close(fd);
	ck_assert(tapi_log_contains(&api, "\"method\":\"GET\",\"eventName\":\"router.dev.echo\""));
}
END_TEST

/* A chunked body is decoded and validated like any other. */
START_TEST(chunked_body)
{
	char buf[16384];
	int fd = tapi_raw_connect(&api);
	bool eof;

	tapi_raw_send(fd, "POST /auth/refresh-tokens HTTP/1.1\r\nHost: x\r\n"
	                  "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
	                  "5\r\n{\"ref\r\n9\r\nreshToken\r\n6\r\n\":\"x\"}\r\n0\r\n\r\n");
	wire_read(fd, buf, sizeof(buf), 1, &eof);
	ck_assert_int_eq(atoi(buf + 9), 401); /* parsed and valid: the token itself is refused */
	ck_assert_ptr_nonnull(strstr(buf, "\"key\":\"sessionStore."));
	/* the connection stays usable */
	tapi_raw_send(fd, "GET /_dev/echo/after HTTP/1.1\r\nHost: x\r\n\r\n");
	wire_read(fd, buf, sizeof(buf), 1, &eof);
	ck_assert_ptr_nonnull(strstr(buf, "{\"value\":\"after\"}"));
	close(fd);
}
END_TEST

/* Expect: 100-continue gets the interim answer before the body is sent. */
START_TEST(expect_continue)
{
	char buf[16384];
	int fd = tapi_raw_connect(&api);
	bool eof;
	ssize_t n;

	tapi_raw_send(fd, "POST /auth/refresh-tokens HTTP/1.1\r\nHost: x\r\n"
	                  "Content-Type: application/json\r\nContent-Length: 20\r\n"
	                  "Expect: 100-continue\r\n\r\n");
	n = read(fd, buf, sizeof(buf) - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "HTTP/1.1 100 Continue\r\n\r\n");
	tapi_raw_send(fd, "{\"refreshToken\":\"x\"}");
	wire_read(fd, buf, sizeof(buf), 1, &eof);
	ck_assert_int_eq(atoi(buf + 9), 401);
	close(fd);
}
END_TEST

/* Malformed requests get the JSON error body, then the connection is closed. */
START_TEST(malformed_requests_400)
{
	static const char *const bad[] = {
		"GET / HTTP/1.1\r\nHost x\r\n\r\n",                                  /* no colon */
		"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",                      /* obs-fold */
		"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", /* conflict */
		"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
		"GET nopath HTTP/1.1\r\n\r\n",
	};
	char buf[16384];
	bool eof;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = tapi_raw_connect(&api);

		tapi_raw_send(fd, bad[i]);
		wire_read(fd, buf, sizeof(buf), 2, &eof);
		ck_assert_msg(eof, "connection left open after: %s", bad[i]);
		ck_assert_msg(strncmp(buf, "HTTP/1.1 400 ", 13) == 0, "%s -> %.40s", bad[i], buf);
		ck_assert_ptr_nonnull(strstr(buf, "\"key\":\"error.server.badRequest\""));
		ck_assert_ptr_nonnull(strstr(buf, "\r\nConnection: close\r\n"));
		close(fd);
	}
	{
		int fd = tapi_raw_connect(&api);

		tapi_raw_send(fd, "GET / HTTP/2.0\r\n\r\n");
		wire_read(fd, buf, sizeof(buf), 2, &eof);
		ck_assert(eof);
		ck_assert(strncmp(buf, "HTTP/1.1 505 ", 13) == 0);
		close(fd);
	}
}
END_TEST

/* HTTP/1.0 closes after the answer unless it asks for keep-alive. */
START_TEST(http10_keep_alive_rules)
{
	char buf[16384];
	bool eof;
	int fd = tapi_raw_connect(&api);

	tapi_raw_send(fd, "GET /_dev/echo/a HTTP/1.0\r\n\r\n");
	wire_read(fd, buf, sizeof(buf), 2, &eof);
	ck_assert(eof);
	ck_assert_ptr_nonnull(strstr(buf, "\r\nConnection: close\r\n"));
	close(fd);
	fd = tapi_raw_connect(&api);
	tapi_raw_send(fd, "GET /_dev/echo/a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	wire_read(fd, buf, sizeof(buf), 1, &eof);
	ck_assert(!eof);
	ck_assert_ptr_nonnull(strstr(buf, "\r\nConnection: keep-alive\r\n"));
	tapi_raw_send(fd, "GET /_dev/echo/b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	wire_read(fd, buf, sizeof(buf), 1, &eof);
	ck_assert_ptr_nonnull(strstr(buf, "{\"value\":\"b\"}"));
	close(fd);
}
END_TEST

static void
setup_limited(void)
{
	const char *env[] = { "PLATFORM_API_MAX_CONNECTIONS=2", NULL };

	tapi_start(&api, env);
}

/* A keep-alive connection that sent one request; returns the fd and the status line. */
static int
raw_request(int *status)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)api.port) };
	const char *req = "GET /multitenant/current HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	                  "x-lpc-tenant-origin: scaffold.acc.lightbase.nl\r\n\r\n";
	char buf[2048];
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t n;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(write(fd, req, strlen(req)), (int)strlen(req));
	n = read(fd, buf, sizeof(buf) - 1);
	ck_assert_int_gt(n, 12);
	buf[n] = '\0';
	*status = atoi(buf + 9);
	if (*status == 503)
		ck_assert_ptr_nonnull(strstr(buf, "error.server.tooManyConnections"));
	return fd;
}

START_TEST(max_connections_503)
{
	int st, a = raw_request(&st), b, c;

	ck_assert_int_eq(st, 200);
	b = raw_request(&st);
	ck_assert_int_eq(st, 200);
	c = raw_request(&st);
	ck_assert_int_eq(st, 503);
	close(c);
	close(a);
	/* once the server has seen the close, a new connection is admitted again */
	for (int i = 0; i < 100; i++) {
		c = raw_request(&st);
		if (st == 200)
			break;
		close(c);
		tsupport_sleep_ms(100);
	}
	ck_assert_int_eq(st, 200);
	close(b);
	close(c);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("api-core");
	TCase *tc = tcase_create("api-core");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, health_any_method);
	tcase_add_test(tc, not_found_error_body_and_log);
	tcase_add_test(tc, request_log_has_route_name);
	tcase_add_test(tc, security_headers);
	tcase_add_test(tc, cors_allowed_and_preflight);
	tcase_add_test(tc, oversize_body_413);
	tcase_add_test(tc, oversize_header_431);
	tcase_add_test(tc, body_parse_and_validation);
	tcase_add_test(tc, pipelined_requests_in_order);
	tcase_add_test(tc, chunked_body);
	tcase_add_test(tc, expect_continue);
	tcase_add_test(tc, malformed_requests_400);
	tcase_add_test(tc, http10_keep_alive_rules);
	suite_add_tcase(s, tc);
	tc = tcase_create("api-limits");
	tcase_add_unchecked_fixture(tc, setup_limited, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, max_connections_503);
	suite_add_tcase(s, tc);
	return s;
}

TAPI_MAIN(suite)
