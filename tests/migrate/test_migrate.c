/* Integration tests for platform-migrate: the real executable against a real database of
 * the scratch cluster, one database per test; asserts exit codes, output and rows. */
#include <check.h>
#include <dirent.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "tsupport.h"

#define RUN_TIMEOUT_MS 120000

/* Set by the unchecked fixture in the parent: every database of this run starts with
 * db_prefix, every file lives under tmp_root; the teardown removes both. */
static char db_prefix[32];
static char tmp_root[128];

/* One test's world: its database, a migration directory and a log counter. */
struct tctx {
	char *db;
	char dir[256];
	int runs;
	PGconn *conn;
};

/* ---- files ---- */

static void
write_file(const char *dir, const char *file, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

static void
append_file(const char *dir, const char *file, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "a");
	ck_assert_msg(f != NULL, "cannot append to %s", path);
	fputs(text, f);
	fclose(f);
}

static char *
read_path(const char *dir, const char *file)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return tsupport_read_file(path);
}

static const char *
source_migrations(void)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/migrations", tsupport_exe("TEST_SOURCE_ROOT"));
	return path;
}

static bool
is_sql(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && strcmp(name + n - 4, ".sql") == 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The first max *.sql files of the project's migrations, sorted (their numbers are
 * zero-padded); names has room for 64. */
static size_t
source_files(char *names[], size_t max)
{
	DIR *d = opendir(source_migrations());
	struct dirent *de;
	size_t n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (is_sql(de->d_name) && n < 64)
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	while (n > max)
		free(names[--n]);
	return n;
}

static void
free_names(char *names[], size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
}

