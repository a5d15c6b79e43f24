/* Block-element bars and graphs; eighths give sub-cell precision in UTF-8. */
#include <string.h>

#include "bar.h"

/* U+2589..U+258F (left seven eighths .. left one eighth), indexed by
 * eighths; [0] unused. */
static const char *const bar_eighths_utf8[8] = {
	"",
	"\xe2\x96\x8f",
	"\xe2\x96\x8e",
	"\xe2\x96\x8d",
	"\xe2\x96\x8c",
	"\xe2\x96\x8b",
	"\xe2\x96\x8a",
	"\xe2\x96\x89",
};
static const char bar_full_utf8[] = "\xe2\x96\x88";  /* U+2588 */
static const char bar_shade_utf8[] = "\xe2\x96\x91"; /* U+2591 */

/* Levels 0..8 of a sparkline cell. */
static const char *const spark_utf8[9] = {
	" ",
	"\xe2\x96\x81",
	"\xe2\x96\x82",
	"\xe2\x96\x83",
	"\xe2\x96\x84",
	"\xe2\x96\x85",
	"\xe2\x96\x86",
	"\xe2\x96\x87",
	"\xe2\x96\x88",
};
static const char spark_ascii[] = " ._-~=+*#";

/* Appends s to out at *o if it fits whole with the NUL. */
static int bar_append(char *out, size_t outlen, size_t *o, const char *s)
{
	size_t len = strlen(s);

	if (*o + len >= outlen)
		return 0;
	memcpy(out + *o, s, len + 1);
	*o += len;
	return 1;
}

int bar_render(double frac, int width, bool utf8, char *fill, size_t fill_len, char *empty,
               size_t empty_len)
{
	size_t fo = 0, eo = 0;
	int cells = 0, eighths, full, part;

	if (fill_len > 0)
		fill[0] = '\0';
	if (empty_len > 0)
		empty[0] = '\0';
	if (width <= 0)
		return 0;
	if (!(frac > 0)) /* also catches NaN */
		frac = 0;
	if (frac > 1)
		frac = 1;
	eighths = (int)(frac * width * 8 + 0.5);
	if (eighths == 0 && frac > 0)
		eighths = 1;
	full = eighths / 8;
	part = eighths % 8;
	if (!utf8) {
		/* Whole cells only; a partial one rounds to the nearer. */
		full = (eighths + 4) / 8;
		if (full == 0 && frac > 0)
			full = 1;
		part = 0;
	}
	for (int i = 0; i < full; i++) {
		if (!bar_append(fill, fill_len, &fo, utf8 ? bar_full_utf8 : "#"))
			break;
		cells++;
	}
	if (part > 0 && bar_append(fill, fill_len, &fo, bar_eighths_utf8[part]))
		cells++;
	for (int i = cells; i < width; i++)
		if (!bar_append(empty, empty_len, &eo, utf8 ? bar_shade_utf8 : "."))
			break;
	return cells;
}

int spark_oldest(int next, int len, int cap)
{
	if (cap <= 0)
		return 0;
	if (len > cap)
		len = cap;
	return (((next - len) % cap) + cap) % cap;
}

int spark_render(const uint64_t *ring, int len, int head, int cap, uint64_t max, int width, int row,
                 int rows, bool utf8, char *out, size_t outlen)
{
	size_t o = 0;
	int shown, cells = 0, floor_eighths;

	if (outlen > 0)
		out[0] = '\0';
	if (width <= 0 || rows <= 0 || row < 0 || row >= rows || cap <= 0)
		return 0;
	if (len > cap)
		len = cap;
	if (len < 0)
		len = 0;
	shown = len < width ? len : width;
	/* Eighths below this row's bottom edge. */
	floor_eighths = (rows - 1 - row) * 8;
	for (int i = 0; i < width - shown; i++) {
		if (!bar_append(out, outlen, &o, " "))
			return cells;
		cells++;
	}
	for (int i = len - shown; i < len; i++) {
		uint64_t v = ring[((head % cap) + cap + i) % cap];
		int level, total;
		char ascii[2] = { 0, 0 };

		if (max == 0 || v == 0)
			total = 0;
		else if (v >= max)
			total = rows * 8;
		else {
			total = (int)((double)v / (double)max * rows * 8 + 0.5);
			if (total == 0)
				total = 1;
		}
		level = total - floor_eighths;
		if (level < 0)
			level = 0;
		if (level > 8)
			level = 8;
		ascii[0] = spark_ascii[level];
		if (!bar_append(out, outlen, &o, utf8 ? spark_utf8[level] : ascii))
			break;
		cells++;
	}
	return cells;
}
