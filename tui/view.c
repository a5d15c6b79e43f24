/* Selection rules: follow the running pair until the operator moves; 'f'
 * (view_follow) follows again. */
#include <stdio.h>
#include <string.h>

#include "../core/event.h"
#include "view.h"

void view_init(struct view *v)
{
	memset(v, 0, sizeof *v);
	v->selected = -1;
	v->follow = true;
	v->page_rows = 1;
	v->dialog_pair = -1;
}

static int view_clamp(int i, int n)
{
	if (n <= 0)
		return -1;
	if (i < 0)
		return 0;
	if (i >= n)
		return n - 1;
	return i;
}

bool view_sync(struct view *v, const struct model *m)
{
	int before = v->selected;

	if (v->follow && m->running >= 0 && m->running < m->n_pairs)
		v->selected = m->running;
	v->selected = view_clamp(v->selected, m->n_pairs);
	return v->selected != before;
}

bool view_move(struct view *v, const struct model *m, int delta)
{
	int target;

	if (m->n_pairs <= 0)
		return false;
	target = v->selected < 0 ? 0 : v->selected + delta;
	return view_select(v, m, target);
}

bool view_select(struct view *v, const struct model *m, int index)
{
	int before = v->selected;

	v->follow = false;
	v->selected = view_clamp(index, m->n_pairs);
	return v->selected != before;
}

void view_follow(struct view *v, const struct model *m)
{
	v->follow = true;
	view_sync(v, m);
}

void view_scroll(struct view *v, int n_pairs, int visible_rows)
{
	if (visible_rows < 1)
		visible_rows = 1;
	v->page_rows = visible_rows;
	if (v->selected >= 0) {
		if (v->selected < v->pairs_top)
			v->pairs_top = v->selected;
		if (v->selected >= v->pairs_top + visible_rows)
			v->pairs_top = v->selected - visible_rows + 1;
	}
	/* No blank rows below the last pair while pairs are scrolled off. */
	if (v->pairs_top > n_pairs - visible_rows)
		v->pairs_top = n_pairs - visible_rows;
	if (v->pairs_top < 0)
		v->pairs_top = 0;
}

void view_flash(struct view *v, const char *msg, uint64_t now_ms)
{
	snprintf(v->flash, sizeof v->flash, "%s", msg);
	v->flash_until_ms = now_ms + VIEW_FLASH_MS;
}

bool view_flash_expire(struct view *v, uint64_t now_ms)
{
	if (v->flash[0] == '\0' || now_ms < v->flash_until_ms)
		return false;
	v->flash[0] = '\0';
	return true;
}

bool view_state_live(enum pair_state s)
{
	return s == PAIR_RUNNING || s == PAIR_STOPPING;
}

bool view_state_ended(enum pair_state s)
{
	return s == PAIR_DONE || s == PAIR_FAILED || s == PAIR_KILLED || s == PAIR_SKIPPED;
}

const char *view_reason_shown(const char *reason)
{
	int r = event_reason_parse(reason);

	return r == REASON_EXIT || r == REASON_SIGNAL ? "" : reason;
}
