/* Unit tests for the migration runner's pure parts: the file-name grammar, the SHA-1 hex,
 * reading a directory (order, duplicates, bad names) and the info text. No database. */
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "err.h"
#include "migrate.h"

struct name_case {
	const char *file;
	bool ok;
	int64_t number;
	const char *name;
	bool repeatable;
	bool is_js;
};

static const struct name_case name_cases[] = {
	{ "001-compas-store.sql", true, 1, "compas-store", false, false },
	{ "1-a.sql", true, 1, "a", false, false },
	{ "010-r-views.sql", true, 10, "views", true, false },
	{ "007-seed.js", true, 7, "seed", false, true },
	{ "2147483647-max.sql", true, 2147483647, "max", false, false },
	{ "3-r.sql", true, 3, "r", false, false },   /* "r" alone is a name */
	{ "3-r-.sql", true, 3, "r-", false, false }, /* (r-)? gives way to the name */
	{ "4-Mixed-Case-.sql", true, 4, "Mixed-Case-", false, false },
	/* the template's unanchored pattern would accept these; ours does not */
	{ "005-add-v2-table.sql", false, 0, NULL, false, false },
	{ "x001-a.sql", false, 0, NULL, false, false },
	{ "001-a.sql.bak", false, 0, NULL, false, false },
	{ "001-a.SQL", false, 0, NULL, false, false },
	{ "001-a_b.sql", false, 0, NULL, false, false },
	{ "001-.sql", false, 0, NULL, false, false },
	{ "001.sql", false, 0, NULL, false, false },
	{ "-a.sql", false, 0, NULL, false, false },
	{ "001_a.sql", false, 0, NULL, false, false },
	{ "001-a.b.sql", false, 0, NULL, false, false },
	{ "2147483648-too-big.sql", false, 0, NULL, false, false },
	{ "99999999999999999999999-a.sql", false, 0, NULL, false, false },
	{ "", false, 0, NULL, false, false },
};

START_TEST(parse_names)
{
	const struct name_case *c = &name_cases[_i];
	int64_t number = -1;
	char name[64];
	bool repeatable = false, is_js = false;
	bool ok = migrate_parse_name(c->file, &number, name, sizeof(name), &repeatable, &is_js);

	ck_assert_msg(ok == c->ok, "%s: expected %s", c->file, c->ok ? "match" : "no match");
	if (!c->ok)
		return;
	ck_assert_int_eq(number, c->number);
	ck_assert_str_eq(name, c->name);
	ck_assert_int_eq(repeatable, c->repeatable);
	ck_assert_int_eq(is_js, c->is_js);
}
END_TEST

START_TEST(parse_name_too_long_for_buffer)
{
	int64_t number;
	char name[4];
	bool repeatable, is_js;

	ck_assert(
	    !migrate_parse_name("1-abcd.sql", &number, name, sizeof(name), &repeatable, &is_js));
	ck_assert(
	    migrate_parse_name("1-abc.sql", &number, name, sizeof(name), &repeatable, &is_js));
	ck_assert_str_eq(name, "abc");
}
END_TEST

