/* platformd: the supervisor. Starts the service table in dependency order, restarts
 * with capped backoff, captures each daemon's output into var/log/<daemon>.log, and
 * answers platformctl on var/run/platformd.sock. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.h"
#include "exitcode.h"
#include "fatal.h"
#include "pgembed.h"
#include "sup.h"
#include "supconfig.h"
#include "svc.h"
#include "timeutil.h"

static const char platformd_usage[] =
    "usage: platformd [--config FILE] [--services FILE] [--daemon] [--start-timeout S]\n"
    "\n"
    "Supervise the platform: [postgres,] migrate, api and queue, in that order. Use\n"
    "platformctl to start it in the background and to talk to it.\n"
    "\n"
    "  --config FILE      configuration file (default: $PLATFORM_CONFIG, else none)\n"
    "  --services FILE    a service table instead of the built-in one (see svc.h)\n"
    "  --daemon           detach; exit 0 once every service is ready, else 1 with\n"
    "                     'fail <service> <reason>' on stdout\n"
    "  --start-timeout S  report a start failure if not all ready after S s (60)\n"
    "  --help             this text\n"
    "\n"
    "Files under var_dir: log/<daemon>.log, log/platformd.log, run/platformd.sock,\n"
    "run/platformd.pid. Exit codes: 0 stopped cleanly, 1 start failed, 64 usage,\n"
    "78 configuration. Children exiting 64, 65 or 78 are not restarted.\n";

struct platformd_opts {
	const char *config;
	const char *services;
	bool daemon;
	int start_timeout_s;
};

/* Everything the running supervisor owns. */
struct platformd {
	struct supconfig sc;
	struct svc_table table;
	struct logger lg;
	struct sup sup;
	struct control ctl;
	int log_fd, pid_fd, sig_fd;
	char *pid_path;
	int term_count;
};

static void
platformd_parse(int argc, char **argv, struct platformd_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "services", required_argument, NULL, 's' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "start-timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->start_timeout_s = 60;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 's':
			o->services = optarg;
			break;
		case 'd':
			o->daemon = true;
			break;
		case 't':
			o->start_timeout_s = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || o->start_timeout_s < 1 || o->start_timeout_s > 86400) {
				fprintf(stderr, "platformd: bad --start-timeout '%s'\n", optarg);
				exit(EXIT_USAGE);
			}
			break;
		case 'h':
			fputs(platformd_usage, stdout);
			exit(EXIT_OK);
		default:
			fputs(platformd_usage, stderr);
			exit(EXIT_USAGE);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "platformd: unexpected argument '%s'\n%s", argv[optind],
		        platformd_usage);
		exit(EXIT_USAGE);
	}
}

static _Noreturn void
platformd_die(int code, const char *what, struct err *e)
{
	fprintf(stderr, "platformd: %s: %s\n", what, e->message);
	err_free(e);
	exit(code);
}

