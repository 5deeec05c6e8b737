/* Job table statements. All prepared once per connection; values only as parameters. */
#include "job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fatal.h"
#include "json.h"
#include "pg.h"
#include "timeutil.h"

/* A lease (not a row lock) marks claimed jobs, so a batch is claimed in one short
 * statement, which also completes the previous batch (one round trip and one commit per
 * batch). SKIP LOCKED keeps concurrent claims apart while the claim
 * statement runs; afterwards "lockedUntil" does. A dead worker's jobs come back when
 * their lease ends (at-least-once). The claim changes only the unindexed "lockedUntil",
 * so PostgreSQL can update the row in place (HOT) when the page has room, which the
 * table's fillfactor (migration 008) leaves: no index entries for the claim, only for
 * the completion. Keep "lockedUntil" out of every index (and index predicate), or each
 * claim inserts into all six indexes again (test_claims_are_hot_updates). The ids come
 * as ARRAY(subquery): with "id" IN (subquery) the cached generic plan, which cannot see
 * LIMIT $1, hash-joins a sequential scan of the whole table. */
static const char job_claim_sql[] =
    "WITH d AS (UPDATE \"job\" SET \"isComplete\" = true, \"updatedAt\" = now(), "
    "\"lockedUntil\" = NULL WHERE \"id\" = ANY($3::bigint[]) AND \"lockedUntil\" = "
    "$4::timestamptz RETURNING 1), "
    "c AS (UPDATE \"job\" SET \"lockedUntil\" = now() + $2 * interval '1 millisecond' "
    "WHERE \"id\" = ANY(ARRAY(SELECT \"id\" FROM \"job\" WHERE NOT \"isComplete\" "
    "AND \"failedAt\" IS NULL AND \"scheduledAt\" <= now() AND (\"lockedUntil\" IS NULL OR "
    "\"lockedUntil\" < now()) AND NOT (\"id\" = ANY($3::bigint[])) "
    "ORDER BY \"priority\", \"scheduledAt\" FOR UPDATE SKIP LOCKED LIMIT $1)) "
    "RETURNING \"id\", \"name\", \"priority\", \"retryCount\", \"data\", \"handlerTimeout\", "
    "\"scheduledAt\", \"lockedUntil\") "
    "SELECT c.\"id\", c.\"name\", c.\"priority\", c.\"retryCount\", c.\"data\", "
    "c.\"handlerTimeout\", c.\"scheduledAt\", c.\"lockedUntil\", "
    "(extract(epoch FROM c.\"lockedUntil\") * 1000)::bigint, n.\"done\" "
    "FROM (SELECT count(*) AS \"done\" FROM d) n LEFT JOIN c ON true "
    "ORDER BY c.\"priority\", c.\"scheduledAt\", c.\"id\"";

static const char job_complete_sql[] =
    "UPDATE \"job\" SET \"isComplete\" = true, \"updatedAt\" = now(), \"lockedUntil\" = NULL "
    "WHERE \"id\" = ANY($1::bigint[]) AND \"lockedUntil\" = $2::timestamptz";

static const char job_renew_sql[] =
    "UPDATE \"job\" SET \"lockedUntil\" = now() + $3 * interval '1 millisecond' "
    "WHERE \"id\" = ANY($1::bigint[]) AND \"lockedUntil\" = $2::timestamptz "
    "RETURNING \"lockedUntil\", (extract(epoch FROM \"lockedUntil\") * 1000)::bigint";

static const char job_release_sql[] =
    "UPDATE \"job\" SET \"lockedUntil\" = NULL "
    "WHERE \"id\" = ANY($1::bigint[]) AND \"lockedUntil\" = $2::timestamptz";

/* A final failure also sets "isComplete", so a template worker sharing the table does
 * not pick the job up; "failedAt" tells it apart from a success. */
