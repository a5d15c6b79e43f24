/* One sentence per event kind, built from the event's own fields. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "event.h"
#include "text.h"
#include "textout.h"

enum {
	TEXT_MAX_PIDS = 6, /* blocked PIDs named before "and N more" */
};

/* What a kill or an end reason means, or NULL for reasons that are better
 * told by the exit code or signal. */
static const char *text_reason(const struct event *ev, enum event_reason r)
{
	const char *phrase = event_reason_phrase(r);

	if (r == REASON_NONE || r == REASON_EXIT || r == REASON_SIGNAL)
		return NULL;
	if (phrase != NULL)
		return phrase;
	return r == REASON_OTHER ? ev->other : event_reason_name(r);
}

/* "exit code 1" or "signal SIGSEGV", from whichever the event has. */
static bool text_add_exit(struct textout *t, const struct event *ev, const char *before)
{
	if (event_has(ev, EF_SIGNAL) && ev->signal != NULL) {
		textout_add(t, "%ssignal %s", before, ev->signal);
		return true;
	}
	if (event_has(ev, EF_EXIT_CODE) && ev->exit_code >= 0) {
		textout_add(t, "%sexit code %d", before, ev->exit_code);
		return true;
	}
	return false;
}

static const char *text_str(const struct event *ev, enum event_field f, const char *s)
{
	return event_has(ev, f) ? s : NULL;
}

void text_run_start(struct textout *t, const struct event *ev)
{
	const char *plan = text_str(ev, EF_PLAN, ev->plan);
	const char *mech = text_str(ev, EF_LIMIT_MECHANISM, ev->limit_mechanism);
	const char *note = text_str(ev, EF_LIMIT_NOTE, ev->limit_note);

	textout_add(t, "run started");
	if (plan != NULL)
		textout_add(t, " — plan %s", plan);
	if (event_has(ev, EF_PAIRS))
		textout_add(t, "%s%d pair%s", plan != NULL ? ", " : " — ", ev->pairs,
		            ev->pairs == 1 ? "" : "s");
	if (mech != NULL) {
		textout_add(t, "; kernel memory cap: %s", mech);
		if (note != NULL)
			textout_add(t, " (%s)", note);
	}
}

void text_gate_wait(struct textout *t, const struct event *ev)
{
	textout_add(t, "waiting for memory —");
	textout_add_size(t, " ", event_has(ev, EF_MEM_AVAILABLE), ev->mem_available, " available");
	textout_add_size(t, ", needs ", event_has(ev, EF_NEEDED_AVAILABLE), ev->needed_available,
	                 "");
	textout_add_size(t, "; swap used ", event_has(ev, EF_SWAP_USED), ev->swap_used, "");
}

void text_pair_start(struct textout *t, const struct event *ev)
{
	char b[TEXTOUT_SIZE_LEN];

	textout_add(t, "started");
	if (event_has(ev, EF_PID))
		textout_add(t, " — PID %d", ev->pid);
	if (event_has(ev, EF_ATTEMPT) && ev->attempt > 1)
		textout_add(t, ", attempt %d", ev->attempt);
	if (event_has(ev, EF_INPUT_BYTES) && ev->input_bytes > 0)
		textout_add(t, ", %s input", textout_size(ev->input_bytes, b));
}

void text_progress(struct textout *t, const struct event *ev)
{
	uint64_t done = ev->progress_done, total = ev->progress_total;

	textout_add(t, "progress");
	if (event_has(ev, EF_PROGRESS_DONE) && event_has(ev, EF_PROGRESS_TOTAL)) {
		textout_add(t, " %" PRIu64 "/%" PRIu64, done, total);
		if (total > 0)
			textout_add(t, " (%.0f%%)", 100.0 * (double)done / (double)total);
	}
}

