/* Constant-time comparison of secrets (tokens, MACs, codes). */
#ifndef AUTH_CT_H
#define AUTH_CT_H

#include <stdbool.h>
#include <stddef.h>

/* True when a and b have equal length and bytes; time depends only on the lengths. */
bool ct_equal(const void *a, size_t alen, const void *b, size_t blen);
bool ct_streq(const char *a, const char *b);

#endif
