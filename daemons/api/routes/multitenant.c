/* GET /multitenant/current (seed §6.2). */
#include "routes.h"

#include "json.h"

static struct err *
multitenant_current(struct api_ctx *c, cJSON **response)
{
	cJSON *t = json_object();

	cJSON_AddStringToObject(t, "id", c->tenant.tenant->id);
	cJSON_AddStringToObject(t, "name", c->tenant.tenant->name);
	cJSON_AddItemToObject(t, "data", cJSON_Duplicate(c->tenant.tenant->data, true));
	*response = json_object();
	cJSON_AddItemToObject(*response, "tenant", t);
	return NULL;
}

static const struct api_route routes[] = {
	{ "GET", "/multitenant/current", "router.multitenant.current", multitenant_current,
	  "tenant", NULL, NULL, NULL },
};

const struct api_route_group routes_multitenant = API_ROUTE_GROUP(routes);
