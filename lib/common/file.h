/* Whole small files (configuration, templates, migrations) read into memory. */
#ifndef COMMON_FILE_H
#define COMMON_FILE_H

#include <stddef.h>

/* The file's bytes, NUL-terminated (malloc'd; the caller frees), and their count in *len
 * (may be NULL). NULL when it cannot be opened or read (errno tells why). */
char *file_read(const char *path, size_t *len);

#endif
