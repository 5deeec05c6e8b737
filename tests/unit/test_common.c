/* Unit tests for lib/common: config, log lines (and buffered logging), errors, UUIDs (and the
 * random pool), base64url, JSON getters, time and the arena. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "b64url.h"
#include "config.h"
#include "err.h"
#include "json.h"
#include "log.h"
#include "random.h"
#include "timeutil.h"
#include "uuid.h"

static void
clear_env(void)
{
	const char *vars[] = { "APP_NAME",
		               "NODE_ENV",
		               "APP_KEYS",
		               "PORT",
		               "POSTGRES_URI",
		               "POSTGRES_HOST",
		               "POSTGRES_PORT",
		               "POSTGRES_USER",
		               "POSTGRES_PASSWORD",
		               "POSTGRES_DATABASE",
		               "PGHOST",
		               "PGPORT",
		               "PGUSER",
		               "PGDATABASE",
		               "PGPASSWORD",
		               "PGUSERNAME",
		               "LPC_BACKEND_ENVIRONMENT",
		               "PLATFORM_CONFIG",
		               "PLATFORM_API_WORKERS",
		               "PLATFORM_API_PORT",
		               "COMPAS_LOG_PRINTER",
		               "PLATFORM_NOPE",
		               NULL };

	for (int i = 0; vars[i] != NULL; i++)
		unsetenv(vars[i]);
}

static char *
write_tmp(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/platform-conf-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	return path;
}

START_TEST(config_good_file)
{
	struct config cfg;
	struct err *e;
	char *path;

	clear_env();
	path = write_tmp("# comment\napp.name = shop\napp.env = development\n"
	                 "app.keys = \"abcdefghijklmnopqrstuvwxyz\"\ndb.host = 127.0.0.1:5433\n"
	                 "api.workers = 3\napi.trust_proxy = true\n");
	e = config_load(&cfg, path);
	ck_assert_ptr_null(e);
	ck_assert_str_eq(cfg.app_name, "shop");
	ck_assert(!cfg.production);
	ck_assert_int_eq(cfg.api_workers, 3);
	ck_assert(cfg.api_trust_proxy);
	ck_assert_int_eq(cfg.api_port, 3000);
	ck_assert_str_eq(config_db_name(&cfg), "shop");
	ck_assert_str_eq(config_db_sslmode(&cfg), "prefer");
	ck_assert_str_eq(cfg.backend_env, "development");
	config_free(&cfg);
	unlink(path);
}
END_TEST

START_TEST(config_unknown_key)
{
	struct config cfg;
	struct err *e;
	char *path;

	clear_env();
	path = write_tmp("app.keys = abcdefghijklmnopqrstuvwxyz\napi.wrokers = 3\n");
	e = config_load(&cfg, path);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->key, "config.unknownKey");
	ck_assert_ptr_nonnull(strstr(e->message, "api.wrokers"));
	ck_assert_ptr_nonnull(strstr(e->message, ":2"));
	err_free(e);
	config_free(&cfg);
	unlink(path);
}
END_TEST

START_TEST(config_bad_value)
{
	struct config cfg;
	struct err *e;

	clear_env();
	setenv("APP_KEYS", "abcdefghijklmnopqrstuvwxyz", 1);
	setenv("POSTGRES_HOST", "localhost", 1);
	setenv("PORT", "70000", 1);
	e = config_load(&cfg, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(strstr(e->message, "api.port"));
	ck_assert_ptr_nonnull(strstr(e->message, "PORT"));
	err_free(e);
	config_free(&cfg);

	clear_env();
	setenv("APP_KEYS", "abcdefghijklmnopqrstuvwxyz", 1);
	setenv("POSTGRES_HOST", "localhost", 1);
	setenv("NODE_ENV", "staging", 1);
	e = config_load(&cfg, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(strstr(e->message, "app.env"));
	err_free(e);
	config_free(&cfg);

	clear_env();
	setenv("APP_KEYS", "short", 1);
	setenv("POSTGRES_HOST", "localhost", 1);
	e = config_load(&cfg, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(strstr(e->message, "app.keys"));
	err_free(e);
	config_free(&cfg);
}
END_TEST

START_TEST(config_missing_required)
{
	struct config cfg;
	struct err *e;

	clear_env();
	setenv("POSTGRES_HOST", "localhost", 1);
	e = config_load(&cfg, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->key, "config.missing");
	ck_assert_ptr_nonnull(strstr(e->message, "app.keys"));
	err_free(e);
	config_free(&cfg);

	clear_env();
	setenv("APP_KEYS", "abcdefghijklmnopqrstuvwxyz", 1);
	e = config_load(&cfg, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(strstr(e->message, "POSTGRES_HOST"));
	err_free(e);
	config_free(&cfg);
}
END_TEST

START_TEST(config_env_override)
{
	struct config cfg;
	struct err *e;
	char *path;

	clear_env();
	path = write_tmp("app.keys = abcdefghijklmnopqrstuvwxyz\napi.port = 4000\napi.workers = 2\n"
	                 "db.host = filehost\napp.env = development\n");
	setenv("PORT", "5000", 1);
	setenv("PLATFORM_API_WORKERS", "7", 1);
	setenv("POSTGRES_HOST", "envhost", 1);
	setenv("APP_NAME", "envapp", 1);
	e = config_load(&cfg, path);
	ck_assert_ptr_null(e);
	ck_assert_int_eq(cfg.api_port, 5000);
	ck_assert_int_eq(cfg.api_workers, 7);
	ck_assert_str_eq(cfg.db_host, "envhost");
	ck_assert_str_eq(cfg.app_name, "envapp");
	config_free(&cfg);

	/* PLATFORM_ wins over the template variable */
	setenv("PLATFORM_API_PORT", "6000", 1);
	e = config_load(&cfg, path);
	ck_assert_ptr_null(e);
	ck_assert_int_eq(cfg.api_port, 6000);
	config_free(&cfg);

	/* an unknown PLATFORM_ variable is refused by name */
	setenv("PLATFORM_NOPE", "1", 1);
	e = config_load(&cfg, path);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(strstr(e->message, "PLATFORM_NOPE"));
	err_free(e);
	config_free(&cfg);
	clear_env();
	unlink(path);
}
END_TEST

