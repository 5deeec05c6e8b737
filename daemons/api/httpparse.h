/* HTTP/1.1 request parsing (RFC 9112): the request line and header block, and chunked
 * bodies. Pure and bounded: it parses a buffer in place (NUL-terminating the parts),
 * allocates nothing and never reads past len. The connection layer (httpio.c) owns the
 * buffer and calls these again with more bytes while the answer is INCOMPLETE. */
#ifndef API_HTTPPARSE_H
#define API_HTTPPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* More header lines than this is answered like an oversize head (431). */
#define HTTPPARSE_MAX_HEADERS 100

struct httpparse_header {
	const char *name;  /* as sent (a token) */
	const char *value; /* leading and trailing blanks removed */
};

struct httpparse_head {
	const char *method; /* a token, as sent ("GET") */
	const char *target; /* the request-target as sent, up to any '?' */
	const char *path;   /* origin-form path ("/a/b"); absolute-form reduced to its path
	                       (a static "/" when it has none); "*" for OPTIONS *. Not
	                       decoded. */
	const char *query;  /* after the first '?', not decoded; NULL when there is none */
	int minor;          /* HTTP/1.<minor>: 0 or 1 */
	struct httpparse_header headers[HTTPPARSE_MAX_HEADERS];
	size_t nheaders;
	size_t head_len; /* bytes of the request line and header block, final CRLF included */
	int64_t content_length; /* -1 when absent (and when chunked) */
	bool chunked;           /* Transfer-Encoding: chunked */
	bool keep_alive;        /* from the version and the Connection header */
	bool expect_continue;   /* Expect: 100-continue */
};

enum httpparse_status {
	HTTPPARSE_INCOMPLETE, /* need more bytes; the buffer is untouched */
	HTTPPARSE_DONE,
	HTTPPARSE_ERROR, /* *status: see each function */
};

/* Parse the head at buf[0, len).
 * DONE: *h is filled, its strings point into buf (modified in place), and the head is
 * buf[0, h->head_len). Empty lines before the request line are skipped (RFC 9112 §2.2)
 * and counted in head_len.
 * INCOMPLETE: no complete head yet and len <= max_head; buf is untouched.
 * ERROR: *status is
 *   400  malformed request line or header line (bad token, no colon, whitespace before
 *        the colon, obsolete line folding, a control character in a value, a bare CR
 *        or a NUL anywhere (refused as soon as its line has arrived),
 *        an invalid or conflicting Content-Length, both Content-Length and
 *        Transfer-Encoding, a Transfer-Encoding other than "chunked")
 *   431  the head is longer than max_head bytes (also while INCOMPLETE would otherwise
 *        be returned) or has more than HTTPPARSE_MAX_HEADERS header lines
 *   505  a version other than HTTP/1.0 or HTTP/1.1
 * Line ends are CRLF; a bare LF is accepted as a line end too. */
enum httpparse_status httpparse_head(char *buf, size_t len, size_t max_head,
                                     struct httpparse_head *h, int *status);

/* Decode a chunked body at buf[0, len) (the bytes after the head).
 * DONE: the decoded body is moved to buf[0, *body_len) and *consumed is the length of
 * the whole encoding (last chunk and trailer section included); the bytes after it
 * (a pipelined request) are left where they were, at buf + *consumed.
 * INCOMPLETE: need more bytes; buf is untouched.
 * ERROR: *status 400 (malformed: bad chunk size, a size of 16 or more significant hex
 * digits, missing CRLF after chunk data, bad trailer line, a bare LF anywhere in the
 * framing: unlike the head, chunked framing takes CRLF only) or 413 (the decoded body would exceed
 * max_body bytes; detected as soon as a chunk size says so, before its data arrives). Chunk
 * extensions are ignored. */
enum httpparse_status httpparse_chunked(char *buf, size_t len, size_t max_body, size_t *consumed,
                                        size_t *body_len, int *status);

/* httpparse_chunked for a body that arrives in pieces: *r (zero it before the first
 * call, keep it between calls on the same, only growing, buffer) remembers how far the
 * encoding was checked, so each byte of framing is looked at once, not on every read. */
struct httpparse_chunk_state {
	size_t pos; /* start of the first chunk not complete yet */
	size_t out; /* decoded bytes before it */
};
enum httpparse_status httpparse_chunked_resume(char *buf, size_t len, size_t max_body,
                                               struct httpparse_chunk_state *r, size_t *consumed,
                                               size_t *body_len, int *status);

/* The first header named name (case-insensitive), or NULL. */
const char *httpparse_header(const struct httpparse_head *h, const char *name);

#endif
