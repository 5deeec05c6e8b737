/* UUID v4 from the OS CSPRNG, and validation. */
#ifndef COMMON_UUID_H
#define COMMON_UUID_H

#include <stdbool.h>

#define UUID_STR_LEN 37 /* 36 chars + NUL */

struct random_pool;

/* From random_bytes (one getrandom(2) per id): fit for ids that must not be guessed. */
void uuid_v4(char out[UUID_STR_LEN]);
/* Same format, from a per-thread pool (no syscall for 31 ids in 32): request ids only,
 * never tokens or anything secret. */
void uuid_v4_pool(struct random_pool *p, char out[UUID_STR_LEN]);
/* Canonical 8-4-4-4-12 hex with version nibble 4 (the template's uuid.isValid). */
bool uuid_is_valid_v4(const char *s);
/* The generated validator's looser rule: any 8-4-4-4-12 hex, or 32 hex chars.
 * On success writes the lowercase dashed form to out. */
bool uuid_normalize(const char *s, char out[UUID_STR_LEN]);

#endif
