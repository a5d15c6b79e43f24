/* The key table of SPEC "Dashboard". Kill, restart, skip and quit open a
 * y/n dialog; the action runs only on y. Obvious refusals (kill a pending
 * pair, anything once the run is over) are told in the footer without
 * bothering the runner; everything else is the runner's decision, and its
 * -errno is shown. */
#include <curses.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "keys.h"

enum {
	KEYS_ESC = 27,
	KEYS_CTRL_L = 12,
};

typedef enum keys_result (*keys_fn)(struct view *, const struct model *,
                                    const struct model_actions *);

/* Keys marked run_only do nothing under watch (the processes are not
 * mergewatch's to restart or skip) and are neither listed nor hinted there. */
const struct keys_help_entry keys_help[] = {
	{ "Up/Down", "select a pair (PgUp PgDn Home End: by page, to the ends)", false },
	{ "f", "follow the running pair again", false },
	{ "k F9", "kill the selected pair's tree (asks y/n)", false },
	{ "r", "restart the selected pair (asks y/n)", true },
	{ "s", "skip a pending pair / stop the running one and go on (y/n)", true },
	{ "p", "pause / resume the selected running pair", false },
	{ "a", "acknowledge the latest alert", false },
	{ "l", "the selected pair's output log (follows; Up/Down scroll)", false },
	{ "Ctrl-L", "repaint the screen", false },
	{ "? F1  q F10", "this help; quit (asks about a running pair)", false },
	{ NULL, NULL, false },
};

const char *const keys_help_marks[][2] = {
	{ "PROGRESS", "done/total from the job's PROGRESS lines, with a bar" },
	{ "TIME", "run time; RSS now; PEAK highest (~ predicted, not run yet)" },
	{ "RATIO", "RSS / input size: bloat above bloat_ratio" },
	{ "next:", "kill line headroom, timeout countdown, ETA, deadlock verdict" },
	{ "FUTEX", "threads sleeping on a lock (futex); all of them: red" },
	{ "S WCHAN", "process state (R run, S sleep, D disk, T stopped); wait" },
	{ "deadlock?", "stalled with futex waits: verdict after deadlock_window" },
	{ "marks", NULL }, /* drawn with the locale's glyphs by the help dialog */
	{ "colours", "green fine, yellow near a limit, red past it or killed" },
	{ NULL, NULL },
};

static const char *keys_pair_name(const struct model *m, int i)
{
	if (i < 0 || i >= m->n_pairs || m->pairs[i].name == NULL)
		return "pair";
	return m->pairs[i].name;
}

/* Calls the runner and tells the operator how it went. */
static int keys_act(struct view *v, const struct model *m, const struct model_actions *a,
                    enum model_action action, int pair, const char *what)
{
	char msg[VIEW_FLASH_LEN];
	int rc = -ENOSYS;

	if (a != NULL && a->act != NULL)
		rc = a->act(a->ctx, action, pair);
	if (pair >= 0)
		snprintf(msg, sizeof msg, "%s %s: %s", what, keys_pair_name(m, pair),
		         rc == 0 ? "ok" : strerror(-rc));
	else
		snprintf(msg, sizeof msg, "%s: %s", what, rc == 0 ? "ok" : strerror(-rc));
	view_flash(v, msg, m->now_ms);
	return rc;
}

/* The selected pair, or -1 with a flash saying why there is none. */
static int keys_target(struct view *v, const struct model *m)
{
	if (m->run_over) {
		view_flash(v, "the run is over: q quits", m->now_ms);
		return -1;
	}
	if (v->selected < 0 || v->selected >= m->n_pairs) {
		view_flash(v, "no pair selected", m->now_ms);
		return -1;
	}
	return v->selected;
}

static void keys_refuse(struct view *v, const struct model *m, int pair, const char *why)
{
	char msg[VIEW_FLASH_LEN];

	snprintf(msg, sizeof msg, "%s is %s: %s", keys_pair_name(m, pair),
	         pair_state_name(m->pairs[pair].state), why);
	view_flash(v, msg, m->now_ms);
}

static enum keys_result keys_open(struct view *v, enum view_dialog dialog, int pair)
{
	v->dialog = dialog;
	v->dialog_pair = pair;
	return KEYS_REDRAW;
}

