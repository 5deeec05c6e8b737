/* The migration runner: files, hashes, state, and applying pending files one transaction
 * each, all on one connection that holds the template's advisory lock. */
#include "migrate.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "file.h"
#include "fatal.h"
#include "pg.h"

/* The template's migrations 001-003, written again from the spec: a database the template
 * migrated has these names with other hashes (platform-runtime §2, issue 2). */
static const struct {
	int64_t number;
	const char *name;
} migrate_template_files[] = {
	{ 1, "compas-store" },
	{ 2, "lpc-backend" },
	{ 3, "user-settings" },
};

#define MIGRATE_PATTERNS "'<number>-<name>.sql|js' or '<number>-r-<name>.sql|js'"

bool
migrate_parse_name(const char *file_name, int64_t *number, char *name, size_t name_size,
                   bool *repeatable, bool *is_js)
{
	const char *p = file_name, *dot = strrchr(file_name, '.'), *start;
	int64_t n = 0;
	size_t len;

	if (dot == NULL || (strcmp(dot, ".sql") != 0 && strcmp(dot, ".js") != 0))
		return false;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > INT32_MAX) /* the column is a Postgres int */
			return false;
	}
	if (*p++ != '-' || p >= dot)
		return false;
	for (const char *q = p; q < dot; q++)
		if (!((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') || *q == '-'))
			return false;
	/* "(r-)?" is greedy but gives way when nothing would be left for the name */
	*repeatable = strncmp(p, "r-", 2) == 0 && dot - p > 2;
	start = *repeatable ? p + 2 : p;
	len = (size_t)(dot - start);
	if (len + 1 > name_size)
		return false;
	memcpy(name, start, len);
	name[len] = '\0';
	*number = n;
	*is_js = strcmp(dot, ".js") == 0;
	return true;
}

void
migrate_sha1_hex(const void *data, size_t length, char out[MIGRATE_SHA1_HEX])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(data, length, md, &mdlen, EVP_sha1(), NULL) != 1 || mdlen != 20)
		fatal("migrate: SHA-1 digest failed");
	for (unsigned int i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0x0f];
	}
	out[40] = '\0';
}

static struct err *
migrate_read_file(struct migrate_ctx *ctx, struct migrate_file *f)
{
	const char *path = arena_printf(ctx->arena, "%s/%s", ctx->dir, f->file_name);
	size_t size;
	char *data = file_read(path, &size), *buf;

	if (data == NULL)
		return err_newf(MIGRATE_KEY_CONTEXT, 500, "cannot read migration %s: %s", path,
		                strerror(errno));
	buf = arena_alloc(ctx->arena, size + 1);
	memcpy(buf, data, size + 1);
	free(data);
	/* the body goes to Postgres as one C string */
	if (memchr(buf, '\0', size) != NULL)
		return err_newf(MIGRATE_KEY_CONTEXT, 500, "migration %s contains a NUL byte",
		                f->file_name);
	f->content = buf;
	f->length = size;
	migrate_sha1_hex(buf, f->length, f->hash);
	return NULL;
}

static bool
migrate_wanted(const char *file_name)
{
	size_t n = strlen(file_name);

	return (n >= 4 && strcmp(file_name + n - 4, ".sql") == 0) ||
	       (n >= 3 && strcmp(file_name + n - 3, ".js") == 0);
}

/* Collect the names of *.sql and *.js entries, parsed; anything else is ignored. */
static struct err *
migrate_list_dir(struct migrate_ctx *ctx, size_t *count)
{
	DIR *d = opendir(ctx->dir);
	struct dirent *de;
	size_t cap = 16;

	if (d == NULL)
		return err_newf(MIGRATE_KEY_CONTEXT, 500, "cannot open migration directory %s: %s",
		                ctx->dir, strerror(errno));
	ctx->files = arena_alloc(ctx->arena, cap * sizeof(*ctx->files));
	*count = 0;
	while ((de = readdir(d)) != NULL) {
		struct migrate_file *f;
		char name[256];

		if (!migrate_wanted(de->d_name))
			continue;
		if (*count == cap) {
			struct migrate_file *more =
			    arena_alloc(ctx->arena, 2 * cap * sizeof(*ctx->files));

			memcpy(more, ctx->files, cap * sizeof(*ctx->files));
			ctx->files = more;
			cap *= 2;
		}
		f = &ctx->files[(*count)++];
		f->file_name = arena_strdup(ctx->arena, de->d_name);
		if (!migrate_parse_name(de->d_name, &f->number, name, sizeof(name), &f->repeatable,
		                        &f->is_js)) {
			closedir(d); /* de goes with it: name the arena copy */
			return err_newf(
			    MIGRATE_KEY_CONTEXT, 500,
			    "invalid migration file name %s in %s: expected " MIGRATE_PATTERNS,
			    f->file_name, ctx->dir);
		}
		f->name = arena_strdup(ctx->arena, name);
	}
	closedir(d);
	return NULL;
}

