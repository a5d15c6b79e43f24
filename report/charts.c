/* The report's three kinds of chart, built from svg.c's pieces. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/text.h"
#include "../logdir/samplelog.h"
#include "../lib/units.h"
#include "charts.h"
#include "html.h"
#include "svg.h"

enum {
	CHART_W = 760,
	CHART_H = 270,
	CHART_ACTIVITY_H = 190,
	CHART_LEFT = 70,
	CHART_RIGHT = 16,
	CHART_TOP = 40, /* room for three rows of marker labels */
	CHART_BOTTOM = 38,
	CHART_GAP_MS = 4 * SAMPLELOG_KEEP_MS, /* a longer silence breaks the line */
	BAR_ROW = 18,
	BAR_NAME_W = 150,
	BAR_NAME_MAX = 22, /* bytes of a name shown beside its bar */
};

static void charts_frame(struct svg_chart *c, int height)
{
	c->left = CHART_LEFT;
	c->top = CHART_TOP;
	c->width = CHART_W - CHART_LEFT - CHART_RIGHT;
	c->height = height - CHART_TOP - CHART_BOTTOM;
}

/* The span of x values, never empty, with a margin on each side so the
 * first and the last moment (a start, a kill) are not hidden in the
 * frame. */
static void charts_span(struct svg_chart *c, int64_t lo, int64_t hi)
{
	int64_t span = hi > lo ? hi - lo : 1000;
	int64_t pad = span / 50 > 500 ? span / 50 : 500;

	c->origin_ms = lo;
	c->x0_ms = lo - pad;
	c->x1_ms = lo + span + pad;
}

static double charts_top(double max)
{
	return max > 1024.0 * 1024 ? max * 1.08 : 1024.0 * 1024;
}

/* Marker labels go on the lowest of three rows where they do not run into
 * the previous label (each label's end is kept); when all three are taken
 * the marker is drawn without a label (its tooltip still says what it is)
 * rather than writing over another. */
struct charts_rows {
	double end_x[3];
};

static int charts_row(struct charts_rows *r, double x, const char *label)
{
	/* 10px sans-serif: about 5.5px a character, and a gap. */
	double w = 5.5 * (double)strlen(label) + 6;

	for (int i = 0; i < 3; i++) {
		if (x >= r->end_x[i]) {
			r->end_x[i] = x + w;
			return i;
		}
	}
	return -1;
}

enum {
	CHARTS_MERGE_PX = 6, /* marks closer than this are one marker */
	CHARTS_LABEL_MAX = 64,
};

static const char *charts_mark_label(enum event_kind kind)
{
	if (kind == EVENT_PAIR_START)
		return "start";
	if (kind == EVENT_PAIR_END)
		return "end";
	return event_kind_name(kind);
}

/* Whether a sample shows the pair at work (not waiting to start). */
static bool charts_pair_point(const struct rlog_pair *p, size_t i, bool seen_work)
{
	char s = p->pts[i].state;

	if (s == 'R' || s == 'S' || s == 'V')
		return true;
	return seen_work && (s == 'D' || s == 'F' || s == 'K' || s == 'X');
}

/* The pair's drawable points, caller frees; *n 0 when none. */
static struct svg_pt *charts_pair_points(const struct rlog_pair *p, size_t *n, double *max)
{
	struct svg_pt *v = calloc(p->n_pts ? p->n_pts : 1, sizeof(*v));
	bool seen_work = false;

	*n = 0;
	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < p->n_pts; i++) {
		if (!charts_pair_point(p, i, seen_work))
			continue;
		seen_work = true;
		v[*n] = (struct svg_pt){ p->pts[i].t_ms, (double)p->pts[i].lo,
			                 (double)p->pts[i].hi };
		if (v[*n].hi > *max)
			*max = v[*n].hi;
		(*n)++;
	}
	return v;
}

/* The pair's marks, those that fall within CHARTS_MERGE_PX of each other
 * (an approach, the kill and the end in one second) drawn as one marker
 * labelled "approach, kill, end", so labels never pile up. */
