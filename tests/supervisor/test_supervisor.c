/* Supervisor tests: platformd and platformctl run for real on a temporary var dir,
 * supervising svc_helper (a stand-in daemon), the embedded PostgreSQL, and the real
 * daemons when they are built. One check case per scenario; meson runs each case as
 * its own test (CK_RUN_CASE). The test process is a subreaper, so every process the
 * supervisor leaves behind would become our child: the end of each case reaps all
 * and asserts that nothing is left. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "timeutil.h"
#include "tsupport.h"

/* The per-case scratch context. */
struct supt {
	char dir[40];
	char var[64];
	char services[64];
	char out[64];
	char trace[64];
	bool builtin; /* platformctl without --services: the real daemons */
};

static struct supt supt;

static void
supt_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* services: the table, with every "HELPER" replaced by the helper's path and every
 * "TRACE" by the trace file. */
static void
supt_begin(const char *services)
{
	const char *helper = tsupport_exe("TEST_SVC_HELPER_EXE");
	char *buf = malloc(strlen(services) * 4 + 4096), *o = buf;

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	snprintf(supt.dir, sizeof(supt.dir), "/tmp/platformd-test-%s.XXXXXX",
	         getenv("SUPT_RUNNER"));
	ck_assert_ptr_nonnull(mkdtemp(supt.dir));
	chmod(supt.dir, 0755); /* the embedded PostgreSQL runs as another user */
	snprintf(supt.var, sizeof(supt.var), "%s/var", supt.dir);
	snprintf(supt.services, sizeof(supt.services), "%s/services", supt.dir);
	snprintf(supt.out, sizeof(supt.out), "%s/out", supt.dir);
	snprintf(supt.trace, sizeof(supt.trace), "%s/trace", supt.dir);
	for (const char *p = services; *p != '\0';) {
		if (strncmp(p, "HELPER", 6) == 0) {
			o += sprintf(o, "%s", helper);
			p += 6;
		} else if (strncmp(p, "TRACE", 5) == 0) {
			o += sprintf(o, "%s", supt.trace);
			p += 5;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	supt_write(supt.services, buf);
	free(buf);
	setenv("PLATFORM_VAR_DIR", supt.var, 1);
	setenv("NODE_ENV", "development", 1);
	setenv("PLATFORM_LOG_FORMAT", "ndjson", 1);
	unsetenv("PLATFORM_CONFIG");
	unsetenv("NOTIFY_SOCKET");
}

/* Run platformctl [--services FILE] args...; output (stdout+stderr) in supt.out. */
static int
supt_ctl_v(bool services, const char *first, va_list ap)
{
	char *argv[16];
	int n = 0;

	argv[n++] = (char *)tsupport_exe("TEST_PLATFORMCTL_EXE");
	if (services) {
		argv[n++] = "--services";
		argv[n++] = supt.services;
	}
	for (const char *a = first; a != NULL && n < 15; a = va_arg(ap, const char *))
		argv[n++] = (char *)a;
	argv[n] = NULL;
	unlink(supt.out);
	return tsupport_run(argv, supt.out, 90000);
}

static int
supt_ctl(const char *first, ...)
{
	va_list ap;
	int rc;

	va_start(ap, first);
	rc = supt_ctl_v(!supt.builtin, first, ap);
	va_end(ap);
	return rc;
}

static char *
supt_output(void)
{
	char *s = tsupport_read_file(supt.out);

	return s != NULL ? s : strdup("");
}

static bool
supt_contains(const char *needle)
{
	char *s = supt_output();
	bool found = strstr(s, needle) != NULL;

	if (!found)
		fprintf(stderr, "output without '%s':\n%s\n", needle, s);
	free(s);
	return found;
}

/* status --json, or NULL when platformd is not (yet) answering. */
static cJSON *
supt_status_try(void)
{
	char *s;
	cJSON *j;

	supt_ctl("status", "--json", NULL);
	s = supt_output();
	j = cJSON_Parse(s);
	free(s);
	if (j != NULL && !cJSON_IsTrue(cJSON_GetObjectItem(j, "running"))) {
		cJSON_Delete(j);
		j = NULL;
	}
	return j;
}

static cJSON *
supt_status(void)
{
	cJSON *j = supt_status_try();

	ck_assert_ptr_nonnull(j);
	return j;
}

static cJSON *
supt_svc(cJSON *st, const char *name)
{
	cJSON *svc;

	cJSON_ArrayForEach(
	    svc,
	    cJSON_GetObjectItem(
	        st, "services")) if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(svc, "name")),
	                                    name) == 0) return svc;
	ck_abort_msg("no service %s in status", name);
	return NULL;
}

static int
supt_num(cJSON *st, const char *name, const char *field)
{
	cJSON *v = cJSON_GetObjectItem(supt_svc(st, name), field);

	return cJSON_IsNumber(v) ? v->valueint : -1;
}

static bool
supt_state_is(cJSON *st, const char *name, const char *state)
{
	return strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(supt_svc(st, name), "state")),
	              state) == 0;
}

