/* Mail job handlers: load what the payload points at, render, send. A payload that
 * points at rows that are gone (login deleted, token used) is logged and skipped:
 * retrying would not bring them back. */
#include "mail_jobs.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "mail_render.h"
#include "mail_send.h"
#include "pg.h"
#include "uuid.h"

struct mail_jobs_tenant {
	const char *name, *public_url;
};

/* Tokens and codes go into URLs and mail text unescaped: allow only a safe alphabet. */
static bool
mail_jobs_safe_token(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 200)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static bool
mail_jobs_url_ok(const char *u)
{
	if (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)
		return false;
	for (; *u != '\0'; u++)
		if ((unsigned char)*u <= ' ' || *u == '"' || *u == '<' || *u == '>' || *u == '\'')
			return false;
	return true;
}

static void
mail_jobs_skip(struct handler_ctx *ctx, const struct job *j, const char *reason)
{
	cJSON *m = json_object();

	cJSON_AddStringToObject(m, "reason", reason);
	handler_log(ctx, j, "mail.skipped", m);
}

/* metadata.tenant {id, publicUrl}; the name comes from the tenant row. */
static struct err *
mail_jobs_tenant(struct handler_ctx *ctx, const struct job *j, struct mail_jobs_tenant *t)
{
	const cJSON *meta = NULL, *tenant = NULL;
	const char *id = NULL, *url = NULL;
	char uuid[UUID_STR_LEN];
	struct err *e;
	size_t n;

	if ((e = json_get_object(j->data, "$", "metadata", true, &meta)) != NULL ||
	    (e = json_get_object(meta, "$.metadata", "tenant", true, &tenant)) != NULL ||
	    (e = json_get_string(tenant, "$.metadata.tenant", "id", true, &id)) != NULL ||
	    (e = json_get_string(tenant, "$.metadata.tenant", "publicUrl", true, &url)) != NULL)
		return e;
	if (!mail_jobs_url_ok(url))
		return json_error("$.metadata.tenant.publicUrl", "validator.url", NULL);
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	t->public_url = arena_strndup(ctx->arena, url, n);
	t->name = NULL;
	if (uuid_normalize(id, uuid)) {
		const char *params[1] = { uuid };
		PGresult *r = pg_query(
		    ctx->conn, "SELECT \"name\" FROM \"tenant\" WHERE \"id\" = $1", 1, params, &e);

		if (r == NULL)
			return e;
		if (PQntuples(r) == 1)
			t->name = arena_strdup(ctx->arena, pg_get(r, 0, 0));
		PQclear(r);
	}
	if (t->name == NULL) /* no tenant row: name the site by its address */
		t->name = strstr(t->public_url, "://") + 3;
	return NULL;
}

/* The e-mail address of login id; *email NULL when the login is gone. */
static struct err *
mail_jobs_login(struct handler_ctx *ctx, const char *id, const char **email)
{
	char uuid[UUID_STR_LEN];
	const char *params[1] = { uuid };
	struct err *e = NULL;
	PGresult *r;

	*email = NULL;
	if (!uuid_normalize(id, uuid))
		return json_error("$.passwordLoginId", "validator.uuid", NULL);
	r = pg_query(ctx->conn, "SELECT \"email\" FROM \"passwordLogin\" WHERE \"id\" = $1", 1,
	             params, &e);
	if (r == NULL)
		return e;
	if (PQntuples(r) == 1)
		*email = arena_strdup(ctx->arena, pg_get(r, 0, 0));
	PQclear(r);
	return NULL;
}

