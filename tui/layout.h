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
	LAYOUT_MIN_PROCS = 4,   /* Processes: title, next line or heading, two rows */
	LAYOUT_PROCS_COLS = 86, /* wide: Processes' table needs no more */
};

/* Fills out for a rows x cols screen, n_pairs pairs and a Processes pane
 * with procs_lines lines to show (below its title). Every shown pane's
 * first row is its title; panes never overlap and stay inside the screen.
 * Memory and Swap share a row (Memory on the left); Alerts takes about a
 * quarter of what is left below (beside Processes when wide); Pairs and
 * Processes share the rest by what they have to show, so neither keeps
 * blank rows while the other is cut. */
void layout_compute(int rows, int cols, int n_pairs, int procs_lines, struct layout *out);

#endif
