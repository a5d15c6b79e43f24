/* The operator's keys: which runner action each one ends in, and when the
 * dashboard quits. No terminal: keys_handle is fed key codes. */
#include <curses.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../tui/keys.h"

enum { ESC = 27, N_PAIRS = 5, MAX_CALLS = 8 };

struct fixture {
	struct model m;
	struct model_pair pairs[N_PAIRS];
	struct model_actions actions;
	struct view v;
	int calls;
	enum model_action action[MAX_CALLS];
	int pair[MAX_CALLS];
	int rc; /* what act answers */
};

static int record(void *ctx, enum model_action action, int pair)
{
	struct fixture *f = ctx;

	if (f->calls < MAX_CALLS) {
		f->action[f->calls] = action;
		f->pair[f->calls] = pair;
	}
	f->calls++;
	return f->rc;
}

static int setup(void **state)
{
	static const char *const names[N_PAIRS] = { "a", "b", "c", "d", "e" };
	static struct fixture f;

	memset(&f, 0, sizeof f);
	for (int i = 0; i < N_PAIRS; i++) {
		f.pairs[i].name = names[i];
		f.pairs[i].state = i < 2 ? PAIR_DONE : i == 2 ? PAIR_RUNNING : PAIR_PENDING;
		f.pairs[i].exit_code = -1;
	}
	f.pairs[2].pid = 4242;
	f.m.pairs = f.pairs;
	f.m.n_pairs = N_PAIRS;
	f.m.running = 2;
	f.m.can_restart = true;
	f.m.now_ms = 1000;
	f.actions.ctx = &f;
	f.actions.act = record;
	view_init(&f.v);
	view_sync(&f.v, &f.m);
	*state = &f;
	return 0;
}

static enum keys_result key(struct fixture *f, int k)
{
	return keys_handle(&f->v, k, &f->m, &f->actions);
}

static void test_selection_follows_running_pair_until_moved(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(f->v.selected, 2);
	f->m.running = 3;
	view_sync(&f->v, &f->m);
	assert_int_equal(f->v.selected, 3);
	/* The operator moves: the selection stays where they put it. */
	key(f, KEY_UP);
	assert_int_equal(f->v.selected, 2);
	assert_false(f->v.follow);
	f->m.running = 4;
	view_sync(&f->v, &f->m);
	assert_int_equal(f->v.selected, 2);
	/* f follows again. */
	key(f, 'f');
	assert_true(f->v.follow);
	assert_int_equal(f->v.selected, 4);
	assert_int_equal(f->calls, 0);
}

static void test_movement_keys_stay_inside_the_list(void **state)
{
	struct fixture *f = *state;

	key(f, KEY_HOME);
	assert_int_equal(f->v.selected, 0);
	key(f, KEY_UP);
	assert_int_equal(f->v.selected, 0);
	key(f, KEY_END);
	assert_int_equal(f->v.selected, N_PAIRS - 1);
	key(f, KEY_DOWN);
	assert_int_equal(f->v.selected, N_PAIRS - 1);
	f->v.page_rows = 3;
	key(f, KEY_PPAGE);
	assert_int_equal(f->v.selected, 1);
	key(f, KEY_NPAGE);
	assert_int_equal(f->v.selected, 4);
}

static void test_kill_asks_and_acts_only_on_y(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(key(f, 'k'), KEYS_REDRAW);
	assert_int_equal(f->v.dialog, VIEW_DIALOG_KILL);
	assert_int_equal(key(f, 'n'), KEYS_REDRAW);
	assert_int_equal(f->v.dialog, VIEW_DIALOG_NONE);
	key(f, KEY_F(9));
	key(f, ESC);
	assert_int_equal(f->calls, 0);
	key(f, 'k');
	/* Keys other than the dialog's are ignored while it is open. */
	assert_int_equal(key(f, 'q'), KEYS_IGNORED);
	assert_int_equal(key(f, 'y'), KEYS_REDRAW);
	assert_int_equal(f->calls, 1);
	assert_int_equal(f->action[0], ACTION_KILL);
	assert_int_equal(f->pair[0], 2);
	assert_string_equal(f->v.flash, "kill c: ok");
}

