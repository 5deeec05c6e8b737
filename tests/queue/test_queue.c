/* platform-queue against a real PostgreSQL: order, scheduling, retries and the failed
 * state, time-outs, crash redelivery, exclusivity, cron with two daemons, graceful
 * shutdown with readiness notifications. Mail delivery is in test_queue_mail.c. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "qsupport.h"

#define RECORD(data)                                                                               \
	"INSERT INTO \"job\" (\"name\", \"data\") VALUES ('platform.test.record', '" data "')"

START_TEST(test_priority_order)
{
	pid_t pid;
	PGresult *r;

	qs_setup();
	/* inserted before the worker starts, so one claim sees them all */
	qs_exec("INSERT INTO \"job\" (\"name\", \"priority\", \"data\", \"scheduledAt\") VALUES "
	        "('platform.test.record', 5, '{\"tag\":\"p5\"}', now() - interval '5 s'), "
	        "('platform.test.record', 1, '{\"tag\":\"p1\"}', now()), "
	        "('platform.test.record', 3, '{\"tag\":\"p3-late\"}', now() - interval '1 s'), "
	        "('platform.test.record', 3, '{\"tag\":\"p3-early\"}', now() - interval '2 s'), "
	        "('platform.test.record', 0, '{\"tag\":\"p0\"}', now()), "
	        "('platform.test.unknown', 2, '{}', now())");
	pid = qs_start("queue.log", NULL, NULL);
	ck_assert_int_eq(qs_wait("SELECT count(*) FROM \"job\" WHERE NOT \"isComplete\"", 0, false),
	                 0);
	ck_assert_int_eq(qs_stop(pid), 0);
	r = PQexec(qs.conn,
	           "SELECT string_agg(\"tag\", ',' ORDER BY \"seq\") FROM \"queueTestRecord\"");
	ck_assert_str_eq(PQgetvalue(r, 0, 0), "p0,p1,p3-early,p3-late,p5");
	PQclear(r);
	/* a job without a handler is consumed and logged, as the template does */
	ck_assert_int_eq(qs_log_count("queue.log", "No handler registered for the job."), 1);
	ck_assert_int_eq(qs_log_count("queue.log", "\"outcome\":\"ok\""), 5);
}
END_TEST

START_TEST(test_scheduled_jobs_wait)
{
	pid_t pid = 0;

	qs_setup();
	/* polling once a minute: the worker must wake up for the scheduled job by itself */
	setenv("PLATFORM_QUEUE_POLL_INTERVAL_MS", "60000", 1);
	pid = qs_start("queue.log", NULL, NULL);
	ck_assert(qs_wait_log("queue.log", "Starting queue"));
	qs_exec("INSERT INTO \"job\" (\"name\", \"data\", \"scheduledAt\") VALUES "
	        "('platform.test.record', '{\"tag\":\"later\"}', now() + interval '2 s'), "
	        "('platform.test.record', '{\"tag\":\"now\"}', now())");
	ck_assert_int_eq(
	    qs_wait("SELECT count(*) FROM \"queueTestRecord\" WHERE \"tag\" = 'now'", 1, false), 1);
	ck_assert_int_eq(qs_wait("SELECT count(*) FROM \"queueTestRecord\"", 2, false), 2);
	ck_assert_int_eq(qs_stop(pid), 0);
	/* no job ran before its scheduledAt (both clocks are the database's) */
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"queueTestRecord\" r JOIN \"job\" j ON "
	                           "j.\"id\" = r.\"jobId\" WHERE r.\"at\" < j.\"scheduledAt\""),
	                 0);
	ck_assert_int_eq(
	    qs_scalar("SELECT count(*) FROM \"queueTestRecord\" WHERE \"tag\" = 'later' "
	              "AND \"at\" >= \"scheduledAt\""),
	    1);
}
END_TEST

START_TEST(test_notify_wakes_idle_worker)
{
	pid_t pid;

	qs_setup();
	/* polling once a minute: a job that runs within the wait bound was announced by
	 * the insert trigger's NOTIFY */
	setenv("PLATFORM_QUEUE_POLL_INTERVAL_MS", "60000", 1);
	pid = qs_start("queue.log", NULL, NULL);
	ck_assert(qs_wait_log("queue.log", "Starting queue"));
	tsupport_sleep_ms(200); /* past the first (empty) claim, into the wait */
	qs_exec(RECORD("{\"tag\":\"notified\"}"));
	ck_assert_int_eq(qs_wait("SELECT count(*) FROM \"queueTestRecord\"", 1, false), 1);
	ck_assert_int_eq(qs_stop(pid), 0);
	/* without the trigger (the template's Node code inserts like this), polling finds it */
	setenv("PLATFORM_QUEUE_POLL_INTERVAL_MS", "100", 1);
	qs_exec("ALTER TABLE \"job\" DISABLE TRIGGER \"jobInsertNotifyTrigger\"");
	pid = qs_start("queue2.log", NULL, NULL);
	ck_assert(qs_wait_log("queue2.log", "Starting queue"));
	qs_exec(RECORD("{\"tag\":\"polled\"}"));
	ck_assert_int_eq(qs_wait("SELECT count(*) FROM \"queueTestRecord\"", 2, false), 2);
	ck_assert_int_eq(qs_stop(pid), 0);
}
END_TEST

