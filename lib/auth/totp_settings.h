/* The TOTP provider (seed-api §6.9) on "totpSettings": info, setup, setup/verify,
 * verify (completes two-step), remove and admin remove. Codes are SHA-512, 30 s, 6
 * digits, accepted within ±1 step and once per step ("lastUsedStep", migration 005). */
#ifndef AUTH_TOTP_SETTINGS_H
#define AUTH_TOTP_SETTINGS_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "authctx.h"
#include "err.h"

#define TOTP_SETTINGS_WINDOW 1

/* {isConfigured, isVerified}. */
struct err *totp_settings_info(const struct authctx *ctx, const char *user_id, cJSON **out);
/* {otpAuthUrl, secret, algorithm:"sha512"}; 400 authTotpProvider.setup.alreadyConfigured
 * when verified; an unverified setup is replaced. */
struct err *totp_settings_setup(const struct authctx *ctx, const char *user_id, cJSON **out);
/* totpNotConfigured / totpAlreadyVerified / invalidTotp (authTotpProvider.setupVerify.*). */
struct err *totp_settings_setup_verify(const struct authctx *ctx, const char *user_id,
                                       const char *code);
/* totpNotConfigured / totpNotVerified / invalidTotp (authTotpProvider.verify.*); on
 * success a checkTwoStep totpProvider session becomes "user" (session_data changed). */
struct err *totp_settings_verify(const struct authctx *ctx, const char *user_id,
                                 cJSON *session_data, const char *code);
/* authTotpProvider.remove.totpNotConfigured. */
struct err *totp_settings_remove(const struct authctx *ctx, const char *user_id);
/* A user of the tenant (soft-deleted too) else authTotpProvider.removeForUser.invalidUser;
 * authTotpProvider.removeForUser.totpNotConfigured. */
struct err *totp_settings_remove_for_user(const struct authctx *ctx, const char *target_id);

#endif
