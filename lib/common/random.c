/* getrandom(2) wrapper; blocking only until the pool is seeded at boot. */
#include "random.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "b64url.h"
#include "fatal.h"

void
random_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			fatal("getrandom failed");
		}
		p += r;
		n -= (size_t)r;
	}
}

uint32_t
random_uniform(uint32_t upper_bound)
{
	uint32_t r, min;

	if (upper_bound < 2)
		return 0;
	min = -upper_bound % upper_bound; /* reject the biased low range */
	do {
		random_bytes(&r, sizeof(r));
	} while (r < min);
	return r % upper_bound;
}

void
random_token(char *out, size_t outlen, size_t nbytes)
{
	unsigned char buf[128];

	if (nbytes > sizeof(buf) || b64url_encoded_len(nbytes) + 1 > outlen)
		fatal("random_token: buffer too small");
	random_bytes(buf, nbytes);
	b64url_encode(buf, nbytes, out);
}

void
random_pool_bytes(struct random_pool *p, void *out, size_t n)
{
	unsigned char *o = out;

	if (!p->filled) {
		random_bytes(p->buf, sizeof(p->buf));
		p->pos = 0;
		p->filled = true;
	}
	while (n > 0) {
		size_t k = sizeof(p->buf) - p->pos;

		if (k == 0) {
			random_bytes(p->buf, sizeof(p->buf));
			p->pos = 0;
			k = sizeof(p->buf);
		}
		if (k > n)
			k = n;
		memcpy(o, p->buf + p->pos, k);
		p->pos += k;
		o += k;
		n -= k;
	}
}