START_TEST(test_retry_backoff_then_failed)
{
	pid_t pid;
	char *argv[4];
	PGresult *r;

	qs_setup();
	setenv("PLATFORM_QUEUE_MAX_ATTEMPTS", "3", 1);
	setenv("PLATFORM_QUEUE_BACKOFF_BASE_MS", "300", 1);
	setenv("PLATFORM_QUEUE_BACKOFF_MAX_MS", "600", 1);
	qs_exec(RECORD("{\"tag\":\"always\",\"failTimes\":100}"));
	qs_exec(RECORD("{\"tag\":\"once\",\"failTimes\":1}"));
	pid = qs_start("queue.log", NULL, NULL);
	ck_assert_int_eq(
	    qs_wait("SELECT count(*) FROM \"job\" WHERE \"failedAt\" IS NOT NULL", 1, false), 1);
	ck_assert_int_eq(
	    qs_wait("SELECT count(*) FROM \"queueTestRecord\" WHERE \"tag\" = 'once'", 1, false),
	    1);
	/* kept failed, with its last error, all attempts used; its writes rolled back */
	r = PQexec(qs.conn,
	           "SELECT \"retryCount\", \"isComplete\", \"lastError\", "
	           "\"lockedUntil\" IS NULL FROM \"job\" WHERE \"data\"->>'tag' = 'always'");
	ck_assert_str_eq(PQgetvalue(r, 0, 0), "3");
	ck_assert_str_eq(PQgetvalue(r, 0, 1), "t");
	ck_assert_str_eq(PQgetvalue(r, 0, 2), "test failure on attempt 3");
	ck_assert_str_eq(PQgetvalue(r, 0, 3), "t");
	PQclear(r);
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"queueTestRecord\" WHERE \"tag\" = "
	                           "'always'"),
	                 0);
	/* the second attempt of "once" succeeded */
	ck_assert_int_eq(qs_scalar("SELECT \"attempt\" FROM \"queueTestRecord\" WHERE \"tag\" = "
	                           "'once'"),
	                 2);
	ck_assert_int_eq(qs_log_count("queue.log", "\"outcome\":\"retry\""), 3);
	ck_assert_int_eq(qs_log_count("queue.log", "\"outcome\":\"failed\""), 1);
	/* backoff: each retry waited at least half the base delay after the failure */
	ck_assert_int_eq(
	    qs_scalar("SELECT count(*) FROM \"queueTestRecord\" WHERE \"tag\" = 'once' "
	              "AND \"at\" < (SELECT \"createdAt\" FROM \"job\" WHERE "
	              "\"data\"->>'tag' = 'once') + interval '150 ms'"),
	    0);
	/* the operator fixes the cause and retries the failed jobs */
	qs_exec(
	    "UPDATE \"job\" SET \"data\" = '{\"tag\":\"fixed\"}' WHERE \"failedAt\" IS NOT NULL");
	argv[0] = (char *)tsupport_exe("TEST_QUEUE_EXE");
	argv[1] = "--retry-failed";
	argv[2] = "platform.test.record";
	argv[3] = NULL;
	ck_assert_int_eq(qs_wait_exit(qs_spawn(argv, "retry.log"), QS_WAIT_MS), 0);
	ck_assert(qs_wait_log("retry.log", "\"count\":1"));
	ck_assert_int_eq(
	    qs_wait("SELECT count(*) FROM \"queueTestRecord\" WHERE \"tag\" = 'fixed'", 1, false),
	    1);
	ck_assert_int_eq(
	    qs_wait("SELECT count(*) FROM \"job\" WHERE \"failedAt\" IS NOT NULL OR NOT "
	            "\"isComplete\"",
	            0, false),
	    0);
	ck_assert_int_eq(qs_stop(pid), 0);
}
END_TEST

