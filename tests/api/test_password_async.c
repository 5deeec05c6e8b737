/* Black-box tests of the deferred password login (issue 4 item 7): the hash work runs
 * on the api's hash threads, so a slow login never stalls other requests of the same
 * worker; a client that goes away during the hash does not upset the daemon. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "password.h"
#include "tadmin.h"
#include "tpassword.h"
#include "tsupport.h"

#define NLOGINS 4
#define EMAIL   "slow@example.com"

/* One worker, and an argon2id cost that makes one verification take about a second. */
static const char *const slow_env[] = { "PLATFORM_API_WORKERS=1",
	                                "PLATFORM_AUTH_ARGON2_ITERATIONS=80", NULL };
static const struct password_params slow_params = { 19456, 80, 1 };

static struct tapi api;
static atomic_int finished; /* completion counter: the order in which replies arrive */

struct login_run {
	pthread_t thread;
	int status;
	int rank;
};

/* Same, with no drain time and a single hash thread (a second login waits in its queue). */
static const char *const deadline_env[] = { "PLATFORM_API_WORKERS=1",
	                                    "PLATFORM_AUTH_ARGON2_ITERATIONS=80",
	                                    "PLATFORM_API_SHUTDOWN_TIMEOUT_S=0",
	                                    "PLATFORM_API_HASH_THREADS=1", NULL };

static void
start(const char *const *env)
{
	char user_id[37], hash[PASSWORD_HASH_MAX];

	tsupport_require_pg();
	tapi_start(&api, env);
	tpw_create_user(api.db, EMAIL, TPW_PASSWORD, true, user_id);
	ck_assert_ptr_null(password_hash(&slow_params, TPW_PASSWORD, hash));
	ck_assert_int_eq(tadmin_count(api.db,
	                              "UPDATE \"passwordLogin\" SET password = $2 "
	                              "WHERE \"user\" = $1",
	                              2, user_id, hash),
	                 1);
	atomic_store(&finished, 0);
}

static void
setup(void)
{
	start(slow_env);
}

static void
setup_deadline(void)
{
	start(deadline_env);
}

static void
teardown(void)
{
	bool stopped = api.pid == 0; /* the test already checked the exit */
	int rc = tapi_stop(&api);

	/* 0: a clean shutdown, no crash and (under ASan) no leak in the daemon. */
	if (!stopped)
		ck_assert_int_eq(rc, 0);
}

static void *
login_thread(void *arg)
{
	struct login_run *r = arg;
	cJSON *resp = NULL;

	r->status = tpw_login(&api, EMAIL, TPW_PASSWORD, &resp);
	r->rank = atomic_fetch_add(&finished, 1);
	cJSON_Delete(resp);
	return NULL;
}

/* NLOGINS slow logins are in flight on the only worker; a GET sent meanwhile is
 * answered before any of them (by order of completion, not by time). */
START_TEST(test_login_does_not_stall_worker)
{
	struct login_run runs[NLOGINS];
	cJSON *resp = NULL;
	int st, get_rank;

	for (int i = 0; i < NLOGINS; i++)
		ck_assert_int_eq(pthread_create(&runs[i].thread, NULL, login_thread, &runs[i]), 0);
	/* Let the logins reach the daemon first (setup only: nothing asserts on time). */
	tsupport_sleep_ms(300);
	st = thttp_json(&api, "GET", "/multitenant/current", NULL, NULL, &resp);
	get_rank = atomic_fetch_add(&finished, 1);
	ck_assert_int_eq(st, 200);
	for (int i = 0; i < NLOGINS; i++)
		ck_assert_int_eq(pthread_join(runs[i].thread, NULL), 0);
	for (int i = 0; i < NLOGINS; i++) {
		ck_assert_int_eq(runs[i].status, 200);
		ck_assert_int_gt(runs[i].rank, get_rank);
	}
	ck_assert_int_eq(get_rank, 0);
	cJSON_Delete(resp);
}
END_TEST