/* Configuration, service table, own log, single-instance lock, control socket. */
static void
platformd_setup(struct platformd *d, const struct platformd_opts *o)
{
	struct err *e = supconfig_load(&d->sc, o->config, true);
	char msg[512], *path;
	bool ok;

	if (e != NULL)
		platformd_die(EXIT_CONFIG, "configuration error", e);
	e = o->services != NULL
	        ? svc_table_load_file(&d->table, o->services, &d->sc.cfg, d->sc.var_dir)
	        : svc_table_builtin(&d->table, &d->sc.cfg, d->sc.embedded_pg, d->sc.var_dir);
	if (e != NULL)
		platformd_die(EXIT_CONFIG, "service table", e);
	path = supconfig_path(&d->sc, "log/platformd.log");
	d->log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (d->log_fd < 0) {
		fprintf(stderr, "platformd: cannot open %s: %s\n", path, strerror(errno));
		free(path);
		exit(EXIT_RUNTIME);
	}
	free(path);
	log_init(&d->lg, "platformd", LOG_FORMAT_NDJSON, d->log_fd);
	d->pid_path = supconfig_path(&d->sc, "run/platformd.pid");
	d->pid_fd = open(d->pid_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (d->pid_fd < 0 || flock(d->pid_fd, LOCK_EX | LOCK_NB) != 0) {
		fprintf(stderr, "platformd: already running (%s is locked)\n", d->pid_path);
		exit(EXIT_RUNTIME);
	}
	path = supconfig_path(&d->sc, "run/platformd.sock");
	ok = control_open(&d->ctl, path, msg, sizeof(msg));
	free(path);
	if (!ok) {
		fprintf(stderr, "platformd: %s\n", msg);
		exit(EXIT_RUNTIME);
	}
}

static void
platformd_init_pg(struct platformd *d)
{
	char *path;
	struct err *e;

	if (d->table.n == 0 || d->table.svc[0].kind != SVC_PGREADY)
		return;
	path = supconfig_path(&d->sc, "log/postgres.log");
	e = pgembed_init(d->sc.var_dir, path);
	free(path);
	if (e != NULL)
		platformd_die(EXIT_RUNTIME, "embedded PostgreSQL", e);
}

/* Fork: the parent waits for the start result and exits with it; the child goes on as
 * the daemon and returns the pipe's write end. */
static int
platformd_detach(struct platformd *d)
{
	int p[2], devnull;
	pid_t pid;
	char buf[1024];
	size_t len = 0;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) != 0 || (pid = fork()) < 0) {
		perror("platformd: fork");
		exit(EXIT_RUNTIME);
	}
	if (pid > 0) {
		close(p[1]);
		while (len < sizeof(buf) - 1 &&
		       ((n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0 || errno == EINTR))
			len += n > 0 ? (size_t)n : 0;
		buf[len] = '\0';
		if (len == 0)
			snprintf(buf, sizeof(buf), "fail - platformd exited during start-up\n");
		fputs(buf, stdout);
		fflush(stdout);
		_exit(strncmp(buf, "ok", 2) == 0 ? EXIT_OK : EXIT_RUNTIME);
	}
	close(p[0]);
	setsid();
	devnull = open("/dev/null", O_RDONLY);
	dup2(devnull, STDIN_FILENO);
	dup2(d->log_fd, STDOUT_FILENO); /* stray output and sanitizer reports */
	dup2(d->log_fd, STDERR_FILENO);
	close(devnull);
	return p[1];
}

static void
platformd_write_pid(struct platformd *d)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	if (ftruncate(d->pid_fd, 0) != 0 || pwrite(d->pid_fd, buf, (size_t)len, 0) != len)
		log_error(&d->lg, "platformd.pid", "cannot write %s", d->pid_path);
}

static void
platformd_signals(struct platformd *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sig_fd < 0)
		fatal("signalfd: %s", strerror(errno));
	/* Orphans of our daemons (e.g. PostgreSQL backends after a kill -9 of the
	 * postmaster) are re-parented to us, so we reap them: no zombies. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
}

static void
platformd_reap(struct platformd *d, int64_t now)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		sup_on_exit(&d->sup, pid, status, now);
}

static void
platformd_on_signal(struct platformd *d, int64_t now)
{
	struct signalfd_siginfo si;

	while (read(d->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			continue; /* reaped below */
		if (si.ssi_signo != SIGTERM && si.ssi_signo != SIGINT)
			continue; /* SIGHUP: nothing to reload */
		if (++d->term_count == 1) {
			log_info(&d->lg, "platformd.signal", "signal %d: stopping", si.ssi_signo);
			sup_stop_all(&d->sup, now);
		} else {
			log_info(&d->lg, "platformd.signal", "second signal: killing now");
			d->sup.hurry = true;
			for (size_t i = 0; i < d->sup.n; i++)
				if (d->sup.proc[i].state == SUP_STOPPING)
					d->sup.proc[i].next_ms = now; /* time-out expires at once */
		}
	}
	platformd_reap(d, now);
}

enum { PFD_SIG, PFD_LISTEN, PFD_FIRST };

struct platformd_pfd {
	struct pollfd fds[PFD_FIRST + CONTROL_MAX_CLIENTS + 2 * SVC_MAX];
	char what[PFD_FIRST + CONTROL_MAX_CLIENTS + 2 * SVC_MAX]; /* c, o, n */
	size_t idx[PFD_FIRST + CONTROL_MAX_CLIENTS + 2 * SVC_MAX];
	nfds_t n;
};

