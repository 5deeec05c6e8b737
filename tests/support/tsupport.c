/* Test support implementation. */
#include "tsupport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void
tsupport_sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void
tsupport_require_pg(void)
{
	if (getenv("TEST_PG_HOST") == NULL || getenv("TEST_PG_PORT") == NULL) {
		/* a TAP "skip all" plan: meson (protocol tap) reports the test as skipped */
		printf("1..0 # SKIP TEST_PG_HOST/TEST_PG_PORT not set (run scripts/test.sh)\n");
		exit(0);
	}
}

PGconn *
tsupport_db_connect(const char *name)
{
	char ci[512];
	PGconn *c;

	snprintf(ci, sizeof(ci), "host=%s port=%s user=postgres dbname=%s sslmode=disable",
	         getenv("TEST_PG_HOST"), getenv("TEST_PG_PORT"), name);
	c = PQconnectdb(ci);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "tsupport: connect %s: %s", name, PQerrorMessage(c));
		abort();
	}
	return c;
}

long
tsupport_db_scalar(PGconn *conn, const char *sql)
{
	PGresult *r = PQexec(conn, sql);
	long v = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	else if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fprintf(stderr, "tsupport: %s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	return v;
}

char *
tsupport_db_create(const char *prefix)
{
	unsigned char rnd[4];
	char *name = malloc(128), sql[256];
	PGconn *c = tsupport_db_connect("postgres");
	PGresult *r;
	int fd = open("/dev/urandom", O_RDONLY);

	if (fd < 0 || read(fd, rnd, sizeof(rnd)) != (ssize_t)sizeof(rnd))
		abort();
	close(fd);
	snprintf(name, 128, "%s_%02x%02x%02x%02x", prefix, rnd[0], rnd[1], rnd[2], rnd[3]);
	snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", name);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "tsupport: %s: %s", sql, PQresultErrorMessage(r));
		abort();
	}
	PQclear(r);
	PQfinish(c);
	return name;
}

void
tsupport_db_drop(const char *name)
{
	char sql[256];
	PGconn *c = tsupport_db_connect("postgres");

	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
	PQclear(PQexec(c, sql));
	PQfinish(c);
}

void
tsupport_env_for_db(const char *name)
{
	char host[128];

	snprintf(host, sizeof(host), "%s:%s", getenv("TEST_PG_HOST"), getenv("TEST_PG_PORT"));
	setenv("POSTGRES_HOST", host, 1);
	setenv("POSTGRES_USER", "postgres", 1);
	setenv("POSTGRES_DATABASE", name, 1);
	setenv("PLATFORM_DB_SSLMODE", "disable", 1);
	setenv("APP_KEYS", "test-signing-key-0123456789abcdef", 1);
	setenv("NODE_ENV", "development", 1);
	setenv("PLATFORM_LOG_FORMAT", "ndjson", 1);
	unsetenv("POSTGRES_URI");
	unsetenv("PLATFORM_CONFIG");
}

pid_t
tsupport_spawn(char *const argv[], const char *log_path)
{
	pid_t pid = fork();

	if (pid < 0)
		abort();
	if (pid == 0) {
		if (log_path != NULL) {
			int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);

			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
				close(fd);
			}
		}
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

int
tsupport_wait(pid_t pid, int timeout_ms)
{
	int status;

	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0)
			return -1;
		tsupport_sleep_ms(10);
	}
	return -1;
}

int
tsupport_run(char *const argv[], const char *log_path, int timeout_ms)
{
	pid_t pid = tsupport_spawn(argv, log_path);
	int st = tsupport_wait(pid, timeout_ms);

	if (st == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

const char *
tsupport_exe(const char *env_name)
{
	const char *p = getenv(env_name);

	if (p == NULL) {
		fprintf(stderr, "tsupport: %s not set (run through meson test)\n", env_name);
		abort();
	}
	return p;
}

char *
tsupport_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	buf[n] = '\0';
	fclose(f);
	return buf;
}

int
tsupport_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0 };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		abort();
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

bool
tsupport_wait_port(int port, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 20) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
			                  .sin_port = htons((uint16_t)port) };
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		int ok;

		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(fd);
		if (ok)
			return true;
		tsupport_sleep_ms(20);
	}
	return false;
}
