/* Feature flags per tenant from a short-lived per-worker snapshot of "featureFlag". */
#include "flags.h"

#include <string.h>

#include "api.h"
#include "http.h"
#include "json.h"
#include "pg.h"
#include "sync.h"
#include "timeutil.h"

void
flags_flush(struct flags_cache *fc)
{
	cJSON_Delete(fc->rows);
	fc->rows = NULL;
	fc->loaded_ms = 0;
}

static struct err *
flags_load(struct api_ctx *c, struct flags_cache *fc)
{
	struct err *e = NULL;
	PGresult *r =
	    pg_query(c->db,
	             "SELECT COALESCE(json_agg(json_build_object('name', name, "
	             "'globalValue', \"globalValue\", 'tenantValues', \"tenantValues\")), "
	             "'[]') FROM \"featureFlag\"",
	             0, NULL, &e);

	if (r == NULL)
		return e;
	flags_flush(fc);
	fc->rows = pg_get_json(r, 0, 0);
	fc->loaded_ms = timeutil_monotonic_ms();
	PQclear(r);
	return NULL;
}

static bool
flags_value(const cJSON *rows, const char *flag, const char *tenant)
{
	const cJSON *row;

	cJSON_ArrayForEach(row, rows)
	{
		const cJSON *tv;

		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(row, "name")) ||
		    strcmp(cJSON_GetObjectItemCaseSensitive(row, "name")->valuestring, flag) != 0)
			continue;
		tv = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(row, "tenantValues"), tenant);
		if (cJSON_IsBool(tv))
			return cJSON_IsTrue(tv);
		return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(row, "globalValue"));
	}
	return false;
}

struct err *
flags_current(struct api_ctx *c, cJSON **out)
{
	struct flags_cache *fc = &c->worker->flags;
	int64_t now = timeutil_monotonic_ms();
	struct err *e = NULL;

	if (fc->rows == NULL || now - fc->loaded_ms >= c->cfg->api_feature_flag_cache_ms)
		e = flags_load(c, fc);
	if (e != NULL)
		return e;
	*out = json_object();
	for (size_t i = 0; sync_feature_flags[i] != NULL; i++)
		cJSON_AddBoolToObject(
		    *out, sync_feature_flags[i],
		    flags_value(fc->rows, sync_feature_flags[i], c->tenant.tenant->name));
	return NULL;
}