static enum keys_result keys_up(struct view *v, const struct model *m,
                                const struct model_actions *a)
{
	(void)a;
	view_move(v, m, -1);
	return KEYS_REDRAW;
}

static enum keys_result keys_down(struct view *v, const struct model *m,
                                  const struct model_actions *a)
{
	(void)a;
	view_move(v, m, 1);
	return KEYS_REDRAW;
}

static enum keys_result keys_page_up(struct view *v, const struct model *m,
                                     const struct model_actions *a)
{
	(void)a;
	view_move(v, m, -(v->page_rows > 1 ? v->page_rows : 1));
	return KEYS_REDRAW;
}

static enum keys_result keys_page_down(struct view *v, const struct model *m,
                                       const struct model_actions *a)
{
	(void)a;
	view_move(v, m, v->page_rows > 1 ? v->page_rows : 1);
	return KEYS_REDRAW;
}

static enum keys_result keys_home(struct view *v, const struct model *m,
                                  const struct model_actions *a)
{
	(void)a;
	view_select(v, m, 0);
	return KEYS_REDRAW;
}

static enum keys_result keys_end(struct view *v, const struct model *m,
                                 const struct model_actions *a)
{
	(void)a;
	view_select(v, m, m->n_pairs - 1);
	return KEYS_REDRAW;
}

static enum keys_result keys_follow(struct view *v, const struct model *m,
                                    const struct model_actions *a)
{
	(void)a;
	view_follow(v, m);
	view_flash(v, "following the running pair", m->now_ms);
	return KEYS_REDRAW;
}

static enum keys_result keys_kill(struct view *v, const struct model *m,
                                  const struct model_actions *a)
{
	int pair = keys_target(v, m);

	(void)a;
	if (pair < 0)
		return KEYS_REDRAW;
	if (!view_state_live(m->pairs[pair].state)) {
		keys_refuse(v, m, pair, "nothing to kill");
		return KEYS_REDRAW;
	}
	return keys_open(v, VIEW_DIALOG_KILL, pair);
}

static enum keys_result keys_restart(struct view *v, const struct model *m,
                                     const struct model_actions *a)
{
	int pair = keys_target(v, m);

	(void)a;
	if (pair < 0)
		return KEYS_REDRAW;
	if (!m->can_restart) {
		view_flash(v,
		           "r: no restart under watch (mergewatch did not start these processes)",
		           m->now_ms);
		return KEYS_REDRAW;
	}
	if (m->pairs[pair].state == PAIR_PENDING || m->pairs[pair].state == PAIR_GATE) {
		keys_refuse(v, m, pair, "not started yet");
		return KEYS_REDRAW;
	}
	return keys_open(v, VIEW_DIALOG_RESTART, pair);
}

static enum keys_result keys_skip(struct view *v, const struct model *m,
                                  const struct model_actions *a)
{
	int pair = keys_target(v, m);
	enum pair_state s;

	(void)a;
	if (pair < 0)
		return KEYS_REDRAW;
	if (!m->can_restart) {
		view_flash(v, "s: no skip under watch (k kills, q stops watching)", m->now_ms);
		return KEYS_REDRAW;
	}
	s = m->pairs[pair].state;
	if (s != PAIR_PENDING && s != PAIR_GATE && s != PAIR_RUNNING) {
		keys_refuse(v, m, pair, "nothing to skip");
		return KEYS_REDRAW;
	}
	return keys_open(v, VIEW_DIALOG_SKIP, pair);
}

static enum keys_result keys_pause(struct view *v, const struct model *m,
                                   const struct model_actions *a)
{
	int pair = keys_target(v, m);

	if (pair < 0)
		return KEYS_REDRAW;
	if (m->pairs[pair].state != PAIR_RUNNING) {
		keys_refuse(v, m, pair, "only a running pair pauses");
		return KEYS_REDRAW;
	}
	keys_act(v, m, a, ACTION_PAUSE, pair, m->pairs[pair].paused ? "resume" : "pause");
	return KEYS_REDRAW;
}

