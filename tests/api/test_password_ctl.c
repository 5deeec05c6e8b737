/* Black-box tests of platformctl user add (issue 4 item 8): a verified password user
 * with roles, the password from stdin or a printed one-time reset link, and its errors;
 * the user then logs in through the real api. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tadmin.h"
#include "tpassword.h"
#include "tsupport.h"

static struct tapi api;
static cJSON *resp;

static void
setup(void)
{
	char var[256], tenants[512];

	tsupport_require_pg();
	tadmin_start(&api, NULL);
	resp = NULL;
	/* platformctl reaches the same database and tenants file as the api. */
	tsupport_env_for_db(api.dbname);
	snprintf(var, sizeof(var), "%s/var", api.dir);
	setenv("PLATFORM_VAR_DIR", var, 1);
	snprintf(tenants, sizeof(tenants), "%s/tests/api/tenants-admin.json",
	         getenv("TEST_SOURCE_ROOT"));
	setenv("PLATFORM_API_TENANTS_FILE", tenants, 1);
	setenv("LPC_BACKEND_ENVIRONMENT", "acceptance", 1);
}

static void
teardown(void)
{
	cJSON_Delete(resp);
	/* 0: a clean shutdown, no crash and (under ASan) no leak in the daemon. */
	ck_assert_int_eq(tapi_stop(&api), 0);
}

/* Run "platformctl user <args>" with stdin_text on its stdin (NULL: none); its stdout
 * into out (may be NULL). Returns the exit code. */
static int
ctl(const char *args, const char *stdin_text, char *out, size_t outlen)
{
	char cmd[1024], path[300];
	FILE *p;
	int st;
	char *text;

	snprintf(path, sizeof(path), "%s/ctl.out", api.dir);
	snprintf(cmd, sizeof(cmd), "%s user %s > %s 2>> %s", tsupport_exe("TEST_PLATFORMCTL_EXE"),
	         args, path, api.log_path);
	p = popen(cmd, "w");
	ck_assert_ptr_nonnull(p);
	if (stdin_text != NULL)
		fputs(stdin_text, p);
	st = pclose(p);
	text = tsupport_read_file(path);
	if (out != NULL)
		snprintf(out, outlen, "%s", text != NULL ? text : "");
	free(text);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

START_TEST(add_with_password_and_role)
{
	char out[1024];

	ck_assert_int_eq(ctl("add --tenant scaffold --email ' Carl@Example.com ' --role admin "
	                     "--password-stdin",
	                     "Carl's password 1\n", out, sizeof(out)),
	                 0);
	ck_assert_ptr_nonnull(strstr(out, "carl@example.com"));
	ck_assert_int_eq(tadmin_count(api.db,
	                              "SELECT 1 FROM \"passwordLogin\" WHERE email = "
	                              "'carl@example.com' AND \"verifiedAt\" IS NOT NULL AND "
	                              "password LIKE '$argon2id$%'",
	                              0),
	                 1);
	ck_assert_int_eq(tadmin_count(api.db,
	                              "SELECT 1 FROM \"userRole\" ur JOIN role r ON r.id = ur.role "
	                              "WHERE r.identifier = 'admin'",
	                              0),
	                 1);
	ck_assert_int_eq(tpw_job_count(api.db, "auth.passwordBased.userRegistered"), 1);
	ck_assert_int_eq(tpw_login(&api, "carl@example.com", "Carl's password 1", &resp), 200);
	/* The same email again is refused. */
	ck_assert_int_ne(ctl("add --tenant scaffold --email carl@example.com --password-stdin",
	                     "Another password\n", NULL, 0),
	                 0);
	ck_assert_int_eq(tadmin_count(api.db, "SELECT 1 FROM \"passwordLogin\"", 0), 1);
}
END_TEST

START_TEST(add_without_password_prints_reset_link)
{
	char out[1024], body[256], token[128];
	const char *at;

	ck_assert_int_eq(
	    ctl("add --tenant scaffold --email dora@example.com", NULL, out, sizeof(out)), 0);
	at = strstr(out, "https://scaffold.acc.lightbase.nl/reset-password?token=auth-reset-");
	ck_assert_msg(at != NULL, "output: %s", out);
	snprintf(token, sizeof(token), "%s", strstr(at, "auth-reset-"));
	token[strcspn(token, "\r\n")] = '\0';
	snprintf(body, sizeof(body), "{\"resetToken\":\"%s\",\"password\":\"Dora password 1\"}",
	         token);
	ck_assert_int_eq(
	    tadmin_call(&api, NULL, "POST", "/auth/password-based/reset-password", body, &resp),
	    200);
	ck_assert_int_eq(tpw_login(&api, "dora@example.com", "Dora password 1", &resp), 200);
}
END_TEST

START_TEST(add_errors)
{
	ck_assert_int_eq(ctl("", NULL, NULL, 0), 64);
	ck_assert_int_eq(ctl("add --email a@example.com", NULL, NULL, 0), 64);
	ck_assert_int_eq(ctl("add --tenant scaffold --email not-an-email", NULL, NULL, 0), 64);
	ck_assert_int_eq(
	    ctl("add --tenant scaffold --email a@example.com --password-stdin", "short\n", NULL, 0),
	    64);
	ck_assert_int_ne(ctl("add --tenant nope --email a@example.com", NULL, NULL, 0), 0);
	ck_assert_int_ne(
	    ctl("add --tenant scaffold --email a@example.com --role no-such-role", NULL, NULL, 0),
	    0);
	/* Nothing half-made. */
	ck_assert_int_eq(tadmin_count(api.db, "SELECT 1 FROM \"passwordLogin\"", 0), 0);
	ck_assert_int_eq(tadmin_count(api.db, "SELECT 1 FROM job", 0), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("api-password-ctl");
	TCase *tc = tcase_create("ctl");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, add_with_password_and_role);
	tcase_add_test(tc, add_without_password_prints_reset_link);
	tcase_add_test(tc, add_errors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