static int
migrate_compare(const void *a, const void *b)
{
	const struct migrate_file *x = a, *y = b;

	if (x->number != y->number)
		return x->number < y->number ? -1 : 1;
	return strcmp(x->file_name, y->file_name);
}

struct err *
migrate_read_dir(struct migrate_ctx *ctx)
{
	struct err *e = migrate_list_dir(ctx, &ctx->nfiles);

	if (e != NULL)
		return e;
	qsort(ctx->files, ctx->nfiles, sizeof(*ctx->files), migrate_compare);
	for (size_t i = 1; i < ctx->nfiles; i++)
		if (ctx->files[i].number == ctx->files[i - 1].number)
			return err_newf(MIGRATE_KEY_CONTEXT, 500,
			                "duplicate migration number %" PRId64 ": %s and %s",
			                ctx->files[i].number, ctx->files[i - 1].file_name,
			                ctx->files[i].file_name);
	for (size_t i = 0; i < ctx->nfiles; i++)
		if ((e = migrate_read_file(ctx, &ctx->files[i])) != NULL)
			return e;
	return NULL;
}

struct err *
migrate_session_setup(struct migrate_ctx *ctx)
{
	/* a migration (an index on a big table) may take longer than any request should */
	return pg_exec(ctx->conn, "SET statement_timeout = 0", 0, NULL);
}

struct err *
migrate_lock(struct migrate_ctx *ctx)
{
	return pg_advisory_lock(ctx->conn, MIGRATE_LOCK_KEY);
}

struct err *
migrate_unlock(struct migrate_ctx *ctx)
{
	return pg_advisory_unlock(ctx->conn, MIGRATE_LOCK_KEY);
}

static bool
migrate_is_template_file(const struct migrate_file *f, const char *stored_name)
{
	for (size_t i = 0; i < sizeof(migrate_template_files) / sizeof(migrate_template_files[0]);
	     i++)
		if (f->number == migrate_template_files[i].number && !f->repeatable &&
		    strcmp(f->name, migrate_template_files[i].name) == 0 && stored_name != NULL &&
		    strcmp(stored_name, f->name) == 0)
			return true;
	return false;
}

static struct migrate_file *
migrate_find(struct migrate_ctx *ctx, int64_t number)
{
	for (size_t i = 0; i < ctx->nfiles; i++)
		if (ctx->files[i].number == number)
			return &ctx->files[i];
	return NULL;
}

static void
migrate_set_status(struct migrate_ctx *ctx, struct migrate_file *f, const char *stored_name,
                   const char *stored_hash)
{
	f->stored_hash = arena_strdup(ctx->arena, stored_hash != NULL ? stored_hash : "");
	if (stored_hash != NULL && strcmp(stored_hash, f->hash) == 0)
		f->status = MIGRATE_APPLIED;
	else if (f->repeatable)
		f->status = MIGRATE_RERUN;
	else if (migrate_is_template_file(f, stored_name))
		f->status = MIGRATE_EQUIVALENT;
	else
		f->status = MIGRATE_CHANGED;
}

struct err *
migrate_load_state(struct migrate_ctx *ctx)
{
	struct err *e = NULL;
	PGresult *r;

	for (size_t i = 0; i < ctx->nfiles; i++) {
		ctx->files[i].status = MIGRATE_PENDING;
		ctx->files[i].stored_hash = NULL;
	}
	ctx->table_missing = ctx->conn == NULL;
	if (ctx->conn == NULL)
		return NULL;
	/* the latest row per number; the namespace is written but never read (template) */
	r = pg_query(ctx->conn,
	             "SELECT DISTINCT ON (\"number\") \"number\", \"name\", \"hash\" "
	             "FROM \"migration\" ORDER BY \"number\", \"createdAt\" DESC",
	             0, NULL, &e);
	if (r == NULL && strcmp(e->code, "42P01") == 0) {
		err_free(e);
		ctx->table_missing = true;
		return NULL;
	}
	if (r == NULL)
		return e;
	for (int row = 0; row < PQntuples(r); row++) {
		struct migrate_file *f;

		if (pg_is_null(r, row, 0))
			continue;
		f = migrate_find(ctx, pg_get_int64(r, row, 0));
		if (f != NULL)
			migrate_set_status(ctx, f, pg_get(r, row, 1), pg_get(r, row, 2));
	}
	PQclear(r);
	return NULL;
}

bool
migrate_is_pending(const struct migrate_file *f)
{
	return f->status == MIGRATE_PENDING || f->status == MIGRATE_RERUN;
}

