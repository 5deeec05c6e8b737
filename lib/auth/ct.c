/* OpenSSL's CRYPTO_memcmp does the constant-time part. */
#include "ct.h"

#include <string.h>
#include <openssl/crypto.h>

bool
ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen != blen)
		return false;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

bool
ct_streq(const char *a, const char *b)
{
	return ct_equal(a, strlen(a), b, strlen(b));
}
