/* Test helper jobs: observable side effects, slow handlers and failing handlers. */
#include "devjobs.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "pg.h"

struct err *
devjobs_record(struct handler_ctx *ctx, const struct job *j)
{
	const char *tag = "";
	int64_t sleep_ms = 0, fail_times = 0;
	char attempt[24], pid[24];
	const char *params[6] = { j->id_text, j->name, j->scheduled_at, attempt, tag, pid };
	struct err *e;
	PGresult *r;

	if ((e = json_get_string(j->data, "$", "tag", false, &tag)) != NULL ||
	    (e = json_get_int(j->data, "$", "sleepMs", false, 0, 3600000, &sleep_ms)) != NULL ||
	    (e = json_get_int(j->data, "$", "failTimes", false, 0, 1000, &fail_times)) != NULL)
		return e;
	params[4] = tag;
	snprintf(attempt, sizeof(attempt), "%lld", (long long)j->retry_count + 1);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	r = pg_query(ctx->conn,
	             "INSERT INTO \"queueTestRecord\" (\"jobId\", \"name\", \"scheduledAt\", "
	             "\"attempt\", \"tag\", \"pid\") VALUES ($1, $2, $3, $4, $5, $6)",
	             6, params, &e);
	if (r == NULL)
		return e;
	PQclear(r);
	if (sleep_ms > 0) {
		struct timespec ts = { .tv_sec = sleep_ms / 1000,
			               .tv_nsec = (long)(sleep_ms % 1000) * 1000000L };

		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	if (j->retry_count < fail_times)
		return err_internal("test failure on attempt %lld", (long long)j->retry_count + 1);
	return NULL;
}
