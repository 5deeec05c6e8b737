/* platform-migrate: the command line around the migration runner. One-shot: exit 0 means
 * the database is migrated (or, with --info/--dry-run, that the report was printed). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "daemon.h"
#include "exitcode.h"
#include "migrate.h"
#include "pg.h"

enum main_mode { MAIN_APPLY, MAIN_INFO, MAIN_DRY_RUN, MAIN_REBUILD };

struct main_opts {
	const char *config_path;
	const char *dir;
	enum main_mode mode;
};

static const char main_usage[] =
    "usage: platform-migrate [--config FILE] [--dir DIR] [--info | --dry-run | --rebuild]\n"
    "\n"
    "Applies the pending migrations in DIR (default: ./migrations) to the configured\n"
    "database, each file in its own transaction, under the advisory lock -9876453452 so\n"
    "concurrent runs (also the template's own `compas migrate`) serialize. Creates the\n"
    "database when it does not exist.\n"
    "\n"
    "  --config FILE  configuration file (default: $PLATFORM_CONFIG, else none)\n"
    "  --dir DIR      migration directory (default: migrations)\n"
    "  --info         print what is applied, pending and changed; change nothing\n"
    "  --dry-run      print what would be applied and check it; change nothing\n"
    "  --rebuild      replace all `migration` rows with one per file and its current hash\n"
    "  --help         this text\n"
    "\n"
    "Exit codes:\n"
    "  0   done (nothing left to apply), or the report was printed\n"
    "  1   unexpected database error\n"
    "  64  bad command line\n"
    "  65  a migration failed (rolled back), an applied migration changed on disk,\n"
    "      a pending .js migration, a bad file name or a duplicate number\n"
    "  69  database unreachable after all retries\n"
    "  78  configuration error\n";

static void
main_parse(int argc, char **argv, struct main_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dir", required_argument, NULL, 'd' },
		{ "info", no_argument, NULL, 'i' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "rebuild", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, modes = 0;

	o->config_path = NULL;
	o->dir = "migrations";
	o->mode = MAIN_APPLY;
	while ((c = getopt_long(argc, argv, "c:d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config_path = optarg;
			break;
		case 'd':
			o->dir = optarg;
			break;
		case 'i':
		case 'n':
		case 'r':
			o->mode = c == 'i' ? MAIN_INFO : c == 'n' ? MAIN_DRY_RUN : MAIN_REBUILD;
			modes++;
			break;
		case 'h':
			fputs(main_usage, stdout);
			exit(EXIT_OK);
		default:
			fputs(main_usage, stderr);
			exit(EXIT_USAGE);
		}
	}
	if (optind < argc || modes > 1) {
		fprintf(stderr, "platform-migrate: %s\n\n%s",
		        optind < argc ? "unexpected argument"
		                      : "choose one of --info, --dry-run, "
		                        "--rebuild",
		        main_usage);
		exit(EXIT_USAGE);
	}
}

static bool
main_changes_nothing(enum main_mode mode)
{
	return mode == MAIN_INFO || mode == MAIN_DRY_RUN;
}

/* Open the one connection. In --info/--dry-run a missing database is not created: it is
 * reported as "everything pending" with conn NULL. */
static struct err *
main_connect(const struct config *cfg, const struct logger *lg, enum main_mode mode, PGconn **conn)
{
	struct err *e = NULL;

	*conn = NULL;
	if (!main_changes_nothing(mode) && (e = pg_create_database_if_missing(cfg, lg)) != NULL)
		return e;
	*conn = pg_connect(cfg, lg, NULL, &e);
	if (*conn == NULL && main_changes_nothing(mode) && strstr(e->message, "does not exist")) {
		log_info(lg, "migrate",
		         "Database %s does not exist yet: every migration is pending.",
		         config_db_name(cfg));
		err_free(e);
		return NULL;
	}
	return e;
}

static void
main_report(const struct migrate_ctx *ctx)
{
	cJSON *context = cJSON_CreateObject();
	const char *equivalent = NULL;

	cJSON_AddStringToObject(context, "type", "migrate_info");
	log_json(ctx->lg, LOG_INFO, context, cJSON_CreateString(migrate_info_text(ctx)));
	log_json(ctx->lg, LOG_INFO, context, migrate_info_json(ctx));
	cJSON_Delete(context);
	for (size_t i = 0; i < ctx->nfiles; i++)
		if (ctx->files[i].status == MIGRATE_EQUIVALENT)
			equivalent = arena_printf(ctx->arena, "%s%s%" PRId64 "-%s",
			                          equivalent != NULL ? equivalent : "",
			                          equivalent != NULL ? ", " : "",
			                          ctx->files[i].number, ctx->files[i].name);
	if (equivalent != NULL)
		log_info(ctx->lg, "migrate_info",
		         "Template-equivalent migrations (applied by the template, same name, "
		         "other bytes; accepted): %s",
		         equivalent);
}

