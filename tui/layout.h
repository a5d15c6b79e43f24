/* Where each pane goes for a terminal size. Pure: tests check every size. */
#ifndef MW_TUI_LAYOUT_H
#define MW_TUI_LAYOUT_H

#include <stdbool.h>

struct layout_rect {
	int y, x, h, w; /* h == 0: not shown */
};

struct layout {
	bool too_small; /* below LAYOUT_MIN_*: only a short status */
	bool wide;      /* Processes and Alerts side by side */
	int graph_rows; /* rows of the Memory/Swap history graph */
	struct layout_rect header, memory, swap, pairs, procs, alerts, footer;
};

enum {
	LAYOUT_MIN_COLS = 60,
	LAYOUT_MIN_ROWS = 18,
	LAYOUT_WIDE_COLS = 140, /* from here Processes and Alerts share a row */
	LAYOUT_MEM_LINES = 3,   /* Memory/Swap text lines besides the graph */
};

/* Fills out for a rows x cols screen and n_pairs pairs. Every shown pane's
 * first row is its title; panes never overlap and stay inside the screen.
 * Memory and Swap share a row (Memory on the left); Pairs takes a row per
 * pair up to about a third of what is left, Alerts a quarter, Processes the
 * rest. */
void layout_compute(int rows, int cols, int n_pairs, struct layout *out);

#endif
