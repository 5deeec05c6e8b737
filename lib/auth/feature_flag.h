/* Feature-flag management (seed-api §6.10 managementFeatureFlag, §7.12): list with the
 * generated CRUD's where/orderBy/pagination, single item, and update (PUT replaces the
 * value and description, DECISIONS §13.17). The read path is GET /feature-flag/current. */
#ifndef AUTH_FEATURE_FLAG_H
#define AUTH_FEATURE_FLAG_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "err.h"

struct feature_flag_query {
	const cJSON *where;         /* validated where object, or NULL */
	const cJSON *order_by;      /* array of "id"|"name"|"createdAt"|"updatedAt", or NULL */
	const cJSON *order_by_spec; /* {column: "ASC"|"DESC"}, or NULL */
	int64_t offset;             /* negative counts as 0 */
	int64_t limit;              /* negative counts as 0 */
};

/* {list:[item], total}: total before pagination. Default order createdAt, updatedAt, id;
 * id is always the last tie-breaker. An unknown where key or column is 500 (the route's
 * schema rejects them first). */
struct err *feature_flag_list(PGconn *db, const struct feature_flag_query *q, cJSON **out);
/* {item}; 400 managementFeatureFlag.single.notFound. */
struct err *feature_flag_single(PGconn *db, const char *id, cJSON **out);
/* Set globalValue and description; tenantValues (borrowed object of booleans) replaces
 * the column when non-NULL, else it stays. 400 managementFeatureFlag.single.notFound. */
struct err *feature_flag_update(PGconn *db, const char *id, bool global_value,
                                const char *description, const cJSON *tenant_values);

#endif
