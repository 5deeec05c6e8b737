/* The auth jobs that send mail (DECISIONS §13.8), with the template's names and payloads
 * (seed-api §8.3): verify email, set/forgot password, OTP code, password changed, email
 * changed. Mails name the tenant and link to its publicUrl. */
#ifndef QUEUE_MAIL_JOBS_H
#define QUEUE_MAIL_JOBS_H

#include "handler.h"

/* auth.passwordBased.userRegistered: verify-email, or set-password for a login created
 * with a random password (its token has shouldSetPassword). */
struct err *mail_jobs_user_registered(struct handler_ctx *ctx, const struct job *j);
/* auth.passwordBased.forgotPassword: reset-password link. */
struct err *mail_jobs_forgot_password(struct handler_ctx *ctx, const struct job *j);
/* auth.passwordBased.requestOtp: the one-time code. */
struct err *mail_jobs_request_otp(struct handler_ctx *ctx, const struct job *j);
/* auth.passwordBased.passwordUpdated and .passwordReset: a notice. */
struct err *mail_jobs_password_changed(struct handler_ctx *ctx, const struct job *j);
/* auth.passwordBased.emailUpdated: a notice to the previous address and a verify-email
 * link to the new one. */
struct err *mail_jobs_email_updated(struct handler_ctx *ctx, const struct job *j);

#endif
