/* GET /feature-flag/current (seed §6.5). */
#include "routes.h"

#include "flags.h"

static struct err *
feature_flag_current(struct api_ctx *c, cJSON **response)
{
	return flags_current(c, response);
}

static const struct api_route routes[] = {
	{ "GET", "/feature-flag/current", "router.featureFlag.current", feature_flag_current,
	  "tenant", NULL, NULL, NULL },
};

const struct api_route_group routes_feature_flag = API_ROUTE_GROUP(routes);