/* The live token of reset row id belonging to login; *token NULL when gone or expired. */
static struct err *
mail_jobs_reset(struct handler_ctx *ctx, const char *id, const char *login, const char **token,
                bool *should_set)
{
	char rid[UUID_STR_LEN], lid[UUID_STR_LEN];
	const char *params[2] = { rid, lid };
	struct err *e = NULL;
	PGresult *r;

	*token = NULL;
	if (!uuid_normalize(id, rid))
		return json_error("$.passwordLoginResetId", "validator.uuid", NULL);
	if (!uuid_normalize(login, lid))
		return json_error("$.passwordLoginId", "validator.uuid", NULL);
	r = pg_query(ctx->conn,
	             "SELECT \"resetToken\", \"shouldSetPassword\" FROM \"passwordLoginReset\" "
	             "WHERE \"id\" = $1 AND \"login\" = $2 AND \"expiresAt\" > now()",
	             2, params, &e);
	if (r == NULL)
		return e;
	if (PQntuples(r) == 1) {
		*token = arena_strdup(ctx->arena, pg_get(r, 0, 0));
		*should_set = pg_get_bool(r, 0, 1);
	}
	PQclear(r);
	return NULL;
}

/* Render template for tenant t with link/otp/newEmail (NULL: empty) and send it. */
static struct err *
mail_jobs_send(struct handler_ctx *ctx, const struct job *j, const struct mail_jobs_tenant *t,
               const char *tpl, const char *to, const char *link, const char *otp,
               const char *new_email)
{
	char year[16];
	time_t now = time(NULL);
	struct tm tm;
	const char *vars[] = { "tenantName", t->name,
		               "publicUrl",  t->public_url,
		               "link",       link != NULL ? link : "",
		               "otp",        otp != NULL ? otp : "",
		               "email",      to,
		               "newEmail",   new_email != NULL ? new_email : "",
		               "year",       year,
		               NULL,         NULL };
	struct mail_message m;
	const char *where = NULL;
	struct err *e;
	cJSON *log;

	gmtime_r(&now, &tm);
	snprintf(year, sizeof(year), "%d", tm.tm_year + 1900);
	e = mail_render_template(ctx->arena, ctx->cfg->mail_template_dir, tpl, vars,
	                         ctx->cfg->mail_from, to, &m);
	if (e == NULL)
		e = mail_send_message(ctx->mail, ctx->arena, &m, handler_remaining_ms(ctx), &where);
	if (e != NULL)
		return e;
	log = json_object();
	cJSON_AddStringToObject(log, "template", tpl);
	cJSON_AddStringToObject(log, "to", to);
	cJSON_AddStringToObject(log, "subject", m.subject);
	cJSON_AddStringToObject(log, ctx->mail->smtp ? "server" : "path", where);
	handler_log(ctx, j, "mail.sent", log);
	return NULL;
}

/* Shared by the token mails: login email, live token, tenant. *skip when gone. */
static struct err *
mail_jobs_token_mail(struct handler_ctx *ctx, const struct job *j, const char **email,
                     const char **token, bool *should_set, struct mail_jobs_tenant *t)
{
	const char *login = NULL, *reset = NULL;
	struct err *e;

	*should_set = false;
	if ((e = json_get_string(j->data, "$", "passwordLoginId", true, &login)) != NULL ||
	    (e = json_get_string(j->data, "$", "passwordLoginResetId", true, &reset)) != NULL ||
	    (e = mail_jobs_tenant(ctx, j, t)) != NULL ||
	    (e = mail_jobs_login(ctx, login, email)) != NULL)
		return e;
	if (*email == NULL)
		return NULL;
	if ((e = mail_jobs_reset(ctx, reset, login, token, should_set)) != NULL)
		return e;
	if (*token != NULL && !mail_jobs_safe_token(*token))
		return err_internal("reset token has unexpected characters");
	return NULL;
}

static const char *
mail_jobs_link(struct handler_ctx *ctx, const struct mail_jobs_tenant *t, const char *page,
               const char *token)
{
	return arena_printf(ctx->arena, "%s/%s?token=%s", t->public_url, page, token);
}