START_TEST(test_timeout_enforced)
{
	PGconn *locker;
	pid_t pid;
	int rc;

	qs_setup();
	setenv("PLATFORM_QUEUE_MAX_ATTEMPTS", "1", 1);
	/* the handler sleeps in C, deaf to statement_timeout: only the watchdog stops it */
	qs_exec("INSERT INTO \"job\" (\"name\", \"data\", \"handlerTimeout\") VALUES "
	        "('platform.test.record', '{\"tag\":\"slow\",\"sleepMs\":600000}', 300)");
	pid = qs_start("queue.log", NULL, NULL);
	rc = qs_wait_exit(pid, QS_WAIT_MS);
	ck_assert_int_eq(rc, 1); /* EXIT_RUNTIME: the supervisor restarts it */
	ck_assert_int_eq(qs_log_count("queue.log", "\"type\":\"job_timeout\""), 1);
	ck_assert_int_eq(
	    qs_scalar("SELECT count(*) FROM \"job\" WHERE \"failedAt\" IS NOT NULL AND "
	              "\"lastError\" = 'handler timed out after 300 ms' AND "
	              "\"retryCount\" = 1"),
	    1);
	/* its transaction was rolled back */
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"queueTestRecord\""), 0);
	/* a handler waiting in the database is stopped by statement_timeout and retried
	 * without ending the process: session cleanup blocked by a row lock */
	setenv("PLATFORM_QUEUE_MAX_ATTEMPTS", "2", 1);
	setenv("PLATFORM_QUEUE_BACKOFF_BASE_MS", "10", 1);
	qs_exec("INSERT INTO \"sessionStore\" (\"id\", \"checksum\", \"data\") VALUES "
	        "('00000000-0000-4000-8000-000000000001', 'x', '{}')");
	qs_exec("INSERT INTO \"sessionStoreToken\" (\"session\", \"expiresAt\", \"createdAt\") "
	        "VALUES ('00000000-0000-4000-8000-000000000001', now() - interval '30 days', "
	        "now() - interval '30 days')");
	locker = tsupport_db_connect(qs.db);
	PQclear(PQexec(locker, "BEGIN"));
	PQclear(PQexec(locker, "SELECT * FROM \"sessionStoreToken\" FOR UPDATE"));
	qs_exec("INSERT INTO \"job\" (\"name\", \"data\", \"handlerTimeout\") VALUES "
	        "('compas.sessionStore.cleanup', '{}', 300)");
	pid = qs_start("queue2.log", NULL, NULL);
	ck_assert_int_eq(qs_wait("SELECT count(*) FROM \"job\" WHERE \"name\" = "
	                         "'compas.sessionStore.cleanup' AND \"failedAt\" IS NOT NULL AND "
	                         "\"lastError\" LIKE '%statement timeout%'",
	                         1, false),
	                 1);
	PQfinish(locker);
	ck_assert_int_eq(qs_log_count("queue2.log", "\"outcome\":\"retry\""), 1);
	ck_assert_int_eq(qs_stop(pid), 0); /* still running: no watchdog exit */
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"sessionStoreToken\""), 1);
}
END_TEST

START_TEST(test_kill9_redelivery)
{
	pid_t pid;

	qs_setup();
	/* lease = 2 x 2000 + 3000 ms: the killed job comes back about 7 s later */
	setenv("PLATFORM_QUEUE_HANDLER_TIMEOUT_MS", "2000", 1);
	setenv("PLATFORM_QUEUE_BATCH_SIZE", "1", 1);
	qs_exec(RECORD("{\"tag\":\"victim\",\"sleepMs\":1500}"));
	pid = qs_start("queue.log", NULL, NULL);
	/* the handler is inside its transaction (row inserted, not committed, sleeping) */
	ck_assert_int_eq(qs_wait("SELECT count(*) FROM pg_stat_activity WHERE datname = "
	                         "current_database() AND state = 'idle in transaction'",
	                         1, false),
	                 1);
	qs_exec("INSERT INTO \"job\" (\"name\", \"data\") SELECT 'platform.test.record', "
	        "jsonb_build_object('tag', 'bystander') FROM generate_series(1, 20)");
	kill(pid, SIGKILL);
	ck_assert_int_eq(qs_wait_exit(pid, QS_WAIT_MS), 128 + SIGKILL);
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"queueTestRecord\" WHERE \"tag\" = "
	                           "'victim'"),
	                 0);
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"job\" WHERE \"data\"->>'tag' = 'victim' "
	                           "AND NOT \"isComplete\" AND \"lockedUntil\" > now()"),
	                 1);
	pid = qs_start("queue2.log", NULL, NULL);
	ck_assert_int_eq(qs_wait("SELECT count(*) FROM \"job\" WHERE NOT \"isComplete\"", 0, false),
	                 0);
	ck_assert_int_eq(qs_stop(pid), 0);
	/* exactly once more, nothing lost, nothing twice; same attempt (no retry bump) */
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"queueTestRecord\" WHERE \"tag\" = "
	                           "'victim' AND \"attempt\" = 1"),
	                 1);
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"queueTestRecord\""), 21);
	ck_assert_int_eq(qs_scalar("SELECT count(DISTINCT \"jobId\") FROM \"queueTestRecord\""),
	                 21);
}
END_TEST