START_TEST(config_example_file_complete)
{
	/* conf/platform.conf documents every key: each appears in it, and it loads */
	char path[1024], *text;
	FILE *f;
	long n;
	struct config cfg;
	struct err *e;

	snprintf(path, sizeof(path), "%s/conf/platform.conf", getenv("TEST_SOURCE_ROOT"));
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc(1, (size_t)n + 1);
	ck_assert_int_eq(fread(text, 1, (size_t)n, f), n);
	fclose(f);
	for (size_t i = 0; i < config_key_count(); i++) {
		char needle[128];

		snprintf(needle, sizeof(needle), "%s =", config_key_name(i));
		ck_assert_msg(strstr(text, needle) != NULL, "conf/platform.conf lacks %s",
		              config_key_name(i));
	}
	free(text);
	clear_env();
	setenv("APP_KEYS", "abcdefghijklmnopqrstuvwxyz", 1);
	setenv("POSTGRES_HOST", "localhost", 1);
	setenv("LPC_BACKEND_ENVIRONMENT", "acceptance", 1);
	e = config_load(&cfg, path);
	ck_assert_msg(e == NULL, "%s", e ? e->message : "");
	config_free(&cfg);
	clear_env();
}
END_TEST

START_TEST(log_ndjson_line)
{
	struct logger lg;
	cJSON *ctx = cJSON_CreateObject(), *line, *msg = cJSON_CreateString("hello");
	char *text;

	log_init(&lg, "api", LOG_FORMAT_NDJSON, 1);
	lg.application = "shop";
	cJSON_AddStringToObject(ctx, "type", "http");
	text = log_format_line(&lg, LOG_ERROR, 1700000000123, ctx, msg);
	ck_assert_int_eq(text[strlen(text) - 1], '\n');
	ck_assert_ptr_null(strchr(text, '\n') == text + strlen(text) - 1 ? NULL : text);
	ck_assert_str_eq(text, "{\"level\":\"error\",\"time\":1700000000123,\"context\":{"
	                       "\"application\":\"shop\",\"daemon\":\"api\",\"type\":\"http\"},"
	                       "\"message\":\"hello\"}\n");
	line = cJSON_Parse(text);
	ck_assert_ptr_nonnull(line);
	cJSON_Delete(line);
	free(text);
	cJSON_Delete(ctx);
	cJSON_Delete(msg);
}
END_TEST

