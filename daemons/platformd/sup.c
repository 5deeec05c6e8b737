/* Supervisor state machine (see sup.h for the table of states and events). */
#include "sup.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "exitcode.h"
#include "fatal.h"
#include "notify.h"
#include "pgembed.h"

/* PostgreSQL built with systemd support says READY=1 itself; the ping is the
 * fallback for builds without it (and logs a FATAL line per early attempt). */
#define SUP_PG_PING_MS 100

static const char *const sup_state_names[] = { "waiting", "starting", "up",      "done",
	                                       "backoff", "stopping", "stopped", "failed" };

const char *
sup_state_name(enum sup_state st)
{
	return sup_state_names[st];
}

static bool
sup_permanent(int code)
{
	return code == EXIT_USAGE || code == EXIT_MIGRATION || code == EXIT_CONFIG;
}

/* A datagram socket at path that the service (running as user, if set) may send to. */
static int
sup_notify_socket(const char *path, const char *user, char *err, size_t n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, one = 1;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, n, "notify socket path too long: %s", path);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		snprintf(err, n, "cannot bind %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	chmod(path, 0600);
	if (user != NULL && geteuid() == 0) {
		struct passwd *pw = getpwnam(user);

		if (pw != NULL && chown(path, pw->pw_uid, pw->pw_gid) != 0)
			snprintf(err, n, "cannot chown %s: %s", path, strerror(errno));
	}
	return fd;
}

static char *
sup_join(const char *dir, const char *name, const char *suffix)
{
	size_t n = strlen(dir) + strlen(name) + strlen(suffix) + 2;
	char *p = xmalloc(n);

	snprintf(p, n, "%s/%s%s", dir, name, suffix);
	return p;
}

bool
sup_init(struct sup *s, const struct svc_table *t, const char *var_dir, int64_t log_max,
         int log_keep, const struct logger *lg, char *err, size_t n)
{
	char *logdir = sup_join(var_dir, "log", ""), *rundir = sup_join(var_dir, "run", "");
	bool ok = true;

	memset(s, 0, sizeof(*s));
	s->table = t;
	s->lg = lg;
	s->start_fd = -1;
	s->stop_timeout_ms = 10000;
	for (size_t i = 0; i < t->n; i++) {
		struct sup_proc *p = &s->proc[i];
		char *logpath = sup_join(logdir, t->svc[i].name, ".log");

		p->def = &t->svc[i];
		p->out_fd = p->notify_fd = -1;
		p->last_exit = -1;
		logsink_init(&p->log, logpath, log_max, log_keep);
		free(logpath);
		s->n++;
		if (ok && (p->def->kind == SVC_NOTIFY || p->def->kind == SVC_PGREADY)) {
			p->notify_path = sup_join(rundir, t->svc[i].name, ".notify");
			p->notify_fd = sup_notify_socket(p->notify_path, p->def->user, err, n);
			ok = p->notify_fd >= 0;
		}
	}
	free(logdir);
	free(rundir);
	return ok;
}

void
sup_free(struct sup *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct sup_proc *p = &s->proc[i];

		if (p->out_fd >= 0)
			close(p->out_fd);
		if (p->notify_fd >= 0)
			close(p->notify_fd);
		if (p->notify_path != NULL)
			unlink(p->notify_path);
		free(p->notify_path);
		logsink_close(&p->log);
	}
	if (s->start_fd >= 0)
		close(s->start_fd);
	s->n = 0;
}

static bool
sup_alive(const struct sup_proc *p)
{
	return p->pid > 0;
}

static bool
sup_ready(const struct sup_proc *p)
{
	return p->state == SUP_UP || p->state == SUP_DONE;
}

static bool
sup_deps_ready(const struct sup *s, const struct sup_proc *p)
{
	for (size_t d = 0; d < p->def->ndeps; d++)
		if (!sup_ready(&s->proc[p->def->deps[d]]))
			return false;
	return true;
}

/* Report the start result once (daemon mode: to the waiting platformctl). */
static void
sup_report(struct sup *s, const char *service, const char *reason)
{
	char msg[768];
	int len;

	if (s->start_reported)
		return;
	s->start_reported = true;
	if (reason == NULL) {
		log_info(s->lg, "platformd.ready", "all services ready");
		notify_send("READY=1"); /* when platformd itself runs under systemd */
		len = snprintf(msg, sizeof(msg), "ok\n");
	} else {
		log_error(s->lg, "platformd.startFailed", "%s: %s", service, reason);
		len = snprintf(msg, sizeof(msg), "fail %s %s\n", service, reason);
	}
	if (s->start_fd >= 0) {
		if (write(s->start_fd, msg, (size_t)len) < 0)
			log_error(s->lg, "platformd.report", "cannot report start: %s",
			          strerror(errno));
		close(s->start_fd);
		s->start_fd = -1;
	}
}

