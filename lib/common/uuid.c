/* UUIDs: randomness from getrandom(2) via the random module. */
#include "uuid.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "random.h"

void
uuid_v4(char out[UUID_STR_LEN])
{
	unsigned char b[16];

	random_bytes(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, UUID_STR_LEN,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
	         b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	         b[15]);
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