START_TEST(log_pretty_line)
{
	struct logger lg;
	cJSON *ctx = cJSON_CreateObject(), *msg = cJSON_CreateString("ready");
	char *text;

	log_init(&lg, "queue", LOG_FORMAT_PRETTY, 1);
	cJSON_AddStringToObject(ctx, "type", "job");
	text = log_format_line(&lg, LOG_INFO, 1700000000123, ctx, msg);
	ck_assert_ptr_nonnull(strstr(text, "queue[job]"));
	ck_assert_ptr_nonnull(strstr(text, "ready"));
	ck_assert_ptr_nonnull(strstr(text, ".123 "));
	free(text);
	cJSON_Delete(ctx);
	cJSON_Delete(msg);
}
END_TEST

/* An unlinked temp file to log into; read back with tmp_read. */
static int
tmp_log_fd(void)
{
	char path[] = "/tmp/platform-log-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	return fd;
}

/* Everything written to fd so far, NUL-terminated; *n its length. Caller frees. */
static char *
tmp_read(int fd, size_t *n)
{
	off_t size = lseek(fd, 0, SEEK_END);
	char *buf;

	ck_assert_int_ge(size, 0);
	buf = malloc((size_t)size + 1);
	ck_assert_int_eq(pread(fd, buf, (size_t)size, 0), size);
	buf[size] = '\0';
	*n = (size_t)size;
	return buf;
}

static size_t
tmp_size(int fd)
{
	return (size_t)lseek(fd, 0, SEEK_END);
}

static void
count_first(void *arg)
{
	(*(int *)arg)++;
}

/* A line of n bytes: n-1 copies of c and '\n'. Caller frees. */
static char *
make_line(size_t n, char c)
{
	char *l = malloc(n);

	memset(l, c, n - 1);
	l[n - 1] = '\n';
	return l;
}

START_TEST(log_unbuffered_unchanged)
{
	struct logger lg;
	int fd = tmp_log_fd();
	char *text, *nl;
	size_t n;
	cJSON *line;

	log_init(&lg, "api", LOG_FORMAT_NDJSON, fd);
	ck_assert_ptr_null(lg.buffer);
	log_info(&lg, "http", "hello %d", 42);
	text = tmp_read(fd, &n);
	nl = strchr(text, '\n');
	ck_assert_ptr_eq(nl, text + n - 1); /* exactly one line, written at once */
	line = cJSON_Parse(text);
	ck_assert_ptr_nonnull(line);
	ck_assert_str_eq(cJSON_GetObjectItem(line, "level")->valuestring, "info");
	ck_assert_str_eq(cJSON_GetObjectItem(line, "message")->valuestring, "hello 42");
	ck_assert_str_eq(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(line, "context"), "type")->valuestring, "http");
	ck_assert_ptr_nonnull(strstr(text, "{\"level\":\"info\",\"time\":"));
	ck_assert_ptr_nonnull(strstr(text, ",\"context\":{\"daemon\":\"api\",\"type\":\"http\"},"
	                                   "\"message\":\"hello 42\"}\n"));
	cJSON_Delete(line);
	free(text);
	log_write_line(&lg, "raw\n", 4);
	ck_assert_int_eq(tmp_size(fd), n + 4);
	log_flush(&lg); /* no buffer: nothing to do */
	ck_assert_int_eq(tmp_size(fd), n + 4);
	close(fd);
}
END_TEST

