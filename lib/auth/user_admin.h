/* User administration (seed-api §6.3, §7.6, DECISIONS §13.13): the userSummary shape, list
 * with filters, single user, rename, and soft delete / reactivate. */
#ifndef AUTH_USER_ADMIN_H
#define AUTH_USER_ADMIN_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "err.h"
#include "uuid.h"

/* A tri-state login filter: any, only users without that login, only users with it. */
enum user_admin_exists { USER_ADMIN_ANY = -1, USER_ADMIN_WITHOUT = 0, USER_ADMIN_WITH = 1 };

struct user_admin_filter {
	const char *name_search; /* case-insensitive substring of user.name; NULL: none */
	enum user_admin_exists anonymous_login, digid_login, keycloak_login, password_login;
	bool include_anonymous_temporary; /* anonymous login not allowed and no password */
	bool include_soft_deleted;
};

/* The filter of an empty body: everything ANY, both toggles false. */
void user_admin_filter_init(struct user_admin_filter *f);

/* The target user of an admin route: linked to the tenant, soft-deleted included; else 400
 * <prefix>.invalidUser. Writes the normalised id to id_out. */
struct err *user_admin_require_target(PGconn *db, const char *tenant_id, const char *user_id,
                                      const char *prefix, char id_out[UUID_STR_LEN]);

/* auth.userSummary of a user of the tenant (roles/permissions scoped to the tenant and
 * global roles, as permission checks are). *out is NULL when no such user. */
struct err *user_admin_summary(PGconn *db, const char *tenant_id, const char *user_id, cJSON **out);

/* {users:[userSummary]} ordered by createdAt, updatedAt, id. */
struct err *user_admin_list(PGconn *db, const char *tenant_id, const struct user_admin_filter *f,
                            cJSON **out);
/* {user: userSummary}; 400 auth.getUser.invalidUser. */
struct err *user_admin_get(PGconn *db, const char *tenant_id, const char *user_id, cJSON **out);
/* Set (set=true; name NULL clears) or keep the name; 400
 * auth.updateUser.requireUser.invalidUser. */
struct err *user_admin_update_name(PGconn *db, const char *tenant_id, const char *user_id, bool set,
                                   const char *name);
/* Reactivate, or soft delete: deletedAt=now, every session of the user revoked, and job
 * auth.user.softDeleted {userId, metadata:{tenant: tenant_metadata}} enqueued, in one
 * transaction (db must be outside one). No-op when already in that state. 400
 * auth.setUserActive.requireUser.invalidUser. tenant_metadata is borrowed. */
struct err *user_admin_set_active(PGconn *db, const char *tenant_id, const char *user_id,
                                  bool active, const cJSON *tenant_metadata);

#endif
