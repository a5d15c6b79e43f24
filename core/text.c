/* One sentence per event kind, built from the event's own fields. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "text.h"
#include "textout.h"

enum {
	TEXT_MAX_PIDS = 6, /* blocked PIDs named before "and N more" */
};

/* What a kill or an end reason means, or NULL for reasons that are better
 * told by the exit code or signal. */
static const char *text_reason(const char *reason)
{
	static const struct {
		const char *reason, *phrase;
	} phrases[] = {
		{ "rss", "RSS over the kill line" },
		{ "timeout", "ran past its timeout" },
		{ "deadlock", "deadlocked" },
		{ "operator", "stopped by the operator" },
		{ "shutdown", "mergewatch was shutting down" },
		{ "gate", "gave up waiting for the health gate" },
		{ "verify", "its verify command failed" },
		{ "output_missing", "its output is missing" },
		{ "output", "its output is missing or empty" },
		{ "oom", "killed by the kernel's OOM killer" },
		{ "spawn", "could not be started" },
		{ "skip", "skipped by the operator" },
		{ "stop", "an earlier pair failed and on_failure = stop" },
	};

	if (reason == NULL || strcmp(reason, "exit") == 0 || strcmp(reason, "signal") == 0)
		return NULL;
	for (size_t i = 0; i < sizeof phrases / sizeof phrases[0]; i++) {
		if (strcmp(reason, phrases[i].reason) == 0)
			return phrases[i].phrase;
	}
	return reason;
}

/* "exit code 1" or "signal SIGSEGV", from whichever the event has. */
static bool text_add_exit(struct textout *t, const json_t *ev, const char *before)
{
	const json_t *sig = json_object_get(ev, "signal");
	long long code;

	if (json_is_string(sig)) {
		textout_add(t, "%ssignal %s", before, json_string_value(sig));
		return true;
	}
	if (json_is_integer(sig) && json_integer_value(sig) > 0) {
		textout_add(t, "%ssignal %" JSON_INTEGER_FORMAT, before, json_integer_value(sig));
		return true;
	}
	if (textout_int(ev, "exit_code", &code) && code >= 0) {
		textout_add(t, "%sexit code %lld", before, code);
		return true;
	}
	return false;
}

static void text_run_start(struct textout *t, const json_t *ev)
{
	const char *plan = textout_str(ev, "plan"), *mech = textout_str(ev, "limit_mechanism");
	const char *note = textout_str(ev, "limit_note");
	long long pairs;

	textout_add(t, "run started");
	if (plan != NULL)
		textout_add(t, " — plan %s", plan);
	if (textout_int(ev, "pairs", &pairs))
		textout_add(t, "%s%lld pair%s", plan != NULL ? ", " : " — ", pairs,
		            pairs == 1 ? "" : "s");
	if (mech != NULL) {
		textout_add(t, "; kernel memory cap: %s", mech);
		if (note != NULL)
			textout_add(t, " (%s)", note);
	}
}

static void text_deadlock(struct textout *t, const json_t *ev)
{
	const json_t *pids = json_object_get(ev, "blocked_pids");
	const char *capture = textout_str(ev, "capture");
	long long threads, futex;
	double stalled;
	size_t n = json_array_size(pids);
	char b[TEXTOUT_SIZE_LEN];

	const char *sep = " — ";

	textout_add(t, "deadlock");
	if (n > 0) {
		textout_add(t, "%sPID%s ", sep, n == 1 ? "" : "s");
		for (size_t i = 0; i < n && i < TEXT_MAX_PIDS; i++)
			textout_add(t, "%s%" JSON_INTEGER_FORMAT, i > 0 ? ", " : "",
			            json_integer_value(json_array_get(pids, i)));
		if (n > TEXT_MAX_PIDS)
			textout_add(t, " and %zu more", n - TEXT_MAX_PIDS);
		textout_add(t, " blocked on futexes");
		sep = ", ";
	}
	if (textout_int(ev, "futex_threads", &futex) && textout_int(ev, "threads", &threads)) {
		textout_add(t, "%s%lld of %lld threads futex-waiting", sep, futex, threads);
		sep = ", ";
	}
	if (textout_num(ev, "stalled_s", &stalled))
		textout_add(t, "%sno progress for %s", sep, textout_secs(stalled, b));
	if (capture != NULL)
		textout_add(t, "; stacks in %s", capture);
}

