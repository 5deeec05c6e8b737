/* Start-up synchronisation (seed-api §1.2) under pg_advisory_xact_lock(-333333):
 * tenants (insert/update, never delete), every user linked to every tenant, feature
 * flags, permissions (full sync) and the mandatory roles. Also the fixed lists of
 * permission identifiers and feature flags of the template. */
#ifndef API_SYNC_H
#define API_SYNC_H

#include <libpq-fe.h>

#include "err.h"
#include "tenant.h"

#define SYNC_LOCK_KEY (-333333)

/* NULL-terminated lists. */
extern const char *const sync_feature_flags[]; /* seed-api §7.12 */

/* Run the whole sync in one transaction; fills the tenant ids of tc. */
struct err *sync_run(PGconn *db, struct tenant_config *tc);

#endif
