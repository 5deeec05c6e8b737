/* Post a message to a Slack incoming webhook (JSON {"text": ...}) over libcurl. */
#ifndef AUTH_SLACK_H
#define AUTH_SLACK_H

#include "err.h"

/* POST {"text": text} to webhook_url; a transport error or a non-2xx answer is a 500 with
 * the detail in the log message only. timeout_ms bounds the whole request. */
struct err *slack_webhook_post(const char *webhook_url, const char *text, long timeout_ms);

#endif
