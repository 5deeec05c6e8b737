/* HTTP/1.1 connections on a libevent loop: accept (SO_REUSEPORT), read and parse requests
 * (httpparse.h), keep-alive and pipelining, the limits (head and body size, connection
 * count, read and write time-outs) and writing responses.
 *
 * Why not evhttp: evhttp costs about seven system calls per request (four epoll_ctl, an
 * ioctl, readv, writev) and on the virtual machines we run on a system call is
 * several microseconds; here a keep-alive request costs one recv and one send. It also
 * lets every limit answer with our JSON error body.
 *
 * One struct httpio per worker thread; nothing here is shared between threads except the
 * connection counter. Requests are handed over one at a time per connection; a request
 * stays valid until httpio_respond is called for it (which may be later, from another
 * loop callback: deferred requests). */
#ifndef API_HTTPIO_H
#define API_HTTPIO_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct event_base;
struct httpio;
struct httpio_req;

struct httpio_settings {
	size_t max_head;         /* request line + headers, bytes (431 beyond) */
	size_t max_body;         /* decoded body, bytes (413 beyond) */
	int read_timeout_s;      /* idle keep-alive, and a request's arrival (408) */
	int write_timeout_s;     /* a response not taken by the client in time: close */
	int max_connections;     /* over it: 503 to the connection's first request, then close */
	atomic_int *connections; /* shared by all workers */
};

/* Called for every complete request, and for a request that cannot be served
 * (httpio_req_error() != 0: 400, 408, 413, 431, 503, 505), which must be answered too
 * (the connection is closed after that answer). */
typedef void (*httpio_request_fn)(struct httpio_req *r, void *arg);

struct httpio *httpio_new(struct event_base *base, const struct httpio_settings *s,
                          httpio_request_fn on_request, void *arg);
/* Listen on ip:port (IPv4) with SO_REUSEPORT, so every worker binds the same port. */
struct err *httpio_listen(struct httpio *io, const char *ip, int port);
/* Stop accepting and close idle connections; requests in progress are finished and
 * answered with Connection: close. */
void httpio_drain(struct httpio *io);
/* Requests handed over and not yet fully written (or dropped with their connection). */
int httpio_inflight(const struct httpio *io);
/* Close everything (requests never answered are dropped). */
void httpio_free(struct httpio *io);

/* The request. Strings are NUL-terminated and live until httpio_respond. */
int httpio_req_error(const struct httpio_req *r);          /* 0, or the status to answer */
const char *httpio_req_method(const struct httpio_req *r); /* "" for an error request */
const char *httpio_req_path(const struct httpio_req *r);   /* raw; "" for an error request */
const char *httpio_req_query(const struct httpio_req *r);  /* raw, or NULL */
const char *httpio_req_header(const struct httpio_req *r, const char *name);
const char *httpio_req_body(const struct httpio_req *r, size_t *len); /* not NUL-terminated */
const char *httpio_req_peer(const struct httpio_req *r);              /* "127.0.0.1" */
size_t httpio_req_head_len(const struct httpio_req *r);

/* Response headers (CR and LF in a value are replaced by spaces). Content-Length, Date
 * and Connection are added by httpio_respond. */
void httpio_add_header(struct httpio_req *r, const char *name, const char *value);
/* Answer with Connection: close (and close after the response). */
void httpio_set_close(struct httpio_req *r);
/* Send the response (body copied; no body for HEAD and 204) and end the request: r is
 * invalid afterwards. When the client has gone away the response is dropped. */
void httpio_respond(struct httpio_req *r, int status, const char *body, size_t len);

#endif
