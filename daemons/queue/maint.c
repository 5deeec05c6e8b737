/* Maintenance handlers. Each is one or a few parameterized statements inside the job's
 * transaction, and logs what it removed. */
#include "maint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "management.h"
#include "pg.h"
#include "storage.h"
#include "uuid.h"

/* Run sql with params; *rows gets the affected row count. */
static struct err *
maint_exec(struct handler_ctx *ctx, const char *sql, int n, const char *const *params,
           int64_t *rows)
{
	struct err *e = NULL;
	PGresult *r = pg_query(ctx->conn, sql, n, params, &e);

	if (r == NULL)
		return e;
	if (rows != NULL)
		*rows = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return NULL;
}

/* data[name] as a whole number of days, or def. */
static struct err *
maint_days(const struct job *j, const char *name, int64_t def, int64_t *out)
{
	*out = def;
	return json_get_int(j->data, "$", name, false, 0, 36500, out);
}

struct err *
maint_queue_cleanup(struct handler_ctx *ctx, const struct job *j)
{
	int64_t days, removed = 0;
	char d[24];
	const char *params[1] = { d };
	struct err *e = maint_days(j, "queueHistoryInDays", 5, &days);
	cJSON *m;

	if (e != NULL)
		return e;
	snprintf(d, sizeof(d), "%lld", (long long)days);
	/* failed jobs are kept until an operator retries or removes them */
	e = maint_exec(ctx,
	               "DELETE FROM \"job\" WHERE \"isComplete\" AND \"failedAt\" IS NULL "
	               "AND \"updatedAt\" < now() - make_interval(days => $1::int)",
	               1, params, &removed);
	if (e != NULL)
		return e;
	m = json_object();
	cJSON_AddNumberToObject(m, "removedCompletedJobs", (double)removed);
	handler_log(ctx, j, "queue_cleanup", m);
	return NULL;
}

struct err *
maint_queue_insights(struct handler_ctx *ctx, const struct job *j)
{
	struct err *e = NULL;
	PGresult *r = pg_query(ctx->conn,
	                       "SELECT count(*) FILTER (WHERE NOT \"isComplete\" AND "
	                       "\"scheduledAt\" < now()), count(*) FILTER (WHERE NOT "
	                       "\"isComplete\" AND \"scheduledAt\" >= now()), count(*) FILTER "
	                       "(WHERE \"failedAt\" IS NOT NULL) FROM \"job\"",
	                       0, NULL, &e);
	cJSON *m;

	if (r == NULL)
		return e;
	m = json_object();
	cJSON_AddNumberToObject(m, "pendingCount", (double)pg_get_int64(r, 0, 0));
	cJSON_AddNumberToObject(m, "scheduledCount", (double)pg_get_int64(r, 0, 1));
	cJSON_AddNumberToObject(m, "failedCount", (double)pg_get_int64(r, 0, 2));
	PQclear(r);
	handler_log(ctx, j, "queue_insights", m);
	return NULL;
}

/* platform-runtime §4.7. */
struct err *
maint_session_cleanup(struct handler_ctx *ctx, const struct job *j)
{
	int64_t revoked_days, lifetime_days = 0, tokens = 0, sessions = 0, old = 0;
	char d[24], l[24];
	const char *params[1] = { d }, *lparams[1] = { l };
	struct err *e;
	cJSON *m;

	if ((e = maint_days(j, "maxRevokedAgeInDays", 14, &revoked_days)) != NULL ||
	    (e = maint_days(j, "maxSessionLifetimeInDays", 0, &lifetime_days)) != NULL)
		return e;
	snprintf(d, sizeof(d), "%lld", (long long)revoked_days);
	snprintf(l, sizeof(l), "%lld", (long long)lifetime_days);
	e = maint_exec(ctx,
	               "DELETE FROM \"sessionStoreToken\" WHERE \"refreshToken\" IS NULL AND "
	               "(\"expiresAt\" < now() - make_interval(days => $1::int) OR "
	               "\"revokedAt\" < now() - make_interval(days => $1::int))",
	               1, params, &tokens);
	if (e == NULL)
		e = maint_exec(ctx,
		               "DELETE FROM \"sessionStore\" s WHERE NOT EXISTS (SELECT 1 FROM "
		               "\"sessionStoreToken\" t WHERE t.\"session\" = s.\"id\")",
		               0, NULL, &sessions);
	if (e == NULL && lifetime_days > 1)
		e = maint_exec(ctx,
		               "DELETE FROM \"sessionStore\" WHERE \"createdAt\" < now() - "
		               "make_interval(days => $1::int)",
		               1, lparams, &old);
	if (e != NULL)
		return e;
	m = json_object();
	cJSON_AddNumberToObject(m, "removedTokens", (double)tokens);
	cJSON_AddNumberToObject(m, "removedSessions", (double)(sessions + old));
	handler_log(ctx, j, "sessionStore.cleanup", m);
	return NULL;
}