static void
sup_spawn(struct sup *s, struct sup_proc *p, int64_t now)
{
	int fd;
	pid_t pid = child_spawn(p->def, p->notify_path, &fd);

	if (p->spawned_once)
		p->restarts++;
	p->spawned_once = true;
	p->started_ms = now;
	p->killed = false;
	p->restart_now = false;
	if (pid < 0) {
		log_error(s->lg, "platformd.spawn", "%s: fork failed: %s", p->def->name,
		          strerror(errno));
		p->failures++;
		p->backoff_ms = s->table->backoff_max_ms;
		p->next_ms = now + p->backoff_ms;
		p->state = SUP_BACKOFF;
		return;
	}
	p->pid = pid;
	p->out_fd = fd;
	p->state = p->def->kind == SVC_SIMPLE ? SUP_UP : SUP_STARTING;
	p->next_ms = now + 2 * SUP_PG_PING_MS;
	log_info(s->lg, "platformd.spawn", "%s started, pid %d", p->def->name, (int)pid);
}

static void
sup_signal(struct sup *s, struct sup_proc *p, int64_t now)
{
	int64_t timeout = s->stop_timeout_ms;

	if (p->def->stop_timeout_ms > timeout)
		timeout = p->def->stop_timeout_ms;
	if (s->hurry)
		timeout = 0; /* second signal: SIGKILL on the next tick */
	child_signal(p->pid, p->def->stop_signal);
	p->state = SUP_STOPPING;
	p->next_ms = now + timeout;
}

static void
sup_tick_proc(struct sup *s, struct sup_proc *p, int64_t now)
{
	switch (p->state) {
	case SUP_WAITING:
		if (sup_deps_ready(s, p))
			sup_spawn(s, p, now);
		break;
	case SUP_BACKOFF:
		if (now >= p->next_ms && sup_deps_ready(s, p))
			sup_spawn(s, p, now);
		break;
	case SUP_STARTING:
		if (p->def->kind == SVC_PGREADY && now >= p->next_ms) {
			if (pgembed_ready(p->def->pg_port)) {
				p->state = SUP_UP;
				log_info(s->lg, "platformd.ready", "%s ready in %lld ms",
				         p->def->name, (long long)(now - p->started_ms));
			}
			p->next_ms = now + SUP_PG_PING_MS;
		}
		break;
	case SUP_STOPPING:
		if (now < p->next_ms || !sup_alive(p))
			break;
		if (!p->killed) {
			log_error(s->lg, "platformd.kill", "%s did not stop in time: SIGKILL",
			          p->def->name);
			child_signal(p->pid, SIGKILL);
			p->killed = true;
		}
		p->next_ms = now + 1000; /* only a wake-up: the exit itself is an event */
		break;
	default:
		break;
	}
}

static void
sup_check_start(struct sup *s, int64_t now)
{
	size_t ready = 0;
	char reason[512];

	if (s->start_reported)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct sup_proc *p = &s->proc[i];

		if (p->state == SUP_FAILED) {
			snprintf(reason, sizeof(reason),
			         "exited with code %d (permanent failure, not restarted)",
			         p->last_exit);
			sup_report(s, p->def->name, reason);
			s->exit_code = 1;
			sup_stop_all(s, now);
			return;
		}
		ready += sup_ready(p);
	}
	if (ready == s->n) {
		sup_report(s, "-", NULL);
		return;
	}
	if (s->start_deadline_ms == 0 || now < s->start_deadline_ms)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct sup_proc *p = &s->proc[i];

		if (sup_ready(p))
			continue;
		snprintf(reason, sizeof(reason),
		         "not ready in time (state %s, last exit %d); platformd keeps trying, "
		         "'platformctl stop' gives up",
		         sup_state_name(p->state), p->last_exit);
		sup_report(s, p->def->name, reason);
		return;
	}
}

/* Stopping: a service is signalled once nothing still running depends on it. */
static bool
sup_has_live_dependent(const struct sup *s, size_t i)
{
	for (size_t j = i + 1; j < s->n; j++) {
		const struct sup_proc *q = &s->proc[j];

		if (!sup_alive(q))
			continue;
		for (size_t d = 0; d < q->def->ndeps; d++)
			if (q->def->deps[d] == i)
				return true;
	}
	return false;
}

