/* The figures behind "what happens next". Each part is phrased as the
 * operator would say it, with the limit it is measured against. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../lib/units.h"
#include "view.h"
#include "whatnext.h"

struct whatnext_out {
	char *buf;
	size_t len, o;
	const char *sep;
	int parts;
};

static void whatnext_put(struct whatnext_out *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void whatnext_put(struct whatnext_out *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->o >= w->len)
		return;
	if (w->parts > 0) {
		n = snprintf(w->buf + w->o, w->len - w->o, "%s", w->sep);
		w->o += n > 0 ? (size_t)n : 0;
		if (w->o >= w->len) {
			w->o = w->len - 1;
			return;
		}
	}
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->o, w->len - w->o, fmt, ap);
	va_end(ap);
	w->o += n > 0 ? (size_t)n : 0;
	if (w->o >= w->len)
		w->o = w->len - 1;
	w->parts++;
}

static uint64_t whatnext_elapsed_ms(const struct model_pair *p, uint64_t now_ms)
{
	if (p->started_ms == 0 || now_ms < p->started_ms)
		return 0;
	return now_ms - p->started_ms;
}

uint64_t whatnext_timeout_left_ms(const struct model_pair *p, uint64_t now_ms)
{
	uint64_t elapsed;

	if (p->timeout_ms == 0 || p->state != PAIR_RUNNING || p->started_ms == 0)
		return UINT64_MAX;
	elapsed = whatnext_elapsed_ms(p, now_ms);
	return elapsed >= p->timeout_ms ? 0 : p->timeout_ms - elapsed;
}

uint64_t whatnext_eta_ms(const struct model_pair *p, uint64_t now_ms)
{
	uint64_t elapsed = whatnext_elapsed_ms(p, now_ms);
	double left;

	if (p->progress_total == 0 || p->progress_done == 0 || elapsed == 0)
		return UINT64_MAX;
	if (p->progress_done >= p->progress_total)
		return 0;
	left = (double)(p->progress_total - p->progress_done) * (double)elapsed /
	       (double)p->progress_done;
	return left > 1e15 ? UINT64_MAX : (uint64_t)left;
}

/* "kill" → "then the tree is killed": what on_deadlock does. */
static const char *whatnext_deadlock_action(enum model_on_deadlock action)
{
	switch (action) {
	case MODEL_ON_DEADLOCK_KILL:
		return "then SIGKILL";
	case MODEL_ON_DEADLOCK_RESTART:
		return "then kill and restart";
	case MODEL_ON_DEADLOCK_ALERT:
		break;
	}
	return "then an alert only";
}

/* Several pairs at once: why a pending pair has not started yet. */
static void whatnext_wait(struct whatnext_out *w, const struct model_pair *p)
{
	char a[32], b[32];

	switch (p->wait) {
	case MODEL_WAIT_SLOT:
		whatnext_put(w, "waits for a slot: as many pairs run as jobs allows");
		break;
	case MODEL_WAIT_BUDGET:
		units_format_size(p->predicted_peak_bytes, a, sizeof a);
		units_format_size(p->wait_free_bytes, b, sizeof b);
		whatnext_put(w, "waits for room: needs %s, %s of the budget free", a, b);
		break;
	case MODEL_WAIT_ORDER:
		whatnext_put(w, "waits: an earlier pair is at the health gate");
		break;
	case MODEL_WAIT_HELD:
		whatnext_put(w, "waits for a pair to end: one outgrew its prediction");
		break;
	case MODEL_WAIT_NONE:
		break;
	}
}

int whatnext_describe(const struct model_pair *p, uint64_t now_ms, const char *sep, char *buf,
                      size_t len)
{
	struct whatnext_out w = { buf, len, 0, sep, 0 };
	char a[32], b[32];
	uint64_t left;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (p->state == PAIR_PENDING) {
		whatnext_wait(&w, p);
		return w.parts;
	}
	if (!view_state_live(p->state))
		return 0;
	if (p->paused)
		whatnext_put(&w, "paused (p resumes)");
	if (p->deadlocked)
		whatnext_put(&w, "deadlocked: on_deadlock = %s",
		             p->on_deadlock != NULL ? p->on_deadlock : "alert");
	else if (p->stalled_ms >= WHATNEXT_STALL_SHOWN_MS && p->deadlock_window_ms > 0 &&
	         !p->paused) {
		units_format_elapsed(p->stalled_ms, a, sizeof a);
		if (p->stalled_ms >= p->deadlock_window_ms)
			whatnext_put(&w, "no progress %s: deadlock verdict due now", a);
		else {
			units_format_elapsed(p->deadlock_window_ms - p->stalled_ms, b, sizeof b);
			whatnext_put(&w, "no progress %s: deadlock verdict in %s, %s", a, b,
			             whatnext_deadlock_action(p->deadlock_action));
		}
	}
	if (p->kill_rss_bytes > 0 && p->kill_rss_bytes != UINT64_MAX && view_state_live(p->state)) {
		units_format_size(p->kill_rss_bytes, b, sizeof b);
		if (p->rss_bytes >= p->kill_rss_bytes)
			whatnext_put(&w, "over kill line %s", b);
		else {
			units_format_size(p->kill_rss_bytes - p->rss_bytes, a, sizeof a);
			whatnext_put(&w, "%s to kill line %s", a, b);
		}
	}
	left = whatnext_timeout_left_ms(p, now_ms);
	if (left != UINT64_MAX) {
		units_format_elapsed(left, a, sizeof a);
		whatnext_put(&w, "timeout in %s", a);
	}
	left = whatnext_eta_ms(p, now_ms);
	/* A stalled pair has no ETA worth showing. */
	if (left != UINT64_MAX && p->state == PAIR_RUNNING && !p->paused && !p->deadlocked &&
	    p->stalled_ms < WHATNEXT_STALL_SHOWN_MS) {
		units_format_elapsed(left, a, sizeof a);
		whatnext_put(&w, "ETA %s", a);
	}
	return w.parts;
}

int whatnext_wrap(const char *text, const char *sep, int width, int max_lines, int *starts,
                  int *lens)
{
	int n = 0, start = 0, len = (int)strlen(text), seplen = (int)strlen(sep);

	while (start < len && n < max_lines) {
		int end = start, fit = -1;

		/* the longest run of whole parts from start that fits */
		for (;;) {
			const char *next = strstr(text + end, sep);
			int part_end = next != NULL ? (int)(next - text) : len;

			if (part_end - start > width && fit >= 0)
				break;
			fit = part_end;
			if (next == NULL || part_end - start > width)
				break;
			end = part_end + seplen;
		}
		if (n == max_lines - 1)
			fit = len; /* the last line takes the rest, cut when drawn */
		starts[n] = start;
		lens[n] = fit - start;
		n++;
		start = fit + seplen;
	}
	return n;
}
