/* Route matching: routes pre-split into segments; static segments win over :params. */
#include "router.h"

#include <stdlib.h>
#include <string.h>

#include "fatal.h"

#define ROUTER_MAX_SEGMENTS 16

struct router_entry {
	const struct api_route *route;
	size_t nseg;
	const char *seg[ROUTER_MAX_SEGMENTS]; /* into path copy; ":name" for params */
	size_t seglen[ROUTER_MAX_SEGMENTS];
	char *copy;
};

struct router {
	struct router_entry *entries;
	size_t n;
};

/* Split path in place on '/', skipping empty segments. Returns the count, or
 * ROUTER_MAX_SEGMENTS + 1 when there are too many. */
static size_t
router_split(char *path, const char **seg, size_t *seglen)
{
	size_t n = 0;
	char *p = path;

	while (*p != '\0') {
		char *start;

		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && *p != '/')
			p++;
		if (n == ROUTER_MAX_SEGMENTS)
			return n + 1;
		seg[n] = start;
		seglen[n] = (size_t)(p - start);
		n++;
		if (*p == '/')
			*p++ = '\0';
	}
	return n;
}

struct router *
router_new(const struct api_route_group *const *groups)
{
	struct router *r = xcalloc(1, sizeof(*r));
	size_t total = 0, k = 0;

	for (size_t g = 0; groups[g] != NULL; g++)
		total += groups[g]->count;
	r->entries = xcalloc(total > 0 ? total : 1, sizeof(*r->entries));
	for (size_t g = 0; groups[g] != NULL; g++) {
		for (size_t i = 0; i < groups[g]->count; i++) {
			struct router_entry *e = &r->entries[k++];

			e->route = &groups[g]->routes[i];
			e->copy = xstrdup(e->route->path);
			e->nseg = router_split(e->copy, e->seg, e->seglen);
			if (e->nseg > ROUTER_MAX_SEGMENTS)
				fatal("router: too many segments in %s", e->route->path);
		}
	}
	r->n = total;
	for (size_t i = 0; i < r->n; i++)
		for (size_t j = i + 1; j < r->n; j++)
			if (strcmp(r->entries[i].route->method, r->entries[j].route->method) == 0 &&
			    strcmp(r->entries[i].route->path, r->entries[j].route->path) == 0)
				fatal("router: duplicate route %s %s", r->entries[i].route->method,
				      r->entries[i].route->path);
	return r;
}

void
router_free(struct router *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->entries[i].copy);
	free(r->entries);
	free(r);
}

/* Score of a match: bit (31 - i) set for a static segment i, so the route whose first
 * differing segment is static wins. -1 when it does not match. */
static long
router_score(const struct router_entry *e, size_t n, const char *const *seg, const size_t *seglen)
{
	long score = 0;

	if (e->nseg != n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (e->seg[i][0] == ':')
			continue;
		if (e->seglen[i] != seglen[i] || memcmp(e->seg[i], seg[i], seglen[i]) != 0)
			return -1;
		score |= 1L << (31 - i);
	}
	return score;
}

bool
router_match(const struct router *r, const char *method, const char *path, struct router_match *m)
{
	const char *seg[ROUTER_MAX_SEGMENTS];
	size_t seglen[ROUTER_MAX_SEGMENTS], n, plen = strlen(path);
	const struct router_entry *best = NULL;
	long best_score = -1;

	memset(m, 0, sizeof(*m));
	if (plen >= sizeof(m->path_copy))
		return false;
	memcpy(m->path_copy, path, plen + 1);
	n = router_split(m->path_copy, seg, seglen);
	if (n > ROUTER_MAX_SEGMENTS)
		return false;
	for (size_t i = 0; i < r->n; i++) {
		long s;

		if (strcmp(r->entries[i].route->method, method) != 0)
			continue;
		s = router_score(&r->entries[i], n, seg, seglen);
		if (s > best_score) {
			best_score = s;
			best = &r->entries[i];
		}
	}
	if (best == NULL)
		return false;
	m->route = best->route;
	for (size_t i = 0; i < n; i++) {
		if (best->seg[i][0] != ':' || m->nparams == API_MAX_PARAMS)
			continue;
		m->names[m->nparams] = best->seg[i] + 1;
		m->values[m->nparams] = (char *)seg[i];
		m->nparams++;
	}
	return true;
}
