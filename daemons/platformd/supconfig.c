/* Supervisor configuration and the embedded default's environment. */
#include "supconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fatal.h"
#include "random.h"

char *
supconfig_path(const struct supconfig *sc, const char *rel)
{
	size_t n = strlen(sc->var_dir) + strlen(rel) + 2;
	char *p = xmalloc(n);

	snprintf(p, n, "%s/%s", sc->var_dir, rel);
	return p;
}

static struct err *
supconfig_mkdir(const char *path)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return err_newf("platformd.dir", 500, "cannot create %s: %s", path,
		                strerror(errno));
	return NULL;
}

struct err *
supconfig_make_dirs(const struct supconfig *sc)
{
	static const char *const subdirs[] = { "log", "run" };
	struct err *e = supconfig_mkdir(sc->var_dir);

	for (size_t i = 0; e == NULL && i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		char *p = supconfig_path(sc, subdirs[i]);

		e = supconfig_mkdir(p);
		free(p);
	}
	return e;
}

static char *
supconfig_absolute(const char *dir)
{
	char cwd[PATH_MAX];
	size_t n;
	char *p;

	if (dir[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return xstrdup(dir);
	n = strlen(cwd) + strlen(dir) + 2;
	p = xmalloc(n);
	snprintf(p, n, "%s/%s", cwd, dir);
	return p;
}

/* var/app_keys: read it, or create it with a random key (0600) on first start. */
static struct err *
supconfig_app_keys(const struct supconfig *sc)
{
	char *path = supconfig_path(sc, "app_keys"), key[128] = "";
	FILE *f = fopen(path, "r");
	struct err *e = NULL;

	if (f != NULL) {
		if (fgets(key, sizeof(key), f) == NULL)
			key[0] = '\0';
		fclose(f);
		key[strcspn(key, "\r\n")] = '\0';
	}
	if (strlen(key) < 20) {
		int fd;

		random_token(key, sizeof(key), 32);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, key, strlen(key)) != (ssize_t)strlen(key))
			e = err_newf("platformd.appKeys", 500, "cannot write %s: %s", path,
			             strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	if (e == NULL)
		setenv("APP_KEYS", key, 1);
	free(path);
	return e;
}

/* The local cluster as the database. With supervisor.postgres = on the PLATFORM_
 * variables win over a configured database; with auto none is configured. */
static void
supconfig_export_db(const struct config *cfg)
{
	bool force = strcmp(cfg->supervisor_postgres, "on") == 0;
	char port[16];

	snprintf(port, sizeof(port), "%d", (int)cfg->supervisor_postgres_port);
	setenv(force ? "PLATFORM_DB_HOST" : "POSTGRES_HOST", "127.0.0.1", 1);
	setenv(force ? "PLATFORM_DB_PORT" : "POSTGRES_PORT", port, 1);
	setenv(force ? "PLATFORM_DB_USER" : "POSTGRES_USER", "postgres", 1);
	setenv("PLATFORM_DB_SSLMODE", "disable", 1);
}

/* Fill what the embedded default supplies; true if anything changed. */
static struct err *
supconfig_fill(struct supconfig *sc, bool *changed)
{
	struct config *cfg = &sc->cfg;
	bool no_db = cfg->db_host == NULL && cfg->db_uri == NULL;
	struct err *e;

	*changed = false;
	sc->embedded_pg = strcmp(cfg->supervisor_postgres, "on") == 0 ||
	                  (strcmp(cfg->supervisor_postgres, "auto") == 0 && no_db);
	if ((e = supconfig_make_dirs(sc)) != NULL)
		return e;
	if (cfg->app_keys == NULL) {
		if ((e = supconfig_app_keys(sc)) != NULL)
			return e;
		*changed = true;
	}
	if (sc->embedded_pg) {
		supconfig_export_db(cfg);
		*changed = true;
	}
	return NULL;
}

struct err *
supconfig_load(struct supconfig *sc, const char *path, bool fill)
{
	struct err *e;
	bool changed = false;

	memset(sc, 0, sizeof(*sc));
	if (path != NULL) {
		char *abs = supconfig_absolute(path);

		setenv("PLATFORM_CONFIG", abs, 1); /* the children read the same file */
		free(abs);
	}
	e = config_load(&sc->cfg, NULL);
	if (e != NULL && strcmp(e->key, "config.missing") != 0)
		return e;
	sc->var_dir = supconfig_absolute(sc->cfg.var_dir);
	if (!fill)
		goto out;
	err_free(e);
	e = supconfig_fill(sc, &changed);
	if (e != NULL || !changed)
		return e;
	config_free(&sc->cfg);
	e = config_load(&sc->cfg, NULL);
out:
	if (e != NULL && !fill) {
		err_free(e); /* platformctl needs only var_dir and the supervisor keys */
		e = NULL;
	}
	return e;
}

void
supconfig_free(struct supconfig *sc)
{
	config_free(&sc->cfg);
	free(sc->var_dir);
	sc->var_dir = NULL;
}
