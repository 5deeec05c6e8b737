/* Mail rendering: templates from mail.template_dir (<name>.txt whose first line is
 * "Subject: ...", and <name>.html) with {{var}} placeholders, and the MIME message. */
#ifndef QUEUE_MAIL_RENDER_H
#define QUEUE_MAIL_RENDER_H

#include <stdbool.h>

#include "arena.h"
#include "err.h"

struct mail_message {
	const char *from, *to, *subject, *text, *html;
};

/* Render template name; vars is a NULL-terminated list of name, value pairs. Values are
 * HTML-escaped in the HTML part. to and from are copied into out. */
struct err *mail_render_template(struct arena *a, const char *dir, const char *name,
                                 const char *const *vars, const char *from, const char *to,
                                 struct mail_message *out);
/* The whole RFC 5322 message (CRLF line ends): headers, multipart/alternative text and
 * HTML. */
char *mail_render_mime(struct arena *a, const struct mail_message *m);
/* An address we are willing to put in a header: local@domain, no spaces or controls. */
bool mail_render_address_ok(const char *addr);

#endif
