/* HS256 JWT signing and verification (OpenSSL EVP_Q_mac, constant-time compare). */
#include "jwt.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "ct.h"
#include "fatal.h"
#include "json.h"

/* base64url of {"alg":"HS256","typ":"JWT"} */
#define JWT_HEADER_B64 "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"

static bool
jwt_hmac(const char *key, const char *data, size_t len, unsigned char mac[32])
{
	size_t maclen = 0;

	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, strlen(key),
	              (const unsigned char *)data, len, mac, 32, &maclen) == NULL)
		return false;
	return maclen == 32;
}

size_t
jwt_sign(const cJSON *payload, const char *key, char out[JWT_MAX_LEN])
{
	char *json = json_print(payload);
	size_t jlen = strlen(json), hlen = strlen(JWT_HEADER_B64), n;
	unsigned char mac[32];

	if (hlen + 1 + b64url_encoded_len(jlen) + 1 + b64url_encoded_len(32) + 1 > JWT_MAX_LEN) {
		free(json);
		return 0;
	}
	memcpy(out, JWT_HEADER_B64, hlen);
	out[hlen] = '.';
	n = hlen + 1 + b64url_encode(json, jlen, out + hlen + 1);
	free(json);
	if (!jwt_hmac(key, out, n, mac))
		fatal("jwt: HMAC-SHA256 failed");
	out[n++] = '.';
	n += b64url_encode(mac, sizeof(mac), out + n);
	out[n] = '\0';
	return n;
}

static cJSON *
jwt_fail(struct err **errp, const char *key)
{
	*errp = err_new(key, 401, NULL);
	return NULL;
}

cJSON *
jwt_verify(const char *token, const char *key, int64_t now_ms, struct err **errp)
{
	const char *dot1, *dot2;
	unsigned char mac[32], given[64];
	char payload[JWT_MAX_LEN];
	ssize_t plen, glen;
	size_t len;
	cJSON *p, *exp;

	*errp = NULL;
	len = token != NULL ? strlen(token) : 0;
	if (len < 6 || len >= JWT_MAX_LEN)
		return jwt_fail(errp, len < 6 ? "sessionStore.verifyAndDecodeJWT.missingToken"
		                              : "sessionStore.verifyAndDecodeJWT.invalidToken");
	dot1 = strchr(token, '.');
	dot2 = dot1 != NULL ? strchr(dot1 + 1, '.') : NULL;
	if (dot1 == NULL || dot2 == NULL || strchr(dot2 + 1, '.') != NULL)
		return jwt_fail(errp, "sessionStore.verifyAndDecodeJWT.missingToken");
	/* Always HS256, whatever the header claims ("none" never verifies). */
	if (!jwt_hmac(key, token, (size_t)(dot2 - token), mac)) {
		*errp = err_internal("jwt: HMAC-SHA256 failed");
		return NULL;
	}
	glen = b64url_decode(dot2 + 1, strlen(dot2 + 1), given);
	if (glen != 32 || !ct_equal(mac, sizeof(mac), given, (size_t)glen))
		return jwt_fail(errp, "sessionStore.verifyAndDecodeJWT.invalidToken");
	plen = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), payload);
	p = plen > 0 ? cJSON_ParseWithLength(payload, (size_t)plen) : NULL;
	if (p == NULL || !cJSON_IsObject(p)) {
		cJSON_Delete(p);
		return jwt_fail(errp, "sessionStore.verifyAndDecodeJWT.invalidToken");
	}
	exp = cJSON_GetObjectItemCaseSensitive(p, "exp");
	/* A missing exp never counts as expired (Compas); we never issue one. */
	if (cJSON_IsNumber(exp) && exp->valuedouble * 1000.0 < (double)now_ms) {
		cJSON_Delete(p);
		return jwt_fail(errp, "sessionStore.verifyAndDecodeJWT.expiredToken");
	}
	return p;
}
