/* lib/storage, local-directory backend and the small XML reader used by the s3 backend:
 * real files in a temporary directory, removed at the end. */
#include <check.h>
#include <dirent.h>
#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage.h"
#include "storage_xml.h"

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
rm_rf(const char *dir)
{
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Each test gets its own temporary storage.dir (tests run in forked children). */
struct fixture {
	char dir[64];
	struct config cfg;
	struct storage st;
};

static void
fixture_open(struct fixture *f)
{
	struct err *e;

	snprintf(f->dir, sizeof(f->dir), "/tmp/storage_test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	memset(&f->cfg, 0, sizeof(f->cfg));
	f->cfg.storage_backend = "local";
	f->cfg.storage_dir = f->dir;
	f->cfg.storage_bucket = "bucket";
	e = storage_open(&f->st, &f->cfg);
	ck_assert_msg(e == NULL, "open: %s", e != NULL ? e->message : "");
	ck_assert_int_eq(f->st.backend, STORAGE_LOCAL);
}

static void
fixture_close(struct fixture *f)
{
	storage_close(&f->st);
	rm_rf(f->dir);
}

static void
expect_err(struct err *e, const char *key, int status)
{
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->key, key);
	ck_assert_int_eq(e->status, status);
	err_free(e);
}

START_TEST(local_roundtrip_binary)
{
	struct fixture f;
	unsigned char data[70000];
	void *got = NULL;
	size_t len = 0;
	long long size = -1;
	struct stat sb;
	char path[128];

	fixture_open(&f);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + i / 256);
	data[10] = 0;
	ck_assert_ptr_null(storage_put_type(&f.st, "0b7e1f2a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", data,
	                                    sizeof(data), "image/png"));
	ck_assert_ptr_null(storage_get(&f.st, "0b7e1f2a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", &got, &len));
	ck_assert_uint_eq(len, sizeof(data));
	ck_assert_int_eq(memcmp(got, data, len), 0);
	free(got);
	ck_assert_ptr_null(storage_head(&f.st, "0b7e1f2a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", &size));
	ck_assert_int_eq(size, (long long)sizeof(data));
	/* The object is a plain file <dir>/<bucket>/<key>. */
	snprintf(path, sizeof(path), "%s/bucket/0b7e1f2a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", f.dir);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_size, (long long)sizeof(data));
	/* Empty objects work too. */
	ck_assert_ptr_null(storage_put(&f.st, "empty", "", 0));
	ck_assert_ptr_null(storage_get(&f.st, "empty", &got, &len));
	ck_assert_uint_eq(len, 0);
	free(got);
	fixture_close(&f);
}
END_TEST

START_TEST(local_missing_and_delete)
{
	struct fixture f;
	void *got = NULL;
	size_t len = 0;
	long long size = -1;

	fixture_open(&f);
	expect_err(storage_get(&f.st, "nope", &got, &len), "error.server.notFound", 404);
	expect_err(storage_head(&f.st, "nope", &size), "error.server.notFound", 404);
	ck_assert_ptr_null(got);
	ck_assert_ptr_null(storage_delete(&f.st, "nope")); /* deleting a missing object is fine */
	ck_assert_ptr_null(storage_put(&f.st, "gone", "abc", 3));
	ck_assert_ptr_null(storage_delete(&f.st, "gone"));
	expect_err(storage_get(&f.st, "gone", &got, &len), "error.server.notFound", 404);
	fixture_close(&f);
}
END_TEST

