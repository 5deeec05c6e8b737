/* Impersonation start (seed-api §7.5): library-only, as in the template; the stop route
 * is POST /auth/impersonate-stop-session. */
#ifndef AUTH_IMPERSONATE_H
#define AUTH_IMPERSONATE_H

#include <libpq-fe.h>

#include "err.h"
#include "session.h"

/* Make the loaded session sess act as target_user_id: impersonatorUserId = the current
 * userId, userId = target, saved on the same session (tokens stay valid). The session
 * must be of type "user" and not already impersonating, and the target a non-deleted
 * user of tenant_id other than the current one; else 400
 * authImpersonate.startSession.invalid. */
struct err *impersonate_start(PGconn *db, const char *tenant_id, struct session *sess,
                              const char *target_user_id);

#endif
