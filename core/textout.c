/* The sentence writer behind text.c. */
#include <math.h>
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

const char *textout_str(const json_t *ev, const char *key)
{
	return json_string_value(json_object_get(ev, key));
}

/* A non-negative number (sizes are integers, but be lenient). */
bool textout_u64(const json_t *ev, const char *key, uint64_t *out)
{
	const json_t *v = json_object_get(ev, key);

	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return true;
	}
	if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 1.8e19) {
		*out = (uint64_t)json_real_value(v);
		return true;
	}
	return false;
}

bool textout_num(const json_t *ev, const char *key, double *out)
{
	const json_t *v = json_object_get(ev, key);

	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return isfinite(*out);
}

bool textout_int(const json_t *ev, const char *key, long long *out)
{
	const json_t *v = json_object_get(ev, key);

	if (!json_is_integer(v))
		return false;
	*out = (long long)json_integer_value(v);
	return true;
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
void textout_add_size(struct textout *t, const char *before, const json_t *ev, const char *key,
                      const char *after)
{
	char b[TEXTOUT_SIZE_LEN];
	uint64_t v;

	if (textout_u64(ev, key, &v))
		textout_add(t, "%s%s%s", before, textout_size(v, b), after);
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
