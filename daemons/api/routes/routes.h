/* Route groups: each file in routes/ exports one struct api_route_group. Adding a group
 * is one file, one line here, one line in routes.c and one in routes/meson.build. */
#ifndef API_ROUTES_H
#define API_ROUTES_H

#include "router.h"

extern const struct api_route_group routes_auth;            /* /auth/me, refresh, logout, ... */
extern const struct api_route_group routes_session;         /* /session/... */
extern const struct api_route_group routes_multitenant;     /* /multitenant/current */
extern const struct api_route_group routes_feature_flag;    /* /feature-flag/current */
extern const struct api_route_group routes_anonymous_based; /* /auth/anonymous-based/login */
extern const struct api_route_group routes_scaffold;        /* /scaffold/create-user (dev) */
extern const struct api_route_group routes_dev;             /* /_dev/... test helpers (dev) */
extern const struct api_route_group routes_permission;      /* /auth/permission/... */
extern const struct api_route_group routes_user;            /* /auth/list-users, /auth/user/... */
extern const struct api_route_group routes_management;      /* /_lightbase/management/... */
extern const struct api_route_group routes_password_based;  /* /auth/password-based/... */
extern const struct api_route_group routes_totp;            /* /auth/totp-provider/... */
extern const struct api_route_group routes_ops; /* /_metrics, /_health/ready, /_docs, /_compas */

/* NULL-terminated list of every group, for router_new(). */
extern const struct api_route_group *const routes_all[];

/* The operator routes' documents, made once at start-up (routes/ops.c): the OpenAPI
 * document of srv->groups and the structure file (api.structure_file; unreadable: a
 * logged warning, the route answers 404). Call after srv->cfg/log/groups are set. */
struct api_server;
void ops_load(struct api_server *srv);
void ops_unload(struct api_server *srv);
/* The OpenAPI 3.1 document of the route table, as JSON text (routes/openapi.c; caller
 * frees). */
char *openapi_build(const struct api_route_group *const *groups);

#endif