struct err *
maint_reset_token_cleanup(struct handler_ctx *ctx, const struct job *j)
{
	int64_t removed = 0;
	struct err *e =
	    maint_exec(ctx, "DELETE FROM \"passwordLoginReset\" WHERE \"expiresAt\" < now()", 0,
	               NULL, &removed);
	cJSON *m;

	if (e != NULL)
		return e;
	m = json_object();
	cJSON_AddNumberToObject(m, "removedResetTokens", (double)removed);
	handler_log(ctx, j, "auth.passwordBased.invalidateResetTokens", m);
	return NULL;
}

/* DECISIONS §13.16: attempts older than the throttle window no longer count; keep a day
 * of them for investigation, then purge. */
struct err *
maint_login_attempt_purge(struct handler_ctx *ctx, const struct job *j)
{
	int64_t keep_s = ctx->cfg->auth_login_throttle_window_s, removed = 0;
	char s[24];
	const char *params[1] = { s };
	struct err *e;
	cJSON *m;

	if (keep_s < 86400)
		keep_s = 86400;
	snprintf(s, sizeof(s), "%lld", (long long)keep_s);
	e = maint_exec(ctx,
	               "DELETE FROM \"passwordLoginAttempt\" WHERE \"createdAt\" < now() - "
	               "make_interval(secs => $1::bigint)",
	               1, params, &removed);
	if (e != NULL)
		return e;
	m = json_object();
	cJSON_AddNumberToObject(m, "removedAttempts", (double)removed);
	handler_log(ctx, j, "auth.passwordBased.purgeLoginAttempts", m);
	return NULL;
}

/* Add {createdAt, revokedAt} of the last 4 tokens (by createdAt) to out. */
static void
maint_last_tokens(const cJSON *tokens, cJSON *out)
{
	const cJSON *pick[4] = { NULL };
	const cJSON *t;

	cJSON_ArrayForEach(t, tokens)
	{
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(t, "createdAt");

		if (!cJSON_IsString(c))
			continue;
		for (int i = 0; i < 4; i++) {
			const cJSON *pc =
			    pick[i] != NULL ? cJSON_GetObjectItemCaseSensitive(pick[i], "createdAt")
			                    : NULL;

			if (pc == NULL || strcmp(c->valuestring, pc->valuestring) > 0) {
				memmove(&pick[i + 1], &pick[i], sizeof(pick[0]) * (size_t)(3 - i));
				pick[i] = t;
				break;
			}
		}
	}
	for (int i = 0; i < 4 && pick[i] != NULL; i++) {
		cJSON *o = json_object();
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(pick[i], "revokedAt");

		cJSON_AddItemToObject(
		    o, "createdAt",
		    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(pick[i], "createdAt"), 1));
		cJSON_AddItemToObject(o, "revokedAt",
		                      r != NULL ? cJSON_Duplicate(r, 1) : cJSON_CreateNull());
		cJSON_AddItemToArray(out, o);
	}
}

/* platform-runtime §4.6: log the report, and make sure the session is revoked (the api
 * revokes it when it detects the reuse; this also covers a template api that did not). */
