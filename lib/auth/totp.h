/* HOTP/TOTP (RFC 4226/6238) over OpenSSL HMAC with SHA-1 or SHA-512, base32 secrets
 * (RFC 4648, no padding) and otpauth:// URLs. The template's secret is the base32 text
 * of 32 random characters; its decoded bytes are the HMAC key. */
#ifndef AUTH_TOTP_H
#define AUTH_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum totp_alg { TOTP_SHA1, TOTP_SHA512 };

#define TOTP_STEP_S       30
#define TOTP_DIGITS       6
#define TOTP_SECRET_CHARS 32 /* random characters before base32 */
#define TOTP_SECRET_LEN   53 /* base32 of 32 bytes (52) + NUL */
#define TOTP_CODE_MAX     11 /* up to 10 digits + NUL */
#define TOTP_NO_STEP      INT64_MIN

/* The HOTP value of counter, as a zero-padded decimal string of digits (6..10). */
void totp_hotp(enum totp_alg alg, const uint8_t *key, size_t keylen, uint64_t counter, int digits,
               char out[TOTP_CODE_MAX]);
/* The step (counter) of unix time t. */
int64_t totp_step(int64_t unix_s);

/* True when code (exactly TOTP_DIGITS digits) is the code of a step in
 * [step(now)-window, step(now)+window] that is greater than last_used_step
 * (TOTP_NO_STEP: none used); *matched gets that step. Every candidate is compared in
 * constant time, and all of them are always computed. */
bool totp_verify(enum totp_alg alg, const char *secret_b32, const char *code, int64_t now_s,
                 int window, int64_t last_used_step, int64_t *matched);
/* The current code for secret_b32 (false when the secret does not decode). */
bool totp_now(enum totp_alg alg, const char *secret_b32, int64_t now_s, char out[TOTP_CODE_MAX]);

/* A new secret as the template makes it: 32 characters from
 * [A-Za-z0-9!@#$%^&*()<>?/[]{},.:;], base32-encoded without padding (52 chars). */
void totp_generate_secret(char out[TOTP_SECRET_LEN]);

/* base32 (RFC 4648 alphabet, upper case, no padding). encode returns the length
 * written (0 when outlen is too small); decode ignores case and trailing '=', and
 * returns the byte count or -1 for bad characters or too small a buffer. */
size_t totp_base32_encode(const uint8_t *in, size_t inlen, char *out, size_t outlen);
long totp_base32_decode(const char *in, uint8_t *out, size_t outlen);

/* otpauth://totp/<app>?secret=<secret>&algorithm=SHA512 (the app name percent-encoded
 * where it is not URL-safe). Returns false when outlen is too small. */
bool totp_otpauth_url(const char *app_name, const char *secret_b32, char *out, size_t outlen);

#endif
