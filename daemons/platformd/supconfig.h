/* Configuration as platformd and platformctl see it: the platform configuration, plus
 * the embedded default filled in (a signing key in var/app_keys, the local cluster as
 * the database), exported to the environment that the supervised daemons inherit. */
#ifndef PLATFORMD_SUPCONFIG_H
#define PLATFORMD_SUPCONFIG_H

#include <stdbool.h>

#include "config.h"
#include "err.h"

struct supconfig {
	struct config cfg;
	bool embedded_pg; /* run the postgres service */
	char *var_dir;    /* absolute */
};

/* Load path (NULL: $PLATFORM_CONFIG). With fill, missing app.keys and database are
 * supplied for the embedded default and exported (setenv) for the children; without
 * it (platformctl) only var_dir and the supervisor keys matter. */
struct err *supconfig_load(struct supconfig *sc, const char *path, bool fill);
void supconfig_free(struct supconfig *sc);
/* <var_dir>/<rel>; caller frees. */
char *supconfig_path(const struct supconfig *sc, const char *rel);
/* mkdir -p <var_dir>/{log,run}. */
struct err *supconfig_make_dirs(const struct supconfig *sc);

#endif
