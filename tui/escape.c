/* Control characters and broken encodings shown as \xNN. The decoding is
 * done here rather than with mbrtowc so that the verdict does not depend on
 * the locale the process happens to run in. */
#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include "escape.h"

/* The length of the valid UTF-8 sequence at s and its code point in *cp, or
 * 0 when the bytes at s are not a valid, shortest-form sequence. */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
	uint32_t c, min;
	size_t len;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	for (size_t i = 1; i < len; i++) {
		/* A NUL is not a continuation byte, so this never reads past it. */
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Code points a terminal may act on or that change how nearby text reads. */
static int escape_codepoint_unsafe(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return 1;
	if ((cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff)
		return 1;
	return 0;
}

/* Outside UTF-8, the punctuation mergewatch's own texts use (dashes, the
 * ellipsis, the multiplication sign, arrows) reads better as its ASCII
 * look-alike than as \xNN bytes. NULL: no look-alike. */
static const char *escape_ascii_lookalike(uint32_t cp)
{
	switch (cp) {
	case 0x2013: /* en dash */
	case 0x2014: /* em dash */
	case 0x2212: /* minus */
		return "-";
	case 0x2026:
		return "...";
	case 0x00d7:
		return "x";
	case 0x2192:
		return "->";
	case 0x00b7:
	case 0x2022:
		return "*";
	default:
		return NULL;
	}
}

size_t escape_terminal(const char *raw, bool utf8, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)raw;
	size_t o = 0;

	if (outlen == 0)
		return 0;
	while (*s != '\0') {
		uint32_t cp = 0;
		size_t len;

		if (*s == '\\') {
			if (o + 2 >= outlen)
				break;
			out[o++] = '\\';
			out[o++] = '\\';
			s++;
			continue;
		}
		if (utf8)
			len = utf8_decode(s, &cp);
		else if (*s < 0x80) {
			len = 1;
			cp = *s;
		} else {
			const char *ascii = NULL;

			len = utf8_decode(s, &cp);
			if (len > 0)
				ascii = escape_ascii_lookalike(cp);
			if (ascii != NULL) {
				size_t alen = strlen(ascii);

				if (o + alen >= outlen)
					break;
				memcpy(out + o, ascii, alen);
				o += alen;
				s += len;
				continue;
			}
			len = 0;
		}
		if (len > 0 && !escape_codepoint_unsafe(cp)) {
			if (o + len >= outlen)
				break;
			memcpy(out + o, s, len);
			o += len;
			s += len;
			continue;
		}
		/* An unsafe code point is escaped byte by byte, as is each byte
		 * of an invalid sequence (resynchronising at the next byte). */
		if (len == 0)
			len = 1;
		if (o + 4 * len >= outlen)
			break;
		for (size_t i = 0; i < len; i++) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[s[i] >> 4];
			out[o++] = hex[s[i] & 0x0f];
		}
		s += len;
	}
	out[o] = '\0';
	return o;
}

size_t escape_fit(const char *s, bool utf8, int cols, int *width)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	int used = 0;

	while (p[i] != '\0') {
		uint32_t cp = p[i];
		size_t len = 1;
		int w = 1;

		if (utf8 && p[i] >= 0x80) {
			len = utf8_decode(p + i, &cp);
			if (len == 0)
				len = 1; /* not escaped output; count the byte */
			else {
				w = wcwidth((wchar_t)cp);
				if (w < 0)
					w = 1;
			}
		}
		if (used + w > cols)
			break;
		used += w;
		i += len;
	}
	if (width != NULL)
		*width = used;
	return i;
}