static const char job_fail_sql[] =
    "UPDATE \"job\" SET \"retryCount\" = \"retryCount\" + 1, \"lastError\" = $3, "
    "\"lockedUntil\" = NULL, \"updatedAt\" = now(), "
    "\"failedAt\" = CASE WHEN $4::boolean THEN now() END, \"isComplete\" = $4::boolean, "
    "\"scheduledAt\" = CASE WHEN $4::boolean THEN \"scheduledAt\" "
    "ELSE now() + $5 * interval '1 millisecond' END "
    "WHERE \"id\" = $1 AND \"lockedUntil\" = $2::timestamptz";

/* Milliseconds until the next scheduled job, so an idle worker wakes up for it instead
 * of at the next poll. */
static const char job_next_due_sql[] =
    "SELECT ceil(extract(epoch FROM min(\"scheduledAt\") - now()) * 1000)::bigint FROM \"job\" "
    "WHERE NOT \"isComplete\" AND \"failedAt\" IS NULL AND \"scheduledAt\" > now()";

struct err *
job_prepare(PGconn *conn)
{
	struct err *e;

	if ((e = pg_prepare(conn, "job_claim", job_claim_sql, 4)) != NULL ||
	    (e = pg_prepare(conn, "job_complete", job_complete_sql, 2)) != NULL ||
	    (e = pg_prepare(conn, "job_renew", job_renew_sql, 3)) != NULL ||
	    (e = pg_prepare(conn, "job_release", job_release_sql, 2)) != NULL ||
	    (e = pg_prepare(conn, "job_fail", job_fail_sql, 5)) != NULL ||
	    (e = pg_prepare(conn, "job_next_due", job_next_due_sql, 0)) != NULL)
		return e;
	return NULL;
}

/* "{1,2,3}" for a bigint[] parameter, in the arena. */
static char *
job_id_array(struct arena *a, const int64_t *ids, int n)
{
	char *s = arena_alloc(a, (size_t)n * 21 + 3), *p = s;

	*p++ = '{';
	for (int i = 0; i < n; i++)
		p += sprintf(p, "%s%lld", i ? "," : "", (long long)ids[i]);
	*p++ = '}';
	*p = '\0';
	return s;
}

static void
job_json_free(void *p)
{
	cJSON_Delete(p);
}

static void
job_from_row(struct arena *a, const PGresult *r, int row, struct job *j)
{
	const cJSON *type;

	j->id_text = arena_strdup(a, pg_get(r, row, 0));
	j->id = strtoll(j->id_text, NULL, 10);
	j->name = arena_strdup(a, pg_get(r, row, 1));
	j->priority = (int)pg_get_int64(r, row, 2);
	j->retry_count = pg_get_int64(r, row, 3);
	j->data = pg_get_json(r, row, 4);
	if (j->data == NULL)
		j->data = json_object();
	arena_defer(a, job_json_free, j->data);
	j->timeout_ms = pg_is_null(r, row, 5) ? 0 : pg_get_int64(r, row, 5);
	j->scheduled_at = arena_strdup(a, pg_get(r, row, 6));
	type = cJSON_GetObjectItemCaseSensitive(j->data, "jobType");
	j->is_cron = cJSON_IsString(type) && strcmp(type->valuestring, JOB_CRON_TYPE) == 0;
}

struct err *
job_claim_batch(PGconn *conn, const int64_t *done, int ndone, const char *done_lease,
                int *completed, int limit, int64_t lease_ms, struct arena *a, struct job_batch *b)
{
	char lim[16], lease[24];
	const char *params[4] = { lim, lease, job_id_array(a, done, ndone),
		                  ndone > 0 ? done_lease : NULL };
	struct err *e = NULL;
	PGresult *r;

	snprintf(lim, sizeof(lim), "%d", limit);
	snprintf(lease, sizeof(lease), "%lld", (long long)lease_ms);
	r = pg_query_prepared(conn, "job_claim", 4, params, &e);
	if (r == NULL)
		return e;
	b->n = PQntuples(r);
	*completed = b->n > 0 ? (int)pg_get_int64(r, 0, 9) : 0;
	if (b->n == 1 && pg_is_null(r, 0, 0))
		b->n = 0; /* nothing claimed: the row only carries the completed count */
	b->jobs = b->n > 0 ? arena_alloc(a, sizeof(struct job) * (size_t)b->n) : NULL;
	for (int i = 0; i < b->n; i++)
		job_from_row(a, r, i, &b->jobs[i]);
	if (b->n > 0) {
		snprintf(b->lease, sizeof(b->lease), "%s", pg_get(r, 0, 7));
		b->lease_until_ms = pg_get_int64(r, 0, 8);
	}
	PQclear(r);
	return NULL;
}

