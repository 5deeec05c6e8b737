/* Session store on "sessionStore" / "sessionStoreToken" (platform-runtime §4). */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fatal.h"
#include "json.h"
#include "pg.h"
#include "timeutil.h"

#define SESSION_LEAK_JOB "compas.sessionStore.potentialLeakedSession"

static const char session_sql_load[] = "SELECT " SESSION_COLUMNS " FROM " SESSION_FROM;

static const char session_sql_insert[] =
    "INSERT INTO \"sessionStore\" (data, checksum) VALUES ($1::jsonb, $2) RETURNING id";

/* $1 session, $2 refresh expiry ms, $3 access expiry ms, $4 now ms. Returns access id,
 * refresh id. */
static const char session_sql_pair[] =
    "WITH r AS (INSERT INTO \"sessionStoreToken\" (session, \"expiresAt\", \"createdAt\") "
    "VALUES ($1, to_timestamp($2::float8 / 1000), to_timestamp($4::float8 / 1000)) "
    "RETURNING id) "
    "INSERT INTO \"sessionStoreToken\" (session, \"expiresAt\", \"refreshToken\", "
    "\"createdAt\") SELECT $1, to_timestamp($3::float8 / 1000), r.id, "
    "to_timestamp($4::float8 / 1000) FROM r RETURNING id, \"refreshToken\"";

static const char session_sql_refresh_lock[] =
    "SELECT s.id, s.\"revokedAt\" IS NOT NULL, "
    "r.\"revokedAt\" IS NOT NULL AND r.\"revokedAt\" + make_interval(secs => $2::float8) < "
    "now() "
    "FROM \"sessionStoreToken\" r JOIN \"sessionStore\" s ON s.id = r.session "
    "WHERE r.id = $1 AND r.\"refreshToken\" IS NULL FOR UPDATE OF r";

/* The grace window is fixed from the first revocation: COALESCE keeps it. */
static const char session_sql_revoke_pair[] =
    "UPDATE \"sessionStoreToken\" SET \"revokedAt\" = COALESCE(\"revokedAt\", now()) "
    "WHERE id = $1 OR \"refreshToken\" = $1";

static const char session_sql_leak_job[] =
    "INSERT INTO job (name, priority, data) "
    "SELECT '" SESSION_LEAK_JOB "', 5, jsonb_build_object('report', jsonb_build_object("
    "'session', jsonb_build_object('id', s.id, 'revokedAt', COALESCE(s.\"revokedAt\", now()), "
    "'createdAt', s.\"createdAt\", 'updatedAt', s.\"updatedAt\", 'tokens', "
    "COALESCE((SELECT jsonb_agg(jsonb_build_object('id', t.id, 'createdAt', t.\"createdAt\", "
    "'revokedAt', t.\"revokedAt\", 'expiresAt', t.\"expiresAt\") ORDER BY t.\"createdAt\") "
    "FROM \"sessionStoreToken\" t WHERE t.session = s.id AND t.\"refreshToken\" IS NOT "
    "NULL), '[]'::jsonb)))) FROM \"sessionStore\" s WHERE s.id = $1";

static const char session_sql_invalidate[] =
    "WITH s AS (UPDATE \"sessionStore\" SET \"revokedAt\" = now(), \"updatedAt\" = now() "
    "WHERE id = $1 AND \"revokedAt\" IS NULL) "
    "UPDATE \"sessionStoreToken\" SET \"revokedAt\" = now() "
    "WHERE session = $1 AND \"revokedAt\" IS NULL";

static uint32_t
session_crc32(const unsigned char *p, size_t n)
{
	uint32_t crc = 0xFFFFFFFFu;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return crc ^ 0xFFFFFFFFu;
}

void
session_checksum(const cJSON *data, char out[16])
{
	char *json = data != NULL ? json_print(data) : xstrdup("{}");

	snprintf(out, 16, "%x", session_crc32((const unsigned char *)json, strlen(json)));
	free(json);
}

void
session_clear(struct session *sess)
{
	cJSON_Delete(sess->data);
	memset(sess, 0, sizeof(*sess));
}

struct err *
session_prepare(PGconn *db)
{
	struct err *e = pg_prepare(db, "session_load", session_sql_load, 1);

	if (e == NULL)
		e = pg_prepare(db, "session_pair", session_sql_pair, 4);
	if (e == NULL)
		e = pg_prepare(db, "session_insert", session_sql_insert, 2);
	return e;
}

/* Insert a token pair for session_id and sign it. */
static struct err *
session_new_pair(PGconn *db, const struct session_settings *s, const char *session_id,
                 struct session_tokens *out)
{
	int64_t now = timeutil_now_ms();
	int64_t rexp = now + s->refresh_ttl_s * 1000, aexp = now + s->access_ttl_s * 1000;
	char rbuf[24], abuf[24], nbuf[24];
	const char *params[4] = { session_id, rbuf, abuf, nbuf };
	struct err *e = NULL;
	PGresult *r;
	cJSON *p;

