/* Service tables: the built-in one and ones read from a file (tests, custom set-ups). */
#include "svc.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fatal.h"
#include "pgembed.h"

#define SVC_ARGS_MAX 64

static struct err *svc_add_postgres(struct svc_table *t, const struct config *cfg,
                                    const char *var_dir);

static const char *const svc_kind_names[] = { "oneshot", "notify", "pgready", "simple" };

const char *
svc_kind_name(enum svc_kind kind)
{
	return svc_kind_names[kind];
}

int
svc_table_find(const struct svc_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->svc[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void
svc_table_init(struct svc_table *t)
{
	memset(t, 0, sizeof(*t));
	t->backoff_base_ms = 100;
	t->backoff_max_ms = 30000;
	t->reset_after_ms = 10000;
}

static bool
svc_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= SVC_NAME_MAX || strcmp(s, "platformd") == 0)
		return false;
	for (; *s != '\0'; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-' &&
		    *s != '_')
			return false;
	return true;
}

static char **
svc_argv_new(char *const *words, size_t n)
{
	char **argv = xcalloc(n + 1, sizeof(char *));

	for (size_t i = 0; i < n; i++)
		argv[i] = xstrdup(words[i]);
	return argv;
}

static struct svc_def *
svc_table_add(struct svc_table *t, const char *name, enum svc_kind kind)
{
	struct svc_def *d = &t->svc[t->n++];

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->kind = kind;
	d->stop_signal = SIGTERM;
	return d;
}

static struct err *
svc_parse_deps(struct svc_table *t, struct svc_def *d, char *deps, const char *where)
{
	char *save = NULL;

	if (strcmp(deps, "-") == 0)
		return NULL;
	for (char *p = strtok_r(deps, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save)) {
		int i = svc_table_find(t, p);

		if (i < 0 || (size_t)i >= t->n - 1)
			return err_newf("platformd.services", 500,
			                "%s: dependency '%s' is not a service defined above", where,
			                p);
		d->deps[d->ndeps++] = (size_t)i;
	}
	return NULL;
}

static struct err *
svc_parse_backoff(struct svc_table *t, char **w, size_t n, const char *where)
{
	int64_t v[3];

	if (n != 4)
		return err_newf("platformd.services", 500,
		                "%s: expected 'backoff <base_ms> <max_ms> <reset_after_ms>'",
		                where);
	for (size_t i = 0; i < 3; i++) {
		char *end;

		errno = 0;
		v[i] = strtoll(w[i + 1], &end, 10);
		if (errno != 0 || *end != '\0' || v[i] < 1 || v[i] > 86400000)
			return err_newf("platformd.services", 500, "%s: bad number '%s'", where,
			                w[i + 1]);
	}
	t->backoff_base_ms = v[0];
	t->backoff_max_ms = v[1];
	t->reset_after_ms = v[2];
	return NULL;
}

static struct err *
svc_parse_line(struct svc_table *t, char *line, const char *where, const struct config *cfg,
               const char *var_dir)
{
	char *w[SVC_ARGS_MAX], *save = NULL;
	size_t n = 0;
	int kind = -1;
	struct svc_def *d;

	for (char *p = strtok_r(line, " \t\r\n", &save); p != NULL;
	     p = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == SVC_ARGS_MAX)
			return err_newf("platformd.services", 500, "%s: too many words", where);
		w[n++] = p;
	}
	if (n == 0 || w[0][0] == '#')
		return NULL;
	if (strcmp(w[0], "backoff") == 0)
		return svc_parse_backoff(t, w, n, where);
	if (n == 3 && strcmp(w[0], "postgres") == 0 && strcmp(w[1], "embedded") == 0 &&
	    strcmp(w[2], "-") == 0 && t->n == 0)
		return svc_add_postgres(t, cfg, var_dir);
	if (n < 4)
		return err_newf("platformd.services", 500,
		                "%s: expected '<name> <kind> <deps> <command> [args...]'", where);
	for (size_t k = 0; k < sizeof(svc_kind_names) / sizeof(svc_kind_names[0]); k++)
		if (strcmp(w[1], svc_kind_names[k]) == 0 && k != SVC_PGREADY)
			kind = (int)k;
	if (kind < 0)
		return err_newf("platformd.services", 500,
		                "%s: kind '%s' is not oneshot, notify or simple", where, w[1]);
	if (!svc_name_ok(w[0]) || svc_table_find(t, w[0]) >= 0)
		return err_newf("platformd.services", 500,
		                "%s: bad or duplicate service name '%s' (a-z, 0-9, -, _)", where,
		                w[0]);
	if (t->n == SVC_MAX)
		return err_newf("platformd.services", 500, "%s: more than %d services", where,
		                SVC_MAX);
	d = svc_table_add(t, w[0], (enum svc_kind)kind);
	d->argv = svc_argv_new(w + 3, n - 3);
	return svc_parse_deps(t, d, w[2], where);
}