static enum keys_result keys_ack(struct view *v, const struct model *m,
                                 const struct model_actions *a)
{
	int len = m->alerts_len < MODEL_ALERTS ? m->alerts_len : MODEL_ALERTS;
	bool unacked = false;

	for (int k = 0; k < len; k++)
		unacked |= !m->alerts[(m->alerts_head - 1 - k + MODEL_ALERTS) % MODEL_ALERTS].acked;
	if (!unacked) {
		view_flash(v,
		           len == 0 ? "a: no alert to acknowledge"
		                    : "a: nothing to acknowledge, every alert is acknowledged",
		           m->now_ms);
		return KEYS_REDRAW;
	}
	keys_act(v, m, a, ACTION_ACK, -1, "acknowledge");
	return KEYS_REDRAW;
}

static enum keys_result keys_log_open(struct view *v, const struct model *m,
                                      const struct model_actions *a)
{
	(void)a;
	if (v->selected < 0 || v->selected >= m->n_pairs) {
		view_flash(v, "l: no pair selected", m->now_ms);
		return KEYS_REDRAW;
	}
	if (m->pairs[v->selected].log_path == NULL) {
		view_flash(v, "l: mergewatch keeps no log of processes it did not start",
		           m->now_ms);
		return KEYS_REDRAW;
	}
	v->log_open = true;
	v->log_pair = v->selected;
	v->log_back = 0;
	return KEYS_REDRAW;
}

/* Keys while the log view is open: scrolling, End follows again, l q Esc
 * close it (q closes the view, as in less, rather than quitting). */
static enum keys_result keys_log(struct view *v, int key)
{
	int page = v->log_page_rows > 1 ? v->log_page_rows - 1 : 1;

	switch (key) {
	case KEY_UP:
		v->log_back++;
		break;
	case KEY_DOWN:
		v->log_back = v->log_back > 0 ? v->log_back - 1 : 0;
		break;
	case KEY_PPAGE:
		v->log_back += page;
		break;
	case KEY_NPAGE:
		v->log_back = v->log_back > page ? v->log_back - page : 0;
		break;
	case KEY_HOME:
		v->log_back = INT_MAX / 2; /* the drawing clamps it to the top */
		break;
	case KEY_END:
	case 'f':
		v->log_back = 0;
		break;
	case 'l':
	case 'q':
	case KEYS_ESC:
	case KEY_F(10):
		v->log_open = false;
		break;
	case KEYS_CTRL_L:
		return KEYS_REPAINT;
	default:
		return KEYS_IGNORED;
	}
	return KEYS_REDRAW;
}

static enum keys_result keys_help_open(struct view *v, const struct model *m,
                                       const struct model_actions *a)
{
	(void)m;
	(void)a;
	return keys_open(v, VIEW_DIALOG_HELP, -1);
}

static enum keys_result keys_quit(struct view *v, const struct model *m,
                                  const struct model_actions *a)
{
	(void)a;
	if (m->run_over) {
		v->quit = VIEW_QUIT_OVER;
		return KEYS_QUIT;
	}
	if (m->running >= 0 && m->running < m->n_pairs)
		return keys_open(v, VIEW_DIALOG_QUIT_RUNNING, m->running);
	return keys_open(v, VIEW_DIALOG_QUIT_IDLE, -1);
}

static enum keys_result keys_repaint(struct view *v, const struct model *m,
                                     const struct model_actions *a)
{
	(void)v;
	(void)m;
	(void)a;
	return KEYS_REPAINT;
}

static const struct keys_binding {
	int key;
	keys_fn fn;
} keys_table[] = {
	{ KEY_UP, keys_up },
	{ KEY_DOWN, keys_down },
	{ KEY_PPAGE, keys_page_up },
	{ KEY_NPAGE, keys_page_down },
	{ KEY_HOME, keys_home },
	{ KEY_END, keys_end },
	{ 'f', keys_follow },
	{ 'k', keys_kill },
	{ KEY_F(9), keys_kill },
	{ 'r', keys_restart },
	{ 's', keys_skip },
	{ 'p', keys_pause },
	{ 'a', keys_ack },
	{ 'l', keys_log_open },
	{ '?', keys_help_open },
	{ KEY_F(1), keys_help_open },
	{ 'q', keys_quit },
	{ KEY_F(10), keys_quit },
	{ KEYS_CTRL_L, keys_repaint },
};

