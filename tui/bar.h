/* Bars and sparklines as text, for the Memory, Swap and Pairs panes. Pure
 * functions: the caller picks the colours and draws the strings. */
#ifndef MW_TUI_BAR_H
#define MW_TUI_BAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A horizontal bar of width cells filled to frac (clamped to 0..1), split
 * in two strings so the caller can colour them apart: fill gets the filled
 * cells (UTF-8: full blocks and one eighth-block for the remainder; ASCII:
 * '#'), empty the rest (UTF-8: light shade; ASCII: '.'). Any frac above 0
 * shows at least one eighth, so a small share never reads as none. Both
 * strings always end with a NUL; cells that would not fit are left out.
 * Returns the number of cells in fill. */
int bar_render(double frac, int width, bool utf8, char *fill, size_t fill_len, char *empty,
               size_t empty_len);

/* The index of the oldest of len values in a ring of capacity cap whose
 * next write goes to next (the model's history_head): until the ring is
 * full that is slot 0, not next. */
int spark_oldest(int next, int len, int cap);

/* One text row of a sparkline graph rows high (row 0 at the top) of the
 * newest width values of a ring (len values, oldest at index head, capacity
 * cap), scaled to max; fewer values than width are right-aligned after
 * blanks. UTF-8 uses the eighth blocks U+2581..U+2588, ASCII the levels
 * " ._-~=+*#". A non-zero value shows at least its lowest level. out always
 * ends with a NUL. Returns the number of cells written. */
int spark_render(const uint64_t *ring, int len, int head, int cap, uint64_t max, int width, int row,
                 int rows, bool utf8, char *out, size_t outlen);

#endif
