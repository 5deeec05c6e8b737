/* platformctl: start platformd in the background and talk to it over its control
 * socket: start, stop, restart [daemon], status [--json], logs, user. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "ctl_logs.h"
#include "ctl_user.h"
#include "ctlclient.h"
#include "exitcode.h"
#include "fatal.h"
#include "supconfig.h"

#define CTL_NOT_RUNNING 3 /* status: platformd is not running (LSB) */
#define CTL_POLL_MS     20

static const char ctl_usage[] =
    "usage: platformctl [--config FILE] [--services FILE] <command> [args]\n"
    "\n"
    "  start [--timeout S]     start platformd in the background; returns when every\n"
    "                          service is ready (0), or prints why not and the last\n"
    "                          log lines (non-zero)\n"
    "  stop                    stop all services and platformd\n"
    "  restart [daemon]        restart one daemon, or everything (migrate runs again)\n"
    "  status [--json]         daemon, state, pid, uptime, restarts, last exit;\n"
    "                          exit 0 only if all are up (3: platformd not running)\n"
    "  logs <daemon> [-f] [-n N]  the daemon's log (var/log/<daemon>.log)\n"
    "  user ...                manage password users\n"
    "\n"
    "  --config FILE    configuration file (default: $PLATFORM_CONFIG, else none)\n"
    "  --services FILE  (start) a service table instead of the built-in one\n"
    "  --help           this text\n";

/* What every command needs. */
struct ctl {
	struct supconfig sc;
	char *sock;
	const char *config;
	const char *services;
	const char *argv0; /* how the user ran us, for the hints */
};

static void
ctl_sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int64_t
ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static cJSON *
ctl_status_request(const struct ctl *c, char *err, size_t n)
{
	cJSON *r = ctlclient_request(c->sock, "status", err, n);

	if (r != NULL && !cJSON_IsTrue(cJSON_GetObjectItem(r, "ok"))) {
		snprintf(err, n, "%s",
		         cJSON_GetStringValue(cJSON_GetObjectItem(r, "error")) ?: "error");
		cJSON_Delete(r);
		return NULL;
	}
	return r;
}

/* An integer member of a reply, or dflt when it is missing or not a number. */
static int
ctl_int(const cJSON *obj, const char *name, int dflt)
{
	const cJSON *v = cJSON_GetObjectItem(obj, name);

	return cJSON_IsNumber(v) ? v->valueint : dflt;
}

static bool
ctl_service_ready(const cJSON *svc)
{
	const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(svc, "state"));

	return st != NULL && (strcmp(st, "up") == 0 || strcmp(st, "done") == 0);
}

static bool
ctl_all_ready(const cJSON *status)
{
	const cJSON *svc;

	cJSON_ArrayForEach(
	    svc, cJSON_GetObjectItem(status, "services")) if (!ctl_service_ready(svc)) return false;
	return true;
}

