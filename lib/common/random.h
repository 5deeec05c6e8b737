/* Secrets and identifiers come from the OS CSPRNG (getrandom), nowhere else. */
#ifndef COMMON_RANDOM_H
#define COMMON_RANDOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void random_bytes(void *buf, size_t n);        /* aborts if the kernel cannot provide them */
uint32_t random_uniform(uint32_t upper_bound); /* uniform in [0, upper_bound) */
/* n random bytes as base64url (no padding) into out (size >= 4*n/3+2). */
void random_token(char *out, size_t outlen, size_t nbytes);

/* Random bytes from getrandom(2), fetched 512 at a time, for ids that are not secrets
 * (request ids). Owned by one thread; zero-initialise it. Never use for secrets or
 * tokens (random_bytes is for those). A pool copied by fork(2) repeats its bytes in both
 * processes: give a child a fresh (zeroed) pool. */
struct random_pool {
	unsigned char buf[512];
	size_t pos; /* next unused byte; 0 with an empty buf means "fill first" */
	bool filled;
};
/* n <= 512 (larger n works too, refilling as often as needed). Each byte is handed out once. */
void random_pool_bytes(struct random_pool *p, void *out, size_t n);

#endif