size_t
migrate_pending_count(const struct migrate_ctx *ctx)
{
	size_t n = 0;

	for (size_t i = 0; i < ctx->nfiles; i++)
		n += migrate_is_pending(&ctx->files[i]);
	return n;
}

static bool
migrate_is_changed(const struct migrate_file *f)
{
	return f->status == MIGRATE_CHANGED;
}

static bool
migrate_is_pending_js(const struct migrate_file *f)
{
	return migrate_is_pending(f) && f->is_js;
}

/* "a, b, c": the files that match (arena-owned, "" when none). */
static const char *
migrate_join(const struct migrate_ctx *ctx, bool (*match)(const struct migrate_file *))
{
	char *out = arena_strdup(ctx->arena, "");

	for (size_t i = 0; i < ctx->nfiles; i++)
		if (match(&ctx->files[i]))
			out = arena_printf(ctx->arena, "%s%s%s", out, out[0] != '\0' ? ", " : "",
			                   ctx->files[i].file_name);
	return out;
}

struct err *
migrate_check(const struct migrate_ctx *ctx)
{
	const char *list = migrate_join(ctx, migrate_is_changed);

	if (list[0] != '\0')
		return err_newf(
		    MIGRATE_KEY_HASH_CHANGED, 500,
		    "applied migration(s) changed on disk: %s (the stored SHA-1 differs; "
		    "add a new migration instead of editing an applied one)",
		    list);
	list = migrate_join(ctx, migrate_is_pending_js);
	if (list[0] != '\0')
		return err_newf(MIGRATE_KEY_JS, 500,
		                "pending JavaScript migration(s) cannot run here: %s (only .sql "
		                "migrations can be applied by platform-migrate)",
		                list);
	return NULL;
}

static struct err *
migrate_create_table(struct migrate_ctx *ctx)
{
	return pg_exec_script(ctx->conn,
	                      "CREATE TABLE IF NOT EXISTS \"migration\" ("
	                      "\"namespace\" varchar NOT NULL, \"number\" int NULL, "
	                      "\"name\" varchar NOT NULL, "
	                      "\"createdAt\" timestamptz DEFAULT now(), \"hash\" varchar NULL); "
	                      "CREATE INDEX IF NOT EXISTS \"migration_namespace_number_idx\" "
	                      "ON \"migration\" (\"namespace\", \"number\");");
}

static struct err *
migrate_insert_row(struct migrate_ctx *ctx, const struct migrate_file *f)
{
	char number[24];
	const char *params[4] = { ctx->namespace, number, f->name, f->hash };

	snprintf(number, sizeof(number), "%" PRId64, f->number);
	return pg_exec(ctx->conn,
	               "INSERT INTO \"migration\" (\"namespace\", \"number\", \"name\", \"hash\") "
	               "VALUES ($1, $2, $3, $4)",
	               4, params);
}

static bool
migrate_no_transaction(const struct migrate_file *f)
{
	return strstr(f->content, "-- disable auto transaction") != NULL ||
	       strstr(f->content, "// disable auto transaction") != NULL;
}

/* Run one file: BEGIN, body, row, COMMIT; or body then row when it opts out. */
static struct err *
migrate_run_file(struct migrate_ctx *ctx, const struct migrate_file *f)
{
	bool tx = !migrate_no_transaction(f);
	struct err *e = tx ? pg_begin(ctx->conn) : NULL;

	if (e == NULL)
		e = pg_exec_script(ctx->conn, f->content);
	if (e == NULL)
		e = migrate_insert_row(ctx, f);
	if (e == NULL && tx)
		e = pg_commit(ctx->conn);
	if (e != NULL && tx)
		pg_rollback(ctx->conn);
	return e;
}

static struct err *
migrate_run_error(struct err *cause, const struct migrate_file *f)
{
	struct err *e = err_newf(
	    MIGRATE_KEY_RUN, 500, "migration %s failed (%s): %s", f->file_name,
	    migrate_no_transaction(f) ? "no transaction: partial effects remain" : "rolled back",
	    cause->message);

	/* the template's info: {message, number, name} of the failing file */
	e->info = cJSON_CreateObject();
	cJSON_AddStringToObject(e->info, "message", cause->message);
	cJSON_AddNumberToObject(e->info, "number", (double)f->number);
	cJSON_AddStringToObject(e->info, "name", f->name);
	snprintf(e->code, sizeof(e->code), "%s", cause->code);
	err_free(cause);
	return e;
}

static const struct migrate_file *
migrate_first_pending(const struct migrate_ctx *ctx)
{
	for (size_t i = 0; i < ctx->nfiles; i++)
		if (migrate_is_pending(&ctx->files[i]))
			return &ctx->files[i];
	return NULL;
}