static struct err *
main_apply(struct migrate_ctx *ctx)
{
	struct err *e = migrate_check(ctx);

	if (e != NULL)
		return e;
	if (migrate_pending_count(ctx) == 0) {
		log_info(ctx->lg, "migrate", "No pending migrations: nothing to do.");
		return NULL;
	}
	log_info(ctx->lg, "migrate", "Start migrating.");
	if ((e = migrate_apply(ctx)) != NULL)
		return e;
	log_info(ctx->lg, "migrate", "Done migrating.");
	return NULL;
}

static struct err *
main_dry_run(struct migrate_ctx *ctx)
{
	struct err *e = migrate_check(ctx);

	if (e != NULL)
		return e;
	for (size_t i = 0; i < ctx->nfiles; i++)
		if (migrate_is_pending(&ctx->files[i]))
			log_info(ctx->lg, "migrate", "Dry run: would apply %s.",
			         ctx->files[i].file_name);
	log_info(ctx->lg, "migrate", "Dry run: %zu migration(s) would be applied; nothing changed.",
	         migrate_pending_count(ctx));
	return NULL;
}

/* Everything after the directory is read, under the lock when there is a database. */
static struct err *
main_run_locked(struct migrate_ctx *ctx, enum main_mode mode)
{
	struct err *e = migrate_load_state(ctx);

	if (e != NULL)
		return e;
	main_report(ctx);
	switch (mode) {
	case MAIN_INFO:
		return NULL;
	case MAIN_DRY_RUN:
		return main_dry_run(ctx);
	case MAIN_REBUILD:
		if ((e = migrate_rebuild(ctx)) == NULL)
			log_info(ctx->lg, "migrate",
			         "Rebuilt the migration table from %zu file(s).", ctx->nfiles);
		return e;
	case MAIN_APPLY:
		break;
	}
	return main_apply(ctx);
}

static struct err *
main_run(struct migrate_ctx *ctx, const struct config *cfg, enum main_mode mode)
{
	struct err *e = migrate_read_dir(ctx);

	if (e == NULL)
		e = main_connect(cfg, ctx->lg, mode, &ctx->conn);
	if (e != NULL)
		return e;
	if (ctx->conn == NULL) /* --info/--dry-run and no database yet: nothing to lock */
		return main_run_locked(ctx, mode);
	if ((e = migrate_session_setup(ctx)) != NULL || (e = migrate_lock(ctx)) != NULL)
		return e;
	e = main_run_locked(ctx, mode);
	if (e == NULL)
		e = migrate_unlock(ctx);
	/* on an error the lock goes with the connection */
	return e;
}

/* Connection trouble (none, or lost) is EXIT_DB whatever the step; problems with the
 * migrations themselves are EXIT_MIGRATION; anything else the database said, EXIT_RUNTIME. */
static int
main_exit_code(const struct err *e, PGconn *conn)
{
	if (e == NULL)
		return EXIT_OK;
	if (conn != NULL && PQstatus(conn) != CONNECTION_OK)
		return EXIT_DB;
	if (strncmp(e->key, "store.migrate", 13) == 0)
		return EXIT_MIGRATION;
	if (conn == NULL && e->code[0] == '\0')
		return EXIT_DB;
	return EXIT_RUNTIME;
}

int
main(int argc, char **argv)
{
	struct main_opts opts;
	struct config cfg;
	struct logger lg;
	struct migrate_ctx ctx = { 0 };
	struct err *e;
	int code;

	main_parse(argc, argv, &opts);
	daemon_setup("migrate", opts.config_path, &cfg, &lg);
	ctx.lg = &lg;
	ctx.arena = arena_new();
	ctx.dir = opts.dir;
	ctx.namespace = cfg.app_name;
	e = main_run(&ctx, &cfg, opts.mode);
	code = main_exit_code(e, ctx.conn);
	if (e != NULL) {
		cJSON *context = cJSON_CreateObject();

		cJSON_AddStringToObject(context, "type", "migrate");
		log_json(&lg, LOG_ERROR, context, err_to_log(e));
		cJSON_Delete(context);
		fprintf(stderr, "platform-migrate: %s\n", e->message);
		err_free(e);
	}
	if (ctx.conn != NULL)
		PQfinish(ctx.conn);
	arena_free(ctx.arena);
	config_free(&cfg);
	return code;
}
