/* The selected pair's process tree. A deadlock shows at a glance: the
 * title counts futex-waiting threads of all threads and the time without
 * progress, and a process with every thread in a futex wait is red. */
#include <stdio.h>
#include <string.h>

#include "../lib/units.h"
#include "panes.h"
#include "whatnext.h"

enum {
	PANE_PROCS_PID_W = 7,
	PANE_PROCS_NAME_W = 18, /* with the tree indentation */
	PANE_PROCS_THR_W = 4,
	PANE_PROCS_FUTEX_W = 5,
	PANE_PROCS_STATE_W = 1,
	PANE_PROCS_RSS_W = 9,
	PANE_PROCS_CPU_W = 6,
	PANE_PROCS_MAX_INDENT = 5,
	PANE_PROCS_NEXT = 320,
	PANE_PROCS_NEXT_LINES = 2, /* at 80 columns a stall, the kill line and timeout */
};

struct pane_procs_cols {
	int pid, name, thr, futex, state, rss, cpu, wchan, name_w, wchan_w;
};

static void pane_procs_columns(int w, struct pane_procs_cols *c)
{
	c->pid = 0;
	c->name = c->pid + PANE_PROCS_PID_W + 1;
	c->name_w = PANE_PROCS_NAME_W + (w >= 120 ? 8 : 0);
	c->thr = c->name + c->name_w + 1;
	c->futex = c->thr + PANE_PROCS_THR_W + 1;
	c->state = c->futex + PANE_PROCS_FUTEX_W + 1;
	c->rss = c->state + PANE_PROCS_STATE_W + 1;
	c->cpu = c->rss + PANE_PROCS_RSS_W + 1;
	c->wchan = c->cpu + PANE_PROCS_CPU_W + 1;
	c->wchan_w = w - c->wchan;
}

/* The title's summary of the tree, most telling first (the verdict, the
 * futex-waiting threads of all threads, the time without progress), and
 * the attribute that says how worrying it is. */
static enum draw_attr pane_procs_summary(const struct model *m, int pair,
                                         const struct procrows *rows, char *buf, size_t len)
{
	const struct model_pair *p = &m->pairs[pair];
	const struct tree_sample *ts = m->trees != NULL ? m->trees[pair] : NULL;
	char stalled[32];
	size_t o = 0;
	int all_futex_procs = 0;
	/* A few seconds without progress is normal for a job that waits. */
	bool stalled_long = p->stalled_ms >= 5000;
	enum draw_attr a = DRAW_NORMAL;

	for (size_t i = 0; rows != NULL && i < procrows_count(rows); i++)
		all_futex_procs += procrows_get(rows, i)->all_futex;
	if (p->deadlocked)
		a = DRAW_CRIT;
	else if (all_futex_procs > 0 && stalled_long)
		a = DRAW_WARN;
	buf[0] = '\0';
#define PUT(...)                                                                                   \
	do {                                                                                       \
		if (o < len)                                                                       \
			o += (size_t)snprintf(buf + o, len - o, __VA_ARGS__);                      \
	} while (0)
	if (a == DRAW_CRIT)
		PUT("DEADLOCK ");
	else if (a == DRAW_WARN)
		PUT("deadlock? ");
	PUT("%s", p->name ? p->name : "?");
	if (p->pid > 0)
		PUT(" pid %d", (int)p->pid);
	if (ts != NULL && ts->threads_scanned)
		PUT(": futex %d/%d threads", ts->futex_threads, ts->threads);
	else if (ts != NULL)
		PUT(": %d threads", ts->threads);
	if (stalled_long) {
		units_format_elapsed(p->stalled_ms, stalled, sizeof stalled);
		PUT(", no progress %s", stalled);
	}
	if (ts != NULL)
		PUT(", %zu procs",
		    rows != NULL && procrows_count(rows) > 0 ? procrows_count(rows) : ts->n_procs);
	if (rows != NULL && procrows_tree_cpu_percent(rows) >= 0)
		PUT(", CPU %.0f%%", procrows_tree_cpu_percent(rows));
#undef PUT
	return a;
}

