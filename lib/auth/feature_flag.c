/* Feature-flag management: the generated CRUD's list (where, orderBy, orderBySpec,
 * offset/limit), single and update, built as parameterized SQL from whitelisted parts. */
#include "feature_flag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "pg.h"
#include "uuid.h"

#define TS(x) "to_char(" x " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
#define ITEM_JSON                                                                                  \
	"json_strip_nulls(json_build_object('id', f.id, 'name', f.name, "                          \
	"'description', f.description, 'globalValue', f.\"globalValue\", "                         \
	"'tenantValues', f.\"tenantValues\", 'createdAt', " TS(                                    \
	    "f.\"createdAt\"") ", "                                                                \
	                       "'updatedAt', " TS("f.\"updatedAt\"") "))"

#define MAX_PARAMS 64

/* A searchable column and its SQL type. */
struct column {
	const char *name; /* "createdAt" */
	const char *sql;  /* "f.\"createdAt\"" */
	const char *type; /* "timestamptz" */
};

static const struct column columns[] = {
	{ "id", "f.id", "uuid" },
	{ "name", "f.name", "text" },
	{ "createdAt", "f.\"createdAt\"", "timestamptz" },
	{ "updatedAt", "f.\"updatedAt\"", "timestamptz" },
};

/* A where-key suffix: "%1$s" is the column, "%2$s" the parameter, "%3$s" the type. */
struct op {
	const char *suffix;
	const char *sql;
	bool array;      /* value is an array, passed as jsonb */
	bool text_only;  /* only for text columns (the like family) */
	bool range_only; /* only for dates */
};

static const struct op ops[] = {
	{ "", "%1$s = %2$s::%3$s", false, false, false },
	{ "NotEqual", "%1$s <> %2$s::%3$s", false, false, false },
	{ "In", "%1$s IN (SELECT v::%3$s FROM jsonb_array_elements_text(%2$s::jsonb) v)", true,
	  false, false },
	{ "NotIn", "%1$s NOT IN (SELECT v::%3$s FROM jsonb_array_elements_text(%2$s::jsonb) v)",
	  true, false, false },
	{ "Like", "%1$s LIKE '%%' || %2$s::text || '%%'", false, true, false },
	{ "ILike", "%1$s ILIKE '%%' || %2$s::text || '%%'", false, true, false },
	{ "NotLike", "%1$s NOT LIKE '%%' || %2$s::text || '%%'", false, true, false },
	{ "GreaterThan", "%1$s > %2$s::%3$s", false, false, true },
	{ "LowerThan", "%1$s < %2$s::%3$s", false, false, true },
};

/* SQL text and parameters under construction; params are owned (freed by sql_free). */
struct sql {
	char text[8192];
	size_t len;
	char *params[MAX_PARAMS];
	int nparams;
	bool overflow;
};

static void sql_append(struct sql *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sql_append(struct sql *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s->text + s->len, sizeof(s->text) - s->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(s->text) - s->len)
		s->overflow = true;
	else
		s->len += (size_t)n;
}

/* Add a parameter (owned copy); writes its placeholder "$n" to ph. */
static void
sql_param(struct sql *s, char *value, char ph[8])
{
	if (s->nparams == MAX_PARAMS) {
		s->overflow = true;
		free(value);
		snprintf(ph, 8, "NULL");
		return;
	}
	s->params[s->nparams++] = value;
	snprintf(ph, 8, "$%d", s->nparams);
}

static void
sql_free(struct sql *s)
{
	for (int i = 0; i < s->nparams; i++)
		free(s->params[i]);
}

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		abort();
	return d;
}

static const struct column *
column_find(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++) {
		if (strlen(columns[i].name) == len && strncmp(columns[i].name, name, len) == 0)
			return &columns[i];
	}
	return NULL;
}

/* Split a where key into column + operator (e.g. "createdAtGreaterThan"). */
static bool
where_key_parse(const char *key, const struct column **col, const struct op **op)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t slen = strlen(ops[i].suffix);
		const struct column *c;

		if (slen >= klen || strcmp(key + klen - slen, ops[i].suffix) != 0)
			continue;
		c = column_find(key, klen - slen);
		if (c == NULL)
			continue;
		if ((ops[i].text_only && strcmp(c->type, "text") != 0) ||
		    (ops[i].range_only && strcmp(c->type, "timestamptz") != 0))
			continue;
		*col = c;
		*op = &ops[i];
		return true;
	}
	return false;
}

static struct err *
where_build(struct sql *s, const cJSON *where)
{
	const cJSON *item;
	char ph[8];

	sql_append(s, " WHERE TRUE");
	cJSON_ArrayForEach(item, where)
	{
		const struct column *col;
		const struct op *op;

		if (cJSON_IsNull(item))
			continue;
		if (!where_key_parse(item->string, &col, &op))
			return err_internal("feature_flag: unknown where key %s", item->string);
		if (op->array != cJSON_IsArray(item) || (!op->array && !cJSON_IsString(item)))
			return err_internal("feature_flag: bad where value for %s", item->string);
		sql_param(s, op->array ? json_print(item) : xstrdup(item->valuestring), ph);
		sql_append(s, " AND ");
		sql_append(s, op->sql, col->sql, ph, col->type);
	}
	return NULL;
}