/* A key with no meaning is answered, not swallowed: the operator learns
 * where the list is. Mouse and resize events are not keys. */
static enum keys_result keys_unknown(struct view *v, int key, const struct model *m)
{
	char msg[VIEW_FLASH_LEN];
	const char *name = keyname(key);

	if (key == KEY_MOUSE || key == KEY_RESIZE || key == ERR)
		return KEYS_IGNORED;
	snprintf(msg, sizeof msg, "%s%s%s: not a key here; ? lists the keys",
	         key >= 0x20 && key < 0x7f ? "'" : "", name != NULL ? name : "key",
	         key >= 0x20 && key < 0x7f ? "'" : "");
	view_flash(v, msg, m->now_ms);
	return KEYS_REDRAW;
}

/* y on an open dialog. */
static enum keys_result keys_confirm(struct view *v, const struct model *m,
                                     const struct model_actions *a)
{
	enum view_dialog d = v->dialog;
	int pair = v->dialog_pair;

	v->dialog = VIEW_DIALOG_NONE;
	v->dialog_pair = -1;
	switch (d) {
	case VIEW_DIALOG_KILL:
		keys_act(v, m, a, ACTION_KILL, pair, "kill");
		break;
	case VIEW_DIALOG_RESTART:
		keys_act(v, m, a, ACTION_RESTART, pair, "restart");
		break;
	case VIEW_DIALOG_SKIP:
		keys_act(v, m, a, ACTION_SKIP, pair,
		         m->pairs[pair].state == PAIR_RUNNING ? "stop" : "skip");
		break;
	case VIEW_DIALOG_QUIT_RUNNING:
		/* A refused quit stays, with the reason in the footer. */
		if (keys_act(v, m, a, ACTION_QUIT_STOP, pair, "stop and quit") != 0)
			break;
		v->quit = VIEW_QUIT_STOP;
		return KEYS_QUIT;
	case VIEW_DIALOG_QUIT_IDLE:
		v->quit = VIEW_QUIT_IDLE;
		return KEYS_QUIT;
	case VIEW_DIALOG_NONE:
	case VIEW_DIALOG_HELP:
		break;
	}
	return KEYS_REDRAW;
}

/* n on an open dialog: no, except for the quit dialog, where it means
 * "quit and leave the pair running". */
static enum keys_result keys_decline(struct view *v, const struct model *m,
                                     const struct model_actions *a)
{
	enum view_dialog d = v->dialog;
	int pair = v->dialog_pair;

	v->dialog = VIEW_DIALOG_NONE;
	v->dialog_pair = -1;
	if (d == VIEW_DIALOG_QUIT_RUNNING &&
	    keys_act(v, m, a, ACTION_QUIT_LEAVE, pair, "leave running and quit") == 0) {
		v->quit = VIEW_QUIT_LEAVE;
		return KEYS_QUIT;
	}
	return KEYS_REDRAW;
}

enum keys_result keys_handle(struct view *v, int key, const struct model *m,
                             const struct model_actions *a)
{
	if (v->dialog == VIEW_DIALOG_HELP) {
		v->dialog = VIEW_DIALOG_NONE;
		return KEYS_REDRAW;
	}
	if (v->log_open && v->dialog == VIEW_DIALOG_NONE)
		return keys_log(v, key);
	if (v->dialog != VIEW_DIALOG_NONE) {
		/* The pair list may have changed under an open dialog. */
		if (v->dialog_pair >= m->n_pairs) {
			v->dialog = VIEW_DIALOG_NONE;
			return KEYS_REDRAW;
		}
		if (key == 'y' || key == 'Y')
			return keys_confirm(v, m, a);
		if (key == 'n' || key == 'N')
			return keys_decline(v, m, a);
		if (key == KEYS_ESC) {
			v->dialog = VIEW_DIALOG_NONE;
			v->dialog_pair = -1;
			return KEYS_REDRAW;
		}
		if (key == KEYS_CTRL_L)
			return KEYS_REPAINT;
		return KEYS_IGNORED;
	}
	for (size_t i = 0; i < sizeof keys_table / sizeof keys_table[0]; i++)
		if (keys_table[i].key == key)
			return keys_table[i].fn(v, m, a);
	return keys_unknown(v, key, m);
}
