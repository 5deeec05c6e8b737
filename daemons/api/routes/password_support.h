/* Shared by the password-based and TOTP route groups: the lib/auth context of a
 * request, the per-IP limiter of seed-api §10.1 and login session creation. */
#ifndef API_PASSWORD_SUPPORT_H
#define API_PASSWORD_SUPPORT_H

#include <cjson/cJSON.h>

#include "api.h"
#include "authctx.h"

/* Cost of a route for the limiter: login 2, the other password routes 1. */
#define PASSWORD_SUPPORT_COST_LOGIN 2
#define PASSWORD_SUPPORT_COST       1

/* ctx for the request (tenant metadata freed with the request's arena). */
void password_support_ctx(struct api_ctx *c, struct authctx *ctx);

/* 429 server.internal.rateLimit when the client IP is over budget; a no-op unless
 * api.rate_limit is on and the api runs in production (as the template). */
struct err *password_support_ratelimit(struct api_ctx *c, int cost);

/* In the caller's open transaction: create the session with data (borrowed), add the
 * optional body.device, and set *response to {accessToken, refreshToken}. */
struct err *password_support_login_session(struct api_ctx *c, const cJSON *data, cJSON **response);

/* End a login transaction: when e (the result of the steps before) is NULL, create the
 * session as password_support_login_session and commit; otherwise, or on failure, roll
 * back and leave *response NULL. data is consumed. Returns the first error. */
struct err *password_support_finish_login(struct api_ctx *c, struct err *e, cJSON *data,
                                          cJSON **response);

/* {"success": true}. */
cJSON *password_support_success(void);

#endif