static void
platformd_pfd_add(struct platformd_pfd *p, int fd, char what, size_t idx)
{
	p->fds[p->n] = (struct pollfd){ .fd = fd, .events = POLLIN };
	p->what[p->n] = what;
	p->idx[p->n++] = idx;
}

static void
platformd_pfd_build(struct platformd *d, struct platformd_pfd *p)
{
	p->n = 0;
	platformd_pfd_add(p, d->sig_fd, 's', 0);
	platformd_pfd_add(p, d->ctl.listen_fd, 'l', 0);
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (d->ctl.clients[i].fd >= 0)
			platformd_pfd_add(p, d->ctl.clients[i].fd, 'c', i);
	for (size_t i = 0; i < d->sup.n; i++) {
		if (d->sup.proc[i].out_fd >= 0)
			platformd_pfd_add(p, d->sup.proc[i].out_fd, 'o', i);
		if (d->sup.proc[i].notify_fd >= 0)
			platformd_pfd_add(p, d->sup.proc[i].notify_fd, 'n', i);
	}
}

static int
platformd_min_timeout(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

static void
platformd_loop(struct platformd *d)
{
	struct platformd_pfd p;

	while (!d->sup.finished) {
		int64_t now = timeutil_monotonic_ms();
		int timeout =
		    platformd_min_timeout(sup_tick(&d->sup, now), control_tick(&d->ctl, now));

		if (d->sup.finished)
			break;
		platformd_pfd_build(d, &p);
		if (poll(p.fds, p.n, timeout) < 0 && errno != EINTR)
			fatal("poll: %s", strerror(errno));
		now = timeutil_monotonic_ms();
		for (nfds_t i = 0; i < p.n; i++) {
			if (p.fds[i].revents == 0)
				continue;
			switch (p.what[i]) {
			case 's':
				platformd_on_signal(d, now);
				break;
			case 'l':
				control_on_accept(&d->ctl, now);
				break;
			case 'c':
				control_on_readable(&d->ctl, p.idx[i], &d->sup, now);
				break;
			case 'o':
				sup_on_output(&d->sup, p.idx[i]);
				break;
			case 'n':
				sup_on_notify(&d->sup, p.idx[i], now);
				break;
			}
		}
	}
}

static void
platformd_free(struct platformd *d)
{
	sup_free(&d->sup);
	control_close(&d->ctl);
	svc_table_free(&d->table);
	unlink(d->pid_path);
	free(d->pid_path);
	close(d->pid_fd);
	if (d->sig_fd >= 0)
		close(d->sig_fd);
	supconfig_free(&d->sc);
}

int
main(int argc, char **argv)
{
	struct platformd_opts o;
	struct platformd d;
	char msg[512];
	int start_fd = -1, code;

	memset(&d, 0, sizeof(d));
	d.sig_fd = -1;
	platformd_parse(argc, argv, &o);
	platformd_setup(&d, &o);
	platformd_init_pg(&d);
	if (!sup_init(&d.sup, &d.table, d.sc.var_dir, d.sc.cfg.supervisor_log_max_bytes,
	              (int)d.sc.cfg.supervisor_log_keep, &d.lg, msg, sizeof(msg))) {
		fprintf(stderr, "platformd: %s\n", msg);
		platformd_free(&d);
		close(d.log_fd);
		return EXIT_RUNTIME;
	}
	if (o.daemon)
		start_fd = platformd_detach(&d);
	platformd_write_pid(&d);
	platformd_signals(&d);
	d.sup.stop_timeout_ms = d.sc.cfg.supervisor_stop_timeout_s * 1000;
	d.sup.start_fd = start_fd;
	d.sup.start_deadline_ms = timeutil_monotonic_ms() + (int64_t)o.start_timeout_s * 1000;
	log_info(&d.lg, "platformd.start", "pid %d, %zu services, var_dir %s", (int)getpid(),
	         d.table.n, d.sc.var_dir);
	platformd_loop(&d);
	code = d.sup.exit_code;
	log_info(&d.lg, "platformd.exit", "stopped (exit %d)", code);
	platformd_free(&d);
	close(d.log_fd);
	return code;
}
