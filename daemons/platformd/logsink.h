/* Per-daemon log files: a child's output is appended to var/log/<daemon>.log in whole
 * lines, and the file is rotated by size (<daemon>.log.1 .. .N, oldest dropped). */
#ifndef PLATFORMD_LOGSINK_H
#define PLATFORMD_LOGSINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOGSINK_LINE_MAX 65536 /* a longer line is written in pieces of this size */

struct logsink {
	char *path;        /* var/log/<daemon>.log */
	int fd;            /* -1 until opened */
	int64_t size;      /* current size of path */
	int64_t max_bytes; /* rotate before a write would exceed this */
	int keep;          /* rotated files kept */
	char buf[LOGSINK_LINE_MAX];
	size_t len; /* bytes of an unfinished line in buf */
};

void logsink_init(struct logsink *ls, const char *path, int64_t max_bytes, int keep);
/* Feed raw output; complete lines are written, a partial line is kept for later. */
void logsink_feed(struct logsink *ls, const char *data, size_t n);
/* Write a kept partial line (with a newline added), e.g. when the child has exited. */
void logsink_flush(struct logsink *ls);
void logsink_close(struct logsink *ls);

#endif
