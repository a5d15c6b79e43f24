/* Memory and Swap. The bar's colour says how close the system is to the
 * pressure limits (model->pressure): green well clear, yellow within half
 * again of a limit, red past it. Without a limit, plain shares decide. */
#include <stdio.h>

#include "../lib/units.h"
#include "bar.h"
#include "panes.h"

enum {
	PANE_MEMORY_BUF = 1024,
};

static enum draw_attr pane_memory_level(const struct model *m)
{
	const struct sys_sample *s = &m->sys;
	uint64_t min = m->pressure.min_available_bytes;
	double psi_max = m->pressure.max_psi_some;
	double used;

	if (s->mem_total_bytes == 0)
		return DRAW_NORMAL;
	if ((min > 0 && s->mem_available_bytes < min) ||
	    (s->psi_known && psi_max > 0 && s->psi_some_avg10 > psi_max))
		return DRAW_CRIT;
	if ((min > 0 && s->mem_available_bytes < min + min / 2) ||
	    (s->psi_known && psi_max > 0 && s->psi_some_avg10 > psi_max / 2))
		return DRAW_WARN;
	if (min > 0)
		return DRAW_OK;
	used = 1.0 - (double)s->mem_available_bytes / (double)s->mem_total_bytes;
	return used > 0.9 ? DRAW_CRIT : used > 0.75 ? DRAW_WARN : DRAW_OK;
}

static enum draw_attr pane_memory_swap_level(const struct model *m, uint64_t used)
{
	uint64_t max = m->pressure.max_swap_used_bytes;
	double share;

	if (m->sys.swap_total_bytes == 0)
		return DRAW_NORMAL;
	if (max > 0 && max != UINT64_MAX) {
		if (used > max)
			return DRAW_CRIT;
		return used > max / 4 * 3 ? DRAW_WARN : DRAW_OK;
	}
	share = (double)used / (double)m->sys.swap_total_bytes;
	return share > 0.9 ? DRAW_CRIT : share > 0.5 ? DRAW_WARN : DRAW_OK;
}

/* A bar across the pane with its percentage after it. */
static void pane_memory_bar(const struct draw *d, int y, int x, int w, double frac,
                            enum draw_attr level)
{
	char fill[PANE_MEMORY_BUF], empty[PANE_MEMORY_BUF];
	int bar_w = w - 6, used;

	if (bar_w < 4)
		return;
	bar_render(frac, bar_w, d->utf8, fill, sizeof fill, empty, sizeof empty);
	used = draw_glyphs(d, y, x, bar_w, level, fill);
	draw_glyphs(d, y, x + used, bar_w - used, DRAW_DIM, empty);
	draw_textf(d, y, x + bar_w + 1, 5, level, "%3.0f%%", frac * 100);
}

static void pane_memory_graph(const struct draw *d, const struct layout_rect *r, int y, int rows,
                              const uint64_t *ring, uint64_t max, const struct model *m,
                              enum draw_attr level)
{
	char line[PANE_MEMORY_BUF];

	for (int row = 0; row < rows && y + row < r->y + r->h; row++) {
		spark_render(ring, m->history_len,
		             spark_oldest(m->history_head, m->history_len, MODEL_HISTORY),
		             MODEL_HISTORY, max, r->w, row, rows, d->utf8, line, sizeof line);
		draw_glyphs(d, y + row, r->x, r->w, level, line);
	}
}

/* "last 4m": the time the graph's width covers. */
static void pane_memory_span(const struct model *m, int width, char *buf, size_t len)
{
	char dur[32];
	int n = m->history_len < width ? m->history_len : width;

	units_format_elapsed((uint64_t)n * m->interval_ms, dur, sizeof dur);
	snprintf(buf, len, "last %s", dur);
}

