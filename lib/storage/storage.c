/* Local-directory storage backend: one file per object, written atomically. */
#include "storage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fatal.h"

static int
storage_mkdirs(const char *path)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0750) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

static int
storage_key_ok(const char *key)
{
	size_t n = strlen(key);

	if (n == 0 || n > 200 || key[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

struct err *
storage_open(struct storage *st, const struct config *cfg)
{
	char path[4096];

	if (strcmp(cfg->storage_backend, "local") != 0)
		return err_newf("storage.unsupported", 500,
		                "storage.backend = %s is not built yet; use local",
		                cfg->storage_backend);
	snprintf(path, sizeof(path), "%s/%s", cfg->storage_dir, cfg->storage_bucket);
	if (storage_mkdirs(path) != 0)
		return err_internal("storage: cannot create %s: %s", path, strerror(errno));
	st->dir = xstrdup(path);
	return NULL;
}

void
storage_close(struct storage *st)
{
	free(st->dir);
	st->dir = NULL;
}

struct err *
storage_put(struct storage *st, const char *key, const void *data, size_t len)
{
	char path[4096], tmp[4200];
	const char *p = data;
	int fd;

	if (!storage_key_ok(key))
		return err_newf("storage.invalidKey", 400, "invalid storage key");
	snprintf(path, sizeof(path), "%s/%s", st->dir, key);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return err_internal("storage: open %s: %s", tmp, strerror(errno));
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			close(fd);
			unlink(tmp);
			return err_internal("storage: write %s: %s", tmp, strerror(errno));
		}
		p += w;
		len -= (size_t)w;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return err_internal("storage: store %s: %s", path, strerror(errno));
	}
	return NULL;
}

struct err *
storage_get(struct storage *st, const char *key, void **data, size_t *len)
{
	char path[4096];
	struct stat sb;
	char *buf;
	size_t off = 0;
	int fd;

	if (!storage_key_ok(key))
		return err_newf("storage.invalidKey", 400, "invalid storage key");
	snprintf(path, sizeof(path), "%s/%s", st->dir, key);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT
		           ? err_new("error.server.notFound", 404, NULL)
		           : err_internal("storage: open %s: %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0) {
		close(fd);
		return err_internal("storage: stat %s: %s", path, strerror(errno));
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	while (off < (size_t)sb.st_size) {
		ssize_t r = read(fd, buf + off, (size_t)sb.st_size - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	*data = buf;
	*len = off;
	return NULL;
}

struct err *
storage_delete(struct storage *st, const char *key)
{
	char path[4096];

	if (!storage_key_ok(key))
		return err_newf("storage.invalidKey", 400, "invalid storage key");
	snprintf(path, sizeof(path), "%s/%s", st->dir, key);
	if (unlink(path) != 0 && errno != ENOENT)
		return err_internal("storage: unlink %s: %s", path, strerror(errno));
	return NULL;
}
