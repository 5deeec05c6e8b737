/* The context every lib/auth business function takes: the database connection of
 * the request, the configuration, and the resolved tenant (id and job metadata). */
#ifndef AUTH_AUTHCTX_H
#define AUTH_AUTHCTX_H

#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "config.h"

struct authctx {
	PGconn *db;
	const struct config *cfg;
	const char *tenant_id;    /* uuid of the resolved tenant */
	const cJSON *tenant_meta; /* {id, publicUrl, apiUrl}: the jobs' metadata.tenant */
};

#endif
