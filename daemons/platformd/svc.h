/* The service table as data: each row names a daemon, how to run it, what it waits
 * for, how it says it is ready and how it is stopped. Rows are in dependency order
 * (a row depends only on rows above it); stopping goes bottom-up. */
#ifndef PLATFORMD_SVC_H
#define PLATFORMD_SVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"

#define SVC_MAX      16
#define SVC_NAME_MAX 32

enum svc_kind {
	SVC_ONESHOT, /* done when it exits 0; dependents start after that */
	SVC_NOTIFY,  /* ready when it sends READY=1 to $NOTIFY_SOCKET */
	SVC_PGREADY, /* ready when the PostgreSQL server accepts connections */
	SVC_SIMPLE,  /* ready once started */
};

struct svc_def {
	char name[SVC_NAME_MAX];
	enum svc_kind kind;
	char **argv;          /* owned, NULL-terminated */
	size_t deps[SVC_MAX]; /* indices of rows above */
	size_t ndeps;
	char *user;              /* run as this user when platformd is root; NULL: unchanged */
	int stop_signal;         /* SIGTERM, or SIGINT for PostgreSQL's fast shutdown */
	int64_t stop_timeout_ms; /* SIGKILL after this; 0: supervisor.stop_timeout_s */
	int pg_port;             /* SVC_PGREADY: port on 127.0.0.1 */
};

struct svc_table {
	struct svc_def svc[SVC_MAX];
	size_t n;
	int64_t backoff_base_ms; /* first restart delay, doubled per failure */
	int64_t backoff_max_ms;  /* cap */
	int64_t reset_after_ms;  /* up this long: the next failure starts at base again */
};

/* Test and custom tables, one row per line ("#" comments):
 *   <name> <oneshot|notify|simple> <deps: a,b or -> <command> [args...]
 *   postgres embedded -          (first row only: the embedded cluster, as built in)
 *   backoff <base_ms> <max_ms> <reset_after_ms>
 * Arguments are split on blanks (no quoting). */
struct err *svc_table_load_file(struct svc_table *t, const char *path, const struct config *cfg,
                                const char *var_dir);

/* The platform's own table: [postgres], migrate, api, queue, with executables found
 * next to platformd (installed) or in the build tree (../migrate, ../api, ../queue). */
struct err *svc_table_builtin(struct svc_table *t, const struct config *cfg, bool embedded_pg,
                              const char *var_dir);

void svc_table_free(struct svc_table *t);
const char *svc_kind_name(enum svc_kind kind);
/* Index of the row named name, or -1. */
int svc_table_find(const struct svc_table *t, const char *name);

#endif
