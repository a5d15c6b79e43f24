/* Chart drawing for the report: inline SVG with axes in people's units,
 * series thinned to what the width can show (keeping every peak), lines
 * and markers. Styling is by class names the page's <style> defines. */
#ifndef MW_SVG_H
#define MW_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

enum {
	SVG_BUCKET_PX = 2, /* a series keeps its low and high per this many pixels */
};

/* A plot area and the data range it shows. */
struct svg_chart {
	double left, top, width, height; /* px inside the svg */
	int64_t x0_ms, x1_ms;            /* time shown, realtime ms */
	int64_t origin_ms;               /* "0" of an elapsed-time axis */
	double y0, y1;                   /* values shown */
};

/* One point of a series: the low and the high of the values it stands for
 * (equal for a plain sample). */
struct svg_pt {
	int64_t t_ms;
	double lo, hi;
};

/* <svg> of width x height px (scaling down with the page), with label
 * (raw, escaped here) as its accessible name and tooltip. */
void svg_begin(struct strbuf *b, int width, int height, const char *label);
void svg_end(struct strbuf *b);

double svg_x(const struct svg_chart *c, int64_t t_ms);
double svg_y(const struct svg_chart *c, double v);

/* The unit bytes are shown in on an axis reaching max: 1024^k. */
double svg_byte_unit(double max, const char **name);

/* A tick step of about range / target, rounded to 1, 2 or 5 times a power
 * of ten. */
double svg_nice_step(double range, int target);

/* Grid lines and labels for a byte axis (left), and a frame. */
void svg_axis_bytes(struct strbuf *b, const struct svg_chart *c);

/* Grid lines and labels for a percent axis (left), and a frame. */
void svg_axis_percent(struct strbuf *b, const struct svg_chart *c);

/* A period from t0_ms to t1_ms of class cls: a light shade over the plot's
 * height, a lane line near its bottom on row 0..2 and label (raw) above
 * the lane, with tooltip (raw). */
void svg_band(struct strbuf *b, const struct svg_chart *c, int64_t t0_ms, int64_t t1_ms,
              const char *cls, const char *label, int row, const char *tooltip);

/* Grid lines and labels for the time axis (bottom): wall clock "HH:MM" in
 * UTC when wall, else the time since origin_ms ("0s", "10m", "1h30m"). */
void svg_axis_time(struct strbuf *b, const struct svg_chart *c, bool wall);

/* A series as one path of class cls: points in time order, broken where two
 * are more than gap_ms apart; thinned to a low and a high per
 * SVG_BUCKET_PX, drawn in the order they happened. */
void svg_series(struct strbuf *b, const struct svg_chart *c, const struct svg_pt *pts, size_t n,
                int64_t gap_ms, const char *cls);

/* A horizontal line at value v of class cls, labelled (raw) at its left
 * end; nothing when v is outside the chart. */
void svg_hline(struct strbuf *b, const struct svg_chart *c, double v, const char *cls,
               const char *label);

/* A dot at (t_ms, v) of class cls, with tooltip (raw). */
void svg_dot(struct strbuf *b, const struct svg_chart *c, int64_t t_ms, double v, const char *cls,
             const char *tooltip);

/* A vertical marker at t_ms of class cls: a dashed line over the plot,
 * its label (raw) above it on row 0..2, and tooltip (raw). */
void svg_marker(struct strbuf *b, const struct svg_chart *c, int64_t t_ms, const char *cls,
                const char *label, int row, const char *tooltip);

/* Text (raw) at x, y with an optional class and anchor ("start", "middle",
 * "end"). */
void svg_text(struct strbuf *b, double x, double y, const char *cls, const char *anchor,
              const char *text);

#endif
