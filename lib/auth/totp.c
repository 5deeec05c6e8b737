/* HOTP/TOTP with OpenSSL's HMAC (EVP_MAC), base32 and otpauth URLs. */
#include "totp.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ct.h"
#include "random.h"

static const char totp_b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char totp_secret_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789!@#$%^&*()<>?/[]{},.:;";

void
totp_hotp(enum totp_alg alg, const uint8_t *key, size_t keylen, uint64_t counter, int digits,
          char out[TOTP_CODE_MAX])
{
	uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	uint32_t bin, mod = 1;
	unsigned off;

	for (int i = 7; i >= 0; i--) {
		msg[i] = (uint8_t)(counter & 0xff);
		counter >>= 8;
	}
	if (HMAC(alg == TOTP_SHA1 ? EVP_sha1() : EVP_sha512(), key, (int)keylen, msg, sizeof(msg),
	         mac, &maclen) == NULL ||
	    maclen < 20) {
		memset(out, 0, TOTP_CODE_MAX); /* impossible with these digests */
		return;
	}
	off = mac[maclen - 1] & 0x0f;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
	      ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
	if (digits < 6)
		digits = 6;
	if (digits > 9) {
		snprintf(out, TOTP_CODE_MAX, "%010u", bin); /* 31-bit value: at most 10 digits */
		return;
	}
	for (int i = 0; i < digits; i++)
		mod *= 10;
	snprintf(out, TOTP_CODE_MAX, "%0*u", digits, bin % mod);
}

int64_t
totp_step(int64_t unix_s)
{
	return unix_s >= 0 ? unix_s / TOTP_STEP_S : -((-unix_s + TOTP_STEP_S - 1) / TOTP_STEP_S);
}

static bool
totp_code_is_valid(const char *code)
{
	if (code == NULL || strlen(code) != TOTP_DIGITS)
		return false;
	for (int i = 0; i < TOTP_DIGITS; i++)
		if (!isdigit((unsigned char)code[i]))
			return false;
	return true;
}

bool
totp_verify(enum totp_alg alg, const char *secret_b32, const char *code, int64_t now_s, int window,
            int64_t last_used_step, int64_t *matched)
{
	uint8_t key[128];
	long keylen;
	int64_t now_step = totp_step(now_s), found = TOTP_NO_STEP;
	char cand[TOTP_CODE_MAX];

	if (!totp_code_is_valid(code) || secret_b32 == NULL)
		return false;
	keylen = totp_base32_decode(secret_b32, key, sizeof(key));
	if (keylen <= 0)
		return false;
	for (int64_t s = now_step - window; s <= now_step + window; s++) {
		totp_hotp(alg, key, (size_t)keylen, (uint64_t)s, TOTP_DIGITS, cand);
		/* Evaluate every candidate; keep the first (oldest) match not used before. */
		if (ct_streq(cand, code) && s > last_used_step && found == TOTP_NO_STEP)
			found = s;
	}
	explicit_bzero(key, sizeof(key));
	if (found == TOTP_NO_STEP)
		return false;
	if (matched != NULL)
		*matched = found;
	return true;
}

bool
totp_now(enum totp_alg alg, const char *secret_b32, int64_t now_s, char out[TOTP_CODE_MAX])
{
	uint8_t key[128];
	long keylen = totp_base32_decode(secret_b32, key, sizeof(key));

	if (keylen <= 0)
		return false;
	totp_hotp(alg, key, (size_t)keylen, (uint64_t)totp_step(now_s), TOTP_DIGITS, out);
	explicit_bzero(key, sizeof(key));
	return true;
}

void
totp_generate_secret(char out[TOTP_SECRET_LEN])
{
	uint8_t raw[TOTP_SECRET_CHARS];
	uint32_t n = (uint32_t)(sizeof(totp_secret_chars) - 1);

	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)totp_secret_chars[random_uniform(n)];
	totp_base32_encode(raw, sizeof(raw), out, TOTP_SECRET_LEN);
	explicit_bzero(raw, sizeof(raw));
}

size_t
totp_base32_encode(const uint8_t *in, size_t inlen, char *out, size_t outlen)
{
	size_t need = (inlen * 8 + 4) / 5, o = 0;
	uint32_t buf = 0;
	int bits = 0;

	if (outlen < need + 1)
		return 0;
	for (size_t i = 0; i < inlen; i++) {
		buf = (buf << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = totp_b32_alphabet[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = totp_b32_alphabet[(buf << (5 - bits)) & 31];
	out[o] = '\0';
	return o;
}

static int
totp_b32_value(char c)
{
	c = (char)toupper((unsigned char)c);
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

long
totp_base32_decode(const char *in, uint8_t *out, size_t outlen)
{
	uint32_t buf = 0;
	int bits = 0;
	size_t o = 0, len = strlen(in);

	while (len > 0 && in[len - 1] == '=')
		len--;
	for (size_t i = 0; i < len; i++) {
		int v = totp_b32_value(in[i]);

		if (v < 0)
			return -1;
		buf = (buf << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			if (o >= outlen)
				return -1;
			out[o++] = (uint8_t)((buf >> (bits - 8)) & 0xff);
			bits -= 8;
		}
	}
	return (long)o;
}

bool
totp_otpauth_url(const char *app_name, const char *secret_b32, char *out, size_t outlen)
{
	size_t o;
	int n = snprintf(out, outlen, "otpauth://totp/");

	if (n < 0 || (size_t)n >= outlen)
		return false;
	o = (size_t)n;
	for (const unsigned char *p = (const unsigned char *)app_name; *p != '\0'; p++) {
		bool plain = isalnum(*p) || strchr("-._~", *p) != NULL;

		n = plain ? snprintf(out + o, outlen - o, "%c", *p)
		          : snprintf(out + o, outlen - o, "%%%02X", *p);
		if (n < 0 || (size_t)n >= outlen - o)
			return false;
		o += (size_t)n;
	}
	n = snprintf(out + o, outlen - o, "?secret=%s&algorithm=SHA512", secret_b32);
	return n >= 0 && (size_t)n < outlen - o;
}