void text_approach(struct textout *t, const struct event *ev)
{
	char b[TEXTOUT_SIZE_LEN];

	textout_add(t, "approaching the kill line —");
	textout_add_size(t, " RSS ", event_has(ev, EF_RSS), ev->rss, "");
	textout_add_size(t, " of ", event_has(ev, EF_KILL_RSS), ev->kill_rss, "");
	if (event_has(ev, EF_ETA_S) && ev->eta_s >= 0 && ev->eta_s < 1)
		textout_add(t, ", under 1s left at the current growth"); /* not "about 0s" */
	else if (event_has(ev, EF_ETA_S) && ev->eta_s >= 0)
		textout_add(t, ", about %s left at the current growth", textout_secs(ev->eta_s, b));
	else if (!event_has(ev, EF_ETA_S)) /* null: not growing */
		textout_add(t, ", not growing now");
}

void text_bloat(struct textout *t, const struct event *ev)
{
	char b[TEXTOUT_SIZE_LEN];
	bool have_rss = event_has(ev, EF_RSS);
	bool have_ratio = event_has(ev, EF_RATIO);
	double ratio = ev->ratio;

	if (!have_ratio && have_rss && event_has(ev, EF_INPUT_BYTES) && ev->input_bytes > 0) {
		ratio = (double)ev->rss / (double)ev->input_bytes;
		have_ratio = true;
	}
	textout_add(t, "bloat —");
	if (have_rss)
		textout_add(t, " RSS %s%s", textout_size(ev->rss, b), have_ratio ? " =" : "");
	if (have_ratio)
		textout_add(t, " %.1f×", ratio);
	textout_add_size(t, have_ratio ? " its " : " for ", event_has(ev, EF_INPUT_BYTES),
	                 ev->input_bytes, " input");
}

void text_deadlock(struct textout *t, const struct event *ev)
{
	int n = event_has(ev, EF_BLOCKED_PIDS) ? ev->n_blocked : 0;
	const char *capture = text_str(ev, EF_CAPTURE, ev->capture);
	char b[TEXTOUT_SIZE_LEN];
	const char *sep = " — ";

	textout_add(t, "deadlock");
	if (n > 0) {
		textout_add(t, "%sPID%s ", sep, n == 1 ? "" : "s");
		for (int i = 0; i < n && i < TEXT_MAX_PIDS && i < EVENT_MAX_PIDS; i++)
			textout_add(t, "%s%d", i > 0 ? ", " : "", (int)ev->blocked_pids[i]);
		if (n > TEXT_MAX_PIDS)
			textout_add(t, " and %d more", n - TEXT_MAX_PIDS);
		textout_add(t, " blocked on futexes");
		sep = ", ";
	}
	if (event_has(ev, EF_FUTEX_THREADS) && event_has(ev, EF_THREADS)) {
		textout_add(t, "%s%d of %d threads futex-waiting", sep, ev->futex_threads,
		            ev->threads);
		sep = ", ";
	}
	if (event_has(ev, EF_STALLED_S))
		textout_add(t, "%sno progress for %s", sep, textout_secs(ev->stalled_s, b));
	if (capture != NULL)
		textout_add(t, "; stacks in %s", capture);
}

void text_stall(struct textout *t, const struct event *ev)
{
	int n = event_has(ev, EF_WAITING_ON) ? ev->n_waiting_on : 0;
	const char *capture = text_str(ev, EF_CAPTURE, ev->capture);
	char b[TEXTOUT_SIZE_LEN];

	textout_add(t, "stalled");
	if (event_has(ev, EF_STALLED_S))
		textout_add(t, " — no progress for %s", textout_secs(ev->stalled_s, b));
	for (int i = 0; i < n && i < EVENT_MAX_WAITS; i++)
		textout_add(t, "%s%s (PID %d)", i == 0 ? ", waiting on " : ", ",
		            ev->waiting_on[i].what, (int)ev->waiting_on[i].pid);
	if (capture != NULL)
		textout_add(t, "; stacks in %s", capture);
}

