/* Table-driven configuration loader: adding a key is adding a row. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fatal.h"

extern char **environ;

enum config_type { CONFIG_STRING, CONFIG_INT, CONFIG_BOOL, CONFIG_ENUM };

struct config_key {
	const char *name;
	enum config_type type;
	size_t offset;
	const char *def;     /* NULL: unset (strings) */
	const char *env[3];  /* template variables, strongest first */
	int64_t min, max;    /* ints; strings: min = minimum length */
	const char *choices; /* enums: "a|b|c" */
	bool secret;
};

#define S(k, f, d, ...)                                                                            \
	{                                                                                          \
		k, CONFIG_STRING, offsetof(struct config, f), d, { __VA_ARGS__ }, 0, 0, NULL,      \
		    false                                                                          \
	}
#define SECRET(k, f, minlen, ...)                                                                  \
	{                                                                                          \
		k, CONFIG_STRING, offsetof(struct config, f), NULL, { __VA_ARGS__ }, minlen, 0,    \
		    NULL, true                                                                     \
	}
#define I(k, f, d, lo, hi, ...)                                                                    \
	{                                                                                          \
		k, CONFIG_INT, offsetof(struct config, f), d, { __VA_ARGS__ }, lo, hi, NULL, false \
	}
#define B(k, f, d, ...)                                                                            \
	{                                                                                          \
		k, CONFIG_BOOL, offsetof(struct config, f), d, { __VA_ARGS__ }, 0, 0, NULL, false  \
	}
#define E(k, f, d, ch, ...)                                                                        \
	{                                                                                          \
		k, CONFIG_ENUM, offsetof(struct config, f), d, { __VA_ARGS__ }, 0, 0, ch, false    \
	}

