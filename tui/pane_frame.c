/* The header and footer rows, and the fallback for tiny terminals. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../lib/units.h"
#include "panes.h"

/* "HH:MM:SS" of a realtime ms in local time. */
static void pane_frame_clock(uint64_t wall_ms, char *buf, size_t len)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;

	if (wall_ms == 0 || localtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "--:--:--");
		return;
	}
	strftime(buf, len, "%H:%M:%S", &tm);
}

void pane_frame_header(const struct draw *d, const struct layout_rect *r, const struct model *m)
{
	char clock[16], interval[32], text[256];
	int done = 0, x, end = r->x + r->w, clock_w;

	for (int i = 0; i < m->n_pairs; i++)
		done += view_state_ended(m->pairs[i].state);
	pane_frame_clock(m->wall_ms, clock, sizeof clock);
	units_format_duration(m->interval_ms, interval, sizeof interval);

	draw_blank(d, r->y, r->x, r->w, DRAW_HEADER);
	clock_w = (int)strlen(clock) + 2;
	x = r->x + 1;
	x += draw_text(d, r->y, x, end - x - clock_w, DRAW_HEADER, "mergewatch@");
	x += draw_text(d, r->y, x, end - x - clock_w, DRAW_HEADER,
	               m->host[0] != '\0' ? m->host : "?");
	if (m->limit_mechanism != NULL && strcmp(m->limit_mechanism, "none") == 0 &&
	    m->limit_note != NULL && r->w >= 100)
		snprintf(text, sizeof text, "  limit none (%s)", m->limit_note);
	else
		snprintf(text, sizeof text, "  limit %s",
		         m->limit_mechanism != NULL ? m->limit_mechanism : "?");
	x += draw_text(d, r->y, x, end - x - clock_w, DRAW_HEADER, text);
	if (m->budget_bytes > 0) {
		/* Several pairs at once: what the running ones are counted for
		 * against memory_budget. */
		char reserved[32], budget[32];

		snprintf(text, sizeof text, "  %d running, %s of %s budget", m->n_running,
		         units_format_size(m->reserved_bytes, reserved, sizeof reserved),
		         units_format_size(m->budget_bytes, budget, sizeof budget));
		x += draw_text(d, r->y, x, end - x - clock_w, DRAW_HEADER, text);
	}
	snprintf(text, sizeof text, "  every %s  %d/%d pairs ended%s", interval, done, m->n_pairs,
	         m->run_over ? "  RUN OVER" : "");
	draw_text(d, r->y, x, end - x - clock_w, DRAW_HEADER, text);
	draw_text(d, r->y, end - clock_w + 1, clock_w - 1, DRAW_HEADER, clock);
}

/* The key hints: key in DRAW_KEY, meaning after it. */
static const char *const pane_frame_hints[][2] = {
	{ "\xe2\x86\x91\xe2\x86\x93", "select" }, /* arrows, UTF-8 only */
	{ "k", "kill" },
	{ "r", "restart" },
	{ "s", "skip" },
	{ "p", "pause" },
	{ "a", "ack" },
	{ "l", "log" },
	{ "?", "help" },
	{ "q", "quit" },
};

static bool pane_frame_run_only(const char *key)
{
	return strcmp(key, "r") == 0 || strcmp(key, "s") == 0;
}

void pane_frame_footer(const struct draw *d, const struct layout_rect *r, const struct model *m,
                       const struct view *v)
{
	int x = r->x, end = r->x + r->w, need = 0;
	size_t first = 0, n_hints = sizeof pane_frame_hints / sizeof pane_frame_hints[0];
	const char *mode;

	if (v->flash[0] != '\0') {
		draw_text(d, r->y, x, end - x, DRAW_WARN, v->flash);
		return;
	}
	if (m->run_over) {
		x += draw_text(d, r->y, x, end - x, DRAW_RUNNING, "Run over: ");
		/* The runner's outcome may say "run over:" itself. */
		x += draw_text(d, r->y, x, end - x - 12, DRAW_NORMAL,
		               m->outcome[0] != '\0' ? m->outcome : "all pairs ended");
		x += draw_text(d, r->y, x, end - x, DRAW_NORMAL, "   ");
		x += draw_text(d, r->y, x, end - x, DRAW_KEY, "q");
		draw_text(d, r->y, x, end - x, DRAW_NORMAL, " quit");
		return;
	}
	mode = v->follow ? "[follow]" : "[f follow]";
	/* The arrows' hint goes first when the row is short (ASCII's "Up/Dn"
	 * is wider than the arrows). */
	for (size_t i = 0; i < n_hints; i++)
		if (m->can_restart || !pane_frame_run_only(pane_frame_hints[i][0]))
			need += (int)strlen(pane_frame_hints[i][1]) + 3 +
			        (i == 0 ? (d->utf8 ? 2 : 5) : 1);
	if (need + (int)strlen(mode) > r->w)
		first = 1;
	for (size_t i = first; i < n_hints; i++) {
		const char *key = pane_frame_hints[i][0];

		if (!m->can_restart && pane_frame_run_only(key))
			continue; /* restart and skip: not under watch */
		if (i == 0 && !d->utf8)
			key = "Up/Dn";
		x += draw_text(d, r->y, x, end - x, DRAW_KEY, key);
		x += draw_text(d, r->y, x, end - x, DRAW_NORMAL, " ");
		x += draw_text(d, r->y, x, end - x, DRAW_NORMAL, pane_frame_hints[i][1]);
		x += draw_text(d, r->y, x, end - x, DRAW_NORMAL, "  ");
	}
	if (end - x >= (int)strlen(mode))
		draw_text(d, r->y, end - (int)strlen(mode), (int)strlen(mode),
		          v->follow ? DRAW_OK : DRAW_WARN, mode);
}

void pane_frame_too_small(const struct draw *d, int rows, int cols, const struct model *m)
{
	char a[32], b[32];
	int y = 0;

	if (rows <= 0 || cols <= 0)
		return;
	draw_textf(d, y++, 0, cols, DRAW_WARN,
	           "%dx%d: too small, "
	           "mergewatch needs 80x24",
	           cols, rows);
	if (y < rows)
		draw_textf(d, y++, 0, cols, DRAW_NORMAL, "Memory avail %s of %s",
		           units_format_size(m->sys.mem_available_bytes, a, sizeof a),
		           units_format_size(m->sys.mem_total_bytes, b, sizeof b));
	if (y < rows && m->running >= 0 && m->running < m->n_pairs) {
		const struct model_pair *p = &m->pairs[m->running];

		draw_textf(d, y++, 0, cols, DRAW_RUNNING, "Pairs: %s %s RSS %s",
		           p->name != NULL ? p->name : "?", pair_state_name(p->state),
		           units_format_size(p->rss_bytes, a, sizeof a));
	}
	if (y < rows && m->run_over)
		draw_textf(d, y++, 0, cols, DRAW_NORMAL, "Run over: %s", m->outcome);
	if (rows > y)
		draw_text(d, rows - 1, 0, cols, DRAW_KEY, "q quit");
}