static void
sup_tick_stopping(struct sup *s, int64_t now)
{
	size_t alive = 0;

	for (size_t k = s->n; k > 0; k--) {
		struct sup_proc *p = &s->proc[k - 1];

		if (!sup_alive(p)) {
			if (p->state != SUP_FAILED && p->state != SUP_DONE)
				p->state = SUP_STOPPED;
			continue;
		}
		alive++;
		if (p->state != SUP_STOPPING && !sup_has_live_dependent(s, k - 1))
			sup_signal(s, p, now);
		sup_tick_proc(s, p, now);
	}
	if (alive > 0)
		return;
	if (s->mode == SUP_SHUTDOWN) {
		s->finished = true;
		return;
	}
	for (size_t i = 0; i < s->n; i++) { /* restart all: from the top again */
		s->proc[i].state = SUP_WAITING;
		s->proc[i].failures = 0;
	}
	s->mode = SUP_RUN;
}

static int
sup_next_timeout(const struct sup *s, int64_t now)
{
	int64_t next = -1;

	for (size_t i = 0; i < s->n; i++) {
		const struct sup_proc *p = &s->proc[i];
		/* a restart waiting for a dependency is woken by that dependency's event,
		 * not by a timer: no busy loop */
		bool timed = (p->state == SUP_BACKOFF && sup_deps_ready(s, p)) ||
		             p->state == SUP_STOPPING ||
		             (p->state == SUP_STARTING && p->def->kind == SVC_PGREADY);

		if (timed && (next < 0 || p->next_ms < next))
			next = p->next_ms;
	}
	if (!s->start_reported && s->start_deadline_ms > 0 &&
	    (next < 0 || s->start_deadline_ms < next))
		next = s->start_deadline_ms;
	if (next < 0)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}

int
sup_tick(struct sup *s, int64_t now)
{
	if (s->mode != SUP_RUN) {
		sup_tick_stopping(s, now);
	} else {
		for (size_t i = 0; i < s->n; i++)
			sup_tick_proc(s, &s->proc[i], now);
		sup_check_start(s, now);
		if (s->mode != SUP_RUN)
			sup_tick_stopping(s, now);
	}
	return sup_next_timeout(s, now);
}

static void
sup_drain(struct sup_proc *p)
{
	char buf[8192];
	ssize_t n;

	if (p->out_fd < 0)
		return;
	while ((n = read(p->out_fd, buf, sizeof(buf))) > 0)
		logsink_feed(&p->log, buf, (size_t)n);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		logsink_flush(&p->log);
		close(p->out_fd);
		p->out_fd = -1;
	}
}

void
sup_on_output(struct sup *s, size_t i)
{
	sup_drain(&s->proc[i]);
}

static void
sup_after_exit(struct sup *s, struct sup_proc *p, int code, int64_t now)
{
	if (s->mode != SUP_RUN || (p->state == SUP_STOPPING && !p->restart_now)) {
		p->state = SUP_STOPPED;
	} else if (p->restart_now) {
		p->state = SUP_BACKOFF; /* requested restart: at once, no backoff */
		p->failures = 0;
		p->backoff_ms = 0;
		p->next_ms = now;
	} else if (p->def->kind == SVC_ONESHOT && code == 0) {
		p->state = SUP_DONE;
	} else if (sup_permanent(code)) {
		p->state = SUP_FAILED;
		log_error(s->lg, "platformd.failed",
		          "%s exited with %d: permanent failure, not restarted", p->def->name,
		          code);
	} else {
		if (now - p->started_ms >= s->table->reset_after_ms)
			p->failures = 0;
		p->backoff_ms = s->table->backoff_base_ms;
		for (int k = 0; k < p->failures && p->backoff_ms < s->table->backoff_max_ms; k++)
			p->backoff_ms *= 2;
		if (p->backoff_ms > s->table->backoff_max_ms)
			p->backoff_ms = s->table->backoff_max_ms;
		p->failures++;
		p->state = SUP_BACKOFF;
		p->next_ms = now + p->backoff_ms;
		log_info(s->lg, "platformd.backoff", "%s: restart in %lld ms", p->def->name,
		         (long long)p->backoff_ms);
	}
}

void
sup_on_exit(struct sup *s, pid_t pid, int status, int64_t now)
{
	for (size_t i = 0; i < s->n; i++) {
		struct sup_proc *p = &s->proc[i];
		int code;

		if (p->pid != pid)
			continue;
		code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		p->pid = 0;
		p->last_exit = code;
		kill(-pid, SIGKILL); /* anything it left behind in its group */
		sup_drain(p);
		if (p->out_fd >= 0) { /* a leftover holds the pipe: stop reading it */
			logsink_flush(&p->log);
			close(p->out_fd);
			p->out_fd = -1;
		}
		log_info(s->lg, "platformd.exit", "%s (pid %d) exited with %d after %lld ms",
		         p->def->name, (int)pid, code, (long long)(now - p->started_ms));
		sup_after_exit(s, p, code, now);
		return;
	}
}

