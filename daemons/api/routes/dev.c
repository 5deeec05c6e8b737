/* Development-only helper routes for the black-box tests (404 in production):
 * GET /_dev/sleep?ms=N answers {} after N ms (at most 30 s), to test graceful drain;
 * GET /_dev/echo/:value answers {value} (the decoded path param). */
#include "routes.h"

#include <time.h>

#include "json.h"

static struct err *
dev_sleep(struct api_ctx *c, cJSON **response)
{
	double ms = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c->query, "ms"));
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000),
		               .tv_nsec = (long)((long long)ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
	*response = json_object();
	cJSON_AddNumberToObject(*response, "slept", ms);
	return NULL;
}

static struct err *
dev_echo(struct api_ctx *c, cJSON **response)
{
	*response = json_object();
	cJSON_AddStringToObject(*response, "value", api_param(c, "value"));
	return NULL;
}

static const struct schema dev_sleep_query =
    SCHEMA_OBJECT(SCHEMA_FIELD("ms", SCHEMA_INT(.has_range = true, .min = 0, .max = 30000)));

static const struct api_route routes[] = {
	{ "GET", "/_dev/sleep", "router.dev.sleep", dev_sleep, "development", NULL,
	  &dev_sleep_query, NULL },
	{ "GET", "/_dev/echo/:value", "router.dev.echo", dev_echo, "development", NULL, NULL,
	  NULL },
};

const struct api_route_group routes_dev = API_ROUTE_GROUP(routes);