START_TEST(local_invalid_keys)
{
	static const char *bad[] = { "", ".hidden", "a/b", "../escape", "a b", "k\n", "ü", "a%2f" };
	struct fixture f;
	char longkey[STORAGE_KEY_MAX_LEN + 2];
	struct storage_listing l;
	void *got = NULL;
	size_t len = 0;
	long long size;

	fixture_open(&f);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect_err(storage_put(&f.st, bad[i], "x", 1), "storage.invalidKey", 400);
		expect_err(storage_get(&f.st, bad[i], &got, &len), "storage.invalidKey", 400);
		expect_err(storage_head(&f.st, bad[i], &size), "storage.invalidKey", 400);
		expect_err(storage_delete(&f.st, bad[i]), "storage.invalidKey", 400);
	}
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	expect_err(storage_put(&f.st, longkey, "x", 1), "storage.invalidKey", 400);
	longkey[STORAGE_KEY_MAX_LEN] = '\0'; /* exactly the maximum is fine */
	ck_assert_ptr_null(storage_put(&f.st, longkey, "x", 1));
	expect_err(storage_list(&f.st, "a/", &l), "storage.invalidKey", 400);
	/* Nothing escaped the bucket directory. */
	ck_assert_int_ne(access("/tmp/escape", F_OK), 0);
	fixture_close(&f);
}
END_TEST

/* A reader racing a writer sees the old or the new bytes, never a mix or a short file. */
START_TEST(local_atomic_overwrite)
{
	enum { N = 200000 };
	struct fixture f;
	char *a = malloc(N), *b = malloc(N / 2), path[128];
	pid_t child;
	int status, seen_a = 0, seen_b = 0;
	DIR *d;
	struct dirent *de;

	fixture_open(&f);
	memset(a, 'A', N);
	memset(b, 'B', N / 2);
	ck_assert_ptr_null(storage_put(&f.st, "obj", a, N));
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		for (int i = 0; i < 150; i++) {
			struct err *e = storage_put(&f.st, "obj", i % 2 ? a : b, i % 2 ? N : N / 2);

			if (e != NULL)
				_exit(1);
		}
		_exit(0);
	}
	for (int i = 0; i < 300; i++) {
		void *got = NULL;
		size_t len = 0;
		struct err *e = storage_get(&f.st, "obj", &got, &len);

		ck_assert_msg(e == NULL, "get during overwrite: %s", e != NULL ? e->key : "");
		if (len == N && memcmp(got, a, N) == 0)
			seen_a++;
		else if (len == N / 2 && memcmp(got, b, N / 2) == 0)
			seen_b++;
		else
			ck_abort_msg("torn read: %zu bytes", len);
		free(got);
	}
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(seen_a + seen_b, 300);
	/* The last write (i = 149, odd) left A; no temporary files are left behind. */
	{
		void *got = NULL;
		size_t len = 0;

		ck_assert_ptr_null(storage_get(&f.st, "obj", &got, &len));
		ck_assert_uint_eq(len, N);
		free(got);
	}
	snprintf(path, sizeof(path), "%s/bucket", f.dir);
	d = opendir(path);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			ck_assert_str_eq(de->d_name, "obj");
	closedir(d);
	free(a);
	free(b);
	fixture_close(&f);
}
END_TEST

START_TEST(local_list_prefix)
{
	struct fixture f;
	struct storage_listing l;
	char path[128];
	FILE *fp;

	fixture_open(&f);
	ck_assert_ptr_null(storage_put(&f.st, "img-b", "bb", 2));
	ck_assert_ptr_null(storage_put(&f.st, "img-a", "a", 1));
	ck_assert_ptr_null(storage_put(&f.st, "doc-1", "ddd", 3));
	/* A stray temporary file (as left by a crash mid-put) is not an object. */
	snprintf(path, sizeof(path), "%s/bucket/.tmp.abcdef", f.dir);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fclose(fp);

	ck_assert_ptr_null(storage_list(&f.st, "img-", &l));
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.items[0].key, "img-a");
	ck_assert_int_eq(l.items[0].size, 1);
	ck_assert_str_eq(l.items[1].key, "img-b");
	ck_assert_int_eq(l.items[1].size, 2);
	storage_listing_free(&l);

	ck_assert_ptr_null(storage_list(&f.st, "", &l));
	ck_assert_uint_eq(l.n, 3);
	ck_assert_str_eq(l.items[0].key, "doc-1");
	storage_listing_free(&l);

	ck_assert_ptr_null(storage_list(&f.st, "zzz", &l));
	ck_assert_uint_eq(l.n, 0);
	storage_listing_free(&l);
	fixture_close(&f);
}
END_TEST

