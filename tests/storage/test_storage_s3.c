/* lib/storage, s3 backend against a real S3 peer that checks SigV4 signatures
 * (@20minutes/s3rver via tests/storage/s3.js, on a free port with a temporary directory).
 * Without node or the npm package (scripts/setup.sh installs both) it prints a TAP skip. */
#include <check.h>
#include <curl/curl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage.h"
#include "tsupport.h"

#define ACCESS_KEY "AKIDPLATFORMTEST"
#define SECRET_KEY "platform-test-secret-0123456789"
#define BUCKET     "testbucket"

/* Set once in main before the tests fork; read-only afterwards. */
static int s3_port;

static void
s3_config(struct config *cfg, char *endpoint, size_t n, const char *bucket)
{
	snprintf(endpoint, n, "http://127.0.0.1:%d/", s3_port);
	memset(cfg, 0, sizeof(*cfg));
	cfg->storage_backend = "s3";
	cfg->storage_bucket = (char *)bucket;
	cfg->storage_s3_endpoint = endpoint;
	cfg->storage_s3_region = "eu-central-1";
	cfg->storage_s3_access_key = ACCESS_KEY;
	cfg->storage_s3_secret_key = SECRET_KEY;
	cfg->production = true; /* no development defaults */
}

static void
s3_open(struct storage *st, const char *bucket)
{
	struct config cfg;
	char endpoint[64];
	struct err *e;

	s3_config(&cfg, endpoint, sizeof(endpoint), bucket);
	e = storage_open(st, &cfg);
	ck_assert_msg(e == NULL, "open: %s", e != NULL ? e->message : "");
	ck_assert_int_eq(st->backend, STORAGE_S3);
}

static void
expect_err(struct err *e, const char *key, int status)
{
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->key, key);
	ck_assert_int_eq(e->status, status);
	err_free(e);
}

static size_t
discard_cb(char *p, size_t size, size_t n, void *u)
{
	(void)p;
	(void)u;
	return size * n;
}

/* Content-Type of an object as served to an anonymous GET (s3rver allows those). */
static char *
raw_content_type(const char *key)
{
	char url[256], *ct = NULL, *out = NULL;
	long status = 0;
	CURL *c = curl_easy_init();

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/%s/%s", s3_port, BUCKET, key);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_cb);
	if (curl_easy_perform(c) == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
		if (status == 200 && ct != NULL)
			out = strdup(ct);
	}
	curl_easy_cleanup(c);
	return out;
}

START_TEST(s3_roundtrip_binary)
{
	enum { N = 3 * 1024 * 1024 + 7 }; /* above libcurl's Expect: 100-continue threshold */
	struct storage st;
	unsigned char *data = malloc(N);
	void *got = NULL;
	size_t len = 0;
	long long size = -1;
	char *ct;

	s3_open(&st, BUCKET);
	for (size_t i = 0; i < N; i++)
		data[i] = (unsigned char)((i * 131) ^ (i >> 8));
	data[0] = 0;
	data[N - 1] = 0xff;
	ck_assert_ptr_null(
	    storage_put_type(&st, "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b", data, N, "image/png"));
	ck_assert_ptr_null(storage_get(&st, "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b", &got, &len));
	ck_assert_uint_eq(len, N);
	ck_assert_int_eq(memcmp(got, data, N), 0);
	free(got);
	ck_assert_ptr_null(storage_head(&st, "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b", &size));
	ck_assert_int_eq(size, N);
	ct = raw_content_type("6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b");
	ck_assert_ptr_nonnull(ct);
	ck_assert_str_eq(ct, "image/png");
	free(ct);
	/* Empty object, default content type. */
	ck_assert_ptr_null(storage_put(&st, "empty-object", "", 0));
	ck_assert_ptr_null(storage_get(&st, "empty-object", &got, &len));
	ck_assert_uint_eq(len, 0);
	free(got);
	ct = raw_content_type("empty-object");
	ck_assert_ptr_nonnull(ct);
	ck_assert_str_eq(ct, "application/octet-stream");
	free(ct);
	free(data);
	storage_close(&st);
}
END_TEST

START_TEST(s3_overwrite)
{
	struct storage st;
	void *got = NULL;
	size_t len = 0;
	long long size = -1;

	s3_open(&st, BUCKET);
	ck_assert_ptr_null(storage_put_type(&st, "over", "first", 5, "text/plain"));
	ck_assert_ptr_null(storage_put_type(&st, "over", "second version", 14, "text/plain"));
	ck_assert_ptr_null(storage_get(&st, "over", &got, &len));
	ck_assert_uint_eq(len, 14);
	ck_assert_int_eq(memcmp(got, "second version", 14), 0);
	free(got);
	ck_assert_ptr_null(storage_head(&st, "over", &size));
	ck_assert_int_eq(size, 14);
	storage_close(&st);
}
END_TEST