struct err *
mail_jobs_user_registered(struct handler_ctx *ctx, const struct job *j)
{
	const char *email = NULL, *token = NULL;
	struct mail_jobs_tenant t;
	bool set;
	struct err *e = mail_jobs_token_mail(ctx, j, &email, &token, &set, &t);

	if (e != NULL)
		return e;
	if (email == NULL || token == NULL) {
		mail_jobs_skip(ctx, j, email == NULL ? "login not found" : "token used or expired");
		return NULL;
	}
	if (set)
		return mail_jobs_send(ctx, j, &t, "set-password", email,
		                      mail_jobs_link(ctx, &t, "reset-password", token), NULL, NULL);
	return mail_jobs_send(ctx, j, &t, "verify-email", email,
	                      mail_jobs_link(ctx, &t, "verify-email", token), NULL, NULL);
}

struct err *
mail_jobs_forgot_password(struct handler_ctx *ctx, const struct job *j)
{
	const char *email = NULL, *token = NULL;
	struct mail_jobs_tenant t;
	bool set;
	struct err *e = mail_jobs_token_mail(ctx, j, &email, &token, &set, &t);

	if (e != NULL)
		return e;
	if (email == NULL || token == NULL) {
		mail_jobs_skip(ctx, j, email == NULL ? "login not found" : "token used or expired");
		return NULL;
	}
	return mail_jobs_send(ctx, j, &t, "reset-password", email,
	                      mail_jobs_link(ctx, &t, "reset-password", token), NULL, NULL);
}

struct err *
mail_jobs_request_otp(struct handler_ctx *ctx, const struct job *j)
{
	const char *login = NULL, *otp = NULL, *email = NULL;
	struct mail_jobs_tenant t;
	struct err *e;

	if ((e = json_get_string(j->data, "$", "passwordLoginId", true, &login)) != NULL ||
	    (e = json_get_string(j->data, "$", "otp", true, &otp)) != NULL ||
	    (e = mail_jobs_tenant(ctx, j, &t)) != NULL ||
	    (e = mail_jobs_login(ctx, login, &email)) != NULL)
		return e;
	if (strlen(otp) != 6 || strspn(otp, "0123456789") != 6)
		return json_error("$.otp", "validator.pattern", NULL);
	if (email == NULL) {
		mail_jobs_skip(ctx, j, "login not found");
		return NULL;
	}
	return mail_jobs_send(ctx, j, &t, "otp", email, NULL, otp, NULL);
}

struct err *
mail_jobs_password_changed(struct handler_ctx *ctx, const struct job *j)
{
	const char *login = NULL, *email = NULL;
	struct mail_jobs_tenant t;
	struct err *e;

	if ((e = json_get_string(j->data, "$", "passwordLoginId", true, &login)) != NULL ||
	    (e = mail_jobs_tenant(ctx, j, &t)) != NULL ||
	    (e = mail_jobs_login(ctx, login, &email)) != NULL)
		return e;
	if (email == NULL) {
		mail_jobs_skip(ctx, j, "login not found");
		return NULL;
	}
	return mail_jobs_send(ctx, j, &t, "password-changed", email,
	                      arena_printf(ctx->arena, "%s/forgot-password", t.public_url), NULL,
	                      NULL);
}

struct err *
mail_jobs_email_updated(struct handler_ctx *ctx, const struct job *j)
{
	const char *email = NULL, *token = NULL, *previous = NULL;
	struct mail_jobs_tenant t;
	bool set;
	struct err *e;

	if ((e = json_get_string(j->data, "$", "previousEmail", true, &previous)) != NULL ||
	    (e = mail_jobs_token_mail(ctx, j, &email, &token, &set, &t)) != NULL)
		return e;
	if (email == NULL) {
		mail_jobs_skip(ctx, j, "login not found");
		return NULL;
	}
	/* the notice to the old address is what makes a hijacked account noticeable */
	if (mail_render_address_ok(previous) && strcmp(previous, email) != 0 &&
	    (e = mail_jobs_send(ctx, j, &t, "email-changed", previous, NULL, NULL, email)) != NULL)
		return e;
	if (token == NULL) {
		mail_jobs_skip(ctx, j, "token used or expired");
		return NULL;
	}
	return mail_jobs_send(ctx, j, &t, "verify-email", email,
	                      mail_jobs_link(ctx, &t, "verify-email", token), NULL, NULL);
}
