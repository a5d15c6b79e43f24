/* One row per pair. The running pair is marked and bold; ended pairs say
 * how they ended (exit code or signal) and why (the runner's reason). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "../lib/units.h"
#include "bar.h"
#include "panes.h"
#include "whatnext.h"

enum {
	PANE_PAIRS_STATE_W = 10, /* "running #2" */
	PANE_PAIRS_ELAPSED_W = 7,
	PANE_PAIRS_SIZE_W = 10, /* "~567.2 MiB" */
	PANE_PAIRS_RATIO_W = 6,
	PANE_PAIRS_WIDE = 120,  /* from here a "next / ended" column */
	PANE_PAIRS_WIDER = 180, /* from here wider names and bars */
	PANE_PAIRS_BUF = 512,
};

struct pane_pairs_cols {
	int mark, name, state, progress, elapsed, rss, peak, ratio, ended;
	int name_w, progress_w, ended_w;
};

static void pane_pairs_columns(const struct model *m, int w, struct pane_pairs_cols *c)
{
	int longest = 4, fixed;

	for (int i = 0; i < m->n_pairs; i++) {
		int len = m->pairs[i].name ? (int)strlen(m->pairs[i].name) : 1;

		if (len > longest)
			longest = len;
	}
	/* mark(2) + state, elapsed, rss, peak, ratio with a space each. */
	fixed = 2 + PANE_PAIRS_STATE_W + 1 + PANE_PAIRS_ELAPSED_W + 1 +
	        2 * (PANE_PAIRS_SIZE_W + 1) + PANE_PAIRS_RATIO_W + 2;
	if (w >= PANE_PAIRS_WIDE) {
		int most = w >= PANE_PAIRS_WIDER ? 32 : 24;

		c->name_w = longest < most ? longest : most;
		c->progress_w = w >= PANE_PAIRS_WIDER ? 40 : 32;
		c->ended_w = w - fixed - c->name_w - c->progress_w - 1;
	} else {
		c->name_w = longest < 12 ? longest : 12;
		c->progress_w = w - fixed - c->name_w;
		c->ended_w = 0;
	}
	c->mark = 0;
	c->name = 2;
	c->state = c->name + c->name_w + 1;
	c->progress = c->state + PANE_PAIRS_STATE_W + 1;
	c->elapsed = c->progress + c->progress_w + 1;
	c->rss = c->elapsed + PANE_PAIRS_ELAPSED_W + 1;
	c->peak = c->rss + PANE_PAIRS_SIZE_W + 1;
	c->ratio = c->peak + PANE_PAIRS_SIZE_W + 1;
	c->ended = c->ratio + PANE_PAIRS_RATIO_W + 1;
}

/* How an ended pair ended: "SIGKILL, rss", "exit 1", "resumed". */
static void pane_pairs_ending(const struct model_pair *p, char *buf, size_t len)
{
	char how[48] = "";

	if (p->resumed) {
		snprintf(buf, len, "done in an earlier run");
		return;
	}
	if (p->status_unknown) {
		snprintf(buf, len, "exit status unknown (not started by mergewatch)");
		return;
	}
	if (p->signal > 0) {
		const char *abbrev = sigabbrev_np(p->signal);

		if (abbrev != NULL)
			snprintf(how, sizeof how, "SIG%s", abbrev);
		else
			snprintf(how, sizeof how, "signal %d", p->signal);
	} else if (p->exit_code >= 0)
		snprintf(how, sizeof how, "exit %d", p->exit_code);
	if (how[0] != '\0' && view_reason_shown(p->reason)[0] != '\0')
		snprintf(buf, len, "%s, %s", how, p->reason);
	else
		snprintf(buf, len, "%s", how[0] != '\0' ? how : p->reason);
}

static enum draw_attr pane_pairs_state_attr(const struct model_pair *p)
{
	if (p->deadlocked)
		return DRAW_CRIT;
	if (p->status_unknown)
		return DRAW_NORMAL; /* not green: it may have been killed */
	switch (p->state) {
	case PAIR_RUNNING:
		return p->paused ? DRAW_WARN : DRAW_RUNNING;
	case PAIR_STOPPING:
	case PAIR_GATE:
	case PAIR_VERIFYING:
		return DRAW_WARN;
	case PAIR_DONE:
		return DRAW_OK;
	case PAIR_FAILED:
	case PAIR_KILLED:
		return DRAW_CRIT;
	case PAIR_PENDING:
	case PAIR_SKIPPED:
		return DRAW_DIM;
	}
	return DRAW_NORMAL;
}

