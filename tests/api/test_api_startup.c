/* Black-box: start-up. Configuration problems exit 78 (EXIT_CONFIG) with a log line
 * naming the problem; a restart re-runs the sync (same tenant ids, users linked to every
 * tenant, permissions restored). */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "thttp.h"
#include "tsupport.h"

/* Run platform-api with extra env until it exits; returns the exit code, log in buf. */
static int
run_api(const char *const *env, char *log, size_t loglen)
{
	char path[] = "/tmp/tapi-startup-XXXXXX";
	char *argv[] = { (char *)tsupport_exe("TEST_API_EXE"), NULL };
	int fd = mkstemp(path), rc;
	char *text;

	ck_assert_int_ge(fd, 0);
	close(fd);
	setenv("PLATFORM_API_LISTEN", "127.0.0.1", 1);
	for (size_t i = 0; env[i] != NULL; i++)
		putenv((char *)env[i]);
	rc = tsupport_run(argv, path, 30000);
	text = tsupport_read_file(path);
	snprintf(log, loglen, "%s", text != NULL ? text : "");
	free(text);
	unlink(path);
	return rc;
}

START_TEST(missing_tenants_file_exits_78)
{
	const char *env[] = { "PLATFORM_API_TENANTS_FILE=/nonexistent/tenants.json",
		              "LPC_BACKEND_ENVIRONMENT=acceptance", NULL };
	char log[4096];
	char *db = tsupport_db_create("api_startup");

	tsupport_env_for_db(db);
	ck_assert_int_eq(run_api(env, log, sizeof(log)), 78);
	ck_assert_ptr_nonnull(strstr(log, "/nonexistent/tenants.json"));
	tsupport_db_drop(db);
	free(db);
}
END_TEST

START_TEST(no_tenant_for_environment_exits_78)
{
	char tenants[600];
	const char *env[] = { tenants, "LPC_BACKEND_ENVIRONMENT=development", NULL };
	char log[4096];
	char *db = tsupport_db_create("api_startup");

	snprintf(tenants, sizeof(tenants), "PLATFORM_API_TENANTS_FILE=%s/tests/api/tenants.json",
	         getenv("TEST_SOURCE_ROOT"));
	tsupport_env_for_db(db);
	ck_assert_int_eq(run_api(env, log, sizeof(log)), 78);
	ck_assert_ptr_nonnull(strstr(log, "no tenant has a url for environment development"));
	tsupport_db_drop(db);
	free(db);
}
END_TEST

START_TEST(token_lifetimes_checked)
{
	char tenants[600];
	const char *env[] = { tenants, "LPC_BACKEND_ENVIRONMENT=acceptance",
		              "PLATFORM_API_ACCESS_TOKEN_TTL_S=3600",
		              "PLATFORM_API_REFRESH_TOKEN_TTL_S=600", NULL };
	char log[4096];
	char *db = tsupport_db_create("api_startup");

	snprintf(tenants, sizeof(tenants), "PLATFORM_API_TENANTS_FILE=%s/tests/api/tenants.json",
	         getenv("TEST_SOURCE_ROOT"));
	tsupport_env_for_db(db);
	ck_assert_int_eq(run_api(env, log, sizeof(log)), 78);
	ck_assert_ptr_nonnull(strstr(log, "api.access_token_ttl_s"));
	tsupport_db_drop(db);
	free(db);
}
END_TEST

START_TEST(restart_resyncs)
{
	struct tapi api;
	char id1[64], id2[64], port[16];
	PGresult *r;
	char *argv[2];

	tapi_start(&api, NULL);
	r = PQexec(api.db, "SELECT id FROM tenant WHERE name = 'scaffold'");
	snprintf(id1, sizeof(id1), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	/* a user created behind the api's back, a permission removed */
	PQclear(PQexec(api.db, "INSERT INTO \"user\" (\"lastLogin\") VALUES (now())"));
	PQclear(PQexec(api.db, "DELETE FROM permission WHERE identifier = 'auth:totp:manage'"));
	kill(api.pid, SIGTERM);
	ck_assert_int_eq(WEXITSTATUS(tsupport_wait(api.pid, 20000)), 0);
	/* start again on the same database and port */
	snprintf(port, sizeof(port), "%d", api.port);
	argv[0] = (char *)tsupport_exe("TEST_API_EXE");
	argv[1] = NULL;
	api.pid = tsupport_spawn(argv, api.log_path);
	ck_assert(tsupport_wait_port(api.port, 20000));
	r = PQexec(api.db, "SELECT id FROM tenant WHERE name = 'scaffold'");
	snprintf(id2, sizeof(id2), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	ck_assert_str_eq(id1, id2);
	ck_assert_int_eq(tsupport_db_scalar(api.db, "SELECT count(*) FROM tenant"), 2);
	ck_assert_int_eq(tsupport_db_scalar(api.db, "SELECT count(*) FROM \"userTenant\""), 2);
	ck_assert_int_eq(tsupport_db_scalar(api.db, "SELECT count(*) FROM permission"), 6);
	ck_assert_int_eq(tsupport_db_scalar(api.db, "SELECT count(*) FROM \"rolePermission\""), 11);
	ck_assert_int_eq(tapi_stop(&api), 0);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("api-startup");
	TCase *tc = tcase_create("api-startup");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, missing_tenants_file_exits_78);
	tcase_add_test(tc, no_tenant_for_environment_exits_78);
	tcase_add_test(tc, token_lifetimes_checked);
	tcase_add_test(tc, restart_resyncs);
	suite_add_tcase(s, tc);
	return s;
}

TAPI_MAIN(suite)
