/* Queue test support implementation. */
#include "qsupport.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

struct qs qs;

static void
qs_cleanup(void)
{
	char cmd[300];

	for (int i = 0; i < qs.npids; i++)
		if (qs.pids[i] > 0) {
			kill(qs.pids[i], SIGKILL);
			waitpid(qs.pids[i], NULL, 0);
		}
	qs.npids = 0;
	if (qs.conn != NULL)
		PQfinish(qs.conn);
	qs.conn = NULL;
	if (qs.db != NULL)
		tsupport_db_drop(qs.db);
	free(qs.db);
	qs.db = NULL;
	if (qs.tmp[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", qs.tmp);
		if (system(cmd) != 0)
			fprintf(stderr, "qsupport: could not remove %s\n", qs.tmp);
	}
	qs.tmp[0] = '\0';
}

#define QS_REGISTRY_ENV "TEST_QUEUE_REGISTRY"

void
qs_registry_open(void)
{
	char path[] = "/tmp/queue-registry-XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		abort();
	close(fd);
	setenv(QS_REGISTRY_ENV, path, 1);
}

static void
qs_registry_add(const char *kind, const char *value)
{
	const char *path = getenv(QS_REGISTRY_ENV);
	FILE *f = path != NULL ? fopen(path, "a") : NULL;

	if (f == NULL)
		return;
	fprintf(f, "%s %s\n", kind, value);
	fclose(f);
}

void
qs_registry_cleanup(void)
{
	const char *path = getenv(QS_REGISTRY_ENV);
	char line[512], cmd[600];
	FILE *f = path != NULL ? fopen(path, "r") : NULL;

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "db ", 3) == 0) {
			tsupport_db_drop(line + 3);
		} else if (strncmp(line, "dir /tmp/queue-test-", 20) == 0 &&
		           strchr(line, '\'') == NULL) {
			snprintf(cmd, sizeof(cmd), "rm -rf '%s'", line + 4);
			if (system(cmd) != 0)
				fprintf(stderr, "qsupport: could not remove %s\n", line + 4);
		}
	}
	fclose(f);
	unlink(path);
}

/* The schema comes from the real platform-migrate over migrations/ (env already set). */
static void
qs_migrate(void)
{
	char dir[512];
	const char *root = getenv("TEST_SOURCE_ROOT");
	char *argv[] = { (char *)tsupport_exe("TEST_MIGRATE_EXE"), "--dir", dir, NULL };
	char *log = qs_path("migrate.log");
	int rc;

	snprintf(dir, sizeof(dir), "%s/migrations", root != NULL ? root : ".");
	rc = tsupport_run(argv, log, 120000);
	if (rc != 0) {
		fprintf(stderr, "qsupport: platform-migrate exited %d (see %s)\n", rc, log);
		abort();
	}
	free(log);
}

void
qs_setup(void)
{
	char *mail, *files, templates[1024];

	tsupport_require_pg();
	memset(&qs, 0, sizeof(qs));
	atexit(qs_cleanup);
	snprintf(qs.tmp, sizeof(qs.tmp), "/tmp/queue-test-XXXXXX");
	if (mkdtemp(qs.tmp) == NULL)
		abort();
	qs_registry_add("dir", qs.tmp);
	qs.db = tsupport_db_create("queue");
	qs_registry_add("db", qs.db);
	qs.conn = tsupport_db_connect(qs.db);
	PQclear(PQexec(qs.conn, "SET client_min_messages = warning"));
	tsupport_env_for_db(qs.db);
	qs_migrate();
	qs_exec(
	    "CREATE TABLE \"queueTestRecord\" (\"seq\" bigserial PRIMARY KEY, \"jobId\" bigint, "
	    "\"name\" text, \"scheduledAt\" timestamptz, \"attempt\" int, \"tag\" text, "
	    "\"pid\" int, \"at\" timestamptz NOT NULL DEFAULT clock_timestamp())");
	setenv("PLATFORM_QUEUE_POLL_INTERVAL_MS", "100", 1);
	setenv("PLATFORM_QUEUE_CRON", "false", 1);
	setenv("PLATFORM_QUEUE_PARALLEL", "1", 1);
	setenv("PLATFORM_MAIL_TRANSPORT", "eml", 1);
	mail = qs_path("mail");
	setenv("PLATFORM_MAIL_DIR", mail, 1);
	free(mail);
	/* the file cleanup lists and deletes storage objects: keep them in the temp dir */
	files = qs_path("files");
	setenv("PLATFORM_STORAGE_BACKEND", "local", 1);
	setenv("PLATFORM_STORAGE_DIR", files, 1);
	setenv("PLATFORM_STORAGE_BUCKET", QS_BUCKET, 1);
	free(files);
	snprintf(templates, sizeof(templates), "%s/conf/mail", getenv("TEST_SOURCE_ROOT"));
	setenv("PLATFORM_MAIL_TEMPLATE_DIR", templates, 1);
	unsetenv("NOTIFY_SOCKET");
}

