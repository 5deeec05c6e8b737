/* Embedded PostgreSQL: locate the binaries, initdb on first start, readiness ping. */
#include "pgembed.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libpq-fe.h>

#include "fatal.h"

#define PGEMBED_USER "postgres"

static bool
pgembed_is_exe(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, X_OK) == 0;
}

char *
pgembed_bindir(void)
{
	const char *env = getenv("PG_BIN");
	DIR *d;
	struct dirent *de;
	long best = -1;
	char path[512];

	if (env != NULL && *env != '\0')
		return xstrdup(env);
	d = opendir("/usr/lib/postgresql");
	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long v = strtol(de->d_name, &end, 10);

		snprintf(path, sizeof(path), "/usr/lib/postgresql/%s/bin", de->d_name);
		if (*end == '\0' && end != de->d_name && v > best &&
		    pgembed_is_exe(path, "postgres"))
			best = v;
	}
	closedir(d);
	if (best < 0)
		return NULL;
	snprintf(path, sizeof(path), "/usr/lib/postgresql/%ld/bin", best);
	return xstrdup(path);
}

char *
pgembed_datadir(const char *var_dir)
{
	size_t n = strlen(var_dir) + sizeof("/pg/data");
	char *p = xmalloc(n), *real;

	snprintf(p, n, "%s/pg", var_dir);
	/* var/pg may be a symlink to /tmp (scripts/env.sh) when the postgres user cannot
	 * traverse the checkout: hand the server the resolved path. */
	real = realpath(p, NULL);
	if (real != NULL) {
		free(p);
		n = strlen(real) + sizeof("/data");
		p = xmalloc(n);
		snprintf(p, n, "%s/data", real);
		free(real);
		return p;
	}
	snprintf(p, n, "%s/pg/data", var_dir);
	return p;
}

bool
pgembed_become(const char *user)
{
	struct passwd *pw;

	if (user == NULL || geteuid() != 0)
		return true;
	pw = getpwnam(user);
	if (pw == NULL) {
		errno = ENOENT;
		return false;
	}
	return setgroups(0, NULL) == 0 && setgid(pw->pw_gid) == 0 && setuid(pw->pw_uid) == 0;
}

/* As root, the cluster root must belong to the postgres user. */
static struct err *
pgembed_make_root(const char *var_dir)
{
	char path[4096];
	struct passwd *pw;

	snprintf(path, sizeof(path), "%s/pg", var_dir);
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return err_newf("platformd.pg", 500, "cannot create %s: %s", path, strerror(errno));
	if (geteuid() != 0)
		return NULL;
	pw = getpwnam(PGEMBED_USER);
	if (pw == NULL)
		return err_newf("platformd.pg", 500,
		                "user '%s' missing (apt-get install postgresql creates it)",
		                PGEMBED_USER);
	if (chown(path, pw->pw_uid, pw->pw_gid) != 0)
		return err_newf("platformd.pg", 500, "cannot chown %s: %s", path, strerror(errno));
	return NULL;
}

static int
pgembed_run_initdb(const char *bindir, const char *datadir, const char *log_path)
{
	char initdb[4096];
	pid_t pid;
	int status;

	snprintf(initdb, sizeof(initdb), "%s/initdb", bindir);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0640);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		if (!pgembed_become(PGEMBED_USER) || chdir("/") != 0)
			_exit(127);
		execl(initdb, initdb, "-D", datadir, "-U", "postgres", "--auth=trust", "-E", "UTF8",
		      "--locale=C.UTF-8", "-N", (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct err *
pgembed_init(const char *var_dir, const char *log_path)
{
	char *datadir = pgembed_datadir(var_dir), *bindir, version[4096];
	struct err *e = NULL;
	int rc;

	snprintf(version, sizeof(version), "%s/PG_VERSION", datadir);
	if (access(version, F_OK) == 0) {
		free(datadir);
		return NULL;
	}
	bindir = pgembed_bindir();
	if (bindir == NULL)
		e = err_newf("platformd.pg", 500,
		             "PostgreSQL server binaries not found (apt-get install postgresql, "
		             "or set PG_BIN)");
	if (e == NULL)
		e = pgembed_make_root(var_dir);
	if (e == NULL && (rc = pgembed_run_initdb(bindir, datadir, log_path)) != 0)
		e = err_newf("platformd.pg", 500, "initdb of %s failed (exit %d); see %s", datadir,
		             rc, log_path);
	free(bindir);
	free(datadir);
	return e;
}

bool
pgembed_ready(int port)
{
	char ci[128];

	snprintf(ci, sizeof(ci),
	         "host=127.0.0.1 port=%d user=postgres dbname=postgres connect_timeout=2", port);
	return PQping(ci) == PQPING_OK;
}
