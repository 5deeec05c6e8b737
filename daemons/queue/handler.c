/* The job name -> handler table (seed-api §8.2, §8.3; platform-runtime §3.9). */
#include "handler.h"

#include <string.h>

#include "devjobs.h"
#include "json.h"
#include "mail_jobs.h"
#include "maint.h"
#include "timeutil.h"

static const struct handler handler_table[] = {
	/* recurring (seed-api §8.2) */
	{ "compas.queue.cleanup", maint_queue_cleanup, HANDLER_TX },
	{ "compas.queue.insights", maint_queue_insights, 0 },
	{ "compas.file.cleanup", maint_file_cleanup, HANDLER_TX },
	{ "compas.sessionStore.cleanup", maint_session_cleanup, HANDLER_TX },
	{ "auth.passwordBased.invalidateResetTokens", maint_reset_token_cleanup, HANDLER_TX },
	{ "backendManagement.invalidateUsers", maint_management_purge, HANDLER_TX },
	{ "auth.passwordBased.purgeLoginAttempts", maint_login_attempt_purge, HANDLER_TX },
	/* events (seed-api §8.3) */
	{ "compas.sessionStore.potentialLeakedSession", maint_leaked_session, HANDLER_TX },
	{ "compas.file.generatePlaceholderImage", maint_file_image, 0 },
	{ "compas.file.transformImage", maint_file_image, 0 },
	{ "auth.passwordBased.userRegistered", mail_jobs_user_registered, 0 },
	{ "auth.passwordBased.forgotPassword", mail_jobs_forgot_password, 0 },
	{ "auth.passwordBased.requestOtp", mail_jobs_request_otp, 0 },
	{ "auth.passwordBased.passwordUpdated", mail_jobs_password_changed, 0 },
	{ "auth.passwordBased.passwordReset", mail_jobs_password_changed, 0 },
	{ "auth.passwordBased.emailUpdated", mail_jobs_email_updated, 0 },
	{ "auth.passwordBased.loginVerified", maint_stub, 0 },
	{ "auth.anonymousBased.userRegistered", maint_stub, 0 },
	{ "auth.digidBased.userRegistered", maint_stub, 0 },
	{ "auth.keycloakBased.userRegistered", maint_stub, 0 },
	{ "auth.user.softDeleted", maint_stub, 0 },
	/* platform */
	{ "platform.noop", maint_noop, 0 },
	{ "platform.test.record", devjobs_record, HANDLER_TX | HANDLER_DEV },
	{ "platform.test.mark", devjobs_record, HANDLER_DEV },
};

const struct handler *
handler_find(const char *name, bool production)
{
	for (size_t i = 0; i < sizeof(handler_table) / sizeof(handler_table[0]); i++)
		if (strcmp(handler_table[i].name, name) == 0)
			return (production && (handler_table[i].flags & HANDLER_DEV))
			           ? NULL
			           : &handler_table[i];
	return NULL;
}

void
handler_log(const struct handler_ctx *ctx, const struct job *j, const char *type, cJSON *fields)
{
	cJSON *context = json_object(), *m = fields != NULL ? fields : json_object();

	cJSON_AddStringToObject(context, "type", "queue_handler");
	cJSON_AddStringToObject(context, "id", j->id_text);
	cJSON_AddStringToObject(m, "type", type);
	cJSON_AddStringToObject(m, "name", j->name);
	log_json(ctx->lg, LOG_INFO, context, m);
	cJSON_Delete(context);
}

int64_t
handler_remaining_ms(const struct handler_ctx *ctx)
{
	int64_t left = ctx->deadline_ms - timeutil_monotonic_ms();

	return left > 0 ? left : 1;
}
