/* HTTP/1.1 connections: see httpio.h.
 *
 * A connection reads into its input buffer (one recv per readiness; the loop is
 * level-triggered, so what is left is reported again), parses the head in place, waits
 * for the body, and hands the request over. Its response is written with one send; only
 * when the socket is full does the connection wait for EV_WRITE. The buffer is never
 * moved while a request is out (its strings point into it): a full buffer then pauses
 * reading instead of growing. Each connection has one timer, whose meaning follows the
 * state (idle, receiving, writing, lingering). */
#include "httpio.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fatal.h"
#include "httpparse.h"

#define HTTPIO_IN_INITIAL  4096
#define HTTPIO_OUT_KEEP    (64 * 1024) /* a larger output buffer is freed after use */
#define HTTPIO_CHUNK_SLACK (64 * 1024) /* chunked framing beyond max_body we buffer */
#define HTTPIO_LINGER_S    2
#define HTTPIO_LINGER_MAX  (1024 * 1024)

enum httpio_state {
	HTTPIO_IDLE,      /* no byte of a request yet: the idle time-out closes quietly */
	HTTPIO_RECEIVING, /* part of a request: the read time-out answers 408 */
	HTTPIO_BUSY,      /* handed over, not answered: no time-out */
	HTTPIO_WRITING,   /* the response did not fit the socket: the write time-out closes */
	HTTPIO_LINGER,    /* closing: write side shut, input discarded for a moment so the
	                     client reads our last response instead of a reset */
};

struct httpio_buf {
	char *data;
	size_t len, cap;
};

struct httpio_req {
	struct httpio_conn *conn;
	int error;
	bool head_done;
	bool is_head; /* HEAD: the response has no body */
	bool close;   /* answer with Connection: close, then close */
	bool sent_continue;
	struct httpparse_head head;
	struct httpparse_chunk_state chunks; /* how far a chunked body was checked */
	size_t head_seen;                    /* bytes of conn->in looked at for a head */
	const char *body;
	size_t body_len;
	size_t consumed;        /* bytes of this request at the start of conn->in */
	struct httpio_buf hdrs; /* response header lines */
};

struct httpio_conn {
	struct httpio *io;
	int fd; /* -1 once closed */
	struct event *rev, *wev, *tev;
	enum httpio_state state;
	bool admitted;    /* counted in settings.connections */
	bool outstanding; /* the request is with the application */
	bool writing;     /* its response is being written */
	bool read_paused; /* input buffer full while a request is out */
	bool peer_eof;    /* the client shut its side: answer, then close */
	bool in_process;  /* in httpio_process: closing is deferred to its end */
	bool want_close;
	struct httpio_buf in, out;
	size_t out_off;
	size_t lingered;
	char peer[INET_ADDRSTRLEN];
	struct httpio_req req;
	struct httpio_conn *prev, *next;
};

struct httpio {
	struct event_base *base;
	struct httpio_settings s;
	httpio_request_fn on_request;
	void *arg;
	struct evconnlistener *listener;
	const struct timeval *read_tv, *write_tv, *linger_tv; /* common time-outs */
	struct httpio_conn *conns;
	int inflight;
	bool draining;
	time_t date_sec;
	char date[40];
};

static void httpio_process(struct httpio_conn *c);
static void httpio_close(struct httpio_conn *c);

/* ---- buffers ---- */

static void
httpio_buf_reserve(struct httpio_buf *b, size_t extra)
{
	size_t need = b->len + extra, cap = b->cap ? b->cap : 256;

	if (need <= b->cap)
		return;
	while (cap < need)
		cap *= 2;
	b->data = realloc(b->data, cap);
	if (b->data == NULL)
		fatal_oom();
	b->cap = cap;
}

