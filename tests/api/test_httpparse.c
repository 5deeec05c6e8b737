/* Unit tests of the HTTP/1.1 request parser (daemons/api/httpparse.h), written against the
 * header's contract: the request line and header block (httpparse_head), chunked bodies
 * (httpparse_chunked) and header lookup (httpparse_header).
 *
 * Every parse runs on a malloc'd copy followed by a guard area, so a write past len is
 * caught here (and a read past len under ASan). Table-driven cases are loop tests, so
 * each input is its own TAP line and a failure names the input. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpparse.h"

#define GUARD      32
#define GUARD_BYTE 0xA5
#define BIG        65536

/* An input with an explicit length (it may hold NUL bytes). */
struct input {
	const char *s;
	size_t len;
};
#define S(x)                                                                                       \
	{                                                                                          \
		x, sizeof(x) - 1                                                                   \
	}

/* Printable form of an input for failure messages. */
static const char *
esc(const char *s, size_t n)
{
	static char out[4096];
	size_t o = 0;

	for (size_t i = 0; i < n && o + 8 < sizeof(out); i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r')
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\r");
		else if (c == '\n')
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\n");
		else if (c == '\t')
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\t");
		else if (c == '\\')
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\\\");
		else if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

static char *
copy_in(const char *s, size_t len)
{
	char *b = malloc(len + GUARD);

	ck_assert_ptr_nonnull(b);
	memcpy(b, s, len);
	memset(b + len, GUARD_BYTE, GUARD);
	return b;
}

static void
check_guard(const char *b, size_t len, const char *what)
{
	for (size_t i = 0; i < GUARD; i++)
		ck_assert_msg((unsigned char)b[len + i] == GUARD_BYTE,
		              "%s wrote past len at len+%zu", what, i);
}

/* ---- head parsing helpers ---- */

static struct {
	char *buf;
	size_t len;
	struct httpparse_head h;
	int status;
	enum httpparse_status rc;
} r;

static void
teardown(void)
{
	free(r.buf);
	r.buf = NULL;
}

static enum httpparse_status
run_n(const char *s, size_t len, size_t max_head)
{
	free(r.buf);
	r.buf = copy_in(s, len);
	r.len = len;
	memset(&r.h, 0xCC, sizeof(r.h));
	r.status = -1;
	r.rc = httpparse_head(r.buf, len, max_head, &r.h, &r.status);
	check_guard(r.buf, len, "httpparse_head");
	if (r.rc == HTTPPARSE_INCOMPLETE)
		ck_assert_msg(memcmp(r.buf, s, len) == 0, "INCOMPLETE modified the buffer for %s",
		              esc(s, len));
	return r.rc;
}

static enum httpparse_status
run(const char *s)
{
	return run_n(s, strlen(s), BIG);
}

static const char *
rc_name(enum httpparse_status rc)
{
	switch (rc) {
	case HTTPPARSE_INCOMPLETE:
		return "INCOMPLETE";
	case HTTPPARSE_DONE:
		return "DONE";
	case HTTPPARSE_ERROR:
		return "ERROR";
	}
	return "?";
}

#define ASSERT_DONE(s)                                                                             \
	do {                                                                                       \
		enum httpparse_status rc_ = run(s);                                                \
		ck_assert_msg(rc_ == HTTPPARSE_DONE, "%s: got %s (status %d), want DONE",          \
		              esc(s, strlen(s)), rc_name(rc_), r.status);                          \
	} while (0)

#define ASSERT_ERROR_N(s, n, max, code)                                                            \
	do {                                                                                       \
		enum httpparse_status rc_ = run_n(s, n, max);                                      \
		ck_assert_msg(rc_ == HTTPPARSE_ERROR && r.status == (code),                        \
		              "%s (max_head %zu): got %s status %d, want ERROR %d", esc(s, n),     \
		              (size_t)(max), rc_name(rc_), r.status, code);                        \
	} while (0)

/* p points into r.buf[0, head_len) and is NUL-terminated there. */
static void
assert_in_head(const char *p, const char *what)
{
	ck_assert_msg(p >= r.buf && p < r.buf + r.h.head_len, "%s points outside the head", what);
	ck_assert_msg(memchr(p, '\0', (size_t)(r.buf + r.h.head_len - p)) != NULL,
	              "%s is not NUL-terminated inside the head", what);
}

static void
assert_head_sane(void)
{
	ck_assert_uint_le(r.h.head_len, r.len);
	ck_assert_uint_le(r.h.nheaders, HTTPPARSE_MAX_HEADERS);
	assert_in_head(r.h.method, "method");
	assert_in_head(r.h.target, "target");
	if (strcmp(r.h.path, "/") != 0) /* an absolute-form target without a path: static "/" */
		assert_in_head(r.h.path, "path");
	if (r.h.query != NULL)
		assert_in_head(r.h.query, "query");
	for (size_t i = 0; i < r.h.nheaders; i++) {
		assert_in_head(r.h.headers[i].name, "header name");
		assert_in_head(r.h.headers[i].value, "header value");
	}
}

/* ---- request line ---- */

START_TEST(get_with_query)
{
	const char *s = "GET /a/b?x=1&y=%20z HTTP/1.1\r\nHost: example.com\r\n\r\n";

	ASSERT_DONE(s);
	assert_head_sane();
	ck_assert_str_eq(r.h.method, "GET");
	ck_assert_str_eq(r.h.target, "/a/b");
	ck_assert_str_eq(r.h.path, "/a/b");
	ck_assert_ptr_nonnull(r.h.query);
	ck_assert_str_eq(r.h.query, "x=1&y=%20z"); /* not decoded */
	ck_assert_int_eq(r.h.minor, 1);
	ck_assert_uint_eq(r.h.nheaders, 1);
	ck_assert_str_eq(r.h.headers[0].name, "Host");
	ck_assert_str_eq(r.h.headers[0].value, "example.com");
	ck_assert_uint_eq(r.h.head_len, strlen(s));
	ck_assert_int_eq(r.h.content_length, -1);
	ck_assert(!r.h.chunked);
	ck_assert(r.h.keep_alive);
	ck_assert(!r.h.expect_continue);
}
END_TEST

START_TEST(no_query_is_null)
{
	ASSERT_DONE("GET /p%2Fq HTTP/1.1\r\nHost: h\r\n\r\n");
	assert_head_sane();
	ck_assert_str_eq(r.h.target, "/p%2Fq");
	ck_assert_str_eq(r.h.path, "/p%2Fq"); /* not decoded */
	ck_assert_ptr_null(r.h.query);
}
END_TEST

START_TEST(empty_query_is_empty_string)
{
	ASSERT_DONE("GET /a? HTTP/1.1\r\nHost: h\r\n\r\n");
	assert_head_sane();
	ck_assert_str_eq(r.h.target, "/a");
	ck_assert_str_eq(r.h.path, "/a");
	ck_assert_ptr_nonnull(r.h.query);
	ck_assert_str_eq(r.h.query, "");
}
END_TEST

START_TEST(query_splits_at_first_question_mark)
{
	ASSERT_DONE("GET /a?b?c=d HTTP/1.1\r\nHost: h\r\n\r\n");
	assert_head_sane();
	ck_assert_str_eq(r.h.path, "/a");
	ck_assert_str_eq(r.h.query, "b?c=d");
}
END_TEST

START_TEST(root_path)
{
	ASSERT_DONE("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
	assert_head_sane();
	ck_assert_str_eq(r.h.target, "/");
	ck_assert_str_eq(r.h.path, "/");
	ck_assert_ptr_null(r.h.query);
}
END_TEST

START_TEST(other_methods_as_sent)
{
	ASSERT_DONE("PURGE /x HTTP/1.1\r\nHost: h\r\n\r\n");
	ck_assert_str_eq(r.h.method, "PURGE");
	ASSERT_DONE("get /x HTTP/1.1\r\nHost: h\r\n\r\n");
	ck_assert_str_eq(r.h.method, "get"); /* a token, as sent */
	ASSERT_DONE("M-SEARCH! /x HTTP/1.1\r\nHost: h\r\n\r\n");
	ck_assert_str_eq(r.h.method, "M-SEARCH!");
}
END_TEST

START_TEST(absolute_form)
{
	ASSERT_DONE("GET http://h:1/x?y=1 HTTP/1.1\r\nHost: h:1\r\n\r\n");
	assert_head_sane();
	ck_assert_str_eq(r.h.target, "http://h:1/x");
	ck_assert_str_eq(r.h.path, "/x");
	ck_assert_ptr_nonnull(r.h.query);
	ck_assert_str_eq(r.h.query, "y=1");
}
END_TEST

START_TEST(absolute_form_no_path)
{
	ASSERT_DONE("GET http://h HTTP/1.1\r\nHost: h\r\n\r\n");
	assert_head_sane();
	ck_assert_str_eq(r.h.target, "http://h");
	ck_assert_str_eq(r.h.path, "/");
	ck_assert_ptr_null(r.h.query);
}
END_TEST

START_TEST(absolute_form_no_path_with_query)
{
	ASSERT_DONE("GET http://h:8080?q=1 HTTP/1.1\r\nHost: h\r\n\r\n");
	assert_head_sane();
	ck_assert_str_eq(r.h.path, "/");
	ck_assert_ptr_nonnull(r.h.query);
	ck_assert_str_eq(r.h.query, "q=1");
}
END_TEST

START_TEST(absolute_form_deep_path)
{
	ASSERT_DONE("POST http://user.example:443/a/b/c HTTP/1.1\r\nHost: h\r\n"
	            "Content-Length: 0\r\n\r\n");
	assert_head_sane();
	ck_assert_str_eq(r.h.path, "/a/b/c");
	ck_assert_ptr_null(r.h.query);
	ck_assert_int_eq(r.h.content_length, 0);
}
END_TEST

START_TEST(options_star)
{
	ASSERT_DONE("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
	assert_head_sane();
	ck_assert_str_eq(r.h.method, "OPTIONS");
	ck_assert_str_eq(r.h.target, "*");
	ck_assert_str_eq(r.h.path, "*");
	ck_assert_ptr_null(r.h.query);
}
END_TEST

START_TEST(no_host_is_not_a_parse_error)
{
	/* The contract's 400 list has no "missing Host"; that is the caller's business. */
	ASSERT_DONE("GET / HTTP/1.1\r\n\r\n");
	assert_head_sane();
	ck_assert_uint_eq(r.h.nheaders, 0);
	ck_assert_uint_eq(r.h.head_len, 18);
}
END_TEST

/* ---- header lines ---- */

START_TEST(header_values_trimmed)
{
	ASSERT_DONE("GET / HTTP/1.1\r\n"
	            "A:   spaced   \r\n"
	            "B:\t\t tabbed \t\r\n"
	            "C:nospace\r\n"
	            "D:\r\n"
	            "E:    \r\n"
	            "F: inner  blanks\tkept \r\n"
	            "\r\n");
	assert_head_sane();
	ck_assert_uint_eq(r.h.nheaders, 6);
	ck_assert_str_eq(r.h.headers[0].name, "A");
	ck_assert_str_eq(r.h.headers[0].value, "spaced");
	ck_assert_str_eq(r.h.headers[1].value, "tabbed");
	ck_assert_str_eq(r.h.headers[2].value, "nospace");
	ck_assert_str_eq(r.h.headers[3].value, "");
	ck_assert_str_eq(r.h.headers[4].value, "");
	ck_assert_str_eq(r.h.headers[5].name, "F");
	ck_assert_str_eq(r.h.headers[5].value, "inner  blanks\tkept");
}
END_TEST

START_TEST(header_obs_text_allowed)
{
	/* Bytes >= 0x80 are obs-text, not control characters. */
	ASSERT_DONE("GET / HTTP/1.1\r\nX-Name: caf\xc3\xa9 \xff\r\n\r\n");
	assert_head_sane();
	ck_assert_str_eq(r.h.headers[0].value, "caf\xc3\xa9 \xff");
}
END_TEST

START_TEST(header_lookup_case_insensitive)
{
	ASSERT_DONE("GET / HTTP/1.1\r\n"
	            "Content-Type: text/plain\r\n"
	            "X-Dup: first\r\n"
	            "Hostx: not-host\r\n"
	            "x-dup: second\r\n"
	            "hOsT: h\r\n"
	            "\r\n");
	assert_head_sane();
	ck_assert_uint_eq(r.h.nheaders, 5);
	ck_assert_str_eq(r.h.headers[4].name, "hOsT"); /* as sent */
	ck_assert_str_eq(httpparse_header(&r.h, "content-type"), "text/plain");
	ck_assert_str_eq(httpparse_header(&r.h, "CONTENT-TYPE"), "text/plain");
	ck_assert_str_eq(httpparse_header(&r.h, "Content-Type"), "text/plain");
	ck_assert_str_eq(httpparse_header(&r.h, "x-DUP"), "first");
	ck_assert_str_eq(httpparse_header(&r.h, "host"), "h");
	ck_assert_str_eq(httpparse_header(&r.h, "hostx"), "not-host");
	ck_assert_ptr_null(httpparse_header(&r.h, "Hos"));
	ck_assert_ptr_null(httpparse_header(&r.h, "Content-Type2"));
	ck_assert_ptr_null(httpparse_header(&r.h, "Accept"));
	ck_assert_ptr_null(httpparse_header(&r.h, ""));
}
END_TEST

START_TEST(header_name_tchars)
{
	ASSERT_DONE("GET / HTTP/1.1\r\nX-a_b.c!#$%&'*+^`|~9: v\r\n\r\n");
	assert_head_sane();
	ck_assert_str_eq(r.h.headers[0].name, "X-a_b.c!#$%&'*+^`|~9");
	ck_assert_str_eq(r.h.headers[0].value, "v");
}
END_TEST

START_TEST(header_value_with_colons)
{
	ASSERT_DONE("GET / HTTP/1.1\r\nHost: h:8080\r\nX: a: b :c\r\n\r\n");
	assert_head_sane();
	ck_assert_str_eq(httpparse_header(&r.h, "host"), "h:8080");
	ck_assert_str_eq(httpparse_header(&r.h, "x"), "a: b :c");
}
END_TEST

START_TEST(exactly_max_headers)
{
	char req[8192];
	size_t n = (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\n");

	for (int i = 0; i < HTTPPARSE_MAX_HEADERS; i++)
		n += (size_t)snprintf(req + n, sizeof(req) - n, "H%d: %d\r\n", i, i);
	n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n");
	ck_assert_int_eq(run_n(req, n, BIG), HTTPPARSE_DONE);
	assert_head_sane();
	ck_assert_uint_eq(r.h.nheaders, HTTPPARSE_MAX_HEADERS);
	ck_assert_str_eq(r.h.headers[HTTPPARSE_MAX_HEADERS - 1].name, "H99");
	ck_assert_str_eq(httpparse_header(&r.h, "h99"), "99");
	ck_assert_uint_eq(r.h.head_len, n);
}
END_TEST

START_TEST(too_many_headers_431)
{
	char req[8192];
	size_t n = (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\n");

	for (int i = 0; i < HTTPPARSE_MAX_HEADERS + 1; i++)
		n += (size_t)snprintf(req + n, sizeof(req) - n, "H%d: %d\r\n", i, i);
	n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n");
	ASSERT_ERROR_N(req, n, (size_t)BIG, 431);
}
END_TEST

/* ---- framing: prefixes, pipelining, empty lines, line ends ---- */

static const struct input valid_heads[] = {
	S("GET /a?b=c HTTP/1.1\r\nHost: h\r\nX:  v  \r\n\r\n"),
	S("\r\n\r\nGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
	S("GET / HTTP/1.1\nHost: h\nX: y\n\n"),
	S("\n\nGET / HTTP/1.1\nHost: h\n\n"),
	S("GET / HTTP/1.1\r\nHost: h\n\r\n"),
	S("POST http://h:1/x?y=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n"
	  "Expect: 100-continue\r\n\r\n"),
	S("PUT /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"),
	S("OPTIONS * HTTP/1.1\r\nHost: h\r\nE:\r\n\r\n"),
	S("GET / HTTP/1.1\r\n\r\n"),
};

START_TEST(every_prefix_incomplete)
{
	const struct input *in = &valid_heads[_i];

	/* The whole head parses, and head_len is all of it. */
	ck_assert_msg(run_n(in->s, in->len, BIG) == HTTPPARSE_DONE, "%s: got %s status %d",
	              esc(in->s, in->len), rc_name(r.rc), r.status);
	ck_assert_uint_eq(r.h.head_len, in->len);
	assert_head_sane();
	/* Every proper prefix (the empty one included) is INCOMPLETE, buffer untouched
	 * (run_n checks that). */
	for (size_t k = 0; k < in->len; k++) {
		enum httpparse_status rc = run_n(in->s, k, BIG);

		ck_assert_msg(rc == HTTPPARSE_INCOMPLETE,
		              "prefix of length %zu of %s: got %s status %d, want INCOMPLETE", k,
		              esc(in->s, in->len), rc_name(rc), r.status);
	}
}
END_TEST

START_TEST(pipelined_head_len_exact)
{
	const char *first = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
	const char *all = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
	size_t n = strlen(all), h1 = strlen(first);

	ck_assert_int_eq(run_n(all, n, BIG), HTTPPARSE_DONE);
	assert_head_sane();
	ck_assert_uint_eq(r.h.head_len, h1);
	ck_assert_str_eq(r.h.path, "/a");
	ck_assert_uint_eq(r.h.nheaders, 1);
	/* The bytes after the head are the next request, untouched. */
	ck_assert(memcmp(r.buf + h1, all + h1, n - h1) == 0);
	/* ...and parse as such. */
	{
		char *rest = strdup(all + h1);
		struct httpparse_head h2;
		int st = -1;

		ck_assert_int_eq(httpparse_head(rest, n - h1, BIG, &h2, &st), HTTPPARSE_DONE);
		ck_assert_str_eq(h2.path, "/b");
		ck_assert_uint_eq(h2.head_len, n - h1);
		free(rest);
	}
}
END_TEST

START_TEST(pipelined_after_body)
{
	const char *s =
	    "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\n";
	size_t head = strlen("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n");

	ck_assert_int_eq(run_n(s, strlen(s), BIG), HTTPPARSE_DONE);
	assert_head_sane();
	ck_assert_uint_eq(r.h.head_len, head);
	ck_assert_int_eq(r.h.content_length, 5);
	ck_assert(memcmp(r.buf + head, "helloGET / HTTP/1.1\r\n", strlen(s) - head) == 0);
}
END_TEST

START_TEST(pipelined_garbage_after_head_ignored)
{
	/* Whatever follows the head is not the head's business. */
	static const char s[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n\x01\r\x00 :junk";
	size_t head = strlen("GET / HTTP/1.1\r\nHost: h\r\n\r\n");

	ck_assert_int_eq(run_n(s, sizeof(s) - 1, BIG), HTTPPARSE_DONE);
	ck_assert_uint_eq(r.h.head_len, head);
	ck_assert(memcmp(r.buf + head, s + head, sizeof(s) - 1 - head) == 0);
}
END_TEST

START_TEST(leading_empty_lines_skipped)
{
	const char *s = "\r\n\r\n\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n";

	ASSERT_DONE(s);
	assert_head_sane();
	ck_assert_str_eq(r.h.method, "GET");
	ck_assert_str_eq(r.h.path, "/x");
	ck_assert_uint_eq(r.h.head_len, strlen(s)); /* the empty lines are counted */
}
END_TEST

START_TEST(only_empty_lines_incomplete)
{
	ck_assert_int_eq(run("\r\n"), HTTPPARSE_INCOMPLETE);
	ck_assert_int_eq(run("\r\n\r\n\r\n"), HTTPPARSE_INCOMPLETE);
	ck_assert_int_eq(run("\n\n"), HTTPPARSE_INCOMPLETE);
}
END_TEST

START_TEST(bare_lf_line_ends)
{
	const char *s = "GET /lf?q HTTP/1.1\nHost: h\nX-A:  a \n\n";

	ASSERT_DONE(s);
	assert_head_sane();
	ck_assert_uint_eq(r.h.head_len, strlen(s));
	ck_assert_str_eq(r.h.path, "/lf");
	ck_assert_str_eq(r.h.query, "q");
	ck_assert_int_eq(r.h.minor, 1);
	ck_assert_uint_eq(r.h.nheaders, 2);
	ck_assert_str_eq(httpparse_header(&r.h, "host"), "h");
	ck_assert_str_eq(httpparse_header(&r.h, "x-a"), "a");
}
END_TEST

START_TEST(mixed_line_ends)
{
	const char *s = "GET / HTTP/1.1\nHost: h\r\nX: 1\n\r\n";

	ASSERT_DONE(s);
	assert_head_sane();
	ck_assert_uint_eq(r.h.head_len, strlen(s));
	ck_assert_str_eq(httpparse_header(&r.h, "host"), "h");
	ck_assert_str_eq(httpparse_header(&r.h, "x"), "1");
}
END_TEST

/* ---- size limits (431) ---- */

START_TEST(max_head_exact_ok)
{
	const char *s = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
	size_t n = strlen(s);

	ck_assert_int_eq(run_n(s, n, n), HTTPPARSE_DONE);
	ck_assert_uint_eq(r.h.head_len, n);
}
END_TEST

START_TEST(max_head_complete_too_long_431)
{
	const char *s = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
	size_t n = strlen(s);

	ASSERT_ERROR_N(s, n, n - 1, 431);
	ASSERT_ERROR_N(s, n, (size_t)10, 431);
}
END_TEST

START_TEST(max_head_counts_leading_empty_lines)
{
	const char *s = "\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
	size_t n = strlen(s);

	ASSERT_ERROR_N(s, n, n - 1, 431);
	ck_assert_int_eq(run_n(s, n, n), HTTPPARSE_DONE);
}
END_TEST

START_TEST(max_head_incomplete_so_far_431)
{
	const char *s = "GET / HTTP/1.1\r\nHost: h\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	size_t n = strlen(s);

	/* len == max_head and no head yet: still INCOMPLETE */
	ck_assert_int_eq(run_n(s, n, n), HTTPPARSE_INCOMPLETE);
	/* len > max_head and no head yet: 431 */
	ASSERT_ERROR_N(s, n, n - 1, 431);
	ASSERT_ERROR_N(s, n, (size_t)16, 431);
}
END_TEST

START_TEST(max_head_incomplete_long_request_line_431)
{
	char req[600];

	memcpy(req, "GET /", 5);
	memset(req + 5, 'a', sizeof(req) - 5);
	ASSERT_ERROR_N(req, sizeof(req), (size_t)512, 431);
	ck_assert_int_eq(run_n(req, 512, 512), HTTPPARSE_INCOMPLETE);
}
END_TEST

START_TEST(max_head_with_pipelined_data_beyond)
{
	/* len > max_head is fine when the complete head fits. */
	const char *head = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
	char req[256];
	size_t hn = strlen(head);

	memcpy(req, head, hn);
	memset(req + hn, 'x', sizeof(req) - hn);
	ck_assert_int_eq(run_n(req, sizeof(req), hn), HTTPPARSE_DONE);
	ck_assert_uint_eq(r.h.head_len, hn);
}
END_TEST

/* ---- version, connection, expect ---- */

START_TEST(http10)
{
	ASSERT_DONE("GET / HTTP/1.0\r\n\r\n");
	assert_head_sane();
	ck_assert_int_eq(r.h.minor, 0);
	ck_assert(!r.h.keep_alive);
}
END_TEST

struct ka_case {
	const char *req;
	bool keep_alive;
};

static const struct ka_case ka_cases[] = {
	{ "GET / HTTP/1.0\r\n\r\n", false },
	{ "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true },
	{ "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true },
	{ "GET / HTTP/1.0\r\nconnection:   keep-alive  \r\n\r\n", true },
	{ "GET / HTTP/1.0\r\nConnection: keep-alive, Upgrade\r\n\r\n", true },
	{ "GET / HTTP/1.0\r\nConnection: Upgrade, keep-alive\r\n\r\n", true },
	{ "GET / HTTP/1.0\r\nConnection: close\r\n\r\n", false },
	{ "GET / HTTP/1.0\r\nConnection: Upgrade\r\n\r\n", false },
	{ "GET / HTTP/1.0\r\nConnection: keep-alivex\r\n\r\n", false },
	{ "GET / HTTP/1.0\r\nX-Connection: keep-alive\r\n\r\n", false },
	{ "GET / HTTP/1.1\r\nHost: h\r\n\r\n", true },
	{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n", true },
	{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false },
	{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n", false },
	{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: CLOSE\r\n\r\n", false },
	{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, close\r\n\r\n", false },
	{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: close,Upgrade\r\n\r\n", false },
	{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\n\r\n", true },
	{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n\r\n", true },
	{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: closed\r\n\r\n", true },
	{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: x-close\r\n\r\n", true },
	{ "GET / HTTP/1.1\nHost: h\nConnection: close\n\n", false },
};

START_TEST(keep_alive_cases)
{
	const struct ka_case *c = &ka_cases[_i];

	ASSERT_DONE(c->req);
	ck_assert_msg(r.h.keep_alive == c->keep_alive, "%s: keep_alive %d, want %d",
	              esc(c->req, strlen(c->req)), r.h.keep_alive, c->keep_alive);
}
END_TEST

START_TEST(expect_continue)
{
	ASSERT_DONE(
	    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
	ck_assert(r.h.expect_continue);
	ASSERT_DONE(
	    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nexpect: 100-Continue\r\n\r\n");
	ck_assert(r.h.expect_continue);
	ASSERT_DONE(
	    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nEXPECT:  100-CONTINUE \r\n\r\n");
	ck_assert(r.h.expect_continue);
	ASSERT_DONE("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n");
	ck_assert(!r.h.expect_continue);
	ASSERT_DONE(
	    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nX-Expect: 100-continue\r\n\r\n");
	ck_assert(!r.h.expect_continue);
}
END_TEST

/* ---- body framing headers ---- */

START_TEST(content_length)
{
	ASSERT_DONE("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 42\r\n\r\n");
	ck_assert_int_eq(r.h.content_length, 42);
	ck_assert(!r.h.chunked);
	ASSERT_DONE("POST / HTTP/1.1\r\nHost: h\r\ncontent-length:0\r\n\r\n");
	ck_assert_int_eq(r.h.content_length, 0);
	ASSERT_DONE("POST / HTTP/1.1\r\nHost: h\r\nCONTENT-LENGTH:  7 \r\n\r\n");
	ck_assert_int_eq(r.h.content_length, 7);
	ASSERT_DONE("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775807\r\n\r\n");
	ck_assert_int_eq(r.h.content_length, INT64_MAX);
}
END_TEST

START_TEST(content_length_identical_duplicates_ok)
{
	ASSERT_DONE("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n");
	ck_assert_int_eq(r.h.content_length, 5);
}
END_TEST

START_TEST(transfer_encoding_chunked)
{
	ASSERT_DONE("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
	ck_assert(r.h.chunked);
	ck_assert_int_eq(r.h.content_length, -1);
	ASSERT_DONE("POST / HTTP/1.1\r\nHost: h\r\ntransfer-encoding:   chunked  \r\n\r\n");
	ck_assert(r.h.chunked);
	ck_assert_int_eq(r.h.content_length, -1);
}
END_TEST

/* ---- errors ---- */

static const struct input bad_400[] = {
	/* header line: no colon */
	S("GET / HTTP/1.1\r\nHost h\r\n\r\n"),
	S("GET / HTTP/1.1\r\nHost: h\r\nnocolon\r\n\r\n"),
	/* whitespace before the colon */
	S("GET / HTTP/1.1\r\nHost : h\r\n\r\n"),
	S("GET / HTTP/1.1\r\nHost\t: h\r\n\r\n"),
	/* obsolete line folding, and whitespace before the first header */
	S("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n"),
	S("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n"),
	S("GET / HTTP/1.1\r\n Host: h\r\n\r\n"),
	S("GET / HTTP/1.1\r\n\tHost: h\r\n\r\n"),
	S("GET / HTTP/1.1\nHost: h\nX: a\n b\n\n"),
	/* bad header name token */
	S("GET / HTTP/1.1\r\n: h\r\n\r\n"),
	S("GET / HTTP/1.1\r\nX(: h\r\n\r\n"),
	S("GET / HTTP/1.1\r\nX Y: h\r\n\r\n"),
	S("GET / HTTP/1.1\r\nX\"Y: h\r\n\r\n"),
	S("GET / HTTP/1.1\r\nX\x01Y: h\r\n\r\n"),
	S("GET / HTTP/1.1\r\nX\xc3\xa9: h\r\n\r\n"),
	/* control characters in a value */
	S("GET / HTTP/1.1\r\nX: a\x01"
	  "b\r\n\r\n"),
	S("GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n"),
	S("GET / HTTP/1.1\r\nX: a\x00"
	  "b\r\n\r\n"),
	S("GET / HTTP/1.1\r\nX: \x1b[0m\r\n\r\n"),
	S("GET / HTTP/1.1\r\nX: a\x0b\r\n\r\n"),
	/* bare CR */
	S("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n"),
	S("GET / HTTP/1.1\r\nX: a\r\r\n\r\n"),
	S("GET / HTTP/1.1\rHost: h\r\n\r\n"),
	S("GET /\r HTTP/1.1\r\n\r\n"),
	S("GET / HTTP/1.1\r\nHost: h\r\n\r\r\n"),
	S("GET / HTTP/1.1\r\nHost: h\r\n\rX\r\n\r\n"),
	S("\rGET / HTTP/1.1\r\n\r\n"),
	/* bad method token */
	S("G(T / HTTP/1.1\r\n\r\n"),
	S("GE\"T / HTTP/1.1\r\n\r\n"),
	S("GET@ / HTTP/1.1\r\n\r\n"),
	S("GE\x01T / HTTP/1.1\r\n\r\n"),
	S("G\xc3\x89T / HTTP/1.1\r\n\r\n"),
	S(" / HTTP/1.1\r\n\r\n"),
	S(" GET / HTTP/1.1\r\n\r\n"),
	/* target not starting with '/' (and not absolute-form or OPTIONS *) */
	S("GET foo HTTP/1.1\r\n\r\n"),
	S("GET ?a=1 HTTP/1.1\r\n\r\n"),
	S("GET foo/bar HTTP/1.1\r\n\r\n"),
	S("GET /\x01 HTTP/1.1\r\n\r\n"),
	/* request line shape */
	S("GET\r\n\r\n"),
	/* NUL bytes in the request line or a header line */
	S("GET / HTTP/1.1\0\r\n\r\n"),
	S("GET / HTTP/1.1\0junk\r\nHost: h\r\n\r\n"),
	S("GET /a\0b HTTP/1.1\r\n\r\n"),
	S("GET\0 / HTTP/1.1\r\n\r\n"),
	S("GET / HTTP/1.1\r\nX\0Y: v\r\n\r\n"),
	S("GET / HTTP/1.1\r\nHost: h\r\n\0\r\n\r\n"),
	/* Content-Length */
	S("POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n"),
	S("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
	S("POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n"),
	S("POST / HTTP/1.1\r\nContent-Length: 5a\r\n\r\n"),
	S("POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n"),
	S("POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n"),
	S("POST / HTTP/1.1\r\nContent-Length: 1.5\r\n\r\n"),
	S("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n"),
	S("POST / HTTP/1.1\r\nContent-Length:   \r\n\r\n"),
	S("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n"),
	S("POST / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n"),
	S("POST / HTTP/1.1\r\nContent-Length: 9223372036854775808\r\n\r\n"),
	S("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
	S("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 05x\r\n\r\n"),
	S("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: abc\r\n\r\n"),
	/* Content-Length with Transfer-Encoding, either order */
	S("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"),
	S("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"),
	/* Transfer-Encoding other than chunked */
	S("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"),
	S("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
	S("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
	S("POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n"),
	S("POST / HTTP/1.1\r\nTransfer-Encoding: chunkedx\r\n\r\n"),
	S("POST / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n"),
	S("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n"),
};

START_TEST(errors_400)
{
	const struct input *in = &bad_400[_i];

	ASSERT_ERROR_N(in->s, in->len, (size_t)BIG, 400);
}
END_TEST

static const struct input bad_505[] = {
	S("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), S("GET / HTTP/1.2\r\nHost: h\r\n\r\n"),
	S("GET / HTTP/0.9\r\nHost: h\r\n\r\n"), S("GET / HTTP/3.0\r\nHost: h\r\n\r\n"),
	S("GET / HTTP/1.9\r\nHost: h\r\n\r\n"), S("GET / HTTP/2.0\nHost: h\n\n"),
};

START_TEST(errors_505)
{
	const struct input *in = &bad_505[_i];

	ASSERT_ERROR_N(in->s, in->len, (size_t)BIG, 505);
}
END_TEST

START_TEST(error_status_is_one_of_contract)
{
	/* Garbage versions: malformed (400) or unsupported (505), never anything else. */
	static const struct input cases[] = {
		S("GET / HTTP/1.1x\r\n\r\n"), S("GET / HTTP/11\r\n\r\n"),
		S("GET / HTTP/\r\n\r\n"),     S("GET / FTP/1.1\r\n\r\n"),
		S("GET /\r\n\r\n"),           S("GET / http/1.1\r\n\r\n"),
		S("GET / HTTP/a.b\r\n\r\n"),
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum httpparse_status rc = run_n(cases[i].s, cases[i].len, BIG);

		ck_assert_msg(rc == HTTPPARSE_ERROR && (r.status == 400 || r.status == 505),
		              "%s: got %s status %d, want ERROR 400/505",
		              esc(cases[i].s, cases[i].len), rc_name(rc), r.status);
	}
}
END_TEST

/* ---- chunked bodies ---- */

static struct {
	char *buf;
	size_t len;
	size_t consumed, body_len;
	int status;
	enum httpparse_status rc;
} c;

static void
teardown_chunked(void)
{
	free(c.buf);
	c.buf = NULL;
	teardown();
}

static enum httpparse_status
chunk_n(const char *s, size_t len, size_t max_body)
{
	free(c.buf);
	c.buf = copy_in(s, len);
	c.len = len;
	c.consumed = c.body_len = (size_t)-7;
	c.status = -1;
	c.rc = httpparse_chunked(c.buf, len, max_body, &c.consumed, &c.body_len, &c.status);
	check_guard(c.buf, len, "httpparse_chunked");
	if (c.rc == HTTPPARSE_INCOMPLETE)
		ck_assert_msg(memcmp(c.buf, s, len) == 0, "INCOMPLETE modified the buffer for %s",
		              esc(s, len));
	if (c.rc == HTTPPARSE_DONE) {
		ck_assert_uint_le(c.consumed, len);
		ck_assert_uint_le(c.body_len, c.consumed);
		ck_assert_uint_le(c.body_len, max_body);
		/* bytes after the encoding are left where they were */
		ck_assert_msg(memcmp(c.buf + c.consumed, s + c.consumed, len - c.consumed) == 0,
		              "bytes after the encoding moved for %s", esc(s, len));
	}
	return c.rc;
}

#define ASSERT_CHUNKED(s, max, body)                                                               \
	do {                                                                                       \
		enum httpparse_status rc_ = chunk_n(s, sizeof(s) - 1, max);                        \
		ck_assert_msg(rc_ == HTTPPARSE_DONE, "%s: got %s status %d, want DONE",            \
		              esc(s, sizeof(s) - 1), rc_name(rc_), c.status);                      \
		ck_assert_uint_eq(c.body_len, sizeof(body) - 1);                                   \
		ck_assert(memcmp(c.buf, body, sizeof(body) - 1) == 0);                             \
	} while (0)

#define ASSERT_CHUNKED_ERROR(s, max, code)                                                         \
	do {                                                                                       \
		enum httpparse_status rc_ = chunk_n(s, sizeof(s) - 1, max);                        \
		ck_assert_msg(rc_ == HTTPPARSE_ERROR && c.status == (code),                        \
		              "%s (max_body %zu): got %s status %d, want ERROR %d",                \
		              esc(s, sizeof(s) - 1), (size_t)(max), rc_name(rc_), c.status, code); \
	} while (0)

START_TEST(chunked_single)
{
	static const char s[] = "5\r\nhello\r\n0\r\n\r\n";

	ASSERT_CHUNKED(s, 1024, "hello");
	ck_assert_uint_eq(c.consumed, sizeof(s) - 1);
}
END_TEST

START_TEST(chunked_empty_body)
{
	static const char s[] = "0\r\n\r\n";

	ASSERT_CHUNKED(s, 1024, "");
	ck_assert_uint_eq(c.consumed, 5);
	ASSERT_CHUNKED(s, 0, "");
}
END_TEST

START_TEST(chunked_several)
{
	static const char s[] = "5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n";

	ASSERT_CHUNKED(s, 1024, "hello world");
	ck_assert_uint_eq(c.consumed, sizeof(s) - 1);
}
END_TEST

START_TEST(chunked_hex_sizes)
{
	static const char s[] = "a\r\n0123456789\r\n"
	                        "A\r\nabcdefghij\r\n"
	                        "1f\r\n0123456789012345678901234567890\r\n"
	                        "1F\r\nABCDEFGHIJABCDEFGHIJABCDEFGHIJA\r\n"
	                        "0010\r\nklmnopqrstuvwxyz\r\n"
	                        "0\r\n\r\n";

	ASSERT_CHUNKED(s, 1024,
	               "0123456789abcdefghij0123456789012345678901234567890"
	               "ABCDEFGHIJABCDEFGHIJABCDEFGHIJAklmnopqrstuvwxyz");
	ck_assert_uint_eq(c.consumed, sizeof(s) - 1);
}
END_TEST

START_TEST(chunked_body_with_crlf_and_nul_inside)
{
	static const char s[] = "5\r\n\r\n\0\r\n\r\n0\r\n\r\n";

	ASSERT_CHUNKED(s, 1024, "\r\n\0\r\n");
	ck_assert_uint_eq(c.consumed, sizeof(s) - 1);
}
END_TEST

START_TEST(chunked_extensions_ignored)
{
	static const char s[] = "5;name=value\r\nhello\r\n"
	                        "6;a;b=c;d=\"q\"\r\n world\r\n"
	                        "0;last\r\n\r\n";

	ASSERT_CHUNKED(s, 1024, "hello world");
	ck_assert_uint_eq(c.consumed, sizeof(s) - 1);
}
END_TEST

START_TEST(chunked_trailers)
{
	static const char s[] = "5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Other:  1 \r\n\r\n";

	ASSERT_CHUNKED(s, 1024, "hello");
	ck_assert_uint_eq(c.consumed, sizeof(s) - 1);
}
END_TEST

START_TEST(chunked_pipelined_after)
{
	static const char s[] = "5\r\nhello\r\n6\r\n world\r\n0\r\nT: v\r\n\r\n"
	                        "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
	size_t enc = strlen("5\r\nhello\r\n6\r\n world\r\n0\r\nT: v\r\n\r\n");

	ASSERT_CHUNKED(s, 1024, "hello world");
	ck_assert_uint_eq(c.consumed, enc);
	ck_assert(
	    memcmp(c.buf + enc, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n", sizeof(s) - 1 - enc) == 0);
}
END_TEST

START_TEST(chunked_pipelined_starts_like_chunk)
{
	/* What follows looks like more chunked data; it must not be touched. */
	static const char s[] = "3\r\nabc\r\n0\r\n\r\n5\r\nhello\r\n0\r\n\r\n";

	ASSERT_CHUNKED(s, 1024, "abc");
	ck_assert_uint_eq(c.consumed, 13);
}
END_TEST

START_TEST(chunked_max_body_exact)
{
	static const char s1[] = "5\r\nhello\r\n0\r\n\r\n";
	static const char s2[] = "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n";

	ASSERT_CHUNKED(s1, 5, "hello");
	ASSERT_CHUNKED(s2, 10, "helloworld");
}
END_TEST

static const struct input valid_chunked[] = {
	S("5\r\nhello\r\n0\r\n\r\n"),
	S("0\r\n\r\n"),
	S("5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n"),
	S("a;ext=1\r\n0123456789\r\nB\r\n0123456789A\r\n0;x\r\nTrailer: t\r\nT2:\r\n\r\n"),
	S("2\r\n\r\n\r\n0\r\n\r\n"),
	S("1\r\n0\r\n0\r\n\r\n"),
};

START_TEST(chunked_every_prefix_incomplete)
{
	const struct input *in = &valid_chunked[_i];

	ck_assert_msg(chunk_n(in->s, in->len, 1024) == HTTPPARSE_DONE, "%s: got %s status %d",
	              esc(in->s, in->len), rc_name(c.rc), c.status);
	ck_assert_uint_eq(c.consumed, in->len);
	for (size_t k = 0; k < in->len; k++) {
		enum httpparse_status rc = chunk_n(in->s, k, 1024);

		ck_assert_msg(rc == HTTPPARSE_INCOMPLETE,
		              "prefix of length %zu of %s: got %s status %d, want INCOMPLETE", k,
		              esc(in->s, in->len), rc_name(rc), c.status);
	}
}
END_TEST

START_TEST(chunked_413_before_data)
{
	ASSERT_CHUNKED_ERROR("5\r\n", 4, 413);
	ASSERT_CHUNKED_ERROR("5\r\nhel", 4, 413);
	ASSERT_CHUNKED_ERROR("5;ext=1\r\n", 4, 413);
	ASSERT_CHUNKED_ERROR("1\r\n", 0, 413);
	ASSERT_CHUNKED_ERROR("100000\r\n", 65535, 413);
	ASSERT_CHUNKED_ERROR("FFFFFFFF\r\n", 1024, 413);
}
END_TEST

START_TEST(chunked_413_cumulative)
{
	ASSERT_CHUNKED_ERROR("5\r\nhello\r\n5\r\n", 8, 413);
	ASSERT_CHUNKED_ERROR("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", 9, 413);
	ASSERT_CHUNKED_ERROR("4\r\nabcd\r\n4\r\nefgh\r\n1\r\n", 8, 413);
}
END_TEST

START_TEST(chunked_400_bad_size)
{
	ASSERT_CHUNKED_ERROR("g\r\nhello\r\n0\r\n\r\n", 1024, 400);
	ASSERT_CHUNKED_ERROR("\r\nhello\r\n0\r\n\r\n", 1024, 400);
	ASSERT_CHUNKED_ERROR("-5\r\nhello\r\n0\r\n\r\n", 1024, 400);
	ASSERT_CHUNKED_ERROR("+5\r\nhello\r\n0\r\n\r\n", 1024, 400);
	ASSERT_CHUNKED_ERROR("0x5\r\nhello\r\n0\r\n\r\n", 1024, 400);
	ASSERT_CHUNKED_ERROR("5x\r\nhello\r\n0\r\n\r\n", 1024, 400);
	ASSERT_CHUNKED_ERROR(" 5\r\nhello\r\n0\r\n\r\n", 1024, 400);
	ASSERT_CHUNKED_ERROR(";ext\r\nhello\r\n0\r\n\r\n", 1024, 400);
	ASSERT_CHUNKED_ERROR("5\rhello\r\n0\r\n\r\n", 1024, 400);
	ASSERT_CHUNKED_ERROR("5\r\nhello\r\nzz\r\n\r\n", 1024, 400);
}
END_TEST

START_TEST(chunked_400_size_overflow)
{
	ASSERT_CHUNKED_ERROR("FFFFFFFFFFFFFFFFFFFF\r\n", SIZE_MAX, 400);
	ASSERT_CHUNKED_ERROR("10000000000000000\r\n", SIZE_MAX, 400);
	ASSERT_CHUNKED_ERROR("10000000000000005\r\nhello\r\n0\r\n\r\n", SIZE_MAX, 400);
}
END_TEST

START_TEST(chunked_huge_size_is_an_error)
{
	/* 2^60 fits in 64 bits: "bad chunk size" (400) or "exceeds max_body" (413). */
	enum httpparse_status rc = chunk_n("1000000000000000\r\n", 18, 1 << 20);

	ck_assert_int_eq(rc, HTTPPARSE_ERROR);
	ck_assert_msg(c.status == 400 || c.status == 413, "status %d", c.status);
}
END_TEST

START_TEST(chunked_leading_zeros)
{
	/* chunk-size = 1*HEXDIG: leading zeros are not an overflow. */
	static const char s[] =
	    "0000000000000000000000005\r\nhello\r\n00000000000000000000\r\n\r\n";

	ASSERT_CHUNKED(s, 1024, "hello");
	ck_assert_uint_eq(c.consumed, sizeof(s) - 1);
}
END_TEST

START_TEST(chunked_400_missing_crlf_after_data)
{
	ASSERT_CHUNKED_ERROR("5\r\nhelloX\r\n0\r\n\r\n", 1024, 400);
	ASSERT_CHUNKED_ERROR("5\r\nhelloXY", 1024, 400);
	ASSERT_CHUNKED_ERROR("5\r\nhello0\r\n\r\n", 1024, 400);
	ASSERT_CHUNKED_ERROR("5\r\nhello\rX0\r\n\r\n", 1024, 400);
	ASSERT_CHUNKED_ERROR("3\r\nhello\r\n0\r\n\r\n", 1024, 400);
}
END_TEST

/* Chunked framing takes CRLF only (a bare LF accepted here but not by a proxy in front
 * is a request-smuggling vector). */
START_TEST(chunked_400_bare_lf)
{
	ASSERT_CHUNKED_ERROR("5\nhello\r\n0\r\n\r\n", 1024, 400);
	ASSERT_CHUNKED_ERROR("5\r\nhello\n0\r\n\r\n", 1024, 400);
	ASSERT_CHUNKED_ERROR("5\r\nhello\r\n0\n\r\n", 1024, 400);
	ASSERT_CHUNKED_ERROR("5\r\nhello\r\n0\r\n\n", 1024, 400);
	ASSERT_CHUNKED_ERROR("5\r\nhello\r\n0\r\nX: v\n\r\n", 1024, 400);
}
END_TEST

START_TEST(chunked_400_bad_trailer)
{
	ASSERT_CHUNKED_ERROR("0\r\nnocolon\r\n\r\n", 1024, 400);
	ASSERT_CHUNKED_ERROR("0\r\n: v\r\n\r\n", 1024, 400);
	ASSERT_CHUNKED_ERROR("0\r\nX : v\r\n\r\n", 1024, 400);
	ASSERT_CHUNKED_ERROR("0\r\nX: a\x01\r\n\r\n", 1024, 400);
	ASSERT_CHUNKED_ERROR("0\r\nX: a\r\n folded\r\n\r\n", 1024, 400);
	ASSERT_CHUNKED_ERROR("0\r\nX: a\rb\r\n\r\n", 1024, 400);
	ASSERT_CHUNKED_ERROR("5\r\nhello\r\n0\r\n\r\r\n", 1024, 400);
}
END_TEST

/* ---- head then body, the way httpio.c uses them ---- */

/* A body arriving a byte at a time, with the state kept between calls: INCOMPLETE (the
 * bytes untouched) until the last byte, then the same answer as in one piece. */
START_TEST(chunked_resume_byte_by_byte)
{
	static const char enc[] = "3\r\nabc\r\n10;ext=1\r\n0123456789abcdef\r\n"
	                          "1\r\nZ\r\n0\r\nTrailer: x\r\n\r\nGET /next";
	size_t total = sizeof(enc) - 1 - strlen("GET /next");
	char *buf = malloc(sizeof(enc));
	struct httpparse_chunk_state st = { 0, 0 };
	size_t consumed = 0, body_len = 0;
	int status = 0;

	ck_assert_ptr_nonnull(buf);
	for (size_t n = 1; n < total; n++) {
		memcpy(buf, enc, n);
		ck_assert_int_eq(
		    httpparse_chunked_resume(buf, n, 1024, &st, &consumed, &body_len, &status),
		    HTTPPARSE_INCOMPLETE);
		ck_assert(memcmp(buf, enc, n) == 0);
		ck_assert_uint_le(st.pos, n);
	}
	memcpy(buf, enc, sizeof(enc));
	ck_assert_int_eq(httpparse_chunked_resume(buf, sizeof(enc) - 1, 1024, &st, &consumed,
	                                          &body_len, &status),
	                 HTTPPARSE_DONE);
	ck_assert_uint_eq(consumed, total);
	ck_assert_uint_eq(body_len, 20);
	ck_assert(memcmp(buf, "abc0123456789abcdefZ", 20) == 0);
	ck_assert(memcmp(buf + consumed, "GET /next", 9) == 0);
	free(buf);
}
END_TEST

START_TEST(head_then_chunked)
{
	static const char s[] = "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
	                        "4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n"
	                        "GET /next HTTP/1.1\r\n";
	size_t n = sizeof(s) - 1, hl, consumed = 0, body_len = 0;
	int st = -1;

	ck_assert_int_eq(run_n(s, n, BIG), HTTPPARSE_DONE);
	ck_assert(r.h.chunked);
	ck_assert_int_eq(r.h.content_length, -1);
	ck_assert_str_eq(r.h.path, "/up");
	hl = r.h.head_len;
	ck_assert_uint_eq(
	    hl, strlen("POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"));
	ck_assert_int_eq(httpparse_chunked(r.buf + hl, n - hl, 1024, &consumed, &body_len, &st),
	                 HTTPPARSE_DONE);
	ck_assert_uint_eq(body_len, 9);
	ck_assert(memcmp(r.buf + hl, "Wikipedia", 9) == 0);
	ck_assert_uint_eq(consumed, strlen("4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n"));
	ck_assert(memcmp(r.buf + hl + consumed, "GET /next HTTP/1.1\r\n", 20) == 0);
	/* the head's strings are still intact */
	ck_assert_str_eq(r.h.method, "POST");
	ck_assert_str_eq(httpparse_header(&r.h, "host"), "h");
}
END_TEST

static Suite *
httpparse_suite(void)
{
	Suite *s = suite_create("api-httpparse");
	TCase *tc = tcase_create("head");
	TCase *tb = tcase_create("chunked");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, get_with_query);
	tcase_add_test(tc, no_query_is_null);
	tcase_add_test(tc, empty_query_is_empty_string);
	tcase_add_test(tc, query_splits_at_first_question_mark);
	tcase_add_test(tc, root_path);
	tcase_add_test(tc, other_methods_as_sent);
	tcase_add_test(tc, absolute_form);
	tcase_add_test(tc, absolute_form_no_path);
	tcase_add_test(tc, absolute_form_no_path_with_query);
	tcase_add_test(tc, absolute_form_deep_path);
	tcase_add_test(tc, options_star);
	tcase_add_test(tc, no_host_is_not_a_parse_error);
	tcase_add_test(tc, header_values_trimmed);
	tcase_add_test(tc, header_obs_text_allowed);
	tcase_add_test(tc, header_lookup_case_insensitive);
	tcase_add_test(tc, header_name_tchars);
	tcase_add_test(tc, header_value_with_colons);
	tcase_add_test(tc, exactly_max_headers);
	tcase_add_test(tc, too_many_headers_431);
	tcase_add_loop_test(tc, every_prefix_incomplete, 0,
	                    (int)(sizeof(valid_heads) / sizeof(valid_heads[0])));
	tcase_add_test(tc, pipelined_head_len_exact);
	tcase_add_test(tc, pipelined_after_body);
	tcase_add_test(tc, pipelined_garbage_after_head_ignored);
	tcase_add_test(tc, leading_empty_lines_skipped);
	tcase_add_test(tc, only_empty_lines_incomplete);
	tcase_add_test(tc, bare_lf_line_ends);
	tcase_add_test(tc, mixed_line_ends);
	tcase_add_test(tc, max_head_exact_ok);
	tcase_add_test(tc, max_head_complete_too_long_431);
	tcase_add_test(tc, max_head_counts_leading_empty_lines);
	tcase_add_test(tc, max_head_incomplete_so_far_431);
	tcase_add_test(tc, max_head_incomplete_long_request_line_431);
	tcase_add_test(tc, max_head_with_pipelined_data_beyond);
	tcase_add_test(tc, http10);
	tcase_add_loop_test(tc, keep_alive_cases, 0, (int)(sizeof(ka_cases) / sizeof(ka_cases[0])));
	tcase_add_test(tc, expect_continue);
	tcase_add_test(tc, content_length);
	tcase_add_test(tc, content_length_identical_duplicates_ok);
	tcase_add_test(tc, transfer_encoding_chunked);
	tcase_add_loop_test(tc, errors_400, 0, (int)(sizeof(bad_400) / sizeof(bad_400[0])));
	tcase_add_loop_test(tc, errors_505, 0, (int)(sizeof(bad_505) / sizeof(bad_505[0])));
	tcase_add_test(tc, error_status_is_one_of_contract);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tb, NULL, teardown_chunked);
	tcase_add_test(tb, chunked_single);
	tcase_add_test(tb, chunked_empty_body);
	tcase_add_test(tb, chunked_several);
	tcase_add_test(tb, chunked_hex_sizes);
	tcase_add_test(tb, chunked_body_with_crlf_and_nul_inside);
	tcase_add_test(tb, chunked_extensions_ignored);
	tcase_add_test(tb, chunked_trailers);
	tcase_add_test(tb, chunked_pipelined_after);
	tcase_add_test(tb, chunked_pipelined_starts_like_chunk);
	tcase_add_test(tb, chunked_max_body_exact);
	tcase_add_loop_test(tb, chunked_every_prefix_incomplete, 0,
	                    (int)(sizeof(valid_chunked) / sizeof(valid_chunked[0])));
	tcase_add_test(tb, chunked_413_before_data);
	tcase_add_test(tb, chunked_413_cumulative);
	tcase_add_test(tb, chunked_400_bad_size);
	tcase_add_test(tb, chunked_400_size_overflow);
	tcase_add_test(tb, chunked_huge_size_is_an_error);
	tcase_add_test(tb, chunked_leading_zeros);
	tcase_add_test(tb, chunked_400_missing_crlf_after_data);
	tcase_add_test(tb, chunked_400_bare_lf);
	tcase_add_test(tb, chunked_resume_byte_by_byte);
	tcase_add_test(tb, chunked_400_bad_trailer);
	tcase_add_test(tb, head_then_chunked);
	suite_add_tcase(s, tb);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(httpparse_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
