/* The per-request context every route handler gets, the handler signature, and the
 * helpers handlers use to authorize (tenant, session, user, permission) and to enqueue
 * jobs on the request's own database connection. See daemons/api/HACKING.md. */
#ifndef API_API_H
#define API_API_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "arena.h"
#include "config.h"
#include "err.h"
#include "log.h"
#include "session.h"
#include "tenant.h"
#include "uuid.h"

struct httpio_req;
struct api_route;
struct api_worker;
struct api_server;
struct api_ctx;

#define API_MAX_PARAMS 4

/* The user behind the session, loaded by api_require_user (or the core, for routes
 * whose access is "user", "session" or "perm:<id>"). */
struct api_user {
	char id[UUID_STR_LEN];
};

/* Deferred handlers (api_defer): work runs on a hash thread, done back on the loop. */
typedef void (*api_work_fn)(void *arg);
typedef struct err *(*api_done_fn)(struct api_ctx *c, void *arg, cJSON **response);

struct api_ctx {
	struct arena *arena; /* freed after the response is sent */
	PGconn *db;          /* this worker's connection; outside a transaction on entry */
	const struct config *cfg;
	const struct logger *log;
	struct api_worker *worker;
	const struct api_server *server;
	struct httpio_req *req;
	const struct api_route *route;
	char request_id[UUID_STR_LEN];
	char client_ip[64];
	const char *method; /* "GET", "POST", ... */

	/* Validated input (coerced per schema). NULL when the route declares none.
	 * Owned by the core (freed with the arena). */
	cJSON *body;
	cJSON *query;
	cJSON *params; /* object of path params, e.g. {"user": "<uuid>"} */

	/* Loaded lazily by the helpers below (or by the core per route access). */
	bool has_tenant;
	struct tenant_resolved tenant;
	bool has_session;
	struct session session; /* session.data is owned by the core */
	bool has_user;
	struct api_user user;

	/* A handler may answer 200 with a ready text instead of a cJSON value: set these
	 * (the text in c->arena) and leave *response NULL. */
	const char *raw_response;
	size_t raw_len;
	const char *raw_type; /* its Content-Type (a static string); NULL = JSON */

	/* Set by api_defer; read by the core once the handler returns. */
	bool deferred;
	api_work_fn defer_work;
	api_done_fn defer_done;
	void *defer_arg;
};

/* A handler: parse (input is already validated), authorize, call, render. On success
 * return NULL and optionally set *response to a new cJSON value; the core renders it
 * with status 200 and frees it (NULL renders {}). On failure return an error; the core
 * renders it (and frees it). Never both. */
typedef struct err *(*api_handler)(struct api_ctx *c, cJSON **response);

/* Finish the request later, so CPU-heavy work (password hashing) never stalls the other
 * requests of this worker: work(arg) runs on one of the api.hash_threads threads, then
 * done(c, arg, response) runs back on the worker's loop with a handler's contract (c->db
 * usable, outside a transaction; return an error or set *response). work is CPU only:
 * it must not touch c, c->db or the loop. arg lives in c->arena (or is owned by done).
 * A handler ends with `return api_defer(c, work, done, arg);` and leaves no transaction
 * open; c->arena, c->body, c->session and the request stay valid until done has run
 * and the reply is sent (a reply to a client that has gone away is dropped). done may
 * call api_defer again. */
struct err *api_defer(struct api_ctx *c, api_work_fn work, api_done_fn done, void *arg);

/* Path param by name (already URL-decoded and validated), or NULL. */
const char *api_param(const struct api_ctx *c, const char *name);
/* Request header (case-insensitive), or NULL. */
const char *api_header(const struct api_ctx *c, const char *name);

/* 400 multitenant.require.missingHostHeader / multitenant.require.invalidTenant. */
struct err *api_require_tenant(struct api_ctx *c);
/* The bearer session (the template's five 401 keys); no tenant or user check. */
struct err *api_require_session(struct api_ctx *c);
/* Tenant + session + a non-deleted user linked to the tenant (401
 * auth.requireUser.invalidUser). Any session type ("session*" in seed-api §6). */
struct err *api_require_user_any(struct api_ctx *c);
/* Same, and session.type must be "user" (400 auth.requireUser.incorrectSessionType). */
struct err *api_require_user(struct api_ctx *c);
/* Requires a loaded session: session.loginType must equal login_type (400
 * auth.requireUser.incorrectLoginType). */
struct err *api_require_login_type(struct api_ctx *c, const char *login_type);
/* api_require_user, then the user must hold permission through a role of the current
 * tenant or a global role (DECISIONS §13.3); else 400
 * auth.requireUser.missingPermissions {missingPermissions:[...]}. */
struct err *api_require_permission(struct api_ctx *c, const char *permission);

/* Insert a job on the request's connection (part of the caller's transaction if one
 * is open). data is borrowed (NULL = {}). The queue is woken by the job trigger. */
struct err *api_job_enqueue(struct api_ctx *c, const char *name, const cJSON *data, int priority);
/* Run a statement prepared once per worker connection under name (a string literal;
 * the same name must always come with the same sql). Like pg_query_prepared. */
PGresult *api_query_cached(struct api_ctx *c, const char *name, const char *sql, int nparams,
                           const char *const *params, struct err **errp);
/* SQL expression: the session's userId as uuid (NULL when malformed), for joins on
 * "user".id that use the primary key. Needs the session aliased as s. */
#define API_SESSION_USER_ID                                                                        \
	"(CASE WHEN s.data->>'userId' ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"           \
	"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' THEN (s.data->>'userId')::uuid END)"

/* {id, publicUrl, apiUrl} of the resolved tenant, for job metadata. Requires a tenant. */
cJSON *api_tenant_metadata(const struct api_ctx *c);

/* The session settings (key, lifetimes, grace) from the configuration. */
const struct session_settings *api_session_settings(const struct api_ctx *c);

/* True outside production (NODE_ENV=development). */
bool api_is_development(const struct api_ctx *c);

#endif
