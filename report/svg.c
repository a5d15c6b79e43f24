/* Inline SVG charts: axes, thinned series, lines and markers. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "html.h"
#include "svg.h"

void svg_begin(struct strbuf *b, int width, int height, const char *label)
{
	strbuf_addf(b,
	            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
	            "width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"",
	            width, height, width, height);
	html_text(b, label);
	strbuf_add(b, "\"><title>");
	html_text(b, label);
	strbuf_add(b, "</title>\n");
}

void svg_end(struct strbuf *b)
{
	strbuf_add(b, "</svg>\n");
}

double svg_x(const struct svg_chart *c, int64_t t_ms)
{
	double span = c->x1_ms > c->x0_ms ? (double)(c->x1_ms - c->x0_ms) : 1.0;

	return c->left + (double)(t_ms - c->x0_ms) / span * c->width;
}

double svg_y(const struct svg_chart *c, double v)
{
	double span = c->y1 > c->y0 ? c->y1 - c->y0 : 1.0;
	double y = c->top + c->height - (v - c->y0) / span * c->height;

	/* above the top (a value past the range) stays on the frame */
	return y < c->top ? c->top : y;
}

double svg_byte_unit(double max, const char **name)
{
	static const char *const names[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double unit = 1;
	int k = 0;

	while (k < 4 && max >= unit * 1024 * 1.5) {
		unit *= 1024;
		k++;
	}
	*name = names[k];
	return unit;
}

/* floor and ceil for the chart's modest values, and the largest power of
 * ten not above x: the watchdog links this file, and libm would cost it a
 * third of a MiB of resident pages for three functions. */
static double svg_floor(double x)
{
	double t = (double)(long long)x;

	return t > x ? t - 1 : t;
}

static double svg_ceil(double x)
{
	double t = (double)(long long)x;

	return t < x ? t + 1 : t;
}

static double svg_power_of_ten_below(double x)
{
	double mag = 1;

	while (mag > x && mag > 1e-12)
		mag /= 10;
	while (mag * 10 <= x && mag < 1e300)
		mag *= 10;
	return mag;
}

double svg_nice_step(double range, int target)
{
	if (!(range > 0) || target < 1)
		return 1;
	double raw = range / target;
	double mag = svg_power_of_ten_below(raw);
	double norm = raw / mag;

	if (norm < 1.5)
		return mag;
	if (norm < 3)
		return 2 * mag;
	if (norm < 7)
		return 5 * mag;
	return 10 * mag;
}

void svg_text(struct strbuf *b, double x, double y, const char *cls, const char *anchor,
              const char *text)
{
	strbuf_addf(b, "<text x=\"%.1f\" y=\"%.1f\"", x, y);
	if (cls != NULL)
		strbuf_addf(b, " class=\"%s\"", cls);
	if (anchor != NULL)
		strbuf_addf(b, " text-anchor=\"%s\"", anchor);
	strbuf_add(b, ">");
	html_text(b, text);
	strbuf_add(b, "</text>\n");
}

void svg_axis_bytes(struct strbuf *b, const struct svg_chart *c)
{
	const char *uname;
	double unit = svg_byte_unit(c->y1, &uname);
	double step = svg_nice_step((c->y1 - c->y0) / unit, 5);
	char label[32];

	double first = svg_ceil(c->y0 / unit / step) * step;

	/* an integer counter: a float one drifts and may miss the last line */
	for (int k = 0; (first + k * step) * unit <= c->y1 + 1e-9; k++) {
		double v = first + k * step;
		double y = svg_y(c, v * unit);

		strbuf_addf(
			b,
			"<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
			c->left, y, c->left + c->width, y);
		snprintf(label, sizeof(label), "%g %s", v, uname);
		svg_text(b, c->left - 4, y + 4, NULL, "end", label);
	}
	strbuf_addf(
		b, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
		c->left, c->top, c->width, c->height);
}

void svg_axis_percent(struct strbuf *b, const struct svg_chart *c)
{
	double step = svg_nice_step(c->y1 - c->y0, 5);
	double first = svg_ceil(c->y0 / step) * step;
	char label[32];

	/* an integer counter, as the byte axis: a float one drifts */
	for (int k = 0; first + k * step <= c->y1 + 1e-9; k++) {
		double v = first + k * step;
		double y = svg_y(c, v);

		strbuf_addf(
			b,
			"<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
			c->left, y, c->left + c->width, y);
		snprintf(label, sizeof(label), "%g%%", v);
		svg_text(b, c->left - 4, y + 4, NULL, "end", label);
	}
	strbuf_addf(
		b, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
		c->left, c->top, c->width, c->height);
}

void svg_band(struct strbuf *b, const struct svg_chart *c, int64_t t0_ms, int64_t t1_ms,
              const char *cls, const char *label, int row, const char *tooltip)
{
	double x0 = svg_x(c, t0_ms), x1 = svg_x(c, t1_ms);

	if (x0 < c->left)
		x0 = c->left;
	if (x1 > c->left + c->width)
		x1 = c->left + c->width;
	if (x1 - x0 < 1)
		x1 = x0 + 1;
	strbuf_addf(b, "<g class=\"band %s\"><title>", cls);
	html_text(b, tooltip);
	strbuf_addf(b,
	            "</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>"
	            "<rect class=\"lane\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"3\"/>",
	            x0, c->top, x1 - x0, c->height, x0, c->top + c->height - 4.0 - 12.0 * row,
	            x1 - x0);
	if (label[0] != '\0')
		svg_text(b, x0 + 2, c->top + c->height - 7.0 - 12.0 * row, NULL, "start", label);
	strbuf_add(b, "</g>\n");
}

static void svg_time_label(int64_t ms, bool wall, int64_t step_ms, char *buf, size_t len)
{
	if (wall) {
		time_t t = (time_t)(ms / 1000);
		struct tm tm;

		if (gmtime_r(&t, &tm) == NULL)
			snprintf(buf, len, "?");
		else
			strftime(buf, len, step_ms < 60000 ? "%H:%M:%S" : "%H:%M", &tm);
		return;
	}
	int64_t s = ms / 1000, h = s / 3600, m = s / 60 % 60;

	s %= 60;
	if (h > 0 && m > 0)
		snprintf(buf, len, "%lldh%02lldm", (long long)h, (long long)m);
	else if (h > 0)
		snprintf(buf, len, "%lldh", (long long)h);
	else if (m > 0 && s > 0)
		snprintf(buf, len, "%lldm%02llds", (long long)m, (long long)s);
	else if (m > 0)
		snprintf(buf, len, "%lldm", (long long)m);
	else
		snprintf(buf, len, "%llds", (long long)s);
}

void svg_axis_time(struct strbuf *b, const struct svg_chart *c, bool wall)
{
	static const int64_t steps[] = {
		1000,     2000,     5000,     10000,    15000,     30000,     60000,
		120000,   300000,   600000,   900000,   1800000,   3600000,   7200000,
		10800000, 21600000, 43200000, 86400000, 172800000, 604800000,
	};
	int64_t span = c->x1_ms - c->x0_ms, step = steps[0];
	char label[32];

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		step = steps[i];
		if (span / step <= 7)
			break;
	}
	/* wall clock ticks sit on round times; elapsed ticks count from the
	 * origin (the first of them may lie before it, in the margin) */
	int64_t origin = wall ? 0 : c->origin_ms;
	int64_t first = c->x0_ms - origin;

	first = origin + (first >= 0 ? (first + step - 1) / step : -(-first / step)) * step;

	for (int64_t t = first; t <= c->x1_ms; t += step) {
		double x = svg_x(c, t);

		if (t < origin)
			continue;

		strbuf_addf(
			b,
			"<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
			x, c->top, x, c->top + c->height);
		svg_time_label(t - origin, wall, step, label, sizeof(label));
		svg_text(b, x, c->top + c->height + 14, NULL, "middle", label);
	}
}