void text_pressure(struct textout *t, const struct event *ev)
{
	textout_add(t, "memory pressure —");
	textout_add_size(t, " ", event_has(ev, EF_MEM_AVAILABLE), ev->mem_available, " available");
	textout_add_size(t, " of ", event_has(ev, EF_MEM_TOTAL), ev->mem_total, "");
	if (event_has(ev, EF_SWAP_TOTAL) && ev->swap_total > 0) {
		textout_add_size(t, ", swap ", event_has(ev, EF_SWAP_USED), ev->swap_used, "");
		textout_add_size(t, " of ", true, ev->swap_total, " used");
	}
	if (event_has(ev, EF_PSI_SOME)) {
		textout_add(t, ", PSI some %.1f%%", ev->psi_some_avg10);
		if (event_has(ev, EF_PSI_FULL))
			textout_add(t, " full %.1f%%", ev->psi_full_avg10);
	}
}

void text_kill(struct textout *t, const struct event *ev)
{
	enum event_reason reason = event_has(ev, EF_KILL_REASON) ? ev->kill_reason : REASON_NONE;
	const char *sig = text_str(ev, EF_SIGNAL, ev->signal);
	const char *phrase = text_reason(ev, reason);
	bool has_pid = event_has(ev, EF_PID);
	bool has_line = event_has(ev, EF_KILL_RSS);

	if (reason == REASON_SHUTDOWN)
		textout_add(t, "stopped — mergewatch is shutting down");
	else if (reason == REASON_RSS) {
		textout_add(t, "killed —");
		textout_add_size(t, " RSS ", event_has(ev, EF_RSS), ev->rss, "");
		if (has_line)
			textout_add_size(t, " over its ", true, ev->kill_rss, " kill line");
		else
			textout_add(t, " over its kill line");
	} else if (phrase != NULL)
		textout_add(t, "killed — %s", phrase);
	else
		textout_add(t, "killed");
	if (sig != NULL || has_pid) {
		textout_add(t, "; %s", sig != NULL ? sig : "signal");
		if (has_pid)
			textout_add(t, " to PID %d", ev->pid);
	}
	if (reason != REASON_RSS) {
		textout_add_size(t, " at RSS ", event_has(ev, EF_RSS), ev->rss, "");
		textout_add_size(t, " (kill line ", has_line, ev->kill_rss, ")");
	}
}

void text_resolved(struct textout *t, const struct event *ev)
{
	bool known = event_has(ev, EF_CONDITION);

	if (known && ev->condition == CONDITION_PRESSURE) {
		textout_add(t, "memory pressure resolved");
		textout_add_size(t, " — ", event_has(ev, EF_MEM_AVAILABLE), ev->mem_available,
		                 " available");
		return;
	}
	textout_add(t, "%s resolved", known ? event_condition_name(ev->condition) : "alert");
	textout_add_size(t, " — RSS back to ", event_has(ev, EF_RSS), ev->rss, "");
}

void text_pair_end(struct textout *t, const struct event *ev)
{
	bool known = event_has(ev, EF_STATUS);
	bool done = known && ev->status == STATUS_DONE;
	const char *status = known ? event_status_name(ev->status) : "ended";
	const char *phrase =
		text_reason(ev, event_has(ev, EF_END_REASON) ? ev->end_reason : REASON_NONE);
	const char *sep = " — ";
	char b[TEXTOUT_SIZE_LEN];

	if (event_has(ev, EF_RESUMED) && ev->resumed) {
		textout_add(t, "%s (in an earlier run)", status);
		return;
	}
	textout_add(t, "%s", status);
	if (done) {
		sep = " "; /* "done in 12m05s" */
	} else {
		if (phrase != NULL) {
			textout_add(t, "%s%s", sep, phrase);
			sep = ", ";
		} else if (text_add_exit(t, ev, sep)) {
			sep = ", ";
		}
	}
	if (event_has(ev, EF_ELAPSED_S)) {
		textout_add(t, "%s%s %s", sep, done ? "in" : "after",
		            textout_secs(ev->elapsed_s, b));
		sep = ", ";
	}
	if (event_has(ev, EF_PEAK_RSS)) {
		char before[24];

		snprintf(before, sizeof before, "%speak RSS ", strcmp(sep, " ") == 0 ? " — " : sep);
		textout_add_size(t, before, true, ev->peak_rss, "");
	}
	if (event_has(ev, EF_RATIO) && ev->ratio > 0)
		textout_add(t, " (%.1f× input)", ev->ratio);
	/* The first thing to read after a failure: the job's own words. */
	if (event_has(ev, EF_LOG) && ev->log != NULL)
		textout_add(t, " — log %s", ev->log);
}