static void test_kill_of_a_pair_without_processes_is_refused_here(void **state)
{
	struct fixture *f = *state;

	key(f, KEY_HOME);
	key(f, 'k');
	assert_int_equal(f->v.dialog, VIEW_DIALOG_NONE);
	assert_int_equal(f->calls, 0);
	assert_string_equal(f->v.flash, "a is done: nothing to kill");
}

static void test_restart_and_skip_ask_first(void **state)
{
	struct fixture *f = *state;

	key(f, 'r');
	assert_int_equal(f->v.dialog, VIEW_DIALOG_RESTART);
	key(f, 'Y');
	key(f, KEY_END);
	key(f, 's');
	assert_int_equal(f->v.dialog, VIEW_DIALOG_SKIP);
	key(f, 'y');
	assert_int_equal(f->calls, 2);
	assert_int_equal(f->action[0], ACTION_RESTART);
	assert_int_equal(f->pair[0], 2);
	assert_int_equal(f->action[1], ACTION_SKIP);
	assert_int_equal(f->pair[1], 4);
}

static void test_refused_action_shows_the_reason(void **state)
{
	struct fixture *f = *state;

	f->rc = -EPERM;
	key(f, 'p');
	assert_int_equal(f->calls, 1);
	assert_int_equal(f->action[0], ACTION_PAUSE);
	assert_non_null(strstr(f->v.flash, strerror(EPERM)));
	/* Under watch, restart is not even offered. */
	f->m.can_restart = false;
	key(f, 'r');
	assert_int_equal(f->v.dialog, VIEW_DIALOG_NONE);
	assert_int_equal(f->calls, 1);
}

static void test_ack_needs_no_dialog(void **state)
{
	struct fixture *f = *state;

	key(f, 'a');
	assert_int_equal(f->calls, 0); /* no alert yet */
	f->m.alerts_len = 1;
	f->m.alerts_head = 1;
	key(f, 'a');
	assert_int_equal(f->calls, 1);
	assert_int_equal(f->action[0], ACTION_ACK);
	assert_int_equal(f->pair[0], -1);
	/* Every alert acknowledged: said so, not "No such file or directory". */
	f->m.alerts[0].acked = true;
	key(f, 'a');
	assert_int_equal(f->calls, 1);
	assert_non_null(strstr(f->v.flash, "nothing to acknowledge"));
}

static void test_quit_while_running_y_stops_it(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(key(f, 'q'), KEYS_REDRAW);
	assert_int_equal(f->v.dialog, VIEW_DIALOG_QUIT_RUNNING);
	assert_int_equal(key(f, 'y'), KEYS_QUIT);
	assert_int_equal(f->calls, 1);
	assert_int_equal(f->action[0], ACTION_QUIT_STOP);
	assert_int_equal(f->pair[0], 2);
}

static void test_quit_while_running_n_leaves_it_and_esc_stays(void **state)
{
	struct fixture *f = *state;

	key(f, KEY_F(10));
	assert_int_equal(key(f, ESC), KEYS_REDRAW);
	assert_int_equal(f->calls, 0);
	key(f, 'q');
	assert_int_equal(key(f, 'n'), KEYS_QUIT);
	assert_int_equal(f->calls, 1);
	assert_int_equal(f->action[0], ACTION_QUIT_LEAVE);
	assert_int_equal(f->pair[0], 2);
}

static void test_quit_refused_by_the_runner_stays(void **state)
{
	struct fixture *f = *state;

	f->rc = -EPERM;
	key(f, 'q');
	assert_int_equal(key(f, 'y'), KEYS_REDRAW);
	assert_int_equal(f->v.dialog, VIEW_DIALOG_NONE);
}

