/* Control socket client: connect, one request, one size-checked JSON reply. */
#include "ctlclient.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "fatal.h"

static int
ctlclient_connect(const char *path, char *err, size_t n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 10 };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, n, "socket path too long: %s", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		snprintf(err, n, "platformd is not running (%s: %s)", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static char *
ctlclient_read_reply(int fd, char *err, size_t n)
{
	size_t cap = 4096, len = 0;
	char *buf = xmalloc(cap);
	ssize_t r;

	while ((r = read(fd, buf + len, cap - len - 1)) > 0 || (r < 0 && errno == EINTR)) {
		len += r > 0 ? (size_t)r : 0;
		if (len + 1 == cap) {
			if (cap >= CONTROL_MAX_REPLY) {
				snprintf(err, n, "reply too long");
				free(buf);
				return NULL;
			}
			cap *= 2;
			buf = realloc(buf, cap);
			if (buf == NULL)
				fatal_oom();
		}
	}
	buf[len] = '\0';
	if (r < 0 || len == 0) {
		snprintf(err, n, "no reply from platformd%s%s", r < 0 ? ": " : "",
		         r < 0 ? strerror(errno) : "");
		free(buf);
		return NULL;
	}
	return buf;
}

cJSON *
ctlclient_request(const char *sock_path, const char *request, char *err, size_t n)
{
	int fd = ctlclient_connect(sock_path, err, n);
	size_t len = strlen(request);
	char *text;
	cJSON *reply;

	if (fd < 0)
		return NULL;
	if (send(fd, request, len, MSG_NOSIGNAL) != (ssize_t)len ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) != 1) {
		snprintf(err, n, "cannot send to platformd: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	text = ctlclient_read_reply(fd, err, n);
	close(fd);
	if (text == NULL)
		return NULL;
	reply = cJSON_Parse(text);
	free(text);
	if (!cJSON_IsObject(reply)) {
		cJSON_Delete(reply);
		snprintf(err, n, "malformed reply from platformd");
		return NULL;
	}
	return reply;
}
