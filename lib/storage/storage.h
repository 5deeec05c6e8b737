/* File storage: objects by key in a local directory (the default) or, later, S3. */
#ifndef STORAGE_STORAGE_H
#define STORAGE_STORAGE_H

#include <stddef.h>

#include "config.h"
#include "err.h"

struct storage {
	char *dir; /* local backend root, e.g. var/files/<bucket> */
};

struct err *storage_open(struct storage *st, const struct config *cfg);
void storage_close(struct storage *st);
/* Keys are UUIDs or [A-Za-z0-9._-] names; anything else is refused. */
struct err *storage_put(struct storage *st, const char *key, const void *data, size_t len);
/* Reads the object into a malloc'd buffer (caller frees). 404 error.server.notFound if missing. */
struct err *storage_get(struct storage *st, const char *key, void **data, size_t *len);
struct err *storage_delete(struct storage *st, const char *key);

#endif