/* The path being written: where the pen is and how many points it drew. */
struct svg_pen {
	struct strbuf *b;
	int points; /* in the current segment */
};

static void svg_pen_to(struct svg_pen *pen, double x, double y)
{
	strbuf_addf(pen->b, "%s%.1f %.1f", pen->points == 0 ? "M" : "L", x, y);
	pen->points++;
}

/* A segment of one point would not show: make it a short dash. */
static void svg_pen_lift(struct svg_pen *pen)
{
	if (pen->points == 1)
		strbuf_add(pen->b, "h1");
	pen->points = 0;
}

/* One bucket's low and high, in the order they happened. */
struct svg_bucket {
	long index;
	bool used;
	double lo, hi;
	int64_t lo_t, hi_t;
};

static void svg_bucket_flush(struct svg_pen *pen, const struct svg_chart *c, struct svg_bucket *k)
{
	if (!k->used)
		return;
	double xl = svg_x(c, k->lo_t), xh = svg_x(c, k->hi_t);

	/* at the same moment the high comes first: a sample's MAX is the
	 * highest since the sample before, its RSS is now (a pair that ended
	 * drops from its last high to nothing) */
	if (k->lo == k->hi) {
		svg_pen_to(pen, xh, svg_y(c, k->hi));
	} else if (k->lo_t < k->hi_t) {
		svg_pen_to(pen, xl, svg_y(c, k->lo));
		svg_pen_to(pen, xh, svg_y(c, k->hi));
	} else {
		svg_pen_to(pen, xh, svg_y(c, k->hi));
		svg_pen_to(pen, xl, svg_y(c, k->lo));
	}
	k->used = false;
}