static void
httpio_buf_add(struct httpio_buf *b, const char *s, size_t n)
{
	httpio_buf_reserve(b, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

static void
httpio_buf_str(struct httpio_buf *b, const char *s)
{
	httpio_buf_add(b, s, strlen(s));
}

static void
httpio_buf_uint(struct httpio_buf *b, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	httpio_buf_add(b, tmp + i, sizeof(tmp) - i);
}

/* ---- the input buffer ---- */

static size_t
httpio_in_max(const struct httpio *io)
{
	return io->s.max_head + io->s.max_body + HTTPIO_CHUNK_SLACK;
}

static const char *
httpio_rebase_one(const char *p, const char *old, size_t cap, char *new)
{
	if (p == NULL || p < old || p >= old + cap)
		return p; /* NULL, or the static "/" of an absolute-form target */
	return new + (p - old);
}

/* The parsed head points into the buffer: follow it when the buffer moves. */
static void
httpio_rebase(struct httpparse_head *h, const char *old, size_t cap, char *new)
{
	h->method = httpio_rebase_one(h->method, old, cap, new);
	h->target = httpio_rebase_one(h->target, old, cap, new);
	h->path = httpio_rebase_one(h->path, old, cap, new);
	h->query = httpio_rebase_one(h->query, old, cap, new);
	for (size_t i = 0; i < h->nheaders; i++) {
		h->headers[i].name = httpio_rebase_one(h->headers[i].name, old, cap, new);
		h->headers[i].value = httpio_rebase_one(h->headers[i].value, old, cap, new);
	}
}

/* Room for at least `want` bytes in the input buffer; false when it may not grow (a
 * request is out, or the limit is reached). */
static bool
httpio_in_grow(struct httpio_conn *c, size_t want)
{
	struct httpio_buf *b = &c->in;
	size_t max = httpio_in_max(c->io), cap = b->cap ? b->cap : HTTPIO_IN_INITIAL;
	char *old = b->data, *data;
	size_t old_cap = b->cap;

	if (want <= b->cap)
		return true;
	if (c->outstanding || c->writing || b->cap >= max)
		return false;
	while (cap < want && cap < max)
		cap *= 2;
	if (cap > max)
		cap = max;
	data = malloc(cap);
	if (data == NULL)
		fatal_oom();
	if (b->len > 0)
		memcpy(data, old, b->len);
	if (c->req.head_done)
		httpio_rebase(&c->req.head, old, old_cap, data);
	free(old);
	b->data = data;
	b->cap = cap;
	return true;
}

/* ---- closing ---- */

static void
httpio_unlink(struct httpio_conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->io->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void
httpio_free_conn(struct httpio_conn *c)
{
	httpio_unlink(c);
	free(c->in.data);
	free(c->out.data);
	free(c->req.hdrs.data);
	free(c);
}

/* Close the socket now. The struct stays while the application holds the request
 * (freed by httpio_respond). */
static void
httpio_close_now(struct httpio_conn *c)
{
	if (c->fd >= 0) {
		event_free(c->rev);
		event_free(c->wev);
		event_free(c->tev);
		close(c->fd);
		c->fd = -1;
		if (c->admitted)
			atomic_fetch_sub(c->io->s.connections, 1);
	}
	if (c->writing) {
		c->writing = false;
		c->io->inflight--;
	}
	if (!c->outstanding)
		httpio_free_conn(c);
}

static void
httpio_close(struct httpio_conn *c)
{
	if (c->in_process) {
		c->want_close = true;
		return;
	}
	httpio_close_now(c);
}

/* After a last response: shut our side, read and drop what the client still sends. */
static void
httpio_linger(struct httpio_conn *c)
{
	if (shutdown(c->fd, SHUT_WR) != 0) {
		httpio_close(c);
		return;
	}
	c->state = HTTPIO_LINGER;
	c->lingered = 0;
	if (c->read_paused) {
		c->read_paused = false;
		event_add(c->rev, NULL);
	}
	event_add(c->tev, c->io->linger_tv);
}

static void
httpio_linger_read(struct httpio_conn *c)
{
	char sink[16384];
	ssize_t n = recv(c->fd, sink, sizeof(sink), 0);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n > 0 && (c->lingered += (size_t)n) <= HTTPIO_LINGER_MAX)
		return;
	httpio_close(c);
}

/* ---- responses ---- */

static const char *
httpio_reason(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	}
	return status < 400 ? "OK" : "Error";
}

static const char *
httpio_date(struct httpio *io)
{
	time_t now = time(NULL);
	struct tm tm;

	if (now != io->date_sec) {
		gmtime_r(&now, &tm);
		strftime(io->date, sizeof(io->date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		io->date_sec = now;
	}
	return io->date;
}

/* The request is answered (its response fully written, or dropped): the next one. */
static void
httpio_request_done(struct httpio_conn *c)
{
	struct httpio_req *r = &c->req;
	bool close_after = r->close || c->io->draining;

	c->writing = false;
	c->io->inflight--;
	if (r->consumed > 0 && r->consumed <= c->in.len) {
		memmove(c->in.data, c->in.data + r->consumed, c->in.len - r->consumed);
		c->in.len -= r->consumed;
	}
	r->error = 0;
	r->head_done = r->is_head = r->close = r->sent_continue = false;
	r->body = NULL;
	r->body_len = r->consumed = 0;
	r->chunks.pos = r->chunks.out = 0;
	r->head_seen = 0;
	if (c->out.cap > HTTPIO_OUT_KEEP) {
		free(c->out.data);
		c->out.data = NULL;
		c->out.cap = 0;
	}
	if (c->in.cap > HTTPIO_OUT_KEEP && c->in.len <= HTTPIO_IN_INITIAL) {
		/* after a large body: back to the small buffer (nothing points into it now) */
		char *small = realloc(c->in.data, HTTPIO_IN_INITIAL);

		if (small != NULL) {
			c->in.data = small;
			c->in.cap = HTTPIO_IN_INITIAL;
		}
	}
	if (close_after) {
		httpio_linger(c);
		return;
	}
	if (c->peer_eof) {
		httpio_close(c);
		return;
	}
	if (c->read_paused) {
		c->read_paused = false;
		event_add(c->rev, NULL);
	}
	c->state = c->in.len > 0 ? HTTPIO_RECEIVING : HTTPIO_IDLE;
	event_add(c->tev, c->io->read_tv);
	if (c->in.len > 0 && !c->in_process)
		httpio_process(c);
}

/* Write what is pending; wait for EV_WRITE when the socket is full. */
static void
httpio_flush(struct httpio_conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n =
		    send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);

		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (c->state != HTTPIO_WRITING) {
				c->state = HTTPIO_WRITING;
				event_add(c->wev, NULL);
				event_add(c->tev, c->io->write_tv);
			}
			return;
		}
		httpio_close(c); /* the client is gone */
		return;
	}
	if (c->state == HTTPIO_WRITING)
		event_del(c->wev);
	c->out.len = c->out_off = 0;
	httpio_request_done(c);
}

