/* The Compas session store (platform-runtime §4): sessions with JSON data, HS256
 * access/refresh token pairs stored as "sessionStoreToken" rows, refresh rotation with
 * a grace window fixed from the first revocation (DECISIONS §13.15), and reuse
 * detection that revokes the session and enqueues
 * compas.sessionStore.potentialLeakedSession. Every error is already 401 (seed §4.3). */
#ifndef AUTH_SESSION_H
#define AUTH_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "err.h"
#include "jwt.h"
#include "uuid.h"

struct session_settings {
	const char *signing_key;
	int64_t access_ttl_s;
	int64_t refresh_ttl_s;
	int64_t grace_s;
};

struct session_tokens {
	char access[JWT_MAX_LEN];
	char refresh[JWT_MAX_LEN];
};

struct session {
	char id[UUID_STR_LEN];
	char token_id[UUID_STR_LEN]; /* the access token row it was loaded with */
	cJSON *data;                 /* owned: session_clear() frees it */
	char checksum[16];
};

/* Insert a session with data (borrowed) and a token pair. Runs on db as is (callers
 * wrap login + device in one transaction). */
struct err *session_create(PGconn *db, const struct session_settings *s, const cJSON *data,
                           struct session_tokens *out, char session_id[UUID_STR_LEN]);
/* Columns and FROM clause that load a session by access token id ($1); callers that
 * need more in the same statement (the api's user check) append their own columns
 * after these five and read them with session_from_result(). */
#define SESSION_COLUMNS                                                                            \
	"s.id, s.data, s.checksum, s.\"revokedAt\" IS NOT NULL, "                                  \
	"(t.\"revokedAt\" IS NOT NULL AND t.\"revokedAt\" <= now())"
#define SESSION_FROM                                                                               \
	"\"sessionStoreToken\" t JOIN \"sessionStore\" s ON s.id = t.session "                     \
	"WHERE t.id = $1 AND t.\"refreshToken\" IS NOT NULL"
/* Verify an access token JWT; writes the access token row id. */
struct err *session_verify_access(const struct session_settings *s, const char *access_token,
                                  char token_id[UUID_STR_LEN]);
/* Fill out from SESSION_COLUMNS at row 0 (401 get.invalidSession without a row,
 * get.revokedToken when revoked). */
struct err *session_from_result(const PGresult *r, const char *token_id, struct session *out);
/* Verify an access token and load its session (one prepared statement). */
struct err *session_load(PGconn *db, const struct session_settings *s, const char *access_token,
                         struct session *out);
/* The access token of an Authorization header value ("Bearer <token>"), or NULL. */
const char *session_bearer_token(const char *authorization);
/* Rotate a refresh token (own transaction). */
struct err *session_refresh(PGconn *db, const struct session_settings *s, const char *refresh_token,
                            struct session_tokens *out);
/* Save changed data (skipped when the checksum is unchanged). */
struct err *session_update(PGconn *db, struct session *sess);
/* Revoke the session and all its tokens. */
struct err *session_invalidate(PGconn *db, const char *session_id);
/* Hard delete (tokens and device cascade). */
struct err *session_delete(PGconn *db, const char *session_id);
/* Hard delete every session of a user (optionally except one). */
struct err *session_delete_for_user(PGconn *db, const char *user_id, const char *except_id);
/* CRC-32 of the compact JSON of data as lowercase hex (the template's checksum). */
void session_checksum(const cJSON *data, char out[16]);
void session_clear(struct session *sess);
/* Prepare the statements this module uses on a fresh connection. */
struct err *session_prepare(PGconn *db);

#endif
