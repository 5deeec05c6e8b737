/* Management magic links: a throwaway anonymous user with the global _lightbase role,
 * the link returned only in development and otherwise delivered out of band. */
#include "management.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "pg.h"
#include "slack.h"
#include "uuid.h"

#define MANAGEMENT_NAME_PREFIX "Lightbase management"
#define SLACK_TIMEOUT_MS       10000L

/* Inserts the user and everything hanging off it; returns the rows written to the role
 * link, so a missing _lightbase role (no start-up sync) is detected. */
static struct err *
create_user(PGconn *db, const struct management_request *req, const char *token)
{
	static const char sql[] =
	    "WITH u AS (INSERT INTO \"user\" (\"name\", \"lastLogin\") "
	    "VALUES ($1, to_timestamp(0)) RETURNING id), "
	    "ut AS (INSERT INTO \"userTenant\" (\"user\", \"tenant\") "
	    "SELECT u.id, t.id FROM u, \"tenant\" t), "
	    "a AS (INSERT INTO \"anonymousLogin\" (\"user\", \"loginToken\", \"isAllowedToLogin\") "
	    "SELECT u.id, $2, true FROM u RETURNING id), "
	    "ur AS (INSERT INTO \"userRole\" (\"user\", \"role\") SELECT u.id, r.id FROM u, "
	    "\"role\" r WHERE r.identifier = '_lightbase' AND r.\"tenant\" IS NULL RETURNING id), "
	    "j AS (INSERT INTO \"job\" (\"name\", \"priority\", \"data\", \"isComplete\") "
	    "SELECT 'auth.anonymousBased.userRegistered', 4, jsonb_build_object("
	    "'anonymousLoginId', a.id, 'metadata', jsonb_build_object('tenant', $3::jsonb)), "
	    "false FROM a) "
	    "SELECT (SELECT count(*) FROM ur)";
	char name[128];
	char *meta = req->tenant_metadata != NULL ? json_print(req->tenant_metadata) : NULL;
	const char *params[] = { name, token, meta != NULL ? meta : "{}" };
	struct err *e = NULL;
	PGresult *r;
	bool has_role;

	snprintf(name, sizeof(name), MANAGEMENT_NAME_PREFIX " %s", req->slack_user_id);
	r = pg_query(db, sql, 3, params, &e);
	free(meta);
	if (e != NULL)
		return e;
	has_role = pg_get_int64(r, 0, 0) == 1;
	PQclear(r);
	if (!has_role)
		return err_internal("management: global role _lightbase missing (start-up sync?)");
	return NULL;
}

/* Production delivery (DECISIONS §13.4): the configured webhook, else the api log. */
static struct err *
deliver(const struct config *cfg, const struct logger *lg, const struct management_request *req,
        const char *link)
{
	char text[1024];

	if (cfg->management_slack_webhook == NULL || cfg->management_slack_webhook[0] == '\0') {
		log_info(lg, "management.magicLink", "magic link for slack user %s, tenant %s: %s",
		         req->slack_user_id, req->tenant_name, link);
		return NULL;
	}
	snprintf(text, sizeof(text),
	         "<@%s> Magic link for tenant %s (%s): %s\nThis link is removed tonight.",
	         req->slack_user_id, req->tenant_name, req->public_url, link);
	return slack_webhook_post(cfg->management_slack_webhook, text, SLACK_TIMEOUT_MS);
}

struct err *
management_request_magic_link(PGconn *db, const struct config *cfg, const struct logger *lg,
                              const struct management_request *req, char **link_out)
{
	char uuid[UUID_STR_LEN], token[64];
	size_t link_len;
	char *link;
	struct err *e;

	*link_out = NULL;
	uuid_v4(uuid);
	snprintf(token, sizeof(token), "auth-anonymous-%s", uuid);
	link_len = strlen(req->public_url) + strlen("/_lightbase/auth/") + strlen(token) + 1;
	link = malloc(link_len);
	if (link == NULL)
		abort();
	snprintf(link, link_len, "%s/_lightbase/auth/%s", req->public_url, token);
	e = pg_begin(db);
	if (e == NULL)
		e = create_user(db, req, token);
	if (e == NULL && cfg->production)
		e = deliver(cfg, lg, req, link);
	if (e == NULL)
		e = pg_commit(db);
	if (e != NULL) {
		pg_rollback(db);
		free(link);
		return e;
	}
	if (cfg->production)
		free(link);
	else
		*link_out = link;
	return NULL;
}

struct err *
management_purge_users(PGconn *db, long *deleted)
{
	static const char sql[] =
	    "WITH gone AS (DELETE FROM \"user\" u WHERE u.name LIKE '%" MANAGEMENT_NAME_PREFIX "%' "
	    "AND EXISTS (SELECT 1 FROM \"userRole\" ur JOIN \"role\" r ON r.id = ur.\"role\" "
	    "WHERE ur.\"user\" = u.id AND r.identifier = '_lightbase' AND r.\"tenant\" IS NULL) "
	    "RETURNING u.id::text AS id), "
	    "s AS (DELETE FROM \"sessionStore\" s USING gone WHERE s.\"data\"->>'userId' = "
	    "gone.id) "
	    "SELECT count(*) FROM gone";
	struct err *e = NULL;
	PGresult *r = pg_query(db, sql, 0, NULL, &e);

	if (e == NULL && deleted != NULL)
		*deleted = (long)pg_get_int64(r, 0, 0);
	PQclear(r);
	return e;
}
