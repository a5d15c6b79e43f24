/* Drawing helpers shared by the panes: every piece of text goes through
 * draw_text, which escapes it (tui/escape.h) and cuts it to the columns it
 * may use, so no pane can send a raw byte from a process to the terminal. */
#ifndef MW_TUI_DRAW_H
#define MW_TUI_DRAW_H

#include <curses.h>
#include <stdbool.h>

#include "layout.h"

enum draw_attr {
	DRAW_NORMAL,
	DRAW_TITLE,  /* pane titles */
	DRAW_HEADER, /* the header and footer bars */
	DRAW_DIM,    /* pending and ended pairs, empty bar cells */
	DRAW_OK,
	DRAW_WARN,
	DRAW_CRIT,
	DRAW_SELECTED, /* the selected pair's row */
	DRAW_RUNNING,  /* the running pair */
	DRAW_KEY,      /* key names in the footer and dialogs */
	DRAW_HEADING,  /* column headings */
	DRAW_BOLD,     /* unacknowledged alerts */
	DRAW_N,
};

struct draw {
	WINDOW *win;
	bool utf8; /* UTF-8 locale: box and block characters */
	attr_t attr[DRAW_N];
	/* Glyphs for the locale: UTF-8 or ASCII. */
	const char *hline;    /* pane title rules */
	const char *vline;    /* between side-by-side panes */
	const char *running;  /* marks the running pair */
	const char *unacked;  /* marks an unacknowledged alert */
	const char *ellipsis; /* a cut string */
};

/* Fills the glyphs and monochrome attributes for utf8; screen.c adds the
 * colours. */
void draw_init(struct draw *d, WINDOW *win, bool utf8);

/* Draws raw at (y, x) escaped, in at most maxcols columns, with attribute
 * a; a cut string ends with the ellipsis. Returns the columns used. */
int draw_text(const struct draw *d, int y, int x, int maxcols, enum draw_attr a, const char *raw);

/* draw_text of a printf-style string. */
int draw_textf(const struct draw *d, int y, int x, int maxcols, enum draw_attr a, const char *fmt,
               ...) __attribute__((format(printf, 6, 7)));

/* Draws text the TUI built itself from glyphs (bars, rules), cut to
 * maxcols columns but not escaped. Returns the columns used. */
int draw_glyphs(const struct draw *d, int y, int x, int maxcols, enum draw_attr a,
                const char *glyphs);

/* Paints n columns from (y, x) blank with attribute a. */
void draw_blank(const struct draw *d, int y, int x, int n, enum draw_attr a);

/* The title row of a pane: a rule across its width with " title " near the
 * left and, when given, extra (raw, escaped) after it. */
void draw_title(const struct draw *d, const struct layout_rect *r, const char *title,
                enum draw_attr extra_attr, const char *extra);

/* The separator column left of r (r->x - 1), the height of r. */
void draw_separator(const struct draw *d, const struct layout_rect *r);

#endif