static void text_pressure(struct textout *t, const json_t *ev)
{
	uint64_t total, swap_total;
	double psi;

	textout_add(t, "memory pressure —");
	textout_add_size(t, " ", ev, "mem_available", " available");
	if (textout_u64(ev, "mem_total", &total))
		textout_add_size(t, " of ", ev, "mem_total", "");
	if (textout_u64(ev, "swap_total", &swap_total) && swap_total > 0) {
		textout_add_size(t, ", swap ", ev, "swap_used", "");
		textout_add_size(t, " of ", ev, "swap_total", " used");
	}
	if (textout_num(ev, "psi_some_avg10", &psi)) {
		textout_add(t, ", PSI some %.1f%%", psi);
		if (textout_num(ev, "psi_full_avg10", &psi))
			textout_add(t, " full %.1f%%", psi);
	}
}

static void text_kill(struct textout *t, const json_t *ev)
{
	const char *reason = textout_str(ev, "reason"), *sig = textout_str(ev, "signal");
	const char *phrase = text_reason(reason);
	long long pid;
	bool rss_reason = reason != NULL && strcmp(reason, "rss") == 0;

	if (reason != NULL && strcmp(reason, "shutdown") == 0)
		textout_add(t, "stopped — mergewatch is shutting down");
	else if (rss_reason) {
		textout_add(t, "killed —");
		textout_add_size(t, " RSS ", ev, "rss", "");
		if (json_object_get(ev, "kill_rss") != NULL)
			textout_add_size(t, " over its ", ev, "kill_rss", " kill line");
		else
			textout_add(t, " over its kill line");
	} else if (phrase != NULL)
		textout_add(t, "killed — %s", phrase);
	else
		textout_add(t, "killed");
	if (sig != NULL || textout_int(ev, "pid", &pid)) {
		textout_add(t, "; %s", sig != NULL ? sig : "signal");
		if (textout_int(ev, "pid", &pid))
			textout_add(t, " to PID %lld", pid);
	}
	if (!rss_reason) {
		textout_add_size(t, " at RSS ", ev, "rss", "");
		if (json_object_get(ev, "kill_rss") != NULL)
			textout_add_size(t, " (kill line ", ev, "kill_rss", ")");
	}
}

static void text_resolved(struct textout *t, const json_t *ev)
{
	const char *kind = textout_str(ev, "kind");

	if (kind != NULL && strcmp(kind, "pressure") == 0) {
		textout_add(t, "memory pressure resolved");
		textout_add_size(t, " — ", ev, "mem_available", " available");
		return;
	}
	textout_add(t, "%s resolved", kind != NULL ? kind : "alert");
	textout_add_size(t, " — RSS back to ", ev, "rss", "");
}

static void text_pair_end(struct textout *t, const json_t *ev)
{
	const char *status = textout_str(ev, "status"), *reason = textout_str(ev, "reason");
	const char *phrase = text_reason(reason);
	const char *sep = " — ";
	double elapsed, ratio;
	char b[TEXTOUT_SIZE_LEN];

	if (status == NULL)
		status = "ended";
	if (json_is_true(json_object_get(ev, "resumed"))) {
		textout_add(t, "%s (in an earlier run)", status);
		return;
	}
	textout_add(t, "%s", status);
	if (strcmp(status, "done") == 0) {
		sep = " "; /* "done in 12m05s" */
	} else {
		if (phrase != NULL) {
			textout_add(t, "%s%s", sep, phrase);
			sep = ", ";
		} else if (text_add_exit(t, ev, sep)) {
			sep = ", ";
		}
	}
	if (textout_num(ev, "elapsed_s", &elapsed)) {
		textout_add(t, "%s%s %s", sep, strcmp(status, "done") == 0 ? "in" : "after",
		            textout_secs(elapsed, b));
		sep = ", ";
	}
	if (json_object_get(ev, "peak_rss") != NULL) {
		char before[24];

		snprintf(before, sizeof before, "%speak RSS ", strcmp(sep, " ") == 0 ? " — " : sep);
		textout_add_size(t, before, ev, "peak_rss", "");
	}
	if (textout_num(ev, "ratio", &ratio) && ratio > 0)
		textout_add(t, " (%.1f× input)", ratio);
}