static void pane_pairs_progress(const struct draw *d, int y, int x, int w,
                                const struct model_pair *p, enum draw_attr a, bool selected)
{
	char text[64], fill[PANE_PAIRS_BUF], empty[PANE_PAIRS_BUF];
	int bar_w, used;
	double frac;

	if (p->progress_total == 0) {
		draw_text(d, y, x, w, selected ? DRAW_SELECTED : DRAW_DIM,
		          view_state_live(p->state) ? "no progress yet" : "-");
		return;
	}
	frac = (double)p->progress_done / (double)p->progress_total;
	snprintf(text, sizeof text, "%llu/%llu %3.0f%%", (unsigned long long)p->progress_done,
	         (unsigned long long)p->progress_total, frac > 1 ? 100.0 : frac * 100);
	bar_w = w - (int)strlen(text) - 1;
	if (bar_w >= 3) {
		/* The bar keeps its own colours on the selected row too: in
		 * reverse video a full bar of blocks would read as empty. */
		bar_render(frac, bar_w, d->utf8, fill, sizeof fill, empty, sizeof empty);
		used = draw_glyphs(d, y, x, bar_w, a == DRAW_NORMAL ? DRAW_OK : a, fill);
		draw_glyphs(d, y, x + used, bar_w - used, DRAW_DIM, empty);
		x += bar_w + 1;
		w -= bar_w + 1;
	}
	draw_text(d, y, x, w, selected ? DRAW_SELECTED : DRAW_NORMAL, text);
}

static void pane_pairs_row(const struct draw *d, const struct layout_rect *r, int y,
                           const struct model *m, int i, const struct pane_pairs_cols *c,
                           bool selected)
{
	const struct model_pair *p = &m->pairs[i];
	char buf[PANE_PAIRS_BUF], ending[128];
	/* with several pairs at once, every running pair is marked */
	bool running = i == m->running || (m->budget_bytes > 0 &&
	                                   (p->state == PAIR_RUNNING || p->state == PAIR_STOPPING ||
	                                    p->state == PAIR_VERIFYING));
	bool ended = view_state_ended(p->state);
	enum draw_attr state_a = pane_pairs_state_attr(p), a;
	uint64_t elapsed_ms = 0;
	int x = r->x;

#define SEL(attr) (selected ? DRAW_SELECTED : (attr))
	if (selected)
		draw_blank(d, y, x, r->w, DRAW_SELECTED);
	if (running)
		draw_glyphs(d, y, x + c->mark, 1, SEL(DRAW_RUNNING), d->running);
	draw_text(d, y, x + c->name, c->name_w, SEL(running ? DRAW_RUNNING : DRAW_NORMAL),
	          p->name != NULL ? p->name : "?");

	if (p->deadlocked)
		snprintf(buf, sizeof buf, "deadlock");
	else if (p->status_unknown)
		snprintf(buf, sizeof buf, "exited");
	else if (p->paused)
		snprintf(buf, sizeof buf, "paused");
	else if (p->attempt > 1 && !ended)
		snprintf(buf, sizeof buf, "%s #%d", pair_state_name(p->state), p->attempt);
	else
		snprintf(buf, sizeof buf, "%s", pair_state_name(p->state));
	draw_text(d, y, x + c->state, PANE_PAIRS_STATE_W, SEL(state_a), buf);

	pane_pairs_ending(p, ending, sizeof ending);
	if (ended && (p->state != PAIR_DONE || p->status_unknown) && c->ended_w <= 0)
		/* Narrow: why it ended matters more than how far it got. */
		draw_text(d, y, x + c->progress, c->progress_w, SEL(state_a), ending);
	else
		pane_pairs_progress(d, y, x + c->progress, c->progress_w, p,
		                    state_a == DRAW_DIM ? DRAW_NORMAL : state_a, selected);

	if (p->started_ms != 0) {
		if (p->ended_ms != 0 && p->ended_ms >= p->started_ms)
			elapsed_ms = p->ended_ms - p->started_ms;
		else if (p->ended_ms == 0 && m->now_ms >= p->started_ms)
			elapsed_ms = m->now_ms - p->started_ms;
		units_format_elapsed(elapsed_ms, buf, sizeof buf);
		draw_textf(d, y, x + c->elapsed, PANE_PAIRS_ELAPSED_W, SEL(DRAW_NORMAL), "%*s",
		           PANE_PAIRS_ELAPSED_W, buf);
	}

	if (view_state_live(p->state) || p->rss_bytes > 0) {
		a = DRAW_NORMAL;
		if (p->kill_rss_bytes > 0 && p->rss_bytes > p->kill_rss_bytes)
			a = DRAW_CRIT;
		else if (p->approaching)
			a = DRAW_WARN;
		units_format_size(p->rss_bytes, buf, sizeof buf);
		draw_textf(d, y, x + c->rss, PANE_PAIRS_SIZE_W, SEL(a), "%*s", PANE_PAIRS_SIZE_W,
		           buf);
	}
	if (p->peak_rss_bytes > 0) {
		units_format_size(p->peak_rss_bytes, buf, sizeof buf);
		draw_textf(d, y, x + c->peak, PANE_PAIRS_SIZE_W, SEL(DRAW_NORMAL), "%*s",
		           PANE_PAIRS_SIZE_W, buf);
	} else if (p->predicted_peak_bytes > 0 && !ended) {
		/* Not run yet: the predicted peak, marked with "~". */
		a = p->kill_rss_bytes > 0 && p->predicted_peak_bytes > p->kill_rss_bytes ? DRAW_WARN
		                                                                         : DRAW_DIM;
		units_format_size(p->predicted_peak_bytes, buf + 1, sizeof buf - 1);
		buf[0] = '~';
		if (strlen(buf) > PANE_PAIRS_SIZE_W) {
			/* "~1023.9 MiB": the blank goes, never the unit */
			char *blank = strchr(buf, ' ');

			if (blank != NULL)
				memmove(blank, blank + 1, strlen(blank));
		}
		draw_textf(d, y, x + c->peak, PANE_PAIRS_SIZE_W, SEL(a), "%*s", PANE_PAIRS_SIZE_W,
		           buf);
	}
	if (p->input_bytes > 0 && (p->ratio > 0 || view_state_live(p->state))) {
		snprintf(buf, sizeof buf, "%.1fx", p->ratio);
		draw_textf(d, y, x + c->ratio, PANE_PAIRS_RATIO_W,
		           SEL(p->bloated ? DRAW_CRIT : DRAW_NORMAL), "%*s", PANE_PAIRS_RATIO_W,
		           buf);
	}
	if (c->ended_w > 0 && ended)
		draw_text(d, y, x + c->ended, c->ended_w, SEL(state_a), ending);
	else if (c->ended_w > 0 && whatnext_describe(p, m->now_ms, "; ", buf, sizeof buf) > 0)
		draw_text(d, y, x + c->ended, c->ended_w, SEL(DRAW_NORMAL), buf);
#undef SEL
}

