/* Black-box: readiness and graceful shutdown. READY=1 / STOPPING=1 over NOTIFY_SOCKET,
 * and SIGTERM during a slow request (the development-only GET /_dev/sleep) lets that
 * request finish with 200, then the daemon exits 0 and stops accepting. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "thttp.h"
#include "tsupport.h"

struct slow {
	struct tapi *api;
	int status;
	cJSON *json;
};

static void *
slow_request(void *arg)
{
	struct slow *s = arg;

	s->status = thttp_json(s->api, "GET", "/_dev/sleep?ms=3000", NULL, NULL, &s->json);
	return NULL;
}

/* Read datagrams until one contains want (or time-out). */
static bool
notify_wait(int fd, const char *want)
{
	for (int i = 0; i < 500; i++) {
		char buf[256];
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

		if (n > 0) {
			buf[n] = '\0';
			if (strstr(buf, want) != NULL)
				return true;
			continue;
		}
		tsupport_sleep_ms(10);
	}
	return false;
}

START_TEST(sigterm_drains_slow_request)
{
	struct tapi api;
	struct slow s = { .api = &api };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char env_sock[200];
	const char *env[] = { env_sock, NULL };
	pthread_t th;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct thttp_response r;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/tapi-notify-%d", (int)getpid());
	unlink(sa.sun_path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(env_sock, sizeof(env_sock), "NOTIFY_SOCKET=%s", sa.sun_path);
	tapi_start(&api, env);
	ck_assert(notify_wait(fd, "READY=1"));
	pthread_create(&th, NULL, slow_request, &s);
	tsupport_sleep_ms(1000); /* the request is now inside its handler */
	tapi_signal_term(&api);
	ck_assert(notify_wait(fd, "STOPPING=1"));
	pthread_join(th, NULL);
	ck_assert_int_eq(s.status, 200);
	ck_assert_int_eq(cJSON_GetObjectItem(s.json, "slept")->valueint, 3000);
	cJSON_Delete(s.json);
	ck_assert_int_eq(WEXITSTATUS(tsupport_wait(api.pid, 20000)), 0);
	api.pid = 0;
	/* not listening any more */
	ck_assert_int_eq(thttp_full(&api, "GET", "/_health", NULL, NULL, &r), 0);
	thttp_response_free(&r);
	ck_assert(tapi_log_contains(&api, "\"eventName\":\"router.dev.sleep\""));
	ck_assert(tapi_log_contains(&api, "stopped"));
	tapi_stop(&api);
	close(fd);
	unlink(sa.sun_path);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("api-shutdown");
	TCase *tc = tcase_create("api-shutdown");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, sigterm_drains_slow_request);
	suite_add_tcase(s, tc);
	return s;
}

TAPI_MAIN(suite)
