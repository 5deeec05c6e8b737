/* Black-box: read time-outs (api.read_timeout_s = 1 s here). An unfinished request
 * (headers not ended, or a body shorter than its Content-Length) gets 408
 * error.server.requestTimeout and the close; an idle connection, fresh or after a
 * response, is closed without a byte; complete requests, slow handlers included, are
 * answered. A client that stops reading is disconnected (api.write_timeout_s). Only
 * content and order are asserted: the 10 s socket time-out is a safety
 * net, never a measurement. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
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
static int left_open[3] = { -1, -1, -1 }; /* connections open at shutdown */

static void
setup(void)
{
	const char *env[] = { "PLATFORM_API_READ_TIMEOUT_S=1", NULL };

	tapi_start(&api, env);
}

/* api.write_timeout_s = 1 s (the drain is short: a response cut by the write time-out
 * never completes, so its request stays in flight until the drain deadline). */
static void
setup_write(void)
{
	const char *env[] = { "PLATFORM_API_WRITE_TIMEOUT_S=1", "PLATFORM_API_SHUTDOWN_TIMEOUT_S=1",
		              NULL };

	tapi_start(&api, env);
}

static void
teardown(void)
{
	ck_assert_int_eq(tapi_stop(&api), 0); /* under ASan: no leak, no error */
	for (int i = 0; i < 3; i++)
		if (left_open[i] >= 0)
			close(left_open[i]);
}

/* Everything the server sends until it closes; the connection must end in EOF (not
 * the safety time-out or an error). Returns the length; buf is NUL terminated. */
static size_t
raw_read_to_eof(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while ((n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	ck_assert_msg(n == 0, "no EOF: read returned %zd", n);
	buf[len] = '\0';
	close(fd);
	return len;
}

/* A 408 with the template's error body, then EOF. */
static void
assert_408(int fd)
{
	char buf[4096], *body;
	cJSON *j, *rid;

	raw_read_to_eof(fd, buf, sizeof(buf));
	ck_assert_msg(strncmp(buf, "HTTP/1.1 408 ", 13) == 0, "got: %s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "\r\nConnection: close\r\n"));
	body = strstr(buf, "\r\n\r\n");
	ck_assert_ptr_nonnull(body);
	j = cJSON_Parse(body + 4);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "key")),
	                 "error.server.requestTimeout");
	ck_assert_int_eq(cJSON_GetObjectItem(j, "status")->valueint, 408);
	ck_assert(cJSON_IsObject(cJSON_GetObjectItem(j, "info")));
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "type")), "api_error");
	rid = cJSON_GetObjectItem(j, "requestId");
	ck_assert_int_eq((int)strlen(cJSON_GetStringValue(rid)), 36);
	cJSON_Delete(j);
}

START_TEST(unfinished_headers_408)
{
	int fd = tapi_raw_connect(&api);

	tapi_raw_send(fd, "GET /_health HTTP/1.1\r\nHost: x\r\n");
	assert_408(fd);
	ck_assert(tapi_log_contains(&api, "error.server.requestTimeout"));
}
END_TEST

START_TEST(short_body_408)
{
	int fd = tapi_raw_connect(&api);

	tapi_raw_send(fd, "POST /auth/anonymous-based/login HTTP/1.1\r\nHost: x\r\n"
	                  "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
	                  "{\"token\":\"");
	assert_408(fd);
}
END_TEST

START_TEST(unfinished_after_a_response_408)
{
	int fd = tapi_raw_connect(&api);
	char buf[4096], *second;

	/* a complete request, then half of the next one on the same connection */
	tapi_raw_send(fd, "GET /_health HTTP/1.1\r\nHost: x\r\n\r\nGET /_health HTTP/1.1\r\n");
	raw_read_to_eof(fd, buf, sizeof(buf));
	ck_assert_msg(strncmp(buf, "HTTP/1.1 200 ", 13) == 0, "got: %s", buf);
	second = strstr(buf + 13, "HTTP/1.1 ");
	ck_assert_ptr_nonnull(second);
	ck_assert_msg(strncmp(second, "HTTP/1.1 408 ", 13) == 0, "got: %s", second);
	ck_assert_ptr_nonnull(strstr(second, "error.server.requestTimeout"));
}
END_TEST

START_TEST(idle_connection_closed_quietly)
{
	int fd = tapi_raw_connect(&api);
	char buf[256];

	ck_assert_int_eq((int)raw_read_to_eof(fd, buf, sizeof(buf)), 0);
}
END_TEST

