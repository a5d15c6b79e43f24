/* The y/n dialogs and the help, drawn as a box over the middle of the
 * panes. What a dialog does with y or n is decided in keys.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "panes.h"

enum {
	DIALOG_MAX_LINES = 24,
	DIALOG_LINE = 160,
};

struct dialog_text {
	const char *title;
	char lines[DIALOG_MAX_LINES][DIALOG_LINE]; /* raw */
	int n;
	const char *keys[4][2]; /* key, meaning */
	int n_keys;
};

static void dialog_line(struct dialog_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void dialog_line(struct dialog_text *t, const char *fmt, ...)
{
	va_list ap;

	if (t->n >= DIALOG_MAX_LINES)
		return;
	va_start(ap, fmt);
	vsnprintf(t->lines[t->n++], DIALOG_LINE, fmt, ap);
	va_end(ap);
}

static void dialog_key(struct dialog_text *t, const char *key, const char *meaning)
{
	if (t->n_keys >= 4)
		return;
	t->keys[t->n_keys][0] = key;
	t->keys[t->n_keys][1] = meaning;
	t->n_keys++;
}

static void dialog_compose(const struct draw *d, const struct model *m, const struct view *v,
                           struct dialog_text *t)
{
	const struct model_pair *p = NULL;
	const char *name = "?";

	memset(t, 0, sizeof *t);
	if (v->dialog_pair >= 0 && v->dialog_pair < m->n_pairs) {
		p = &m->pairs[v->dialog_pair];
		if (p->name != NULL)
			name = p->name;
	}
	switch (v->dialog) {
	case VIEW_DIALOG_KILL:
		t->title = "Kill";
		if (p != NULL && p->pid > 0)
			dialog_line(t,
			            "Kill pair %s (PID %d) and its whole "
			            "process tree?",
			            name, (int)p->pid);
		else
			dialog_line(t, "Kill pair %s and its whole process tree?", name);
		dialog_key(t, "y", "kill");
		dialog_key(t, "n/Esc", "cancel");
		break;
	case VIEW_DIALOG_RESTART:
		t->title = "Restart";
		if (p != NULL && view_state_live(p->state))
			dialog_line(t, "Kill pair %s and run it again?", name);
		else
			dialog_line(t, "Run pair %s again?", name);
		dialog_key(t, "y", "restart");
		dialog_key(t, "n/Esc", "cancel");
		break;
	case VIEW_DIALOG_SKIP:
		t->title = "Skip";
		if (p != NULL && p->state == PAIR_RUNNING)
			dialog_line(t,
			            "Stop pair %s and go on with the next "
			            "pair?",
			            name);
		else
			dialog_line(t, "Skip pair %s?", name);
		dialog_key(t, "y", p != NULL && p->state == PAIR_RUNNING ? "stop" : "skip");
		dialog_key(t, "n/Esc", "cancel");
		break;
	case VIEW_DIALOG_QUIT_RUNNING:
		t->title = "Quit";
		dialog_line(t, "Pair %s is running.", name);
		dialog_line(t, "Stop it before quitting?");
		dialog_key(t, "y", "stop it and quit");
		dialog_key(t, "n", "leave it running unwatched");
		dialog_key(t, "Esc", "stay");
		break;
	case VIEW_DIALOG_QUIT_IDLE:
		t->title = "Quit";
		dialog_line(t, "Quit mergewatch? Pairs not run yet will not run.");
		dialog_key(t, "y", "quit");
		dialog_key(t, "n/Esc", "stay");
		break;
	case VIEW_DIALOG_HELP:
		t->title = "Help";
		for (int i = 0; keys_help[i].key != NULL; i++)
			if (m->can_restart || !keys_help[i].run_only)
				dialog_line(t, "%-11s %s", keys_help[i].key, keys_help[i].meaning);
		dialog_line(t, "%s", "");
		for (int i = 0; keys_help_marks[i][0] != NULL; i++)
			if (keys_help_marks[i][1] != NULL)
				dialog_line(t, "%-11s %s", keys_help_marks[i][0],
				            keys_help_marks[i][1]);
			else
				dialog_line(t, "%-11s %s running pair   %s unacknowledged alert",
				            keys_help_marks[i][0], d->running, d->unacked);
		dialog_key(t, "any key", "close");
		break;
	case VIEW_DIALOG_NONE:
		break;
	}
}

/* A box frame: corners and edges in the locale's glyphs. */
static void dialog_frame(const struct draw *d, int y, int x, int h, int w)
{
	const char *tl = d->utf8 ? "\xe2\x94\x8c" : "+"; /* U+250C */
	const char *tr = d->utf8 ? "\xe2\x94\x90" : "+"; /* U+2510 */
	const char *bl = d->utf8 ? "\xe2\x94\x94" : "+"; /* U+2514 */
	const char *br = d->utf8 ? "\xe2\x94\x98" : "+"; /* U+2518 */

	for (int row = y; row < y + h; row++)
		draw_blank(d, row, x, w, DRAW_NORMAL);
	draw_glyphs(d, y, x, 1, DRAW_TITLE, tl);
	draw_glyphs(d, y, x + w - 1, 1, DRAW_TITLE, tr);
	draw_glyphs(d, y + h - 1, x, 1, DRAW_TITLE, bl);
	draw_glyphs(d, y + h - 1, x + w - 1, 1, DRAW_TITLE, br);
	for (int col = x + 1; col < x + w - 1; col++) {
		draw_glyphs(d, y, col, 1, DRAW_TITLE, d->hline);
		draw_glyphs(d, y + h - 1, col, 1, DRAW_TITLE, d->hline);
	}
	for (int row = y + 1; row < y + h - 1; row++) {
		draw_glyphs(d, row, x, 1, DRAW_TITLE, d->vline);
		draw_glyphs(d, row, x + w - 1, 1, DRAW_TITLE, d->vline);
	}
}

void dialog_draw(const struct draw *d, int rows, int cols, const struct model *m,
                 const struct view *v)
{
	struct dialog_text t;
	int w = 0, h, y, x, keys_w = 0;

	if (v->dialog == VIEW_DIALOG_NONE)
		return;
	dialog_compose(d, m, v, &t);
	for (int i = 0; i < t.n; i++)
		if ((int)strlen(t.lines[i]) > w)
			w = (int)strlen(t.lines[i]);
	/* "key meaning" entries three blanks apart, as drawn below. */
	for (int i = 0; i < t.n_keys; i++)
		keys_w += (int)(strlen(t.keys[i][0]) + 1 + strlen(t.keys[i][1])) + (i > 0 ? 3 : 0);
	if (keys_w > w)
		w = keys_w;
	w += 4; /* frame and a space each side */
	if (w > cols)
		w = cols;
	h = t.n + 4; /* frame, text, blank, keys */
	if (h > rows)
		h = rows;
	if (w < 8 || h < 3)
		return;
	y = (rows - h) / 2;
	x = (cols - w) / 2;
	dialog_frame(d, y, x, h, w);
	draw_textf(d, y, x + 2, w - 4, DRAW_TITLE, " %s ", t.title);
	for (int i = 0; i < t.n && y + 1 + i < y + h - 1; i++)
		draw_text(d, y + 1 + i, x + 2, w - 4, DRAW_NORMAL, t.lines[i]);
	if (h >= 4) {
		int kx = x + 2, ky = y + h - 2, end = x + w - 2;

		for (int i = 0; i < t.n_keys; i++) {
			kx += draw_text(d, ky, kx, end - kx, DRAW_KEY, t.keys[i][0]);
			kx += draw_text(d, ky, kx, end - kx, DRAW_NORMAL, " ");
			kx += draw_text(d, ky, kx, end - kx, DRAW_NORMAL, t.keys[i][1]);
			kx += draw_text(d, ky, kx, end - kx, DRAW_NORMAL, "   ");
		}
	}
}
