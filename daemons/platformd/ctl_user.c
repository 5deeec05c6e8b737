/* platformctl user add: create a verified password user in a tenant, with optional
 * roles; the password is read from stdin, or else a one-time reset link is printed. */
#include "ctl_user.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "fatal.h"
#include "json.h"
#include "log.h"
#include "pg.h"
#include "supconfig.h"
#include "user_create.h"

#define CTL_USER_MAX_ROLES 32

static const char ctl_user_usage[] =
    "usage: platformctl user add --tenant NAME --email EMAIL [--role ROLE]...\n"
    "                            [--password-stdin] [--config FILE]\n"
    "  Creates a verified password login in every tenant (as the template does), with\n"
    "  the roles of tenant NAME or global roles. Without --password-stdin the password\n"
    "  is unknown and a one-time reset link (24 h) is printed.\n";

struct ctl_user_opts {
	const char *tenant, *email, *config;
	const char *roles[CTL_USER_MAX_ROLES];
	size_t nroles;
	bool password_stdin;
};

static int
ctl_user_parse(int argc, char **argv, struct ctl_user_opts *o)
{
	static const struct option longopts[] = {
		{ "tenant", required_argument, NULL, 't' },
		{ "email", required_argument, NULL, 'e' },
		{ "role", required_argument, NULL, 'r' },
		{ "password-stdin", no_argument, NULL, 'p' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 't')
			o->tenant = optarg;
		else if (c == 'e')
			o->email = optarg;
		else if (c == 'c')
			o->config = optarg;
		else if (c == 'p')
			o->password_stdin = true;
		else if (c == 'r' && o->nroles < CTL_USER_MAX_ROLES)
			o->roles[o->nroles++] = optarg;
		else
			return -1;
	}
	return optind == argc && o->tenant != NULL && o->email != NULL ? 0 : -1;
}

/* The template's email rule: trimmed, lower case, 2..150, ^\S+@\S+\.\S+$. */
static bool
ctl_user_normalize_email(const char *in, char *out, size_t outlen)
{
	size_t n, start = 0;
	const char *at, *dot;

	while (isspace((unsigned char)in[start]))
		start++;
	n = strlen(in + start);
	while (n > 0 && isspace((unsigned char)in[start + n - 1]))
		n--;
	if (n < 2 || n > 150 || n >= outlen)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (isspace((unsigned char)in[start + i]))
			return false;
		out[i] = (char)tolower((unsigned char)in[start + i]);
	}
	out[n] = '\0';
	at = strchr(out, '@');
	dot = at != NULL ? strrchr(at, '.') : NULL;
	return at != NULL && at != out && dot != NULL && dot > at + 1 && dot[1] != '\0';
}

/* One line from stdin without the newline; 8..512 bytes as the template's password. */
static bool
ctl_user_read_password(char *out, size_t outlen)
{
	size_t n;

	if (fgets(out, (int)outlen, stdin) == NULL)
		return false;
	n = strcspn(out, "\r\n");
	out[n] = '\0';
	return n >= 8 && n <= 512;
}

/* {id, publicUrl, apiUrl} of the tenant: id from the database, URLs from the tenants
 * file entry of this environment (empty when the file cannot be read). */
static cJSON *
ctl_user_tenant_meta(const struct config *cfg, const char *id, const char *name)
{
	cJSON *meta = json_object(), *root = NULL, *urls, *u;
	char *text = NULL, pub[400] = "", api[400] = "";
	FILE *f = fopen(cfg->api_tenants_file, "r");
	size_t len = 0;

	if (f != NULL) {
		text = xcalloc(1, 1 << 20);
		len = fread(text, 1, (1 << 20) - 1, f);
		fclose(f);
		root = cJSON_ParseWithLength(text, len);
	}
	urls = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "tenants"),
	                                     name),
	    "urlConfig");
	cJSON_ArrayForEach(u, urls)
	{
		const char *env =
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(u, "environment"));
		const char *a = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(u, "apiUrl"));

		if (env != NULL && a != NULL && strcmp(env, cfg->backend_env) == 0) {
			snprintf(pub, sizeof(pub), "https://%s", u->string);
			snprintf(api, sizeof(api), "https://%s", a);
			break;
		}
	}
	cJSON_AddStringToObject(meta, "id", id);
	cJSON_AddStringToObject(meta, "publicUrl", pub);
	cJSON_AddStringToObject(meta, "apiUrl", api);
	cJSON_Delete(root);
	free(text);
	return meta;
}

