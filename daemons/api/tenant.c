/* tenants.json loading (environment filtering) and per-request tenant resolution. */
#include "tenant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fatal.h"
#include "file.h"
#include "json.h"

static bool
tenant_valid_host(const char *s)
{
	/* ^[\w.-]+$ */
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

/* Add the url entries of one tenant that belong to environment; false on a bad entry. */
static struct err *
tenant_load_urls(struct tenant *t, const cJSON *urls, const char *environment, const char *path)
{
	const cJSON *u;

	t->urls = xcalloc((size_t)cJSON_GetArraySize(urls) + 1, sizeof(*t->urls));
	cJSON_ArrayForEach(u, urls)
	{
		const cJSON *env = cJSON_GetObjectItemCaseSensitive(u, "environment");
		const cJSON *api = cJSON_GetObjectItemCaseSensitive(u, "apiUrl");

		if (!tenant_valid_host(u->string) || !cJSON_IsString(env) || !cJSON_IsString(api) ||
		    !tenant_valid_host(api->valuestring))
			return err_newf("multitenant.config.invalid", 500,
			                "%s: tenant %s: url %s needs environment and apiUrl "
			                "matching ^[\\w.-]+$",
			                path, t->name, u->string);
		if (strcmp(env->valuestring, environment) != 0)
			continue;
		t->urls[t->nurls].public_url = xstrdup(u->string);
		t->urls[t->nurls].api_url = xstrdup(api->valuestring);
		t->nurls++;
	}
	return NULL;
}

static void
tenant_free_one(struct tenant *t)
{
	for (size_t i = 0; i < t->nurls; i++) {
		free(t->urls[i].public_url);
		free(t->urls[i].api_url);
	}
	free(t->urls);
	free(t->name);
	cJSON_Delete(t->data);
}

static void
tenant_compute_unique(struct tenant_config *tc)
{
	tc->unique_api_urls = true;
	for (size_t a = 0; a < tc->ntenants; a++)
		for (size_t i = 0; i < tc->tenants[a].nurls; i++)
			for (size_t b = 0; b < tc->ntenants; b++)
				for (size_t j = 0; j < tc->tenants[b].nurls; j++)
					if ((a != b || i != j) &&
					    strcmp(tc->tenants[a].urls[i].api_url,
					           tc->tenants[b].urls[j].api_url) == 0)
						tc->unique_api_urls = false;
}

struct err *
tenant_config_load(const char *path, const char *environment, struct tenant_config *out)
{
	char *text;
	cJSON *root, *tenants, *t;
	struct err *e = NULL;

	memset(out, 0, sizeof(*out));
	if (environment == NULL ||
	    (strcmp(environment, "production") != 0 && strcmp(environment, "acceptance") != 0 &&
	     strcmp(environment, "development") != 0))
		return err_newf("multitenant.config.invalid", 500,
		                "LPC_BACKEND_ENVIRONMENT must be production, acceptance or "
		                "development");
	text = file_read(path, NULL);
	if (text == NULL)
		return err_newf("multitenant.config.invalid", 500, "cannot read %s", path);
	root = cJSON_Parse(text);
	free(text);
	tenants = cJSON_GetObjectItemCaseSensitive(root, "tenants");
	if (!cJSON_IsObject(tenants)) {
		cJSON_Delete(root);
		return err_newf("multitenant.config.invalid", 500, "%s: no \"tenants\" object",
		                path);
	}
	out->tenants = xcalloc((size_t)cJSON_GetArraySize(tenants) + 1, sizeof(*out->tenants));
	cJSON_ArrayForEach(t, tenants)
	{
		struct tenant *dst = &out->tenants[out->ntenants];
		const cJSON *data = cJSON_GetObjectItemCaseSensitive(t, "data");
		const cJSON *urls = cJSON_GetObjectItemCaseSensitive(t, "urlConfig");

		if (!cJSON_IsObject(urls) || (data != NULL && !cJSON_IsObject(data))) {
			e = err_newf("multitenant.config.invalid", 500,
			             "%s: tenant %s needs a urlConfig object (and data an object)",
			             path, t->string);
			break;
		}
		dst->name = xstrdup(t->string);
		dst->data = data != NULL ? cJSON_Duplicate(data, true) : json_object();
		e = tenant_load_urls(dst, urls, environment, path);
		if (e != NULL || dst->nurls == 0) {
			/* no urls for this environment: the tenant is disabled */
			tenant_free_one(dst);
			memset(dst, 0, sizeof(*dst));
			if (e != NULL)
				break;
			continue;
		}
		out->ntenants++;
	}
	cJSON_Delete(root);
	if (e == NULL && out->ntenants == 0)
		e = err_newf("multitenant.config.invalid", 500,
		             "%s: no tenant has a url for environment %s", path, environment);
	if (e != NULL) {
		tenant_config_free(out);
		return e;
	}
	tenant_compute_unique(out);
	return NULL;
}

void
tenant_config_free(struct tenant_config *tc)
{
	for (size_t i = 0; i < tc->ntenants; i++)
		tenant_free_one(&tc->tenants[i]);
	free(tc->tenants);
	memset(tc, 0, sizeof(*tc));
}

const struct tenant *
tenant_by_name(const struct tenant_config *tc, const char *name)
{
	for (size_t i = 0; i < tc->ntenants; i++)
		if (strcmp(tc->tenants[i].name, name) == 0)
			return &tc->tenants[i];
	return NULL;
}

static const struct tenant *
tenant_by_public(const struct tenant_config *tc, const char *url, const struct tenant_url **tu)
{
	for (size_t i = 0; i < tc->ntenants; i++)
		for (size_t j = 0; j < tc->tenants[i].nurls; j++)
			if (strcmp(tc->tenants[i].urls[j].public_url, url) == 0) {
				*tu = &tc->tenants[i].urls[j];
				return &tc->tenants[i];
			}
	return NULL;
}

/* By api url. A ":port" suffix of Host is ignored: api urls never carry one, so this
 * only lets e.g. "localhost:3000" find the "localhost" entry in development. */
static const struct tenant *
tenant_by_api(const struct tenant_config *tc, const char *host, const struct tenant_url **tu)
{
	size_t hl = strcspn(host, ":");

	for (size_t i = 0; i < tc->ntenants; i++)
		for (size_t j = 0; j < tc->tenants[i].nurls; j++)
			if (strlen(tc->tenants[i].urls[j].api_url) == hl &&
			    strncmp(tc->tenants[i].urls[j].api_url, host, hl) == 0) {
				*tu = &tc->tenants[i].urls[j];
				return &tc->tenants[i];
			}
	return NULL;
}

static const char *
tenant_strip_scheme(const char *origin)
{
	const char *p = origin != NULL ? strstr(origin, "://") : NULL;

	return p != NULL ? p + 3 : origin;
}

static bool
tenant_blank(const char *s)
{
	return s == NULL || s[strspn(s, " \t")] == '\0';
}

static struct err *
tenant_invalid(void)
{
	return err_new("multitenant.require.invalidTenant", 400, NULL);
}

struct err *
tenant_resolve(const struct tenant_config *tc, bool dev_allowed, const char *protocol,
               const char *host, const char *origin, const char *tenant_origin,
               struct tenant_resolved *out)
{
	const struct tenant_url *tu = NULL;
	const struct tenant *t = NULL;

	memset(out, 0, sizeof(*out));
	if (tenant_blank(host))
		return err_new("multitenant.require.missingHostHeader", 400, NULL);
	if (tenant_blank(origin))
		origin = NULL;
	if (tenant_blank(tenant_origin))
		tenant_origin = NULL;
	if (!dev_allowed && tc->unique_api_urls) {
		t = tenant_by_api(tc, host, &tu);
		if (t == NULL)
			return tenant_invalid();
		snprintf(out->api_url, sizeof(out->api_url), "%s://%s", protocol, host);
		snprintf(out->public_url, sizeof(out->public_url), "%s://%s", protocol,
		         tu->public_url);
	} else if (!dev_allowed) {
		const char *key = origin != NULL ? tenant_strip_scheme(origin) : tenant_origin;

		t = key != NULL ? tenant_by_public(tc, key, &tu) : NULL;
		if (t == NULL)
			return tenant_invalid();
		if (origin != NULL)
			snprintf(out->public_url, sizeof(out->public_url), "%s", origin);
		else
			snprintf(out->public_url, sizeof(out->public_url), "https://%s",
			         tenant_origin);
		snprintf(out->api_url, sizeof(out->api_url), "%s://%s", protocol, tu->api_url);
	} else if (tenant_origin != NULL) {
		t = tenant_by_public(tc, tenant_origin, &tu);
		if (t == NULL)
			return tenant_invalid();
		if (origin != NULL)
			snprintf(out->public_url, sizeof(out->public_url), "%s", origin);
		else
			snprintf(out->public_url, sizeof(out->public_url), "https://%s",
			         tenant_origin);
		snprintf(out->api_url, sizeof(out->api_url), "%s://%s", protocol, host);
	} else if (tc->unique_api_urls) {
		t = tenant_by_api(tc, host, &tu);
		if (t == NULL)
			return tenant_invalid();
		snprintf(out->api_url, sizeof(out->api_url), "%s://%s", protocol, host);
		if (origin != NULL)
			snprintf(out->public_url, sizeof(out->public_url), "%s", origin);
		else
			snprintf(out->public_url, sizeof(out->public_url), "%s://%s", protocol,
			         tu->public_url);
	} else {
		if (origin == NULL)
			return tenant_invalid();
		t = tenant_by_public(tc, tenant_strip_scheme(origin), &tu);
		if (t == NULL)
			return tenant_invalid();
		snprintf(out->public_url, sizeof(out->public_url), "%s", origin);
		snprintf(out->api_url, sizeof(out->api_url), "%s://%s", protocol, host);
	}
	if (t->id[0] == '\0')
		return tenant_invalid(); /* no row in the database */
	out->tenant = t;
	return NULL;
}
