/* getrandom(2) wrapper; blocking only until the pool is seeded at boot. */
#include "random.h"

#include <errno.h>
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