	/* JWT exp = floor(expiresAt_ms / 1000); store the ms value the JWT rounds down. */
	snprintf(rbuf, sizeof(rbuf), "%lld", (long long)rexp);
	snprintf(abuf, sizeof(abuf), "%lld", (long long)aexp);
	snprintf(nbuf, sizeof(nbuf), "%lld", (long long)now);
	r = pg_query_prepared(db, "session_pair", 4, params, &e);
	if (r == NULL)
		return e;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return err_internal("session: token pair insert returned no row");
	}
	p = json_object();
	cJSON_AddNumberToObject(p, "exp", (double)(aexp / 1000));
	cJSON_AddStringToObject(p, "compasSessionAccessToken", pg_get(r, 0, 0));
	if (jwt_sign(p, s->signing_key, out->access) == 0)
		e = err_internal("session: access token too long");
	cJSON_Delete(p);
	p = json_object();
	cJSON_AddNumberToObject(p, "exp", (double)(rexp / 1000));
	cJSON_AddStringToObject(p, "compasSessionRefreshToken", pg_get(r, 0, 1));
	if (e == NULL && jwt_sign(p, s->signing_key, out->refresh) == 0)
		e = err_internal("session: refresh token too long");
	cJSON_Delete(p);
	PQclear(r);
	return e;
}

struct err *
session_create(PGconn *db, const struct session_settings *s, const cJSON *data,
               struct session_tokens *out, char session_id[UUID_STR_LEN])
{
	char checksum[16];
	char *json = json_print(data);
	const char *params[2] = { json, checksum };
	struct err *e = NULL;
	PGresult *r;

	session_checksum(data, checksum);
	r = pg_query_prepared(db, "session_insert", 2, params, &e);
	free(json);
	if (r == NULL)
		return e;
	snprintf(session_id, UUID_STR_LEN, "%s", pg_get(r, 0, 0));
	PQclear(r);
	return session_new_pair(db, s, session_id, out);
}

const char *
session_bearer_token(const char *authorization)
{
	if (authorization == NULL || strncmp(authorization, "Bearer", 6) != 0)
		return NULL;
	authorization += 6;
	while (*authorization == ' ' || *authorization == '\t')
		authorization++;
	return authorization;
}

/* The uuid string claim name of payload into out; false when missing or malformed. */
static bool
session_claim(const cJSON *payload, const char *name, char out[UUID_STR_LEN])
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(payload, name);

	return cJSON_IsString(v) && uuid_normalize(v->valuestring, out);
}

struct err *
session_verify_access(const struct session_settings *s, const char *access_token,
                      char token_id[UUID_STR_LEN])
{
	struct err *e = NULL;
	char trimmed[JWT_MAX_LEN];
	size_t len;
	cJSON *p;

	if (access_token == NULL)
		return err_new("sessionStore.verifyAndDecodeJWT.missingToken", 401, NULL);
	len = strlen(access_token);
	while (len > 0 && (access_token[len - 1] == ' ' || access_token[len - 1] == '\t'))
		len--;
	if (len >= sizeof(trimmed))
		return err_new("sessionStore.verifyAndDecodeJWT.invalidToken", 401, NULL);
	memcpy(trimmed, access_token, len);
	trimmed[len] = '\0';
	p = jwt_verify(trimmed, s->signing_key, timeutil_now_ms(), &e);
	if (p == NULL)
		return e;
	if (!session_claim(p, "compasSessionAccessToken", token_id))
		e = err_new("sessionStore.get.invalidAccessToken", 401, NULL);
	cJSON_Delete(p);
	return e;
}

struct err *
session_from_result(const PGresult *r, const char *token_id, struct session *out)
{
	memset(out, 0, sizeof(*out));
	if (PQntuples(r) != 1)
		return err_new("sessionStore.get.invalidSession", 401, NULL);
	if (pg_get_bool(r, 0, 3) || pg_get_bool(r, 0, 4))
		return err_new("sessionStore.get.revokedToken", 401, NULL);
	snprintf(out->id, sizeof(out->id), "%s", pg_get(r, 0, 0));
	snprintf(out->token_id, sizeof(out->token_id), "%s", token_id);
	out->data = pg_get_json(r, 0, 1);
	if (out->data == NULL)
		out->data = json_object();
	snprintf(out->checksum, sizeof(out->checksum), "%s", pg_get(r, 0, 2));
	return NULL;
}

