/* Unit tests for lib/auth password hashing (argon2id, template bcrypt), HOTP/TOTP
 * (RFC 4226/6238 vectors), base32 (RFC 4648 vectors) and the per-IP rate limiter. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "password.h"
#include "ratelimit.h"
#include "totp.h"

static const struct password_params fast = { .memory_kib = 1024,
	                                     .iterations = 1,
	                                     .parallelism = 1 };

/* Generated with python3 crypt (libxcrypt), password "Test123!", cost 4. */
static const char bcrypt_2b[] = "$2b$04$C0gXvDsZmYqMGwqlp8DNT.fGnB6wExSRstNufX7iKj3zFcanh819K";
static const char bcrypt_2a[] = "$2a$04$DBKjaxxPJbS/HwW36InskuHb3kUhdjP0sgCUfBW4Rl/ikuQ/QyXX2";
/* Same salt, password "x" * 72 + "A": bcrypt only reads the first 72 bytes. */
static const char bcrypt_72[] = "$2b$04$DBKjaxxPJbS/HwW36InskuexOWJ7THrsiMRSUKMlnWX6f32.69VtW";

START_TEST(test_argon2id_roundtrip)
{
	char hash[PASSWORD_HASH_MAX], hash2[PASSWORD_HASH_MAX];

	ck_assert_ptr_null(password_hash(&fast, "correct horse", hash));
	ck_assert_str_eq(strstr(hash, "$argon2id$v=19$m=1024,t=1,p=1$") == hash ? "ok" : hash,
	                 "ok");
	ck_assert(password_verify("correct horse", hash));
	ck_assert(!password_verify("correct horsf", hash));
	ck_assert(!password_verify("", hash));
	/* A fresh salt each time. */
	ck_assert_ptr_null(password_hash(&fast, "correct horse", hash2));
	ck_assert_str_ne(hash, hash2);
}
END_TEST