static const struct config_key config_keys[] = {
	S("app.name", app_name, "platform", "APP_NAME"),
	E("app.env", app_env, "production", "development|production", "NODE_ENV"),
	SECRET("app.keys", app_keys, 20, "APP_KEYS"),
	E("app.backend_env", backend_env, NULL, "production|acceptance|development",
	  "LPC_BACKEND_ENVIRONMENT"),
	B("app.is_staging", is_staging, "false", "IS_STAGING"),
	E("log.format", log_format, "auto", "auto|ndjson|pretty", "COMPAS_LOG_PRINTER"),

	SECRET("db.uri", db_uri, 0, "POSTGRES_URI"),
	S("db.host", db_host, NULL, "POSTGRES_HOST", "PGHOST"),
	S("db.port", db_port, NULL, "POSTGRES_PORT", "PGPORT"),
	S("db.user", db_user, NULL, "POSTGRES_USER", "PGUSERNAME", "PGUSER"),
	SECRET("db.password", db_password, 0, "POSTGRES_PASSWORD", "PGPASSWORD"),
	S("db.database", db_database, NULL, "POSTGRES_DATABASE", "PGDATABASE"),
	E("db.sslmode", db_sslmode, "auto",
	  "auto|disable|allow|prefer|require|verify-ca|verify-full"),
	I("db.connect_timeout_s", db_connect_timeout_s, "5", 1, 3600),
	I("db.connect_retries", db_connect_retries, "20", 0, 100000),
	I("db.retry_delay_ms", db_retry_delay_ms, "500", 10, 600000),
	I("db.statement_timeout_ms", db_statement_timeout_ms, "30000", 0, 86400000),

	S("api.listen", api_listen, "0.0.0.0"),
	I("api.port", api_port, "3000", 0, 65535, "PORT"),
	I("api.workers", api_workers, "0", 0, 256),
	I("api.hash_threads", api_hash_threads, "0", 0, 256),
	I("api.max_body_bytes", api_max_body_bytes, "5242880", 1024, 1073741824),
	I("api.max_header_bytes", api_max_header_bytes, "16384", 1024, 1048576),
	I("api.read_timeout_s", api_read_timeout_s, "30", 1, 3600),
	I("api.write_timeout_s", api_write_timeout_s, "30", 1, 3600),
	I("api.max_connections", api_max_connections, "1024", 1, 1000000),
	I("api.shutdown_timeout_s", api_shutdown_timeout_s, "10", 0, 3600),
	S("api.tenants_file", api_tenants_file, "conf/tenants.json"),
	I("api.access_token_ttl_s", api_access_token_ttl_s, "600", 1, 86400 * 365),
	I("api.refresh_token_ttl_s", api_refresh_token_ttl_s, "3600", 1, 86400 * 365),
	I("api.refresh_grace_s", api_refresh_grace_s, "15", 0, 3600),
	I("api.feature_flag_cache_ms", api_feature_flag_cache_ms, "5000", 0, 3600000),
	I("api.auth_cache_ms", api_auth_cache_ms, "10000", 0, 3600000),
	B("api.trust_proxy", api_trust_proxy, "false"),
	B("api.rate_limit", api_rate_limit, "true"),
	I("api.rate_limit_points", api_rate_limit_points, "11", 1, 1000000),
	I("api.rate_limit_window_s", api_rate_limit_window_s, "60", 1, 86400),
	I("api.rate_limit_block_s", api_rate_limit_block_s, "600", 0, 86400),
	B("api.metrics", api_metrics, "true"),
	S("api.structure_file", api_structure_file, "conf/compas-structure.json"),

	B("auth.login_throttle", auth_login_throttle, "true"),
	I("auth.login_throttle_max", auth_login_throttle_max, "10", 1, 1000000),
	I("auth.login_throttle_window_s", auth_login_throttle_window_s, "300", 1, 86400),
	I("auth.argon2_memory_kib", auth_argon2_memory_kib, "19456", 8, 4194304),
	I("auth.argon2_iterations", auth_argon2_iterations, "2", 1, 100),
	I("auth.argon2_parallelism", auth_argon2_parallelism, "1", 1, 64),
	B("auth.register_enabled", auth_register_enabled, "false"),
	SECRET("management.slack_webhook", management_slack_webhook, 0),

	I("queue.parallel", queue_parallel, "2", 1, 256),
	I("queue.poll_interval_ms", queue_poll_interval_ms, "1500", 10, 3600000),
	I("queue.batch_size", queue_batch_size, "100", 1, 10000),
	I("queue.max_attempts", queue_max_attempts, "5", 1, 1000),
	I("queue.handler_timeout_ms", queue_handler_timeout_ms, "30000", 10, 86400000),
	I("queue.backoff_base_ms", queue_backoff_base_ms, "1000", 0, 86400000),
	I("queue.backoff_max_ms", queue_backoff_max_ms, "300000", 0, 86400000),
	I("queue.shutdown_timeout_s", queue_shutdown_timeout_s, "30", 0, 3600),
	B("queue.cron", queue_cron, "true"),
	S("queue.cron_schedule", queue_cron_schedule, NULL),

	E("mail.transport", mail_transport, "auto", "auto|eml|smtp"),
	S("mail.dir", mail_dir, "var/mail"),
	S("mail.template_dir", mail_template_dir, "conf/mail"),
	S("mail.from", mail_from, "noreply@localhost"),
	S("mail.smtp_host", mail_smtp_host, NULL, "SMTP_HOST"),
	I("mail.smtp_port", mail_smtp_port, "2525", 1, 65535),
	S("mail.smtp_username", mail_smtp_username, NULL, "SMTP_USERNAME"),
	SECRET("mail.smtp_password", mail_smtp_password, 0, "SMTP_PASSWORD"),
	E("mail.smtp_tls", mail_smtp_tls, "none", "none|starttls|tls"),
	S("mail.smtp_ca_file", mail_smtp_ca_file, NULL),

	E("storage.backend", storage_backend, "local", "local|s3"),
	S("storage.dir", storage_dir, "var/files"),
	S("storage.bucket", storage_bucket, NULL, "BUCKET_NAME"),
	S("storage.s3_endpoint", storage_s3_endpoint, NULL),
	S("storage.s3_region", storage_s3_region, "eu-central-1", "AWS_DEFAULT_REGION"),
	S("storage.s3_access_key", storage_s3_access_key, NULL, "AWS_ACCESS_KEY_ID"),
	SECRET("storage.s3_secret_key", storage_s3_secret_key, 0, "AWS_SECRET_ACCESS_KEY"),
	I("storage.orphan_min_age_s", storage_orphan_min_age_s, "3600", 60, 2592000),

	S("var_dir", var_dir, "var"),
	I("supervisor.log_max_bytes", supervisor_log_max_bytes, "10485760", 4096, 1099511627776),
	I("supervisor.log_keep", supervisor_log_keep, "5", 0, 1000),
	I("supervisor.stop_timeout_s", supervisor_stop_timeout_s, "10", 1, 3600),
	E("supervisor.postgres", supervisor_postgres, "auto", "auto|on|off"),
	I("supervisor.postgres_port", supervisor_postgres_port, "54329", 1, 65535),
};

#define CONFIG_NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

size_t
config_key_count(void)
{
	return CONFIG_NKEYS;
}

const char *
config_key_name(size_t i)
{
	return i < CONFIG_NKEYS ? config_keys[i].name : NULL;
}