START_TEST(s3_delete_then_404)
{
	struct storage st;
	void *got = NULL;
	size_t len = 0;
	long long size = -1;

	s3_open(&st, BUCKET);
	ck_assert_ptr_null(storage_put(&st, "to-delete", "bye", 3));
	ck_assert_ptr_null(storage_head(&st, "to-delete", &size));
	ck_assert_ptr_null(storage_delete(&st, "to-delete"));
	expect_err(storage_get(&st, "to-delete", &got, &len), "error.server.notFound", 404);
	expect_err(storage_head(&st, "to-delete", &size), "error.server.notFound", 404);
	ck_assert_ptr_null(got);
	/* Deleting again is not an error (S3 semantics, same as the local backend). */
	ck_assert_ptr_null(storage_delete(&st, "to-delete"));
	storage_close(&st);
}
END_TEST

START_TEST(s3_unknown_key_404)
{
	struct storage st;
	void *got = NULL;
	size_t len = 0;
	long long size = -1;

	s3_open(&st, BUCKET);
	expect_err(storage_get(&st, "00000000-0000-4000-8000-000000000000", &got, &len),
	           "error.server.notFound", 404);
	expect_err(storage_head(&st, "never-written", &size), "error.server.notFound", 404);
	ck_assert_int_eq(size, -1);
	/* Invalid keys never reach the server. */
	expect_err(storage_get(&st, "../" BUCKET, &got, &len), "storage.invalidKey", 400);
	expect_err(storage_put(&st, "a/b", "x", 1), "storage.invalidKey", 400);
	expect_err(storage_put_type(&st, "ok", "x", 1, "text/plain\r\nX-Evil: 1"),
	           "storage.invalidContentType", 400);
	storage_close(&st);
}
END_TEST

/* The peer checks signatures: a wrong secret or an unknown access key is refused, and the
 * error names the S3 code but never the secret. */
START_TEST(s3_wrong_credentials)
{
	struct config cfg;
	struct storage st;
	char endpoint[64];
	struct err *e;

	s3_config(&cfg, endpoint, sizeof(endpoint), BUCKET);
	cfg.storage_s3_secret_key = "wrong-secret-value-42";
	e = storage_open(&st, &cfg);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->status, 500);
	ck_assert_str_eq(e->key, "error.server.internal");
	ck_assert_msg(strstr(e->message, "SignatureDoesNotMatch") != NULL, "message: %s",
	              e->message);
	ck_assert_ptr_null(strstr(e->message, "wrong-secret-value-42"));
	ck_assert_ptr_null(strstr(e->message, SECRET_KEY));
	err_free(e);

	cfg.storage_s3_access_key = "AKIDUNKNOWN";
	cfg.storage_s3_secret_key = SECRET_KEY;
	e = storage_open(&st, &cfg);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->status, 500);
	ck_assert_msg(strstr(e->message, "InvalidAccessKeyId") != NULL, "message: %s", e->message);
	ck_assert_ptr_null(strstr(e->message, SECRET_KEY));
	err_free(e);
}
END_TEST

/* storage_open creates a missing bucket; opening it again finds it. */
START_TEST(s3_ensure_bucket)
{
	struct storage st, st2;
	char bucket[64];
	void *got = NULL;
	size_t len = 0;

	snprintf(bucket, sizeof(bucket), "created-%d-%ld", (int)getpid(), (long)random());
	s3_open(&st, bucket);
	ck_assert_ptr_null(storage_put(&st, "in-new-bucket", "hello", 5));
	s3_open(&st2, bucket);
	ck_assert_ptr_null(storage_get(&st2, "in-new-bucket", &got, &len));
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(memcmp(got, "hello", 5), 0);
	free(got);
	/* The other bucket does not see it. */
	storage_close(&st);
	s3_open(&st, BUCKET);
	expect_err(storage_get(&st, "in-new-bucket", &got, &len), "error.server.notFound", 404);
	storage_close(&st);
	storage_close(&st2);
}
END_TEST

START_TEST(s3_list_prefix)
{
	struct storage st;
	struct storage_listing l;
	char bucket[64];

	snprintf(bucket, sizeof(bucket), "list-%d", (int)getpid());
	s3_open(&st, bucket);
	ck_assert_ptr_null(storage_put(&st, "img-b", "bb", 2));
	ck_assert_ptr_null(storage_put(&st, "img-a", "a", 1));
	ck_assert_ptr_null(storage_put(&st, "doc-1", "ddd", 3));
	ck_assert_ptr_null(storage_list(&st, "img-", &l));
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.items[0].key, "img-a");
	ck_assert_int_eq(l.items[0].size, 1);
	ck_assert_str_eq(l.items[1].key, "img-b");
	ck_assert_int_eq(l.items[1].size, 2);
	storage_listing_free(&l);
	ck_assert_ptr_null(storage_list(&st, "", &l));
	ck_assert_uint_eq(l.n, 3);
	ck_assert_str_eq(l.items[0].key, "doc-1");
	storage_listing_free(&l);
	ck_assert_ptr_null(storage_list(&st, "none", &l));
	ck_assert_uint_eq(l.n, 0);
	storage_listing_free(&l);
	storage_close(&st);
}
END_TEST