static struct err *
order_build(struct sql *s, const struct feature_flag_query *q)
{
	static const char *const defaults[] = { "createdAt", "updatedAt", "id" };
	const char *names[8];
	size_t n = 0;
	bool has_id = false;
	const cJSON *item;

	if (q->order_by != NULL) {
		cJSON_ArrayForEach(item, q->order_by)
		{
			if (!cJSON_IsString(item) || n == sizeof(names) / sizeof(names[0]))
				return err_internal("feature_flag: bad orderBy");
			names[n++] = item->valuestring;
		}
	} else {
		for (; n < 3; n++)
			names[n] = defaults[n];
	}
	sql_append(s, " ORDER BY ");
	for (size_t i = 0; i < n; i++) {
		const struct column *col = column_find(names[i], strlen(names[i]));
		const char *dir = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(q->order_by_spec, names[i]));

		if (col == NULL)
			return err_internal("feature_flag: unknown order column %s", names[i]);
		has_id = has_id || strcmp(col->name, "id") == 0;
		sql_append(s, "%s%s %s", i > 0 ? ", " : "", col->sql,
		           dir != NULL && strcmp(dir, "DESC") == 0 ? "DESC" : "ASC");
	}
	if (!has_id)
		sql_append(s, "%sf.id ASC", n > 0 ? ", " : "");
	return NULL;
}

struct err *
feature_flag_list(PGconn *db, const struct feature_flag_query *q, cJSON **out)
{
	struct sql where = { 0 }, order = { 0 }, s = { 0 };
	char offset[24], limit[24];
	struct err *e = where_build(&where, q->where);
	PGresult *r;

	if (e == NULL)
		e = order_build(&order, q);
	if (e == NULL) {
		snprintf(offset, sizeof(offset), "%lld",
		         (long long)(q->offset > 0 ? q->offset : 0));
		snprintf(limit, sizeof(limit), "%lld", (long long)(q->limit > 0 ? q->limit : 0));
		sql_append(&s,
		           "SELECT json_build_object('total', (SELECT count(*) FROM "
		           "\"featureFlag\" f%s), 'list', COALESCE((SELECT json_agg(x.item "
		           "ORDER BY x.n) FROM (SELECT " ITEM_JSON " AS item, row_number() OVER "
		           "(%s) AS n FROM \"featureFlag\" f%s%s OFFSET $%d::bigint LIMIT "
		           "$%d::bigint) x), '[]'::json))",
		           where.text, order.text, where.text, order.text, where.nparams + 1,
		           where.nparams + 2);
		/* Placeholders of the where clause are reused in both sub-queries. */
		for (int i = 0; i < where.nparams; i++)
			s.params[s.nparams++] = where.params[i];
		where.nparams = 0;
		s.params[s.nparams++] = xstrdup(offset);
		s.params[s.nparams++] = xstrdup(limit);
		if (where.overflow || order.overflow || s.overflow)
			e = err_internal("feature_flag: list query too large");
	}
	if (e == NULL) {
		r = pg_query(db, s.text, s.nparams, (const char *const *)s.params, &e);
		if (e == NULL)
			*out = pg_get_json(r, 0, 0);
		PQclear(r);
	}
	sql_free(&where);
	sql_free(&order);
	sql_free(&s);
	return e;
}

struct err *
feature_flag_single(PGconn *db, const char *id, cJSON **out)
{
	static const char sql[] = "SELECT json_build_object('item', " ITEM_JSON ") "
	                          "FROM \"featureFlag\" f WHERE f.id = $1::uuid";
	char uid[UUID_STR_LEN];
	struct err *e = NULL;
	PGresult *r;

	*out = NULL;
	if (!uuid_normalize(id, uid))
		return err_new("managementFeatureFlag.single.notFound", 400, NULL);
	r = pg_query(db, sql, 1, (const char *const[]){ uid }, &e);
	if (e != NULL)
		return e;
	if (PQntuples(r) == 1)
		*out = pg_get_json(r, 0, 0);
	PQclear(r);
	return *out != NULL ? NULL : err_new("managementFeatureFlag.single.notFound", 400, NULL);
}

struct err *
feature_flag_update(PGconn *db, const char *id, bool global_value, const char *description,
                    const cJSON *tenant_values)
{
	static const char sql[] =
	    "UPDATE \"featureFlag\" SET \"globalValue\" = $2::bool, \"description\" = $3, "
	    "\"tenantValues\" = COALESCE($4::jsonb, \"tenantValues\"), \"updatedAt\" = now() "
	    "WHERE id = $1::uuid RETURNING id";
	char uid[UUID_STR_LEN];
	char *values = tenant_values != NULL ? json_print(tenant_values) : NULL;
	const char *params[] = { uid, global_value ? "true" : "false",
		                 description != NULL ? description : "", values };
	struct err *e = NULL;
	PGresult *r;
	bool found;

	if (!uuid_normalize(id, uid)) {
		free(values);
		return err_new("managementFeatureFlag.single.notFound", 400, NULL);
	}
	r = pg_query(db, sql, 4, params, &e);
	free(values);
	if (e != NULL)
		return e;
	found = PQntuples(r) == 1;
	PQclear(r);
	return found ? NULL : err_new("managementFeatureFlag.single.notFound", 400, NULL);
}