void pane_memory_draw(const struct draw *d, const struct layout_rect *r, int graph_rows,
                      const struct model *m)
{
	const struct sys_sample *s = &m->sys;
	char used_s[32], total_s[32], avail_s[32], min_s[32], span[48];
	uint64_t used = s->mem_total_bytes > s->mem_available_bytes
	                        ? s->mem_total_bytes - s->mem_available_bytes
	                        : 0;
	double frac = s->mem_total_bytes ? (double)used / (double)s->mem_total_bytes : 0;
	enum draw_attr level = pane_memory_level(m);
	int y = r->y + 1, x;

	if (r->h <= 0)
		return;
	pane_memory_span(m, r->w, span, sizeof span);
	draw_title(d, r, "Memory", DRAW_DIM, span);
	units_format_size(used, used_s, sizeof used_s);
	units_format_size(s->mem_total_bytes, total_s, sizeof total_s);
	units_format_size(s->mem_available_bytes, avail_s, sizeof avail_s);
	if (y < r->y + r->h)
		draw_textf(d, y++, r->x, r->w, DRAW_NORMAL, "used %s of %s", used_s, total_s);
	if (y < r->y + r->h)
		pane_memory_bar(d, y++, r->x, r->w, frac, level);
	if (y < r->y + r->h) {
		x = r->x;
		x += draw_textf(d, y, x, r->w, level, "avail %s", avail_s);
		/* The alert line only where PSI still fits after it. */
		if (m->pressure.min_available_bytes > 0 && r->w - (x - r->x) > 46)
			x += draw_textf(d, y, x, r->w - (x - r->x), DRAW_DIM, " (alert < %s)",
			                units_format_size(m->pressure.min_available_bytes, min_s,
			                                  sizeof min_s));
		if (s->psi_known)
			draw_textf(d, y, x, r->w - (x - r->x),
			           s->psi_some_avg10 > m->pressure.max_psi_some &&
			                           m->pressure.max_psi_some > 0
			                   ? DRAW_CRIT
			                   : DRAW_NORMAL,
			           "  PSI some %.1f%% full %.1f%%", s->psi_some_avg10,
			           s->psi_full_avg10);
		else
			draw_text(d, y, x, r->w - (x - r->x), DRAW_DIM, "  PSI n/a");
		y++;
	}
	pane_memory_graph(d, r, y, graph_rows, m->mem_used_history, s->mem_total_bytes, m, level);
}

void pane_memory_draw_swap(const struct draw *d, const struct layout_rect *r, int graph_rows,
                           const struct model *m)
{
	const struct sys_sample *s = &m->sys;
	char used_s[32], total_s[32], free_s[32], max_s[32], span[48];
	uint64_t used = s->swap_total_bytes > s->swap_free_bytes
	                        ? s->swap_total_bytes - s->swap_free_bytes
	                        : 0;
	enum draw_attr level = pane_memory_swap_level(m, used);
	int y = r->y + 1, x;

	if (r->h <= 0)
		return;
	draw_separator(d, r);
	pane_memory_span(m, r->w, span, sizeof span);
	draw_title(d, r, "Swap", DRAW_DIM, s->swap_total_bytes ? span : NULL);
	if (s->swap_total_bytes == 0) {
		if (y < r->y + r->h)
			draw_text(d, y, r->x, r->w, DRAW_DIM, "no swap");
		return;
	}
	units_format_size(used, used_s, sizeof used_s);
	units_format_size(s->swap_total_bytes, total_s, sizeof total_s);
	units_format_size(s->swap_free_bytes, free_s, sizeof free_s);
	if (y < r->y + r->h)
		draw_textf(d, y++, r->x, r->w, DRAW_NORMAL, "used %s of %s", used_s, total_s);
	if (y < r->y + r->h)
		pane_memory_bar(d, y++, r->x, r->w, (double)used / (double)s->swap_total_bytes,
		                level);
	if (y < r->y + r->h) {
		x = r->x;
		x += draw_textf(d, y, x, r->w, DRAW_NORMAL, "free %s", free_s);
		if (m->pressure.max_swap_used_bytes > 0 &&
		    m->pressure.max_swap_used_bytes != UINT64_MAX)
			draw_textf(d, y, x, r->w - (x - r->x), DRAW_DIM, "  (alert > %s)",
			           units_format_size(m->pressure.max_swap_used_bytes, max_s,
			                             sizeof max_s));
		y++;
	}
	pane_memory_graph(d, r, y, graph_rows, m->swap_used_history, s->swap_total_bytes, m, level);
}
