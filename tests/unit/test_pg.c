/* lib/common pg against the real scratch PostgreSQL: connecting (host:port form, retry
 * and its error), parameterized queries, SQLSTATE on errors, getters, scripts,
 * advisory locks between two connections, and database creation. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "pg.h"
#include "tsupport.h"

static char *test_db;

static void
load_config(struct config *cfg)
{
	struct err *e;

	tsupport_env_for_db(test_db);
	e = config_load(cfg, NULL);
	ck_assert_msg(e == NULL, "%s", e ? e->message : "");
}

START_TEST(pg_connect_and_query)
{
	struct config cfg;
	struct err *e = NULL;
	PGconn *c;
	PGresult *r;
	const char *params[3] = { "41", NULL, "{\"a\":[1,2]}" };
	cJSON *j;

	load_config(&cfg);
	c = pg_connect(&cfg, NULL, NULL, &e);
	ck_assert_ptr_nonnull(c);
	r = pg_query(c,
	             "SELECT $1::int + 1, $2::text IS NULL, $3::jsonb, "
	             "'2023-11-14T22:13:20.123Z'::timestamptz, current_database()",
	             3, params, &e);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(pg_get_int64(r, 0, 0), 42);
	ck_assert(pg_get_bool(r, 0, 1));
	j = pg_get_json(r, 0, 2);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "a")), 2);
	cJSON_Delete(j);
	ck_assert_int_eq(pg_get_time_ms(r, 0, 3), 1700000000123);
	ck_assert_str_eq(pg_get(r, 0, 4), test_db);
	PQclear(r);

	/* errors carry the SQLSTATE */
	r = pg_query(c, "SELECT 1 / $1::int", 1, (const char *[]){ "0" }, &e);
	ck_assert_ptr_null(r);
	ck_assert_str_eq(e->code, "22012");
	ck_assert_int_eq(e->status, 500);
	err_free(e);
	e = NULL;

	/* a script stops at its first failing statement, inside the transaction */
	ck_assert_ptr_null(pg_begin(c));
	e = pg_exec_script(c, "CREATE TABLE t1 (a int); INSERT INTO t1 VALUES (1); SELECT nope;");
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->code, "42703");
	err_free(e);
	pg_rollback(c);
	ck_assert_int_eq(tsupport_db_scalar(c, "SELECT count(*) FROM pg_class WHERE relname='t1'"),
	                 0);
	PQfinish(c);
	config_free(&cfg);
}
END_TEST

START_TEST(pg_connect_failure_names_host)
{
	struct config cfg;
	struct err *e = NULL;
	char host[64];

	load_config(&cfg);
	snprintf(host, sizeof(host), "127.0.0.1:%d", tsupport_free_port());
	free(cfg.db_host);
	cfg.db_host = strdup(host);
	cfg.db_connect_retries = 2;
	cfg.db_retry_delay_ms = 10;
	ck_assert_ptr_null(pg_connect(&cfg, NULL, NULL, &e));
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(strstr(e->message, host));
	ck_assert_ptr_nonnull(strstr(e->message, "3 attempt(s)"));
	err_free(e);
	config_free(&cfg);
}
END_TEST

START_TEST(pg_advisory_locks)
{
	struct config cfg;
	struct err *e = NULL;
	PGconn *a, *b;
	bool got = true;

	load_config(&cfg);
	a = pg_connect(&cfg, NULL, NULL, &e);
	b = pg_connect(&cfg, NULL, NULL, &e);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_null(pg_advisory_lock(a, -9876453452));
	ck_assert_ptr_null(pg_advisory_try_lock(b, -9876453452, &got));
	ck_assert(!got);
	ck_assert_ptr_null(pg_advisory_unlock(a, -9876453452));
	ck_assert_ptr_null(pg_advisory_try_lock(b, -9876453452, &got));
	ck_assert(got);
	PQfinish(a);
	PQfinish(b);
	config_free(&cfg);
}
END_TEST

START_TEST(pg_creates_missing_database)
{
	struct config cfg;
	struct err *e = NULL;
	char name[96];
	PGconn *c;

	load_config(&cfg);
	snprintf(name, sizeof(name), "%s_new", test_db);
	free(cfg.db_database);
	cfg.db_database = strdup(name);
	cfg.db_connect_retries = 0;
	c = pg_connect(&cfg, NULL, NULL, &e);
	ck_assert_ptr_null(c); /* does not exist yet: fails at once */
	ck_assert_ptr_nonnull(strstr(e->message, "does not exist"));
	err_free(e);
	ck_assert_ptr_null(pg_create_database_if_missing(&cfg, NULL));
	ck_assert_ptr_null(pg_create_database_if_missing(&cfg, NULL)); /* idempotent */
	e = NULL;
	c = pg_connect(&cfg, NULL, NULL, &e);
	ck_assert_ptr_nonnull(c);
	PQfinish(c);
	tsupport_db_drop(name);
	config_free(&cfg);
}
END_TEST

START_TEST(pg_uri_overridden_field_by_field)
{
	struct config cfg;
	struct err *e = NULL;
	char uri[256];
	PGconn *c;
	PGresult *r;

	load_config(&cfg);
	snprintf(uri, sizeof(uri), "postgresql://postgres@127.0.0.1:%s/%s?sslmode=disable",
	         getenv("TEST_PG_PORT"), test_db);
	free(cfg.db_host);
	free(cfg.db_database);
	cfg.db_host = cfg.db_database = NULL;
	cfg.db_uri = strdup(uri);
	/* the URI's database is used when app.name is only the default */
	c = pg_connect(&cfg, NULL, NULL, &e);
	ck_assert_ptr_nonnull(c);
	r = pg_query(c, "SELECT current_database()", 0, NULL, &e);
	ck_assert_str_eq(pg_get(r, 0, 0), test_db);
	PQclear(r);
	PQfinish(c);
	/* an explicit app.name replaces it (platform-runtime §1 quirk, replicated) */
	free(cfg.app_name);
	cfg.app_name = strdup("postgres");
	cfg.app_name_explicit = true;
	c = pg_connect(&cfg, NULL, NULL, &e);
	ck_assert_ptr_nonnull(c);
	r = pg_query(c, "SELECT current_database()", 0, NULL, &e);
	ck_assert_str_eq(pg_get(r, 0, 0), "postgres");
	PQclear(r);
	PQfinish(c);
	config_free(&cfg);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pg");
	TCase *tc = tcase_create("pg");
	SRunner *sr;
	int failed;

	tsupport_require_pg();
	test_db = tsupport_db_create("t_pg");
	tcase_add_test(tc, pg_connect_and_query);
	tcase_add_test(tc, pg_connect_failure_names_host);
	tcase_add_test(tc, pg_advisory_locks);
	tcase_add_test(tc, pg_creates_missing_database);
	tcase_add_test(tc, pg_uri_overridden_field_by_field);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	tsupport_db_drop(test_db);
	free(test_db);
	return failed == 0 ? 0 : 1;
}
