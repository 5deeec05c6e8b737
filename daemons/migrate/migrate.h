/* The migration runner (platform-runtime §2): read and hash the migration files, compare them
 * with the `migration` table, and apply what is pending under one advisory lock. */
#ifndef MIGRATE_MIGRATE_H
#define MIGRATE_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>
#include <cjson/cJSON.h>

#include "arena.h"
#include "err.h"
#include "log.h"

/* The template's lock key: concurrent runs (also Node ones) serialize on it. */
#define MIGRATE_LOCK_KEY (-9876453452LL)
#define MIGRATE_SHA1_HEX 41 /* 40 lowercase hex digits and a NUL */

/* Error keys. The first two are the template's; the others are ours. */
#define MIGRATE_KEY_CONTEXT      "store.migrateContext.error" /* directory or file names */
#define MIGRATE_KEY_RUN          "store.migrateRun.error"     /* a migration failed */
#define MIGRATE_KEY_HASH_CHANGED "store.migrateHashChanged.error"
#define MIGRATE_KEY_JS           "store.migrateJs.error" /* a pending .js file */

enum migrate_status {
	MIGRATE_PENDING,    /* never applied */
	MIGRATE_APPLIED,    /* applied with the same hash */
	MIGRATE_CHANGED,    /* applied, hash differs (refused for forward migrations) */
	MIGRATE_RERUN,      /* repeatable, applied, hash differs: runs again */
	MIGRATE_EQUIVALENT, /* 001-003 applied by the template: same name, other bytes */
};

struct migrate_file {
	const char *file_name; /* "001-compas-store.sql" */
	int64_t number;
	const char *name; /* "compas-store" */
	bool repeatable;
	bool is_js;
	const char *content; /* NUL-terminated file bytes */
	size_t length;
	char hash[MIGRATE_SHA1_HEX];
	enum migrate_status status;
	const char *stored_hash; /* latest row's hash, NULL when never applied */
};

/* One run: the connection (used for everything, lock included), where files come from,
 * the namespace written to new rows and an arena that owns every allocation. */
struct migrate_ctx {
	PGconn *conn; /* NULL when the database does not exist yet (info and dry-run) */
	const struct logger *lg;
	struct arena *arena;
	const char *dir;
	const char *namespace; /* app.name */
	struct migrate_file *files;
	size_t nfiles;
	bool table_missing; /* the `migration` table does not exist */
};

/* Parse a file name with the anchored grammar ^[0-9]+-(r-)?[A-Za-z-]+\.(sql|js)$.
 * name receives the name part (no number, no "r-", no extension). False when it does
 * not match or the number does not fit a Postgres int. */
bool migrate_parse_name(const char *file_name, int64_t *number, char *name, size_t name_size,
                        bool *repeatable, bool *is_js);
/* Lowercase hex SHA-1 of data (OpenSSL EVP). */
void migrate_sha1_hex(const void *data, size_t length, char out[MIGRATE_SHA1_HEX]);

/* Read ctx->dir: every *.sql and *.js file, parsed, hashed and sorted by number. A
 * name that does not match or a duplicate number is an error naming the file(s). */
struct err *migrate_read_dir(struct migrate_ctx *ctx);
/* Session settings for migrating: no statement timeout. */
struct err *migrate_session_setup(struct migrate_ctx *ctx);
/* Take and release the session advisory lock on ctx->conn. */
struct err *migrate_lock(struct migrate_ctx *ctx);
struct err *migrate_unlock(struct migrate_ctx *ctx);
/* Compare the files with the latest `migration` row per number; sets each status. */
struct err *migrate_load_state(struct migrate_ctx *ctx);
/* Refuse to run: changed forward migrations, pending .js files. */
struct err *migrate_check(const struct migrate_ctx *ctx);
/* Whether a file runs in this run (pending or a changed repeatable). */
bool migrate_is_pending(const struct migrate_file *f);
size_t migrate_pending_count(const struct migrate_ctx *ctx);
/* Apply every pending file, each in its own transaction unless it opts out. Creates the
 * `migration` table first when missing. Stops at the first failure (key MIGRATE_KEY_RUN,
 * naming the file). */
struct err *migrate_apply(struct migrate_ctx *ctx);
/* Replace all rows with one per file on disk and its current hash (one transaction). */
struct err *migrate_rebuild(struct migrate_ctx *ctx);

/* The template's info text: "Pending migrations:\n- 1-name ..." / "Hash changes:" or
 * "No migration changes detected." (arena-owned). */
const char *migrate_info_text(const struct migrate_ctx *ctx);
/* Structured form {applied, pending, changed, templateEquivalent}: arrays of
 * {number, name, file, repeatable, hash, storedHash}; "applied" is every file with a row.
 * Caller owns it. */
cJSON *migrate_info_json(const struct migrate_ctx *ctx);

#endif