static void pane_procs_row(const struct draw *d, int y, int x0, const struct pane_procs_cols *c,
                           const struct procrow *row)
{
	char buf[64];
	int indent = row->depth < PANE_PROCS_MAX_INDENT ? row->depth : PANE_PROCS_MAX_INDENT;
	enum draw_attr name_a = row->all_futex      ? DRAW_CRIT
	                        : row->state == 'R' ? DRAW_OK
	                                            : DRAW_NORMAL;

	draw_textf(d, y, x0 + c->pid, PANE_PROCS_PID_W, DRAW_NORMAL, "%*d", PANE_PROCS_PID_W,
	           (int)row->pid);
	if (indent > 0)
		draw_textf(d, y, x0 + c->name, c->name_w, DRAW_DIM, "%*s", 2 * indent, "");
	draw_text(d, y, x0 + c->name + 2 * indent, c->name_w - 2 * indent, name_a, row->comm);
	draw_textf(d, y, x0 + c->thr, PANE_PROCS_THR_W, DRAW_NORMAL, "%*d", PANE_PROCS_THR_W,
	           row->threads);
	if (row->threads_known)
		draw_textf(d, y, x0 + c->futex, PANE_PROCS_FUTEX_W,
		           row->all_futex       ? DRAW_CRIT
		           : row->futex_threads ? DRAW_WARN
		                                : DRAW_NORMAL,
		           "%*d", PANE_PROCS_FUTEX_W, row->futex_threads);
	else
		draw_textf(d, y, x0 + c->futex, PANE_PROCS_FUTEX_W, DRAW_DIM, "%*s",
		           PANE_PROCS_FUTEX_W, "-");
	buf[0] = row->state >= 0x20 && row->state < 0x7f ? row->state : '?';
	buf[1] = '\0';
	draw_text(d, y, x0 + c->state, 1, row->state == 'D' ? DRAW_WARN : DRAW_NORMAL, buf);
	units_format_size(row->rss_bytes, buf, sizeof buf);
	draw_textf(d, y, x0 + c->rss, PANE_PROCS_RSS_W, DRAW_NORMAL, "%*s", PANE_PROCS_RSS_W, buf);
	if (row->cpu_percent >= 0)
		draw_textf(d, y, x0 + c->cpu, PANE_PROCS_CPU_W, DRAW_NORMAL, "%*.1f",
		           PANE_PROCS_CPU_W, row->cpu_percent);
	else
		draw_textf(d, y, x0 + c->cpu, PANE_PROCS_CPU_W, DRAW_DIM, "%*s", PANE_PROCS_CPU_W,
		           "-");
	if (c->wchan_w > 0)
		draw_text(d, y, x0 + c->wchan, c->wchan_w, row->all_futex ? DRAW_CRIT : DRAW_NORMAL,
		          row->threads_known ? (row->wchan[0] ? row->wchan : "-") : "");
}

/* "next: 312.0 MiB to kill line 1.0 GiB; timeout in 4m52s; ETA 41s" for a
 * live pair, in words that need no colour. Returns the rows used. */
static int pane_procs_next(const struct draw *d, const struct layout_rect *r, int y,
                           const struct model_pair *p, uint64_t now_ms)
{
	char next[PANE_PROCS_NEXT];
	uint64_t timeout_left = whatnext_timeout_left_ms(p, now_ms);
	enum draw_attr a = DRAW_NORMAL;

	if (y >= r->y + r->h || whatnext_describe(p, now_ms, "; ", next, sizeof next) == 0)
		return 0;
	if (p->deadlocked || (p->kill_rss_bytes > 0 && p->rss_bytes >= p->kill_rss_bytes))
		a = DRAW_CRIT;
	else if (p->approaching || timeout_left < 60000 || p->stalled_ms >= WHATNEXT_STALL_SHOWN_MS)
		a = DRAW_WARN;
	{
		int starts[PANE_PROCS_NEXT_LINES], lens[PANE_PROCS_NEXT_LINES];
		int n = whatnext_wrap(next, "; ", r->w - 6, PANE_PROCS_NEXT_LINES, starts, lens);

		for (int i = 0; i < n && y + i < r->y + r->h; i++) {
			next[starts[i] + lens[i]] = '\0';
			if (i == 0)
				draw_text(d, y, r->x, 6, DRAW_HEADING, "next:");
			draw_text(d, y + i, r->x + 6, r->w - 6, a, next + starts[i]);
		}
		return n;
	}
}

