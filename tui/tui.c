/* The dashboard's public face: owns the screen, the view and the per-pair
 * process rows, and decides when a frame is worth drawing. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keys.h"
#include "layout.h"
#include "logview.h"
#include "panes.h"
#include "procrows.h"
#include "screen.h"
#include "summary.h"
#include "tui.h"
#include "view.h"

struct tui {
	struct screen *screen;
	struct draw draw;
	struct view view;
	struct procrows **rows; /* per pair index, NULL until needed */
	int n_rows;
	uint64_t drawn_signature; /* of the model as last drawn */
	bool dirty;               /* a key, resize or flash: draw anyway */
	struct logview *logview;  /* the `l` view's buffer, NULL until opened */
	char *summary;            /* printed once the terminal is back; NULL: none */
	size_t summary_len;
};

struct tui *tui_new(char *err, size_t errlen)
{
	struct tui *t = calloc(1, sizeof *t);

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->screen = screen_open(&t->draw, err, errlen);
	if (t->screen == NULL) {
		free(t);
		return NULL;
	}
	view_init(&t->view);
	t->dirty = true;
	return t;
}

void tui_free(struct tui *t)
{
	if (t == NULL)
		return;
	screen_close(t->screen);
	if (t->summary != NULL) {
		/* The terminal is back: the operator's answer stays on it. */
		fwrite(t->summary, 1, t->summary_len, stdout);
		fflush(stdout);
		free(t->summary);
	}
	logview_free(t->logview);
	for (int i = 0; i < t->n_rows; i++)
		procrows_free(t->rows[i]);
	free(t->rows);
	free(t);
}

void tui_emergency_restore(void)
{
	screen_emergency_restore();
}

int tui_input_fd(const struct tui *t)
{
	(void)t;
	return STDIN_FILENO;
}

/* The summary is composed while the model is still whole (the runner frees
 * it after the dashboard) and printed after the screen is restored. */
static void tui_compose_summary(struct tui *t, const struct model *m)
{
	FILE *out;

	free(t->summary);
	t->summary = NULL;
	t->summary_len = 0;
	out = open_memstream(&t->summary, &t->summary_len);
	if (out == NULL)
		return;
	summary_write(out, m, t->view.quit, t->draw.utf8);
	if (fclose(out) != 0) {
		free(t->summary);
		t->summary = NULL;
	}
}

enum tui_result tui_handle_input(struct tui *t, const struct model *m,
                                 const struct model_actions *actions)
{
	int ch;

	view_sync(&t->view, m);
	while ((ch = getch()) != ERR) {
		enum keys_result r;

		if (ch == KEY_RESIZE) {
			/* ncurses' own SIGWINCH handler ran (the signal was
			 * not blocked): it has resized already. */
			t->dirty = true;
			continue;
		}
		r = keys_handle(&t->view, ch, m, actions);
		if (r != KEYS_IGNORED)
			t->dirty = true;
		if (r == KEYS_REPAINT)
			screen_repaint(t->screen);
		if (r == KEYS_QUIT) {
			tui_compose_summary(t, m);
			return TUI_QUIT;
		}
	}
	return TUI_CONTINUE;
}

void tui_resize(struct tui *t)
{
	screen_resize(t->screen);
	t->dirty = true;
}

void tui_flash(struct tui *t, const char *msg, uint64_t now_ms)
{
	view_flash(&t->view, msg, now_ms);
	t->dirty = true;
}

/* Keeps one procrows per pair, fed with every tree in the model, so CPU%
 * is known as soon as a pair is selected. Out of memory only costs the
 * Processes pane its rows. */
static void tui_rows_update(struct tui *t, const struct model *m)
{
	if (m->n_pairs > t->n_rows) {
		struct procrows **grown = realloc(t->rows, (size_t)m->n_pairs * sizeof *grown);

		if (grown == NULL)
			return;
		for (int i = t->n_rows; i < m->n_pairs; i++)
			grown[i] = NULL;
		t->rows = grown;
		t->n_rows = m->n_pairs;
	}
	for (int i = 0; i < t->n_rows; i++) {
		const struct tree_sample *ts = NULL;

		if (i < m->n_pairs && m->trees != NULL)
			ts = m->trees[i];
		if (ts == NULL) {
			if (t->rows[i] != NULL)
				procrows_clear(t->rows[i]);
			continue;
		}
		if (t->rows[i] == NULL && (t->rows[i] = procrows_new()) == NULL)
			continue;
		procrows_update(t->rows[i], ts);
	}
}

