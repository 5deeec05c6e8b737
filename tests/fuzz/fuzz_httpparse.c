/* libFuzzer harness for the HTTP/1.1 request parser (daemons/api/httpparse.h); see
 * README.md for the build and run commands.
 *
 * Input: byte 0 picks max_head, byte 1 picks max_body, the rest is the request. The
 * request is copied into a malloc'd buffer of exactly its size, so ASan reports any read
 * or write past len. Checked against the header's contract:
 *   - the status is one of the documented ones for each answer;
 *   - INCOMPLETE leaves the buffer untouched (and only when len <= max_head);
 *   - DONE: head_len <= len and <= max_head, every string lies NUL-terminated inside the
 *     head, the head holds no control character but HTAB, LF and CR before LF,
 *     nheaders <= HTTPPARSE_MAX_HEADERS, minor is 0 or 1, chunked implies
 *     content_length -1, the bytes after the head are untouched, httpparse_header finds
 *     every header; parsing just the head again gives the same head_len, and its last
 *     proper prefix is INCOMPLETE;
 *   - chunked DONE: consumed <= len, body_len <= consumed, body_len <= max_body, the
 *     bytes after the encoding are untouched, the decoded body equals a reference
 *     decoding, and the encoding's last proper prefix is INCOMPLETE. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__,       \
			        #cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static char *
dup_exact(const void *p, size_t n)
{
	char *b = malloc(n > 0 ? n : 1);

	CHECK(b != NULL);
	if (n > 0)
		memcpy(b, p, n);
	return b;
}

static void
check_str(const char *s, const char *buf, size_t head_len)
{
	CHECK(s != NULL);
	CHECK(s >= buf && s < buf + head_len);
	CHECK(memchr(s, '\0', (size_t)(buf + head_len - s)) != NULL);
}

static enum httpparse_status
head_once(const char *src, size_t len, size_t max_head, struct httpparse_head *h, int *st)
{
	char *b = dup_exact(src, len);
	enum httpparse_status rc;

	*st = -1;
	rc = httpparse_head(b, len, max_head, h, st);
	if (rc == HTTPPARSE_INCOMPLETE)
		CHECK(memcmp(b, src, len) == 0);
	free(b);
	return rc;
}

/* Reference decoder of a chunked encoding already accepted by httpparse_chunked: the
 * sizes are hex, the line ends LF or CRLF; writes the body to out. */
static size_t
ref_decode(const char *enc, size_t len, char *out)
{
	size_t pos = 0, n = 0;

	for (;;) {
		uint64_t sz = 0;
		const char *nl;

		while (pos < len) {
			char ch = enc[pos];
			int d = ch >= '0' && ch <= '9'   ? ch - '0'
			        : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
			        : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
			                                 : -1;
			if (d < 0)
				break;
			sz = sz * 16 + (uint64_t)d;
			pos++;
		}
		nl = memchr(enc + pos, '\n', len - pos);
		CHECK(nl != NULL);
		pos = (size_t)(nl + 1 - enc);
		if (sz == 0)
			return n;
		CHECK(sz <= len - pos);
		memcpy(out + n, enc + pos, (size_t)sz);
		n += (size_t)sz;
		pos += (size_t)sz;
		pos += enc[pos] == '\r' ? 2 : 1;
	}
}