START_TEST(open_rejects_bad_config)
{
	struct config cfg;
	struct storage st;
	struct err *e;

	memset(&cfg, 0, sizeof(cfg));
	cfg.storage_backend = "gcs";
	cfg.storage_dir = "/tmp";
	cfg.storage_bucket = "b";
	e = storage_open(&st, &cfg);
	expect_err(e, "config.invalid", 500);
	/* A bucket name cannot climb out of storage.dir. */
	cfg.storage_backend = "local";
	cfg.storage_bucket = "..";
	expect_err(storage_open(&st, &cfg), "config.invalid", 500);
	/* s3 settings are checked before any request is made. */
	cfg.storage_backend = "s3";
	cfg.storage_s3_endpoint = "ftp://127.0.0.1:1";
	cfg.storage_s3_region = "eu-central-1";
	cfg.storage_s3_access_key = "a";
	cfg.storage_s3_secret_key = "s";
	cfg.storage_bucket = "good-bucket";
	expect_err(storage_open(&st, &cfg), "config.invalid", 500);
	cfg.storage_s3_endpoint = "http://127.0.0.1:1";
	cfg.storage_bucket = "Bad_Bucket";
	expect_err(storage_open(&st, &cfg), "config.invalid", 500);
	cfg.storage_bucket = "good-bucket";
	cfg.storage_s3_region = "eu:central";
	expect_err(storage_open(&st, &cfg), "config.invalid", 500);
	cfg.storage_s3_region = "";
	expect_err(storage_open(&st, &cfg), "config.invalid", 500);
	cfg.storage_s3_region = "eu-central-1";
	cfg.production = true;
	cfg.storage_s3_access_key = NULL;
	cfg.storage_s3_secret_key = NULL;
	expect_err(storage_open(&st, &cfg), "config.missing", 500);
	/* Valid settings but nobody listening: a 500 naming the transport failure. */
	cfg.storage_s3_access_key = "a";
	cfg.storage_s3_secret_key = "s";
	e = storage_open(&st, &cfg);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->status, 500);
	ck_assert_ptr_null(strstr(e->message, "\"s\""));
	err_free(e);
}
END_TEST

START_TEST(xml_find_and_decode)
{
	const char *x = "<R><Contents><Key>a&amp;b</Key><Size>12</Size></Contents>"
	                "<Contents><Key>c</Key><Size>3</Size></Contents><Bad>&#65;</Bad>"
	                "<Open>never closed";
	const char *end = x + strlen(x), *v, *next;
	size_t vlen;
	char *t;

	ck_assert(storage_xml_find(x, end, "Contents", &v, &vlen, &next));
	ck_assert(storage_xml_find(v, v + vlen, "Key", &v, &vlen, NULL));
	t = storage_xml_text(v, vlen);
	ck_assert_str_eq(t, "a&b");
	free(t);
	ck_assert(storage_xml_find(next, end, "Contents", &v, &vlen, &next));
	ck_assert(storage_xml_find(v, v + vlen, "Size", &v, &vlen, NULL));
	ck_assert_int_eq((int)vlen, 1);
	ck_assert(!storage_xml_find(next, end, "Contents", &v, &vlen, &next));
	/* Only the predefined entities are decoded; anything else is refused. */
	ck_assert(storage_xml_find(x, end, "Bad", &v, &vlen, NULL));
	ck_assert_ptr_null(storage_xml_text(v, vlen));
	ck_assert_ptr_null(storage_xml_text("a&amp", 5));
	ck_assert_ptr_null(storage_xml_text("a\0b", 3));
	/* An element without its closing tag is not found; the search stays in bounds. */
	ck_assert(!storage_xml_find(x, end, "Open", &v, &vlen, NULL));
	ck_assert(!storage_xml_find(x, x + 10, "Key", &v, &vlen, NULL));
	t = storage_xml_text("&lt;&gt;&quot;&apos;", 20);
	ck_assert_str_eq(t, "<>\"'");
	free(t);
}
END_TEST

