/* The one exit path for impossible states and out-of-memory (PgBouncer style). */
#ifndef COMMON_FATAL_H
#define COMMON_FATAL_H

#include <stddef.h>

_Noreturn void fatal_oom(void);
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* malloc/calloc/strdup that never return NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);

#endif