START_TEST(test_two_workers_never_share_a_job)
{
	pid_t a, b;

	qs_setup();
	setenv("PLATFORM_QUEUE_PARALLEL", "2", 1);
	setenv("PLATFORM_QUEUE_BATCH_SIZE", "5", 1);
	a = qs_start("a.log", NULL, NULL);
	b = qs_start("b.log", NULL, NULL);
	ck_assert(qs_wait_log("a.log", "Starting queue"));
	ck_assert(qs_wait_log("b.log", "Starting queue"));
	/* platform.test.mark writes outside the job transaction: a second run of the same
	 * job would leave a second row even if its completion were refused */
	qs_exec("INSERT INTO \"job\" (\"name\", \"data\") SELECT 'platform.test.mark', "
	        "jsonb_build_object('tag', 'm', 'sleepMs', 2) FROM generate_series(1, 600)");
	ck_assert_int_eq(qs_wait("SELECT count(*) FROM \"job\" WHERE NOT \"isComplete\"", 0, false),
	                 0);
	ck_assert_int_eq(qs_stop(a), 0);
	ck_assert_int_eq(qs_stop(b), 0);
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"queueTestRecord\""), 600);
	ck_assert_int_eq(qs_scalar("SELECT count(DISTINCT \"jobId\") FROM \"queueTestRecord\""),
	                 600);
	ck_assert_int_eq(qs_scalar("SELECT count(DISTINCT \"pid\") FROM \"queueTestRecord\""), 2);
}
END_TEST

/* Migration 008 leaves room in the job table's pages, so a claim (it sets only the
 * unindexed "lockedUntil") is a HOT update that adds no index entries; the completion
 * sets "isComplete" and is a normal update. A lost fillfactor, or an index that starts
 * to cover "lockedUntil", shows up here as fewer HOT updates than claims. */
START_TEST(test_claims_are_hot_updates)
{
	pid_t pid;

	qs_setup();
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM pg_class WHERE \"relname\" = 'job' "
	                           "AND 'fillfactor=30' = ANY(\"reloptions\")"),
	                 1);
	setenv("PLATFORM_QUEUE_BATCH_SIZE", "10", 1);
	qs_exec("INSERT INTO \"job\" (\"name\", \"data\") "
	        "SELECT 'platform.noop', '{}' FROM generate_series(1, 200)");
	pid = qs_start("queue.log", NULL, NULL);
	ck_assert_int_eq(qs_wait("SELECT count(*) FROM \"job\" WHERE NOT \"isComplete\"", 0, false),
	                 0);
	/* the daemon's backends report their statistics when they end */
	ck_assert_int_eq(qs_stop(pid), 0);
	ck_assert_int_eq(
	    qs_wait("SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'job'", 400, true),
	    400);
	ck_assert_int_eq(
	    qs_scalar("SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'job'"), 200);
}
END_TEST

START_TEST(test_cron_one_job_per_tick)
{
	pid_t a, b;
	long runs;

	qs_setup();
	setenv("PLATFORM_QUEUE_CRON", "true", 1);
	setenv("PLATFORM_QUEUE_CRON_SCHEDULE", "platform.test.record=*/2 * * * * *", 1);
	setenv("PLATFORM_QUEUE_PARALLEL", "2", 1);
	/* a pending cron job of a name no longer scheduled is removed at registration */
	qs_exec(
	    "INSERT INTO \"job\" (\"name\", \"data\", \"scheduledAt\") VALUES ('compas.queue."
	    "insights', '{\"jobType\":\"compas.queue.cronJob\",\"cronExpression\":\"0 * * * *\"}', "
	    "now() + interval '1 h')");
	a = qs_start("a.log", NULL, NULL);
	b = qs_start("b.log", NULL, NULL);
	runs = qs_wait("SELECT count(*) FROM \"queueTestRecord\"", 4, true);
	ck_assert_int_ge(runs, 4);
	ck_assert_int_eq(qs_stop(a), 0);
	ck_assert_int_eq(qs_stop(b), 0);
	ck_assert_int_eq(qs_scalar("SELECT count(*) - count(DISTINCT \"scheduledAt\") FROM "
	                           "\"queueTestRecord\""),
	                 0);
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"queueTestRecord\" WHERE "
	                           "extract(second FROM \"scheduledAt\")::int % 2 <> 0"),
	                 0);
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"job\" WHERE \"name\" = "
	                           "'platform.test.record' AND NOT \"isComplete\""),
	                 1);
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"job\" WHERE \"name\" = "
	                           "'compas.queue.insights'"),
	                 0);
	/* downtime: the pending tick is long overdue; a restart skips it, no burst */
	qs_exec("UPDATE \"job\" SET \"scheduledAt\" = now() - interval '1 h' WHERE NOT "
	        "\"isComplete\"");
	qs_exec("TRUNCATE \"queueTestRecord\"");
	a = qs_start("a2.log", NULL, NULL);
	ck_assert_int_ge(qs_wait("SELECT count(*) FROM \"queueTestRecord\"", 2, true), 2);
	ck_assert_int_eq(qs_stop(a), 0);
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"queueTestRecord\" WHERE \"scheduledAt\" "
	                           "< now() - interval '10 min'"),
	                 0);
}
END_TEST

