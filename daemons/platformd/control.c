/* Control socket server: size-checked, line-based requests, JSON replies. */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "fatal.h"

static bool
control_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return false;
	memcpy(sa->sun_path, path, strlen(path));
	return true;
}

bool
control_open(struct control *c, const char *path, char *err, size_t n)
{
	struct sockaddr_un sa;
	int probe;
	mode_t old;

	memset(c, 0, sizeof(*c));
	c->listen_fd = -1;
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++)
		c->clients[i].fd = -1;
	if (!control_addr(&sa, path)) {
		snprintf(err, n, "control socket path too long: %s", path);
		return false;
	}
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(probe);
		snprintf(err, n, "platformd is already running (%s)", path);
		return false;
	}
	if (probe >= 0)
		close(probe);
	unlink(path);
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	old = umask(077);
	if (c->listen_fd < 0 || bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(c->listen_fd, 16) != 0) {
		umask(old);
		snprintf(err, n, "cannot listen on %s: %s", path, strerror(errno));
		return false;
	}
	umask(old);
	chmod(path, 0600);
	c->path = xstrdup(path);
	return true;
}

static void
control_drop(struct control_client *cl)
{
	if (cl->fd >= 0)
		close(cl->fd);
	cl->fd = -1;
	cl->len = 0;
}

void
control_close(struct control *c)
{
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++)
		control_drop(&c->clients[i]);
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	c->listen_fd = -1;
	if (c->path != NULL)
		unlink(c->path);
	free(c->path);
	c->path = NULL;
}

/* Write the whole reply, blocking with a short time-out (replies are small). */
static void
control_send(int fd, const char *reply)
{
	struct timeval tv = { .tv_sec = 1 };
	size_t len = strlen(reply), off = 0;

	fcntl(fd, F_SETFL, 0);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (off < len) {
		ssize_t w = send(fd, reply + off, len - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

static char *
control_error(const char *fmt, const char *arg)
{
	char msg[256];
	cJSON *o = cJSON_CreateObject();
	char *s;

	snprintf(msg, sizeof(msg), fmt, arg);
	cJSON_AddBoolToObject(o, "ok", false);
	cJSON_AddStringToObject(o, "error", msg);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (s == NULL)
		fatal_oom();
	return s;
}

static char *
control_reply(cJSON *o)
{
	char *s;

	cJSON_AddBoolToObject(o, "ok", true);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (s == NULL)
		fatal_oom();
	return s;
}

static bool
control_printable(const char *line)
{
	for (const unsigned char *p = (const unsigned char *)line; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return true;
}

char *
control_handle(struct sup *s, const char *line, int64_t now)
{
	char cmd[16], arg[64], extra[2];
	int nw;

	if (!control_printable(line))
		return control_error("%srequest is not printable text", "");
	nw = sscanf(line, "%15s %63s %1s", cmd, arg, extra);
	if (nw < 1)
		return control_error("%sempty request", "");
	if (strcmp(cmd, "status") == 0 && nw == 1)
		return control_reply(sup_status(s, now));
	if (strcmp(cmd, "stop") == 0 && nw == 1) {
		sup_stop_all(s, now);
		return control_reply(cJSON_CreateObject());
	}
	if (strcmp(cmd, "restart") == 0 && nw == 1) {
		sup_restart_all(s, now);
		return control_reply(cJSON_CreateObject());
	}
	if (strcmp(cmd, "restart") == 0 && nw == 2) {
		if (!sup_restart_one(s, arg, now))
			return control_error("no such daemon '%s'", arg);
		return control_reply(cJSON_CreateObject());
	}
	return control_error("unknown request '%s' (status | stop | restart [daemon])", cmd);
}

void
control_on_accept(struct control *c, int64_t now)
{
	int fd;

	while ((fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct control_client *slot = NULL;

		for (size_t i = 0; i < CONTROL_MAX_CLIENTS && slot == NULL; i++)
			if (c->clients[i].fd < 0)
				slot = &c->clients[i];
		if (slot == NULL) {
			char *r = control_error("%stoo many control connections", "");

			control_send(fd, r);
			free(r);
			close(fd);
			continue;
		}
		slot->fd = fd;
		slot->len = 0;
		slot->deadline_ms = now + CONTROL_IDLE_MS;
	}
}

static void
control_answer(struct control_client *cl, char *reply)
{
	control_send(cl->fd, reply);
	control_send(cl->fd, "\n");
	free(reply);
	control_drop(cl);
}

void
control_on_readable(struct control *c, size_t i, struct sup *s, int64_t now)
{
	struct control_client *cl = &c->clients[i];
	ssize_t n = read(cl->fd, cl->buf + cl->len, sizeof(cl->buf) - cl->len);
	char *nl;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (n == 0 && cl->len > 0)
			control_answer(cl, control_error("%srequest without newline", ""));
		else
			control_drop(cl);
		return;
	}
	cl->len += (size_t)n;
	nl = memchr(cl->buf, '\n', cl->len);
	if (nl == NULL) {
		if (cl->len == sizeof(cl->buf))
			control_answer(cl,
			               control_error("request too long (max %s bytes)", "4096"));
		return;
	}
	if (memchr(cl->buf, '\0', (size_t)(nl - cl->buf)) != NULL) {
		control_answer(cl, control_error("%srequest is not printable text", ""));
		return;
	}
	*nl = '\0';
	if (nl > cl->buf && nl[-1] == '\r')
		nl[-1] = '\0';
	control_answer(cl, control_handle(s, cl->buf, now));
}

int
control_tick(struct control *c, int64_t now)
{
	int64_t next = -1;

	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		struct control_client *cl = &c->clients[i];

		if (cl->fd < 0)
			continue;
		if (now >= cl->deadline_ms) {
			control_answer(cl, control_error("%stime-out waiting for a request", ""));
			continue;
		}
		if (next < 0 || cl->deadline_ms < next)
			next = cl->deadline_ms;
	}
	return next < 0 ? -1 : (int)(next - now);
}