static void
ctl_uptime(const cJSON *v, char *out, size_t n)
{
	long s;

	if (!cJSON_IsNumber(v)) {
		snprintf(out, n, "-");
		return;
	}
	s = (long)(v->valuedouble / 1000);
	if (s < 60)
		snprintf(out, n, "%lds", s);
	else if (s < 3600)
		snprintf(out, n, "%ldm%02lds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, n, "%ldh%02ldm", s / 3600, s % 3600 / 60);
	else
		snprintf(out, n, "%ldd%02ldh", s / 86400, s % 86400 / 3600);
}

static void
ctl_print_table(const cJSON *status, FILE *out)
{
	const cJSON *svc;

	fprintf(out, "%-10s %-9s %-8s %-8s %-8s %s\n", "DAEMON", "STATE", "PID", "UPTIME",
	        "RESTARTS", "LAST EXIT");
	cJSON_ArrayForEach(svc, cJSON_GetObjectItem(status, "services"))
	{
		const cJSON *pid = cJSON_GetObjectItem(svc, "pid");
		const cJSON *last = cJSON_GetObjectItem(svc, "last_exit");
		char pidtxt[16] = "-", up[32], lasttxt[16] = "-";

		if (cJSON_IsNumber(pid))
			snprintf(pidtxt, sizeof(pidtxt), "%d", pid->valueint);
		if (cJSON_IsNumber(last))
			snprintf(lasttxt, sizeof(lasttxt), "%d", last->valueint);
		ctl_uptime(cJSON_GetObjectItem(svc, "uptime_ms"), up, sizeof(up));
		fprintf(out, "%-10s %-9s %-8s %-8s %-8d %s\n",
		        cJSON_GetStringValue(cJSON_GetObjectItem(svc, "name")) ?: "?",
		        cJSON_GetStringValue(cJSON_GetObjectItem(svc, "state")) ?: "?", pidtxt, up,
		        ctl_int(svc, "restarts", 0), lasttxt);
	}
}

static int
ctl_cmd_status(struct ctl *c, int argc, char **argv)
{
	bool json = argc == 2 && strcmp(argv[1], "--json") == 0;
	char err[512];
	cJSON *st;
	int code;

	if (argc > 2 || (argc == 2 && !json)) {
		fputs("usage: platformctl status [--json]\n", stderr);
		return EXIT_USAGE;
	}
	st = ctl_status_request(c, err, sizeof(err));
	if (st == NULL) {
		if (json)
			puts("{\"running\":false,\"services\":[]}");
		fprintf(stderr, "platformctl: %s\n", err);
		return CTL_NOT_RUNNING;
	}
	code = ctl_all_ready(st) ? EXIT_OK : EXIT_RUNTIME;
	if (json) {
		char *s;

		cJSON_DeleteItemFromObject(st, "ok");
		cJSON_AddBoolToObject(st, "running", true);
		s = cJSON_PrintUnformatted(st);
		puts(s);
		free(s);
	} else {
		printf("platformd pid %d, %s\n", ctl_int(st, "pid", 0),
		       cJSON_GetStringValue(cJSON_GetObjectItem(st, "state")) ?: "?");
		ctl_print_table(st, stdout);
	}
	cJSON_Delete(st);
	return code;
}

/* A process is gone when /proc has no entry for it or it is a zombie. */
static bool
ctl_pid_gone(int pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return true;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' && p[2] == 'Z';
}

static int
ctl_cmd_stop(struct ctl *c, int argc, char **argv)
{
	char err[512];
	cJSON *st = ctl_status_request(c, err, sizeof(err)), *r;
	int pid;
	int64_t deadline;

	if (argc != 1) {
		cJSON_Delete(st);
		fputs("usage: platformctl stop\n", stderr);
		return EXIT_USAGE;
	}
	if (st == NULL) {
		printf("platformd is not running\n");
		return EXIT_OK;
	}
	if (ctl_int(st, "pid", 0) <= 1) {
		cJSON_Delete(st);
		fprintf(stderr, "platformctl: malformed status reply (no pid)\n");
		return EXIT_RUNTIME;
	}
	pid = ctl_int(st, "pid", 0);
	cJSON_Delete(st);
	r = ctlclient_request(c->sock, "stop", err, sizeof(err));
	if (r == NULL) {
		fprintf(stderr, "platformctl: %s\n", err);
		return EXIT_RUNTIME;
	}
	cJSON_Delete(r);
	/* the longest stop: api and queue drain, then SIGKILL, then postgres */
	deadline = ctl_now_ms() +
	           (c->sc.cfg.supervisor_stop_timeout_s * 2 + c->sc.cfg.api_shutdown_timeout_s +
	            c->sc.cfg.queue_shutdown_timeout_s + 20) *
	               1000;
	while (!ctl_pid_gone(pid) && ctl_now_ms() < deadline)
		ctl_sleep_ms(CTL_POLL_MS);
	if (!ctl_pid_gone(pid)) {
		fprintf(stderr, "platformctl: platformd (pid %d) did not stop in time\n", pid);
		return EXIT_RUNTIME;
	}
	printf("stopped\n");
	return EXIT_OK;
}

/* Poll until every service is ready and, for name (or all when NULL), the pid differs
 * from the one in before. */
static int
ctl_wait_restarted(const struct ctl *c, const cJSON *before, const char *name, int timeout_s)
{
	int64_t deadline = ctl_now_ms() + (int64_t)timeout_s * 1000;
	char err[512];

	while (ctl_now_ms() < deadline) {
		cJSON *st = ctl_status_request(c, err, sizeof(err)), *svc;
		cJSON *list = st != NULL ? cJSON_GetObjectItem(st, "services") : NULL;
		bool done = st != NULL && ctl_all_ready(st);

		cJSON_ArrayForEach(svc, list)
		{
			const char *n = cJSON_GetStringValue(cJSON_GetObjectItem(svc, "name"));
			const cJSON *old, *pid = cJSON_GetObjectItem(svc, "pid");

			if (n == NULL || (name != NULL && strcmp(n, name) != 0) ||
			    !cJSON_IsNumber(pid))
				continue;
			cJSON_ArrayForEach(old, cJSON_GetObjectItem(before, "services"))
			{
				const cJSON *op = cJSON_GetObjectItem(old, "pid");
				const char *on =
				    cJSON_GetStringValue(cJSON_GetObjectItem(old, "name"));

				if (on != NULL && strcmp(on, n) == 0 && cJSON_IsNumber(op) &&
				    op->valueint == pid->valueint)
					done = false;
			}
		}
		if (done) {
			ctl_print_table(st, stdout);
			cJSON_Delete(st);
			return EXIT_OK;
		}
		cJSON_Delete(st);
		ctl_sleep_ms(CTL_POLL_MS);
	}
	fprintf(stderr, "platformctl: not all services ready after %d s (platformctl status)\n",
	        timeout_s);
	return EXIT_RUNTIME;
}

static int
ctl_cmd_restart(struct ctl *c, int argc, char **argv)
{
	char err[512], req[128];
	cJSON *before, *r;
	const char *err_text;
	int code;

	if (argc > 2 || (argc == 2 && strlen(argv[1]) > 64)) {
		fputs("usage: platformctl restart [daemon]\n", stderr);
		return EXIT_USAGE;
	}
	before = ctl_status_request(c, err, sizeof(err));
	if (before == NULL) {
		fprintf(stderr, "platformctl: %s\n", err);
		return CTL_NOT_RUNNING;
	}
	snprintf(req, sizeof(req), "restart%s%s", argc == 2 ? " " : "", argc == 2 ? argv[1] : "");
	r = ctlclient_request(c->sock, req, err, sizeof(err));
	err_text = r == NULL ? err : cJSON_GetStringValue(cJSON_GetObjectItem(r, "error"));
	if (r == NULL || !cJSON_IsTrue(cJSON_GetObjectItem(r, "ok"))) {
		fprintf(stderr, "platformctl: %s\n", err_text != NULL ? err_text : "error");
		cJSON_Delete(r);
		cJSON_Delete(before);
		return EXIT_RUNTIME;
	}
	cJSON_Delete(r);
	code = ctl_wait_restarted(c, before, argc == 2 ? argv[1] : NULL, 60);
	cJSON_Delete(before);
	return code;
}

static void
ctl_print_hints(const struct ctl *c)
{
	const struct config *cfg = &c->sc.cfg;
	const char *host = strcmp(cfg->api_listen, "0.0.0.0") == 0 ? "127.0.0.1" : cfg->api_listen;

	if (c->services == NULL)
		printf("\nAPI listening on http://%s:%lld   (try: curl http://%s:%lld/_health)\n",
		       host, (long long)cfg->api_port, host, (long long)cfg->api_port);
	printf("status: %s status\nlogs:   %s logs <daemon> [-f]   (files in %s/log/)\n"
	       "stop:   %s stop\n",
	       c->argv0, c->argv0, c->sc.var_dir, c->argv0);
}

static void
ctl_start_failed(const struct ctl *c, char *line)
{
	char *svc = line + 5, *reason = strchr(svc, ' '), path[4096];

	line[strcspn(line, "\n")] = '\0';
	if (reason != NULL)
		*reason++ = '\0';
	fprintf(stderr, "platformctl: start failed: %s: %s\n", svc, reason ?: "");
	snprintf(path, sizeof(path), "%s/log/%s.log", c->sc.var_dir,
	         strcmp(svc, "-") == 0 ? "platformd" : svc);
	fprintf(stderr, "--- last lines of %s ---\n", path);
	ctl_logs_tail(path, 20, stderr);
}

/* The platformd executable next to platformctl. */
static void
ctl_platformd_path(char *out, size_t n)
{
	char self[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	self[len > 0 ? len : 0] = '\0';
	slash = strrchr(self, '/');
	if (slash != NULL)
		*slash = '\0';
	snprintf(out, n, "%s/platformd", len > 0 ? self : ".");
}

static int
ctl_run_platformd(const struct ctl *c, int timeout_s, char *out, size_t n)
{
	char exe[PATH_MAX + 16], tmo[16];
	char *argv[10];
	int p[2], status, k = 0;
	size_t len = 0;
	ssize_t r;
	pid_t pid;

	ctl_platformd_path(exe, sizeof(exe));
	snprintf(tmo, sizeof(tmo), "%d", timeout_s);
	argv[k++] = exe;
	argv[k++] = "--daemon";
	argv[k++] = "--start-timeout";
	argv[k++] = tmo;
	if (c->config != NULL) {
		argv[k++] = "--config";
		argv[k++] = (char *)c->config;
	}
	if (c->services != NULL) {
		argv[k++] = "--services";
		argv[k++] = (char *)c->services;
	}
	argv[k] = NULL;
	if (pipe2(p, O_CLOEXEC) != 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		execv(exe, argv);
		fprintf(stderr, "platformctl: cannot run %s: %s\n", exe, strerror(errno));
		_exit(EXIT_RUNTIME);
	}
	close(p[1]);
	while (len < n - 1 && ((r = read(p[0], out + len, n - 1 - len)) > 0 || errno == EINTR))
		len += r > 0 ? (size_t)r : 0;
	out[len] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int
ctl_cmd_start(struct ctl *c, int argc, char **argv)
{
	char err[512], out[1024];
	int timeout_s = 60, code;
	cJSON *st;

	if (argc == 3 && strcmp(argv[1], "--timeout") == 0)
		timeout_s = atoi(argv[2]);
	if ((argc != 1 && argc != 3) || timeout_s < 1) {
		fputs("usage: platformctl start [--timeout S]\n", stderr);
		return EXIT_USAGE;
	}
	st = ctl_status_request(c, err, sizeof(err));
	if (st != NULL) {
		printf("platformd is already running\n");
		ctl_print_table(st, stdout);
		code = ctl_all_ready(st) ? EXIT_OK : EXIT_RUNTIME;
		cJSON_Delete(st);
		return code;
	}
	code = ctl_run_platformd(c, timeout_s, out, sizeof(out));
	if (code == 0) {
		st = ctl_status_request(c, err, sizeof(err));
		if (st != NULL)
			ctl_print_table(st, stdout);
		cJSON_Delete(st);
		ctl_print_hints(c);
		return EXIT_OK;
	}
	if (strncmp(out, "fail ", 5) == 0)
		ctl_start_failed(c, out);
	else
		fprintf(stderr, "platformctl: platformd failed to start (exit %d)\n", code);
	return code > 0 ? code : EXIT_RUNTIME;
}

static void
ctl_parse_globals(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "services", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	while ((o = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (o) {
		case 'c':
			c->config = optarg;
			break;
		case 's':
			c->services = optarg;
			break;
		case 'h':
			fputs(ctl_usage, stdout);
			exit(EXIT_OK);
		default:
			fputs(ctl_usage, stderr);
			exit(EXIT_USAGE);
		}
	}
	if (optind >= argc) {
		fputs(ctl_usage, stderr);
		exit(EXIT_USAGE);
	}
}

static const struct {
	const char *name;
	int (*fn)(struct ctl *c, int argc, char **argv);
} ctl_commands[] = {
	{ "start", ctl_cmd_start },
	{ "stop", ctl_cmd_stop },
	{ "restart", ctl_cmd_restart },
	{ "status", ctl_cmd_status },
};

int
main(int argc, char **argv)
{
	struct ctl c = { 0 };
	struct err *e;
	const char *cmd;
	int code = -1;

	c.argv0 = argv[0];
	ctl_parse_globals(&c, argc, argv);
	argc -= optind;
	argv += optind;
	cmd = argv[0];
	if (strcmp(cmd, "user") == 0) {
		/* the user command loads its own configuration: hand it the global --config */
		if (c.config != NULL)
			setenv("PLATFORM_CONFIG", c.config, 1);
		return ctl_user_main(argc, argv);
	}
	if ((e = supconfig_load(&c.sc, c.config, false)) != NULL) {
		fprintf(stderr, "platformctl: configuration error: %s\n", e->message);
		err_free(e);
		supconfig_free(&c.sc);
		return EXIT_CONFIG;
	}
	c.sock = supconfig_path(&c.sc, "run/platformd.sock");
	if (strcmp(cmd, "logs") == 0)
		code = ctl_logs_main(c.sc.var_dir, argc, argv);
	for (size_t i = 0; code < 0 && i < sizeof(ctl_commands) / sizeof(ctl_commands[0]); i++)
		if (strcmp(cmd, ctl_commands[i].name) == 0)
			code = ctl_commands[i].fn(&c, argc, argv);
	if (code < 0) {
		fprintf(stderr, "platformctl: unknown command '%s'\n%s", cmd, ctl_usage);
		code = EXIT_USAGE;
	}
	free(c.sock);
	supconfig_free(&c.sc);
	return code;
}
