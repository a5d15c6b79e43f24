/* The sentence writer behind text.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../lib/units.h"
#include "textout.h"

void textout_add(struct textout *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->used >= t->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->used, t->len - t->used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= t->len - t->used) {
		t->used = t->len - 1;
		t->cut = true;
	} else {
		t->used += (size_t)n;
	}
}

const char *textout_size(uint64_t bytes, char *buf)
{
	return units_format_size(bytes, buf, TEXTOUT_SIZE_LEN);
}

/* Seconds as people read them: "42s", "3m05s", "2h14m". */
const char *textout_secs(double s, char *buf)
{
	if (!(s > 0))
		s = 0;
	return units_format_elapsed((uint64_t)(s * 1000.0 + 0.5), buf, TEXTOUT_SIZE_LEN);
}

/* ", figure": sizes that are there, skipped when missing. */
void textout_add_size(struct textout *t, const char *before, bool have, uint64_t bytes,
                      const char *after)
{
	char b[TEXTOUT_SIZE_LEN];

	if (have)
		textout_add(t, "%s%s%s", before, textout_size(bytes, b), after);
}

/* Ends s at max bytes or fewer, at a character boundary, with "…". */
void textout_cut(char *s, size_t max)
{
	static const char ellipsis[] = "…"; /* 3 bytes in UTF-8 */
	size_t cut;

	if (max < sizeof ellipsis - 1) {
		cut = max;
		while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
			cut--;
		s[cut] = '\0';
		return;
	}
	cut = max - (sizeof ellipsis - 1);
	/* Back up to the first byte of a character. */
	while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--;
	memcpy(s + cut, ellipsis, sizeof ellipsis);
}