/* Poll status until name is in state with a pid other than old_pid (-1: any). */
static int64_t
supt_wait_up(const char *name, int old_pid, int timeout_ms)
{
	int64_t t0 = timeutil_monotonic_ms();

	while (timeutil_monotonic_ms() - t0 < timeout_ms) {
		cJSON *st = supt_status_try();
		bool ok = st != NULL && supt_state_is(st, name, "up") &&
		          supt_num(st, name, "pid") != old_pid;

		cJSON_Delete(st);
		if (ok)
			return timeutil_monotonic_ms() - t0;
		tsupport_sleep_ms(10);
	}
	return -1;
}

/* Reap every descendant; fail if something is still alive after timeout_ms. */
static void
supt_reap_all(int timeout_ms)
{
	int64_t t0 = timeutil_monotonic_ms();

	for (;;) {
		pid_t pid = waitpid(-1, NULL, WNOHANG);

		if (pid < 0 && errno == ECHILD)
			return;
		if (pid == 0 && timeutil_monotonic_ms() - t0 > timeout_ms) {
			system("ps -eo pid,ppid,stat,args | grep -v ' Z' | tail -n 20 >&2");
			ck_abort_msg("processes left behind after stop");
		}
		if (pid == 0)
			tsupport_sleep_ms(20);
	}
}

static void
supt_end(void)
{
	char cmd[200];

	supt_ctl("stop", NULL);
	supt_reap_all(30000);
	/* daemonized platformd writes sanitizer reports to its log: none allowed */
	snprintf(cmd, sizeof(cmd), "grep -rlE 'Sanitizer|runtime error:' '%s/log' >&2", supt.var);
	ck_assert_msg(system(cmd) != 0, "sanitizer report in %s/log", supt.var);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", supt.dir);
	ck_assert_int_eq(system(cmd), 0);
}

static bool
supt_pid_alive(int pid)
{
	char path[64], buf[256] = "", *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	p = strrchr(buf, ')');
	return p == NULL || p[2] != 'Z';
}

static const char supt_basic[] = "one oneshot - HELPER oneshot\n"
                                 "a notify one HELPER notify a\n"
                                 "b notify one HELPER notify b\n";

START_TEST(start_status_logs_stop)
{
	cJSON *st;
	int pa, pb, pd;
	char *log;

	supt_begin(supt_basic);
	ck_assert_int_eq(supt_ctl("start", NULL), 0);
	ck_assert(supt_contains("platformctl status"));
	ck_assert_int_eq(supt_ctl("status", NULL), 0);
	ck_assert(supt_contains("DAEMON"));
	ck_assert(supt_contains("RESTARTS"));
	st = supt_status();
	ck_assert(supt_state_is(st, "one", "done"));
	ck_assert(supt_state_is(st, "a", "up"));
	ck_assert(supt_state_is(st, "b", "up"));
	pa = supt_num(st, "a", "pid");
	pb = supt_num(st, "b", "pid");
	pd = cJSON_GetObjectItem(st, "pid")->valueint;
	ck_assert_int_gt(pa, 0);
	ck_assert_int_gt(pb, 0);
	cJSON_Delete(st);
	/* a second start sees it running */
	ck_assert_int_eq(supt_ctl("start", NULL), 0);
	ck_assert(supt_contains("already running"));
	/* logs: each daemon's own lines, stdout and stderr */
	ck_assert_int_eq(supt_ctl("logs", "a", NULL), 0);
	log = supt_output();
	ck_assert_ptr_nonnull(strstr(log, "helper a line 0"));
	ck_assert_ptr_nonnull(strstr(log, "helper a stderr line"));
	ck_assert_ptr_null(strstr(log, "helper b"));
	ck_assert_ptr_null(strstr(log, "oneshot"));
	free(log);
	ck_assert_int_eq(supt_ctl("logs", "a", "-n", "1", NULL), 0);
	log = supt_output();
	ck_assert_ptr_null(strstr(log, "line 0"));
	free(log);
	{ /* logs -f: lines appended later show up (a restart of a prints again) */
		char follow[96], *argv[] = { (char *)tsupport_exe("TEST_PLATFORMCTL_EXE"),
			                     "logs",
			                     "a",
			                     "-f",
			                     "-n",
			                     "0",
			                     NULL };
		pid_t fpid;
		bool seen = false;

		snprintf(follow, sizeof(follow), "%s/follow", supt.dir);
		fpid = tsupport_spawn(argv, follow);
		tsupport_sleep_ms(300);
		ck_assert_int_eq(supt_ctl("restart", "a", NULL), 0);
		for (int i = 0; i < 300 && !seen; i++) {
			log = tsupport_read_file(follow);
			seen = log != NULL && strstr(log, "helper a line 2") != NULL;
			free(log);
			tsupport_sleep_ms(50);
		}
		kill(fpid, SIGTERM);
		tsupport_wait(fpid, 10000);
		ck_assert(seen);
	}
	ck_assert_int_eq(supt_ctl("logs", "../etc/passwd", NULL), 64);
	ck_assert_int_eq(supt_ctl("logs", "nosuch", NULL), 1);
	/* stop: everything gone */
	ck_assert_int_eq(supt_ctl("stop", NULL), 0);
	ck_assert(!supt_pid_alive(pa));
	ck_assert(!supt_pid_alive(pb));
	ck_assert(!supt_pid_alive(pd));
	ck_assert_int_eq(supt_ctl("status", NULL), 3);
	{
		char sock[256];

		snprintf(sock, sizeof(sock), "%s/run/platformd.sock", supt.var);
		ck_assert_int_eq(access(sock, F_OK), -1);
	}
	supt_end();
}
END_TEST

