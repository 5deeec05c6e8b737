/* The control socket var/run/platformd.sock (0600): one request line per connection,
 * at most CONTROL_MAX_REQUEST bytes with its newline, answered by one JSON line
 * {"ok": true, ...} or {"ok": false, "error": "..."}, then closed. Requests:
 *   status | stop | restart | restart <daemon>
 * Anything else, too long, or not printable text gets an error reply. */
#ifndef PLATFORMD_CONTROL_H
#define PLATFORMD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sup.h"

#define CONTROL_MAX_REQUEST 4096
#define CONTROL_MAX_REPLY   (1024 * 1024)
#define CONTROL_MAX_CLIENTS 16
#define CONTROL_IDLE_MS     5000

struct control_client {
	int fd; /* -1: free slot */
	char buf[CONTROL_MAX_REQUEST];
	size_t len;
	int64_t deadline_ms;
};

struct control {
	int listen_fd;
	char *path;
	struct control_client clients[CONTROL_MAX_CLIENTS];
};

/* Bind path. Fails (message in err) if a platformd already answers there; a stale
 * socket file is replaced. */
bool control_open(struct control *c, const char *path, char *err, size_t n);
void control_close(struct control *c);
void control_on_accept(struct control *c, int64_t now);
void control_on_readable(struct control *c, size_t i, struct sup *s, int64_t now);
/* Close clients that sent no full request in time; ms until the next deadline or -1. */
int control_tick(struct control *c, int64_t now);

/* The reply to one request line (without its newline); caller frees. */
char *control_handle(struct sup *s, const char *line, int64_t now);

#endif