START_TEST(idle_after_response_closed_quietly)
{
	int fd = tapi_raw_connect(&api);
	char buf[4096];

	tapi_raw_send(fd, "GET /_health HTTP/1.1\r\nHost: x\r\n\r\n");
	raw_read_to_eof(fd, buf, sizeof(buf));
	ck_assert_msg(strncmp(buf, "HTTP/1.1 200 ", 13) == 0, "got: %s", buf);
	/* one response only: the keep-alive connection was closed without a 408 */
	ck_assert_ptr_null(strstr(buf + 13, "HTTP/1.1 "));
	ck_assert_ptr_null(strstr(buf, "requestTimeout"));
}
END_TEST

START_TEST(complete_requests_answered)
{
	struct thttp_response r;

	ck_assert_int_eq(thttp_full(&api, "GET", "/_health", NULL, NULL, &r), 200);
	thttp_response_free(&r);
	/* a handler slower than the read time-out is not a request time-out */
	ck_assert_int_eq(thttp_full(&api, "GET", "/_dev/sleep?ms=1500", NULL, NULL, &r), 200);
	thttp_response_free(&r);
	ck_assert_int_eq(thttp_full(&api, "POST", "/does/not/exist", NULL, "{}", &r), 404);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "key")),
	                 "error.server.notFound");
	thttp_response_free(&r);
}
END_TEST

/* Last: idle, unfinished and served connections still open when the daemon stops are
 * freed with it (teardown asserts exit code 0). */
START_TEST(connections_open_at_shutdown)
{
	char buf[512];

	left_open[0] = tapi_raw_connect(&api);
	left_open[1] = tapi_raw_connect(&api);
	tapi_raw_send(left_open[1], "GET /_health HTTP/1.1\r\nHost: x\r\n");
	left_open[2] = tapi_raw_connect(&api);
	tapi_raw_send(left_open[2], "GET /_health HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_int_gt((int)read(left_open[2], buf, sizeof(buf)), 12);
	ck_assert(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
}
END_TEST

/* A client that sends many requests and never reads: once its window and the server's
 * socket buffer are full (the kernel may let that buffer grow to a few MiB, hence the
 * number of requests), no write progresses and the server closes the connection. The
 * client reads after a pause longer than the write time-out: what was buffered, then the
 * end of the connection (not the 10 s safety time-out), short of all the responses. */
START_TEST(stalled_reader_disconnected)
{
	const char one[] = "GET /_health HTTP/1.1\r\nHost: x\r\n\r\n";
	enum { N = 150000 };
	size_t len = N * (sizeof(one) - 1), off = 0, keep = 0;
	char *all = malloc(len), buf[65536];
	int fd = socket(AF_INET, SOCK_STREAM, 0), rcvbuf = 4096, responses = 0;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)api.port) };
	struct timeval tv = { 10, 0 };
	ssize_t n;

	ck_assert_ptr_nonnull(all);
	for (int i = 0; i < N; i++)
		memcpy(all + i * (sizeof(one) - 1), one, sizeof(one) - 1);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	while (off < len && (n = write(fd, all + off, len - off)) > 0)
		off += (size_t)n;
	ck_assert_int_gt((int)off, 0);
	free(all);
	tsupport_sleep_ms(3000);
	/* count status lines exactly: keep the tail of each read for a line cut in two */
	while ((n = read(fd, buf + keep, sizeof(buf) - 1 - keep)) > 0) {
		size_t have = keep + (size_t)n;

		buf[have] = '\0';
		for (char *p = buf; (p = strstr(p, "HTTP/1.1 200")) != NULL; p++)
			responses++;
		keep = have < 11 ? have : 11;
		memmove(buf, buf + have - keep, keep);
	}
	ck_assert_msg(n == 0 || errno == ECONNRESET, "connection not closed: %s", strerror(errno));
	ck_assert_int_gt(responses, 0);
	ck_assert_int_lt(responses, (int)(off / (sizeof(one) - 1)));
	close(fd);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("api-timeouts");
	TCase *tc = tcase_create("api-timeouts");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, unfinished_headers_408);
	tcase_add_test(tc, short_body_408);
	tcase_add_test(tc, unfinished_after_a_response_408);
	tcase_add_test(tc, idle_connection_closed_quietly);
	tcase_add_test(tc, idle_after_response_closed_quietly);
	tcase_add_test(tc, complete_requests_answered);
	tcase_add_test(tc, connections_open_at_shutdown);
	suite_add_tcase(s, tc);
	tc = tcase_create("api-write-timeout");
	tcase_add_unchecked_fixture(tc, setup_write, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, stalled_reader_disconnected);
	suite_add_tcase(s, tc);
	return s;
}

TAPI_MAIN(suite)