void
httpio_respond(struct httpio_req *r, int status, const char *body, size_t len)
{
	struct httpio_conn *c = r->conn;
	struct httpio_buf *o = &c->out;
	bool no_body = status == 204 || status == 304 || (status >= 100 && status < 200);

	c->outstanding = false;
	if (c->fd < 0) { /* the client went away while the request was out */
		c->io->inflight--;
		httpio_free_conn(c);
		return;
	}
	c->writing = true;
	if (c->io->draining)
		r->close = true;
	o->len = c->out_off = 0;
	httpio_buf_reserve(o, 160 + r->hdrs.len + len);
	httpio_buf_str(o, "HTTP/1.1 ");
	httpio_buf_uint(o, (uint64_t)status);
	httpio_buf_str(o, " ");
	httpio_buf_str(o, httpio_reason(status));
	httpio_buf_str(o, "\r\nDate: ");
	httpio_buf_str(o, httpio_date(c->io));
	if (!no_body) {
		httpio_buf_str(o, "\r\nContent-Length: ");
		httpio_buf_uint(o, len);
	}
	if (r->close)
		httpio_buf_str(o, "\r\nConnection: close");
	else if (r->head_done && r->head.minor == 0)
		httpio_buf_str(o, "\r\nConnection: keep-alive");
	httpio_buf_str(o, "\r\n");
	httpio_buf_add(o, r->hdrs.data, r->hdrs.len);
	httpio_buf_str(o, "\r\n");
	if (!no_body && !r->is_head && len > 0)
		httpio_buf_add(o, body, len);
	r->hdrs.len = 0;
	httpio_flush(c);
}

