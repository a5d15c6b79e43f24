#include "lanes.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../core/text.h"
#include "../lib/units.h"
#include "html.h"
#include "svg.h"

enum {
	LANES_W = 760,
	LANES_LEFT = 150,
	LANES_RIGHT = 16,
	LANES_TOP = 10,
	LANES_BOTTOM = 38,
	LANES_ROW = 18,
	LANES_NAME_MAX = 22,
	BUDGET_H = 230,
	BUDGET_TOP = 24,
};

/* The time the chart spans: the log's, with a little margin. */
static void lanes_span(struct svg_chart *c, const struct rlog *log)
{
	int64_t span = log->end_ms > log->start_ms ? log->end_ms - log->start_ms : 1000;
	int64_t pad = span / 50 > 500 ? span / 50 : 500;

	c->origin_ms = log->start_ms;
	c->x0_ms = log->start_ms - pad;
	c->x1_ms = log->start_ms + span + pad;
}

static const char *lanes_class(const struct rlog_pair *p, bool last)
{
	if (!last || p->stage != RLOG_ENDED)
		return "b-other";
	switch (p->status) {
	case STATUS_DONE:
		return "b-done";
	case STATUS_KILLED:
		return "b-killed";
	case STATUS_FAILED:
		return "b-failed";
	default:
		return "b-other";
	}
}

static void lanes_bar(struct strbuf *b, const struct svg_chart *c, const struct rlog_pair *p,
                      double y, int64_t from, int64_t to, bool last)
{
	char tip[160], a[32];
	double x0 = svg_x(c, from), x1 = svg_x(c, to);

	strbuf_addf(b,
	            "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\">"
	            "<title>",
	            lanes_class(p, last), x0, y + 2, x1 - x0 > 1 ? x1 - x0 : 1, LANES_ROW - 4);
	snprintf(tip, sizeof(tip), "%s: %s%s", p->name,
	         units_format_elapsed((uint64_t)(to - from), a, sizeof(a)),
	         last ? "" : " (stopped, ran again)");
	html_text(b, tip);
	strbuf_add(b, "</title></rect>\n");
}

/* Each attempt: from a pair_start mark to the next pair_end (or the end of
 * the log while it still ran). */
static int lanes_pair(struct strbuf *b, const struct svg_chart *c, const struct rlog_pair *p,
                      double y, int64_t end_ms)
{
	int64_t from = -1;
	int bars = 0;

	for (size_t i = 0; i < p->n_marks; i++) {
		const struct rlog_mark *m = &p->marks[i];

		if (m->kind == EVENT_PAIR_START) {
			from = m->t_ms;
		} else if (m->kind == EVENT_PAIR_END && from >= 0) {
			bool last = true;

			for (size_t k = i + 1; k < p->n_marks; k++)
				last = last && p->marks[k].kind != EVENT_PAIR_START;
			lanes_bar(b, c, p, y, from, m->t_ms, last);
			from = -1;
			bars++;
		}
	}
	if (from >= 0) {
		lanes_bar(b, c, p, y, from, end_ms, true);
		bars++;
	}
	return bars;
}

bool lanes_chart(struct strbuf *b, const struct rlog *log)
{
	struct svg_chart c;
	int rows = 0, height;
	double y;

	for (size_t i = 0; i < log->n_pairs; i++)
		rows += log->pairs[i].stage != RLOG_NOT_STARTED;
	if (rows == 0 || log->start_ms == 0)
		return false;
	height = LANES_TOP + rows * LANES_ROW + LANES_BOTTOM;
	c = (struct svg_chart){ .left = LANES_LEFT,
		                .top = LANES_TOP,
		                .width = LANES_W - LANES_LEFT - LANES_RIGHT,
		                .height = rows * LANES_ROW };
	lanes_span(&c, log);
	svg_begin(b, LANES_W, height, "when each pair ran, beside which others");
	svg_axis_time(b, &c, true);
	y = LANES_TOP;
	for (size_t i = 0; i < log->n_pairs; i++) {
		const struct rlog_pair *p = &log->pairs[i];
		char name[LANES_NAME_MAX + 4];

		if (p->stage == RLOG_NOT_STARTED)
			continue;
		snprintf(name, sizeof(name), "%s", p->name);
		text_truncate(name, LANES_NAME_MAX);
		svg_text(b, c.left - 6, y + LANES_ROW - 6, NULL, "end", name);
		lanes_pair(b, &c, p, y, log->end_ms);
		y += LANES_ROW;
	}
	svg_text(b, c.left + c.width / 2, height - 6, "axis", "middle", "time (UTC)");
	svg_end(b);
	return true;
}

static int lanes_by_time(const void *a, const void *b)
{
	const struct svg_pt *p = a, *q = b;

	return (p->t_ms > q->t_ms) - (p->t_ms < q->t_ms);
}

bool lanes_budget_chart(struct strbuf *b, const struct rlog *log)
{
	struct svg_chart c;
	struct svg_pt *pts;
	size_t n = 0, kept = 0;
	double max = (double)log->memory_budget_bytes;
	char label[96], size[32];

	for (size_t i = 0; i < log->n_pairs; i++)
		n += log->pairs[i].n_pts;
	if (n == 0 || log->memory_budget_bytes == 0)
		return false;
	if ((pts = calloc(n, sizeof(*pts))) == NULL) {
		b->oom = true;
		return false;
	}
	for (size_t i = 0; i < log->n_pairs; i++) {
		const struct rlog_pair *p = &log->pairs[i];

		for (size_t k = 0; k < p->n_pts; k++)
			pts[kept++] = (struct svg_pt){ p->pts[k].t_ms, (double)p->pts[k].lo,
				                       (double)p->pts[k].hi };
	}
	/* one point per sample time: the pairs' memory summed */
	qsort(pts, kept, sizeof(*pts), lanes_by_time);
	n = 0;
	for (size_t i = 0; i < kept; i++) {
		if (n > 0 && pts[n - 1].t_ms == pts[i].t_ms) {
			pts[n - 1].lo += pts[i].lo;
			pts[n - 1].hi += pts[i].hi;
		} else {
			pts[n++] = pts[i];
		}
		if (pts[n - 1].hi > max)
			max = pts[n - 1].hi;
	}
	c = (struct svg_chart){ .left = 70,
		                .top = BUDGET_TOP,
		                .width = LANES_W - 70 - LANES_RIGHT,
		                .height = BUDGET_H - BUDGET_TOP - LANES_BOTTOM,
		                .y0 = 0,
		                .y1 = max * 1.1 };
	lanes_span(&c, log);
	svg_begin(b, LANES_W, BUDGET_H, "the running pairs' memory, summed, against memory_budget");
	svg_axis_bytes(b, &c);
	svg_axis_time(b, &c, true);
	snprintf(label, sizeof(label), "memory_budget %s",
	         units_format_size(log->memory_budget_bytes, size, sizeof(size)));
	svg_hline(b, &c, (double)log->memory_budget_bytes, "l-kill", label);
	svg_series(b, &c, pts, n, 4 * (int64_t)(log->interval_ms ? log->interval_ms : 1000),
	           "s-mem");
	svg_text(b, c.left + c.width / 2, BUDGET_H - 6, "axis", "middle", "time (UTC)");
	svg_end(b);
	free(pts);
	return true;
}
