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

/* NULL-terminated list of every group, for router_new(). */
extern const struct api_route_group *const routes_all[];

#endif
