/* What the operator is looking at: the selected pair, whether the
 * selection follows the running pair, the open dialog and the footer's
 * flash message. Plain data kept apart from curses so tests drive it. */
#ifndef MW_TUI_VIEW_H
#define MW_TUI_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/model.h"

enum view_dialog {
	VIEW_DIALOG_NONE,
	VIEW_DIALOG_KILL,
	VIEW_DIALOG_RESTART,
	VIEW_DIALOG_SKIP,
	VIEW_DIALOG_QUIT_RUNNING, /* y stop it, n leave it, Esc stay */
	VIEW_DIALOG_QUIT_IDLE,    /* no pair runs: y quit, n stay */
	VIEW_DIALOG_HELP,
};

enum {
	VIEW_FLASH_MS = 5000,
	VIEW_FLASH_LEN = 200,
};

/* How the operator left, for the summary printed after the dashboard. */
enum view_quit {
	VIEW_QUIT_NONE,
	VIEW_QUIT_OVER,  /* the run was over */
	VIEW_QUIT_STOP,  /* stopped the running pair */
	VIEW_QUIT_LEAVE, /* left the running pair running, unwatched */
	VIEW_QUIT_IDLE,  /* nothing ran; pending pairs will not run */
};

struct view {
	int selected;  /* pair index, -1 when there is none */
	bool follow;   /* the selection follows model->running */
	int pairs_top; /* first pair shown in the Pairs pane */
	int page_rows; /* pair rows shown, for PgUp/PgDn */
	enum view_dialog dialog;
	int dialog_pair;            /* the pair the dialog is about */
	char flash[VIEW_FLASH_LEN]; /* raw; "" when none */
	uint64_t flash_until_ms;
	/* The `l` log view: a pair's output log over the panes. */
	bool log_open;
	int log_pair;
	int log_back;      /* lines scrolled up from the end; 0 follows the end */
	int log_page_rows; /* text rows shown, for PgUp/PgDn */
	enum view_quit quit;
};

/* Starts following, with nothing selected. */
void view_init(struct view *v);

/* Brings the selection in line with m: onto m->running while following
 * (kept where it was while no pair runs), inside 0..n_pairs-1, -1 without
 * pairs. Returns true when the selection moved. */
bool view_sync(struct view *v, const struct model *m);

/* The operator moves the selection by delta pairs (clamped at the ends);
 * following stops. Returns true when it moved. */
bool view_move(struct view *v, const struct model *m, int delta);

/* The operator selects pair index (clamped); following stops. */
bool view_select(struct view *v, const struct model *m, int index);

/* Follows the running pair again. */
void view_follow(struct view *v, const struct model *m);

/* Scrolls the Pairs pane of visible_rows rows so the selection shows. */
void view_scroll(struct view *v, int n_pairs, int visible_rows);

/* Shows msg (copied, truncated) until now_ms + VIEW_FLASH_MS. */
void view_flash(struct view *v, const char *msg, uint64_t now_ms);

/* Clears a flash whose time is over; true when it did (redraw). */
bool view_flash_expire(struct view *v, uint64_t now_ms);

/* The reason worth showing beside an exit code or signal: "" for exit
 * and signal (the code says it), else reason itself. */
const char *view_reason_shown(const char *reason);

/* True for the states in which the pair has a live process tree. */
bool view_state_live(enum pair_state s);

/* True once the pair has ended (done, failed, killed, skipped). */
bool view_state_ended(enum pair_state s);

#endif