START_TEST(sha1_vectors)
{
	char hex[MIGRATE_SHA1_HEX];

	migrate_sha1_hex("", 0, hex);
	ck_assert_str_eq(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	migrate_sha1_hex("abc", 3, hex);
	ck_assert_str_eq(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
	/* bytes as they are: a NUL and non-ASCII count */
	migrate_sha1_hex("a\0b", 3, hex);
	ck_assert_str_eq(hex, "4a3dec2d1f8245280855c42db0ee4239f917fdb8");
}
END_TEST

/* Every test directory lives under tmp_root, made by the unchecked fixture in the parent
 * and removed after all tests, also when a failing test skipped its own clean-up. */
static char tmp_root[64];

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
root_setup(void)
{
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/platform-migrate-unit-XXXXXX");
	if (mkdtemp(tmp_root) == NULL)
		abort();
}

static void
root_teardown(void)
{
	nftw(tmp_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char *
make_dir(void)
{
	char *dir = malloc(128);

	snprintf(dir, 128, "%s/XXXXXX", tmp_root);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

static void
put(const char *dir, const char *file, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void
remove_dir(char *dir, const char *const *files)
{
	char path[512];

	for (size_t i = 0; files[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	free(dir);
}

START_TEST(read_dir_sorts_and_hashes)
{
	static const char *const files[] = { "10-later.sql", "002-r-view.sql", "1-first.sql",
		                             "README.md",    "notes.txt",      NULL };
	char *dir = make_dir();
	struct migrate_ctx ctx = { .arena = arena_new() };
	struct err *e;

	put(dir, files[0], "SELECT 10;");
	put(dir, files[1], "SELECT 2;");
	put(dir, files[2], "abc");
	put(dir, files[3], "not a migration");
	put(dir, files[4], "ignored");
	ctx.dir = dir;
	e = migrate_read_dir(&ctx);
	ck_assert_ptr_null(e);
	ck_assert_uint_eq(ctx.nfiles, 3);
	ck_assert_int_eq(ctx.files[0].number, 1);
	ck_assert_str_eq(ctx.files[0].file_name, "1-first.sql");
	ck_assert_str_eq(ctx.files[0].hash, "a9993e364706816aba3e25717850c26c9cd0d89d");
	ck_assert_int_eq(ctx.files[1].number, 2);
	ck_assert(ctx.files[1].repeatable);
	ck_assert_str_eq(ctx.files[1].name, "view");
	ck_assert_int_eq(ctx.files[2].number, 10);
	ck_assert_str_eq(ctx.files[2].content, "SELECT 10;");
	arena_free(ctx.arena);
	remove_dir(dir, files);
}
END_TEST

static void
expect_dir_error(const char *const *files, const char *must_contain1, const char *must_contain2)
{
	char *dir = make_dir();
	struct migrate_ctx ctx = { .arena = arena_new() };
	struct err *e;

	for (size_t i = 0; files[i] != NULL; i++)
		put(dir, files[i], "SELECT 1;");
	ctx.dir = dir;
	e = migrate_read_dir(&ctx);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->key, MIGRATE_KEY_CONTEXT);
	ck_assert_msg(strstr(e->message, must_contain1) != NULL, "%s", e->message);
	if (must_contain2 != NULL)
		ck_assert_msg(strstr(e->message, must_contain2) != NULL, "%s", e->message);
	err_free(e);
	arena_free(ctx.arena);
	remove_dir(dir, files);
}

START_TEST(read_dir_rejects_bad_name)
{
	static const char *const files[] = { "001-good.sql", "002_bad.sql", NULL };

	expect_dir_error(files, "002_bad.sql", "<number>-r-<name>");
}
END_TEST

START_TEST(read_dir_rejects_duplicate_number)
{
	static const char *const files[] = { "001-one.sql", "1-other.sql", "002-two.sql", NULL };

	expect_dir_error(files, "001-one.sql", "1-other.sql");
}
END_TEST

START_TEST(read_dir_missing)
{
	struct migrate_ctx ctx = { .arena = arena_new(),
		                   .dir = "/nonexistent/platform-migrations" };
	struct err *e = migrate_read_dir(&ctx);

	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->key, MIGRATE_KEY_CONTEXT);
	ck_assert_ptr_nonnull(strstr(e->message, "/nonexistent/platform-migrations"));
	err_free(e);
	arena_free(ctx.arena);
}
END_TEST

START_TEST(info_text_format)
{
	struct migrate_file files[3] = {
		{ .file_name = "001-a.sql", .number = 1, .name = "a", .status = MIGRATE_APPLIED },
		{ .file_name = "002-r-v.sql",
		  .number = 2,
		  .name = "v",
		  .repeatable = true,
		  .status = MIGRATE_RERUN },
		{ .file_name = "010-b.sql", .number = 10, .name = "b", .status = MIGRATE_PENDING },
	};
	struct migrate_ctx ctx = { .arena = arena_new(), .files = files, .nfiles = 3 };
	cJSON *j;

	ck_assert_str_eq(migrate_info_text(&ctx),
	                 "Pending migrations:\n- 2-v (repeatable)\n- 10-b\n"
	                 "\nHash changes:\n- 2-v");
	j = migrate_info_json(&ctx);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "applied")), 2);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "pending")), 2);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "changed")), 1);
	cJSON_Delete(j);
	files[1].status = MIGRATE_APPLIED;
	files[2].status = MIGRATE_EQUIVALENT;
	ck_assert_str_eq(migrate_info_text(&ctx), "No migration changes detected.");
	arena_free(ctx.arena);
}
END_TEST

START_TEST(check_refuses_changed_and_js)
{
	struct migrate_file files[3] = {
		{ .file_name = "001-a.sql", .number = 1, .name = "a", .status = MIGRATE_CHANGED },
		{ .file_name = "002-b.js", .number = 2, .name = "b", .is_js = true },
		{ .file_name = "003-r-c.sql",
		  .number = 3,
		  .name = "c",
		  .repeatable = true,
		  .status = MIGRATE_RERUN },
	};
	struct migrate_ctx ctx = { .arena = arena_new(), .files = files, .nfiles = 3 };
	struct err *e = migrate_check(&ctx);

	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->key, MIGRATE_KEY_HASH_CHANGED);
	ck_assert_ptr_nonnull(strstr(e->message, "001-a.sql"));
	ck_assert_ptr_null(strstr(e->message, "003-r-c.sql"));
	err_free(e);
	files[0].status = MIGRATE_EQUIVALENT;
	e = migrate_check(&ctx);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->key, MIGRATE_KEY_JS);
	ck_assert_ptr_nonnull(strstr(e->message, "002-b.js"));
	err_free(e);
	files[1].status = MIGRATE_APPLIED; /* an applied .js file is fine */
	ck_assert_ptr_null(migrate_check(&ctx));
	arena_free(ctx.arena);
}
END_TEST

static Suite *
migrate_unit_suite(void)
{
	Suite *s = suite_create("migrate-unit");
	TCase *tc = tcase_create("core");

	tcase_add_unchecked_fixture(tc, root_setup, root_teardown);
	tcase_add_loop_test(tc, parse_names, 0, (int)(sizeof(name_cases) / sizeof(name_cases[0])));
	tcase_add_test(tc, parse_name_too_long_for_buffer);
	tcase_add_test(tc, sha1_vectors);
	tcase_add_test(tc, read_dir_sorts_and_hashes);
	tcase_add_test(tc, read_dir_rejects_bad_name);
	tcase_add_test(tc, read_dir_rejects_duplicate_number);
	tcase_add_test(tc, read_dir_missing);
	tcase_add_test(tc, info_text_format);
	tcase_add_test(tc, check_refuses_changed_and_js);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(migrate_unit_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
