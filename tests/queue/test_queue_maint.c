/* The maintenance and event handlers against real rows: queue history cleanup (failed
 * jobs kept), session store cleanup, expired reset tokens, old login attempts,
 * management purge, leaked sessions, file transform cleanup, insights; orphaned storage
 * objects removed past the safety margin only (local directory, and an s3 bucket on
 * @20minutes/s3rver, which scripts/setup.sh installs); and the test jobs being
 * refused in production. */
#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "qsupport.h"
#include "storage.h"

#define S1    "00000000-0000-4000-8000-000000000051"
#define S2    "00000000-0000-4000-8000-000000000052"
#define S3    "00000000-0000-4000-8000-000000000053"
#define T1    "00000000-0000-4000-8000-000000000061"
#define T2    "00000000-0000-4000-8000-000000000062"
#define T3    "00000000-0000-4000-8000-000000000063"
#define U1    "00000000-0000-4000-8000-000000000071"
#define U2    "00000000-0000-4000-8000-000000000072"
#define U3    "00000000-0000-4000-8000-000000000073"
#define L1    "00000000-0000-4000-8000-000000000081"
#define R1    "00000000-0000-4000-8000-000000000091"
#define F1    "00000000-0000-4000-8000-0000000000e1"
#define O1    "00000000-0000-4000-8000-0000000000f1" /* has a file row */
#define O2    "00000000-0000-4000-8000-0000000000f2" /* orphan, old */
#define O3    "00000000-0000-4000-8000-0000000000f3" /* orphan, fresh (an upload in flight) */
#define O4    "00000000-0000-4000-8000-0000000000f4" /* transform of a gone original, old */
#define O5    "00000000-0000-4000-8000-0000000000f5" /* has a row, fresh */
#define OLD_S (2 * 3600) /* past the default storage.orphan_min_age_s (3600) */

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

/* <tmp>/files/<bucket>/<key>, caller frees */
static char *
object_path(const char *key)
{
	char name[256];

	snprintf(name, sizeof(name), "files/" QS_BUCKET "/%s", key);
	return qs_path(name);
}

static void
put_object(const char *key, int age_s)
{
	char *path = object_path(key);

	qs_write_file(path, key, age_s);
	free(path);
}

static bool
object_exists(const char *key)
{
	char *path = object_path(key);
	bool ok = qs_file_exists(path);

	free(path);
	return ok;
}

START_TEST(test_file_cleanup_objects)
{
	char *dir;
	pid_t pid;

	qs_setup();
	dir = qs_path("files");
	mkdir(dir, 0750);
	free(dir);
	dir = qs_path("files/" QS_BUCKET);
	mkdir(dir, 0750);
	qs_exec("INSERT INTO \"file\" (\"id\", \"contentLength\", \"bucketName\", "
	        "\"contentType\", \"name\", \"meta\") VALUES "
	        "('" O1 "', 2, '" QS_BUCKET "', 'text/plain', 'kept', '{}'), "
	        "('" O5 "', 2, '" QS_BUCKET "', 'text/plain', 'fresh', '{}'), "
	        "('" O4 "', 2, '" QS_BUCKET "', 'image/webp', 't', "
	        "'{\"transformedFromOriginal\":\"00000000-0000-4000-8000-0000000000ee\"}')");
	put_object(O1, OLD_S);
	put_object(O2, OLD_S);
	put_object(O3, 0);
	put_object(O4, OLD_S);
	put_object(O5, 0);
	put_object("stray-object", OLD_S); /* not a file id at all: garbage as well */
	put_object(".tmp.abc123", OLD_S);  /* a local upload being written: never listed */
	qs_exec("INSERT INTO \"job\" (\"name\", \"data\") VALUES ('compas.file.cleanup', '{}')");
	pid = qs_start("queue.log", NULL, NULL);
	ck_assert_int_eq(qs_wait("SELECT count(*) FROM \"job\" WHERE NOT \"isComplete\"", 0, false),
	                 0);
	ck_assert_int_eq(qs_stop(pid), 0);
	ck_assert_int_eq(qs_log_count("queue.log", "\"outcome\":\"ok\""), 1);
	ck_assert(object_exists(O1));
	ck_assert(!object_exists(O2));
	ck_assert(object_exists(O3));
	ck_assert(!object_exists(O4)); /* its row went in the same run */
	ck_assert(object_exists(O5));
	ck_assert(!object_exists("stray-object"));
	ck_assert(object_exists(".tmp.abc123"));
	ck_assert_int_eq(qs_scalar("SELECT count(*) FROM \"file\""), 2);
	ck_assert_int_eq(qs_log_count("queue.log", "\"removedTransforms\":1,\"removedObjects\":3,"
	                                           "\"recentObjects\":2"),
	                 1);
	free(dir);
}
END_TEST

#define S3_ACCESS "AKIDQUEUETEST"
#define S3_SECRET "queue-test-secret-0123456789"

