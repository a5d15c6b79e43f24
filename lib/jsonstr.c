#include "jsonstr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is invalid. */
static size_t jsonstr_utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned min;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

json_t *jsonstr_new(const char *raw)
{
	const unsigned char *s = (const unsigned char *)raw;
	size_t len = strlen(raw);
	char *out = malloc(len * 4 + 1);
	size_t o = 0;
	json_t *str;

	if (out == NULL)
		return NULL;
	while (*s != '\0') {
		size_t n = jsonstr_utf8_len(s);

		if (n == 0) {
			o += (size_t)sprintf(out + o, "\\x%02x", *s);
			s++;
		} else {
			memcpy(out + o, s, n);
			o += n;
			s += n;
		}
	}
	out[o] = '\0';
	str = json_stringn(out, o);
	free(out);
	return str;
}