START_TEST(log_buffered_until_flush)
{
	struct logger lg;
	struct log_buffer buf = { 0 };
	int fd = tmp_log_fd(), firsts = 0;
	char *text, *second;
	size_t n;
	cJSON *line;

	log_init(&lg, "api", LOG_FORMAT_NDJSON, fd);
	buf.on_first = count_first;
	buf.arg = &firsts;
	lg.buffer = &buf;
	log_info(&lg, "http", "one");
	ck_assert_int_eq(firsts, 1);
	log_error(&lg, "http", "two");
	log_write_line(&lg, "three\n", 6);
	ck_assert_int_eq(firsts, 1); /* only the empty -> non-empty transition */
	ck_assert_int_eq(tmp_size(fd), 0);
	ck_assert_uint_gt(buf.len, 6);
	log_flush(&lg);
	ck_assert_uint_eq(buf.len, 0);
	text = tmp_read(fd, &n);
	line = cJSON_ParseWithOpts(text, (const char **)&second, false);
	ck_assert_ptr_nonnull(line);
	ck_assert_str_eq(cJSON_GetObjectItem(line, "message")->valuestring, "one");
	cJSON_Delete(line);
	ck_assert_int_eq(*second, '\n');
	line = cJSON_ParseWithOpts(second + 1, (const char **)&second, false);
	ck_assert_ptr_nonnull(line);
	ck_assert_str_eq(cJSON_GetObjectItem(line, "level")->valuestring, "error");
	ck_assert_str_eq(cJSON_GetObjectItem(line, "message")->valuestring, "two");
	cJSON_Delete(line);
	ck_assert_str_eq(second, "\nthree\n");
	free(text);

	/* an empty buffer writes nothing */
	log_flush(&lg);
	ck_assert_int_eq(tmp_size(fd), n);

	/* the next line is a new empty -> non-empty transition */
	log_write_line(&lg, "four\n", 5);
	ck_assert_int_eq(firsts, 2);
	ck_assert_int_eq(tmp_size(fd), n);
	log_flush(&lg);
	ck_assert_int_eq(tmp_size(fd), n + 5);

	/* on_first may be NULL */
	buf.on_first = NULL;
	log_write_line(&lg, "five\n", 5);
	log_flush(&lg);
	ck_assert_int_eq(tmp_size(fd), n + 10);
	log_buffer_free(&buf);
	ck_assert_ptr_null(buf.data);
	close(fd);
}
END_TEST

