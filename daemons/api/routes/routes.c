/* The list of route groups the api serves. */
#include "routes.h"

#include <stddef.h>

const struct api_route_group *const routes_all[] = {
	&routes_auth,
	&routes_session,
	&routes_multitenant,
	&routes_feature_flag,
	&routes_anonymous_based,
	&routes_scaffold,
	&routes_dev,
	&routes_permission,
	&routes_user,
	&routes_management,
	&routes_password_based,
	&routes_totp,
	&routes_ops,
	NULL,
};
