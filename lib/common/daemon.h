/* Start-up shared by every executable: --config/--help handling, configuration and
 * logger set-up, with configuration errors reported once and EXIT_CONFIG. */
#ifndef COMMON_DAEMON_H
#define COMMON_DAEMON_H

#include "config.h"
#include "log.h"

/* Load the configuration (path may be NULL) and set up the logger for daemon.
 * On a configuration error prints it (naming the key) and exits EXIT_CONFIG. */
void daemon_setup(const char *daemon, const char *config_path, struct config *cfg,
                  struct logger *lg);

#endif