static void
sha1_hex(const char *text, char out[41])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	ck_assert(EVP_Digest(text, strlen(text), md, &len, EVP_sha1(), NULL) == 1);
	for (unsigned int i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* ---- context ---- */

static void
tctx_init(struct tctx *t, const char *name)
{
	char prefix[64];

	tsupport_require_pg();
	snprintf(prefix, sizeof(prefix), "%s_%s", db_prefix, name);
	t->db = tsupport_db_create(prefix);
	t->runs = 0;
	snprintf(t->dir, sizeof(t->dir), "%s/%s", tmp_root, name);
	ck_assert_int_eq(mkdir(t->dir, 0700), 0);
	tsupport_env_for_db(t->db);
	setenv("APP_NAME", "migtest", 1);
	t->conn = tsupport_db_connect(t->db);
}

static void
tctx_done(struct tctx *t)
{
	PQfinish(t->conn);
	tsupport_db_drop(t->db);
	free(t->db);
}

/* Copy the project's migrations (only the first `limit` files when limit > 0). */
static void
tctx_copy_migrations(struct tctx *t, size_t limit)
{
	char *names[64];
	size_t n = source_files(names, 64);

	for (size_t i = 0; i < n && (limit == 0 || i < limit); i++) {
		char *text = read_path(source_migrations(), names[i]);

		ck_assert_ptr_nonnull(text);
		write_file(t->dir, names[i], text);
		free(text);
	}
	free_names(names, n);
}

/* Run platform-migrate with --dir dir and an optional mode flag; returns the exit code
 * and (caller frees) everything it wrote to stdout and stderr. */
static int
run_migrate_in(struct tctx *t, const char *dir, const char *mode, char **output)
{
	char log[512], *argv[6];
	int n = 0, code;

	snprintf(log, sizeof(log), "%s/run-%d.log", t->dir, ++t->runs);
	argv[n++] = (char *)tsupport_exe("TEST_MIGRATE_EXE");
	argv[n++] = "--dir";
	argv[n++] = (char *)dir;
	if (mode != NULL)
		argv[n++] = (char *)mode;
	argv[n] = NULL;
	code = tsupport_run(argv, log, RUN_TIMEOUT_MS);
	*output = tsupport_read_file(log);
	if (*output == NULL)
		*output = strdup("");
	/* for the error log of a failing test (stderr is not parsed as TAP) */
	fprintf(stderr, "--- platform-migrate %s (exit %d):\n%s", mode != NULL ? mode : "", code,
	        *output);
	unlink(log);
	return code;
}

static int
run_migrate(struct tctx *t, const char *mode, char **output)
{
	return run_migrate_in(t, t->dir, mode, output);
}

static void
expect_run(struct tctx *t, const char *mode, int code, const char *must_contain)
{
	char *out;
	int got = run_migrate(t, mode, &out);

	ck_assert_msg(got == code, "platform-migrate %s: exit %d, expected %d",
	              mode != NULL ? mode : "", got, code);
	if (must_contain != NULL)
		ck_assert_msg(strstr(out, must_contain) != NULL, "output lacks \"%s\"",
		              must_contain);
	free(out);
}

/* ---- queries ---- */

/* First column of the first row as a string (caller frees), NULL for no row or NULL. */
static char *
query_text(PGconn *c, const char *sql, int n, ...)
{
	const char *params[8];
	va_list ap;
	PGresult *r;
	char *v = NULL;

	va_start(ap, n);
	for (int i = 0; i < n; i++)
		params[i] = va_arg(ap, const char *);
	va_end(ap);
	r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql, PQresultErrorMessage(r));
	if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		v = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

static long
query_long(PGconn *c, const char *sql, int n, const char *p1, const char *p2, const char *p3,
           const char *p4)
{
	char *v = query_text(c, sql, n, p1, p2, p3, p4);
	long out = v != NULL ? strtol(v, NULL, 10) : -1;

	free(v);
	return out;
}

static long
count_public_tables(PGconn *c)
{
	return tsupport_db_scalar(c, "SELECT count(*) FROM information_schema.tables "
	                             "WHERE table_schema = 'public'");
}

static bool
table_exists(PGconn *c, const char *table)
{
	return query_long(c,
	                  "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
	                  "'public' AND table_name = $1 AND table_type = 'BASE TABLE'",
	                  1, table, NULL, NULL, NULL) == 1;
}

static long
migration_rows(PGconn *c)
{
	return tsupport_db_scalar(c, "SELECT count(*) FROM \"migration\"");
}

/* ---- the template's schema (seed-api §9) ---- */

struct table_spec {
	const char *table;
	/* "column:udt:N|Y ..." (N = NOT NULL) */
	const char *columns;
	bool from_004; /* added by our 004, not the template */
};

static const struct table_spec schema[] = {
	{ "migration", "namespace:varchar:N number:int4:Y name:varchar:N createdAt:timestamptz:Y "
	               "hash:varchar:Y" },
	{ "file", "id:uuid:N contentLength:int4:N bucketName:varchar:N contentType:varchar:N "
	          "name:varchar:N meta:jsonb:N createdAt:timestamptz:N updatedAt:timestamptz:N" },
	{ "job", "id:int8:N isComplete:bool:N priority:int4:N retryCount:int4:N name:varchar:N "
	         "scheduledAt:timestamptz:N data:jsonb:N handlerTimeout:int4:Y "
	         "createdAt:timestamptz:N updatedAt:timestamptz:N" },
	{ "job", "failedAt:timestamptz:Y lastError:text:Y lockedUntil:timestamptz:Y", true },
	{ "sessionStore", "id:uuid:N checksum:varchar:N data:jsonb:N revokedAt:timestamptz:Y "
	                  "createdAt:timestamptz:N updatedAt:timestamptz:N" },
	{ "sessionStoreToken",
	  "id:uuid:N session:uuid:N expiresAt:timestamptz:N "
	  "refreshToken:uuid:Y revokedAt:timestamptz:Y createdAt:timestamptz:N" },
	{ "tenant", "id:uuid:N name:varchar:N data:jsonb:N" },
	{ "featureFlag", "id:uuid:N globalValue:bool:N description:varchar:N name:varchar:N "
	                 "tenantValues:jsonb:Y createdAt:timestamptz:N updatedAt:timestamptz:N" },
	{ "user", "id:uuid:N name:varchar:Y lastLogin:timestamptz:N createdAt:timestamptz:N "
	          "updatedAt:timestamptz:N deletedAt:timestamptz:Y" },
	{ "device", "id:uuid:N session:uuid:N name:varchar:N platform:varchar:N "
	            "notificationToken:varchar:Y webPushInformation:jsonb:Y "
	            "createdAt:timestamptz:N updatedAt:timestamptz:N" },
	{ "userTenant", "id:uuid:N tenant:uuid:N user:uuid:N" },
	{ "passwordLogin",
	  "id:uuid:N user:uuid:N email:varchar:N password:varchar:N "
	  "otpSecret:varchar:Y otpEnabledAt:timestamptz:Y verifiedAt:timestamptz:Y "
	  "createdAt:timestamptz:N updatedAt:timestamptz:N" },
	{ "passwordLoginReset", "id:uuid:N shouldSetPassword:bool:N login:uuid:N "
	                        "resetToken:varchar:N expiresAt:timestamptz:N "
	                        "createdAt:timestamptz:N updatedAt:timestamptz:N" },
	{ "passwordLoginAttempt", "id:uuid:N passwordLogin:uuid:N createdAt:timestamptz:N "
	                          "updatedAt:timestamptz:N" },
	{ "anonymousLogin", "id:uuid:N isAllowedToLogin:bool:N user:uuid:N loginToken:varchar:N "
	                    "createdAt:timestamptz:N updatedAt:timestamptz:N" },
	{ "permission", "id:uuid:N identifier:varchar:N" },
	{ "role", "id:uuid:N identifier:varchar:N tenant:uuid:Y" },
	{ "rolePermission", "id:uuid:N permission:uuid:N role:uuid:N createdAt:timestamptz:N "
	                    "updatedAt:timestamptz:N" },
	{ "userRole", "id:uuid:N role:uuid:N user:uuid:N createdAt:timestamptz:N "
	              "updatedAt:timestamptz:N" },
	{ "totpSettings", "id:uuid:N user:uuid:N secret:varchar:N verifiedAt:timestamptz:Y "
	                  "createdAt:timestamptz:N updatedAt:timestamptz:N" },
	{ "digidLogin", "id:uuid:N user:uuid:N bsn:varchar:N createdAt:timestamptz:N "
	                "updatedAt:timestamptz:N" },
	{ "keycloakLogin", "id:uuid:N user:uuid:N email:varchar:N createdAt:timestamptz:N "
	                   "updatedAt:timestamptz:N" },
	{ "userSettings", "id:uuid:N user:uuid:N email:varchar:N notes:varchar:Y phone:varchar:N "
	                  "createdAt:timestamptz:N updatedAt:timestamptz:N" },
};

/* {constraint, table, column, referenced table}; all ON DELETE CASCADE to "id". */
static const char *const foreign_keys[][4] = {
	{ "sessionStoreTokenSessionFk", "sessionStoreToken", "session", "sessionStore" },
	{ "sessionStoreTokenRefreshTokenFk", "sessionStoreToken", "refreshToken",
	  "sessionStoreToken" },
	{ "deviceSessionFk", "device", "session", "sessionStore" },
	{ "userTenantTenantFk", "userTenant", "tenant", "tenant" },
	{ "userTenantUserFk", "userTenant", "user", "user" },
	{ "passwordLoginUserFk", "passwordLogin", "user", "user" },
	{ "passwordLoginResetLoginFk", "passwordLoginReset", "login", "passwordLogin" },
	{ "passwordLoginAttemptPasswordLoginFk", "passwordLoginAttempt", "passwordLogin",
	  "passwordLogin" },
	{ "anonymousLoginUserFk", "anonymousLogin", "user", "user" },
	{ "roleTenantFk", "role", "tenant", "tenant" },
	{ "rolePermissionPermissionFk", "rolePermission", "permission", "permission" },
	{ "rolePermissionRoleFk", "rolePermission", "role", "role" },
	{ "userRoleRoleFk", "userRole", "role", "role" },
	{ "userRoleUserFk", "userRole", "user", "user" },
	{ "totpSettingsUserFk", "totpSettings", "user", "user" },
	{ "digidLoginUserFk", "digidLogin", "user", "user" },
	{ "keycloakLoginUserFk", "keycloakLogin", "user", "user" },
	{ "userSettingsUserFk", "userSettings", "user", "user" },
};

/* {index, table, unique?} */
static const struct {
	const char *index, *table;
	bool unique;
} indexes[] = {
	{ "migration_namespace_number_idx", "migration", false },
	{ "fileBucketNameIdx", "file", false },
	{ "jobIsCompleteScheduledAtIdx", "job", false },
	{ "jobNameIdx", "job", false },
	{ "jobScheduledAtIdx", "job", false },
	{ "jobIsCompleteUpdatedAt", "job", false },
	{ "sessionStoreUserIdIdx", "sessionStore", false },
	{ "sessionStoreTokenSessionIdx", "sessionStoreToken", false },
	{ "sessionStoreTokenRefreshTokenIdx", "sessionStoreToken", false },
	{ "tenantNameIdx", "tenant", true },
	{ "featureFlagDatesIdx", "featureFlag", false },
	{ "featureFlagNameIdx", "featureFlag", true },
	{ "userDatesIdx", "user", false },
	{ "userDeletedAtIdx", "user", false },
	{ "deviceDatesIdx", "device", false },
	{ "deviceSessionIdx", "device", false },
	{ "userTenantUniqIdx", "userTenant", true },
	{ "passwordLoginDatesIdx", "passwordLogin", false },
	{ "passwordLoginUserIdx", "passwordLogin", false },
	{ "passwordLoginEmailIdx", "passwordLogin", false },
	{ "passwordLoginResetDatesIdx", "passwordLoginReset", false },
	{ "passwordLoginResetLoginIdx", "passwordLoginReset", false },
	{ "passwordLoginResetResetTokenIdx", "passwordLoginReset", false },
	{ "passwordLoginAttemptPasswordLoginIdx", "passwordLoginAttempt", false },
	{ "anonymousLoginDatesIdx", "anonymousLogin", false },
	{ "anonymousLoginUserIdx", "anonymousLogin", false },
	{ "anonymousLoginLoginTokenIdx", "anonymousLogin", false },
	{ "permissionIdentifierUniqIdx", "permission", true },
	{ "roleIdentifierUniqIdx", "role", false },
	{ "roleTenantIdx", "role", false },
	{ "rolePermissionDatesIdx", "rolePermission", false },
	{ "rolePermissionRolePermissionUniqIdx", "rolePermission", true },
	{ "userRoleDatesIdx", "userRole", false },
	{ "userRoleUserRoleUniqIdx", "userRole", true },
	{ "totpSettingsUserIdx", "totpSettings", false },
	{ "digidLoginUserIdx", "digidLogin", false },
	{ "digidLoginBsnIdx", "digidLogin", true },
	{ "keycloakLoginUserIdx", "keycloakLogin", false },
	{ "keycloakLoginEmailUniqIdx", "keycloakLogin", false },
	{ "userSettingsUserIdx", "userSettings", false },
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Check every column of one spec row; returns how many it lists. */
static long
check_columns(PGconn *c, const struct table_spec *s)
{
	char *copy = strdup(s->columns), *save = NULL;
	long n = 0;

	for (char *tok = strtok_r(copy, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save)) {
		char *col = tok, *udt = strchr(col, ':'), *null;
		char *got_udt, *got_null;

		*udt++ = '\0';
		null = strchr(udt, ':');
		*null++ = '\0';
		got_udt =
		    query_text(c,
		               "SELECT udt_name FROM information_schema.columns WHERE "
		               "table_schema = 'public' AND table_name = $1 AND column_name = $2",
		               2, s->table, col);
		got_null =
		    query_text(c,
		               "SELECT is_nullable FROM information_schema.columns WHERE "
		               "table_schema = 'public' AND table_name = $1 AND column_name = $2",
		               2, s->table, col);
		ck_assert_msg(got_udt != NULL, "column %s.%s missing", s->table, col);
		ck_assert_msg(strcmp(got_udt, udt) == 0, "%s.%s is %s, expected %s", s->table, col,
		              got_udt, udt);
		ck_assert_msg(strcmp(got_null, null[0] == 'Y' ? "YES" : "NO") == 0,
		              "%s.%s nullable %s, expected %s", s->table, col, got_null, null);
		free(got_udt);
		free(got_null);
		n++;
	}
	free(copy);
	return n;
}

static long
column_count(PGconn *c, const char *table)
{
	return query_long(c,
	                  "SELECT count(*) FROM information_schema.columns WHERE table_schema = "
	                  "'public' AND table_name = $1",
	                  1, table, NULL, NULL, NULL);
}

/* Tables, columns (types, nullability, uuid defaults, primary keys), foreign keys and
 * indexes of §9. template_only (only 001-003 applied): the tables have exactly these
 * columns; otherwise our own later columns are checked too and more are allowed. */
static void
check_schema(PGconn *c, bool template_only)
{
	for (size_t i = 0; i < N_OF(schema); i++) {
		const struct table_spec *s = &schema[i];
		long listed = 0, have;

		if (s->from_004)
			continue;
		ck_assert_msg(table_exists(c, s->table), "table %s missing", s->table);
		for (size_t j = 0; j < N_OF(schema); j++)
			if (strcmp(schema[j].table, s->table) == 0 &&
			    !(template_only && schema[j].from_004))
				listed += check_columns(c, &schema[j]);
		have = column_count(c, s->table);
		ck_assert_msg(template_only ? have == listed : have >= listed,
		              "%s has %ld columns, expected %s%ld", s->table, have,
		              template_only ? "" : "at least ", listed);
		if (strcmp(s->table, "migration") == 0)
			continue;
		ck_assert_msg(
		    query_long(c,
		               "SELECT count(*) FROM pg_index i JOIN pg_class t ON t.oid = "
		               "i.indrelid JOIN pg_attribute a ON a.attrelid = t.oid AND "
		               "a.attnum = i.indkey[0] WHERE i.indisprimary AND t.relname = "
		               "$1 AND a.attname = 'id' AND i.indnatts = 1",
		               1, s->table, NULL, NULL, NULL) == 1,
		    "%s: primary key is not (id)", s->table);
	}
	ck_assert_int_eq(query_long(c,
	                            "SELECT count(*) FROM information_schema.columns WHERE "
	                            "table_schema = 'public' AND column_name = 'id' AND udt_name = "
	                            "'uuid' AND column_default <> 'uuid_generate_v4()'",
	                            0, NULL, NULL, NULL, NULL),
	                 0);
	for (size_t i = 0; i < N_OF(foreign_keys); i++)
		ck_assert_msg(
		    query_long(c,
		               "SELECT count(*) FROM pg_constraint k "
		               "JOIN pg_class t ON t.oid = k.conrelid "
		               "JOIN pg_class r ON r.oid = k.confrelid "
		               "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = "
		               "k.conkey[1] "
		               "JOIN pg_attribute ra ON ra.attrelid = r.oid AND ra.attnum = "
		               "k.confkey[1] "
		               "WHERE k.contype = 'f' AND k.confdeltype = 'c' AND "
		               "k.conname = $1 AND t.relname = $2 AND a.attname = $3 AND "
		               "r.relname = $4 AND ra.attname = 'id'",
		               4, foreign_keys[i][0], foreign_keys[i][1], foreign_keys[i][2],
		               foreign_keys[i][3]) == 1,
		    "foreign key %s (%s.%s -> %s ON DELETE CASCADE) missing", foreign_keys[i][0],
		    foreign_keys[i][1], foreign_keys[i][2], foreign_keys[i][3]);
	for (size_t i = 0; i < N_OF(indexes); i++) {
		char *unique =
		    query_text(c,
		               "SELECT i.indisunique::text FROM pg_index i JOIN pg_class x "
		               "ON x.oid = i.indexrelid JOIN pg_class t ON t.oid = "
		               "i.indrelid WHERE x.relname = $1 AND t.relname = $2",
		               2, indexes[i].index, indexes[i].table);

		ck_assert_msg(unique != NULL, "index %s on %s missing", indexes[i].index,
		              indexes[i].table);
		ck_assert_msg(strcmp(unique, indexes[i].unique ? "true" : "false") == 0,
		              "index %s: unique is %s", indexes[i].index, unique);
		free(unique);
	}
}

/* One row per file with its number, name, namespace and the file's SHA-1. */
static void
check_migration_rows(PGconn *c, const char *dir, char *names[], size_t n)
{
	ck_assert_int_eq(migration_rows(c), (long)n);
	for (size_t i = 0; i < n; i++) {
		char *text = read_path(dir, names[i]), hash[41], number[16], name[128];
		const char *dash = strchr(names[i], '-');
		long rows;

		ck_assert_ptr_nonnull(text);
		sha1_hex(text, hash);
		snprintf(number, sizeof(number), "%ld", strtol(names[i], NULL, 10));
		snprintf(name, sizeof(name), "%.*s", (int)(strlen(dash + 1) - 4), dash + 1);
		rows =
		    query_long(c,
		               "SELECT count(*) FROM \"migration\" WHERE \"number\" = $1::int AND "
		               "\"name\" = $2 AND \"hash\" = $3 AND \"namespace\" = $4",
		               4, number, name, hash, "migtest");
		ck_assert_msg(rows == 1, "no migration row (%s, %s, %s, migtest) for %s", number,
		              name, hash, names[i]);
		free(text);
	}
}

/* ---- tests ---- */

START_TEST(fresh_migrate_creates_schema)
{
	struct tctx t;
	char *names[64], *out;
	size_t n;
	int code;

	tctx_init(&t, "fresh");
	code = run_migrate_in(&t, source_migrations(), NULL, &out);
	ck_assert_msg(code == 0, "exit %d", code);
	ck_assert_ptr_nonnull(strstr(out, "Start migrating."));
	ck_assert_ptr_nonnull(strstr(out, "Done migrating."));
	free(out);
	ck_assert_int_ge(count_public_tables(t.conn), 22);
	check_schema(t.conn, false);
	n = source_files(names, 64);
	ck_assert_uint_ge(n, 4);
	check_migration_rows(t.conn, source_migrations(), names, n);
	free_names(names, n);
	tctx_done(&t);
}
END_TEST

/* Only the template's three files: the exact §9 schema, nothing more. */
START_TEST(template_files_give_exact_schema)
{
	struct tctx t;
	char *names[64];
	size_t n;

	tctx_init(&t, "exact");
	tctx_copy_migrations(&t, 3);
	expect_run(&t, NULL, 0, "Done migrating.");
	ck_assert_int_eq(count_public_tables(t.conn), 22);
	check_schema(t.conn, true);
	n = source_files(names, 3);
	ck_assert_uint_eq(n, 3);
	check_migration_rows(t.conn, t.dir, names, n);
	free_names(names, n);
	tctx_done(&t);
}
END_TEST

START_TEST(second_run_applies_nothing)
{
	struct tctx t;
	long before;
	char *out;

	tctx_init(&t, "again");
	tctx_copy_migrations(&t, 0);
	expect_run(&t, NULL, 0, "Done migrating.");
	before = migration_rows(t.conn);
	ck_assert_int_ge(before, 4);
	ck_assert_int_eq(run_migrate(&t, NULL, &out), 0);
	ck_assert(strstr(out, "nothing to do") != NULL);
	ck_assert_ptr_nonnull(strstr(out, "No migration changes detected."));
	ck_assert_ptr_null(strstr(out, "Start migrating."));
	free(out);
	ck_assert_int_eq(migration_rows(t.conn), before);
	tctx_done(&t);
}
END_TEST

START_TEST(changed_applied_file_is_refused)
{
	struct tctx t;
	long before;
	char *out;
	int code;

	tctx_init(&t, "changed");
	tctx_copy_migrations(&t, 0);
	expect_run(&t, NULL, 0, "Done migrating.");
	before = migration_rows(t.conn);
	append_file(t.dir, "004-platform-queue.sql", "\n-- edited after it was applied\n");
	write_file(t.dir, "900-extra-table.sql", "CREATE TABLE \"migrateExtra\" (\"id\" int);\n");
	code = run_migrate(&t, NULL, &out);
	ck_assert_msg(code == 65, "exit %d", code);
	ck_assert_ptr_nonnull(strstr(out, "004-platform-queue.sql"));
	ck_assert_ptr_nonnull(strstr(out, "store.migrateHashChanged.error"));
	ck_assert_ptr_nonnull(strstr(out, "Hash changes:\\n- 4-platform-queue"));
	free(out);
	ck_assert(!table_exists(t.conn, "migrateExtra"));
	ck_assert_int_eq(migration_rows(t.conn), before);
	ck_assert_int_eq(tsupport_db_scalar(t.conn, "SELECT count(*) FROM \"migration\" WHERE "
	                                            "\"number\" = 900"),
	                 0);
	/* --info reports it and still changes nothing; --dry-run refuses like a run */
	expect_run(&t, "--info", 0, "Hash changes:");
	expect_run(&t, "--dry-run", 65, "004-platform-queue.sql");
	ck_assert(!table_exists(t.conn, "migrateExtra"));
	tctx_done(&t);
}
END_TEST

START_TEST(concurrent_runs_apply_once)
{
	struct tctx t;
	char log1[512], log2[512], *argv[4];
	pid_t a, b;
	int st_a, st_b;
	char *names[64];
	size_t n;

	tctx_init(&t, "concurrent");
	tctx_copy_migrations(&t, 0);
	snprintf(log1, sizeof(log1), "%s/a.log", t.dir);
	snprintf(log2, sizeof(log2), "%s/b.log", t.dir);
	argv[0] = (char *)tsupport_exe("TEST_MIGRATE_EXE");
	argv[1] = "--dir";
	argv[2] = t.dir;
	argv[3] = NULL;
	a = tsupport_spawn(argv, log1);
	b = tsupport_spawn(argv, log2);
	st_a = tsupport_wait(a, RUN_TIMEOUT_MS);
	st_b = tsupport_wait(b, RUN_TIMEOUT_MS);
	for (int i = 0; i < 2; i++) {
		char *text = tsupport_read_file(i == 0 ? log1 : log2);

		fprintf(stderr, "--- concurrent run %d:\n%s", i + 1, text != NULL ? text : "");
		free(text);
	}
	ck_assert_msg(st_a != -1 && WIFEXITED(st_a) && WEXITSTATUS(st_a) == 0, "first run failed");
	ck_assert_msg(st_b != -1 && WIFEXITED(st_b) && WEXITSTATUS(st_b) == 0, "second run failed");
	n = source_files(names, 64);
	ck_assert_int_eq(tsupport_db_scalar(t.conn, "SELECT count(*) FROM (SELECT \"number\" FROM "
	                                            "\"migration\" GROUP BY \"number\" HAVING "
	                                            "count(*) <> 1) AS twice"),
	                 0);
	check_migration_rows(t.conn, t.dir, names, n);
	check_schema(t.conn, false);
	free_names(names, n);
	tctx_done(&t);
}
END_TEST

START_TEST(info_and_dry_run_change_nothing)
{
	struct tctx t;
	char *out;

	tctx_init(&t, "info");
	tctx_copy_migrations(&t, 0);
	ck_assert_int_eq(run_migrate(&t, "--info", &out), 0);
	ck_assert_msg(strstr(out, "Pending migrations:\\n- 1-compas-store\\n- 2-lpc-backend") !=
	                  NULL,
	              "pending list missing");
	ck_assert_ptr_nonnull(strstr(out, "\"pending\":[{\"number\":1"));
	free(out);
	ck_assert_int_eq(run_migrate(&t, "--dry-run", &out), 0);
	ck_assert(strstr(out, "would apply 001-compas-store.sql") != NULL);
	ck_assert_ptr_nonnull(strstr(out, "would apply 004-platform-queue.sql"));
	free(out);
	ck_assert_int_eq(count_public_tables(t.conn), 0);
	ck_assert_int_eq(tsupport_db_scalar(t.conn, "SELECT count(*) FROM pg_extension WHERE "
	                                            "extname = 'uuid-ossp'"),
	                 0);
	/* after a real run, a new file is listed but not applied */
	expect_run(&t, NULL, 0, "Done migrating.");
	write_file(t.dir, "900-extra-table.sql", "CREATE TABLE \"migrateExtra\" (\"id\" int);\n");
	expect_run(&t, "--info", 0, "Pending migrations:\\n- 900-extra-table");
	expect_run(&t, "--dry-run", 0, "would apply 900-extra-table.sql");
	ck_assert(!table_exists(t.conn, "migrateExtra"));
	ck_assert_int_eq(tsupport_db_scalar(t.conn, "SELECT count(*) FROM \"migration\" WHERE "
	                                            "\"number\" = 900"),
	                 0);
	tctx_done(&t);
}
END_TEST

/* --info/--dry-run on a database that does not exist do not create it. */
START_TEST(info_does_not_create_database)
{
	struct tctx t;
	char missing[128];
	PGconn *pg;

	tctx_init(&t, "nodb");
	tctx_copy_migrations(&t, 0);
	snprintf(missing, sizeof(missing), "%s_absent", t.db);
	setenv("POSTGRES_DATABASE", missing, 1);
	expect_run(&t, "--info", 0, "Pending migrations:");
	expect_run(&t, "--dry-run", 0, "would apply 001-compas-store.sql");
	pg = tsupport_db_connect("postgres");
	ck_assert_int_eq(query_long(pg, "SELECT count(*) FROM pg_database WHERE datname = $1", 1,
	                            missing, NULL, NULL, NULL),
	                 0);
	/* the default mode creates it and migrates */
	expect_run(&t, NULL, 0, "Done migrating.");
	ck_assert_int_eq(query_long(pg, "SELECT count(*) FROM pg_database WHERE datname = $1", 1,
	                            missing, NULL, NULL, NULL),
	                 1);
	PQfinish(pg);
	tsupport_db_drop(missing);
	tctx_done(&t);
}
END_TEST

START_TEST(failing_migration_rolls_back)
{
	struct tctx t;
	char *out;
	long before;
	int code;

	tctx_init(&t, "failing");
	tctx_copy_migrations(&t, 0);
	write_file(t.dir, "900-bad-migration.sql",
	           "CREATE TABLE \"migrateFailPartial\" (\"id\" int);\n"
	           "INSERT INTO \"migrateFailPartial\" VALUES (1);\n"
	           "INSERT INTO \"noSuchTable\" VALUES (1);\n");
	write_file(t.dir, "901-after-bad.sql", "CREATE TABLE \"migrateAfterBad\" (\"id\" int);\n");
	code = run_migrate(&t, NULL, &out);
	ck_assert_msg(code == 65, "exit %d", code);
	ck_assert_ptr_nonnull(strstr(out, "900-bad-migration.sql"));
	ck_assert_ptr_nonnull(strstr(out, "store.migrateRun.error"));
	ck_assert_ptr_nonnull(strstr(out, "noSuchTable"));
	ck_assert_ptr_null(strstr(out, "Done migrating."));
	free(out);
	/* the files before it are applied, it and the ones after it are not */
	before = migration_rows(t.conn);
	ck_assert_int_ge(before, 4);
	ck_assert(table_exists(t.conn, "userSettings"));
	ck_assert(!table_exists(t.conn, "migrateFailPartial"));
	ck_assert(!table_exists(t.conn, "migrateAfterBad"));
	ck_assert_int_eq(tsupport_db_scalar(t.conn, "SELECT count(*) FROM \"migration\" WHERE "
	                                            "\"number\" >= 900"),
	                 0);
	/* fixed, it applies */
	write_file(t.dir, "900-bad-migration.sql",
	           "CREATE TABLE \"migrateFailPartial\" (\"id\" int);\n");
	expect_run(&t, NULL, 0, "Done migrating.");
	ck_assert(table_exists(t.conn, "migrateFailPartial"));
	ck_assert(table_exists(t.conn, "migrateAfterBad"));
	ck_assert_int_eq(migration_rows(t.conn), before + 2);
	tctx_done(&t);
}
END_TEST

START_TEST(bad_names_and_duplicates_are_refused)
{
	struct tctx t;
	char path[512];

	tctx_init(&t, "names");
	write_file(t.dir, "001-ok.sql", "CREATE TABLE \"migrateOk\" (\"id\" int);\n");
	write_file(t.dir, "README.md", "not a migration: ignored\n");
	write_file(t.dir, "2_bad_name.sql", "SELECT 1;\n");
	expect_run(&t, NULL, 65, "2_bad_name.sql");
	expect_run(&t, "--info", 65, "2_bad_name.sql");
	ck_assert_int_eq(count_public_tables(t.conn), 0);
	snprintf(path, sizeof(path), "%s/2_bad_name.sql", t.dir);
	unlink(path);
	write_file(t.dir, "1-again.sql", "SELECT 1;\n");
	expect_run(&t, NULL, 65, "duplicate migration number 1");
	expect_run(&t, NULL, 65, "1-again.sql");
	ck_assert_int_eq(count_public_tables(t.conn), 0);
	snprintf(path, sizeof(path), "%s/1-again.sql", t.dir);
	unlink(path);
	/* a pending .js file cannot run here */
	write_file(t.dir, "002-seed.js", "export async function migrate(sql) {}\n");
	expect_run(&t, NULL, 65, "002-seed.js");
	ck_assert_int_eq(count_public_tables(t.conn), 0);
	snprintf(path, sizeof(path), "%s/002-seed.js", t.dir);
	unlink(path);
	expect_run(&t, NULL, 0, "Done migrating.");
	ck_assert(table_exists(t.conn, "migrateOk"));
	tctx_done(&t);
}
END_TEST

START_TEST(repeatable_reruns_when_changed)
{
	struct tctx t;
	char *v, *text, hash[41];

	tctx_init(&t, "repeat");
	write_file(t.dir, "001-base.sql", "CREATE TABLE \"migrateBase\" (\"id\" int);\n");
	write_file(t.dir, "002-r-view.sql",
	           "CREATE OR REPLACE VIEW \"migrateView\" AS SELECT 1 AS \"v\";\n");
	expect_run(&t, NULL, 0, "Done migrating.");
	ck_assert_int_eq(tsupport_db_scalar(t.conn, "SELECT \"v\" FROM \"migrateView\""), 1);
	expect_run(&t, NULL, 0, "nothing to do");
	ck_assert_int_eq(migration_rows(t.conn), 2);
	write_file(t.dir, "002-r-view.sql",
	           "CREATE OR REPLACE VIEW \"migrateView\" AS SELECT 2 AS \"v\";\n");
	expect_run(&t, "--info", 0, "- 2-view (repeatable)");
	expect_run(&t, NULL, 0, "Applied migration 002-r-view.sql");
	ck_assert_int_eq(tsupport_db_scalar(t.conn, "SELECT \"v\" FROM \"migrateView\""), 2);
	ck_assert_int_eq(tsupport_db_scalar(t.conn, "SELECT count(*) FROM \"migration\" WHERE "
	                                            "\"number\" = 2 AND \"name\" = 'view'"),
	                 2);
	text = read_path(t.dir, "002-r-view.sql");
	sha1_hex(text, hash);
	free(text);
	v = query_text(t.conn,
	               "SELECT \"hash\" FROM \"migration\" WHERE \"number\" = 2 ORDER BY "
	               "\"createdAt\" DESC LIMIT 1",
	               0);
	ck_assert_str_eq(v, hash);
	free(v);
	expect_run(&t, NULL, 0, "nothing to do");
	ck_assert_int_eq(migration_rows(t.conn), 3);
	tctx_done(&t);
}
END_TEST

/* A file marked "-- disable auto transaction" runs outside a transaction (CREATE INDEX
 * CONCURRENTLY cannot run inside one). */
START_TEST(disable_auto_transaction)
{
	struct tctx t;

	tctx_init(&t, "notx");
	write_file(t.dir, "001-base.sql", "CREATE TABLE \"migrateBase\" (\"id\" int);\n");
	write_file(t.dir, "002-concurrent-index.sql",
	           "-- disable auto transaction\n"
	           "CREATE INDEX CONCURRENTLY \"migrateBaseIdx\" ON \"migrateBase\" (\"id\");\n");
	expect_run(&t, NULL, 0, "Done migrating.");
	ck_assert_int_eq(tsupport_db_scalar(t.conn, "SELECT count(*) FROM pg_class WHERE relname "
	                                            "= 'migrateBaseIdx'"),
	                 1);
	ck_assert_int_eq(migration_rows(t.conn), 2);
	/* without the marker the same statement fails inside the transaction */
	write_file(t.dir, "003-concurrent-index.sql",
	           "CREATE INDEX CONCURRENTLY \"migrateBaseIdx2\" ON \"migrateBase\" (\"id\");\n");
	expect_run(&t, NULL, 65, "003-concurrent-index.sql");
	ck_assert_int_eq(migration_rows(t.conn), 2);
	tctx_done(&t);
}
END_TEST

/* A database the template migrated: rows 1-3 with our names but other hashes. */
START_TEST(template_database_is_recognised)
{
	struct tctx t;

	tctx_init(&t, "template");
	tctx_copy_migrations(&t, 0);
	expect_run(&t, NULL, 0, "Done migrating.");
	PQclear(PQexec(t.conn, "UPDATE \"migration\" SET \"hash\" = "
	                       "'0123456789abcdef0123456789abcdef01234567' WHERE \"number\" <= 3"));
	expect_run(&t, "--info", 0, "Template-equivalent");
	expect_run(&t, "--info", 0, "\"templateEquivalent\":[{\"number\":1");
	expect_run(&t, NULL, 0, "nothing to do");
	/* a row 2 with another name is not the template's: refused */
	PQclear(PQexec(
	    t.conn, "UPDATE \"migration\" SET \"name\" = 'something-else' WHERE \"number\" = 2"));
	expect_run(&t, NULL, 65, "002-lpc-backend.sql");
	tctx_done(&t);
}
END_TEST

START_TEST(rebuild_rewrites_rows)
{
	struct tctx t;
	char *names[64];
	size_t n;

	tctx_init(&t, "rebuild");
	tctx_copy_migrations(&t, 0);
	expect_run(&t, NULL, 0, "Done migrating.");
	PQclear(PQexec(t.conn, "UPDATE \"migration\" SET \"hash\" = 'stale'"));
	PQclear(PQexec(t.conn, "INSERT INTO \"migration\" (\"namespace\", \"number\", \"name\", "
	                       "\"hash\") VALUES ('old', 77, 'gone', 'x')"));
	expect_run(&t, "--rebuild", 0, "Rebuilt the migration table");
	n = source_files(names, 64);
	check_migration_rows(t.conn, t.dir, names, n);
	free_names(names, n);
	expect_run(&t, NULL, 0, "nothing to do");
	tctx_done(&t);
}
END_TEST

START_TEST(exit_codes)
{
	struct tctx t;
	char port[64], *argv[4];

	tctx_init(&t, "codes");
	tctx_copy_migrations(&t, 0);
	argv[0] = (char *)tsupport_exe("TEST_MIGRATE_EXE");
	argv[1] = "--no-such-flag";
	argv[2] = NULL;
	ck_assert_int_eq(tsupport_run(argv, "/dev/null", RUN_TIMEOUT_MS), 64);
	argv[1] = "--help";
	ck_assert_int_eq(tsupport_run(argv, "/dev/null", RUN_TIMEOUT_MS), 0);
	expect_run(&t, "--help", 0, "Exit codes:");
	argv[1] = "--info";
	argv[2] = "--dry-run";
	argv[3] = NULL;
	ck_assert_int_eq(tsupport_run(argv, "/dev/null", RUN_TIMEOUT_MS), 64);
	argv[2] = "extra-argument";
	ck_assert_int_eq(tsupport_run(argv, "/dev/null", RUN_TIMEOUT_MS), 64);
	setenv("PLATFORM_NO_SUCH_KEY", "1", 1);
	expect_run(&t, NULL, 78, "PLATFORM_NO_SUCH_KEY");
	unsetenv("PLATFORM_NO_SUCH_KEY");
	snprintf(port, sizeof(port), "127.0.0.1:%d", tsupport_free_port());
	setenv("POSTGRES_HOST", port, 1);
	setenv("PLATFORM_DB_CONNECT_RETRIES", "0", 1);
	expect_run(&t, NULL, 69, "cannot connect to PostgreSQL");
	expect_run(&t, "--info", 69, "cannot connect to PostgreSQL");
	unsetenv("PLATFORM_DB_CONNECT_RETRIES");
	tctx_done(&t);
}
END_TEST

/* Old projects create `migration` in their own first file (platform-runtime §2.1): the
 * runner must not create it first, or that file's plain CREATE TABLE would fail. */
START_TEST(first_file_may_create_migration_table)
{
	struct tctx t;

	tctx_init(&t, "owntable");
	write_file(t.dir, "001-init.sql",
	           "CREATE TABLE \"migration\" (\"namespace\" varchar NOT NULL, \"number\" int, "
	           "\"name\" varchar NOT NULL, \"createdAt\" timestamptz DEFAULT now(), "
	           "\"hash\" varchar);\n"
	           "CREATE INDEX \"migration_namespace_number_idx\" ON \"migration\" "
	           "(\"namespace\", \"number\");\n");
	write_file(t.dir, "002-next.sql", "CREATE TABLE \"migrateNext\" (\"id\" int);\n");
	expect_run(&t, NULL, 0, "Done migrating.");
	ck_assert_int_eq(migration_rows(t.conn), 2);
	ck_assert(table_exists(t.conn, "migrateNext"));
	tctx_done(&t);
}
END_TEST

/* ---- run ---- */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
run_setup(void)
{
	snprintf(db_prefix, sizeof(db_prefix), "migt%d", (int)getpid());
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/platform-migrate-test-XXXXXX");
	if (mkdtemp(tmp_root) == NULL)
		abort();
}

/* In the parent, after all tests: whatever a failed test left behind. */
static void
run_teardown(void)
{
	nftw(tmp_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (getenv("TEST_PG_HOST") != NULL) {
		PGconn *c = tsupport_db_connect("postgres");
		char pattern[64];
		const char *params[1] = { pattern };
		PGresult *r;

		snprintf(pattern, sizeof(pattern), "%s\\_%%", db_prefix);
		r = PQexecParams(c, "SELECT datname FROM pg_database WHERE datname LIKE $1", 1,
		                 NULL, params, NULL, NULL, 0);
		for (int i = 0; i < PQntuples(r); i++)
			tsupport_db_drop(PQgetvalue(r, i, 0));
		PQclear(r);
		PQfinish(c);
	}
}

static Suite *
migrate_suite(void)
{
	Suite *s = suite_create("migrate");
	TCase *tc = tcase_create("platform-migrate");

	tcase_add_unchecked_fixture(tc, run_setup, run_teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, fresh_migrate_creates_schema);
	tcase_add_test(tc, template_files_give_exact_schema);
	tcase_add_test(tc, second_run_applies_nothing);
	tcase_add_test(tc, changed_applied_file_is_refused);
	tcase_add_test(tc, concurrent_runs_apply_once);
	tcase_add_test(tc, info_and_dry_run_change_nothing);
	tcase_add_test(tc, info_does_not_create_database);
	tcase_add_test(tc, failing_migration_rolls_back);
	tcase_add_test(tc, bad_names_and_duplicates_are_refused);
	tcase_add_test(tc, repeatable_reruns_when_changed);
	tcase_add_test(tc, disable_auto_transaction);
	tcase_add_test(tc, template_database_is_recognised);
	tcase_add_test(tc, rebuild_rewrites_rows);
	tcase_add_test(tc, first_file_may_create_migration_table);
	tcase_add_test(tc, exit_codes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	if (getenv("TEST_PG_HOST") == NULL || getenv("TEST_PG_PORT") == NULL) {
		printf("1..0 # SKIP TEST_PG_HOST/TEST_PG_PORT not set\n"); /* meson: skipped */
		return 0;
	}
	sr = srunner_create(migrate_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