/* s3rver keeps an object in <dir>/<bucket>/<key>._S3rver_object and reports that file's
 * mtime as LastModified: age it like a local object. */
static void
age_s3_object(const char *s3dir, const char *key, int age_s)
{
	char path[1024];
	struct timeval tv[2];

	snprintf(path, sizeof(path), "%s/" QS_BUCKET "/%s._S3rver_object", s3dir, key);
	gettimeofday(&tv[0], NULL);
	tv[0].tv_sec -= age_s;
	tv[1] = tv[0];
	ck_assert_int_eq(utimes(path, tv), 0);
}

static bool
s3_object_exists(struct storage *st, const char *key)
{
	long long size = -1;
	struct err *e = storage_head(st, key, &size);

	if (e == NULL)
		return true;
	ck_assert_int_eq(e->status, 404);
	err_free(e);
	return false;
}

START_TEST(test_file_cleanup_objects_s3)
{
	char script[1024], port[16], endpoint[64], *s3dir;
	char pkg[1024];
	int p = tsupport_free_port();
	struct config cfg = { 0 };
	struct storage st;
	pid_t pid;

	snprintf(pkg, sizeof(pkg), "%s/tests/node/node_modules/@20minutes/s3rver/package.json",
	         getenv("TEST_SOURCE_ROOT"));
	/* the test command installs them (scripts/setup.sh): missing is a failure, not a
	 * silent pass */
	ck_assert_msg(access("/usr/bin/node", X_OK) == 0 && access(pkg, R_OK) == 0,
	              "node or @20minutes/s3rver missing: run scripts/setup.sh");
	qs_setup();
	s3dir = qs_path("s3");
	mkdir(s3dir, 0750);
	snprintf(script, sizeof(script), "%s/tests/storage/s3.js", getenv("TEST_SOURCE_ROOT"));
	snprintf(port, sizeof(port), "%d", p);
	setenv("S3_ACCESS_KEY", S3_ACCESS, 1);
	setenv("S3_SECRET_KEY", S3_SECRET, 1);
	{
		/* s3rver's continuation tokens need OpenSSL's legacy provider (DES) */
		char *argv[] = { "/usr/bin/node",
			         "--openssl-legacy-provider",
			         script,
			         s3dir,
			         port,
			         QS_BUCKET,
			         NULL };

		qs_spawn(argv, "s3.log");
	}
	ck_assert(tsupport_wait_port(p, QS_WAIT_MS));
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d/", p);
	setenv("PLATFORM_STORAGE_BACKEND", "s3", 1);
	setenv("PLATFORM_STORAGE_S3_ENDPOINT", endpoint, 1);
	setenv("PLATFORM_STORAGE_S3_ACCESS_KEY", S3_ACCESS, 1);
	setenv("PLATFORM_STORAGE_S3_SECRET_KEY", S3_SECRET, 1);
	cfg.storage_backend = "s3";
	cfg.storage_bucket = QS_BUCKET;
	cfg.storage_s3_endpoint = endpoint;
	cfg.storage_s3_region = "eu-central-1";
	cfg.storage_s3_access_key = S3_ACCESS;
	cfg.storage_s3_secret_key = S3_SECRET;
	cfg.production = true;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ck_assert_ptr_null(storage_open(&st, &cfg));
	for (const char *const *k = (const char *const[]){ O1, O2, O3, NULL }; *k; k++)
		ck_assert_ptr_null(storage_put(&st, *k, *k, strlen(*k)));
	age_s3_object(s3dir, O1, OLD_S);
	age_s3_object(s3dir, O2, OLD_S);
	qs_exec("INSERT INTO \"file\" (\"id\", \"contentLength\", \"bucketName\", "
	        "\"contentType\", \"name\", \"meta\") VALUES "
	        "('" O1 "', 2, '" QS_BUCKET "', 'text/plain', 'kept', '{}')");
	qs_exec("INSERT INTO \"job\" (\"name\", \"data\") VALUES ('compas.file.cleanup', '{}')");
	pid = qs_start("queue.log", NULL, NULL);
	ck_assert_int_eq(qs_wait("SELECT count(*) FROM \"job\" WHERE NOT \"isComplete\"", 0, false),
	                 0);
	ck_assert_int_eq(qs_stop(pid), 0);
	ck_assert_int_eq(qs_log_count("queue.log", "\"removedObjects\":1,\"recentObjects\":1"), 1);
	ck_assert(s3_object_exists(&st, O1));
	ck_assert(!s3_object_exists(&st, O2));
	ck_assert(s3_object_exists(&st, O3));
	storage_close(&st);
	free(s3dir);
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
	tcase_add_test(tc, test_file_cleanup_objects);
	tcase_add_test(tc, test_file_cleanup_objects_s3);
	tcase_add_test(tc, test_test_jobs_refused_in_production);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return qs_main(maint_suite());
}
