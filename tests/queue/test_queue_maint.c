/* The maintenance and event handlers against real rows: queue history cleanup (failed
 * jobs kept), session store cleanup, expired reset tokens, old login attempts,
 * management purge, leaked sessions, file transform cleanup, insights; and the test
 * jobs being refused in production. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qsupport.h"

#define S1 "00000000-0000-4000-8000-000000000051"
#define S2 "00000000-0000-4000-8000-000000000052"
#define S3 "00000000-0000-4000-8000-000000000053"
#define T1 "00000000-0000-4000-8000-000000000061"
#define T2 "00000000-0000-4000-8000-000000000062"
#define T3 "00000000-0000-4000-8000-000000000063"
#define U1 "00000000-0000-4000-8000-000000000071"
#define U2 "00000000-0000-4000-8000-000000000072"
#define U3 "00000000-0000-4000-8000-000000000073"
#define L1 "00000000-0000-4000-8000-000000000081"
#define R1 "00000000-0000-4000-8000-000000000091"
#define F1 "00000000-0000-4000-8000-0000000000e1"

static void
seed(void)
{
	/* job history: old completed (removed), recent completed and old failed (kept) */
	qs_exec("INSERT INTO \"job\" (\"name\", \"isComplete\", \"updatedAt\", \"failedAt\", "
	        "\"data\") VALUES ('old', true, now() - interval '6 days', NULL, '{}'), "
	        "('recent', true, now() - interval '1 day', NULL, '{}'), "
	        "('failed', true, now() - interval '10 days', now() - interval '10 days', '{}')");
	/* sessions: S1 expired long ago, S3 revoked long ago, S2 live */
	qs_exec("INSERT INTO \"sessionStore\" (\"id\", \"checksum\", \"data\") VALUES "
	        "('" S1 "', 'x', '{}'), ('" S2 "', 'x', '{}'), ('" S3 "', 'x', '{}')");
	qs_exec("INSERT INTO \"sessionStoreToken\" (\"id\", \"session\", \"expiresAt\", "
	        "\"revokedAt\", \"createdAt\") VALUES "
	        "('" T1 "', '" S1
	        "', now() - interval '20 days', NULL, now() - interval '21 days'), "
	        "('" T2 "', '" S2 "', now() + interval '1 hour', NULL, now()), "
	        "('" T3 "', '" S3 "', now() + interval '1 hour', now() - interval '20 days', "
	        "now() - interval '21 days')");
	qs_exec("INSERT INTO \"sessionStoreToken\" (\"session\", \"expiresAt\", \"refreshToken\", "
	        "\"createdAt\") VALUES ('" S1 "', now() - interval '20 days', '" T1 "', now()), "
	        "('" S2 "', now() + interval '10 min', '" T2 "', now())");
	/* users, roles, logins */
	qs_exec("INSERT INTO \"user\" (\"id\", \"name\", \"lastLogin\") VALUES "
	        "('" U1 "', 'Lightbase management 1', now()), "
	        "('" U2 "', 'Lightbase management 2', now()), ('" U3 "', 'Ann', now())");
	qs_exec("INSERT INTO \"role\" (\"identifier\") VALUES ('_lightbase')");
	/* a live session of the management user, which the purge removes with it */
	qs_exec("INSERT INTO \"sessionStore\" (\"checksum\", \"data\") VALUES "
	        "('c', '{\"type\":\"user\",\"userId\":\"" U1 "\"}')");
	qs_exec("INSERT INTO \"userRole\" (\"role\", \"user\") SELECT r.\"id\", u.\"id\" FROM "
	        "\"role\" r, \"user\" u WHERE u.\"id\" IN ('" U1 "', '" U3 "')");
	qs_exec("INSERT INTO \"passwordLogin\" (\"id\", \"user\", \"email\", \"password\") VALUES "
	        "('" L1 "', '" U3 "', 'ann@example.test', 'x')");
	qs_exec("INSERT INTO \"passwordLoginReset\" (\"id\", \"login\", \"resetToken\", "
	        "\"shouldSetPassword\", \"expiresAt\") VALUES "
	        "('" R1 "', '" L1 "', 'auth-reset-old', true, now() - interval '1 minute'), "
	        "(DEFAULT, '" L1 "', 'auth-reset-live', true, now() + interval '1 day')");
	qs_exec("INSERT INTO \"passwordLoginAttempt\" (\"passwordLogin\", \"createdAt\") VALUES "
	        "('" L1 "', now() - interval '2 days'), ('" L1 "', now())");
	/* files: a transform of an existing original (kept) and of a gone one (removed) */
	qs_exec("INSERT INTO \"file\" (\"id\", \"contentLength\", \"bucketName\", \"contentType\", "
	        "\"name\", \"meta\") VALUES ('" F1 "', 1, 'b', 'image/png', 'o.png', '{}'), "
	        "(DEFAULT, 1, 'b', 'image/webp', 't1', '{\"transformedFromOriginal\":\"" F1
	        "\"}'), "
	        "(DEFAULT, 1, 'b', 'image/webp', 't2', '{\"transformedFromOriginal\":"
	        "\"00000000-0000-4000-8000-0000000000ee\"}')");
}