void
qs_write_file(const char *path, const char *text, int age_s)
{
	FILE *f = fopen(path, "w");
	struct timeval tv[2];

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "qsupport: cannot write %s\n", path);
		abort();
	}
	gettimeofday(&tv[0], NULL);
	tv[0].tv_sec -= age_s;
	tv[1] = tv[0];
	if (age_s > 0 && utimes(path, tv) != 0)
		abort();
}

bool
qs_file_exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

char *
qs_path(const char *name)
{
	size_t n = strlen(qs.tmp) + strlen(name) + 2;
	char *p = malloc(n);

	if (p == NULL)
		abort();
	snprintf(p, n, "%s/%s", qs.tmp, name);
	return p;
}

pid_t
qs_spawn(char *const argv[], const char *logname)
{
	char *log = logname != NULL ? qs_path(logname) : NULL;
	pid_t parent = getpid(), pid = fork();

	if (pid < 0)
		abort();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if (log != NULL) {
			int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
				close(fd);
			}
		}
		execv(argv[0], argv);
		_exit(127);
	}
	free(log);
	if (qs.npids < (int)(sizeof(qs.pids) / sizeof(qs.pids[0])))
		qs.pids[qs.npids++] = pid;
	return pid;
}

pid_t
qs_start(const char *logname, const char *arg1, const char *arg2)
{
	char *argv[4] = { (char *)tsupport_exe("TEST_QUEUE_EXE"), (char *)arg1, (char *)arg2,
		          NULL };

	if (arg1 == NULL)
		argv[1] = NULL;
	return qs_spawn(argv, logname);
}

void
qs_forget(pid_t pid)
{
	for (int i = 0; i < qs.npids; i++)
		if (qs.pids[i] == pid)
			qs.pids[i] = 0;
}

int
qs_wait_exit(pid_t pid, int timeout_ms)
{
	int st = tsupport_wait(pid, timeout_ms);

	if (st == -1)
		return -1;
	qs_forget(pid);
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

int
qs_stop(pid_t pid)
{
	kill(pid, SIGTERM);
	return qs_wait_exit(pid, QS_WAIT_MS);
}

void
qs_exec(const char *sql)
{
	PGresult *r = PQexec(qs.conn, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "qsupport: %s: %s", sql, PQresultErrorMessage(r));
		abort();
	}
	PQclear(r);
}

long
qs_scalar(const char *sql)
{
	return tsupport_db_scalar(qs.conn, sql);
}

long
qs_wait(const char *sql, long expected, bool at_least)
{
	long v = -1;

	for (int waited = 0; waited <= QS_WAIT_MS; waited += 50) {
		v = qs_scalar(sql);
		if (v == expected || (at_least && v >= expected))
			return v;
		tsupport_sleep_ms(50);
	}
	return v;
}

int
qs_log_count(const char *logname, const char *needle)
{
	char *path = qs_path(logname), *text = tsupport_read_file(path);
	int n = 0;

	for (const char *p = text; p != NULL && (p = strstr(p, needle)) != NULL; p++)
		n++;
	free(text);
	free(path);
	return n;
}

bool
qs_wait_log(const char *logname, const char *needle)
{
	for (int waited = 0; waited <= QS_WAIT_MS; waited += 50) {
		if (qs_log_count(logname, needle) > 0)
			return true;
		tsupport_sleep_ms(50);
	}
	return false;
}

int
qs_main(Suite *suite)
{
	SRunner *sr = srunner_create(suite);
	int failed;

	if (getenv("TEST_PG_HOST") == NULL || getenv("TEST_PG_PORT") == NULL) {
		printf("1..0 # SKIP TEST_PG_HOST/TEST_PG_PORT not set (run scripts/test.sh)\n");
		srunner_free(sr);
		return EXIT_SUCCESS;
	}
	qs_registry_open();
	srunner_run_all(sr, CK_ENV);
	qs_registry_cleanup();
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
