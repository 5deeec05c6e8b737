/* Template substitution and MIME assembly for outgoing mail. */
#include "mail_render.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "random.h"
#include "timeutil.h"

/* A growable string in the arena. */
struct mail_buf {
	struct arena *a;
	char *s;
	size_t len, cap;
};

static void
mail_render_put(struct mail_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap : 256) * 2;
		char *ns;

		while (cap < b->len + n + 1)
			cap *= 2;
		ns = arena_alloc(b->a, cap);
		if (b->len > 0)
			memcpy(ns, b->s, b->len);
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
mail_render_puts(struct mail_buf *b, const char *s)
{
	mail_render_put(b, s, strlen(s));
}

static void
mail_render_escaped(struct mail_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			mail_render_puts(b, "&amp;");
			break;
		case '<':
			mail_render_puts(b, "&lt;");
			break;
		case '>':
			mail_render_puts(b, "&gt;");
			break;
		case '"':
			mail_render_puts(b, "&quot;");
			break;
		case '\'':
			mail_render_puts(b, "&#39;");
			break;
		default:
			mail_render_put(b, s, 1);
		}
	}
}

static const char *
mail_render_var(const char *const *vars, const char *name, size_t n)
{
	for (size_t i = 0; vars[i] != NULL && vars[i + 1] != NULL; i += 2)
		if (strlen(vars[i]) == n && strncmp(vars[i], name, n) == 0)
			return vars[i + 1];
	return NULL;
}

/* Replace {{name}}; an unknown name is an error (a template typo must not ship). */
static struct err *
mail_render_fill(struct arena *a, const char *tpl, const char *const *vars, bool html, char **out)
{
	struct mail_buf b = { a, NULL, 0, 0 };
	const char *p = tpl, *open;

	mail_render_put(&b, "", 0);
	while ((open = strstr(p, "{{")) != NULL) {
		const char *close = strstr(open + 2, "}}");
		const char *v;

		if (close == NULL)
			break;
		mail_render_put(&b, p, (size_t)(open - p));
		v = mail_render_var(vars, open + 2, (size_t)(close - open - 2));
		if (v == NULL)
			return err_internal("mail template: unknown placeholder %.*s",
			                    (int)(close - open - 2), open + 2);
		if (html)
			mail_render_escaped(&b, v);
		else
			mail_render_puts(&b, v);
		p = close + 2;
	}
	mail_render_puts(&b, p);
	*out = b.s;
	return NULL;
}

static struct err *
mail_render_read(struct arena *a, const char *dir, const char *name, const char *ext, char **out)
{
	char *path = arena_printf(a, "%s/%s.%s", dir, name, ext);
	FILE *f = fopen(path, "rb");
	struct mail_buf b = { a, NULL, 0, 0 };
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return err_internal("mail template %s: cannot open", path);
	mail_render_put(&b, "", 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		mail_render_put(&b, chunk, n);
	fclose(f);
	*out = b.s;
	return NULL;
}

bool
mail_render_address_ok(const char *addr)
{
	const char *at;

	if (addr == NULL || strlen(addr) > 254)
		return false;
	for (const char *p = addr; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == ',' || *p == '"' ||
		    *p == 0x7f)
			return false;
	at = strchr(addr, '@');
	return at != NULL && at != addr && at[1] != '\0' && strchr(at + 1, '@') == NULL;
}

struct err *
mail_render_template(struct arena *a, const char *dir, const char *name, const char *const *vars,
                     const char *from, const char *to, struct mail_message *out)
{
	char *txt, *html, *subject_line, *nl;
	struct err *e;

	if (!mail_render_address_ok(to))
		return err_newf("mail.invalidAddress", 400, "refusing recipient address");
	if ((e = mail_render_read(a, dir, name, "txt", &txt)) != NULL ||
	    (e = mail_render_read(a, dir, name, "html", &html)) != NULL)
		return e;
	if (strncmp(txt, "Subject: ", 9) != 0 || (nl = strchr(txt, '\n')) == NULL)
		return err_internal("mail template %s.txt: first line must be \"Subject: ...\"",
		                    name);
	*nl = '\0';
	if ((e = mail_render_fill(a, txt + 9, vars, false, &subject_line)) != NULL ||
	    (e = mail_render_fill(a, nl + 1 + (nl[1] == '\n'), vars, false, (char **)&out->text)) !=
	        NULL ||
	    (e = mail_render_fill(a, html, vars, true, (char **)&out->html)) != NULL)
		return e;
	/* no header injection through a tenant name or the like */
	for (char *p = subject_line; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	out->subject = subject_line;
	out->from = arena_strdup(a, from);
	out->to = arena_strdup(a, to);
	return NULL;
}

static bool
mail_render_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* RFC 2047 encoded word for a non-ASCII subject. */
static const char *
mail_render_header_text(struct arena *a, const char *s)
{
	size_t n = strlen(s);
	char *out;

	if (mail_render_ascii(s))
		return s;
	out = arena_alloc(a, 4 * ((n + 2) / 3) + 16);
	strcpy(out, "=?UTF-8?B?");
	EVP_EncodeBlock((unsigned char *)out + 10, (const unsigned char *)s, (int)n);
	strcat(out, "?=");
	return out;
}

/* Body text with every line ending as CRLF. */
static void
mail_render_crlf(struct mail_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\r')
			continue;
		if (*s == '\n')
			mail_render_puts(b, "\r\n");
		else
			mail_render_put(b, s, 1);
	}
}

char *
mail_render_mime(struct arena *a, const struct mail_message *m)
{
	struct mail_buf b = { a, NULL, 0, 0 };
	char date[64], boundary[40], id[40], host[128] = "localhost";
	const char *enc =
	    mail_render_ascii(m->text) && mail_render_ascii(m->html) ? "7bit" : "8bit";
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	random_token(boundary, sizeof(boundary), 18);
	random_token(id, sizeof(id), 18);
	if (strchr(m->from, '@') != NULL)
		snprintf(host, sizeof(host), "%s", strchr(m->from, '@') + 1);
	mail_render_puts(&b, "From: ");
	mail_render_puts(&b, m->from);
	mail_render_puts(&b, "\r\nTo: ");
	mail_render_puts(&b, m->to);
	mail_render_puts(&b, "\r\nSubject: ");
	mail_render_puts(&b, mail_render_header_text(a, m->subject));
	mail_render_puts(&b, arena_printf(a,
	                                  "\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\nMIME-Version: 1.0"
	                                  "\r\nContent-Type: multipart/alternative; "
	                                  "boundary=\"=_%s\"\r\n\r\n",
	                                  date, id, host, boundary));
	mail_render_puts(&b, arena_printf(a,
	                                  "--=_%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
	                                  "Content-Transfer-Encoding: %s\r\n\r\n",
	                                  boundary, enc));
	mail_render_crlf(&b, m->text);
	mail_render_puts(&b, arena_printf(a,
	                                  "\r\n--=_%s\r\nContent-Type: text/html; charset=utf-8\r\n"
	                                  "Content-Transfer-Encoding: %s\r\n\r\n",
	                                  boundary, enc));
	mail_render_crlf(&b, m->html);
	mail_render_puts(&b, arena_printf(a, "\r\n--=_%s--\r\n", boundary));
	return b.s;
}
