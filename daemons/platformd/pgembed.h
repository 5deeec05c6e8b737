/* The embedded PostgreSQL of the laptop default: a cluster in <var_dir>/pg/data, run
 * by the real postgres binary (as the postgres user when platformd is root). */
#ifndef PLATFORMD_PGEMBED_H
#define PLATFORMD_PGEMBED_H

#include <stdbool.h>

#include "err.h"

/* $PG_BIN, else the newest /usr/lib/postgresql/<v>/bin; caller frees; NULL if none. */
char *pgembed_bindir(void);
/* <var_dir>/pg/data; caller frees. */
char *pgembed_datadir(const char *var_dir);
/* Create the cluster (initdb, trust auth, superuser postgres) unless it exists. The
 * output of initdb is appended to log_path. Blocks (about a second, first start only). */
struct err *pgembed_init(const char *var_dir, const char *log_path);
/* true when the server on 127.0.0.1:port accepts connections. */
bool pgembed_ready(int port);
/* Switch the calling (child) process to user (root only); false with errno on failure. */
bool pgembed_become(const char *user);

#endif