/* One datagram of "KEY=VALUE" lines; only READY=1 and STOPPING=1 matter. */
static void
sup_notify_apply(struct sup *s, struct sup_proc *p, char *msg, int64_t now)
{
	char *save = NULL;

	for (char *l = strtok_r(msg, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		if (strcmp(l, "READY=1") == 0 && p->state == SUP_STARTING) {
			p->state = SUP_UP;
			log_info(s->lg, "platformd.ready", "%s ready in %lld ms", p->def->name,
			         (long long)(now - p->started_ms));
		} else if (strcmp(l, "STOPPING=1") == 0) {
			log_info(s->lg, "platformd.stopping", "%s is stopping", p->def->name);
		}
	}
}

static bool
sup_sender_ok(const struct sup_proc *p, struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		struct ucred cred;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_CREDENTIALS)
			continue;
		memcpy(&cred, CMSG_DATA(c), sizeof(cred));
		return p->pid > 0 && (cred.pid == p->pid || getpgid(cred.pid) == p->pid);
	}
	return p->pid > 0;
}

void
sup_on_notify(struct sup *s, size_t i, int64_t now)
{
	struct sup_proc *p = &s->proc[i];
	char buf[4097];
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	for (;;) {
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		n = recvmsg(p->notify_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0)
			return;
		buf[n] = '\0';
		if (sup_sender_ok(p, &mh))
			sup_notify_apply(s, p, buf, now);
	}
}

void
sup_stop_all(struct sup *s, int64_t now)
{
	if (s->mode == SUP_SHUTDOWN)
		return;
	log_info(s->lg, "platformd.stop", "stopping all services");
	notify_send("STOPPING=1");
	s->mode = SUP_SHUTDOWN;
	sup_tick_stopping(s, now);
}

void
sup_restart_all(struct sup *s, int64_t now)
{
	if (s->mode != SUP_RUN)
		return;
	log_info(s->lg, "platformd.restart", "restarting all services");
	s->mode = SUP_RESTART_ALL;
	sup_tick_stopping(s, now);
}

bool
sup_restart_one(struct sup *s, const char *name, int64_t now)
{
	int i = svc_table_find(s->table, name);
	struct sup_proc *p;

	if (i < 0)
		return false;
	p = &s->proc[i];
	log_info(s->lg, "platformd.restart", "restarting %s", name);
	if (s->mode != SUP_RUN)
		return true;
	if (sup_alive(p)) {
		p->restart_now = true;
		if (p->state != SUP_STOPPING)
			sup_signal(s, p, now);
	} else {
		p->state = SUP_WAITING;
		p->failures = 0;
	}
	return true;
}

static cJSON *
sup_proc_status(const struct sup_proc *p, int64_t now)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", p->def->name);
	cJSON_AddStringToObject(o, "kind", svc_kind_name(p->def->kind));
	cJSON_AddStringToObject(o, "state", sup_state_name(p->state));
	if (sup_alive(p)) {
		cJSON_AddNumberToObject(o, "pid", p->pid);
		cJSON_AddNumberToObject(o, "uptime_ms", (double)(now - p->started_ms));
	} else {
		cJSON_AddNullToObject(o, "pid");
		cJSON_AddNullToObject(o, "uptime_ms");
	}
	cJSON_AddNumberToObject(o, "restarts", p->restarts);
	if (p->last_exit >= 0)
		cJSON_AddNumberToObject(o, "last_exit", p->last_exit);
	else
		cJSON_AddNullToObject(o, "last_exit");
	cJSON_AddNumberToObject(o, "backoff_ms", (double)p->backoff_ms);
	cJSON_AddNumberToObject(o, "failures", p->failures);
	return o;
}

cJSON *
sup_status(const struct sup *s, int64_t now)
{
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "services");
	const char *state = s->mode != SUP_RUN ? "stopping" : "running";

	if (s->mode == SUP_RUN && !s->start_reported)
		state = "starting";
	cJSON_AddNumberToObject(o, "pid", getpid());
	cJSON_AddStringToObject(o, "state", state);
	for (size_t i = 0; i < s->n; i++)
		cJSON_AddItemToArray(arr, sup_proc_status(&s->proc[i], now));
	return o;
}