START_TEST(log_buffered_pipe)
{
	/* what a reader of the pipe sees: nothing before log_flush, everything after */
	struct logger lg;
	struct log_buffer buf = { 0 };
	int p[2];
	char got[64];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	log_init(&lg, "api", LOG_FORMAT_NDJSON, p[1]);
	lg.buffer = &buf;
	log_write_line(&lg, "a\n", 2);
	log_write_line(&lg, "bc\n", 3);
	errno = 0;
	ck_assert_int_eq(read(p[0], got, sizeof(got)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	log_flush(&lg);
	ck_assert_int_eq(read(p[0], got, sizeof(got)), 5);
	ck_assert(memcmp(got, "a\nbc\n", 5) == 0);
	log_flush(&lg);
	ck_assert_int_eq(read(p[0], got, sizeof(got)), -1);
	log_buffer_free(&buf);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(log_buffered_overflow)
{
	struct logger lg;
	struct log_buffer buf = { 0 };
	int fd = tmp_log_fd(), firsts = 0;
	char *l = make_line(1000, 'x'), *fill, *text;
	size_t n;

	log_init(&lg, "api", LOG_FORMAT_NDJSON, fd);
	buf.on_first = count_first;
	buf.arg = &firsts;
	lg.buffer = &buf;
	for (int i = 0; i < 65; i++) /* 65000 bytes: fits in 64 KiB */
		log_write_line(&lg, l, 1000);
	ck_assert_int_eq(tmp_size(fd), 0);
	ck_assert_uint_eq(buf.len, 65000);
	log_write_line(&lg, l, 1000); /* would make 66000: the 65 lines go first */
	ck_assert_int_eq(tmp_size(fd), 65000);
	ck_assert_uint_eq(buf.len, 1000);
	ck_assert_int_eq(firsts, 2);
	log_flush(&lg);
	ck_assert_int_eq(tmp_size(fd), 66000);

	/* exactly 64 KiB stays buffered; one more byte flushes */
	fill = make_line(LOG_BUFFER_MAX - 1000, 'y');
	log_write_line(&lg, l, 1000);
	log_write_line(&lg, fill, LOG_BUFFER_MAX - 1000);
	ck_assert_uint_eq(buf.len, LOG_BUFFER_MAX);
	ck_assert_int_eq(tmp_size(fd), 66000);
	log_write_line(&lg, "z\n", 2);
	ck_assert_int_eq(tmp_size(fd), 66000 + LOG_BUFFER_MAX);
	ck_assert_uint_eq(buf.len, 2);
	ck_assert_uint_le(buf.cap, LOG_BUFFER_MAX);
	log_flush(&lg);
	text = tmp_read(fd, &n);
	ck_assert_uint_eq(n, 66000 + LOG_BUFFER_MAX + 2);
	ck_assert(memcmp(text + 65000, l, 1000) == 0);
	ck_assert(memcmp(text + 66000 + 1000, fill, LOG_BUFFER_MAX - 1000) == 0);
	ck_assert_str_eq(text + n - 2, "z\n");
	free(text);
	free(fill);
	free(l);
	log_buffer_free(&buf);
	close(fd);
}
END_TEST

START_TEST(log_buffered_huge_line)
{
	struct logger lg;
	struct log_buffer buf = { 0 };
	int fd = tmp_log_fd(), firsts = 0;
	size_t big = 100000, n;
	char *l = make_line(big, 'h'), *text;

	log_init(&lg, "api", LOG_FORMAT_NDJSON, fd);
	buf.on_first = count_first;
	buf.arg = &firsts;
	lg.buffer = &buf;
	log_write_line(&lg, "a\n", 2);
	log_write_line(&lg, l, big); /* flushes "a\n", then writes itself directly */
	ck_assert_uint_eq(buf.len, 0);
	ck_assert_int_eq(firsts, 1);
	text = tmp_read(fd, &n);
	ck_assert_uint_eq(n, big + 2);
	ck_assert(memcmp(text, "a\n", 2) == 0);
	ck_assert(memcmp(text + 2, l, big) == 0);
	free(text);

	/* into an empty buffer too; it stays empty */
	log_write_line(&lg, l, big);
	ck_assert_uint_eq(buf.len, 0);
	ck_assert_int_eq(firsts, 1);
	ck_assert_int_eq(tmp_size(fd), 2 * big + 2);
	log_flush(&lg);
	ck_assert_int_eq(tmp_size(fd), 2 * big + 2);
	free(l);
	log_buffer_free(&buf);
	close(fd);
}
END_TEST

/* log_json_string into a buffer that already holds "x"; returns the NUL-terminated result. */
static bool
json_str(const char *s, size_t cap, char *out, size_t *len)
{
	bool ok;

	out[0] = 'x';
	*len = 1;
	ok = log_json_string(out, cap, len, s);
	if (ok)
		out[*len] = '\0';
	return ok;
}

START_TEST(log_json_string_escapes)
{
	char out[128];
	size_t len;
	const char *in = "a\"b\\c\nd\te\x01\x1f\b\f\r/\xc3\xa9\xe2\x82\xac\x7f";
	const char *want =
	    "x\"a\\\"b\\\\c\\nd\\te\\u0001\\u001f\\b\\f\\r/\xc3\xa9\xe2\x82\xac\x7f\"";
	cJSON *str;
	char *cj;

	ck_assert(json_str(in, sizeof(out), out, &len));
	ck_assert_str_eq(out, want);
	ck_assert_uint_eq(len, strlen(want));
	/* same escaping as cJSON (what log_json prints) */
	str = cJSON_CreateString(in);
	cj = cJSON_PrintUnformatted(str);
	ck_assert_str_eq(out + 1, cj);
	free(cj);
	cJSON_Delete(str);
	ck_assert(json_str("", sizeof(out), out, &len));
	ck_assert_str_eq(out, "x\"\"");

	/* exactly fits: cap == final length */
	ck_assert(json_str("ab\n", 7, out, &len));
	ck_assert_str_eq(out, "x\"ab\\n\"");
	/* one byte short anywhere: false, len untouched */
	for (size_t cap = 0; cap < 7; cap++) {
		len = 1;
		out[0] = 'x';
		ck_assert(!log_json_string(out, cap, &len, "ab\n"));
		ck_assert_uint_eq(len, 1);
	}
	for (size_t cap = 0; cap < strlen(want); cap++) {
		len = 1;
		ck_assert(!log_json_string(out, cap, &len, in));
		ck_assert_uint_eq(len, 1);
	}
	for (size_t cap = 0; cap < 1 + 8; cap++) { /* "\u0001" needs 6 */
		len = 1;
		ck_assert(!log_json_string(out, cap, &len, "\x01"));
		ck_assert_uint_eq(len, 1);
	}
	ck_assert(json_str("\x01", 1 + 8, out, &len));
	ck_assert_str_eq(out, "x\"\\u0001\"");
	ck_assert(json_str(in, strlen(want), out, &len));
	ck_assert_str_eq(out, want);
}
END_TEST

START_TEST(err_render_body)
{
	cJSON *info = cJSON_CreateObject(), *body;
	struct err *e;
	char *s;

	cJSON_AddStringToObject(info, "field", "email");
	e = err_new("auth.test", 400, info);
	body = err_render(e, "rid", true);
	s = cJSON_PrintUnformatted(body);
	ck_assert_str_eq(s, "{\"key\":\"auth.test\",\"status\":400,\"info\":{\"field\":\"email\"},"
	                    "\"type\":\"api_error\",\"requestId\":\"rid\"}");
	free(s);
	cJSON_Delete(body);
	err_free(e);

	/* 5xx in production: no info, no message */
	e = err_internal("secret detail");
	body = err_render(e, "rid", true);
	s = cJSON_PrintUnformatted(body);
	ck_assert_str_eq(s, "{\"key\":\"error.server.internal\",\"status\":500,"
	                    "\"type\":\"api_error\",\"requestId\":\"rid\"}");
	free(s);
	cJSON_Delete(body);
	/* development keeps info and the message */
	body = err_render(e, "rid", false);
	ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(body, "info"));
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(body, "message")->valuestring,
	                 "secret detail");
	cJSON_Delete(body);

	e = err_wrap(e, "store.migrateRun.error", 500);
	ck_assert_str_eq(e->key, "store.migrateRun.error");
	ck_assert_ptr_nonnull(strstr(e->message, "secret detail"));
	err_free(e);
}
END_TEST

START_TEST(uuid_format_unique)
{
	char a[UUID_STR_LEN], b[UUID_STR_LEN], n[UUID_STR_LEN];

	for (int i = 0; i < 1000; i++) {
		uuid_v4(a);
		uuid_v4(b);
		ck_assert_int_eq(strlen(a), 36);
		ck_assert(uuid_is_valid_v4(a));
		ck_assert(strchr("89ab", a[19]) != NULL);
		ck_assert_str_ne(a, b);
	}
	ck_assert(!uuid_is_valid_v4("not-a-uuid"));
	ck_assert(!uuid_is_valid_v4("123e4567-e89b-12d3-a456-426614174000")); /* v1 */
	ck_assert(uuid_normalize("123E4567E89B12D3A456426614174000", n));
	ck_assert_str_eq(n, "123e4567-e89b-12d3-a456-426614174000");
	ck_assert(!uuid_normalize("123e4567-e89b-12d3-a456-42661417400g", n));
}
END_TEST

static void
assert_uuid_v4_format(const char *u)
{
	ck_assert_uint_eq(strlen(u), 36);
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			ck_assert_int_eq(u[i], '-');
		else
			ck_assert_msg(strchr("0123456789abcdef", u[i]) != NULL && u[i] != '\0',
			              "%s: bad char at %d", u, i);
	}
	ck_assert_int_eq(u[14], '4');
	ck_assert_msg(strchr("89ab", u[19]) != NULL && u[19] != '\0', "%s: variant", u);
	ck_assert(uuid_is_valid_v4(u));
}