void pane_pairs_draw(const struct draw *d, const struct layout_rect *r, const struct model *m,
                     struct view *v)
{
	struct pane_pairs_cols c;
	char extra[160];
	int counts[PAIR_SKIPPED + 1] = { 0 };
	int y = r->y + 1, rows, heading;
	size_t o = 0;

	if (r->h <= 0)
		return;
	for (int i = 0; i < m->n_pairs; i++)
		if ((int)m->pairs[i].state >= 0 && m->pairs[i].state <= PAIR_SKIPPED)
			counts[m->pairs[i].state]++;
	extra[0] = '\0';
	for (int s = 0; s <= PAIR_SKIPPED && o < sizeof extra; s++)
		if (counts[s] > 0)
			o += (size_t)snprintf(extra + o, sizeof extra - o, "%s%d %s", o ? ", " : "",
			                      counts[s], pair_state_name(s));
	/* A heading row when every pair still fits beside it, or at least
	 * two do. */
	heading = r->h >= 3 && (r->h - 2 >= m->n_pairs || r->h >= 4);
	rows = r->h - 1 - heading;
	view_scroll(v, m->n_pairs, rows);
	if (m->n_pairs > rows && o < sizeof extra)
		snprintf(extra + o, sizeof extra - o, "  [%d-%d of %d]", v->pairs_top + 1,
		         v->pairs_top + rows < m->n_pairs ? v->pairs_top + rows : m->n_pairs,
		         m->n_pairs);
	draw_title(d, r, "Pairs", DRAW_NORMAL, extra);
	if (m->n_pairs == 0) {
		if (r->h > 1)
			draw_text(d, y, r->x, r->w, DRAW_DIM, "no pairs");
		return;
	}
	pane_pairs_columns(m, r->w, &c);
	if (heading) {
		draw_text(d, y, r->x + c.name, c.name_w, DRAW_HEADING, "PAIR");
		draw_text(d, y, r->x + c.state, PANE_PAIRS_STATE_W, DRAW_HEADING, "STATE");
		draw_text(d, y, r->x + c.progress, c.progress_w, DRAW_HEADING, "PROGRESS");
		draw_textf(d, y, r->x + c.elapsed, PANE_PAIRS_ELAPSED_W, DRAW_HEADING, "%*s",
		           PANE_PAIRS_ELAPSED_W, "TIME");
		draw_textf(d, y, r->x + c.rss, PANE_PAIRS_SIZE_W, DRAW_HEADING, "%*s",
		           PANE_PAIRS_SIZE_W, "RSS");
		draw_textf(d, y, r->x + c.peak, PANE_PAIRS_SIZE_W, DRAW_HEADING, "%*s",
		           PANE_PAIRS_SIZE_W, "PEAK");
		draw_textf(d, y, r->x + c.ratio, PANE_PAIRS_RATIO_W, DRAW_HEADING, "%*s",
		           PANE_PAIRS_RATIO_W, "RATIO");
		if (c.ended_w > 0)
			draw_text(d, y, r->x + c.ended, c.ended_w, DRAW_HEADING, "NEXT / ENDED");
		y++;
	}
	for (int i = v->pairs_top; i < m->n_pairs && y < r->y + r->h; i++, y++)
		pane_pairs_row(d, r, y, m, i, &c, i == v->selected);
}
