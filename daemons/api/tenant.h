/* Multitenancy (seed-api §3): conf/tenants.json in the template's format, filtered by
 * the backend environment, and the resolution of a request's tenant from the Host,
 * Origin and x-lpc-tenant-origin headers. Tenant ids come from the start-up sync and
 * never change afterwards, so resolving needs no database round trip. */
#ifndef API_TENANT_H
#define API_TENANT_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "err.h"
#include "uuid.h"

struct tenant_url {
	char *public_url; /* without scheme, e.g. scaffold.acc.lightbase.nl */
	char *api_url;    /* without scheme */
};

struct tenant {
	char *name;
	cJSON *data; /* the tenant's free-form data */
	struct tenant_url *urls;
	size_t nurls;
	char id[UUID_STR_LEN]; /* set by sync */
};

struct tenant_config {
	struct tenant *tenants; /* enabled tenants only */
	size_t ntenants;
	bool unique_api_urls;
};

struct tenant_resolved {
	const struct tenant *tenant;
	char public_url[320]; /* with scheme */
	char api_url[320];    /* with scheme */
};

/* Load and validate path for environment (production|acceptance|development). An
 * invalid file or zero enabled tenants is an error naming the problem. */
struct err *tenant_config_load(const char *path, const char *environment,
                               struct tenant_config *out);
void tenant_config_free(struct tenant_config *tc);
const struct tenant *tenant_by_name(const struct tenant_config *tc, const char *name);

/* Resolve per seed-api §3.3. dev_allowed: !production or environment is development or
 * acceptance. protocol: "http" or "https". Headers may be NULL. */
struct err *tenant_resolve(const struct tenant_config *tc, bool dev_allowed, const char *protocol,
                           const char *host, const char *origin, const char *tenant_origin,
                           struct tenant_resolved *out);

#endif