static struct err *
job_update_count(PGconn *conn, const char *stmt, int n, const char *const *params, int *count)
{
	struct err *e = NULL;
	PGresult *r = pg_query_prepared(conn, stmt, n, params, &e);

	if (r == NULL)
		return e;
	if (count != NULL)
		*count = atoi(PQcmdTuples(r));
	PQclear(r);
	return NULL;
}

struct err *
job_complete(PGconn *conn, const int64_t *ids, int n, const char *lease, int *done)
{
	struct arena *a = arena_new();
	const char *params[2] = { job_id_array(a, ids, n), lease };
	struct err *e = job_update_count(conn, "job_complete", 2, params, done);

	arena_free(a);
	return e;
}

struct err *
job_renew(PGconn *conn, const int64_t *ids, int n, int64_t lease_ms, struct job_batch *b, int *kept)
{
	struct arena *a = arena_new();
	char ms[24];
	const char *params[3] = { job_id_array(a, ids, n), b->lease, ms };
	struct err *e = NULL;
	PGresult *r;

	snprintf(ms, sizeof(ms), "%lld", (long long)lease_ms);
	r = pg_query_prepared(conn, "job_renew", 3, params, &e);
	arena_free(a);
	if (r == NULL)
		return e;
	*kept = PQntuples(r);
	if (*kept > 0) {
		snprintf(b->lease, sizeof(b->lease), "%s", pg_get(r, 0, 0));
		b->lease_until_ms = pg_get_int64(r, 0, 1);
	}
	PQclear(r);
	return NULL;
}

struct err *
job_release(PGconn *conn, const int64_t *ids, int n, const char *lease)
{
	struct arena *a = arena_new();
	const char *params[2] = { job_id_array(a, ids, n), lease };
	struct err *e = job_update_count(conn, "job_release", 2, params, NULL);

	arena_free(a);
	return e;
}

struct err *
job_fail(PGconn *conn, const struct job *j, const char *lease, bool final, int64_t delay_ms,
         const char *error, bool *done)
{
	char delay[24];
	const char *params[5] = { j->id_text, lease, error, final ? "true" : "false", delay };
	int count = 0;
	struct err *e;

	snprintf(delay, sizeof(delay), "%lld", (long long)delay_ms);
	e = job_update_count(conn, "job_fail", 5, params, &count);
	*done = count == 1;
	return e;
}

struct err *
job_retry_failed(PGconn *conn, const char *name, int64_t *count)
{
	const char *params[1] = { name };
	struct err *e = NULL;
	PGresult *r =
	    pg_query(conn,
	             "UPDATE \"job\" SET \"failedAt\" = NULL, \"isComplete\" = false, "
	             "\"retryCount\" = 0, \"lockedUntil\" = NULL, \"scheduledAt\" = now(), "
	             "\"updatedAt\" = now() WHERE \"failedAt\" IS NOT NULL "
	             "AND ($1::text IS NULL OR \"name\" = $1)",
	             1, params, &e);

	if (r == NULL)
		return e;
	*count = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return NULL;
}

struct err *
job_next_due_ms(PGconn *conn, int64_t *ms)
{
	struct err *e = NULL;
	PGresult *r = pg_query_prepared(conn, "job_next_due", 0, NULL, &e);

	if (r == NULL)
		return e;
	*ms = pg_is_null(r, 0, 0) ? -1 : pg_get_int64(r, 0, 0);
	PQclear(r);
	return NULL;
}
