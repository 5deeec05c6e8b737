/* Line-buffered, size-rotated log files for supervised daemons. */
#include "logsink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fatal.h"

void
logsink_init(struct logsink *ls, const char *path, int64_t max_bytes, int keep)
{
	ls->path = xstrdup(path);
	ls->fd = -1;
	ls->size = 0;
	ls->max_bytes = max_bytes;
	ls->keep = keep;
	ls->len = 0;
}

static bool
logsink_open(struct logsink *ls)
{
	struct stat st;

	if (ls->fd >= 0)
		return true;
	ls->fd = open(ls->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (ls->fd < 0) {
		fprintf(stderr, "platformd: cannot open %s: %s\n", ls->path, strerror(errno));
		return false;
	}
	ls->size = fstat(ls->fd, &st) == 0 ? (int64_t)st.st_size : 0;
	return true;
}

/* <path>.<n-1> -> <path>.<n>, ..., <path> -> <path>.1; the oldest is overwritten. */
static void
logsink_rotate(struct logsink *ls)
{
	size_t n = strlen(ls->path) + 16;
	char *from = xmalloc(n), *to = xmalloc(n);

	close(ls->fd);
	ls->fd = -1;
	if (ls->keep == 0) {
		if (truncate(ls->path, 0) != 0)
			unlink(ls->path);
	} else {
		for (int i = ls->keep - 1; i >= 1; i--) {
			snprintf(from, n, "%s.%d", ls->path, i);
			snprintf(to, n, "%s.%d", ls->path, i + 1);
			rename(from, to); /* a missing file is fine */
		}
		snprintf(to, n, "%s.1", ls->path);
		rename(ls->path, to);
	}
	free(from);
	free(to);
}

static void
logsink_write(struct logsink *ls, const char *data, size_t n)
{
	if (!logsink_open(ls))
		return;
	if (ls->size > 0 && ls->size + (int64_t)n > ls->max_bytes) {
		logsink_rotate(ls);
		if (!logsink_open(ls))
			return;
	}
	while (n > 0) {
		ssize_t w = write(ls->fd, data, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* disk full or similar: drop, the daemon keeps running */
		ls->size += w;
		data += w;
		n -= (size_t)w;
	}
}

void
logsink_feed(struct logsink *ls, const char *data, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(data, '\n', n);
		size_t take = nl != NULL ? (size_t)(nl - data) + 1 : n;

		if (ls->len + take > sizeof(ls->buf))
			take = sizeof(ls->buf) - ls->len;
		memcpy(ls->buf + ls->len, data, take);
		ls->len += take;
		data += take;
		n -= take;
		if (ls->buf[ls->len - 1] == '\n' || ls->len == sizeof(ls->buf)) {
			logsink_write(ls, ls->buf, ls->len);
			ls->len = 0;
		}
	}
}

void
logsink_flush(struct logsink *ls)
{
	if (ls->len == 0)
		return;
	logsink_feed(ls, "\n", 1);
}

void
logsink_close(struct logsink *ls)
{
	logsink_flush(ls);
	if (ls->fd >= 0)
		close(ls->fd);
	ls->fd = -1;
	free(ls->path);
	ls->path = NULL;
}
