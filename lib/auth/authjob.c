/* Auth job rows: the template's names, priority 4 and {..., metadata:{tenant}}. */
#include "authjob.h"

#include <stdlib.h>

#include "json.h"
#include "pg.h"

struct err *
authjob_enqueue(const struct authctx *ctx, const char *name, cJSON *data)
{
	cJSON *meta = json_object();
	char *text;
	struct err *e;
	const char *params[2];

	cJSON_AddItemToObject(meta, "tenant",
	                      ctx->tenant_meta != NULL ? cJSON_Duplicate(ctx->tenant_meta, 1)
	                                               : json_object());
	cJSON_AddItemToObject(data, "metadata", meta);
	text = json_print(data);
	cJSON_Delete(data);
	params[0] = name;
	params[1] = text;
	e = pg_exec(ctx->db,
	            "INSERT INTO \"job\" (\"name\", \"data\", \"priority\", \"isComplete\") "
	            "VALUES ($1, $2::jsonb, 4, false)",
	            2, params);
	free(text);
	return e;
}
