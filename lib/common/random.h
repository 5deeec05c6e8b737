/* Secrets and identifiers come from the OS CSPRNG (getrandom), nowhere else. */
#ifndef COMMON_RANDOM_H
#define COMMON_RANDOM_H

#include <stddef.h>
#include <stdint.h>

void random_bytes(void *buf, size_t n);        /* aborts if the kernel cannot provide them */
uint32_t random_uniform(uint32_t upper_bound); /* uniform in [0, upper_bound) */
/* n random bytes as base64url (no padding) into out (size >= 4*n/3+2). */
void random_token(char *out, size_t outlen, size_t nbytes);

#endif
