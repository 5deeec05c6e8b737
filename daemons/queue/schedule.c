/* Cron registration and rescheduling. */
#include "schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "fatal.h"
#include "json.h"
#include "pg.h"
#include "timeutil.h"

static const char *const schedule_default[][2] = {
	{ "compas.queue.cleanup", "0 1 * * *" },
	{ "compas.queue.insights", "0 * * * *" },
	{ "compas.file.cleanup", "0 2 * * *" },
	{ "compas.sessionStore.cleanup", "0 2 * * *" },
	{ "auth.passwordBased.invalidateResetTokens", "0 */2 * * *" },
	{ "backendManagement.invalidateUsers", "2 2 * * *" },
	/* platform: DECISIONS §13.16 */
	{ "auth.passwordBased.purgeLoginAttempts", "30 * * * *" },
};

static bool
schedule_name_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

static struct err *
schedule_add(struct schedule_entry *e, const char *name, size_t nlen, const char *expr, size_t elen)
{
	char why[128];

	while (nlen > 0 && (*name == ' ' || *name == '\t'))
		name++, nlen--;
	while (nlen > 0 && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t'))
		nlen--;
	while (elen > 0 && (*expr == ' ' || *expr == '\t'))
		expr++, elen--;
	while (elen > 0 && (expr[elen - 1] == ' ' || expr[elen - 1] == '\t'))
		elen--;
	if (nlen >= sizeof(e->name) || elen >= sizeof(e->expr))
		return err_internal("queue.cron_schedule: entry too long");
	memcpy(e->name, name, nlen);
	e->name[nlen] = '\0';
	memcpy(e->expr, expr, elen);
	e->expr[elen] = '\0';
	if (!schedule_name_ok(e->name))
		return err_internal("queue.cron_schedule: bad job name \"%s\"", e->name);
	if (!cron_parse(e->expr, &e->cron, why, sizeof(why)))
		return err_internal("cron expression \"%s\" for %s: %s", e->expr, e->name, why);
	return NULL;
}

struct err *
schedule_load(const struct config *cfg, struct schedule_entry **out, int *n)
{
	const char *spec = cfg->queue_cron_schedule;
	size_t cap = sizeof(schedule_default) / sizeof(schedule_default[0]);
	struct schedule_entry *s;
	struct err *e = NULL;

	*n = 0;
	if (spec != NULL)
		for (const char *p = spec; *p != '\0'; p++)
			cap += *p == ';';
	s = xcalloc(cap + 1, sizeof(*s));
	if (spec == NULL) {
		for (size_t i = 0; e == NULL && i < cap; i++)
			e = schedule_add(&s[(*n)++], schedule_default[i][0],
			                 strlen(schedule_default[i][0]), schedule_default[i][1],
			                 strlen(schedule_default[i][1]));
	} else {
		for (const char *p = spec; e == NULL && *p != '\0';) {
			size_t len = strcspn(p, ";");
			const char *eq = memchr(p, '=', len);

			if (strspn(p, " \t") < len) {
				if (eq == NULL)
					e = err_internal("queue.cron_schedule: expected name=cron");
				else
					e = schedule_add(&s[(*n)++], p, (size_t)(eq - p), eq + 1,
					                 len - (size_t)(eq - p) - 1);
			}
			p += len + (p[len] == ';');
		}
	}
	if (e != NULL) {
		free(s);
		*n = 0;
		s = NULL;
	}
	*out = s;
	return e;
}

static void
schedule_iso(int64_t s, char out[TIMEUTIL_ISO_LEN])
{
	timeutil_iso8601(s * 1000, out);
}

static struct err *
schedule_register_one(PGconn *conn, const struct schedule_entry *s, int64_t now_s)
{
	char next[TIMEUTIL_ISO_LEN], now[TIMEUTIL_ISO_LEN];
	int64_t at = cron_next(&s->cron, now_s);
	const char *up[4] = { s->name, s->expr, next, JOB_CRON_TYPE };
	struct err *e = NULL;
	PGresult *r;
	cJSON *data;
	char *text;

	if (at < 0)
		return err_internal("cron expression \"%s\" for %s never fires", s->expr, s->name);
	schedule_iso(at, next);
	schedule_iso(now_s, now);
	r = pg_query(conn,
	             "UPDATE \"job\" SET \"data\" = jsonb_set(\"data\", '{cronExpression}', "
	             "to_jsonb($2::text)), \"scheduledAt\" = $3::timestamptz, \"priority\" = 4 "
	             "WHERE \"name\" = $1 AND NOT \"isComplete\" AND \"failedAt\" IS NULL "
	             "AND \"data\"->>'jobType' = $4 RETURNING \"id\"",
	             4, up, &e);
	if (r == NULL)
		return e;
	if (PQntuples(r) > 1) {
		const char *del[2] = { s->name, pg_get(r, 0, 0) };

		e = pg_exec(
		    conn,
		    "DELETE FROM \"job\" WHERE \"name\" = $1 AND NOT \"isComplete\" AND "
		    "\"failedAt\" IS NULL AND \"data\"->>'jobType' = 'compas.queue.cronJob' "
		    "AND \"id\" <> $2::bigint",
		    2, del);
	} else if (PQntuples(r) == 0) {
		const char *ins[3] = { s->name, next, NULL };

		data = json_object();
		cJSON_AddStringToObject(data, "jobType", JOB_CRON_TYPE);
		cJSON_AddStringToObject(data, "cronExpression", s->expr);
		cJSON_AddStringToObject(data, "cronLastCompletedAt", now);
		text = json_print(data);
		cJSON_Delete(data);
		ins[2] = text;
		e = pg_exec(
		    conn,
		    "INSERT INTO \"job\" (\"name\", \"priority\", \"scheduledAt\", \"data\", "
		    "\"isComplete\", \"retryCount\") VALUES ($1, 4, $2::timestamptz, "
		    "$3::jsonb, false, 0)",
		    3, ins);
		free(text);
	}
	PQclear(r);
	return e;
}

/* '{"a","b"}' for a text[] parameter; names are checked to be [A-Za-z0-9._-]. */
static char *
schedule_names(const struct schedule_entry *s, int n)
{
	size_t len = 3;
	char *out, *p;

	for (int i = 0; i < n; i++)
		len += strlen(s[i].name) + 3;
	out = p = xmalloc(len);
	*p++ = '{';
	for (int i = 0; i < n; i++)
		p += sprintf(p, "%s\"%s\"", i ? "," : "", s[i].name);
	*p++ = '}';
	*p = '\0';
	return out;
}

struct err *
schedule_register(PGconn *conn, const struct schedule_entry *s, int n)
{
	char *names = schedule_names(s, n);
	const char *params[2] = { JOB_CRON_TYPE, names };
	int64_t now_s = timeutil_now_ms() / 1000;
	struct err *e;

	if ((e = pg_begin(conn)) != NULL) {
		free(names);
		return e;
	}
	e = pg_advisory_xact_lock(conn, SCHEDULE_LOCK_KEY);
	if (e == NULL)
		e = pg_exec(
		    conn,
		    "DELETE FROM \"job\" WHERE NOT \"isComplete\" AND \"data\"->>'jobType' = "
		    "$1 AND NOT (\"name\" = ANY($2::text[]))",
		    2, params);
	for (int i = 0; e == NULL && i < n; i++)
		e = schedule_register_one(conn, &s[i], now_s);
	free(names);
	if (e == NULL)
		return pg_commit(conn);
	pg_rollback(conn);
	return e;
}

struct err *
schedule_insert_next(PGconn *conn, const struct job *j)
{
	const cJSON *expr = cJSON_GetObjectItemCaseSensitive(j->data, "cronExpression");
	char next[TIMEUTIL_ISO_LEN], now[TIMEUTIL_ISO_LEN], why[128], priority[16];
	const char *params[5] = { j->name, priority, next, NULL, j->id_text };
	int64_t now_s = timeutil_now_ms() / 1000, at;
	struct cron c;
	struct err *e;
	cJSON *data;
	char *text;

	if (!cJSON_IsString(expr) || !cron_parse(expr->valuestring, &c, why, sizeof(why)))
		return err_internal("cron job %s has no valid cronExpression", j->name);
	if ((at = cron_next(&c, now_s)) < 0)
		return err_internal("cron expression for %s never fires", j->name);
	schedule_iso(at, next);
	schedule_iso(now_s, now);
	snprintf(priority, sizeof(priority), "%d", j->priority);
	if ((e = pg_advisory_xact_lock(conn, SCHEDULE_LOCK_KEY)) != NULL)
		return e;
	data = json_object();
	cJSON_AddStringToObject(data, "jobType", JOB_CRON_TYPE);
	cJSON_AddStringToObject(data, "cronExpression", expr->valuestring);
	cJSON_AddStringToObject(data, "cronLastCompletedAt", now);
	text = json_print(data);
	cJSON_Delete(data);
	params[3] = text;
	e = pg_exec(conn,
	            "INSERT INTO \"job\" (\"name\", \"priority\", \"scheduledAt\", \"data\", "
	            "\"isComplete\", \"retryCount\") SELECT $1::varchar, $2::int, $3::timestamptz, "
	            "$4::jsonb, "
	            "false, 0 WHERE NOT EXISTS (SELECT 1 FROM \"job\" WHERE \"name\" = $1::varchar "
	            "AND NOT \"isComplete\" AND \"failedAt\" IS NULL AND \"data\"->>'jobType' = "
	            "'compas.queue.cronJob' AND \"id\" <> $5::bigint)",
	            5, params);
	free(text);
	return e;
}