struct err *
maint_leaked_session(struct handler_ctx *ctx, const struct job *j)
{
	const cJSON *report = NULL, *session = NULL, *tokens = NULL;
	const cJSON *revoked;
	const char *id = NULL, *created = NULL;
	char uuid[UUID_STR_LEN];
	struct err *e;
	cJSON *m, *s, *last;

	if ((e = json_get_object(j->data, "$", "report", true, &report)) != NULL ||
	    (e = json_get_object(report, "$.report", "session", true, &session)) != NULL ||
	    (e = json_get_string(session, "$.report.session", "id", true, &id)) != NULL ||
	    (e = json_get_string(session, "$.report.session", "createdAt", false, &created)) !=
	        NULL ||
	    (e = json_get_array(session, "$.report.session", "tokens", false, &tokens)) != NULL)
		return e;
	if (uuid_normalize(id, uuid)) {
		const char *params[1] = { uuid };

		e = maint_exec(ctx,
		               "UPDATE \"sessionStore\" SET \"revokedAt\" = now(), \"updatedAt\" = "
		               "now() WHERE \"id\" = $1::uuid AND \"revokedAt\" IS NULL",
		               1, params, NULL);
		if (e == NULL)
			e = maint_exec(ctx,
			               "UPDATE \"sessionStoreToken\" SET \"revokedAt\" = now() "
			               "WHERE \"session\" = $1::uuid AND \"revokedAt\" IS NULL",
			               1, params, NULL);
		if (e != NULL)
			return e;
	}
	m = json_object();
	s = json_object();
	cJSON_AddStringToObject(s, "id", id);
	cJSON_AddItemToObject(s, "sessionCreated",
	                      created != NULL ? cJSON_CreateString(created) : cJSON_CreateNull());
	revoked = cJSON_GetObjectItemCaseSensitive(session, "revokedAt");
	cJSON_AddItemToObject(s, "sessionRevoked",
	                      revoked != NULL ? cJSON_Duplicate(revoked, 1) : cJSON_CreateNull());
	last = json_array();
	if (tokens != NULL)
		maint_last_tokens(tokens, last);
	cJSON_AddItemToObject(s, "lastRefreshTimes", last);
	cJSON_AddItemToObject(m, "session", s);
	handler_log(ctx, j, "sessionStore.leakedSession.report", m);
	return NULL;
}

/* seed-api §8.2 backendManagement.invalidateUsers. The Slack part of the template
 * (deleting the bot's DMs) needs a bot token; platform posts magic links through a
 * webhook, which cannot delete messages, so there is nothing to delete. */
struct err *
maint_management_purge(struct handler_ctx *ctx, const struct job *j)
{
	long removed = 0;
	struct err *e = management_purge_users(ctx->conn, &removed);
	cJSON *m;

	if (e != NULL)
		return e;
	m = json_object();
	cJSON_AddNumberToObject(m, "removedUsers", (double)removed);
	handler_log(ctx, j, "backendManagement.invalidateUsers", m);
	return NULL;
}

/* Keys looked up per query, as the template deletes per ~1000 keys. */
#define MAINT_ORPHAN_BATCH 1000
/* Stop deleting this long before the job's deadline; the next run continues. */
#define MAINT_ORPHAN_SLACK_MS 2000

struct maint_orphans {
	int64_t removed; /* objects deleted */
	int64_t recent;  /* objects inside the safety margin, not looked at */
	bool truncated;  /* stopped early for the deadline */
};

/* The keys among keys[0..n) that no "file" row has, as the rows of *out. */
static struct err *
maint_orphan_keys(struct handler_ctx *ctx, char *const *keys, size_t n, PGresult **out)
{
	/* Keys are [A-Za-z0-9._-] (storage_key_ok), so quoting each one gives a safe array
	 * literal; quoted, even a key spelled NULL stays a string. */
	char *lit = arena_alloc(ctx->arena, n * (STORAGE_KEY_MAX_LEN + 3) + 3), *p = lit;
	const char *params[1] = { lit };
	struct err *e = NULL;

	*p++ = '{';
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s\"%s\"", i > 0 ? "," : "", keys[i]);
	memcpy(p, "}", 2);
	/* An object belongs to the row whose id, as text, is its key. Comparing uuids (only
	 * for keys in the canonical text form) lets the primary key index answer; the CASE
	 * keeps other keys from reaching the cast. Rows of any bucketName count: ids are
	 * unique, so a row elsewhere still means the object is not garbage. */
	*out = pg_query(ctx->conn,
	                "SELECT u.k FROM unnest($1::text[]) AS u(k) WHERE NOT EXISTS (SELECT 1 "
	                "FROM \"file\" f WHERE f.\"id\" = CASE WHEN u.k ~ "
	                "'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' "
	                "THEN u.k::uuid END)",
	                1, params, &e);
	return *out == NULL ? e : NULL;
}

/* Delete the objects of keys[0..n) that have no row. */
static struct err *
maint_orphan_delete(struct handler_ctx *ctx, struct storage *st, char *const *keys, size_t n,
                    struct maint_orphans *o)
{
	PGresult *r;
	struct err *e = maint_orphan_keys(ctx, keys, n, &r);

