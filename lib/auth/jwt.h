/* HS256 JSON Web Tokens (JWS compact form) as the Compas session store issues them:
 * header {"alg":"HS256","typ":"JWT"}, base64url segments, HMAC-SHA256 via OpenSSL EVP.
 * The signature is always checked with HS256 whatever the header says (so "none" and
 * other algorithms never verify), and compared in constant time. */
#ifndef AUTH_JWT_H
#define AUTH_JWT_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "err.h"

#define JWT_MAX_LEN 512

/* Sign payload (borrowed) with key into out (JWT_MAX_LEN). Returns the length, or 0
 * when the token would not fit. */
size_t jwt_sign(const cJSON *payload, const char *key, char out[JWT_MAX_LEN]);

/* Verify token (seconds clock now_s) and return its payload (caller owns). Errors,
 * as platform-runtime §4.4 (statuses already normalised to 401):
 *   sessionStore.verifyAndDecodeJWT.missingToken  (NULL, < 6 chars, not 3 parts)
 *   sessionStore.verifyAndDecodeJWT.invalidToken  (bad signature or payload)
 *   sessionStore.verifyAndDecodeJWT.expiredToken  (exp * 1000 < now) */
cJSON *jwt_verify(const char *token, const char *key, int64_t now_ms, struct err **errp);

#endif
