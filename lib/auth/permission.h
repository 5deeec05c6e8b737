/* Roles and permissions (seed-api §5, §6.6, DECISIONS §13.3/§13.6): checks that count only
 * the current tenant's roles plus global ones, summaries, and role management. */
#ifndef AUTH_PERMISSION_H
#define AUTH_PERMISSION_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "err.h"

/* The template's permission identifiers (seed-api §5.1). */
#define PERMISSION_USER_LIST       "auth:user:list"
#define PERMISSION_USER_MANAGE     "auth:user:manage"
#define PERMISSION_MANAGE          "auth:permission:manage"
#define PERMISSION_KEYCLOAK_CREATE "auth:keycloak:user:create"
#define PERMISSION_TOTP_MANAGE     "auth:totp:manage"
#define PERMISSION_INTERNAL        "lightbase:internal"

/* Mandatory (static) roles: "admin" per tenant and the global "_lightbase". */
#define PERMISSION_ROLE_ADMIN     "admin"
#define PERMISSION_ROLE_LIGHTBASE "_lightbase"

/* NULL-terminated list of every known identifier, in the template's order. */
extern const char *const permission_identifiers[];
bool permission_is_known(const char *identifier);

/* The user must hold every permission in perms[0..n) through a role of tenant_id or a
 * global role; else 400 auth.requireUser.missingPermissions {missingPermissions:[...]}. */
struct err *permission_require(PGconn *db, const char *tenant_id, const char *user_id,
                               const char *const *perms, size_t n);
/* Same for one permission, as a yes/no answer. */
struct err *permission_user_has(PGconn *db, const char *tenant_id, const char *user_id,
                                const char *perm, bool *has);

/* {roles:[{id, identifier}], permissions:[identifier]} over the user's roles of tenant_id
 * and global roles; roles by identifier, permissions de-duplicated and sorted. */
struct err *permission_summary(PGconn *db, const char *tenant_id, const char *user_id, cJSON **out);
/* Same for a target user of the tenant (soft-deleted included); else 400
 * authPermission.requireUser.invalidUser. */
struct err *permission_user_summary(PGconn *db, const char *tenant_id, const char *user_id,
                                    cJSON **out);

/* {permissions:[{id, identifier}]} sorted by identifier. */
struct err *permission_list(PGconn *db, cJSON **out);
/* {roles:[{id, identifier, isEditable, permissions}]}: the tenant's and global roles,
 * ordered by identifier (DECISIONS §13.23). */
struct err *permission_role_list(PGconn *db, const char *tenant_id, cJSON **out);
/* {role:{id, identifier}}; 400 authPermission.createRole.duplicateIdentifier. Runs its
 * own transaction (db must be outside one). */
struct err *permission_role_create(PGconn *db, const char *tenant_id, const char *identifier,
                                   cJSON **out);
/* 400 authPermission.requireRole.unknownRole / .notEditable. */
struct err *permission_role_delete(PGconn *db, const char *tenant_id, const char *role_id);
/* identifiers: array of strings (borrowed). add: 400
 * authPermission.roleAddPermissions.unknownPermission; remove: 400
 * authPermission.roleRemovePermissions.permissionNotAssigned {permission}. */
struct err *permission_role_add_permissions(PGconn *db, const char *tenant_id, const char *role_id,
                                            const cJSON *identifiers);
struct err *permission_role_remove_permissions(PGconn *db, const char *tenant_id,
                                               const char *role_id, const cJSON *identifiers);

/* Assign a role of the tenant or a global role to a user of the tenant. Static roles need
 * a caller holding lightbase:internal (DECISIONS §13.6), else 400
 * auth.requireUser.missingPermissions {missingPermissions:["lightbase:internal"]}. Other
 * errors: authPermission.requireUser.invalidUser, authPermission.userAssignRole.userHasRole,
 * authPermission.userAssignRole.unknownRole. */
struct err *permission_user_assign_role(PGconn *db, const char *tenant_id, const char *caller_id,
                                        const char *user_id, const char *role_id);
/* 400 authPermission.requireUser.invalidUser, authPermission.userRemoveRole.roleNotAssigned
 * (roles of other tenants count as not assigned). Removing needs no extra permission. */
struct err *permission_user_remove_role(PGconn *db, const char *tenant_id, const char *user_id,
                                        const char *role_id);

#endif
