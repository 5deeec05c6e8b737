/* Mail transport: SMTP through libcurl (plain, STARTTLS or implicit TLS, with
 * authentication) when configured, else an .eml file under mail.dir per message. */
#ifndef QUEUE_MAIL_SEND_H
#define QUEUE_MAIL_SEND_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "config.h"
#include "err.h"
#include "log.h"
#include "mail_render.h"

struct mail_send {
	const struct config *cfg;
	const struct logger *lg;
	bool smtp; /* false: .eml previews */
};

/* Pick the transport (mail.transport; auto = smtp when mail.smtp_host is set). Call
 * curl_global_init before starting threads. Fails when smtp is asked for without a host. */
struct err *mail_send_init(struct mail_send *ms, const struct config *cfg, const struct logger *lg);
/* Send (or write) m within timeout_ms. *where gets "smtp://host:port" or the file path. */
struct err *mail_send_message(struct mail_send *ms, struct arena *a, const struct mail_message *m,
                              int64_t timeout_ms, const char **where);

#endif
