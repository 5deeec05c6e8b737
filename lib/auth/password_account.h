/* A signed-in user's password login (seed-api §6.8): list emails, update password,
 * update email (re-verification), per-tenant email uniqueness and revoking sessions. */
#ifndef AUTH_PASSWORD_ACCOUNT_H
#define AUTH_PASSWORD_ACCOUNT_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "authctx.h"
#include "err.h"

/* {emails: [{email, isVerified, verifiedAt?, createdAt}]} (zero or one entry). */
struct err *password_account_list_emails(const struct authctx *ctx, const char *user_id,
                                         cJSON **out);

/* New argon2id hash, every session of the user deleted, passwordUpdated enqueued
 * (own transaction; the hash is computed before it starts). */
struct err *password_account_update_password(const struct authctx *ctx, const char *user_id,
                                             const char *password);
/* The same with the hash already computed (password_hash at the configured
 * parameters), for a caller that hashes on another thread. */
struct err *password_account_update_password_hashed(const struct authctx *ctx, const char *user_id,
                                                    const char *hash);

/* New email, unverified, a verify token, every session deleted, emailUpdated
 * enqueued; 400 authPasswordBased.checkUnique.duplicateEmail rolls it all back. */
struct err *password_account_update_email(const struct authctx *ctx, const char *user_id,
                                          const char *email);

/* In the caller's transaction: 400 authPasswordBased.checkUnique.duplicateEmail when
 * another non-deleted user sharing a tenant with user_id has this password email.
 * Serialised per email with a transaction advisory lock. */
struct err *password_account_check_unique(const struct authctx *ctx, const char *user_id,
                                          const char *email);

/* Delete every session of the user (tokens and devices cascade). */
struct err *password_account_revoke_sessions(const struct authctx *ctx, const char *user_id);
/* In the caller's transaction: store hash for login_id (verify: also mark the email
 * verified), delete every session of user_id, and enqueue job {passwordLoginId}. */
struct err *password_account_set_password(const struct authctx *ctx, const char *login_id,
                                          const char *user_id, const char *hash, bool verify,
                                          const char *job);

#endif
