/* Common daemon start-up. */
#include "daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"

void
daemon_setup(const char *daemon, const char *config_path, struct config *cfg, struct logger *lg)
{
	struct err *e = config_load(cfg, config_path);
	enum log_format fmt = LOG_FORMAT_NDJSON;

	if (e != NULL) {
		fprintf(stderr, "platform-%s: configuration error: %s\n", daemon, e->message);
		err_free(e);
		config_free(cfg);
		exit(EXIT_CONFIG);
	}
	if (strcmp(cfg->log_format, "pretty") == 0 ||
	    (strcmp(cfg->log_format, "auto") == 0 && !cfg->production && isatty(STDOUT_FILENO)))
		fmt = LOG_FORMAT_PRETTY;
	log_init(lg, daemon, fmt, STDOUT_FILENO);
	if (cfg->production)
		lg->application = cfg->app_name;
}