static void charts_pair_marks(struct strbuf *b, const struct rlog_pair *p,
                              const struct svg_chart *c, bool rss_dots)
{
	struct charts_rows rows = { { -1e9, -1e9, -1e9 } };

	for (size_t i = 0; i < p->n_marks;) {
		const struct rlog_mark *first = &p->marks[i];
		double x = svg_x(c, first->t_ms);
		struct strbuf tip = { 0 };
		char label[CHARTS_LABEL_MAX] = "", cls[24];
		enum event_kind strongest = first->kind;
		size_t j = i;

		for (; j < p->n_marks && svg_x(c, p->marks[j].t_ms) - x < CHARTS_MERGE_PX; j++) {
			const struct rlog_mark *m = &p->marks[j];
			size_t len = strlen(label);

			if (strstr(label, charts_mark_label(m->kind)) == NULL)
				snprintf(label + len, sizeof(label) - len, "%s%s", len ? ", " : "",
				         charts_mark_label(m->kind));
			if (tip.len > 0)
				strbuf_add(&tip, "; ");
			html_wall(&tip, m->t_ms, false);
			strbuf_addf(&tip, " UTC %s", event_kind_name(m->kind));
			if (m->rss_bytes > 0) {
				strbuf_add(&tip, ", RSS ");
				html_size(&tip, m->rss_bytes);
			}
			/* the colour of the gravest kind in the group */
			if (m->kind == EVENT_KILL || m->kind == EVENT_DEADLOCK)
				strongest = m->kind;
			/* the RSS the kill was decided on, exactly, however the
			 * samples around it were thinned */
			if (rss_dots && m->kind == EVENT_KILL && m->rss_bytes > 0)
				svg_dot(b, c, m->t_ms, (double)m->rss_bytes, "d-kill", "kill");
		}
		snprintf(cls, sizeof(cls), "k-%s", event_kind_name(strongest));
		int row = charts_row(&rows, x, label);

		svg_marker(b, c, first->t_ms, cls, row >= 0 ? label : "", row >= 0 ? row : 0,
		           tip.s ? tip.s : label);
		strbuf_free(&tip);
		i = j;
	}
}

bool charts_pair(struct strbuf *b, const struct rlog_pair *p)
{
	struct svg_chart c;
	size_t n;
	double max = (double)p->peak_rss_bytes;
	struct svg_pt *pts = charts_pair_points(p, &n, &max);
	char label[160], size[32];

	if (pts == NULL || (n == 0 && p->n_marks == 0)) {
		free(pts);
		return false;
	}
	int64_t lo = n ? pts[0].t_ms : p->marks[0].t_ms, hi = n ? pts[n - 1].t_ms : lo;

	for (size_t i = 0; i < p->n_marks; i++) {
		lo = p->marks[i].t_ms < lo ? p->marks[i].t_ms : lo;
		hi = p->marks[i].t_ms > hi ? p->marks[i].t_ms : hi;
	}
	if (p->kill_rss_bytes != UINT64_MAX && (double)p->kill_rss_bytes > max)
		max = (double)p->kill_rss_bytes;
	if ((double)p->input_bytes > max)
		max = (double)p->input_bytes;
	charts_frame(&c, CHART_H);
	charts_span(&c, lo, hi);
	c.y0 = 0;
	c.y1 = charts_top(max);
	snprintf(label, sizeof(label), "pair %s: tree RSS over time", p->name);
	svg_begin(b, CHART_W, CHART_H, label);
	svg_axis_bytes(b, &c);
	svg_axis_time(b, &c, false);
	if (p->kill_rss_bytes != UINT64_MAX) {
		snprintf(label, sizeof(label), "kill_rss %s",
		         units_format_size(p->kill_rss_bytes, size, sizeof(size)));
		svg_hline(b, &c, (double)p->kill_rss_bytes, "l-kill", label);
	}
	if (p->input_bytes > 0) {
		snprintf(label, sizeof(label), "input %s",
		         units_format_size(p->input_bytes, size, sizeof(size)));
		svg_hline(b, &c, (double)p->input_bytes, "l-input", label);
	}
	svg_series(b, &c, pts, n, CHART_GAP_MS, "s-rss");
	charts_pair_marks(b, p, &c, true);
	struct strbuf when = { 0 };

	strbuf_add(&when, "time since ");
	html_wall(&when, lo, true);
	strbuf_add(&when, " UTC");
	svg_text(b, c.left + c.width / 2, CHART_H - 6, "axis", "middle", when.s ? when.s : "time");
	strbuf_free(&when);
	svg_end(b);
	free(pts);
	return true;
}

