/* The route table as data, and path matching. A route group is one file in routes/
 * exporting an array of struct api_route (see routes/routes.h and HACKING.md). */
#ifndef API_ROUTER_H
#define API_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "api.h"
#include "validate.h"

/* access (checked by the core, after validation, before the handler):
 *   "none"        nothing (e.g. /auth/refresh-tokens)
 *   "tenant"      tenant resolved (400 multitenant.require.*)
 *   "bearer"      bearer session only, no tenant, no user (impersonate-stop)
 *   "session"     tenant + session + user, any session type ("session*")
 *   "user"        tenant + session + user with session type "user" ("session")
 *   "perm:<id>"   "user" + the permission <id> (400 auth.requireUser.missingPermissions)
 *   "development" only when NODE_ENV=development (else 404 error.server.notFound) */
struct api_route {
	const char *method; /* "GET", "POST", "PUT", "PATCH", "DELETE" */
	const char *path;   /* "/auth/user/:user/update" */
	const char *name;   /* event name for the request log, e.g. "router.auth.me" */
	api_handler handler;
	const char *access;
	const struct schema *params; /* object schema of the path params, or NULL */
	const struct schema *query;  /* object schema of the query string, or NULL */
	const struct schema *body;   /* object schema of the JSON body, or NULL (none) */
};

/* One route group: in routes/<group>.c,
 *   static const struct api_route routes[] = { {...}, ... };
 *   const struct api_route_group routes_<group> = API_ROUTE_GROUP(routes); */
struct api_route_group {
	const struct api_route *routes;
	size_t count;
};
#define API_ROUTE_GROUP(arr)                                                                       \
	{                                                                                          \
		(arr), sizeof(arr) / sizeof((arr)[0])                                              \
	}

struct router;

/* Build a router from a NULL-terminated list of groups (routes/routes.c). Aborts on a
 * duplicate or malformed route: that is a programming error. */
struct router *router_new(const struct api_route_group *const *groups);
void router_free(struct router *r);

struct router_match {
	const struct api_route *route;
	size_t nparams;
	const char *names[API_MAX_PARAMS];
	char *values[API_MAX_PARAMS]; /* raw (still %-encoded), point into the path copy */
	char path_copy[2048];
};

/* Match method + path (without query). Static segments win over :params; a trailing
 * "/" and empty segments are ignored; case-sensitive. False when nothing matches. */
bool router_match(const struct router *r, const char *method, const char *path,
                  struct router_match *m);

#endif
