/* The latest alerts, newest first; an unacknowledged one is marked and
 * bold until the operator presses a. */
#include <stdio.h>
#include <time.h>

#include "panes.h"

static enum draw_attr pane_alerts_kind_attr(const struct model_alert *al)
{
	if (al->resolved)
		return DRAW_OK;
	switch (al->priority) {
	case EVENT_PRI_ERR:
		return DRAW_CRIT;
	case EVENT_PRI_WARNING:
		return DRAW_WARN;
	case EVENT_PRI_INFO:
		break;
	}
	return DRAW_NORMAL;
}

void pane_alerts_draw(const struct draw *d, const struct layout_rect *r, const struct model *m)
{
	char extra[64], clock[16];
	int unacked = 0, y = r->y + 1, len;

	if (r->h <= 0)
		return;
	draw_separator(d, r);
	len = m->alerts_len < MODEL_ALERTS ? m->alerts_len : MODEL_ALERTS;
	for (int k = 0; k < len; k++) {
		int i = ((m->alerts_head - 1 - k) % MODEL_ALERTS + MODEL_ALERTS) % MODEL_ALERTS;

		unacked += !m->alerts[i].acked;
	}
	if (unacked > 0)
		snprintf(extra, sizeof extra, "%d unacknowledged (a)", unacked);
	else
		extra[0] = '\0';
	draw_title(d, r, "Alerts", DRAW_WARN, extra);
	if (m->alerts_broken != NULL && y < r->y + r->h) {
		/* A webhook that refuses every post must be seen: the team
		 * is not hearing about anything below. */
		draw_textf(d, y++, r->x, r->w, DRAW_WARN, "webhook broken: %s", m->alerts_broken);
	}
	if (len == 0 && y < r->y + r->h)
		draw_text(d, y, r->x, r->w, DRAW_DIM, "no alerts");
	for (int k = 0; k < len && y < r->y + r->h; k++, y++) {
		int i = ((m->alerts_head - 1 - k) % MODEL_ALERTS + MODEL_ALERTS) % MODEL_ALERTS;
		const struct model_alert *al = &m->alerts[i];
		time_t t = (time_t)(al->wall_ms / 1000);
		struct tm tm;
		int x = r->x, end = r->x + r->w;

		if (localtime_r(&t, &tm) != NULL)
			strftime(clock, sizeof clock, "%H:%M:%S", &tm);
		else
			snprintf(clock, sizeof clock, "--:--:--");
		x += draw_text(d, y, x, end - x, DRAW_DIM, clock);
		x++;
		if (!al->acked)
			draw_glyphs(d, y, x, 1, DRAW_WARN, d->unacked);
		x += 2;
		draw_text(d, y, x, 10, pane_alerts_kind_attr(al), al->kind);
		x += 11;
		draw_text(d, y, x, end - x, al->acked ? DRAW_NORMAL : DRAW_BOLD, al->text);
	}
}
