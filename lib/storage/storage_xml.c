/* Just enough XML for S3 answers: flat element lookup and entity decoding, both bounded
 * by the caller's buffer (the response is not NUL-terminated XML we trust). */
#include "storage_xml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fatal.h"

bool
storage_xml_find(const char *s, const char *end, const char *tag, const char **val, size_t *vlen,
                 const char **next)
{
	char open[64], close[64];
	size_t olen, clen;
	const char *a, *b;

	olen = (size_t)snprintf(open, sizeof(open), "<%s>", tag);
	clen = (size_t)snprintf(close, sizeof(close), "</%s>", tag);
	if (olen >= sizeof(open) || clen >= sizeof(close) || s == NULL || end < s)
		return false;
	a = memmem(s, (size_t)(end - s), open, olen);
	if (a == NULL)
		return false;
	a += olen;
	b = memmem(a, (size_t)(end - a), close, clen);
	if (b == NULL)
		return false;
	*val = a;
	*vlen = (size_t)(b - a);
	if (next != NULL)
		*next = b + clen;
	return true;
}

char *
storage_xml_text(const char *v, size_t n)
{
	static const struct {
		const char *ref;
		char c;
	} ents[] = { { "&amp;", '&' },
		     { "&lt;", '<' },
		     { "&gt;", '>' },
		     { "&quot;", '"' },
		     { "&apos;", '\'' } };
	char *out = xmalloc(n + 1);
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		size_t k;

		if (v[i] == '\0' || v[i] == '<') {
			free(out);
			return NULL;
		}
		if (v[i] != '&') {
			out[o++] = v[i++];
			continue;
		}
		for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
			size_t rl = strlen(ents[k].ref);

			if (n - i >= rl && memcmp(v + i, ents[k].ref, rl) == 0) {
				out[o++] = ents[k].c;
				i += rl;
				break;
			}
		}
		if (k == sizeof(ents) / sizeof(ents[0])) {
			free(out);
			return NULL;
		}
	}
	out[o] = '\0';
	return out;
}