static const struct config_key *
config_find(const char *name)
{
	for (size_t i = 0; i < CONFIG_NKEYS; i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	return NULL;
}

static bool
config_enum_allows(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *p = choices;

	while (*p != '\0') {
		const char *bar = strchr(p, '|');
		size_t len = bar != NULL ? (size_t)(bar - p) : strlen(p);

		if (len == n && strncmp(p, v, n) == 0)
			return true;
		p += len + (bar != NULL ? 1 : 0);
	}
	return false;
}

/* Parse value for key into cfg; source names where it came from for the message. */
static struct err *
config_set(struct config *cfg, const struct config_key *k, const char *value, const char *source)
{
	void *field = (char *)cfg + k->offset;
	char *end;
	long long v;

	switch (k->type) {
	case CONFIG_STRING:
	case CONFIG_ENUM:
		if (k->type == CONFIG_ENUM && !config_enum_allows(k->choices, value))
			return err_newf("config.invalid", 500,
			                "%s (from %s): '%s' is not one of %s", k->name, source,
			                value, k->choices);
		if (k->min > 0 && (int64_t)strlen(value) < k->min)
			return err_newf("config.invalid", 500,
			                "%s (from %s): must be at least %lld characters", k->name,
			                source, (long long)k->min);
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		if (field == &cfg->app_name)
			cfg->app_name_explicit = strcmp(source, "default") != 0;
		return NULL;
	case CONFIG_INT:
		errno = 0;
		v = strtoll(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0')
			return err_newf("config.invalid", 500,
			                "%s (from %s): '%s' is not an integer", k->name, source,
			                value);
		if (v < k->min || v > k->max)
			return err_newf("config.invalid", 500,
			                "%s (from %s): %lld is outside %lld..%lld", k->name, source,
			                v, (long long)k->min, (long long)k->max);
		*(int64_t *)field = v;
		return NULL;
	case CONFIG_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0 ||
		    strcmp(value, "yes") == 0 || strcmp(value, "on") == 0)
			*(bool *)field = true;
		else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0 ||
		         strcmp(value, "no") == 0 || strcmp(value, "off") == 0)
			*(bool *)field = false;
		else
			return err_newf("config.invalid", 500,
			                "%s (from %s): '%s' is not a boolean (true/false)", k->name,
			                source, value);
		return NULL;
	}
	return err_internal("config: bad key type");
}

static char *
config_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static struct err *
config_load_file(struct config *cfg, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096], source[600];
	int lineno = 0;
	struct err *e = NULL;

	if (f == NULL)
		return err_newf("config.file", 500, "cannot open config file %s: %s", path,
		                strerror(errno));
	while (e == NULL && fgets(line, sizeof(line), f) != NULL) {
		char *p = config_trim(line), *eq, *key, *value;
		const struct config_key *k;

		lineno++;
		if (*p == '\0' || *p == '#' || *p == ';')
			continue;
		eq = strchr(p, '=');
		if (eq == NULL) {
			e = err_newf("config.invalid", 500, "%s:%d: expected 'key = value'", path,
			             lineno);
			break;
		}
		*eq = '\0';
		key = config_trim(p);
		value = config_trim(eq + 1);
		if (strlen(value) >= 2 && value[0] == '"' && value[strlen(value) - 1] == '"') {
			value[strlen(value) - 1] = '\0';
			value++;
		}
		k = config_find(key);
		snprintf(source, sizeof(source), "%s:%d", path, lineno);
		if (k == NULL)
			e = err_newf("config.unknownKey", 500, "%s: unknown key '%s'", source, key);
		else
			e = config_set(cfg, k, value, source);
	}
	fclose(f);
	return e;
}

static void
config_env_name(const char *key, char *out, size_t n)
{
	size_t j = snprintf(out, n, "PLATFORM_");

	for (const char *p = key; *p != '\0' && j + 1 < n; p++)
		out[j++] = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
	out[j] = '\0';
}

static struct err *
config_check_unknown_env(void)
{
	char name[128];

	for (char **e = environ; *e != NULL; e++) {
		const char *eq = strchr(*e, '=');
		size_t len = eq != NULL ? (size_t)(eq - *e) : strlen(*e);
		bool known = false;

		if (strncmp(*e, "PLATFORM_", 9) != 0)
			continue;
		if (len == strlen("PLATFORM_CONFIG") && strncmp(*e, "PLATFORM_CONFIG", len) == 0)
			continue;
		for (size_t i = 0; i < CONFIG_NKEYS && !known; i++) {
			config_env_name(config_keys[i].name, name, sizeof(name));
			known = strlen(name) == len && strncmp(name, *e, len) == 0;
		}
		if (!known)
			return err_newf("config.unknownKey", 500,
			                "unknown environment variable %.*s", (int)len, *e);
	}
	return NULL;
}