struct err *
session_load(PGconn *db, const struct session_settings *s, const char *access_token,
             struct session *out)
{
	char token_id[UUID_STR_LEN];
	const char *params[1] = { token_id };
	struct err *e = session_verify_access(s, access_token, token_id);
	PGresult *r;

	memset(out, 0, sizeof(*out));
	if (e != NULL)
		return e;
	r = pg_query_prepared(db, "session_load", 1, params, &e);
	if (r == NULL)
		return e;
	e = session_from_result(r, token_id, out);
	PQclear(r);
	return e;
}

/* Reuse after the grace window: report, revoke, and refuse (in the open transaction). */
static struct err *
session_leaked(PGconn *db, const char *session_id)
{
	const char *params[1] = { session_id };
	struct err *e = pg_exec(db, session_sql_leak_job, 1, params);

	if (e == NULL)
		e = session_invalidate(db, session_id);
	return e;
}

/* Inside the transaction: lock the refresh row and decide. */
static struct err *
session_refresh_locked(PGconn *db, const struct session_settings *s, const char *token_id,
                       struct session_tokens *out, bool *leaked)
{
	char grace[24], session_id[UUID_STR_LEN];
	const char *params[2] = { token_id, grace };
	struct err *e = NULL;
	bool session_revoked;
	PGresult *r;

	snprintf(grace, sizeof(grace), "%lld", (long long)s->grace_s);
	r = pg_query(db, session_sql_refresh_lock, 2, params, &e);
	if (r == NULL)
		return e;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return err_new("sessionStore.refreshTokens.invalidSession", 401, NULL);
	}
	snprintf(session_id, sizeof(session_id), "%s", pg_get(r, 0, 0));
	session_revoked = pg_get_bool(r, 0, 1);
	*leaked = pg_get_bool(r, 0, 2);
	PQclear(r);
	if (session_revoked)
		return err_new("sessionStore.refreshTokens.revokedToken", 401, NULL);
	if (*leaked)
		return session_leaked(db, session_id);
	e = pg_exec(db, session_sql_revoke_pair, 1, params);
	if (e == NULL)
		e = session_new_pair(db, s, session_id, out);
	return e;
}

struct err *
session_refresh(PGconn *db, const struct session_settings *s, const char *refresh_token,
                struct session_tokens *out)
{
	char token_id[UUID_STR_LEN];
	struct err *e = NULL;
	cJSON *p = jwt_verify(refresh_token, s->signing_key, timeutil_now_ms(), &e);
	bool ok, leaked = false;

	if (p == NULL)
		return e;
	ok = session_claim(p, "compasSessionRefreshToken", token_id);
	cJSON_Delete(p);
	if (!ok)
		return err_new("sessionStore.refreshTokens.invalidRefreshToken", 401, NULL);
	e = pg_begin(db);
	if (e != NULL)
		return e;
	e = session_refresh_locked(db, s, token_id, out, &leaked);
	if (e == NULL && leaked) {
		/* reuse after the grace: keep the report and the revocation, refuse */
		e = pg_commit(db);
		if (e == NULL)
			return err_new("sessionStore.refreshTokens.revokedToken", 401, NULL);
	}
	if (e != NULL) {
		pg_rollback(db);
		return e;
	}
	e = pg_commit(db);
	if (e != NULL)
		pg_rollback(db);
	return e;
}

struct err *
session_update(PGconn *db, struct session *sess)
{
	char checksum[16];
	char *json;
	const char *params[3];
	struct err *e;

	session_checksum(sess->data, checksum);
	if (strcmp(checksum, sess->checksum) == 0)
		return NULL;
	json = json_print(sess->data);
	params[0] = sess->id;
	params[1] = json;
	params[2] = checksum;
	e = pg_exec(db,
	            "UPDATE \"sessionStore\" SET data = $2::jsonb, checksum = $3, "
	            "\"updatedAt\" = now() WHERE id = $1",
	            3, params);
	free(json);
	if (e == NULL)
		memcpy(sess->checksum, checksum, sizeof(checksum));
	return e;
}

struct err *
session_invalidate(PGconn *db, const char *session_id)
{
	const char *params[1] = { session_id };

	return pg_exec(db, session_sql_invalidate, 1, params);
}

struct err *
session_delete(PGconn *db, const char *session_id)
{
	const char *params[1] = { session_id };

	return pg_exec(db, "DELETE FROM \"sessionStore\" WHERE id = $1", 1, params);
}

struct err *
session_delete_for_user(PGconn *db, const char *user_id, const char *except_id)
{
	const char *params[2] = { user_id, except_id };

	return pg_exec(db,
	               "DELETE FROM \"sessionStore\" WHERE (data->>'userId') = $1 "
	               "AND ($2::uuid IS NULL OR id <> $2::uuid)",
	               2, params);
}
