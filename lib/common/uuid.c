/* UUIDs: randomness from getrandom(2) via the random module. */
#include "uuid.h"

#include <ctype.h>
#include <string.h>

#include "random.h"

/* 16 random bytes -> version 4, RFC 4122 variant, lowercase 8-4-4-4-12 with NUL. */
static void
uuid_format_v4(unsigned char b[16], char out[UUID_STR_LEN])
{
	static const char hex[] = "0123456789abcdef";
	char *o = out;

	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[b[i] >> 4];
		*o++ = hex[b[i] & 0x0f];
	}
	*o = '\0';
}

void
uuid_v4(char out[UUID_STR_LEN])
{
	unsigned char b[16];

	random_bytes(b, sizeof(b));
	uuid_format_v4(b, out);
}

void
uuid_v4_pool(struct random_pool *p, char out[UUID_STR_LEN])
{
	unsigned char b[16];

	random_pool_bytes(p, b, sizeof(b));
	uuid_format_v4(b, out);
}

static bool
uuid_is_dashed_hex(const char *s)
{
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (s[i] == '\0')
			return false;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return s[36] == '\0';
}

bool
uuid_is_valid_v4(const char *s)
{
	return s != NULL && uuid_is_dashed_hex(s) && s[14] == '4';
}

bool
uuid_normalize(const char *s, char out[UUID_STR_LEN])
{
	size_t n = s != NULL ? strlen(s) : 0;
	int j = 0;

	if (n == 36 && uuid_is_dashed_hex(s)) {
		for (int i = 0; i < 36; i++)
			out[i] = (char)tolower((unsigned char)s[i]);
		out[36] = '\0';
		return true;
	}
	if (n != 32)
		return false;
	for (size_t i = 0; i < 32; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return false;
		if (i == 8 || i == 12 || i == 16 || i == 20)
			out[j++] = '-';
		out[j++] = (char)tolower((unsigned char)s[i]);
	}
	out[j] = '\0';
	return true;
}