void svg_series(struct strbuf *b, const struct svg_chart *c, const struct svg_pt *pts, size_t n,
                int64_t gap_ms, const char *cls)
{
	struct svg_pen pen = { b, 0 };
	struct svg_bucket k = { 0, false, 0, 0, 0, 0 };

	if (n == 0)
		return;
	strbuf_addf(b, "<path class=\"%s\" d=\"", cls);
	for (size_t i = 0; i < n; i++) {
		const struct svg_pt *p = &pts[i];
		long index = (long)svg_floor((svg_x(c, p->t_ms) - c->left) / SVG_BUCKET_PX);

		if (i > 0 && p->t_ms - pts[i - 1].t_ms > gap_ms) {
			svg_bucket_flush(&pen, c, &k);
			svg_pen_lift(&pen);
		}
		if (k.used && index != k.index)
			svg_bucket_flush(&pen, c, &k);
		if (!k.used) {
			k = (struct svg_bucket){ index, true, p->lo, p->hi, p->t_ms, p->t_ms };
			continue;
		}
		if (p->lo < k.lo) {
			k.lo = p->lo;
			k.lo_t = p->t_ms;
		}
		if (p->hi > k.hi) {
			k.hi = p->hi;
			k.hi_t = p->t_ms;
		}
	}
	svg_bucket_flush(&pen, c, &k);
	svg_pen_lift(&pen);
	strbuf_add(b, "\"/>\n");
}

void svg_hline(struct strbuf *b, const struct svg_chart *c, double v, const char *cls,
               const char *label)
{
	if (v < c->y0 || v > c->y1)
		return;
	double y = svg_y(c, v);

	strbuf_addf(b, "<g class=\"%s\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
	            cls, c->left, y, c->left + c->width, y);
	/* at the left end: a job's RSS usually starts low, so the label stays
	 * clear of the series and of the markers' labels at the end */
	svg_text(b, c->left + 18, y - 3, NULL, "start", label);
	strbuf_add(b, "</g>\n");
}

void svg_dot(struct strbuf *b, const struct svg_chart *c, int64_t t_ms, double v, const char *cls,
             const char *tooltip)
{
	strbuf_addf(b, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\"><title>", cls,
	            svg_x(c, t_ms), svg_y(c, v));
	html_text(b, tooltip);
	strbuf_add(b, "</title></circle>\n");
}

void svg_marker(struct strbuf *b, const struct svg_chart *c, int64_t t_ms, const char *cls,
                const char *label, int row, const char *tooltip)
{
	double x = svg_x(c, t_ms);
	bool near_right = x > c->left + c->width - 60;

	strbuf_addf(b, "<g class=\"mk %s\"><title>", cls);
	html_text(b, tooltip);
	strbuf_addf(b, "</title><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x,
	            c->top - 2 - 9.0 * row, x, c->top + c->height);
	/* a label near the right edge is written leftwards so it stays in */
	svg_text(b, near_right ? x - 2 : x + 2, c->top - 4 - 9.0 * row, NULL,
	         near_right ? "end" : "start", label);
	strbuf_add(b, "</g>\n");
}
