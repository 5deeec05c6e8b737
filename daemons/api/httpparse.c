/* HTTP/1.1 request parsing: see httpparse.h. Two passes over a head: the first finds its
 * end without writing (so INCOMPLETE leaves the buffer untouched), the second checks and
 * splits it in place. */
#include "httpparse.h"

#include <string.h>
#include <strings.h>

/* RFC 9110 §5.6.2 tchar. */
static bool
httpparse_is_tchar(unsigned char ch)
{
	if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))
		return true;
	return ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

static bool
httpparse_is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* A field value byte: VCHAR, obs-text, SP or HTAB. */
static bool
httpparse_is_value_char(unsigned char ch)
{
	return ch == '\t' || (ch >= 0x20 && ch != 0x7f);
}

/* The end of the line starting at p (the LF), or NULL when there is none before end. */
static char *
httpparse_eol(char *p, const char *end)
{
	return memchr(p, '\n', (size_t)(end - p));
}

/* Pass one: the offset just past the head's final line end (0 while incomplete), and the
 * number of header lines. Returns 0, or 431 (oversize head) or 400 (a NUL, or a CR that
 * does not end its line: caught here so such a head is refused before it completes). */
static int
httpparse_find_end(char *buf, size_t len, size_t max_head, size_t start, size_t *end_off,
                   size_t *nlines)
{
	char *p = buf + start, *end = buf + len;

	*end_off = 0;
	*nlines = 0;
	for (;;) {
		char *nl = httpparse_eol(p, end);
		size_t line_len;

		if (nl == NULL)
			return len <= max_head ? 0 : 431;
		if ((size_t)(nl + 1 - buf) > max_head)
			return 431;
		line_len = (size_t)(nl - p);
		if (line_len > 0 && p[line_len - 1] == '\r')
			line_len--;
		if (memchr(p, '\r', line_len) != NULL || memchr(p, '\0', line_len) != NULL)
			return 400;
		if (line_len == 0 && p != buf + start) {
			*end_off = (size_t)(nl + 1 - buf);
			return 0;
		}
		if (p != buf + start && ++*nlines > HTTPPARSE_MAX_HEADERS)
			return 431;
		p = nl + 1;
	}
}

/* NUL-terminate the line at p (ending at the LF nl); returns its length. A CR is allowed
 * only right before the LF. */
static bool
httpparse_cut_line(char *p, char *nl, size_t *line_len)
{
	char *q = nl;

	if (q > p && q[-1] == '\r')
		q--;
	*q = '\0';
	*nl = '\0';
	*line_len = (size_t)(q - p);
	return memchr(p, '\r', *line_len) == NULL;
}

static int
httpparse_version(const char *v, int *minor)
{
	if (strncmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' || v[7] < '0' ||
	    v[7] > '9' || v[8] != '\0')
		return 400;
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
		return 505;
	*minor = v[7] - '0';
	return 0;
}