static void text_alert_result(struct textout *t, const json_t *ev, bool sent)
{
	const char *kind = textout_str(ev, "kind"), *error = textout_str(ev, "error");
	const char *pair = textout_str(ev, "pair");
	const char *sep = sent ? " (" : " — ";
	long long attempts, status;

	textout_add(t, "alert %s", kind != NULL ? kind : "");
	if (pair != NULL)
		textout_add(t, " for pair %s", pair);
	textout_add(t, " %s", sent ? "sent" : "failed");
	if (textout_int(ev, "attempts", &attempts))
		textout_add(t, " after %lld attempt%s", attempts, attempts == 1 ? "" : "s");
	if (textout_int(ev, "http_status", &status)) {
		textout_add(t, "%sHTTP %lld", sep, status);
		sep = ": ";
	}
	if (error != NULL) {
		textout_add(t, "%s%s", sep, error);
		sep = ": ";
	}
	if (sent && strcmp(sep, ": ") == 0)
		textout_add(t, ")");
}

static void text_body(struct textout *t, const char *name, const json_t *ev)
{
	char b1[TEXTOUT_SIZE_LEN];
	uint64_t u1, u2;
	long long i1, i2;
	double d;

	if (strcmp(name, "run_start") == 0) {
		text_run_start(t, ev);
	} else if (strcmp(name, "gate_wait") == 0) {
		textout_add(t, "waiting for memory —");
		textout_add_size(t, " ", ev, "mem_available", " available");
		textout_add_size(t, ", needs ", ev, "needed_available", "");
		textout_add_size(t, "; swap used ", ev, "swap_used", "");
	} else if (strcmp(name, "pair_start") == 0) {
		textout_add(t, "started");
		if (textout_int(ev, "pid", &i1))
			textout_add(t, " — PID %lld", i1);
		if (textout_int(ev, "attempt", &i2) && i2 > 1)
			textout_add(t, ", attempt %lld", i2);
		if (textout_u64(ev, "input_bytes", &u1) && u1 > 0)
			textout_add(t, ", %s input", textout_size(u1, b1));
	} else if (strcmp(name, "progress") == 0) {
		textout_add(t, "progress");
		if (textout_u64(ev, "done", &u1) && textout_u64(ev, "total", &u2)) {
			textout_add(t, " %" PRIu64 "/%" PRIu64, u1, u2);
			if (u2 > 0)
				textout_add(t, " (%.0f%%)", 100.0 * (double)u1 / (double)u2);
		}
	} else if (strcmp(name, "approach") == 0) {
		textout_add(t, "approaching the kill line —");
		textout_add_size(t, " RSS ", ev, "rss", "");
		textout_add_size(t, " of ", ev, "kill_rss", "");
		if (textout_num(ev, "eta_s", &d) && d >= 0 && d < 1)
			textout_add(t, ", under 1s left at the current growth");
		else if (textout_num(ev, "eta_s", &d) && d >= 0)
			textout_add(t, ", about %s left at the current growth",
			            textout_secs(d, b1));
		else if (json_is_null(json_object_get(ev, "eta_s")))
			textout_add(t, ", not growing now");
	} else if (strcmp(name, "bloat") == 0) {
		bool have_rss = textout_u64(ev, "rss", &u1);
		bool have_ratio = textout_num(ev, "ratio", &d);

		if (!have_ratio && have_rss && textout_u64(ev, "input_bytes", &u2) && u2 > 0) {
			d = (double)u1 / (double)u2;
			have_ratio = true;
		}
		textout_add(t, "bloat —");
		if (have_rss)
			textout_add(t, " RSS %s%s", textout_size(u1, b1), have_ratio ? " =" : "");
		if (have_ratio)
			textout_add(t, " %.1f×", d);
		textout_add_size(t, have_ratio ? " its " : " for ", ev, "input_bytes", " input");
	} else if (strcmp(name, "deadlock") == 0) {
		text_deadlock(t, ev);
	} else if (strcmp(name, "stall") == 0) {
		const json_t *w = json_array_get(json_object_get(ev, "waiting_on"), 0);

		textout_add(t, "stalled, waiting outside (not a deadlock)");
		if (textout_str(w, "what") != NULL)
			textout_add(t, " — on %s", textout_str(w, "what"));
		if (textout_num(ev, "stalled_s", &d))
			textout_add(t, ", no progress for %s", textout_secs(d, b1));
	} else if (strcmp(name, "pressure") == 0) {
		text_pressure(t, ev);
	} else if (strcmp(name, "kill") == 0) {
		text_kill(t, ev);
	} else if (strcmp(name, "resolved") == 0) {
		text_resolved(t, ev);
	} else if (strcmp(name, "pair_end") == 0) {
		text_pair_end(t, ev);
	} else if (strcmp(name, "cleanup") == 0) {
		const char *path = textout_str(ev, "path");

		textout_add(t, "cleanup");
		if (path != NULL)
			textout_add(t, " — deleted %s", path);
		textout_add_size(t, ", freed ", ev, "bytes_freed", "");
	} else if (strcmp(name, "alert_sent") == 0 || strcmp(name, "alert_failed") == 0) {
		text_alert_result(t, ev, strcmp(name, "alert_sent") == 0);
	} else if (strcmp(name, "run_end") == 0) {
		static const char *const counts[] = { "done", "failed", "killed", "skipped" };
		const char *sep = " — ";

		textout_add(t, "run finished");
		if (textout_num(ev, "elapsed_s", &d))
			textout_add(t, " in %s", textout_secs(d, b1));
		for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
			if (textout_int(ev, counts[i], &i1)) {
				textout_add(t, "%s%lld %s", sep, i1, counts[i]);
				sep = ", ";
			}
		}
	} else if (strcmp(name, "test") == 0) {
		textout_add(t, "test alert — this channel receives mergewatch's alerts");
	} else {
		textout_add(t, "%s", name);
	}
}