static void charts_system_marks(struct strbuf *b, const struct rlog *log, const struct svg_chart *c)
{
	struct charts_rows rows = { { -1e9, -1e9, -1e9 } };
	char label[96];

	for (size_t i = 0; i < log->n_sys_marks; i++) {
		const struct rlog_mark *m = &log->sys_marks[i];

		const char *kind = event_kind_name(m->kind);
		int row = charts_row(&rows, svg_x(c, m->t_ms), kind);

		svg_marker(b, c, m->t_ms, m->kind == EVENT_PRESSURE ? "k-pressure" : "k-resolved",
		           row >= 0 ? kind : "", row >= 0 ? row : 0, kind);
	}
	for (size_t k = 0; k < log->n_pairs; k++) {
		const struct rlog_pair *p = &log->pairs[k];

		for (size_t i = 0; i < p->n_marks; i++) {
			const struct rlog_mark *m = &p->marks[i];

			if (m->kind != EVENT_KILL)
				continue;
			snprintf(label, sizeof(label), "kill %s", p->name);
			text_truncate(label, 24);
			int row = charts_row(&rows, svg_x(c, m->t_ms), label);

			svg_marker(b, c, m->t_ms, "k-kill", row >= 0 ? label : "",
			           row >= 0 ? row : 0, label);
		}
	}
}

/* Each pair's periods of work (start to end of every attempt) as bands on
 * the machine chart, so a rise in used memory is seen beside the pair that
 * caused it. */
static void charts_system_band(struct strbuf *b, const struct svg_chart *c,
                               const struct rlog_pair *p, size_t k, int64_t start, int64_t end,
                               double lane_end[3])
{
	char label[48], tip[160];
	int lane = 0;

	/* overlapping periods (jobs > 1) take separate lanes */
	while (lane < 2 && svg_x(c, start) < lane_end[lane])
		lane++;
	lane_end[lane] = svg_x(c, end);
	snprintf(label, sizeof(label), "%s", p->name);
	text_truncate(label, 20);
	snprintf(tip, sizeof(tip), "pair %s: %s", p->name,
	         rlog_status_name(p)[0] ? rlog_status_name(p) : "ran");
	svg_band(b, c, start, end, k % 2 ? "band-b" : "band-a",
	         svg_x(c, end) - svg_x(c, start) > 5.5 * (double)strlen(label) + 4 ? label : "",
	         lane, tip);
}

static void charts_system_pairs(struct strbuf *b, const struct rlog *log, const struct svg_chart *c)
{
	double lane_end[3] = { -1e9, -1e9, -1e9 };

	for (size_t k = 0; k < log->n_pairs; k++) {
		const struct rlog_pair *p = &log->pairs[k];
		int64_t start = -1;

		for (size_t i = 0; i < p->n_marks; i++) {
			const struct rlog_mark *m = &p->marks[i];

			if (m->kind == EVENT_PAIR_START)
				start = m->t_ms;
			else if (m->kind == EVENT_PAIR_END && start >= 0) {
				charts_system_band(b, c, p, k, start, m->t_ms, lane_end);
				start = -1;
			}
		}
		/* no pair_end: running when the log ends */
		if (start >= 0)
			charts_system_band(b, c, p, k, start,
			                   p->n_pts ? p->pts[p->n_pts - 1].t_ms : start, lane_end);
	}
}

/* A pair's CPU use (the slope of its CPU time between two samples) and
 * its progress, both in percent, over its life: a deadlock is a flat CPU
 * line at 0 beside progress that stopped. false without CPU samples. */
