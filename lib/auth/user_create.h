/* Creating a password user (seed-api §7.2): the user, linked to every tenant, a
 * password login with a verify or reset token, roles, the userRegistered job and the
 * per-tenant email uniqueness check, in one transaction. Used by platformctl user add
 * and by the optional self-registration route. */
#ifndef AUTH_USER_CREATE_H
#define AUTH_USER_CREATE_H

#include <stdbool.h>
#include <stddef.h>

#include "authctx.h"
#include "err.h"
#include "uuid.h"

struct user_create_input {
	const char *email;        /* already trimmed and lower-cased */
	const char *password;     /* NULL: unknown random password plus a reset token */
	bool verified;            /* verifiedAt = now (always so without a password) */
	const char *const *roles; /* role identifiers (global or of the tenant) */
	size_t nroles;
};

struct user_create_result {
	char user_id[UUID_STR_LEN];
	char login_id[UUID_STR_LEN];
	char token[64]; /* auth-reset-... (no password) or auth-verify-... */
};

/* 400 authPermission.userSyncRoles.unknownRoleIdentifier,
 * authPasswordBased.checkUnique.duplicateEmail; nothing is written on error. */
struct err *user_create_password(const struct authctx *ctx, const struct user_create_input *in,
                                 struct user_create_result *out);
/* The same with the hash of in->password already computed (password_hash at the
 * configured parameters), for a caller that hashes on another thread; in->password
 * still decides between a verify and a reset token. */
struct err *user_create_password_hashed(const struct authctx *ctx,
                                        const struct user_create_input *in, const char *hash,
                                        struct user_create_result *out);

#endif