static struct err *
config_load_env(struct config *cfg)
{
	char name[128];
	struct err *e;

	for (size_t i = 0; i < CONFIG_NKEYS; i++) {
		const struct config_key *k = &config_keys[i];
		const char *v;

		config_env_name(k->name, name, sizeof(name));
		v = getenv(name);
		for (int j = 0; v == NULL && j < 3 && k->env[j] != NULL; j++) {
			v = getenv(k->env[j]);
			if (v != NULL && *v == '\0')
				v = NULL; /* an empty template variable means unset */
			if (v != NULL)
				snprintf(name, sizeof(name), "%s", k->env[j]);
		}
		if (v == NULL)
			continue;
		if ((e = config_set(cfg, k, v, name)) != NULL)
			return e;
	}
	return config_check_unknown_env();
}

static struct err *
config_check(struct config *cfg)
{
	cfg->production = strcmp(cfg->app_env, "development") != 0;
	if (cfg->app_keys == NULL)
		return err_newf("config.missing", 500,
		                "app.keys is required (set APP_KEYS, at least 20 characters)");
	if (cfg->db_host == NULL && cfg->db_uri == NULL)
		return err_newf("config.missing", 500,
		                "db.host is required: set POSTGRES_HOST, PGHOST or POSTGRES_URI");
	if (cfg->backend_env == NULL) {
		if (cfg->production)
			return err_newf(
			    "config.missing", 500,
			    "app.backend_env is required in production (set "
			    "LPC_BACKEND_ENVIRONMENT to production|acceptance|development)");
		cfg->backend_env = xstrdup("development");
	}
	if (strcmp(cfg->storage_backend, "s3") == 0 && cfg->storage_s3_endpoint == NULL &&
	    cfg->production)
		return err_newf("config.missing", 500, "storage.s3_endpoint is required for s3");
	if (strcmp(cfg->mail_transport, "smtp") == 0 && cfg->mail_smtp_host == NULL)
		return err_newf(
		    "config.missing", 500,
		    "mail.smtp_host is required when mail.transport = smtp (SMTP_HOST)");
	if (cfg->storage_bucket == NULL)
		cfg->storage_bucket = xstrdup(cfg->app_name);
	return NULL;
}

struct err *
config_load(struct config *cfg, const char *path)
{
	struct err *e;

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < CONFIG_NKEYS; i++) {
		if (config_keys[i].def == NULL)
			continue;
		if ((e = config_set(cfg, &config_keys[i], config_keys[i].def, "default")) != NULL)
			return e;
	}
	if (path == NULL)
		path = getenv("PLATFORM_CONFIG");
	if (path != NULL && *path != '\0' && (e = config_load_file(cfg, path)) != NULL)
		return e;
	if ((e = config_load_env(cfg)) != NULL)
		return e;
	return config_check(cfg);
}

void
config_free(struct config *cfg)
{
	for (size_t i = 0; i < CONFIG_NKEYS; i++) {
		const struct config_key *k = &config_keys[i];

		if (k->type == CONFIG_STRING || k->type == CONFIG_ENUM) {
			char **field = (char **)((char *)cfg + k->offset);

			free(*field);
			*field = NULL;
		}
	}
}

void
config_dump(const struct config *cfg, FILE *out)
{
	for (size_t i = 0; i < CONFIG_NKEYS; i++) {
		const struct config_key *k = &config_keys[i];
		const void *field = (const char *)cfg + k->offset;

		switch (k->type) {
		case CONFIG_STRING:
		case CONFIG_ENUM: {
			const char *s = *(char *const *)field;

			fprintf(out, "%s = %s\n", k->name,
			        s == NULL ? "" : (k->secret ? "********" : s));
			break;
		}
		case CONFIG_INT:
			fprintf(out, "%s = %lld\n", k->name, (long long)*(const int64_t *)field);
			break;
		case CONFIG_BOOL:
			fprintf(out, "%s = %s\n", k->name, *(const bool *)field ? "true" : "false");
			break;
		}
	}
}

const char *
config_db_sslmode(const struct config *cfg)
{
	if (strcmp(cfg->db_sslmode, "auto") != 0)
		return cfg->db_sslmode;
	return cfg->production ? "require" : "prefer";
}

const char *
config_db_name(const struct config *cfg)
{
	return cfg->db_database != NULL ? cfg->db_database : cfg->app_name;
}