struct err *
migrate_apply(struct migrate_ctx *ctx)
{
	const struct migrate_file *first = migrate_first_pending(ctx);
	struct err *e;

	if (first == NULL)
		return NULL;
	/* old projects create the table in their own first migration (template rule) */
	if (ctx->table_missing &&
	    strstr(first->content, "migration_namespace_number_idx") == NULL &&
	    (e = migrate_create_table(ctx)) != NULL)
		return e;
	for (size_t i = 0; i < ctx->nfiles; i++) {
		const struct migrate_file *f = &ctx->files[i];

		if (!migrate_is_pending(f))
			continue;
		if ((e = migrate_run_file(ctx, f)) != NULL)
			return migrate_run_error(e, f);
		log_info(ctx->lg, "migrate", "Applied migration %s (%" PRId64 "-%s%s).",
		         f->file_name, f->number, f->name, f->repeatable ? ", repeatable" : "");
	}
	return NULL;
}

struct err *
migrate_rebuild(struct migrate_ctx *ctx)
{
	struct err *e = NULL;

	if (ctx->table_missing)
		e = migrate_create_table(ctx);
	if (e == NULL)
		e = pg_begin(ctx->conn);
	if (e != NULL)
		return e;
	e = pg_exec(ctx->conn, "DELETE FROM \"migration\"", 0, NULL);
	for (size_t i = 0; e == NULL && i < ctx->nfiles; i++)
		e = migrate_insert_row(ctx, &ctx->files[i]);
	if (e == NULL)
		e = pg_commit(ctx->conn);
	if (e != NULL)
		pg_rollback(ctx->conn);
	return e;
}

static char *
migrate_append_list(const struct migrate_ctx *ctx, char *out, const char *title, bool changes)
{
	bool any = false;

	for (size_t i = 0; i < ctx->nfiles; i++) {
		const struct migrate_file *f = &ctx->files[i];
		bool in = changes ? (f->status == MIGRATE_CHANGED || f->status == MIGRATE_RERUN)
		                  : migrate_is_pending(f);

		if (!in)
			continue;
		if (!any)
			out = arena_printf(ctx->arena, "%s%s%s\n", out, out[0] != '\0' ? "\n" : "",
			                   title);
		any = true;
		out = arena_printf(ctx->arena, "%s- %" PRId64 "-%s%s\n", out, f->number, f->name,
		                   !changes && f->repeatable ? " (repeatable)" : "");
	}
	return out;
}

const char *
migrate_info_text(const struct migrate_ctx *ctx)
{
	char *out = arena_strdup(ctx->arena, "");
	size_t n;

	out = migrate_append_list(ctx, out, "Pending migrations:", false);
	out = migrate_append_list(ctx, out, "Hash changes:", true);
	if (out[0] == '\0')
		return "No migration changes detected.";
	n = strlen(out);
	if (n > 0 && out[n - 1] == '\n')
		out[n - 1] = '\0';
	return out;
}

static cJSON *
migrate_file_json(const struct migrate_file *f)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "number", (double)f->number);
	cJSON_AddStringToObject(o, "name", f->name);
	cJSON_AddStringToObject(o, "file", f->file_name);
	cJSON_AddBoolToObject(o, "repeatable", f->repeatable);
	cJSON_AddStringToObject(o, "hash", f->hash);
	if (f->stored_hash != NULL)
		cJSON_AddStringToObject(o, "storedHash", f->stored_hash);
	return o;
}

cJSON *
migrate_info_json(const struct migrate_ctx *ctx)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *applied = cJSON_AddArrayToObject(o, "applied");
	cJSON *pending = cJSON_AddArrayToObject(o, "pending");
	cJSON *changed = cJSON_AddArrayToObject(o, "changed");
	cJSON *equivalent = cJSON_AddArrayToObject(o, "templateEquivalent");

	if (o == NULL || applied == NULL || pending == NULL || changed == NULL ||
	    equivalent == NULL)
		fatal_oom();
	for (size_t i = 0; i < ctx->nfiles; i++) {
		const struct migrate_file *f = &ctx->files[i];

		if (f->status != MIGRATE_PENDING)
			cJSON_AddItemToArray(applied, migrate_file_json(f));
		if (migrate_is_pending(f))
			cJSON_AddItemToArray(pending, migrate_file_json(f));
		if (f->status == MIGRATE_CHANGED || f->status == MIGRATE_RERUN)
			cJSON_AddItemToArray(changed, migrate_file_json(f));
		if (f->status == MIGRATE_EQUIVALENT)
			cJSON_AddItemToArray(equivalent, migrate_file_json(f));
	}
	return o;
}