/* A wrong password is still rejected (and recorded) after the deferred verification. */
START_TEST(test_wrong_password)
{
	cJSON *resp = NULL;

	ck_assert_int_eq(tpw_login(&api, EMAIL, "Wrong horse 12", &resp), 400);
	ck_assert_str_eq(tadmin_key(resp),
	                 "authPasswordBased.login.invalidEmailPasswordCombination");
	ck_assert_int_eq(
	    tsupport_db_scalar(api.db, "SELECT count(*) FROM \"passwordLoginAttempt\""), 1);
	cJSON_Delete(resp);
}
END_TEST

/* A raw login request whose client closes the connection while the hash runs. */
static void
login_and_hang_up(void)
{
	char body[128], req[512];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)api.port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), n;

	ck_assert_int_ge(fd, 0);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}", EMAIL, TPW_PASSWORD);
	n = snprintf(req, sizeof(req),
	             "POST /auth/password-based/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	             "x-lpc-tenant-origin: scaffold.acc.lightbase.nl\r\n"
	             "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	             strlen(body), body);
	ck_assert_int_eq(write(fd, req, (size_t)n), n);
	tsupport_sleep_ms(200);
	close(fd);
}

/* The daemon keeps serving, finishes the abandoned login and stops cleanly. */
START_TEST(test_client_hangs_up)
{
	cJSON *resp = NULL;

	login_and_hang_up();
	ck_assert_int_eq(thttp_json(&api, "GET", "/multitenant/current", NULL, NULL, &resp), 200);
	ck_assert_int_eq(tpw_login(&api, EMAIL, TPW_PASSWORD, &resp), 200);
	cJSON_Delete(resp);
}
END_TEST

/* SIGTERM while a login is hashing: the reply is still sent before the daemon exits. */
static void *
login_once(void *arg)
{
	struct login_run *r = arg;
	cJSON *resp = NULL;

	r->status = tpw_login(&api, EMAIL, TPW_PASSWORD, &resp);
	cJSON_Delete(resp);
	return NULL;
}

START_TEST(test_shutdown_waits_for_login)
{
	struct login_run run;
	int st;

	ck_assert_int_eq(pthread_create(&run.thread, NULL, login_once, &run), 0);
	tsupport_sleep_ms(300);
	tapi_signal_term(&api);
	ck_assert_int_eq(pthread_join(run.thread, NULL), 0);
	ck_assert_int_eq(run.status, 200);
	/* A second SIGTERM (tapi_stop) would exit at once: wait for the drain to end. */
	st = tsupport_wait(api.pid, 30000);
	api.pid = 0;
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ck_assert(tapi_log_contains(&api, "\"eventName\":\"router.authPasswordBased.login\""));
}
END_TEST

/* The drain deadline passes while one login hashes and another waits for the thread:
 * the daemon still exits 0 (under ASan: no leak, no use after free of the dropped
 * requests) and the clients get no reply. */
START_TEST(test_shutdown_deadline_drops_logins)
{
	struct login_run runs[2];
	int st;

	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&runs[i].thread, NULL, login_once, &runs[i]), 0);
	tsupport_sleep_ms(300);
	tapi_signal_term(&api);
	st = tsupport_wait(api.pid, 30000);
	api.pid = 0;
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(pthread_join(runs[i].thread, NULL), 0);
		ck_assert_int_eq(runs[i].status, 0);
	}
}
END_TEST

static Suite *
password_async_suite(void)
{
	Suite *s = suite_create("api-password_async");
	TCase *tc = tcase_create("deferred");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_login_does_not_stall_worker);
	tcase_add_test(tc, test_wrong_password);
	tcase_add_test(tc, test_client_hangs_up);
	tcase_add_test(tc, test_shutdown_waits_for_login);
	suite_add_tcase(s, tc);
	tc = tcase_create("deadline");
	tcase_add_checked_fixture(tc, setup_deadline, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_shutdown_deadline_drops_logins);
	suite_add_tcase(s, tc);
	return s;
}

TAPI_MAIN(password_async_suite)