	if (e != NULL)
		return e;
	for (int i = 0; i < PQntuples(r) && e == NULL; i++) {
		if (handler_remaining_ms(ctx) < MAINT_ORPHAN_SLACK_MS) {
			o->truncated = true;
			break;
		}
		e = storage_delete(st, pg_get(r, i, 0));
		if (e == NULL)
			o->removed++;
	}
	PQclear(r);
	return e;
}

/* Only objects last modified before the margin are candidates: the api writes the object
 * before its row (platform-runtime §5.3), so a younger object may be an upload whose row
 * is not committed yet. The template has no margin and accepts that race; we do not. An
 * object of unknown age (mtime 0) is kept too. */
static struct err *
maint_orphan_sweep(struct handler_ctx *ctx, struct storage *st, const struct storage_listing *l,
                   struct maint_orphans *o)
{
	long long cutoff = (long long)time(NULL) - ctx->cfg->storage_orphan_min_age_s;
	char **batch = arena_alloc(ctx->arena, MAINT_ORPHAN_BATCH * sizeof(batch[0]));
	size_t n = 0;
	struct err *e;

	for (size_t i = 0; i < l->n; i++) {
		if (l->items[i].mtime <= 0 || l->items[i].mtime > cutoff) {
			o->recent++;
			continue;
		}
		batch[n++] = l->items[i].key;
		if (n < MAINT_ORPHAN_BATCH)
			continue;
		e = maint_orphan_delete(ctx, st, batch, n, o);
		n = 0;
		if (e != NULL || o->truncated)
			return e;
	}
	return n > 0 ? maint_orphan_delete(ctx, st, batch, n, o) : NULL;
}

/* The object-store half: list the configured storage (local directory or s3 bucket) and
 * delete old enough objects without a file row. */
static struct err *
maint_orphan_objects(struct handler_ctx *ctx, struct maint_orphans *o)
{
	struct storage st;
	struct storage_listing l;
	struct err *e = storage_open(&st, ctx->cfg);

	if (e != NULL)
		return e;
	e = storage_list(&st, "", &l);
	if (e == NULL)
		e = maint_orphan_sweep(ctx, &st, &l, o);
	storage_listing_free(&l);
	storage_close(&st);
	return e;
}

/* seed-api §8.2 compas.file.cleanup: transforms whose original is gone, then objects
 * without a row (platform-runtime §5.6). Objects are deleted inside the job's transaction
 * after the transform rows, as the template orders it; a failed delete fails the attempt
 * (retried), and objects already deleted were garbage either way. */
struct err *
maint_file_cleanup(struct handler_ctx *ctx, const struct job *j)
{
	int64_t removed = 0;
	struct maint_orphans o = { 0 };
	struct err *e = maint_exec(
	    ctx,
	    "DELETE FROM \"file\" f WHERE f.\"meta\" ? 'transformedFromOriginal' AND NOT EXISTS "
	    "(SELECT 1 FROM \"file\" o WHERE o.\"id\"::text = "
	    "f.\"meta\"->>'transformedFromOriginal')",
	    0, NULL, &removed);
	cJSON *m;

	if (e == NULL)
		e = maint_orphan_objects(ctx, &o);
	if (e != NULL)
		return e;
	m = json_object();
	cJSON_AddNumberToObject(m, "removedTransforms", (double)removed);
	cJSON_AddNumberToObject(m, "removedObjects", (double)o.removed);
	cJSON_AddNumberToObject(m, "recentObjects", (double)o.recent);
	cJSON_AddBoolToObject(m, "truncated", o.truncated);
	handler_log(ctx, j, "compas.file.cleanup", m);
	return NULL;
}

/* compas.file.generatePlaceholderImage / transformImage: image processing arrives with
 * the file routes; until then the job is logged and consumed, as the template consumes
 * jobs it has no work for. */
struct err *
maint_file_image(struct handler_ctx *ctx, const struct job *j)
{
	cJSON *m = json_object();

	cJSON_AddStringToObject(m, "note", "image processing not available yet; job skipped");
	handler_log(ctx, j, "file.image", m);
	return NULL;
}

struct err *
maint_stub(struct handler_ctx *ctx, const struct job *j)
{
	handler_log(ctx, j, "job_stub", NULL);
	return NULL;
}

struct err *
maint_noop(struct handler_ctx *ctx, const struct job *j)
{
	return NULL;
}