/* Split the target into path and query; absolute-form is reduced to its path. */
static bool
httpparse_target(char *t, struct httpparse_head *h)
{
	char *q;

	for (const char *s = t; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	h->target = t;
	h->query = NULL;
	q = strchr(t, '?');
	if (q != NULL) {
		*q = '\0';
		h->query = q + 1;
	}
	if (t[0] == '/' || strcmp(t, "*") == 0) {
		h->path = t;
		return true;
	}
	if (strncasecmp(t, "http://", 7) != 0 && strncasecmp(t, "https://", 8) != 0)
		return false;
	t = strstr(t, "://") + 3;
	if (*t == '\0' || *t == '/')
		return false; /* no authority */
	t = strchr(t, '/');
	h->path = t != NULL ? t : "/";
	return true;
}

/* "METHOD SP target SP HTTP/1.x" */
static int
httpparse_request_line(char *line, struct httpparse_head *h)
{
	char *sp1 = strchr(line, ' '), *sp2;

	if (sp1 == NULL || sp1 == line)
		return 400;
	*sp1 = '\0';
	for (const char *s = line; *s != '\0'; s++)
		if (!httpparse_is_tchar((unsigned char)*s))
			return 400;
	h->method = line;
	sp2 = strchr(sp1 + 1, ' ');
	if (sp2 == NULL || sp2 == sp1 + 1)
		return 400;
	*sp2 = '\0';
	if (!httpparse_target(sp1 + 1, h))
		return 400;
	return httpparse_version(sp2 + 1, &h->minor);
}

/* True when the comma-separated list value holds token (case-insensitive). */
static bool
httpparse_list_has(const char *value, const char *token)
{
	size_t tl = strlen(token);

	while (*value != '\0') {
		size_t n;

		while (*value == ',' || httpparse_is_blank(*value))
			value++;
		n = strcspn(value, ",");
		while (n > 0 && httpparse_is_blank(value[n - 1]))
			n--;
		if (n == tl && strncasecmp(value, token, tl) == 0)
			return true;
		value += strcspn(value, ",");
	}
	return false;
}

static bool
httpparse_content_length(const char *v, int64_t *out)
{
	int64_t n = 0;

	if (*v == '\0')
		return false;
	for (; *v != '\0'; v++) {
		if (*v < '0' || *v > '9')
			return false;
		if (n > (INT64_MAX - (*v - '0')) / 10)
			return false;
		n = n * 10 + (*v - '0');
	}
	*out = n;
	return true;
}

/* "name: value" -> the next header slot. */
static bool
httpparse_field(char *line, size_t line_len, struct httpparse_header *f)
{
	char *colon = strchr(line, ':'), *v, *e;

	if (colon == NULL || colon == line)
		return false;
	for (const char *s = line; s < colon; s++)
		if (!httpparse_is_tchar((unsigned char)*s))
			return false; /* also whitespace before the colon */
	*colon = '\0';
	v = colon + 1;
	e = line + line_len;
	for (const char *s = v; s < e; s++)
		if (!httpparse_is_value_char((unsigned char)*s))
			return false;
	while (v < e && httpparse_is_blank(*v))
		v++;
	while (e > v && httpparse_is_blank(e[-1]))
		e--;
	*e = '\0';
	f->name = line;
	f->value = v;
	return true;
}

/* The framing headers: Content-Length, Transfer-Encoding, Connection, Expect. */
static int
httpparse_semantics(struct httpparse_head *h)
{
	bool has_te = false, conn_close = false, conn_keep = false;

	h->content_length = -1;
	for (size_t i = 0; i < h->nheaders; i++) {
		const char *n = h->headers[i].name, *v = h->headers[i].value;
		int64_t cl;

		if (strcasecmp(n, "Content-Length") == 0) {
			if (!httpparse_content_length(v, &cl))
				return 400;
			if (h->content_length >= 0 && h->content_length != cl)
				return 400;
			h->content_length = cl;
		} else if (strcasecmp(n, "Transfer-Encoding") == 0) {
			if (has_te || strcasecmp(v, "chunked") != 0)
				return 400;
			has_te = true;
		} else if (strcasecmp(n, "Connection") == 0) {
			conn_close |= httpparse_list_has(v, "close");
			conn_keep |= httpparse_list_has(v, "keep-alive");
		} else if (strcasecmp(n, "Expect") == 0) {
			h->expect_continue = strcasecmp(v, "100-continue") == 0;
		}
	}
	if (has_te && h->content_length >= 0)
		return 400;
	h->chunked = has_te;
	h->keep_alive = !conn_close && (h->minor == 1 || conn_keep);
	return 0;
}

enum httpparse_status
httpparse_head(char *buf, size_t len, size_t max_head, struct httpparse_head *h, int *status)
{
	size_t start = 0, end_off, nlines, line_len;
	char *p, *nl;
	int st;

	while (start < len && (buf[start] == '\n' ||
	                       (buf[start] == '\r' && start + 1 < len && buf[start + 1] == '\n')))
		start += buf[start] == '\n' ? 1 : 2;
	st = httpparse_find_end(buf, len, max_head, start, &end_off, &nlines);
	if (st != 0) {
		*status = st;
		return HTTPPARSE_ERROR;
	}
	if (end_off == 0)
		return HTTPPARSE_INCOMPLETE;

	memset(h, 0, sizeof(*h));
	h->head_len = end_off;
	*status = 400;
	p = buf + start;
	nl = httpparse_eol(p, buf + end_off);
	if (!httpparse_cut_line(p, nl, &line_len))
		return HTTPPARSE_ERROR;
	st = httpparse_request_line(p, h);
	if (st != 0) {
		*status = st;
		return HTTPPARSE_ERROR;
	}
	for (p = nl + 1; h->nheaders < nlines; p = nl + 1) {
		nl = httpparse_eol(p, buf + end_off);
		if (httpparse_is_blank(*p)) /* obsolete line folding */
			return HTTPPARSE_ERROR;
		if (!httpparse_cut_line(p, nl, &line_len) ||
		    !httpparse_field(p, line_len, &h->headers[h->nheaders]))
			return HTTPPARSE_ERROR;
		h->nheaders++;
	}
	st = httpparse_semantics(h);
	if (st != 0) {
		*status = st;
		return HTTPPARSE_ERROR;
	}
	return HTTPPARSE_DONE;
}

const char *
httpparse_header(const struct httpparse_head *h, const char *name)
{
	for (size_t i = 0; i < h->nheaders; i++)
		if (strcasecmp(h->headers[i].name, name) == 0)
			return h->headers[i].value;
	return NULL;
}

/* ---- chunked bodies ---- */

/* Longest chunk-size line (size and extensions) and trailer section we read. */
#define HTTPPARSE_MAX_CHUNK_LINE 4096
#define HTTPPARSE_MAX_TRAILERS   8192

static int
httpparse_hex(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* A chunk-size line at buf[pos, len): *size and *next (the offset after its line end).
 * Returns 0, or 1 when incomplete, or the error status. */
static int
httpparse_chunk_size(const char *buf, size_t len, size_t pos, uint64_t *size, size_t *next)
{
	const char *p = buf + pos, *end = buf + len;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	const char *eol;
	int digits = 0;

	if (nl == NULL)
		return (size_t)(end - p) > HTTPPARSE_MAX_CHUNK_LINE ? 400 : 1;
	if ((size_t)(nl - p) > HTTPPARSE_MAX_CHUNK_LINE || nl == p || nl[-1] != '\r')
		return 400; /* framing takes CRLF only: a lenient reader is a smuggling risk */
	eol = nl - 1;
	*size = 0;
	for (; p < eol && httpparse_hex(*p) >= 0; p++) {
		if (*size != 0 || *p != '0')
			digits++;
		if (digits > 15)
			return 400;
		*size = *size * 16 + (uint64_t)httpparse_hex(*p);
	}
	if (p == buf + pos)
		return 400;
	while (p < eol && httpparse_is_blank(*p))
		p++;
	if (p < eol && *p != ';')
		return 400;
	for (; p < eol; p++)
		if (!httpparse_is_value_char((unsigned char)*p))
			return 400;
	*next = (size_t)(nl + 1 - buf);
	return 0;
}

/* The trailer section at buf[pos, len) up to its empty line: *next after it. */
static int
httpparse_trailers(const char *buf, size_t len, size_t pos, size_t *next)
{
	size_t start = pos;

	for (;;) {
		const char *p = buf + pos;
		const char *nl = memchr(p, '\n', len - pos);
		size_t n;

		if (nl == NULL)
			return len - start > HTTPPARSE_MAX_TRAILERS ? 400 : 1;
		if ((size_t)(nl + 1 - buf) - start > HTTPPARSE_MAX_TRAILERS)
			return 400;
		n = (size_t)(nl - p);
		if (n == 0 || p[n - 1] != '\r')
			return 400;
		n--;
		if (n == 0) {
			*next = (size_t)(nl + 1 - buf);
			return 0;
		}
		if (httpparse_is_blank(*p) || memchr(p, ':', n) == NULL || *p == ':')
			return 400;
		for (const char *s = p; *s != ':'; s++)
			if (!httpparse_is_tchar((unsigned char)*s))
				return 400;
		for (const char *s = p; s < p + n; s++)
			if (!httpparse_is_value_char((unsigned char)*s))
				return 400;
		pos = (size_t)(nl + 1 - buf);
	}
}

/* The CRLF after chunk data at pos: 2, 0 when incomplete, -1 bad. */
static int
httpparse_data_end(const char *buf, size_t len, size_t pos)
{
	if (pos >= len)
		return 0;
	if (buf[pos] != '\r')
		return -1;
	if (pos + 1 >= len)
		return 0;
	return buf[pos + 1] == '\n' ? 2 : -1;
}

/* Pass one (no writes): check the encoding from the chunk where *r stopped, find its
 * end and the decoded length; on INCOMPLETE, *r keeps the start of the chunk that is not
 * complete yet, so a body arriving in many reads is scanned once. With copy set (pass
 * two, from the start, on a checked encoding), move the data to the front. */
static int
httpparse_chunks(char *buf, size_t len, size_t max_body, bool copy, struct httpparse_chunk_state *r,
                 size_t *consumed, size_t *body_len)
{
	size_t pos = r->pos, out = r->out;

	for (;;) {
		uint64_t size;
		size_t next;
		int st = httpparse_chunk_size(buf, len, pos, &size, &next), eol;

		if (st == 0 && size == 0) {
			st = httpparse_trailers(buf, len, next, consumed);
			if (st == 0)
				*body_len = out;
		} else if (st == 0 && size > max_body - out) {
			st = 413;
		} else if (st == 0 && size > len - next) {
			st = 1;
		} else if (st == 0) {
			eol = httpparse_data_end(buf, len, next + (size_t)size);
			if (eol > 0) {
				if (copy)
					memmove(buf + out, buf + next, (size_t)size);
				out += (size_t)size;
				pos = next + (size_t)size + (size_t)eol;
				continue;
			}
			st = eol == 0 ? 1 : 400;
		}
		if (st == 1) {
			r->pos = pos;
			r->out = out;
		}
		return st;
	}
}

enum httpparse_status
httpparse_chunked_resume(char *buf, size_t len, size_t max_body, struct httpparse_chunk_state *r,
                         size_t *consumed, size_t *body_len, int *status)
{
	struct httpparse_chunk_state from_start = { 0, 0 };
	int st = httpparse_chunks(buf, len, max_body, false, r, consumed, body_len);

	if (st == 1)
		return HTTPPARSE_INCOMPLETE;
	if (st != 0) {
		*status = st;
		return HTTPPARSE_ERROR;
	}
	httpparse_chunks(buf, len, max_body, true, &from_start, consumed, body_len);
	return HTTPPARSE_DONE;
}

enum httpparse_status
httpparse_chunked(char *buf, size_t len, size_t max_body, size_t *consumed, size_t *body_len,
                  int *status)
{
	struct httpparse_chunk_state r = { 0, 0 };

	return httpparse_chunked_resume(buf, len, max_body, &r, consumed, body_len, status);
}
