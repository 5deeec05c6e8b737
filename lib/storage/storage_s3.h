/* S3 storage backend: path-style URLs <endpoint>/<bucket>/<key>, requests signed with
 * AWS SigV4 by libcurl for the configured region. Keys are validated by storage.c. */
#ifndef STORAGE_STORAGE_S3_H
#define STORAGE_STORAGE_S3_H

#include <stddef.h>

#include "config.h"
#include "err.h"
#include "storage.h"

/* Check the storage.s3_* settings and ensure the bucket exists (created with the
 * configured region as LocationConstraint when missing). */
struct err *storage_s3_open(const struct config *cfg, struct storage_s3 **out);
void storage_s3_free(struct storage_s3 *s3);
struct err *storage_s3_put(const struct storage_s3 *s3, const char *key, const void *data,
                           size_t len, const char *content_type);
struct err *storage_s3_get(const struct storage_s3 *s3, const char *key, void **data, size_t *len);
struct err *storage_s3_head(const struct storage_s3 *s3, const char *key, long long *size);
struct err *storage_s3_delete(const struct storage_s3 *s3, const char *key);
/* ListObjectsV2, following continuation tokens. Keys this API cannot address (other
 * characters than storage_key_ok allows) are skipped. */
struct err *storage_s3_list(const struct storage_s3 *s3, const char *prefix,
                            struct storage_listing *out);

#endif