int pane_procs_next_lines(const struct model_pair *p, uint64_t now_ms, int width)
{
	char next[PANE_PROCS_NEXT];
	int starts[PANE_PROCS_NEXT_LINES], lens[PANE_PROCS_NEXT_LINES];

	if (whatnext_describe(p, now_ms, "; ", next, sizeof next) == 0)
		return 0;
	return whatnext_wrap(next, "; ", width - 6, PANE_PROCS_NEXT_LINES, starts, lens);
}

void pane_procs_draw(const struct draw *d, const struct layout_rect *r, const struct model *m,
                     int pair, const struct procrows *rows)
{
	struct pane_procs_cols c;
	char summary[256];
	enum draw_attr a;
	int y = r->y + 1, shown, room;
	size_t n;

	if (r->h <= 0)
		return;
	draw_separator(d, r);
	if (pair < 0 || pair >= m->n_pairs) {
		draw_title(d, r, "Processes", DRAW_NORMAL, NULL);
		return;
	}
	a = pane_procs_summary(m, pair, rows, summary, sizeof summary);
	draw_title(d, r, "Processes", a, summary);
	y += pane_procs_next(d, r, y, &m->pairs[pair], m->now_ms);
	n = rows != NULL ? procrows_count(rows) : 0;
	if (n == 0) {
		const struct model_pair *p = &m->pairs[pair];

		if (y >= r->y + r->h)
			return;
		if (view_state_live(p->state))
			draw_text(d, y, r->x, r->w, DRAW_DIM,
			          "waiting for the first full sample of the tree");
		else
			draw_textf(d, y, r->x, r->w, DRAW_DIM, "no processes: %s is %s",
			           p->name ? p->name : "?", pair_state_name(p->state));
		return;
	}
	pane_procs_columns(r->w, &c);
	if (y < r->y + r->h) {
		draw_textf(d, y, r->x + c.pid, PANE_PROCS_PID_W, DRAW_HEADING, "%*s",
		           PANE_PROCS_PID_W, "PID");
		draw_text(d, y, r->x + c.name, c.name_w, DRAW_HEADING, "NAME");
		draw_textf(d, y, r->x + c.thr, PANE_PROCS_THR_W, DRAW_HEADING, "%*s",
		           PANE_PROCS_THR_W, "THR");
		draw_textf(d, y, r->x + c.futex, PANE_PROCS_FUTEX_W, DRAW_HEADING, "%*s",
		           PANE_PROCS_FUTEX_W, "FUTEX");
		draw_text(d, y, r->x + c.state, 1, DRAW_HEADING, "S");
		draw_textf(d, y, r->x + c.rss, PANE_PROCS_RSS_W, DRAW_HEADING, "%*s",
		           PANE_PROCS_RSS_W, "RSS");
		draw_textf(d, y, r->x + c.cpu, PANE_PROCS_CPU_W, DRAW_HEADING, "%*s",
		           PANE_PROCS_CPU_W, "CPU%");
		if (c.wchan_w > 0)
			draw_text(d, y, r->x + c.wchan, c.wchan_w, DRAW_HEADING, "WCHAN");
		y++;
	}
	room = r->y + r->h - y;
	/* When the tree does not fit, the last row says how many are left. */
	shown = (size_t)room >= n ? (int)n : room - 1;
	for (int i = 0; i < shown; i++, y++)
		pane_procs_row(d, y, r->x, &c, procrows_get(rows, (size_t)i));
	if ((size_t)shown < n && room > 0)
		draw_textf(d, y, r->x, r->w, DRAW_DIM, "%*s %zu more processes", PANE_PROCS_PID_W,
		           "+", n - (size_t)shown);
}
