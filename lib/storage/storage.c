/* File storage front: picks the backend from the configuration, validates keys once for
 * both backends and dispatches. */
#include "storage.h"

#include <stdlib.h>
#include <string.h>

#include "fatal.h"
#include "storage_local.h"
#include "storage_s3.h"

int
storage_key_ok(const char *key)
{
	size_t n = key != NULL ? strlen(key) : 0;

	if (n == 0 || n > STORAGE_KEY_MAX_LEN || key[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

void
storage_listing_add(struct storage_listing *l, const char *key, long long size, long long mtime)
{
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 64 : l->cap * 2;
		l->items = realloc(l->items, l->cap * sizeof(l->items[0]));
		if (l->items == NULL)
			fatal_oom();
	}
	l->items[l->n].key = xstrdup(key);
	l->items[l->n].size = size;
	l->items[l->n].mtime = mtime;
	l->n++;
}

void
storage_listing_free(struct storage_listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].key);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

struct err *
storage_open(struct storage *st, const struct config *cfg)
{
	memset(st, 0, sizeof(*st));
	if (cfg->storage_backend == NULL || strcmp(cfg->storage_backend, "local") == 0) {
		st->backend = STORAGE_LOCAL;
		return storage_local_open(cfg->storage_dir, cfg->storage_bucket, &st->dir);
	}
	if (strcmp(cfg->storage_backend, "s3") == 0) {
		st->backend = STORAGE_S3;
		return storage_s3_open(cfg, &st->s3);
	}
	return err_newf("config.invalid", 500, "storage.backend must be local or s3");
}

void
storage_close(struct storage *st)
{
	free(st->dir);
	st->dir = NULL;
	storage_s3_free(st->s3);
	st->s3 = NULL;
}

static struct err *
storage_bad_key(void)
{
	return err_newf("storage.invalidKey", 400, "invalid storage key");
}

struct err *
storage_put_type(struct storage *st, const char *key, const void *data, size_t len,
                 const char *content_type)
{
	if (!storage_key_ok(key))
		return storage_bad_key();
	if (st->backend == STORAGE_S3)
		return storage_s3_put(st->s3, key, data, len, content_type);
	return storage_local_put(st->dir, key, data, len);
}

struct err *
storage_put(struct storage *st, const char *key, const void *data, size_t len)
{
	return storage_put_type(st, key, data, len, NULL);
}

struct err *
storage_get(struct storage *st, const char *key, void **data, size_t *len)
{
	if (!storage_key_ok(key))
		return storage_bad_key();
	if (st->backend == STORAGE_S3)
		return storage_s3_get(st->s3, key, data, len);
	return storage_local_get(st->dir, key, data, len);
}

struct err *
storage_head(struct storage *st, const char *key, long long *size)
{
	if (!storage_key_ok(key))
		return storage_bad_key();
	if (st->backend == STORAGE_S3)
		return storage_s3_head(st->s3, key, size);
	return storage_local_head(st->dir, key, size);
}

struct err *
storage_delete(struct storage *st, const char *key)
{
	if (!storage_key_ok(key))
		return storage_bad_key();
	if (st->backend == STORAGE_S3)
		return storage_s3_delete(st->s3, key);
	return storage_local_delete(st->dir, key);
}

struct err *
storage_list(struct storage *st, const char *prefix, struct storage_listing *out)
{
	struct err *e;

	memset(out, 0, sizeof(*out));
	if (prefix == NULL)
		prefix = "";
	if (prefix[0] != '\0' && !storage_key_ok(prefix))
		return err_newf("storage.invalidKey", 400, "invalid storage key prefix");
	if (st->backend == STORAGE_S3)
		e = storage_s3_list(st->s3, prefix, out);
	else
		e = storage_local_list(st->dir, prefix, out);
	if (e != NULL)
		storage_listing_free(out);
	return e;
}