void text_cleanup(struct textout *t, const struct event *ev)
{
	const char *path = text_str(ev, EF_PATH, ev->path);

	textout_add(t, "cleanup");
	if (path != NULL)
		textout_add(t, " — deleted %s", path);
	textout_add_size(t, ", freed ", event_has(ev, EF_BYTES_FREED), ev->bytes_freed, "");
}

static void text_alert_result(struct textout *t, const struct event *ev, bool sent)
{
	const char *kind = event_has(ev, EF_ALERT_KIND) ? alert_kind_name(ev->alert_kind) : NULL;
	const char *error = text_str(ev, EF_ERROR, ev->error);
	const char *pair = text_str(ev, EF_PAIR, ev->pair);
	const char *sep = sent ? " (" : " — ";
	bool bracket = false;

	textout_add(t, "alert %s", kind != NULL ? kind : "");
	if (pair != NULL)
		textout_add(t, " for pair %s", pair);
	textout_add(t, " %s", sent ? "sent" : "failed");
	if (event_has(ev, EF_ATTEMPTS))
		textout_add(t, " after %d attempt%s", ev->attempts, ev->attempts == 1 ? "" : "s");
	if (event_has(ev, EF_HTTP_STATUS)) {
		textout_add(t, "%sHTTP %d", sep, ev->http_status);
		sep = ": ";
		bracket = true;
	}
	if (error != NULL) {
		textout_add(t, "%s%s", sep, error);
		bracket = true;
	}
	if (sent && bracket)
		textout_add(t, ")");
}

void text_alert_sent(struct textout *t, const struct event *ev)
{
	text_alert_result(t, ev, true);
}

void text_alert_failed(struct textout *t, const struct event *ev)
{
	text_alert_result(t, ev, false);
}

void text_run_end(struct textout *t, const struct event *ev)
{
	const struct {
		enum event_field f;
		int n;
		const char *word;
	} counts[] = {
		{ EF_N_DONE, ev->n_done, "done" },
		{ EF_N_FAILED, ev->n_failed, "failed" },
		{ EF_N_KILLED, ev->n_killed, "killed" },
		{ EF_N_SKIPPED, ev->n_skipped, "skipped" },
	};
	const char *sep = " — ";
	char b[TEXTOUT_SIZE_LEN];

	textout_add(t, "run finished");
	if (event_has(ev, EF_ELAPSED_S))
		textout_add(t, " in %s", textout_secs(ev->elapsed_s, b));
	for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
		if (event_has(ev, counts[i].f)) {
			textout_add(t, "%s%d %s", sep, counts[i].n, counts[i].word);
			sep = ", ";
		}
	}
}

void text_test(struct textout *t, const struct event *ev)
{
	(void)ev;
	textout_add(t, "test alert — this channel receives mergewatch's alerts");
}

void text_other(struct textout *t, const struct event *ev)
{
	textout_add(t, "%s", ev->other[0] != '\0' ? ev->other : "event");
}

char *text_event(const struct event *ev, const char *host, char *buf, size_t len)
{
	struct textout t = { .buf = buf, .len = len, .used = 0 };

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (host != NULL)
		textout_add(&t, "mergewatch@%s: ", host);
	if (ev == NULL) {
		textout_add(&t, "event");
		return buf;
	}
	/* alert_sent/failed name the pair of the alert they are about. */
	if (event_has(ev, EF_PAIR) && ev->pair != NULL && ev->kind != EVENT_ALERT_SENT &&
	    ev->kind != EVENT_ALERT_FAILED)
		textout_add(&t, "pair %s ", ev->pair);
	event_kind_text(ev->kind)(&t, ev);
	if (t.cut)
		textout_cut(buf, len - 1);
	return buf;
}

char *text_truncate(char *s, size_t max)
{
	if (strlen(s) > max)
		textout_cut(s, max);
	return s;
}
