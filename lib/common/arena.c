/* A chain of blocks; big allocations get their own block. Cleanups run LIFO. */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fatal.h"

#define ARENA_BLOCK 8192

struct arena_block {
	struct arena_block *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

struct arena_cleanup {
	struct arena_cleanup *next;
	void (*fn)(void *);
	void *arg;
};

struct arena {
	struct arena_block *head;
	struct arena_cleanup *cleanups;
};

static struct arena_block *
arena_block_new(size_t size)
{
	struct arena_block *b = xmalloc(sizeof(*b) + size);

	b->next = NULL;
	b->used = 0;
	b->size = size;
	return b;
}

struct arena *
arena_new(void)
{
	struct arena *a = xcalloc(1, sizeof(*a));

	a->head = arena_block_new(ARENA_BLOCK);
	return a;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_block *b = a->head;
	size_t need = (n + 15) & ~(size_t)15;
	void *p;

	if (need == 0)
		need = 16;
	if (b->size - b->used < need) {
		size_t size = need > ARENA_BLOCK / 2 ? need : ARENA_BLOCK;
		struct arena_block *nb = arena_block_new(size);

		if (size == need && b->size - b->used > 0) {
			/* keep filling the current block; chain the big one behind it */
			nb->next = b->next;
			b->next = nb;
			nb->used = need;
			memset(nb->data, 0, need);
			return nb->data;
		}
		nb->next = b;
		a->head = b = nb;
	}
	p = b->data + b->used;
	b->used += need;
	memset(p, 0, need);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p, probe[1];

	if (fmt == NULL) /* also tells gcc's -fsanitize build that fmt is set */
		return arena_strdup(a, "");
	va_start(ap, fmt);
	n = vsnprintf(probe, sizeof(probe), fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("arena_printf: bad format");
	p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void
arena_defer(struct arena *a, void (*fn)(void *), void *arg)
{
	struct arena_cleanup *c = arena_alloc(a, sizeof(*c));

	c->fn = fn;
	c->arg = arg;
	c->next = a->cleanups;
	a->cleanups = c;
}

static void
arena_run_cleanups(struct arena *a)
{
	/* cleanups live in the arena itself, so run them all before freeing blocks */
	while (a->cleanups != NULL) {
		struct arena_cleanup *c = a->cleanups;

		a->cleanups = c->next;
		c->fn(c->arg);
	}
}

void
arena_reset(struct arena *a)
{
	struct arena_block *b, *keep = NULL;

	arena_run_cleanups(a);
	b = a->head;
	while (b != NULL) {
		struct arena_block *next = b->next;

		if (next == NULL && b->size == ARENA_BLOCK) {
			keep = b;
		} else {
			free(b);
		}
		b = next;
	}
	if (keep == NULL)
		keep = arena_block_new(ARENA_BLOCK);
	keep->used = 0;
	keep->next = NULL;
	a->head = keep;
}

void
arena_free(struct arena *a)
{
	struct arena_block *b;

	if (a == NULL)
		return;
	arena_run_cleanups(a);
	b = a->head;
	while (b != NULL) {
		struct arena_block *next = b->next;

		free(b);
		b = next;
	}
	free(a);
}