bool charts_activity(struct strbuf *b, const struct rlog_pair *p)
{
	struct svg_chart c;
	struct svg_pt *cpu = calloc(p->n_pts ? p->n_pts : 1, sizeof(*cpu));
	struct svg_pt *prog = calloc(p->n_pts ? p->n_pts : 1, sizeof(*prog));
	size_t n_cpu = 0, n_prog = 0;
	double max = 100;
	char label[160];
	const struct rlog_point *prev = NULL;

	if (cpu == NULL || prog == NULL) {
		free(cpu);
		free(prog);
		b->oom = true;
		return false;
	}
	for (size_t i = 0; i < p->n_pts; i++) {
		const struct rlog_point *pt = &p->pts[i];

		if (pt->total > 0)
			prog[n_prog++] =
				(struct svg_pt){ pt->t_ms,
				                 100.0 * (double)pt->done / (double)pt->total,
				                 100.0 * (double)pt->done / (double)pt->total };
		if (!pt->cpu_known) {
			prev = NULL;
			continue;
		}
		/* a new attempt starts its CPU time over */
		if (prev != NULL && pt->t_ms > prev->t_ms && pt->cpu_ms >= prev->cpu_ms) {
			double pct = 100.0 * (double)(pt->cpu_ms - prev->cpu_ms) /
			             (double)(pt->t_ms - prev->t_ms);

			cpu[n_cpu++] = (struct svg_pt){ pt->t_ms, pct, pct };
			if (pct > max)
				max = pct;
		}
		prev = pt;
	}
	if (n_cpu == 0 && n_prog == 0) {
		free(cpu);
		free(prog);
		return false;
	}
	int64_t lo = n_cpu ? cpu[0].t_ms : prog[0].t_ms, hi = n_cpu ? cpu[n_cpu - 1].t_ms : lo;

	for (size_t i = 0; i < n_prog; i++) {
		lo = prog[i].t_ms < lo ? prog[i].t_ms : lo;
		hi = prog[i].t_ms > hi ? prog[i].t_ms : hi;
	}
	for (size_t i = 0; i < p->n_marks; i++) {
		lo = p->marks[i].t_ms < lo ? p->marks[i].t_ms : lo;
		hi = p->marks[i].t_ms > hi ? p->marks[i].t_ms : hi;
	}
	charts_frame(&c, CHART_ACTIVITY_H);
	charts_span(&c, lo, hi);
	c.y0 = 0;
	c.y1 = max > 100 ? max * 1.08 : 105;
	snprintf(label, sizeof(label), "pair %s: CPU and progress over time", p->name);
	svg_begin(b, CHART_W, CHART_ACTIVITY_H, label);
	svg_axis_percent(b, &c);
	svg_axis_time(b, &c, false);
	svg_series(b, &c, cpu, n_cpu, CHART_GAP_MS, "s-cpu");
	svg_series(b, &c, prog, n_prog, CHART_GAP_MS, "s-progress");
	charts_pair_marks(b, p, &c, false);
	svg_text(b, c.left + c.width / 2, CHART_ACTIVITY_H - 6, "axis", "middle",
	         "CPU % of one core (green), progress % (purple)");
	svg_end(b);
	free(cpu);
	free(prog);
	return true;
}

bool charts_system(struct strbuf *b, const struct rlog *log)
{
	struct svg_chart c;
	struct svg_pt *mem, *swap;
	double max = (double)(log->mem_total_bytes > log->swap_total_bytes ? log->mem_total_bytes
	                                                                   : log->swap_total_bytes);
	char label[96], size[32];

	if (log->n_sys == 0)
		return false;
	mem = calloc(log->n_sys, sizeof(*mem));
	swap = calloc(log->n_sys, sizeof(*swap));
	if (mem == NULL || swap == NULL) {
		free(mem);
		free(swap);
		b->oom = true;
		return false;
	}
	for (size_t i = 0; i < log->n_sys; i++) {
		const struct rlog_point *s = &log->sys[i];

		mem[i] = (struct svg_pt){ s->t_ms, (double)s->lo, (double)s->lo };
		swap[i] = (struct svg_pt){ s->t_ms, (double)s->hi, (double)s->hi };
		if ((double)s->lo > max)
			max = (double)s->lo;
		if ((double)s->hi > max)
			max = (double)s->hi;
	}
	charts_frame(&c, CHART_H);
	charts_span(&c, log->sys[0].t_ms, log->sys[log->n_sys - 1].t_ms);
	c.y0 = 0;
	c.y1 = charts_top(max);
	svg_begin(b, CHART_W, CHART_H, "machine memory and swap used over the run");
	svg_axis_bytes(b, &c);
	svg_axis_time(b, &c, true);
	snprintf(label, sizeof(label), "MemTotal %s",
	         units_format_size(log->mem_total_bytes, size, sizeof(size)));
	svg_hline(b, &c, (double)log->mem_total_bytes, "l-total", label);
	if (log->swap_total_bytes > 0) {
		snprintf(label, sizeof(label), "SwapTotal %s",
		         units_format_size(log->swap_total_bytes, size, sizeof(size)));
		svg_hline(b, &c, (double)log->swap_total_bytes, "l-swaptotal", label);
	}
	charts_system_pairs(b, log, &c);
	svg_series(b, &c, mem, log->n_sys, CHART_GAP_MS, "s-mem");
	svg_series(b, &c, swap, log->n_sys, CHART_GAP_MS, "s-swap");
	charts_system_marks(b, log, &c);
	svg_text(b, c.left + c.width / 2, CHART_H - 6, "axis", "middle", "time (UTC)");
	svg_end(b);
	free(mem);
	free(swap);
	return true;
}