/* A datagram socket standing in for systemd/platformd's NOTIFY_SOCKET. */
static int
notify_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ck_assert(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	setenv("NOTIFY_SOCKET", path, 1);
	return fd;
}

static bool
notify_expect(int fd, const char *what)
{
	char buf[256];
	struct timeval tv = { 30, 0 };
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, what) != NULL;
}

START_TEST(test_sigterm_finishes_running_job)
{
	char *sock;
	int fd;
	pid_t pid;

	qs_setup();
	sock = qs_path("notify.sock");
	fd = notify_socket(sock);
	pid = qs_start("queue.log", NULL, NULL);
	ck_assert(notify_expect(fd, "READY=1"));
	qs_exec(RECORD("{\"tag\":\"running\",\"sleepMs\":1500}"));
	ck_assert_int_eq(qs_wait("SELECT count(*) FROM pg_stat_activity WHERE datname = "
	                         "current_database() AND state = 'idle in transaction'",
	                         1, false),
	                 1);
	kill(pid, SIGTERM);
	ck_assert(notify_expect(fd, "STOPPING=1"));
	ck_assert_int_eq(qs_wait_exit(pid, QS_WAIT_MS), 0);
	/* the running job was finished and committed, not abandoned */
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"queueTestRecord\" WHERE \"tag\" = "
	                           "'running'"),
	                 1);
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"job\" WHERE \"isComplete\""), 1);
	close(fd);
	free(sock);
}
END_TEST

START_TEST(test_bad_config_and_usage)
{
	char *argv[3] = { (char *)tsupport_exe("TEST_QUEUE_EXE"), "--bogus", NULL };

	qs_setup();
	ck_assert_int_eq(qs_wait_exit(qs_spawn(argv, "usage.log"), QS_WAIT_MS), 64);
	argv[1] = NULL;
	setenv("PLATFORM_QUEUE_CRON", "true", 1);
	setenv("PLATFORM_QUEUE_CRON_SCHEDULE", "compas.queue.insights=61 * * * *", 1);
	ck_assert_int_eq(qs_wait_exit(qs_spawn(argv, "cron.log"), QS_WAIT_MS), 78);
	ck_assert_int_eq(qs_log_count("cron.log", "cron expression \"61 * * * *\""), 1);
	unsetenv("PLATFORM_QUEUE_CRON_SCHEDULE");
	setenv("PLATFORM_MAIL_TRANSPORT", "smtp", 1);
	ck_assert_int_eq(qs_wait_exit(qs_spawn(argv, "mail.log"), QS_WAIT_MS), 78);
}
END_TEST

static Suite *
queue_suite(void)
{
	Suite *s = suite_create("queue");
	TCase *tc = tcase_create("daemon");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_priority_order);
	tcase_add_test(tc, test_scheduled_jobs_wait);
	tcase_add_test(tc, test_notify_wakes_idle_worker);
	tcase_add_test(tc, test_retry_backoff_then_failed);
	tcase_add_test(tc, test_timeout_enforced);
	tcase_add_test(tc, test_kill9_redelivery);
	tcase_add_test(tc, test_two_workers_never_share_a_job);
	tcase_add_test(tc, test_claims_are_hot_updates);
	tcase_add_test(tc, test_cron_one_job_per_tick);
	tcase_add_test(tc, test_sigterm_finishes_running_job);
	tcase_add_test(tc, test_bad_config_and_usage);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return qs_main(queue_suite());
}
