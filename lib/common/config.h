/* Configuration: built-in defaults, then one file (key = value lines), then the
 * environment. Every key has a PLATFORM_<KEY> variable (dots become underscores,
 * e.g. PLATFORM_API_WORKERS); the template's variables (APP_NAME, NODE_ENV, PORT,
 * POSTGRES_*, APP_KEYS, ...) are honoured too, below the PLATFORM_ ones. An unknown
 * key, a bad value or a missing required key is an error naming the key; daemons exit
 * with EXIT_CONFIG (78) on it. The keys are listed, with defaults, in conf/platform.conf. */
#ifndef COMMON_CONFIG_H
#define COMMON_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

struct config {
	/* app */
	char *app_name;
	bool app_name_explicit; /* set by file or environment, not the default */
	char *app_env;          /* "development" | "production" (NODE_ENV) */
	bool production;        /* derived: app_env != development */
	char *app_keys;         /* JWT HMAC key (APP_KEYS), >= 20 chars */
	char *backend_env; /* production | acceptance | development (LPC_BACKEND_ENVIRONMENT) */
	bool is_staging;   /* IS_STAGING */
	char *log_format;  /* auto | ndjson | pretty */
	/* database */
	char *db_uri, *db_host, *db_port, *db_user, *db_password, *db_database, *db_sslmode;
	int64_t db_connect_timeout_s;
	int64_t db_connect_retries;
	int64_t db_retry_delay_ms;
	int64_t db_statement_timeout_ms;
	/* api */
	char *api_listen;
	int64_t api_port;
	int64_t api_workers;      /* 0 = number of cores */
	int64_t api_hash_threads; /* password hashing pool; 0 = number of cores */
	int64_t api_max_body_bytes;
	int64_t api_max_header_bytes;
	int64_t api_read_timeout_s;
	int64_t api_write_timeout_s;
	int64_t api_max_connections;
	int64_t api_shutdown_timeout_s;
	char *api_tenants_file;
	int64_t api_access_token_ttl_s;
	int64_t api_refresh_token_ttl_s;
	int64_t api_refresh_grace_s;
	int64_t api_feature_flag_cache_ms;
	int64_t api_auth_cache_ms;
	bool api_trust_proxy;
	bool api_rate_limit;
	int64_t api_rate_limit_points;
	int64_t api_rate_limit_window_s;
	int64_t api_rate_limit_block_s;
	bool api_metrics;         /* GET /_metrics (else 404) */
	char *api_structure_file; /* GET /_compas/structure.json (outside production) */
	/* auth */
	bool auth_login_throttle;
	int64_t auth_login_throttle_max;
	int64_t auth_login_throttle_window_s;
	int64_t auth_argon2_memory_kib;
	int64_t auth_argon2_iterations;
	int64_t auth_argon2_parallelism;
	bool auth_register_enabled;
	char *management_slack_webhook;
	/* queue */
	int64_t queue_parallel;
	int64_t queue_poll_interval_ms;
	int64_t queue_batch_size;
	int64_t queue_max_attempts;
	int64_t queue_handler_timeout_ms;
	int64_t queue_backoff_base_ms;
	int64_t queue_backoff_max_ms;
	int64_t queue_shutdown_timeout_s;
	bool queue_cron;
	char *queue_cron_schedule; /* NULL: the template's schedule */
	/* mail */
	char *mail_transport; /* auto | eml | smtp */
	char *mail_dir;
	char *mail_template_dir;
	char *mail_from;
	char *mail_smtp_host, *mail_smtp_username, *mail_smtp_password, *mail_smtp_tls;
	char *mail_smtp_ca_file; /* NULL: the system's CA store */
	int64_t mail_smtp_port;
	/* storage */
	char *storage_backend; /* local | s3 */
	char *storage_dir;
	char *storage_bucket;
	char *storage_s3_endpoint, *storage_s3_region, *storage_s3_access_key,
	    *storage_s3_secret_key;
	int64_t storage_orphan_min_age_s; /* compas.file.cleanup leaves younger objects */
	/* supervisor */
	char *var_dir;
	int64_t supervisor_log_max_bytes;
	int64_t supervisor_log_keep;
	int64_t supervisor_stop_timeout_s;
	char *supervisor_postgres; /* auto | on | off: run the embedded cluster */
	int64_t supervisor_postgres_port;
};

/* Load defaults, then path (NULL: $PLATFORM_CONFIG, else no file), then the
 * environment. On failure returns an error whose message names the key. */
struct err *config_load(struct config *cfg, const char *path);
void config_free(struct config *cfg);

/* Print every key with its current value (secrets masked), for --print-config. */
void config_dump(const struct config *cfg, FILE *out);
/* Number of keys and their names (for tests and docs). */
size_t config_key_count(void);
const char *config_key_name(size_t i);

/* The sslmode to use: db.sslmode, or require in production, prefer otherwise. */
const char *config_db_sslmode(const struct config *cfg);
/* The database name: db.database, or app.name (the template's default). */
const char *config_db_name(const struct config *cfg);

#endif