static bool charts_has_ratio(const struct rlog_pair *p)
{
	return p->input_bytes > 0 && p->peak_rss_bytes > 0;
}

static void charts_bar(struct strbuf *b, const struct svg_chart *c, const struct rlog_pair *p,
                       double y)
{
	double ratio = (double)p->peak_rss_bytes / (double)p->input_bytes;
	bool ended = p->stage == RLOG_ENDED;
	bool killed = ended && p->status == STATUS_KILLED;
	const char *cls = killed                                ? "b-killed"
	                  : ended && p->status == STATUS_DONE   ? "b-done"
	                  : ended && p->status == STATUS_FAILED ? "b-failed"
	                                                        : "b-other";
	char name[BAR_NAME_MAX + 4], label[64], size[32];
	double w = ratio / c->y1 * c->width;

	snprintf(name, sizeof(name), "%s", p->name);
	text_truncate(name, BAR_NAME_MAX);
	svg_text(b, c->left - 6, y + BAR_ROW - 6, NULL, "end", name);
	strbuf_addf(b,
	            "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\">"
	            "<title>",
	            cls, c->left, y + 2, w, BAR_ROW - 4);
	snprintf(label, sizeof(label), "%s%.1f\xc3\x97 peak %s", killed ? "\xe2\x89\xa5" : "",
	         ratio, units_format_size(p->peak_rss_bytes, size, sizeof(size)));
	html_text(b, label);
	strbuf_add(b, "</title></rect>\n");
	snprintf(label, sizeof(label), "%s%.1f\xc3\x97%s", killed ? "\xe2\x89\xa5" : "", ratio,
	         killed ? " (killed)" : "");
	svg_text(b, c->left + w + 4, y + BAR_ROW - 6, NULL, "start", label);
}

bool charts_bloat(struct strbuf *b, const struct rlog *log)
{
	struct svg_chart c;
	size_t n = 0;
	double max = log->max_ratio;

	for (size_t i = 0; i < log->n_pairs; i++) {
		const struct rlog_pair *p = &log->pairs[i];

		if (!charts_has_ratio(p))
			continue;
		n++;
		double r = (double)p->peak_rss_bytes / (double)p->input_bytes;

		if (r > max)
			max = r;
	}
	if (n == 0)
		return false;
	int height = 30 + (int)n * BAR_ROW + 30;
	double step = svg_nice_step(max * 1.15, 6);
	char label[64];

	c.left = BAR_NAME_W;
	c.top = 24;
	c.width = CHART_W - BAR_NAME_W - 90;
	c.height = (double)n * BAR_ROW;
	c.x0_ms = c.x1_ms = 0;
	c.y0 = 0;
	c.y1 = max * 1.15;
	svg_begin(b, CHART_W, height, "peak RSS divided by input size, per pair");
	/* an integer counter: a float one drifts and may miss the last line */
	for (int k = 0; k * step <= c.y1 + 1e-9; k++) {
		double v = k * step;
		double x = c.left + v / c.y1 * c.width;

		strbuf_addf(
			b,
			"<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
			x, c.top, x, c.top + c.height);
		snprintf(label, sizeof(label), "%g\xc3\x97", v);
		svg_text(b, x, c.top + c.height + 14, NULL, "middle", label);
	}
	double y = c.top;

	for (size_t i = 0; i < log->n_pairs; i++) {
		if (!charts_has_ratio(&log->pairs[i]))
			continue;
		charts_bar(b, &c, &log->pairs[i], y);
		y += BAR_ROW;
	}
	if (log->max_ratio > 0) {
		double x = c.left + log->max_ratio / c.y1 * c.width;

		strbuf_addf(b,
		            "<g class=\"l-plan\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		            "y2=\"%.1f\"/>",
		            x, c.top - 6, x, c.top + c.height);
		snprintf(label, sizeof(label),
		         "planning ratio %.1f\xc3\x97 (highest of a pair done)", log->max_ratio);
		svg_text(b, x, c.top - 9, NULL, "middle", label);
		strbuf_add(b, "</g>\n");
	}
	svg_end(b);
	return true;
}
