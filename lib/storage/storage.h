/* File storage: objects by key in a local directory (the default) or an S3-compatible
 * bucket (path-style URLs, SigV4 via libcurl). storage.c validates keys and dispatches. */
#ifndef STORAGE_STORAGE_H
#define STORAGE_STORAGE_H

#include <stddef.h>

#include "config.h"
#include "err.h"

enum storage_backend {
	STORAGE_LOCAL,
	STORAGE_S3,
};

struct storage_s3;

/* Immutable after storage_open; every call uses its own connection, so one storage can be
 * shared by threads. The s3 backend needs curl_global_init() at program start. */
struct storage {
	char *dir; /* local backend root, e.g. var/files/<bucket>; NULL for s3 */
	enum storage_backend backend;
	struct storage_s3 *s3; /* s3 backend state; NULL for local */
};

struct storage_object {
	char *key;
	long long size;
	long long mtime; /* last modified, seconds since the epoch (0 when unknown) */
};

/* Result of storage_list: owned by the caller, release with storage_listing_free. */
struct storage_listing {
	struct storage_object *items;
	size_t n, cap;
};

/* Select the backend from storage.backend. local: create <storage.dir>/<bucket>.
 * s3: check the settings, then ensure the bucket (HeadBucket, CreateBucket if missing). */
struct err *storage_open(struct storage *st, const struct config *cfg);
void storage_close(struct storage *st);
/* Keys are UUIDs or [A-Za-z0-9._-] names (not starting with '.', at most 200 bytes);
 * anything else is refused with 400 storage.invalidKey. */
struct err *storage_put(struct storage *st, const char *key, const void *data, size_t len);
/* Same with a Content-Type (s3 stores it; the local backend ignores it). NULL means
 * application/octet-stream. An existing object is replaced atomically. */
struct err *storage_put_type(struct storage *st, const char *key, const void *data, size_t len,
                             const char *content_type);
/* Reads the object into a malloc'd buffer (caller frees). 404 error.server.notFound if missing. */
struct err *storage_get(struct storage *st, const char *key, void **data, size_t *len);
/* Size of an object; 404 error.server.notFound if missing. */
struct err *storage_head(struct storage *st, const char *key, long long *size);
/* Deleting a missing object is not an error. */
struct err *storage_delete(struct storage *st, const char *key);
/* All objects whose key starts with prefix ("" for all; same characters as keys), in key
 * order. At most STORAGE_LIST_MAX objects, else 500. */
struct err *storage_list(struct storage *st, const char *prefix, struct storage_listing *out);
void storage_listing_free(struct storage_listing *l);

#define STORAGE_LIST_MAX    100000
#define STORAGE_GET_MAX     (512LL * 1024 * 1024) /* largest object storage_get reads */
#define STORAGE_KEY_MAX_LEN 200

/* For the backends: validation and listing helpers. */
int storage_key_ok(const char *key);
void storage_listing_add(struct storage_listing *l, const char *key, long long size,
                         long long mtime);

#endif