START_TEST(kill9_restart)
{
	cJSON *st;
	int pa;
	int64_t ms;

	supt_begin(supt_basic);
	ck_assert_int_eq(supt_ctl("start", NULL), 0);
	st = supt_status();
	pa = supt_num(st, "a", "pid");
	cJSON_Delete(st);
	ck_assert_int_eq(kill(pa, SIGKILL), 0);
	ms = supt_wait_up("a", pa, 30000);
	ck_assert_int_ge(ms, 0);
	fprintf(stderr, "# restart after kill -9: up again %lld ms later (status polling)\n",
	        (long long)ms);
	st = supt_status();
	ck_assert_int_eq(supt_num(st, "a", "restarts"), 1);
	ck_assert_int_eq(supt_num(st, "a", "last_exit"), 128 + SIGKILL);
	ck_assert_int_eq(supt_num(st, "b", "restarts"), 0);
	cJSON_Delete(st);
	ck_assert_int_eq(supt_ctl("status", NULL), 0);
	supt_end();
}
END_TEST

/* user + system CPU time of pid in ms (from /proc), or -1. */
static long
supt_cpu_ms(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* fields after the name: state(3) ... utime(14) stime(15) */
	if (p == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long)((ut + st) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
}

/* Restart delays 100, 200, 400, 800 (cap), 800 ms: the starts recorded by the
 * crashing helper are never closer than the planned delay. */
START_TEST(backoff_capped)
{
	static const int64_t planned[] = { 100, 200, 400, 800, 800, 800 };
	int64_t t[8];
	int n = 0, max_backoff = 0;
	long cpu;
	char *trace, *p;
	cJSON *st;

	supt_begin("backoff 100 800 10000\n"
	           "ok notify - HELPER notify ok\n"
	           "c notify - HELPER crash TRACE\n");
	/* never ready: start reports the failure after the time-out, platformd goes on */
	ck_assert_int_ne(supt_ctl("start", "--timeout", "1", NULL), 0);
	ck_assert(supt_contains("not ready in time"));
	ck_assert(supt_contains("crashing")); /* the last log lines of c */
	for (int i = 0; i < 300 && n < 7; i++) {
		tsupport_sleep_ms(50);
		trace = tsupport_read_file(supt.trace);
		n = 0;
		for (p = trace; p != NULL && n < 8 && (p = strstr(p, "start ")) != NULL; p++)
			sscanf(p, "start %*d %lld", (long long *)&t[n++]);
		free(trace);
	}
	ck_assert_int_ge(n, 7);
	for (int i = 1; i < 7; i++) {
		fprintf(stderr, "# restart %d after %lld ms (planned %lld)\n", i,
		        (long long)(t[i] - t[i - 1]), (long long)planned[i - 1]);
		ck_assert_int_ge(t[i] - t[i - 1], planned[i - 1]);
	}
	st = supt_status();
	/* no busy loop: platformd used little CPU through all those restarts */
	cpu = supt_cpu_ms(cJSON_GetObjectItem(st, "pid")->valueint);
	fprintf(stderr, "# platformd CPU time over the crash loop: %ld ms\n", cpu);
	ck_assert_int_ge(cpu, 0);
	ck_assert_int_lt(cpu, 1500);
	max_backoff = supt_num(st, "c", "backoff_ms");
	ck_assert_int_eq(max_backoff, 800);
	ck_assert_int_ge(supt_num(st, "c", "restarts"), 6);
	ck_assert(supt_state_is(st, "ok", "up")); /* the others are not disturbed */
	cJSON_Delete(st);
	ck_assert_int_eq(supt_ctl("status", NULL), 1);
	supt_end();
}
END_TEST

START_TEST(permanent_exit)
{
	char *trace;
	int starts = 0;

	supt_begin("ok notify - HELPER notify ok\n"
	           "bad notify ok HELPER exit 78 TRACE\n");
	ck_assert_int_ne(supt_ctl("start", NULL), 0);
	ck_assert(supt_contains("bad"));
	ck_assert(supt_contains("permanent failure"));
	ck_assert(supt_contains("exiting with 78")); /* its last log lines */
	tsupport_sleep_ms(500);                      /* a restart would come after 100 ms */
	trace = tsupport_read_file(supt.trace);
	for (char *p = trace; p != NULL && (p = strstr(p, "start")) != NULL; p++)
		starts++;
	free(trace);
	ck_assert_int_eq(starts, 1);
	/* a start failure stops everything */
	ck_assert_int_eq(supt_ctl("status", NULL), 3);
	supt_end();
}
END_TEST

/* Exit 78 after being ready: marked failed, never restarted, the rest keeps running. */
START_TEST(permanent_exit_after_start)
{
	char *trace;
	int starts = 0;
	cJSON *st;

	supt_begin("a notify - HELPER notify a\n"
	           "late notify - HELPER ready-exit 78 TRACE\n");
	ck_assert_int_eq(supt_ctl("start", NULL), 0);
	for (int i = 0; i < 500; i++) {
		bool failed;

		st = supt_status();
		failed = supt_state_is(st, "late", "failed");
		cJSON_Delete(st);
		if (failed)
			break;
		tsupport_sleep_ms(20);
	}
	tsupport_sleep_ms(500); /* a restart would come after 100 ms */
	st = supt_status();
	ck_assert(supt_state_is(st, "late", "failed"));
	ck_assert_int_eq(supt_num(st, "late", "last_exit"), 78);
	ck_assert_int_eq(supt_num(st, "late", "restarts"), 0);
	ck_assert(supt_state_is(st, "a", "up"));
	cJSON_Delete(st);
	trace = tsupport_read_file(supt.trace);
	for (char *p = trace; p != NULL && (p = strstr(p, "start")) != NULL; p++)
		starts++;
	free(trace);
	ck_assert_int_eq(starts, 1);
	ck_assert_int_eq(supt_ctl("status", NULL), 1); /* not all up */
	supt_end();
}
END_TEST

static void
supt_check_rotated(const char *path, long *prev, int *files)
{
	FILE *f = fopen(path, "r");
	char line[256];
	struct stat sb;

	if (f == NULL)
		return;
	(*files)++;
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_le(sb.st_size, 4096);
	while (fgets(line, sizeof(line), f) != NULL) {
		long seq;

		if (strncmp(line, "stopping", 8) == 0)
			continue;
		ck_assert_int_eq(strlen(line), 100);
		ck_assert_int_eq(sscanf(line, "L%ld ", &seq), 1);
		for (int i = 8; i < 99; i++)
			ck_assert_int_eq(line[i], 'x');
		ck_assert_int_eq(line[99], '\n');
		if (*prev >= 0)
			ck_assert_int_eq(seq, *prev + 1);
		*prev = seq;
	}
	fclose(f);
}

START_TEST(rotation_whole_lines)
{
	char path[256];
	long prev = -1;
	int files = 0;

	setenv("PLATFORM_SUPERVISOR_LOG_MAX_BYTES", "4096", 1);
	setenv("PLATFORM_SUPERVISOR_LOG_KEEP", "2", 1);
	supt_begin("r notify - HELPER lines 500\n");
	ck_assert_int_eq(supt_ctl("start", NULL), 0);
	/* oldest first: r.log.2, r.log.1, r.log; the numbering runs on across files */
	snprintf(path, sizeof(path), "%s/log/r.log.3", supt.var);
	ck_assert_int_eq(access(path, F_OK), -1);
	for (int k = 2; k >= 0; k--) {
		if (k > 0)
			snprintf(path, sizeof(path), "%s/log/r.log.%d", supt.var, k);
		else
			snprintf(path, sizeof(path), "%s/log/r.log", supt.var);
		supt_check_rotated(path, &prev, &files);
	}
	ck_assert_int_eq(files, 3);
	ck_assert_int_eq(prev, 499);
	supt_end();
	unsetenv("PLATFORM_SUPERVISOR_LOG_MAX_BYTES");
	unsetenv("PLATFORM_SUPERVISOR_LOG_KEEP");
}
END_TEST

/* Send raw bytes on the control socket; the reply (up to n-1 bytes) in out. */
static void
supt_raw(const void *req, size_t len, bool half_close, char *out, size_t n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	size_t got = 0;
	ssize_t r;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/run/platformd.sock", supt.var);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (len > 0)
		ck_assert_int_eq(send(fd, req, len, MSG_NOSIGNAL), (ssize_t)len);
	if (half_close)
		shutdown(fd, SHUT_WR);
	while (got < n - 1 && (r = read(fd, out + got, n - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = '\0';
	close(fd);
}

START_TEST(malformed_control)
{
	char reply[512], big[5000], path[96];
	int fds[20], pd;
	struct stat sb;
	cJSON *st;

	supt_begin(supt_basic);
	ck_assert_int_eq(supt_ctl("start", NULL), 0);
	st = supt_status();
	pd = cJSON_GetObjectItem(st, "pid")->valueint;
	cJSON_Delete(st);
	snprintf(path, sizeof(path), "%s/run/platformd.sock", supt.var);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	memset(big, 'a', sizeof(big));
	supt_raw(big, sizeof(big), false, reply, sizeof(reply));
	ck_assert_ptr_nonnull(strstr(reply, "too long"));
	supt_raw("\x01\x02\xff\n", 4, false, reply, sizeof(reply));
	ck_assert_ptr_nonnull(strstr(reply, "not printable"));
	supt_raw("sta\0tus\n", 8, false, reply, sizeof(reply));
	ck_assert_ptr_nonnull(strstr(reply, "not printable"));
	supt_raw("bogus\n", 6, false, reply, sizeof(reply));
	ck_assert_ptr_nonnull(strstr(reply, "unknown request"));
	supt_raw("status extra words here\n", 24, false, reply, sizeof(reply));
	ck_assert_ptr_nonnull(strstr(reply, "\"ok\":false"));
	supt_raw("restart nosuch\n", 15, false, reply, sizeof(reply));
	ck_assert_ptr_nonnull(strstr(reply, "no such daemon"));
	supt_raw("\n", 1, false, reply, sizeof(reply));
	ck_assert_ptr_nonnull(strstr(reply, "empty request"));
	supt_raw("stat", 4, true, reply, sizeof(reply));
	ck_assert_ptr_nonnull(strstr(reply, "without newline"));
	supt_raw("", 0, true, reply, sizeof(reply)); /* connect and hang up */
	/* more idle connections than slots: the extra ones get an error */
	for (int i = 0; i < 20; i++) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		fds[i] = socket(AF_UNIX, SOCK_STREAM, 0);
		ck_assert_int_eq(connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	tsupport_sleep_ms(200);
	reply[0] = '\0';
	ck_assert_int_gt(read(fds[19], reply, sizeof(reply) - 1), 0);
	ck_assert_ptr_nonnull(strstr(reply, "too many"));
	for (int i = 0; i < 20; i++)
		close(fds[i]);
	tsupport_sleep_ms(300); /* let platformd see the hang-ups */
	/* still the same platformd, still answering */
	supt_raw("status\n", 7, false, reply, sizeof(reply));
	ck_assert_ptr_nonnull(strstr(reply, "\"ok\":true"));
	st = supt_status();
	ck_assert_int_eq(cJSON_GetObjectItem(st, "pid")->valueint, pd);
	cJSON_Delete(st);
	ck_assert_int_eq(supt_ctl("status", NULL), 0);
	supt_end();
}
END_TEST

/* A daemon that ignores SIGTERM and leaves a grandchild: after the stop time-out both
 * are killed (process group) and nothing is left. */
START_TEST(stop_kills_stubborn)
{
	char *trace;
	int gc = 0;
	int64_t t0;

	setenv("PLATFORM_SUPERVISOR_STOP_TIMEOUT_S", "1", 1);
	supt_begin("s notify - HELPER stubborn TRACE\n"
	           "a notify s HELPER notify a\n");
	ck_assert_int_eq(supt_ctl("start", NULL), 0);
	trace = tsupport_read_file(supt.trace);
	ck_assert_ptr_nonnull(trace);
	ck_assert_int_eq(sscanf(trace, "grandchild %d", &gc), 1);
	free(trace);
	ck_assert(supt_pid_alive(gc));
	t0 = timeutil_monotonic_ms();
	ck_assert_int_eq(supt_ctl("stop", NULL), 0);
	fprintf(stderr, "# stop with a stubborn daemon took %lld ms\n",
	        (long long)(timeutil_monotonic_ms() - t0));
	supt_reap_all(10000);
	ck_assert(!supt_pid_alive(gc));
	ck_assert_int_ge(timeutil_monotonic_ms() - t0, 1000); /* it waited for the time-out */
	supt_end();
	unsetenv("PLATFORM_SUPERVISOR_STOP_TIMEOUT_S");
}
END_TEST

START_TEST(restart_one)
{
	cJSON *st;
	int pa, pb;

	supt_begin(supt_basic);
	ck_assert_int_eq(supt_ctl("start", NULL), 0);
	st = supt_status();
	pa = supt_num(st, "a", "pid");
	pb = supt_num(st, "b", "pid");
	cJSON_Delete(st);
	ck_assert_int_eq(supt_ctl("restart", "a", NULL), 0);
	st = supt_status();
	ck_assert_int_ne(supt_num(st, "a", "pid"), pa);
	ck_assert_int_eq(supt_num(st, "b", "pid"), pb);
	ck_assert_int_eq(supt_num(st, "a", "restarts"), 1);
	ck_assert_int_eq(supt_num(st, "a", "last_exit"), 0); /* it stopped cleanly */
	cJSON_Delete(st);
	ck_assert_int_eq(supt_ctl("restart", "nosuch", NULL), 1);
	ck_assert(supt_contains("no such daemon"));
	/* restart all: the oneshot runs again, everything gets a new pid */
	ck_assert_int_eq(supt_ctl("restart", NULL), 0);
	st = supt_status();
	ck_assert_int_eq(supt_num(st, "one", "restarts"), 1);
	ck_assert_int_ne(supt_num(st, "b", "pid"), pb);
	cJSON_Delete(st);
	supt_end();
}
END_TEST

static int
supt_notify_socket(char *path, size_t n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	snprintf(path, n, "%s/notify", supt.dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* platformd in the foreground (as under another supervisor): it reports READY=1 and
 * STOPPING=1 itself; SIGTERM stops all in reverse dependency order (b before a, which
 * it depends on) and exits 0. */
START_TEST(sigterm_foreground)
{
	char *argv[] = { (char *)tsupport_exe("TEST_PLATFORMD_EXE"), "--services", supt.services,
		         NULL };
	char log[256], *text, *stop_all, *b_exit, *a_exit, npath[96], msg[64];
	int status, pa, nfd;
	pid_t pid;
	cJSON *st;

	supt_begin("a notify - HELPER notify a\n"
	           "b notify a HELPER notify b\n");
	nfd = supt_notify_socket(npath, sizeof(npath));
	setenv("NOTIFY_SOCKET", npath, 1); /* platformd itself under a notify supervisor */
	pid = tsupport_spawn(argv, NULL);
	unsetenv("NOTIFY_SOCKET");
	ck_assert_int_ge(supt_wait_up("b", -1, 30000), 0);
	st = supt_status();
	pa = supt_num(st, "a", "pid");
	cJSON_Delete(st);
	/* a second platformd on the same var dir refuses to run */
	unlink(supt.out);
	ck_assert_int_eq(tsupport_run(argv, supt.out, 30000), 1);
	ck_assert(supt_contains("already running"));
	ck_assert_int_eq(supt_ctl("status", NULL), 0);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	status = tsupport_wait(pid, 30000);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert(!supt_pid_alive(pa));
	ck_assert_int_eq(recv(nfd, msg, sizeof(msg) - 1, MSG_DONTWAIT), 7);
	ck_assert_int_eq(memcmp(msg, "READY=1", 7), 0);
	ck_assert_int_eq(recv(nfd, msg, sizeof(msg) - 1, MSG_DONTWAIT), 10);
	ck_assert_int_eq(memcmp(msg, "STOPPING=1", 10), 0);
	close(nfd);
	snprintf(log, sizeof(log), "%s/log/a.log", supt.var);
	text = tsupport_read_file(log);
	ck_assert_ptr_nonnull(strstr(text, "stopping")); /* it got SIGTERM, not SIGKILL */
	free(text);
	snprintf(log, sizeof(log), "%s/log/platformd.log", supt.var);
	text = tsupport_read_file(log);
	stop_all = strstr(text, "stopping all services");
	ck_assert_ptr_nonnull(stop_all);
	b_exit = strstr(stop_all, "\"b (pid");
	a_exit = strstr(stop_all, "\"a (pid");
	ck_assert_ptr_nonnull(b_exit);
	ck_assert_ptr_nonnull(a_exit);
	ck_assert(b_exit < a_exit);
	free(text);
	supt_end();
}
END_TEST

/* platformd killed with SIGKILL: its daemons are told to stop (parent-death signal)
 * instead of lingering, and a new start replaces the stale socket. */
START_TEST(platformd_killed)
{
	cJSON *st;
	int pd, pa;

	supt_begin(supt_basic);
	ck_assert_int_eq(supt_ctl("start", NULL), 0);
	st = supt_status();
	pd = cJSON_GetObjectItem(st, "pid")->valueint;
	pa = supt_num(st, "a", "pid");
	cJSON_Delete(st);
	ck_assert_int_eq(kill(pd, SIGKILL), 0);
	supt_reap_all(10000); /* platformd, a and b: all gone */
	ck_assert(!supt_pid_alive(pa));
	ck_assert_int_eq(supt_ctl("status", NULL), 3);
	ck_assert_int_eq(supt_ctl("start", NULL), 0);
	ck_assert_int_eq(supt_ctl("status", NULL), 0);
	supt_end();
}
END_TEST

/* --config FILE: var_dir and the supervisor keys come from the file, and a missing
 * app.keys is generated into <var_dir>/app_keys (0600) for the daemons. */
START_TEST(config_file)
{
	char conf[96], text[256], path[160];
	struct stat sb;
	char *keys;

	supt_begin("a notify - HELPER notify a\n");
	unsetenv("PLATFORM_VAR_DIR");
	unsetenv("APP_KEYS");
	snprintf(conf, sizeof(conf), "%s/platform.conf", supt.dir);
	snprintf(text, sizeof(text), "var_dir = %s/var2\nsupervisor.log_keep = 1\n", supt.dir);
	supt_write(conf, text);
	ck_assert_int_eq(supt_ctl("--config", conf, "--services", supt.services, "start", NULL), 0);
	ck_assert_int_eq(supt_ctl("--config", conf, "status", NULL), 0);
	ck_assert_int_eq(supt_ctl("status", NULL), 3); /* the default var dir: nothing there */
	snprintf(path, sizeof(path), "%s/var2/log/a.log", supt.dir);
	ck_assert_int_eq(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/var2/app_keys", supt.dir);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	keys = tsupport_read_file(path);
	ck_assert_int_ge(strlen(keys), 20);
	free(keys);
	ck_assert_int_eq(supt_ctl("--config", conf, "stop", NULL), 0);
	snprintf(text, sizeof(text), "%s/bad.conf", supt.dir);
	supt_write(text, "supervisor.log_keep = many\n");
	ck_assert_int_eq(supt_ctl("--config", text, "start", NULL), 78);
	ck_assert(supt_contains("supervisor.log_keep"));
	setenv("PLATFORM_VAR_DIR", supt.var, 1);
	supt_end();
}
END_TEST

/* A second SIGTERM does not wait for the stop time-out (60 s here). */
START_TEST(second_sigterm)
{
	char *argv[] = { (char *)tsupport_exe("TEST_PLATFORMD_EXE"), "--services", supt.services,
		         NULL };
	char *trace;
	int status, gc = 0;
	pid_t pid;

	setenv("PLATFORM_SUPERVISOR_STOP_TIMEOUT_S", "60", 1);
	supt_begin("s notify - HELPER stubborn TRACE\n");
	pid = tsupport_spawn(argv, NULL);
	ck_assert_int_ge(supt_wait_up("s", -1, 30000), 0);
	trace = tsupport_read_file(supt.trace);
	ck_assert_int_eq(sscanf(trace, "grandchild %d", &gc), 1);
	free(trace);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(tsupport_wait(pid, 500), -1); /* still waiting for s */
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	status = tsupport_wait(pid, 30000);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	supt_reap_all(10000);
	ck_assert(!supt_pid_alive(gc));
	supt_end();
	unsetenv("PLATFORM_SUPERVISOR_STOP_TIMEOUT_S");
}
END_TEST

START_TEST(bad_services_file)
{
	supt_begin("a notify nosuch HELPER notify a\n");
	ck_assert_int_eq(supt_ctl("start", NULL), 78);
	ck_assert(supt_contains("dependency 'nosuch'"));
	ck_assert_int_eq(supt_ctl("frobnicate", NULL), 64);
	ck_assert_int_eq(supt_ctl("--help", NULL), 0);
	ck_assert(supt_contains("usage: platformctl"));
	{
		char *help[] = { (char *)tsupport_exe("TEST_PLATFORMD_EXE"), "--help", NULL };
		char *bad[] = { (char *)tsupport_exe("TEST_PLATFORMD_EXE"), "--bogus", NULL };

		unlink(supt.out);
		ck_assert_int_eq(tsupport_run(help, supt.out, 30000), 0);
		ck_assert(supt_contains("usage: platformd"));
		ck_assert_int_eq(tsupport_run(bad, NULL, 30000), 64);
	}
	supt_end();
}
END_TEST

/* The embedded PostgreSQL: initdb on first start, supervised postmaster, restarted
 * after kill -9, stopped with nothing left (backends included). */
START_TEST(embedded_postgres)
{
	char port[16], ci[128];
	int64_t t0;
	cJSON *st;
	int pp;

	snprintf(port, sizeof(port), "%d", tsupport_free_port());
	setenv("PLATFORM_SUPERVISOR_POSTGRES_PORT", port, 1);
	supt_begin("postgres embedded -\n"
	           "app notify postgres HELPER notify app\n");
	ck_assert_int_eq(supt_ctl("start", NULL), 0);
	snprintf(ci, sizeof(ci), "host=127.0.0.1 port=%s user=postgres dbname=postgres", port);
	ck_assert_int_eq(PQping(ci), PQPING_OK);
	ck_assert_int_eq(supt_ctl("stop", NULL), 0);
	ck_assert_int_ne(PQping(ci), PQPING_OK);
	/* cold start with an initialised cluster */
	t0 = timeutil_monotonic_ms();
	ck_assert_int_eq(supt_ctl("start", NULL), 0);
	fprintf(stderr, "# cold start (initialised cluster): %lld ms\n",
	        (long long)(timeutil_monotonic_ms() - t0));
	st = supt_status();
	pp = supt_num(st, "postgres", "pid");
	cJSON_Delete(st);
	ck_assert_int_eq(kill(pp, SIGKILL), 0);
	t0 = timeutil_monotonic_ms();
	ck_assert_int_ge(supt_wait_up("postgres", pp, 60000), 0);
	fprintf(stderr, "# postgres back after kill -9: %lld ms\n",
	        (long long)(timeutil_monotonic_ms() - t0));
	ck_assert_int_eq(PQping(ci), PQPING_OK);
	supt_end();
	unsetenv("PLATFORM_SUPERVISOR_POSTGRES_PORT");
}
END_TEST

/* One GET /_health on 127.0.0.1:port; true on a 200 answer. */
static bool
supt_health(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	static const char req[] = "GET /_health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	                          "Connection: close\r\n\r\n";
	char buf[64] = "";
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok = false;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof(req) - 1) &&
	    read(fd, buf, sizeof(buf) - 1) > 12)
		ok = strncmp(buf, "HTTP/1.1 200", 12) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* A small load: one client doing GET /_health back to back until SIGTERM. */
static pid_t
supt_load(int port)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		for (;;) {
			supt_health(port);
			tsupport_sleep_ms(2);
		}
	}
	return pid;
}

/* The built-in table with the real daemons on a scratch database: start, status,
 * kill -9 the api under load, it answers again and status counts the restart. */
START_TEST(real_platform)
{
	char port[16], dir[96];
	char *db;
	int api_port = tsupport_free_port(), papi;
	int64_t t0, start_ms, back_ms = -1;
	pid_t load;
	cJSON *st;

	ck_assert_int_eq(chdir(getenv("TEST_SOURCE_ROOT")), 0); /* migrations/, conf/ */
	db = tsupport_db_create("supervisor");
	tsupport_env_for_db(db);
	snprintf(port, sizeof(port), "%d", api_port);
	setenv("PORT", port, 1);
	setenv("PLATFORM_API_WORKERS", "1", 1);
	supt_begin("");
	supt.builtin = true;
	snprintf(dir, sizeof(dir), "%s/mail", supt.dir);
	setenv("PLATFORM_MAIL_DIR", dir, 1);
	snprintf(dir, sizeof(dir), "%s/files", supt.dir);
	setenv("PLATFORM_STORAGE_DIR", dir, 1);
	t0 = timeutil_monotonic_ms();
	ck_assert_int_eq(supt_ctl("start", NULL), 0);
	start_ms = timeutil_monotonic_ms() - t0;
	ck_assert(supt_contains("API listening on http://"));
	ck_assert_int_eq(supt_ctl("status", NULL), 0);
	st = supt_status();
	ck_assert(supt_state_is(st, "migrate", "done"));
	ck_assert(supt_state_is(st, "api", "up"));
	ck_assert(supt_state_is(st, "queue", "up"));
	papi = supt_num(st, "api", "pid");
	cJSON_Delete(st);
	ck_assert(supt_health(api_port));
	load = supt_load(api_port);
	tsupport_sleep_ms(200);
	ck_assert_int_eq(kill(papi, SIGKILL), 0);
	t0 = timeutil_monotonic_ms();
	while (timeutil_monotonic_ms() - t0 < 30000) {
		if (supt_health(api_port)) {
			back_ms = timeutil_monotonic_ms() - t0;
			break;
		}
		tsupport_sleep_ms(5);
	}
	kill(load, SIGTERM);
	waitpid(load, NULL, 0);
	fprintf(stderr, "# start (migrate, api, queue ready): %lld ms\n", (long long)start_ms);
	fprintf(stderr, "# api answering again %lld ms after kill -9\n", (long long)back_ms);
	ck_assert_int_ge(back_ms, 0);
	st = supt_status();
	ck_assert_int_eq(supt_num(st, "api", "restarts"), 1);
	ck_assert_int_eq(supt_num(st, "api", "last_exit"), 128 + SIGKILL);
	ck_assert_int_eq(supt_num(st, "queue", "restarts"), 0);
	cJSON_Delete(st);
	ck_assert_int_eq(supt_ctl("logs", "api", "-n", "5", NULL), 0);
	supt_end();
	tsupport_db_drop(db);
	free(db);
}
END_TEST

/* Runs in the test runner after each case, passed or failed: a failed case leaves its
 * platformd running; stop it (its daemons follow by their parent-death signal) and
 * remove the directory. */
static void
supt_cleanup_after_case(void)
{
	char pattern[64], path[128], cmd[160];
	glob_t g;

	snprintf(pattern, sizeof(pattern), "/tmp/platformd-test-%d.*", (int)getpid());
	if (glob(pattern, 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char *text;
		int pid;

		snprintf(path, sizeof(path), "%s/var/run/platformd.pid", g.gl_pathv[i]);
		text = tsupport_read_file(path);
		pid = text != NULL ? atoi(text) : 0;
		free(text);
		if (pid > 1 && kill(pid, SIGTERM) == 0) {
			for (int k = 0; k < 300 && supt_pid_alive(pid); k++)
				tsupport_sleep_ms(100);
			kill(pid, SIGKILL);
		}
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g.gl_pathv[i]);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", g.gl_pathv[i]);
	}
	globfree(&g);
}

int
main(void)
{
	Suite *s = suite_create("supervisor");
	const char *only = getenv("CK_RUN_CASE");
	SRunner *sr;
	int failed;
	char runner[16];
	struct {
		const char *name;
		const TTest *fn;
	} cases[] = {
		{ "start_status_logs_stop", start_status_logs_stop },
		{ "kill9_restart", kill9_restart },
		{ "backoff_capped", backoff_capped },
		{ "permanent_exit", permanent_exit },
		{ "permanent_exit_after_start", permanent_exit_after_start },
		{ "rotation_whole_lines", rotation_whole_lines },
		{ "malformed_control", malformed_control },
		{ "stop_kills_stubborn", stop_kills_stubborn },
		{ "restart_one", restart_one },
		{ "sigterm_foreground", sigterm_foreground },
		{ "bad_services_file", bad_services_file },
		{ "second_sigterm", second_sigterm },
		{ "config_file", config_file },
		{ "platformd_killed", platformd_killed },
		{ "embedded_postgres", embedded_postgres },
		{ "real_platform", real_platform },
	};

	if (only != NULL && strcmp(only, "embedded_postgres") == 0 &&
	    access("/usr/lib/postgresql", F_OK) != 0 && getenv("PG_BIN") == NULL) {
		fprintf(stderr, "no PostgreSQL server binaries: skipping\n");
		return TSUPPORT_SKIP;
	}
	if (only != NULL && strcmp(only, "real_platform") == 0 &&
	    (getenv("TEST_PG_HOST") == NULL || getenv("TEST_HAVE_DAEMONS") == NULL)) {
		fprintf(stderr, "needs TEST_PG_HOST and the api, queue and migrate daemons\n");
		return TSUPPORT_SKIP;
	}
	snprintf(runner, sizeof(runner), "%d", (int)getpid());
	setenv("SUPT_RUNNER", runner, 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_unchecked_fixture(tc, NULL, supt_cleanup_after_case);
		tcase_set_timeout(tc, 180);
		tcase_add_test(tc, cases[i].fn);
		suite_add_tcase(s, tc);
	}
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