/* A one-shot HTTP peer in a child process: stores the request head in path and answers
 * 200 with an empty body. Returns its pid; *port receives the port it listens on. */
static pid_t
capture_peer(const char *path, int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	pid_t pid;

	ck_assert_int_ge(ls, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(ls, 4), 0);
	ck_assert_int_eq(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		static const char reply[] =
		    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
		char buf[16384];
		size_t n = 0;
		int c = accept(ls, NULL, NULL);
		FILE *fp;

		if (c < 0)
			_exit(1);
		while (n < sizeof(buf) - 1) {
			ssize_t r = read(c, buf + n, sizeof(buf) - 1 - n);

			if (r <= 0)
				break;
			n += (size_t)r;
			buf[n] = '\0';
			if (strstr(buf, "\r\n\r\n") != NULL)
				break;
		}
		fp = fopen(path, "w");
		if (fp == NULL || fwrite(buf, 1, n, fp) != n || fclose(fp) != 0)
			_exit(1);
		if (write(c, reply, sizeof(reply) - 1) < 0)
			_exit(1);
		close(c);
		_exit(0);
	}
	close(ls);
	return pid;
}

/* The configured region is the one in the SigV4 credential scope (the template signed
 * with a fixed region), and the payload hash header is sent. */
START_TEST(s3_signs_with_configured_region)
{
	char dir[] = "/tmp/storage_sig.XXXXXX", path[128], endpoint[64], head[16384];
	struct config cfg;
	struct storage st;
	struct err *e;
	int port, status;
	size_t n;
	pid_t pid;
	FILE *fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/request", dir);
	pid = capture_peer(path, &port);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", port);
	memset(&cfg, 0, sizeof(cfg));
	cfg.storage_backend = "s3";
	cfg.storage_bucket = "region-check";
	cfg.storage_s3_endpoint = endpoint;
	cfg.storage_s3_region = "eu-west-3";
	cfg.storage_s3_access_key = "AKIDREGION";
	cfg.storage_s3_secret_key = "region-secret-value";
	e = storage_open(&st, &cfg);
	ck_assert_msg(e == NULL, "open: %s", e != NULL ? e->message : "");
	storage_close(&st);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	fp = fopen(path, "r");
	ck_assert_ptr_nonnull(fp);
	n = fread(head, 1, sizeof(head) - 1, fp);
	head[n] = '\0';
	fclose(fp);
	ck_assert_msg(strncmp(head, "GET /region-check?list-type=2&max-keys=0 HTTP/1.1\r\n", 51) ==
	                  0,
	              "request: %s", head);
	ck_assert_msg(strstr(head, "Credential=AKIDREGION/") != NULL, "request: %s", head);
	ck_assert_msg(strstr(head, "/eu-west-3/s3/aws4_request") != NULL, "request: %s", head);
	ck_assert_ptr_nonnull(strstr(head, "AWS4-HMAC-SHA256"));
	ck_assert_ptr_nonnull(strstr(head,
	                             "x-amz-content-sha256: "
	                             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
	                             "7852b855"));
	ck_assert_ptr_null(strstr(head, "region-secret-value"));
	rm_rf(dir);
}
END_TEST

static Suite *
storage_suite(void)
{
	Suite *s = suite_create("storage");
	TCase *tc = tcase_create("local");

	tcase_add_test(tc, local_roundtrip_binary);
	tcase_add_test(tc, local_missing_and_delete);
	tcase_add_test(tc, local_invalid_keys);
	tcase_add_test(tc, local_atomic_overwrite);
	tcase_add_test(tc, local_list_prefix);
	tcase_add_test(tc, open_rejects_bad_config);
	tcase_add_test(tc, xml_find_and_decode);
	tcase_add_test(tc, s3_signs_with_configured_region);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(storage_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