static int
cmp_uuid(const void *a, const void *b)
{
	return strcmp(a, b);
}

START_TEST(uuid_pool_format_unique)
{
	static char ids[2000][UUID_STR_LEN];
	struct random_pool pool = { 0 };
	char a[UUID_STR_LEN];

	for (int i = 0; i < 2000; i++) {
		uuid_v4_pool(&pool, ids[i]);
		assert_uuid_v4_format(ids[i]);
	}
	qsort(ids, 2000, UUID_STR_LEN, cmp_uuid);
	for (int i = 1; i < 2000; i++)
		ck_assert_str_ne(ids[i - 1], ids[i]);
	for (int i = 0; i < 100; i++) {
		uuid_v4(a);
		assert_uuid_v4_format(a);
	}
}
END_TEST

START_TEST(random_pool_refill)
{
	struct random_pool pool = { 0 };
	unsigned char got[512], old[512], zero[512] = { 0 };
	char id[UUID_STR_LEN];

	random_pool_bytes(&pool, got, 0); /* fills, hands out nothing */
	ck_assert(pool.filled);
	ck_assert_uint_eq(pool.pos, 0);
	random_pool_bytes(&pool, got, 500);
	ck_assert(memcmp(got, pool.buf, 500) == 0);
	ck_assert_uint_eq(pool.pos, 500);
	memcpy(old, pool.buf, sizeof(old));
	random_pool_bytes(&pool, got, 20); /* 12 old bytes, then 8 of a fresh fill */
	ck_assert_uint_eq(pool.pos, 8);
	ck_assert(memcmp(got, old + 500, 12) == 0);
	ck_assert(memcmp(got + 12, pool.buf, 8) == 0);
	ck_assert(memcmp(pool.buf, old, sizeof(old)) != 0);
	random_pool_bytes(&pool, got, 512); /* a whole pool's worth, across the boundary */
	ck_assert_uint_eq(pool.pos, 8);
	ck_assert(memcmp(got + 504, pool.buf, 8) == 0);
	ck_assert(memcmp(got, zero, sizeof(got)) != 0);

	/* 32 ids use the pool up exactly; the 33rd refills */
	memset(&pool, 0, sizeof(pool));
	for (int i = 0; i < 32; i++)
		uuid_v4_pool(&pool, id);
	ck_assert_uint_eq(pool.pos, 512);
	memcpy(old, pool.buf, sizeof(old));
	uuid_v4_pool(&pool, id);
	assert_uuid_v4_format(id);
	ck_assert_uint_eq(pool.pos, 16);
	ck_assert(memcmp(pool.buf, old, sizeof(old)) != 0);
}
END_TEST

