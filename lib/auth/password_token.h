/* Email verification and password reset tokens (seed-api §6.8, §7.3): verify-email,
 * forgot-password and reset-password. Tokens are single use and bound to the tenant
 * of the request (DECISIONS §13.11). */
#ifndef AUTH_PASSWORD_TOKEN_H
#define AUTH_PASSWORD_TOKEN_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "authctx.h"
#include "err.h"
#include "uuid.h"

/* In the caller's transaction (the session is created in it too): consume a verify
 * token of a non-deleted user of the tenant (else 400
 * authPasswordBased.verifyEmail.invalidVerifyToken), verify the email the first time
 * (auth.passwordBased.loginVerified) and build the session data (§4.5). */
struct err *password_token_verify_email(const struct authctx *ctx, const char *token,
                                        char user_id[UUID_STR_LEN], cJSON **session_data);

/* A reset token (24 h) and auth.passwordBased.forgotPassword when a non-deleted user of
 * the tenant has this email; silently nothing otherwise. Own transaction. */
struct err *password_token_forgot_password(const struct authctx *ctx, const char *email);

/* Consume a reset token of the tenant (else 400
 * authPasswordBased.resetPassword.invalidResetToken), set the new password (argon2id),
 * verify the email, delete every session (DECISIONS §13.12) and enqueue
 * auth.passwordBased.passwordReset. Own transaction. */
struct err *password_token_reset_password(const struct authctx *ctx, const char *token,
                                          const char *password);
/* The same with the hash already computed (password_hash at the configured
 * parameters), for a caller that hashes on another thread. */
struct err *password_token_reset_password_hashed(const struct authctx *ctx, const char *token,
                                                 const char *hash);

/* Insert a token for login_id in the caller's transaction: "auth-reset-<uuid>" when
 * should_set_password, else "auth-verify-<uuid>"; 24 h. Writes token and row id. */
struct err *password_token_insert(const struct authctx *ctx, const char *login_id,
                                  bool should_set_password, char token[64],
                                  char reset_id[UUID_STR_LEN]);

#endif