START_TEST(test_maintenance_handlers)
{
	pid_t pid;

	qs_setup();
	seed();
	qs_exec(
	    "INSERT INTO \"job\" (\"name\", \"data\") VALUES "
	    "('compas.queue.cleanup', '{}'), ('compas.queue.insights', '{}'), "
	    "('compas.sessionStore.cleanup', '{}'), "
	    "('auth.passwordBased.invalidateResetTokens', '{}'), "
	    "('auth.passwordBased.purgeLoginAttempts', '{}'), "
	    "('backendManagement.invalidateUsers', '{}'), ('compas.file.cleanup', '{}'), "
	    "('compas.sessionStore.potentialLeakedSession', '{\"report\":{\"session\":{\"id\":\"" S2
	    "\",\"createdAt\":\"2024-01-01T00:00:00.000Z\",\"tokens\":["
	    "{\"id\":\"a\",\"createdAt\":\"2024-01-01T00:00:01.000Z\",\"revokedAt\":null},"
	    "{\"id\":\"b\",\"createdAt\":\"2024-01-01T00:00:05.000Z\",\"revokedAt\":null},"
	    "{\"id\":\"c\",\"createdAt\":\"2024-01-01T00:00:02.000Z\",\"revokedAt\":null},"
	    "{\"id\":\"d\",\"createdAt\":\"2024-01-01T00:00:04.000Z\",\"revokedAt\":null},"
	    "{\"id\":\"e\",\"createdAt\":\"2024-01-01T00:00:03.000Z\",\"revokedAt\":null}]}}}'), "
	    "('auth.passwordBased.loginVerified', '{}')");
	pid = qs_start("queue.log", NULL, NULL);
	ck_assert_int_eq(qs_wait("SELECT count(*) FROM \"job\" WHERE NOT \"isComplete\"", 0, false),
	                 0);
	ck_assert_int_eq(qs_stop(pid), 0);
	ck_assert_int_eq(qs_log_count("queue.log", "\"outcome\":\"ok\""), 9);
	/* queue history */
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"job\" WHERE \"name\" IN ('old', "
	                           "'recent', 'failed')"),
	                 2);
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"job\" WHERE \"name\" = 'old'"), 0);
	ck_assert_int_eq(qs_log_count("queue.log", "\"removedCompletedJobs\":1"), 1);
	ck_assert_int_eq(qs_log_count("queue.log", "\"type\":\"queue_insights\""), 1);
	/* sessions: S1 and S3 with their tokens gone, S2 kept (and revoked as leaked) */
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"sessionStore\""), 1);
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"sessionStore\" WHERE \"id\" = '" S2
	                           "' AND \"revokedAt\" IS NOT NULL"),
	                 1);
	ck_assert_int_eq(
	    qs_scalar("SELECT count(*) FROM \"sessionStoreToken\" WHERE \"session\" = '" S2
	              "' AND \"revokedAt\" IS NOT NULL"),
	    2);
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"sessionStoreToken\""), 2);
	ck_assert_int_eq(
	    qs_log_count("queue.log",
	                 "\"lastRefreshTimes\":[{\"createdAt\":\"2024-01-01T00:00:05.000Z\""),
	    1);
	ck_assert_int_eq(qs_log_count("queue.log", "\"createdAt\":\"2024-01-01T00:00:01.000Z\""),
	                 0);
	/* reset tokens, attempts */
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"passwordLoginReset\""), 1);
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"passwordLoginReset\" WHERE "
	                           "\"resetToken\" = 'auth-reset-live'"),
	                 1);
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"passwordLoginAttempt\""), 1);
	/* management purge: only the _lightbase management user */
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"user\" WHERE \"id\" = '" U1 "'"), 0);
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"user\""), 2);
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"sessionStore\" WHERE "
	                           "\"data\"->>'userId' = '" U1 "'"),
	                 0);
	/* files */
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"file\""), 2);
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"file\" WHERE \"name\" = 't2'"), 0);
}
END_TEST

START_TEST(test_test_jobs_refused_in_production)
{
	pid_t pid;

	qs_setup();
	setenv("NODE_ENV", "production", 1);
	setenv("LPC_BACKEND_ENVIRONMENT", "acceptance", 1);
	qs_exec("INSERT INTO \"job\" (\"name\", \"data\") VALUES ('platform.test.record', '{}'), "
	        "('platform.noop', '{}')");
	pid = qs_start("queue.log", NULL, NULL);
	ck_assert_int_eq(qs_wait("SELECT count(*) FROM \"job\" WHERE NOT \"isComplete\"", 0, false),
	                 0);
	ck_assert_int_eq(qs_stop(pid), 0);
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"queueTestRecord\""), 0);
	ck_assert_int_eq(qs_log_count("queue.log", "\"outcome\":\"no_handler\""), 1);
	ck_assert_int_eq(qs_log_count("queue.log", "\"outcome\":\"ok\""), 1);
}
END_TEST

static Suite *
maint_suite(void)
{
	Suite *s = suite_create("queue-maint");
	TCase *tc = tcase_create("maint");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_maintenance_handlers);
	tcase_add_test(tc, test_test_jobs_refused_in_production);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return qs_main(maint_suite());
}