static void
fuzz_chunked(const char *src, size_t len, size_t max_body)
{
	char *b = dup_exact(src, len);
	size_t consumed = (size_t)-1, body_len = (size_t)-1;
	int st = -1;
	enum httpparse_status rc = httpparse_chunked(b, len, max_body, &consumed, &body_len, &st);

	switch (rc) {
	case HTTPPARSE_INCOMPLETE:
		CHECK(memcmp(b, src, len) == 0);
		break;
	case HTTPPARSE_ERROR:
		CHECK(st == 400 || st == 413);
		break;
	case HTTPPARSE_DONE: {
		char *ref;
		size_t ref_len;

		CHECK(consumed <= len);
		CHECK(body_len <= consumed);
		CHECK(body_len <= max_body);
		CHECK(memcmp(b + consumed, src + consumed, len - consumed) == 0);
		ref = malloc(consumed + 1);
		CHECK(ref != NULL);
		ref_len = ref_decode(src, consumed, ref);
		CHECK(ref_len == body_len);
		CHECK(memcmp(ref, b, body_len) == 0);
		free(ref);
		/* A proper prefix of an accepted encoding is never DONE or an error. */
		if (consumed > 0) {
			char *p = dup_exact(src, consumed - 1);
			size_t c2, b2;
			int st2 = -1;

			CHECK(httpparse_chunked(p, consumed - 1, max_body, &c2, &b2, &st2) ==
			      HTTPPARSE_INCOMPLETE);
			CHECK(memcmp(p, src, consumed - 1) == 0);
			free(p);
		}
		/* In two pieces with the resume state: the same answer. */
		if (consumed > 1) {
			char *p = dup_exact(src, len);
			struct httpparse_chunk_state rs = { 0, 0 };
			size_t half = consumed / 2, c2 = 0, b2 = 0;
			int st2 = -1;

			CHECK(httpparse_chunked_resume(p, half, max_body, &rs, &c2, &b2, &st2) ==
			      HTTPPARSE_INCOMPLETE);
			CHECK(httpparse_chunked_resume(p, len, max_body, &rs, &c2, &b2, &st2) ==
			      HTTPPARSE_DONE);
			CHECK(c2 == consumed && b2 == body_len);
			CHECK(memcmp(p, b, body_len) == 0);
			free(p);
		}
		break;
	}
	default:
		CHECK(0);
	}
	free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct httpparse_head h, h2;
	const char *src;
	size_t len, max_head, max_body;
	char *buf;
	int st = -1;
	enum httpparse_status rc;

	if (size < 2)
		return 0;
	/* 0..255 -> small limits (exercise 431) up to a roomy 8 KiB. */
	max_head = data[0] == 0xff ? SIZE_MAX : (size_t)data[0] * 32;
	max_body = data[1] == 0xff ? SIZE_MAX : (size_t)data[1] * 4;
	src = (const char *)data + 2;
	len = size - 2;

	buf = dup_exact(src, len);
	rc = httpparse_head(buf, len, max_head, &h, &st);
	switch (rc) {
	case HTTPPARSE_INCOMPLETE:
		CHECK(len <= max_head);
		CHECK(memcmp(buf, src, len) == 0);
		break;
	case HTTPPARSE_ERROR:
		CHECK(st == 400 || st == 431 || st == 505);
		break;
	case HTTPPARSE_DONE:
		CHECK(h.head_len > 0 && h.head_len <= len);
		CHECK(h.head_len <= max_head);
		CHECK(h.nheaders <= HTTPPARSE_MAX_HEADERS);
		CHECK(h.minor == 0 || h.minor == 1);
		CHECK(h.content_length >= -1);
		CHECK(!h.chunked || h.content_length == -1);
		check_str(h.method, buf, h.head_len);
		check_str(h.target, buf, h.head_len);
		/* an absolute-form target without a path gets a static "/" (httpparse.h) */
		if (strcmp(h.path, "/") != 0 || (h.path >= buf && h.path < buf + h.head_len))
			check_str(h.path, buf, h.head_len);
		if (h.query != NULL)
			check_str(h.query, buf, h.head_len);
		for (size_t i = 0; i < h.nheaders; i++) {
			const char *v;

			check_str(h.headers[i].name, buf, h.head_len);
			check_str(h.headers[i].value, buf, h.head_len);
			v = httpparse_header(&h, h.headers[i].name);
			CHECK(v != NULL);
		}
		/* An accepted head holds no control characters other than HTAB and line ends,
		 * and a CR only right before a LF (400: bad token, control character in a
		 * value, bare CR). */
		for (size_t i = 0; i < h.head_len; i++) {
			unsigned char ch = (unsigned char)src[i];

			CHECK(ch == '\t' || ch == '\n' || (ch >= 0x20 && ch != 0x7f) ||
			      (ch == '\r' && i + 1 < h.head_len && src[i + 1] == '\n'));
		}
		/* The bytes after the head are not the head's business. */
		CHECK(memcmp(buf + h.head_len, src + h.head_len, len - h.head_len) == 0);
		/* The head alone parses the same; one byte less is INCOMPLETE. */
		CHECK(head_once(src, h.head_len, max_head, &h2, &st) == HTTPPARSE_DONE);
		CHECK(h2.head_len == h.head_len);
		CHECK(head_once(src, h.head_len - 1, max_head, &h2, &st) == HTTPPARSE_INCOMPLETE);
		if (h.chunked)
			fuzz_chunked(src + h.head_len, len - h.head_len, max_body);
		break;
	default:
		CHECK(0);
	}
	free(buf);
	/* Also feed the whole input to the chunked decoder on its own. */
	fuzz_chunked(src, len, max_body);
	return 0;
}