START_TEST(test_argon2id_default_params_encoded)
{
	const struct password_params owasp = { 19456, 2, 1 };
	char hash[PASSWORD_HASH_MAX];

	ck_assert_ptr_null(password_hash(&owasp, "pw", hash));
	ck_assert(strncmp(hash, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
	ck_assert(!password_needs_rehash(&owasp, hash));
	ck_assert(password_needs_rehash(&fast, hash));
	ck_assert(password_verify("pw", hash));
}
END_TEST

START_TEST(test_bcrypt_template_hashes)
{
	ck_assert(password_verify("Test123!", bcrypt_2b));
	ck_assert(password_verify("Test123!", bcrypt_2a));
	ck_assert(!password_verify("Test123?", bcrypt_2b));
	ck_assert(!password_verify("test123!", bcrypt_2a));
	ck_assert(password_needs_rehash(&fast, bcrypt_2b));
	ck_assert(password_needs_rehash(&fast, bcrypt_2a));
}
END_TEST

START_TEST(test_bcrypt_72_bytes)
{
	char pw[80];

	memset(pw, 'x', 72);
	strcpy(pw + 72, "B");
	ck_assert(password_verify(pw, bcrypt_72));
	pw[71] = 'y';
	ck_assert(!password_verify(pw, bcrypt_72));
}
END_TEST

START_TEST(test_garbage_hashes)
{
	const char *bad[] = { "",
		              "plain",
		              "$2b$",
		              "$2b$04$short",
		              "$argon2id$",
		              "$argon2id$v=19$m=x",
		              "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
		              "$1$abc$def",
		              "*0",
		              NULL };

	for (int i = 0; bad[i] != NULL; i++) {
		ck_assert_msg(!password_verify("pw", bad[i]), "accepted %s", bad[i]);
		ck_assert(password_needs_rehash(&fast, bad[i]));
	}
	ck_assert(!password_verify(NULL, bcrypt_2b));
	ck_assert(!password_verify("pw", NULL));
	password_verify_dummy(&fast, "pw");
	password_verify_dummy(&fast, NULL);
}
END_TEST

START_TEST(test_hotp_rfc4226)
{
	/* RFC 4226 Appendix D. */
	const char *want[] = { "755224", "287082", "359152", "969429", "338314",
		               "254676", "287922", "162583", "399871", "520489" };
	const uint8_t *key = (const uint8_t *)"12345678901234567890";
	char out[TOTP_CODE_MAX];

	for (int i = 0; i < 10; i++) {
		totp_hotp(TOTP_SHA1, key, 20, (uint64_t)i, 6, out);
		ck_assert_str_eq(out, want[i]);
	}
}
END_TEST

START_TEST(test_totp_rfc6238)
{
	/* RFC 6238 Appendix B, 8 digits. */
	const int64_t times[] = { 59, 1111111109, 1111111111, 1234567890, 2000000000, 20000000000 };
	const char *sha1[] = { "94287082", "07081804", "14050471",
		               "89005924", "69279037", "65353130" };
	const char *sha512[] = { "90693936", "25091201", "99943326",
		                 "93441116", "38618901", "47863826" };
	const uint8_t *k1 = (const uint8_t *)"12345678901234567890";
	const uint8_t *k512 = (const uint8_t *)"1234567890123456789012345678901234567890"
	                                       "123456789012345678901234";
	char out[TOTP_CODE_MAX];

	for (int i = 0; i < 6; i++) {
		totp_hotp(TOTP_SHA1, k1, 20, (uint64_t)totp_step(times[i]), 8, out);
		ck_assert_str_eq(out, sha1[i]);
		totp_hotp(TOTP_SHA512, k512, 64, (uint64_t)totp_step(times[i]), 8, out);
		ck_assert_str_eq(out, sha512[i]);
	}
}
END_TEST

START_TEST(test_base32_rfc4648)
{
	const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	const char *want[] = { "", "MY", "MZXQ", "MZXW6", "MZXW6YQ", "MZXW6YTB", "MZXW6YTBOI" };
	char out[32];
	uint8_t dec[32];

	for (int i = 0; i < 7; i++) {
		totp_base32_encode((const uint8_t *)in[i], strlen(in[i]), out, sizeof(out));
		ck_assert_str_eq(out, want[i]);
		ck_assert_int_eq(totp_base32_decode(want[i], dec, sizeof(dec)),
		                 (long)strlen(in[i]));
		ck_assert(memcmp(dec, in[i], strlen(in[i])) == 0);
	}
	ck_assert_int_eq(totp_base32_decode("mzxw6ytboi======", dec, sizeof(dec)), 6);
	ck_assert(memcmp(dec, "foobar", 6) == 0);
	ck_assert_int_eq(totp_base32_decode("MZ1W", dec, sizeof(dec)), -1);
	ck_assert_int_eq(totp_base32_decode("MZXW6YTBOI", dec, 3), -1);
	ck_assert_uint_eq(totp_base32_encode((const uint8_t *)"foobar", 6, out, 10), 0);
}
END_TEST

START_TEST(test_totp_verify_window_and_reuse)
{
	char secret[TOTP_CODE_MAX * 8], code[TOTP_CODE_MAX], prev[TOTP_CODE_MAX];
	const int64_t now = 1700000000; /* step 56666666, 20 s into it */
	int64_t step = 0;
	uint8_t key[64];
	long keylen;

	totp_base32_encode((const uint8_t *)"12345678901234567890", 20, secret, sizeof(secret));
	keylen = totp_base32_decode(secret, key, sizeof(key));
	ck_assert_int_eq(keylen, 20);
	ck_assert(totp_now(TOTP_SHA512, secret, now, code));
	ck_assert(totp_verify(TOTP_SHA512, secret, code, now, 1, TOTP_NO_STEP, &step));
	ck_assert_int_eq(step, totp_step(now));
	/* Once per step: the same code after its step was used is refused. */
	ck_assert(!totp_verify(TOTP_SHA512, secret, code, now, 1, step, NULL));
	/* ±1 step accepted, ±2 not. */
	totp_hotp(TOTP_SHA512, key, 20, (uint64_t)(totp_step(now) - 1), 6, prev);
	ck_assert(totp_verify(TOTP_SHA512, secret, prev, now, 1, TOTP_NO_STEP, NULL));
	ck_assert(!totp_verify(TOTP_SHA512, secret, prev, now + 60, 1, TOTP_NO_STEP, NULL));
	ck_assert(totp_verify(TOTP_SHA512, secret, prev, now + 60, 11, TOTP_NO_STEP, NULL));
	ck_assert(totp_verify(TOTP_SHA512, secret, code, now - 30, 1, TOTP_NO_STEP, NULL));
	/* A SHA-1 code is not a SHA-512 code (with overwhelming probability for this key). */
	ck_assert(totp_now(TOTP_SHA1, secret, now, prev));
	ck_assert_str_ne(prev, code);
	/* Malformed codes and secrets. */
	ck_assert(!totp_verify(TOTP_SHA512, secret, "12345", now, 1, TOTP_NO_STEP, NULL));
	ck_assert(!totp_verify(TOTP_SHA512, secret, "1234567", now, 1, TOTP_NO_STEP, NULL));
	ck_assert(!totp_verify(TOTP_SHA512, secret, "12a456", now, 1, TOTP_NO_STEP, NULL));
	ck_assert(!totp_verify(TOTP_SHA512, secret, NULL, now, 1, TOTP_NO_STEP, NULL));
	ck_assert(!totp_verify(TOTP_SHA512, "not base32!", code, now, 1, TOTP_NO_STEP, NULL));
	ck_assert(!totp_now(TOTP_SHA512, "", now, code));
}
END_TEST

START_TEST(test_totp_secret_and_url)
{
	const char *alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	                       "!@#$%^&*()<>?/[]{},.:;";
	char a[TOTP_SECRET_LEN], b[TOTP_SECRET_LEN], url[256];
	uint8_t raw[64];

	totp_generate_secret(a);
	totp_generate_secret(b);
	ck_assert_uint_eq(strlen(a), 52);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(totp_base32_decode(a, raw, sizeof(raw)), 32);
	for (int i = 0; i < 32; i++)
		ck_assert_ptr_nonnull(strchr(alphabet, raw[i]));
	ck_assert(totp_otpauth_url("platform", "ABC", url, sizeof(url)));
	ck_assert_str_eq(url, "otpauth://totp/platform?secret=ABC&algorithm=SHA512");
	ck_assert(totp_otpauth_url("my app/x", "ABC", url, sizeof(url)));
	ck_assert_str_eq(url, "otpauth://totp/my%20app%2Fx?secret=ABC&algorithm=SHA512");
	ck_assert(!totp_otpauth_url("platform", "ABC", url, 20));
}
END_TEST

static int64_t
fake_clock(void *arg)
{
	return *(int64_t *)arg;
}

START_TEST(test_ratelimit_template_example)
{
	int64_t now = 1000000;
	struct ratelimit *rl = ratelimit_new(11, 60000, 600000, fake_clock, &now);
	int64_t retry = 0;

	/* Five logins (2 points each) pass; the sixth is rejected and starts the block. */
	for (int i = 0; i < 5; i++)
		ck_assert(ratelimit_consume(rl, "10.0.0.1", 2, NULL));
	ck_assert(!ratelimit_consume(rl, "10.0.0.1", 2, &retry));
	ck_assert_int_eq(retry, 600000);
	/* Another IP is independent. */
	ck_assert(ratelimit_consume(rl, "10.0.0.2", 2, NULL));
	/* Blocked for 600 s, beyond the 60 s window, even for a 1-point route. */
	now += 61000;
	ck_assert(!ratelimit_consume(rl, "10.0.0.1", 1, NULL));
	now += 600000 - 61000 - 1;
	ck_assert(!ratelimit_consume(rl, "10.0.0.1", 1, NULL));
	now += 1;
	ck_assert(ratelimit_consume(rl, "10.0.0.1", 1, NULL));
	ratelimit_free(rl);
}
END_TEST

START_TEST(test_ratelimit_fixed_window)
{
	int64_t now = 0;
	struct ratelimit *rl = ratelimit_new(11, 60000, 600000, fake_clock, &now);

	for (int i = 0; i < 11; i++)
		ck_assert(ratelimit_consume(rl, "ip", 1, NULL));
	/* The window started at the first consumption: it resets 60 s later, not later. */
	now = 59999;
	ck_assert(!ratelimit_consume(rl, "ip", 1, NULL));
	ratelimit_free(rl);

	now = 0;
	rl = ratelimit_new(11, 60000, 600000, fake_clock, &now);
	for (int i = 0; i < 11; i++)
		ck_assert(ratelimit_consume(rl, "ip", 1, NULL));
	now = 60000;
	ck_assert(ratelimit_consume(rl, "ip", 1, NULL));
	/* Expired keys are swept, so memory stays bounded. */
	ck_assert(ratelimit_consume(rl, "other", 1, NULL));
	ck_assert_uint_eq(ratelimit_size(rl), 2);
	now = 200000;
	ck_assert(ratelimit_consume(rl, "third", 1, NULL));
	ck_assert_uint_eq(ratelimit_size(rl), 1);
	ratelimit_free(rl);
}
END_TEST

static void *
consume_many(void *arg)
{
	struct ratelimit *rl = arg;
	long rejected = 0;

	for (int i = 0; i < 5000; i++)
		if (!ratelimit_consume(rl, "shared", 1, NULL))
			rejected++;
	return (void *)rejected;
}

START_TEST(test_ratelimit_threads)
{
	int64_t now = 0;
	struct ratelimit *rl = ratelimit_new(20000, 60000, 0, fake_clock, &now);
	pthread_t t[4];
	void *res;

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, consume_many, rl);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], &res);
		ck_assert_int_eq((long)res, 0);
	}
	/* Exactly 20000 points were counted: the next one is over budget. */
	ck_assert(!ratelimit_consume(rl, "shared", 1, NULL));
	ratelimit_free(rl);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("auth-password");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_argon2id_roundtrip);
	tcase_add_test(tc, test_argon2id_default_params_encoded);
	tcase_add_test(tc, test_bcrypt_template_hashes);
	tcase_add_test(tc, test_bcrypt_72_bytes);
	tcase_add_test(tc, test_garbage_hashes);
	tcase_add_test(tc, test_hotp_rfc4226);
	tcase_add_test(tc, test_totp_rfc6238);
	tcase_add_test(tc, test_base32_rfc4648);
	tcase_add_test(tc, test_totp_verify_window_and_reuse);
	tcase_add_test(tc, test_totp_secret_and_url);
	tcase_add_test(tc, test_ratelimit_template_example);
	tcase_add_test(tc, test_ratelimit_fixed_window);
	tcase_add_test(tc, test_ratelimit_threads);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
