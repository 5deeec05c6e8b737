/* file_read: size by seeking, then one fread. */
#include "file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fatal.h"

char *
file_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	buf = xmalloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	buf[n] = '\0';
	if (len != NULL)
		*len = (size_t)n;
	fclose(f);
	return buf;
}
