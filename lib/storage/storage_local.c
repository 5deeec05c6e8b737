/* Local-directory storage backend: one file per object, written atomically (temporary
 * file in the same directory, fsync, rename), so readers see the old or the new bytes. */
#include "storage_local.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fatal.h"

static int
storage_local_mkdirs(const char *path)
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

struct err *
storage_local_open(const char *dir, const char *bucket, char **out_dir)
{
	char path[4096];

	if (dir == NULL || dir[0] == '\0')
		return err_newf("config.invalid", 500, "storage.dir is empty");
	if (!storage_key_ok(bucket))
		return err_newf("config.invalid", 500,
		                "storage.bucket is not a valid directory name");
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, bucket) >= sizeof(path) - 256)
		return err_newf("config.invalid", 500, "storage.dir is too long");
	if (storage_local_mkdirs(path) != 0)
		return err_internal("storage: cannot create %s: %s", path, strerror(errno));
	*out_dir = xstrdup(path);
	return NULL;
}

static int
storage_local_write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

struct err *
storage_local_put(const char *root, const char *key, const void *data, size_t len)
{
	char path[4096], tmp[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, key);
	/* Keys never start with '.', so temporary files never show up as objects. */
	snprintf(tmp, sizeof(tmp), "%s/.tmp.XXXXXX", root);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return err_internal("storage: create temporary file in %s: %s", root,
		                    strerror(errno));
	if (fchmod(fd, 0640) != 0 || storage_local_write_all(fd, data, len) != 0 ||
	    fsync(fd) != 0) {
		int e = errno;

		close(fd);
		unlink(tmp);
		return err_internal("storage: write %s: %s", tmp, strerror(e));
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		return err_internal("storage: store %s: %s", path, strerror(e));
	}
	return NULL;
}

struct err *
storage_local_get(const char *root, const char *key, void **data, size_t *len)
{
	char path[4096];
	struct stat sb;
	char *buf;
	size_t off = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, key);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT
		           ? err_new("error.server.notFound", 404, NULL)
		           : err_internal("storage: open %s: %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > STORAGE_GET_MAX) {
		close(fd);
		return err_internal("storage: %s is not a readable object (or too large)", path);
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	while (off < (size_t)sb.st_size) {
		ssize_t r = read(fd, buf + off, (size_t)sb.st_size - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			close(fd);
			free(buf);
			return err_internal("storage: read %s: %s", path, strerror(e));
		}
		if (r == 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	buf[off] = '\0';
	*data = buf;
	*len = off;
	return NULL;
}

struct err *
storage_local_head(const char *root, const char *key, long long *size)
{
	char path[4096];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", root, key);
	if (stat(path, &sb) != 0)
		return errno == ENOENT
		           ? err_new("error.server.notFound", 404, NULL)
		           : err_internal("storage: stat %s: %s", path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return err_internal("storage: %s is not a regular file", path);
	*size = (long long)sb.st_size;
	return NULL;
}

struct err *
storage_local_delete(const char *root, const char *key)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", root, key);
	if (unlink(path) != 0 && errno != ENOENT)
		return err_internal("storage: unlink %s: %s", path, strerror(errno));
	return NULL;
}

static int
storage_local_cmp(const void *a, const void *b)
{
	const struct storage_object *x = a, *y = b;

	return strcmp(x->key, y->key);
}

struct err *
storage_local_list(const char *root, const char *prefix, struct storage_listing *out)
{
	size_t plen = strlen(prefix);
	struct dirent *de;
	DIR *d = opendir(root);

	if (d == NULL)
		return err_internal("storage: opendir %s: %s", root, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		char path[4096];
		struct stat sb;

		if (!storage_key_ok(de->d_name) || strncmp(de->d_name, prefix, plen) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", root, de->d_name);
		if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue; /* deleted meanwhile, or not an object */
		if (out->n >= STORAGE_LIST_MAX) {
			closedir(d);
			return err_internal("storage: more than %d objects under prefix '%s'",
			                    STORAGE_LIST_MAX, prefix);
		}
		storage_listing_add(out, de->d_name, (long long)sb.st_size, (long long)sb.st_mtime);
	}
	closedir(d);
	if (out->n > 1)
		qsort(out->items, out->n, sizeof(out->items[0]), storage_local_cmp);
	return NULL;
}