static void test_quit_with_nothing_running_asks_without_acting(void **state)
{
	struct fixture *f = *state;

	f->m.running = -1;
	f->pairs[2].state = PAIR_GATE;
	key(f, 'q');
	assert_int_equal(f->v.dialog, VIEW_DIALOG_QUIT_IDLE);
	assert_int_equal(key(f, 'n'), KEYS_REDRAW);
	key(f, 'q');
	assert_int_equal(key(f, 'y'), KEYS_QUIT);
	assert_int_equal(f->calls, 0);
}

static void test_run_over_q_quits_at_once_and_actions_are_off(void **state)
{
	struct fixture *f = *state;

	f->m.run_over = true;
	f->m.running = -1;
	key(f, 'k');
	key(f, 's');
	assert_int_equal(f->v.dialog, VIEW_DIALOG_NONE);
	assert_string_equal(f->v.flash, "the run is over: q quits");
	assert_int_equal(key(f, 'q'), KEYS_QUIT);
	assert_int_equal(f->calls, 0);
}

static void test_help_closes_on_any_key(void **state)
{
	struct fixture *f = *state;

	key(f, '?');
	assert_int_equal(f->v.dialog, VIEW_DIALOG_HELP);
	/* A key that would act does not act while it closes the help. */
	assert_int_equal(key(f, 'k'), KEYS_REDRAW);
	assert_int_equal(f->v.dialog, VIEW_DIALOG_NONE);
	key(f, KEY_F(1));
	assert_int_equal(f->v.dialog, VIEW_DIALOG_HELP);
	assert_int_equal(f->calls, 0);
	assert_int_equal(key(f, 'Z'), KEYS_REDRAW);
	assert_int_equal(f->v.dialog, VIEW_DIALOG_NONE);
}

/* A key with no meaning is answered in the footer, never swallowed. */
static void test_unknown_key_is_answered(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(key(f, 'Z'), KEYS_REDRAW);
	assert_non_null(strstr(f->v.flash, "'Z': not a key here; ? lists the keys"));
	assert_int_equal(f->calls, 0);
}

static void test_flash_expires(void **state)
{
	struct fixture *f = *state;

	view_flash(&f->v, "hello", 1000);
	assert_false(view_flash_expire(&f->v, 1000 + VIEW_FLASH_MS - 1));
	assert_string_equal(f->v.flash, "hello");
	assert_true(view_flash_expire(&f->v, 1000 + VIEW_FLASH_MS));
	assert_string_equal(f->v.flash, "");
}

static void test_scroll_keeps_the_selection_visible(void **state)
{
	struct fixture *f = *state;

	key(f, KEY_END);
	view_scroll(&f->v, N_PAIRS, 2);
	assert_int_equal(f->v.pairs_top, 3);
	key(f, KEY_HOME);
	view_scroll(&f->v, N_PAIRS, 2);
	assert_int_equal(f->v.pairs_top, 0);
	/* Room for all: no scrolling. */
	key(f, KEY_END);
	view_scroll(&f->v, N_PAIRS, 10);
	assert_int_equal(f->v.pairs_top, 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup(name, setup)
	const struct CMUnitTest tests[] = {
		T(test_selection_follows_running_pair_until_moved),
		T(test_movement_keys_stay_inside_the_list),
		T(test_kill_asks_and_acts_only_on_y),
		T(test_kill_of_a_pair_without_processes_is_refused_here),
		T(test_restart_and_skip_ask_first),
		T(test_refused_action_shows_the_reason),
		T(test_ack_needs_no_dialog),
		T(test_quit_while_running_y_stops_it),
		T(test_quit_while_running_n_leaves_it_and_esc_stays),
		T(test_quit_refused_by_the_runner_stays),
		T(test_quit_with_nothing_running_asks_without_acting),
		T(test_run_over_q_quits_at_once_and_actions_are_off),
		T(test_help_closes_on_any_key),
		T(test_unknown_key_is_answered),
		T(test_flash_expires),
		T(test_scroll_keeps_the_selection_visible),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