START_TEST(b64url_vectors)
{
	/* RFC 4648 §10 vectors, unpadded, URL alphabet */
	const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	const char *out[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
	char buf[64];
	unsigned char dec[64];
	const unsigned char bin[] = { 0xfb, 0xff, 0xbf };

	for (int i = 0; i < 7; i++) {
		b64url_encode(in[i], strlen(in[i]), buf);
		ck_assert_str_eq(buf, out[i]);
		ck_assert_int_eq(b64url_decode(out[i], strlen(out[i]), dec), (long)strlen(in[i]));
		ck_assert(memcmp(dec, in[i], strlen(in[i])) == 0);
	}
	b64url_encode(bin, 3, buf);
	ck_assert_str_eq(buf, "-_-_");
	ck_assert_int_eq(b64url_decode("Zm9vYg==", 8, dec), 4);
	ck_assert_int_eq(b64url_decode("Zm9v+g", 6, dec), -1);
	ck_assert_int_eq(b64url_decode("Z", 1, dec), -1);
	ck_assert_int_eq(b64url_decode("Zh", 2, dec), -1); /* non-zero trailing bits */
}
END_TEST

START_TEST(json_getters_bad_input)
{
	struct err *e = NULL;
	cJSON *v = json_parse("{\"a\":\"x\",\"n\":1.5,\"b\":\"yes\",\"o\":[]}", 34, &e);
	const char *s = NULL;
	int64_t n = 0;
	bool b;
	const cJSON *o;
	char *info;

	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_null(json_get_string(v, "$", "a", true, &s));
	ck_assert_str_eq(s, "x");
	e = json_get_string(v, "$", "missing", true, &s);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->key, "validator.error");
	info = cJSON_PrintUnformatted(e->info);
	ck_assert_str_eq(info, "{\"$.missing\":{\"key\":\"validator.undefined\"}}");
	free(info);
	err_free(e);
	ck_assert_ptr_null(json_get_string(v, "$", "missing", false, &s));
	e = json_get_int(v, "$.body", "n", true, 0, 10, &n);
	info = cJSON_PrintUnformatted(e->info);
	ck_assert_str_eq(info, "{\"$.body.n\":{\"subType\":\"int\",\"key\":\"validator.number\"}}");
	free(info);
	err_free(e);
	e = json_get_bool(v, "$", "b", true, &b);
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(e->info, "$.b"));
	err_free(e);
	e = json_get_object(v, "$", "o", true, &o);
	ck_assert_ptr_nonnull(e);
	err_free(e);
	ck_assert_ptr_null(json_get_array(v, "$", "o", true, &o));
	cJSON_Delete(v);

	ck_assert_ptr_null(json_parse("{\"a\":", 5, &e));
	ck_assert_str_eq(e->key, "error.server.unsupportedBodyFormat");
	err_free(e);
	ck_assert_ptr_null(json_parse("\"str\"", 5, &e));
	err_free(e);
	ck_assert_ptr_null(json_parse("{} x", 4, &e));
	err_free(e);
}
END_TEST

