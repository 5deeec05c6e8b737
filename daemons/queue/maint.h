/* Maintenance jobs of the template's schedule (seed-api §8.2) and event jobs without
 * mail (§8.3): cleanups, insights, leaked sessions, management purge. */
#ifndef QUEUE_MAINT_H
#define QUEUE_MAINT_H

#include "handler.h"

struct err *maint_queue_cleanup(struct handler_ctx *ctx, const struct job *j);
struct err *maint_queue_insights(struct handler_ctx *ctx, const struct job *j);
struct err *maint_session_cleanup(struct handler_ctx *ctx, const struct job *j);
struct err *maint_reset_token_cleanup(struct handler_ctx *ctx, const struct job *j);
struct err *maint_login_attempt_purge(struct handler_ctx *ctx, const struct job *j);
struct err *maint_leaked_session(struct handler_ctx *ctx, const struct job *j);
struct err *maint_management_purge(struct handler_ctx *ctx, const struct job *j);
struct err *maint_file_cleanup(struct handler_ctx *ctx, const struct job *j);
struct err *maint_file_image(struct handler_ctx *ctx, const struct job *j);
/* Template stubs (user registered, login verified, ...): logged, nothing else. */
struct err *maint_stub(struct handler_ctx *ctx, const struct job *j);
struct err *maint_noop(struct handler_ctx *ctx, const struct job *j);

#endif