void
httpio_add_header(struct httpio_req *r, const char *name, const char *value)
{
	size_t start;

	httpio_buf_str(&r->hdrs, name);
	httpio_buf_str(&r->hdrs, ": ");
	start = r->hdrs.len;
	httpio_buf_str(&r->hdrs, value);
	for (size_t i = start; i < r->hdrs.len; i++)
		if (r->hdrs.data[i] == '\r' || r->hdrs.data[i] == '\n')
			r->hdrs.data[i] = ' ';
	httpio_buf_str(&r->hdrs, "\r\n");
}

void
httpio_set_close(struct httpio_req *r)
{
	r->close = true;
}

/* ---- requests ---- */

static void
httpio_deliver(struct httpio_conn *c)
{
	struct httpio_req *r = &c->req;
	struct httpio *io = c->io;

	c->state = HTTPIO_BUSY;
	c->outstanding = true;
	io->inflight++;
	event_del(c->tev);
	if (r->error != 0 || !r->head.keep_alive || io->draining)
		r->close = true;
	io->on_request(r, io->arg);
}

static void
httpio_send_continue(struct httpio_conn *c)
{
	static const char line[] = "HTTP/1.1 100 Continue\r\n\r\n";
	struct httpio_req *r = &c->req;

	if (!r->head.expect_continue || r->head.minor != 1 || r->sent_continue)
		return;
	r->sent_continue = true;
	/* 25 bytes on a socket whose send buffer is empty (no response is pending) */
	if (send(c->fd, line, sizeof(line) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(line) - 1))
		c->peer_eof = true;
}

/* The body of a parsed head: 1 when complete (or r->error set), 0 when more is needed. */
static int
httpio_parse_body(struct httpio_conn *c)
{
	struct httpio_req *r = &c->req;
	const struct httpio *io = c->io;
	size_t hl = r->head.head_len, consumed, body_len;
	int status;

	if (r->head.chunked) {
		enum httpparse_status st =
		    httpparse_chunked_resume(c->in.data + hl, c->in.len - hl, io->s.max_body,
		                             &r->chunks, &consumed, &body_len, &status);

		if (st == HTTPPARSE_ERROR) {
			r->error = status;
			return 1;
		}
		if (st == HTTPPARSE_INCOMPLETE) {
			if (c->in.len == c->in.cap && !httpio_in_grow(c, c->in.cap + 1)) {
				r->error = 413; /* framing beyond what we buffer */
				return 1;
			}
			httpio_send_continue(c);
			return 0;
		}
		r->consumed = hl + consumed;
	} else {
		body_len = r->head.content_length > 0 ? (size_t)r->head.content_length : 0;
		if (c->in.len < hl + body_len) {
			httpio_in_grow(c, hl + body_len);
			httpio_send_continue(c);
			return 0;
		}
		r->consumed = hl + body_len;
	}
	r->body = c->in.data + hl;
	r->body_len = body_len;
	return 1;
}

