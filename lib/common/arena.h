/* Per-request (or per-job) memory arena: allocate freely, free everything at once. */
#ifndef COMMON_ARENA_H
#define COMMON_ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_new(void);
void *arena_alloc(struct arena *a, size_t n); /* zeroed, 16-byte aligned, never NULL */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Run fn(arg) when the arena is reset or freed (e.g. cJSON_Delete, PQclear). */
void arena_defer(struct arena *a, void (*fn)(void *), void *arg);
/* Free all allocations but keep the first block for reuse. */
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

#endif
