/* Local-directory storage backend: one file per object under <dir>/<bucket>, written
 * atomically (temporary file + rename). Keys are validated by storage.c. */
#ifndef STORAGE_STORAGE_LOCAL_H
#define STORAGE_STORAGE_LOCAL_H

#include <stddef.h>

#include "err.h"
#include "storage.h"

/* Create root (and its parents); *out_dir receives a malloc'd copy. */
struct err *storage_local_open(const char *dir, const char *bucket, char **out_dir);
struct err *storage_local_put(const char *root, const char *key, const void *data, size_t len);
struct err *storage_local_get(const char *root, const char *key, void **data, size_t *len);
struct err *storage_local_head(const char *root, const char *key, long long *size);
struct err *storage_local_delete(const char *root, const char *key);
struct err *storage_local_list(const char *root, const char *prefix, struct storage_listing *out);

#endif