/* More objects than one ListObjectsV2 page (1000): the continuation token is followed. */
START_TEST(s3_list_pages)
{
	enum { N = 1003 };
	struct storage st;
	struct storage_listing l;
	char bucket[64], key[32];
	struct err *e;

	snprintf(bucket, sizeof(bucket), "pages-%d", (int)getpid());
	s3_open(&st, bucket);
	for (int i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "k%05d", i);
		ck_assert_ptr_null(storage_put(&st, key, key, strlen(key)));
	}
	e = storage_list(&st, "k", &l);
	ck_assert_msg(e == NULL, "list: %s", e != NULL ? e->message : "");
	ck_assert_uint_eq(l.n, N);
	for (int i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "k%05d", i);
		ck_assert_str_eq(l.items[i].key, key);
		ck_assert_int_eq(l.items[i].size, 6);
	}
	storage_listing_free(&l);
	storage_close(&st);
}
END_TEST

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static char *
find_node(void)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL, *out = NULL;

	if (path == NULL)
		return NULL;
	copy = strdup(path);
	for (char *d = strtok_r(copy, ":", &save); d != NULL; d = strtok_r(NULL, ":", &save)) {
		char buf[4096];

		snprintf(buf, sizeof(buf), "%s/node", d);
		if (access(buf, X_OK) == 0) {
			out = strdup(buf);
			break;
		}
	}
	free(copy);
	return out;
}

static Suite *
s3_suite(void)
{
	Suite *s = suite_create("storage-s3");
	TCase *tc = tcase_create("s3");

	tcase_add_test(tc, s3_roundtrip_binary);
	tcase_add_test(tc, s3_overwrite);
	tcase_add_test(tc, s3_delete_then_404);
	tcase_add_test(tc, s3_unknown_key_404);
	tcase_add_test(tc, s3_wrong_credentials);
	tcase_add_test(tc, s3_ensure_bucket);
	tcase_add_test(tc, s3_list_prefix);
	tcase_add_test(tc, s3_list_pages);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	const char *root = getenv("TEST_SOURCE_ROOT");
	char pkg[4096], script[4096], dir[] = "/tmp/storage_s3.XXXXXX", log[128], port[16];
	char *node = find_node();
	SRunner *sr;
	pid_t pid;
	int failed;

	snprintf(pkg, sizeof(pkg), "%s/tests/node/node_modules/@20minutes/s3rver/package.json",
	         root != NULL ? root : ".");
	snprintf(script, sizeof(script), "%s/tests/storage/s3.js", root != NULL ? root : ".");
	if (node == NULL || access(pkg, R_OK) != 0) {
		printf("1..0 # SKIP node or @20minutes/s3rver missing (run scripts/setup.sh)\n");
		free(node);
		return EXIT_SUCCESS;
	}
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		free(node);
		return EXIT_FAILURE;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	srandom((unsigned)getpid());
	s3_port = tsupport_free_port();
	snprintf(port, sizeof(port), "%d", s3_port);
	snprintf(log, sizeof(log), "%s.log", dir);
	setenv("S3_ACCESS_KEY", ACCESS_KEY, 1);
	setenv("S3_SECRET_KEY", SECRET_KEY, 1);
	{
		/* s3rver's continuation tokens use DES, which OpenSSL 3 only has in the legacy
		 * provider. */
		char legacy[] = "--openssl-legacy-provider";
		char *argv[] = { node, legacy, script, dir, port, BUCKET, NULL };

		pid = tsupport_spawn(argv, log);
	}
	if (!tsupport_wait_port(s3_port, 20000)) {
		char *text = tsupport_read_file(log);

		fprintf(stderr, "s3 peer did not start:\n%s\n", text != NULL ? text : "");
		free(text);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
		unlink(log);
		free(node);
		return EXIT_FAILURE;
	}

	sr = srunner_create(s3_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);

	kill(pid, SIGTERM);
	if (tsupport_wait(pid, 5000) == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	if (failed != 0) {
		char *text = tsupport_read_file(log);

		fprintf(stderr, "s3 peer log:\n%s\n", text != NULL ? text : "");
		free(text);
	}
	unlink(log);
	curl_global_cleanup();
	free(node);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