/* 1 when a request (or an error to answer) is ready, 0 when more bytes are needed. */
static int
httpio_parse(struct httpio_conn *c)
{
	struct httpio_req *r = &c->req;
	const struct httpio *io = c->io;
	enum httpparse_status st;
	int status;

	if (!r->head_done) {
		/* a head completes only with a line end: parse again only when one arrived
		 * (a client sending a byte at a time costs one scan per line, not per byte) */
		bool new_line =
		    memchr(c->in.data + r->head_seen, '\n', c->in.len - r->head_seen) != NULL;

		r->head_seen = c->in.len;
		if (!new_line && c->in.len <= io->s.max_head)
			return 0;
		st = httpparse_head(c->in.data, c->in.len, io->s.max_head, &r->head, &status);
		if (st == HTTPPARSE_INCOMPLETE)
			return 0;
		if (st == HTTPPARSE_ERROR) {
			r->error = status;
			return 1;
		}
		r->head_done = true;
		r->is_head = strcmp(r->head.method, "HEAD") == 0;
		if (!c->admitted) {
			r->error = 503;
			return 1;
		}
		if (r->head.content_length > (int64_t)io->s.max_body) {
			r->error = 413;
			return 1;
		}
	}
	return httpio_parse_body(c);
}

/* Hand over every complete request in the buffer, one at a time. */
static void
httpio_process(struct httpio_conn *c)
{
	c->in_process = true;
	while (!c->want_close && c->fd >= 0 &&
	       (c->state == HTTPIO_RECEIVING || (c->state == HTTPIO_IDLE && c->in.len > 0))) {
		if (c->state == HTTPIO_IDLE) {
			c->state = HTTPIO_RECEIVING;
			event_add(c->tev, c->io->read_tv);
		}
		if (!httpio_parse(c))
			break;
		httpio_deliver(c);
	}
	c->in_process = false;
	if (c->want_close)
		httpio_close_now(c);
}

/* ---- events ---- */

static void
httpio_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct httpio_conn *c = arg;
	ssize_t n;

	(void)what;
	if (c->state == HTTPIO_LINGER) {
		httpio_linger_read(c);
		return;
	}
	if (c->in.len == c->in.cap && !httpio_in_grow(c, c->in.cap + 1)) {
		/* a request is out (or the limit is reached): wait for its answer */
		c->read_paused = true;
		event_del(c->rev);
		return;
	}
	n = recv(fd, c->in.data + c->in.len, c->in.cap - c->in.len, 0);
	if (n > 0) {
		c->in.len += (size_t)n;
		if (c->state == HTTPIO_IDLE || c->state == HTTPIO_RECEIVING)
			httpio_process(c);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (c->outstanding || c->writing) { /* still answer it */
		c->peer_eof = true;
		event_del(c->rev);
		return;
	}
	httpio_close(c);
}

static void
httpio_on_write(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	httpio_flush(arg);
}

static void
httpio_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct httpio_conn *c = arg;

	(void)fd;
	(void)what;
	switch (c->state) {
	case HTTPIO_RECEIVING:
		c->req.error = 408;
		httpio_deliver(c);
		break;
	case HTTPIO_IDLE:
	case HTTPIO_WRITING:
	case HTTPIO_LINGER:
		httpio_close(c);
		break;
	case HTTPIO_BUSY:
		break;
	}
}

static void
httpio_on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
                 void *arg)
{
	struct httpio *io = arg;
	struct httpio_conn *c = calloc(1, sizeof(*c));
	int one = 1;

	(void)l;
	(void)salen;
	if (c == NULL)
		fatal_oom();
	c->io = io;
	c->fd = fd;
	c->req.conn = c;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, c->peer, sizeof(c->peer));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->admitted = atomic_fetch_add(io->s.connections, 1) < io->s.max_connections;
	if (!c->admitted)
		atomic_fetch_sub(io->s.connections, 1);
	c->rev = event_new(io->base, fd, EV_READ | EV_PERSIST, httpio_on_read, c);
	c->wev = event_new(io->base, fd, EV_WRITE | EV_PERSIST, httpio_on_write, c);
	c->tev = evtimer_new(io->base, httpio_on_timer, c);
	if (c->rev == NULL || c->wev == NULL || c->tev == NULL)
		fatal_oom();
	c->in.data = malloc(HTTPIO_IN_INITIAL);
	if (c->in.data == NULL)
		fatal_oom();
	c->in.cap = HTTPIO_IN_INITIAL;
	c->next = io->conns;
	if (io->conns != NULL)
		io->conns->prev = c;
	io->conns = c;
	c->state = HTTPIO_IDLE;
	event_add(c->rev, NULL);
	event_add(c->tev, io->read_tv);
}

