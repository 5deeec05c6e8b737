/* base64url without padding (RFC 4648 §5), as JWTs use it. */
#ifndef COMMON_B64URL_H
#define COMMON_B64URL_H

#include <stddef.h>
#include <sys/types.h>

size_t b64url_encoded_len(size_t n);
/* Writes b64url_encoded_len(n) chars plus a NUL to out; returns the length. */
size_t b64url_encode(const void *in, size_t n, char *out);
/* Decodes n chars (padding '=' tolerated at the end); out needs n*3/4+1 bytes.
 * Returns the decoded length, or -1 on a bad character or impossible length. */
ssize_t b64url_decode(const char *in, size_t n, void *out);

#endif