char *text_event(const json_t *event, const char *host, char *buf, size_t len)
{
	struct textout t = { .buf = buf, .len = len, .used = 0 };
	const char *name = textout_str(event, "event"), *pair = textout_str(event, "pair");

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (name == NULL)
		name = "event";
	if (host != NULL)
		textout_add(&t, "mergewatch@%s: ", host);
	/* alert_sent/failed name the pair of the alert they are about. */
	if (pair != NULL && strncmp(name, "alert_", 6) != 0)
		textout_add(&t, "pair %s ", pair);
	text_body(&t, name, event);
	if (t.cut)
		textout_cut(buf, len - 1);
	return buf;
}

const char *text_alert_kind(const json_t *event, char *buf, size_t len)
{
	static const char *const plain[] = {
		"approach", "bloat", "deadlock", "stall", "pressure", "kill", "run_end", "test",
	};
	const char *name = textout_str(event, "event");

	if (name == NULL || len == 0)
		return NULL;
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
		if (strcmp(name, plain[i]) == 0) {
			snprintf(buf, len, "%s", name);
			return buf;
		}
	}
	if (strcmp(name, "resolved") == 0) {
		const char *kind = textout_str(event, "kind");

		snprintf(buf, len, "%s_resolved", kind != NULL ? kind : "alert");
		return buf;
	}
	if (strcmp(name, "pair_end") == 0) {
		const char *status = textout_str(event, "status"),
			   *reason = textout_str(event, "reason");

		if (status == NULL)
			return NULL;
		if (strcmp(status, "failed") == 0 && reason != NULL && strcmp(reason, "gate") == 0)
			snprintf(buf, len, "gate_timeout");
		else if (strcmp(status, "failed") == 0 || strcmp(status, "killed") == 0)
			snprintf(buf, len, "pair_%s", status);
		else
			return NULL;
		return buf;
	}
	return NULL;
}

const char *text_alert_name(const json_t *event, char *buf, size_t len)
{
	const char *name = textout_str(event, "event"), *kind = textout_str(event, "kind");

	if (name != NULL && strcmp(name, "resolved") == 0 && kind != NULL && len > 0) {
		snprintf(buf, len, "%s", kind);
		return buf;
	}
	return text_alert_kind(event, buf, len);
}

char *text_truncate(char *s, size_t max)
{
	if (strlen(s) > max)
		textout_cut(s, max);
	return s;
}
