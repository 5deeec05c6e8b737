/* What every login route does once it knows the user (seed-api §4.5, §4.6): the
 * session data with the two-step check, the session and token pair, the optional
 * device row, and user.lastLogin. Shared by anonymous and password logins. */
#ifndef API_LOGIN_H
#define API_LOGIN_H

#include <cjson/cJSON.h>

#include "api.h"
#include "session.h"

struct login_result {
	struct session_tokens tokens;
	char session_id[UUID_STR_LEN];
	char two_step_type[32]; /* "" | "totpProvider" | "passwordBasedOtp" */
};

/* Runs inside the caller's transaction (begin before, commit after). login_type is
 * e.g. "anonymousBased"; device is the validated loginDevice or NULL. */
struct err *login_session_create(struct api_ctx *c, const char *user_id, const char *login_type,
                                 const cJSON *device, struct login_result *out);

#endif