struct err *
svc_table_load_file(struct svc_table *t, const char *path, const struct config *cfg,
                    const char *var_dir)
{
	FILE *f = fopen(path, "r");
	char line[4096], where[600];
	int lineno = 0;
	struct err *e = NULL;

	svc_table_init(t);
	if (f == NULL)
		return err_newf("platformd.services", 500, "cannot open %s: %s", path,
		                strerror(errno));
	while (e == NULL && fgets(line, sizeof(line), f) != NULL) {
		snprintf(where, sizeof(where), "%s:%d", path, ++lineno);
		e = svc_parse_line(t, line, where, cfg, var_dir);
	}
	fclose(f);
	if (e == NULL && t->n == 0)
		e = err_newf("platformd.services", 500, "%s: no services", path);
	return e;
}

/* Directory of the running executable. */
static char *
svc_self_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	char *slash;

	if (n <= 0)
		return xstrdup(".");
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	return xstrdup(buf);
}

/* <self>/<exe>, else <self>/../<subdir>/<exe> (the build tree). */
static struct err *
svc_find_exe(const char *self, const char *subdir, const char *exe, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", self, exe);
	if (access(out, X_OK) == 0)
		return NULL;
	snprintf(out, n, "%s/../%s/%s", self, subdir, exe);
	if (access(out, X_OK) == 0)
		return NULL;
	return err_newf("platformd.services", 500, "%s not found next to platformd (%s)", exe,
	                self);
}

static struct err *
svc_add_postgres(struct svc_table *t, const struct config *cfg, const char *var_dir)
{
	char *bindir = pgembed_bindir(), *datadir, exe[4096], port[32];
	struct svc_def *d;

	if (bindir == NULL)
		return err_newf("platformd.services", 500,
		                "embedded PostgreSQL: server binaries not found (apt-get install "
		                "postgresql, or set PG_BIN, or configure db.host)");
	snprintf(exe, sizeof(exe), "%s/postgres", bindir);
	snprintf(port, sizeof(port), "port=%d", (int)cfg->supervisor_postgres_port);
	datadir = pgembed_datadir(var_dir);
	d = svc_table_add(t, "postgres", SVC_PGREADY);
	d->argv = svc_argv_new((char *[]){ exe, "-D", datadir, "-c", port, "-c",
	                                   "listen_addresses=127.0.0.1", "-c",
	                                   "unix_socket_directories=" },
	                       9);
	d->user = xstrdup("postgres");
	d->stop_signal = SIGINT; /* fast shutdown: do not wait for clients */
	d->pg_port = (int)cfg->supervisor_postgres_port;
	free(datadir);
	free(bindir);
	return NULL;
}

struct err *
svc_table_builtin(struct svc_table *t, const struct config *cfg, bool embedded_pg,
                  const char *var_dir)
{
	static const struct {
		const char *name, *subdir, *exe;
		enum svc_kind kind;
	} rows[] = {
		{ "migrate", "migrate", "platform-migrate", SVC_ONESHOT },
		{ "api", "api", "platform-api", SVC_NOTIFY },
		{ "queue", "queue", "platform-queue", SVC_NOTIFY },
	};
	char *self = svc_self_dir(), exe[4096];
	struct err *e = NULL;

	svc_table_init(t);
	if (embedded_pg)
		e = svc_add_postgres(t, cfg, var_dir);
	for (size_t i = 0; e == NULL && i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct svc_def *d;

		if ((e = svc_find_exe(self, rows[i].subdir, rows[i].exe, exe, sizeof(exe))) != NULL)
			break;
		d = svc_table_add(t, rows[i].name, rows[i].kind);
		d->argv = svc_argv_new((char *[]){ exe }, 1);
		/* let the daemon's own drain finish before SIGKILL */
		if (strcmp(rows[i].name, "api") == 0)
			d->stop_timeout_ms = (cfg->api_shutdown_timeout_s + 5) * 1000;
		else if (strcmp(rows[i].name, "queue") == 0)
			d->stop_timeout_ms = (cfg->queue_shutdown_timeout_s + 5) * 1000;
		if (i == 0 && embedded_pg)
			d->deps[d->ndeps++] = 0; /* migrate after postgres */
		else if (i > 0)
			d->deps[d->ndeps++] = (size_t)svc_table_find(t, "migrate");
	}
	free(self);
	return e;
}

void
svc_table_free(struct svc_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		for (char **a = t->svc[i].argv; a != NULL && *a != NULL; a++)
			free(*a);
		free(t->svc[i].argv);
		free(t->svc[i].user);
	}
	t->n = 0;
}
