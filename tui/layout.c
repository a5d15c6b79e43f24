/* Header, Memory|Swap, Pairs, Processes, Alerts (beside Processes when
 * wide), footer. Extra height goes first to the panes that have more to
 * show: the pair list up to its length, then the process tree. */
#include <string.h>

#include "layout.h"

static struct layout_rect layout_rect(int y, int x, int h, int w)
{
	struct layout_rect r = { y, x, h, w };

	return r;
}

static int layout_clamp(int v, int lo, int hi)
{
	if (v < lo)
		return lo;
	if (v > hi)
		return hi;
	return v;
}

/* Splits avail rows between Pairs (pairs_want) and Processes (procs_want):
 * each gets what it wants when both fit; otherwise the one that needs less
 * keeps what it needs and the other takes the rest, but neither goes below
 * half of avail (Processes never below its minimum). */
static void layout_split(int avail, int pairs_want, int procs_want, int *pairs_h, int *procs_h)
{
	int pairs = pairs_want;

	if (pairs_want + procs_want > avail) {
		pairs = avail - procs_want;
		if (pairs < avail / 2)
			pairs = avail / 2;
		if (pairs > pairs_want)
			pairs = pairs_want;
	}
	if (avail - pairs < LAYOUT_MIN_PROCS)
		pairs = avail - LAYOUT_MIN_PROCS;
	if (pairs < 2)
		pairs = 2;
	*pairs_h = pairs;
	*procs_h = avail - pairs;
}

void layout_compute(int rows, int cols, int n_pairs, int procs_lines, struct layout *out)
{
	int y, rest, mem_h, pairs_h, alerts_h, procs_h, left_w, procs_want;

	memset(out, 0, sizeof *out);
	if (rows < LAYOUT_MIN_ROWS || cols < LAYOUT_MIN_COLS) {
		out->too_small = true;
		return;
	}
	out->wide = cols >= LAYOUT_WIDE_COLS;
	out->header = layout_rect(0, 0, 1, cols);
	out->footer = layout_rect(rows - 1, 0, 1, cols);

	/* The graph grows with tall terminals: 1 row up to 36, 5 at 52. */
	out->graph_rows = layout_clamp((rows - 32) / 4, 1, 6);
	mem_h = 1 + LAYOUT_MEM_LINES + out->graph_rows;
	left_w = cols / 2;
	out->memory = layout_rect(1, 0, mem_h, left_w);
	/* One column between the two is the separator. */
	out->swap = layout_rect(1, left_w + 1, mem_h, cols - left_w - 1);

	y = 1 + mem_h;
	rest = rows - 1 - y; /* rows above the footer */
	if (n_pairs < 1)
		n_pairs = 1;
	/* Title and content; a tree not sampled yet still gets a few rows. */
	procs_want = 1 + (procs_lines > 3 ? procs_lines : 3);
	if (out->wide) {
		/* Pairs full width (title, heading, a row per pair);
		 * Processes | Alerts share what is left. Processes gets the
		 * columns its table uses, Alerts the rest, for long lines. */
		layout_split(rest, n_pairs + 2, procs_want > 8 ? procs_want : 8, &pairs_h,
		             &procs_h);
		out->pairs = layout_rect(y, 0, pairs_h, cols);
		y += pairs_h;
		left_w = cols * 3 / 5;
		if (left_w > LAYOUT_PROCS_COLS)
			left_w = LAYOUT_PROCS_COLS;
		out->procs = layout_rect(y, 0, procs_h, left_w);
		out->alerts = layout_rect(y, left_w + 1, procs_h, cols - left_w - 1);
		return;
	}
	alerts_h = layout_clamp(rest / 4, 3, 12);
	layout_split(rest - alerts_h, n_pairs + 2, procs_want, &pairs_h, &procs_h);
	out->pairs = layout_rect(y, 0, pairs_h, cols);
	y += pairs_h;
	out->procs = layout_rect(y, 0, procs_h, cols);
	y += procs_h;
	out->alerts = layout_rect(y, 0, alerts_h, cols);
}