START_TEST(time_iso)
{
	char buf[TIMEUTIL_ISO_LEN];
	int64_t ms;

	timeutil_iso8601(0, buf);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00.000Z");
	timeutil_iso8601(1700000000123, buf);
	ck_assert_str_eq(buf, "2023-11-14T22:13:20.123Z");
	ck_assert(timeutil_parse_iso8601("2023-11-14T22:13:20.123Z", &ms));
	ck_assert_int_eq(ms, 1700000000123);
	ck_assert(timeutil_parse_iso8601("2023-11-14 23:13:20.123456+01", &ms));
	ck_assert_int_eq(ms, 1700000000123);
	ck_assert(!timeutil_parse_iso8601("2023-13-14T22:13:20Z", &ms));
	ck_assert(!timeutil_parse_iso8601("yesterday", &ms));
	ck_assert(timeutil_now_ms() > 1700000000000);
}
END_TEST

START_TEST(arena_many)
{
	struct arena *a = arena_new();
	char *big;

	for (int i = 0; i < 10000; i++) {
		char *s = arena_printf(a, "item-%d", i);

		ck_assert_str_eq(s, arena_printf(a, "item-%d", i));
	}
	big = arena_alloc(a, 100000);
	memset(big, 1, 100000);
	arena_defer(a, free, malloc(10));
	arena_reset(a);
	ck_assert_str_eq(arena_strdup(a, "again"), "again");
	arena_free(a);
}
END_TEST

static Suite *
common_suite(void)
{
	Suite *s = suite_create("common");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, config_good_file);
	tcase_add_test(tc, config_unknown_key);
	tcase_add_test(tc, config_bad_value);
	tcase_add_test(tc, config_missing_required);
	tcase_add_test(tc, config_env_override);
	tcase_add_test(tc, config_example_file_complete);
	tcase_add_test(tc, log_ndjson_line);
	tcase_add_test(tc, log_pretty_line);
	tcase_add_test(tc, log_unbuffered_unchanged);
	tcase_add_test(tc, log_buffered_until_flush);
	tcase_add_test(tc, log_buffered_pipe);
	tcase_add_test(tc, log_buffered_overflow);
	tcase_add_test(tc, log_buffered_huge_line);
	tcase_add_test(tc, log_json_string_escapes);
	tcase_add_test(tc, err_render_body);
	tcase_add_test(tc, uuid_format_unique);
	tcase_add_test(tc, uuid_pool_format_unique);
	tcase_add_test(tc, random_pool_refill);
	tcase_add_test(tc, b64url_vectors);
	tcase_add_test(tc, json_getters_bad_input);
	tcase_add_test(tc, time_iso);
	tcase_add_test(tc, arena_many);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(common_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
