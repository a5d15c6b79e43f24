/* Text to curses cells. Strings are escaped into a stack buffer and cut
 * by columns (wcwidth), never by bytes, so a wide or combining character
 * cannot push a row past its pane. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "escape.h"

enum {
	/* Escaping can quadruple a string; rows are never wider than this. */
	DRAW_BUF = 2048,
};

void draw_init(struct draw *d, WINDOW *win, bool utf8)
{
	memset(d, 0, sizeof *d);
	d->win = win;
	d->utf8 = utf8;
	d->hline = utf8 ? "\xe2\x94\x80" : "-";    /* U+2500 */
	d->vline = utf8 ? "\xe2\x94\x82" : "|";    /* U+2502 */
	d->running = utf8 ? "\xe2\x96\xb6" : ">";  /* U+25B6 */
	d->unacked = utf8 ? "\xe2\x97\x8f" : "*";  /* U+25CF */
	d->ellipsis = utf8 ? "\xe2\x80\xa6" : "~"; /* U+2026 */
	d->attr[DRAW_NORMAL] = A_NORMAL;
	d->attr[DRAW_TITLE] = A_BOLD;
	d->attr[DRAW_HEADER] = A_REVERSE;
	d->attr[DRAW_DIM] = A_NORMAL;
	d->attr[DRAW_OK] = A_NORMAL;
	d->attr[DRAW_WARN] = A_BOLD;
	d->attr[DRAW_CRIT] = A_BOLD | A_UNDERLINE;
	d->attr[DRAW_SELECTED] = A_REVERSE;
	d->attr[DRAW_RUNNING] = A_BOLD;
	d->attr[DRAW_KEY] = A_BOLD;
	d->attr[DRAW_HEADING] = A_UNDERLINE;
	d->attr[DRAW_BOLD] = A_BOLD;
}

/* Puts the first bytes of s that fit in maxcols columns. */
static int draw_put(const struct draw *d, int y, int x, int maxcols, enum draw_attr a,
                    const char *s)
{
	int width, full;
	size_t n;

	if (maxcols <= 0)
		return 0;
	n = escape_fit(s, d->utf8, maxcols, &width);
	if (s[n] != '\0') {
		/* Cut: make room for the ellipsis (one column). */
		n = escape_fit(s, d->utf8, maxcols - 1, &width);
		full = 1;
	} else
		full = 0;
	/* The colour pair is part of the attribute (COLOR_PAIR bits). */
	wattrset(d->win, (int)d->attr[a]);
	mvwaddnstr(d->win, y, x, s, (int)n);
	if (full) {
		waddstr(d->win, d->ellipsis);
		width++;
	}
	wattrset(d->win, A_NORMAL);
	return width;
}

int draw_text(const struct draw *d, int y, int x, int maxcols, enum draw_attr a, const char *raw)
{
	char buf[DRAW_BUF];

	escape_terminal(raw, d->utf8, buf, sizeof buf);
	return draw_put(d, y, x, maxcols, a, buf);
}

int draw_textf(const struct draw *d, int y, int x, int maxcols, enum draw_attr a, const char *fmt,
               ...)
{
	char raw[DRAW_BUF / 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	return draw_text(d, y, x, maxcols, a, raw);
}

int draw_glyphs(const struct draw *d, int y, int x, int maxcols, enum draw_attr a,
                const char *glyphs)
{
	return draw_put(d, y, x, maxcols, a, glyphs);
}

void draw_blank(const struct draw *d, int y, int x, int n, enum draw_attr a)
{
	if (n <= 0)
		return;
	wattrset(d->win, (int)d->attr[a]);
	mvwhline(d->win, y, x, ' ', n);
	wattrset(d->win, A_NORMAL);
}

void draw_title(const struct draw *d, const struct layout_rect *r, const char *title,
                enum draw_attr extra_attr, const char *extra)
{
	int x = r->x, end = r->x + r->w, used;

	if (r->h <= 0 || r->w <= 0)
		return;
	/* "── Title ── extra ─────" */
	for (int i = 0; i < 2 && x < end; i++)
		x += draw_glyphs(d, r->y, x, end - x, DRAW_DIM, d->hline);
	x += draw_text(d, r->y, x, end - x, DRAW_TITLE, " ");
	x += draw_text(d, r->y, x, end - x, DRAW_TITLE, title);
	x += draw_text(d, r->y, x, end - x, DRAW_TITLE, " ");
	if (extra != NULL && extra[0] != '\0' && end - x > 4) {
		used = draw_text(d, r->y, x, end - x - 2, extra_attr, extra);
		x += used;
		x += draw_text(d, r->y, x, end - x, DRAW_NORMAL, " ");
	}
	while (x < end) {
		used = draw_glyphs(d, r->y, x, end - x, DRAW_DIM, d->hline);
		if (used == 0)
			break;
		x += used;
	}
}

void draw_separator(const struct draw *d, const struct layout_rect *r)
{
	if (r->x < 1)
		return;
	for (int y = r->y; y < r->y + r->h; y++)
		draw_glyphs(d, y, r->x - 1, 1, DRAW_DIM, d->vline);
}