static uint64_t tui_hash(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	/* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define TUI_HASH(h, v) tui_hash((h), &(v), sizeof(v))

/* What the screen shows of m, folded into one number: a frame is drawn
 * only when it changes (or the TUI itself is dirty). */
static uint64_t tui_signature(const struct model *m, const struct view *v)
{
	/* Times are shown to the second: a loop that wakes often (a chatty
	 * child's output) does not redraw more than once a second for them. */
	uint64_t h = 0xcbf29ce484222325ULL, second = m->wall_ms / 1000;
	uint64_t now_s = m->now_ms / 1000;

	h = TUI_HASH(h, now_s);
	h = TUI_HASH(h, second);
	h = TUI_HASH(h, m->running);
	h = TUI_HASH(h, m->reserved_bytes);
	h = TUI_HASH(h, m->n_running);
	h = TUI_HASH(h, m->run_over);
	h = TUI_HASH(h, m->n_pairs);
	h = TUI_HASH(h, m->alerts_head);
	h = TUI_HASH(h, m->alerts_len);
	h = TUI_HASH(h, m->history_head);
	h = TUI_HASH(h, m->history_len);
	h = TUI_HASH(h, m->sys.t_ms);
	h = TUI_HASH(h, m->sys.mem_available_bytes);
	h = TUI_HASH(h, m->sys.swap_free_bytes);
	for (int i = 0; i < MODEL_ALERTS; i++)
		h = TUI_HASH(h, m->alerts[i].acked);
	for (int i = 0; i < m->n_pairs; i++) {
		const struct model_pair *p = &m->pairs[i];
		uint64_t stalled_s = p->stalled_ms / 1000;

		h = TUI_HASH(h, p->state);
		h = TUI_HASH(h, p->paused);
		h = TUI_HASH(h, p->attempt);
		h = TUI_HASH(h, p->pid);
		h = TUI_HASH(h, p->progress_done);
		h = TUI_HASH(h, p->progress_total);
		h = TUI_HASH(h, p->ended_ms);
		h = TUI_HASH(h, p->rss_bytes);
		h = TUI_HASH(h, p->peak_rss_bytes);
		h = TUI_HASH(h, p->bloated);
		h = TUI_HASH(h, p->deadlocked);
		h = TUI_HASH(h, p->approaching);
		h = TUI_HASH(h, stalled_s);
		if (m->trees != NULL && m->trees[i] != NULL)
			h = TUI_HASH(h, m->trees[i]->t_ms);
	}
	h = TUI_HASH(h, v->selected);
	if (v->log_open) {
		uint64_t log = logview_signature(m, v);

		h = TUI_HASH(h, log);
	}
	return h;
}

/* The lines the Processes pane has to show for pair sel: the "next" line,
 * the heading and one per process. */
static int tui_procs_lines(const struct tui *t, const struct model *m, int sel)
{
	size_t n;
	/* Processes is full width when narrow, about 110 columns when wide */
	int width = COLS >= LAYOUT_WIDE_COLS && COLS * 3 / 5 > LAYOUT_PROCS_COLS ? LAYOUT_PROCS_COLS
	            : COLS >= LAYOUT_WIDE_COLS                                   ? COLS * 3 / 5
	                                                                         : COLS;

	if (sel < 0 || sel >= m->n_pairs)
		return 1;
	n = sel < t->n_rows && t->rows[sel] != NULL ? procrows_count(t->rows[sel]) : 0;
	return pane_procs_next_lines(&m->pairs[sel], m->now_ms, width) + 1 + (int)n;
}

void tui_render(struct tui *t, const struct model *m)
{
	struct layout l;
	struct view *v = &t->view;
	uint64_t sig;
	int sel;

	tui_rows_update(t, m);
	if (view_sync(v, m))
		t->dirty = true;
	if (view_flash_expire(v, m->now_ms))
		t->dirty = true;
	sig = tui_signature(m, v);
	if (!t->dirty && sig == t->drawn_signature)
		return;
	if (!screen_writable(t->screen))
		return; /* drawn at a later call, once it drains */
	t->dirty = false;
	t->drawn_signature = sig;

	/* erase, not clear: ncurses sends only the cells that differ. */
	werase(stdscr);
	sel = v->selected;
	layout_compute(LINES, COLS, m->n_pairs, tui_procs_lines(t, m, sel), &l);
	if (l.too_small)
		pane_frame_too_small(&t->draw, LINES, COLS, m);
	else {
		pane_frame_header(&t->draw, &l.header, m);
		pane_memory_draw(&t->draw, &l.memory, l.graph_rows, m);
		pane_memory_draw_swap(&t->draw, &l.swap, l.graph_rows, m);
		pane_pairs_draw(&t->draw, &l.pairs, m, v);
		pane_procs_draw(&t->draw, &l.procs, m, sel,
		                sel >= 0 && sel < t->n_rows ? t->rows[sel] : NULL);
		pane_alerts_draw(&t->draw, &l.alerts, m);
		pane_frame_footer(&t->draw, &l.footer, m, v);
		if (v->log_open && (t->logview != NULL || (t->logview = logview_new()) != NULL))
			logview_draw(t->logview, &t->draw, 1, LINES - 2, COLS, m, v);
	}
	dialog_draw(&t->draw, LINES, COLS, m, v);
	wnoutrefresh(stdscr);
	doupdate();
}