static struct err *
ctl_user_tenant_id(PGconn *db, const char *name, char id[UUID_STR_LEN])
{
	const char *params[1] = { name };
	struct err *e = NULL;
	PGresult *r = pg_query(db, "SELECT id FROM \"tenant\" WHERE name = $1", 1, params, &e);

	if (r == NULL)
		return e;
	if (PQntuples(r) == 0)
		e = err_newf("ctl.user.unknownTenant", 400,
		             "tenant '%s' is not in the database (has platform-api run once?)",
		             name);
	else
		snprintf(id, UUID_STR_LEN, "%s", pg_get(r, 0, 0));
	PQclear(r);
	return e;
}

static int
ctl_user_add(const struct ctl_user_opts *o, const struct config *cfg, const char *password,
             const char *email)
{
	struct logger lg;
	struct user_create_input in = { .email = email, .password = password, .verified = true };
	struct user_create_result res;
	char tenant_id[UUID_STR_LEN];
	struct authctx ctx = { .cfg = cfg };
	struct err *e = NULL;
	cJSON *meta = NULL;
	PGconn *db;

	log_init(&lg, "platformctl", LOG_FORMAT_PRETTY, 2);
	db = pg_connect(cfg, &lg, NULL, &e);
	if (db == NULL) {
		fprintf(stderr, "platformctl user add: %s\n", e->message);
		err_free(e);
		return EXIT_DB;
	}
	e = ctl_user_tenant_id(db, o->tenant, tenant_id);
	if (e == NULL) {
		meta = ctl_user_tenant_meta(cfg, tenant_id, o->tenant);
		ctx.db = db;
		ctx.tenant_id = tenant_id;
		ctx.tenant_meta = meta;
		in.roles = o->roles;
		in.nroles = o->nroles;
		e = user_create_password(&ctx, &in, &res);
	}
	if (e == NULL) {
		printf("user %s created in tenant %s (%s)\n", res.user_id, o->tenant, email);
		if (password == NULL)
			printf("set a password within 24 hours: %s/reset-password?token=%s\n",
			       cJSON_GetStringValue(
			           cJSON_GetObjectItemCaseSensitive(meta, "publicUrl")),
			       res.token);
	} else {
		fprintf(stderr, "platformctl user add: %s%s%s\n", e->key, e->message[0] ? ": " : "",
		        e->message);
	}
	cJSON_Delete(meta);
	PQfinish(db);
	if (e == NULL)
		return EXIT_OK;
	err_free(e);
	return EXIT_RUNTIME;
}

int
ctl_user_main(int argc, char **argv)
{
	struct ctl_user_opts o = { 0 };
	struct supconfig sc;
	char email[160], password[520];
	struct err *e;
	int code;

	if (argc < 2 || strcmp(argv[1], "add") != 0 ||
	    ctl_user_parse(argc - 1, argv + 1, &o) != 0) {
		fputs(ctl_user_usage, stderr);
		return EXIT_USAGE;
	}
	if (!ctl_user_normalize_email(o.email, email, sizeof(email))) {
		fprintf(stderr, "platformctl user add: invalid email '%s'\n", o.email);
		return EXIT_USAGE;
	}
	if (o.password_stdin && !ctl_user_read_password(password, sizeof(password))) {
		fputs("platformctl user add: the password (one line on stdin) must be 8 to 512 "
		      "bytes\n",
		      stderr);
		return EXIT_USAGE;
	}
	e = supconfig_load(&sc, o.config, true);
	if (e != NULL) {
		fprintf(stderr, "platformctl: configuration error: %s\n", e->message);
		err_free(e);
		return EXIT_CONFIG;
	}
	code = ctl_user_add(&o, &sc.cfg, o.password_stdin ? password : NULL, email);
	explicit_bzero(password, sizeof(password));
	supconfig_free(&sc);
	return code;
}