/* ---- the server ---- */

struct httpio *
httpio_new(struct event_base *base, const struct httpio_settings *s, httpio_request_fn on_request,
           void *arg)
{
	struct httpio *io = calloc(1, sizeof(*io));
	struct timeval rtv = { s->read_timeout_s, 0 }, wtv = { s->write_timeout_s, 0 };
	struct timeval ltv = { HTTPIO_LINGER_S, 0 };

	if (io == NULL)
		fatal_oom();
	io->base = base;
	io->s = *s;
	io->on_request = on_request;
	io->arg = arg;
	io->read_tv = event_base_init_common_timeout(base, &rtv);
	io->write_tv = event_base_init_common_timeout(base, &wtv);
	io->linger_tv = event_base_init_common_timeout(base, &ltv);
	if (io->read_tv == NULL || io->write_tv == NULL || io->linger_tv == NULL)
		fatal_oom();
	return io;
}

struct err *
httpio_listen(struct httpio *io, const char *ip, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return err_newf("api.listen", 500, "api.listen: %s is not an IPv4 address", ip);
	io->listener = evconnlistener_new_bind(io->base, httpio_on_accept, io,
	                                       LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT |
	                                           LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	                                       1024, (struct sockaddr *)&sa, sizeof(sa));
	if (io->listener == NULL)
		return err_newf("api.listen", 500, "cannot listen on %s:%d: %s", ip, port,
		                strerror(errno));
	return NULL;
}

void
httpio_drain(struct httpio *io)
{
	struct httpio_conn *c, *next;

	io->draining = true;
	if (io->listener != NULL) {
		evconnlistener_free(io->listener);
		io->listener = NULL;
	}
	for (c = io->conns; c != NULL; c = next) {
		next = c->next;
		if (c->state == HTTPIO_IDLE && !c->outstanding)
			httpio_close(c);
	}
}

int
httpio_inflight(const struct httpio *io)
{
	return io->inflight;
}

void
httpio_free(struct httpio *io)
{
	if (io == NULL)
		return;
	if (io->listener != NULL)
		evconnlistener_free(io->listener);
	while (io->conns != NULL) {
		struct httpio_conn *c = io->conns;

		c->outstanding = false; /* dropped: nobody answers it any more */
		httpio_close_now(c);
	}
	free(io);
}

/* ---- request accessors ---- */

int
httpio_req_error(const struct httpio_req *r)
{
	return r->error;
}

const char *
httpio_req_method(const struct httpio_req *r)
{
	return r->head_done ? r->head.method : "";
}

const char *
httpio_req_path(const struct httpio_req *r)
{
	return r->head_done ? r->head.path : "";
}

const char *
httpio_req_query(const struct httpio_req *r)
{
	return r->head_done ? r->head.query : NULL;
}

const char *
httpio_req_header(const struct httpio_req *r, const char *name)
{
	return r->head_done ? httpparse_header(&r->head, name) : NULL;
}

const char *
httpio_req_body(const struct httpio_req *r, size_t *len)
{
	*len = r->body_len;
	return r->body;
}

const char *
httpio_req_peer(const struct httpio_req *r)
{
	return r->conn->peer;
}

size_t
httpio_req_head_len(const struct httpio_req *r)
{
	return r->head_done ? r->head.head_len : r->conn->in.len;
}
