/* One sentence per event kind, built from the event's own fields. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../runner/units.h"
#include "text.h"

enum {
	TEXT_SIZE_LEN = 32,     /* "1023.9 GiB" and more */
	TEXT_MAX_PIDS = 6,      /* blocked PIDs named before "and N more" */
};

/* A sentence being written into a caller's buffer; what does not fit is cut
 * at the end (text_truncate mends the last character). */
struct text_out {
	char *buf;
	size_t len;
	size_t used;
	bool cut;       /* something did not fit */
};

static void text_add(struct text_out *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void text_add(struct text_out *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->used >= t->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->used, t->len - t->used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= t->len - t->used) {
		t->used = t->len - 1;
		t->cut = true;
	} else {
		t->used += (size_t)n;
	}
}

static const char *ev_str(const json_t *ev, const char *key)
{
	return json_string_value(json_object_get(ev, key));
}

/* A non-negative number (sizes are integers, but be lenient). */
static bool ev_u64(const json_t *ev, const char *key, uint64_t *out)
{
	const json_t *v = json_object_get(ev, key);

	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return true;
	}
	if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 1.8e19) {
		*out = (uint64_t)json_real_value(v);
		return true;
	}
	return false;
}

static bool ev_num(const json_t *ev, const char *key, double *out)
{
	const json_t *v = json_object_get(ev, key);

	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return isfinite(*out);
}

static bool ev_int(const json_t *ev, const char *key, long long *out)
{
	const json_t *v = json_object_get(ev, key);

	if (!json_is_integer(v))
		return false;
	*out = (long long)json_integer_value(v);
	return true;
}

static const char *text_size(uint64_t bytes, char *buf)
{
	return units_format_size(bytes, buf, TEXT_SIZE_LEN);
}

/* Seconds as people read them: "42s", "3m05s", "2h14m". */
static const char *text_secs(double s, char *buf)
{
	if (!(s > 0))
		s = 0;
	return units_format_elapsed((uint64_t)llround(s * 1000.0), buf, TEXT_SIZE_LEN);
}

/* ", figure": sizes that are there, skipped when missing. */
static void text_add_size(struct text_out *t, const char *before, const json_t *ev,
			  const char *key, const char *after)
{
	char b[TEXT_SIZE_LEN];
	uint64_t v;

	if (ev_u64(ev, key, &v))
		text_add(t, "%s%s%s", before, text_size(v, b), after);
}

/* What a kill or an end reason means, or NULL for reasons that are better
 * told by the exit code or signal. */
static const char *text_reason(const char *reason)
{
	static const struct { const char *reason, *phrase; } phrases[] = {
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
static bool text_add_exit(struct text_out *t, const json_t *ev, const char *before)
{
	const json_t *sig = json_object_get(ev, "signal");
	long long code;

	if (json_is_string(sig)) {
		text_add(t, "%ssignal %s", before, json_string_value(sig));
		return true;
	}
	if (json_is_integer(sig) && json_integer_value(sig) > 0) {
		text_add(t, "%ssignal %" JSON_INTEGER_FORMAT, before, json_integer_value(sig));
		return true;
	}
	if (ev_int(ev, "exit_code", &code) && code >= 0) {
		text_add(t, "%sexit code %lld", before, code);
		return true;
	}
	return false;
}

static void text_run_start(struct text_out *t, const json_t *ev)
{
	const char *plan = ev_str(ev, "plan"), *mech = ev_str(ev, "limit_mechanism");
	const char *note = ev_str(ev, "limit_note");
	long long pairs;

	text_add(t, "run started");
	if (plan != NULL)
		text_add(t, " — plan %s", plan);
	if (ev_int(ev, "pairs", &pairs))
		text_add(t, "%s%lld pair%s", plan != NULL ? ", " : " — ", pairs, pairs == 1 ? "" : "s");
	if (mech != NULL) {
		text_add(t, "; kernel memory cap: %s", mech);
		if (note != NULL)
			text_add(t, " (%s)", note);
	}
}

static void text_deadlock(struct text_out *t, const json_t *ev)
{
	const json_t *pids = json_object_get(ev, "blocked_pids");
	const char *capture = ev_str(ev, "capture");
	long long threads, futex;
	double stalled;
	size_t n = json_array_size(pids);
	char b[TEXT_SIZE_LEN];

	const char *sep = " — ";

	text_add(t, "deadlock");
	if (n > 0) {
		text_add(t, "%sPID%s ", sep, n == 1 ? "" : "s");
		for (size_t i = 0; i < n && i < TEXT_MAX_PIDS; i++)
			text_add(t, "%s%" JSON_INTEGER_FORMAT, i > 0 ? ", " : "",
				 json_integer_value(json_array_get(pids, i)));
		if (n > TEXT_MAX_PIDS)
			text_add(t, " and %zu more", n - TEXT_MAX_PIDS);
		text_add(t, " blocked on futexes");
		sep = ", ";
	}
	if (ev_int(ev, "futex_threads", &futex) && ev_int(ev, "threads", &threads)) {
		text_add(t, "%s%lld of %lld threads futex-waiting", sep, futex, threads);
		sep = ", ";
	}
	if (ev_num(ev, "stalled_s", &stalled))
		text_add(t, "%sno progress for %s", sep, text_secs(stalled, b));
	if (capture != NULL)
		text_add(t, "; stacks in %s", capture);
}

static void text_pressure(struct text_out *t, const json_t *ev)
{
	uint64_t total, swap_total;
	double psi;

	text_add(t, "memory pressure —");
	text_add_size(t, " ", ev, "mem_available", " available");
	if (ev_u64(ev, "mem_total", &total))
		text_add_size(t, " of ", ev, "mem_total", "");
	if (ev_u64(ev, "swap_total", &swap_total) && swap_total > 0) {
		text_add_size(t, ", swap ", ev, "swap_used", "");
		text_add_size(t, " of ", ev, "swap_total", " used");
	}
	if (ev_num(ev, "psi_some_avg10", &psi)) {
		text_add(t, ", PSI some %.1f%%", psi);
		if (ev_num(ev, "psi_full_avg10", &psi))
			text_add(t, " full %.1f%%", psi);
	}
}

static void text_kill(struct text_out *t, const json_t *ev)
{
	const char *reason = ev_str(ev, "reason"), *sig = ev_str(ev, "signal");
	const char *phrase = text_reason(reason);
	long long pid;
	bool rss_reason = reason != NULL && strcmp(reason, "rss") == 0;

	if (reason != NULL && strcmp(reason, "shutdown") == 0)
		text_add(t, "stopped — mergewatch is shutting down");
	else if (rss_reason) {
		text_add(t, "killed —");
		text_add_size(t, " RSS ", ev, "rss", "");
		if (json_object_get(ev, "kill_rss") != NULL)
			text_add_size(t, " over its ", ev, "kill_rss", " kill line");
		else
			text_add(t, " over its kill line");
	} else if (phrase != NULL)
		text_add(t, "killed — %s", phrase);
	else
		text_add(t, "killed");
	if (sig != NULL || ev_int(ev, "pid", &pid)) {
		text_add(t, "; %s", sig != NULL ? sig : "signal");
		if (ev_int(ev, "pid", &pid))
			text_add(t, " to PID %lld", pid);
	}
	if (!rss_reason) {
		text_add_size(t, " at RSS ", ev, "rss", "");
		if (json_object_get(ev, "kill_rss") != NULL)
			text_add_size(t, " (kill line ", ev, "kill_rss", ")");
	}
}

static void text_resolved(struct text_out *t, const json_t *ev)
{
	const char *kind = ev_str(ev, "kind");

	if (kind != NULL && strcmp(kind, "pressure") == 0) {
		text_add(t, "memory pressure resolved");
		text_add_size(t, " — ", ev, "mem_available", " available");
		return;
	}
	text_add(t, "%s resolved", kind != NULL ? kind : "alert");
	text_add_size(t, " — RSS back to ", ev, "rss", "");
}

static void text_pair_end(struct text_out *t, const json_t *ev)
{
	const char *status = ev_str(ev, "status"), *reason = ev_str(ev, "reason");
	const char *phrase = text_reason(reason);
	const char *sep = " — ";
	double elapsed, ratio;
	char b[TEXT_SIZE_LEN];

	if (status == NULL)
		status = "ended";
	if (json_is_true(json_object_get(ev, "resumed"))) {
		text_add(t, "%s (in an earlier run)", status);
		return;
	}
	text_add(t, "%s", status);
	if (strcmp(status, "done") == 0) {
		sep = " ";      /* "done in 12m05s" */
	} else {
		if (phrase != NULL) {
			text_add(t, "%s%s", sep, phrase);
			sep = ", ";
		} else if (text_add_exit(t, ev, sep)) {
			sep = ", ";
		}
	}
	if (ev_num(ev, "elapsed_s", &elapsed)) {
		text_add(t, "%s%s %s", sep, strcmp(status, "done") == 0 ? "in" : "after",
			 text_secs(elapsed, b));
		sep = ", ";
	}
	if (json_object_get(ev, "peak_rss") != NULL) {
		char before[24];

		snprintf(before, sizeof before, "%speak RSS ", strcmp(sep, " ") == 0 ? " — " : sep);
		text_add_size(t, before, ev, "peak_rss", "");
	}
	if (ev_num(ev, "ratio", &ratio) && ratio > 0)
		text_add(t, " (%.1f× input)", ratio);
}

static void text_alert_result(struct text_out *t, const json_t *ev, bool sent)
{
	const char *kind = ev_str(ev, "kind"), *error = ev_str(ev, "error");
	const char *pair = ev_str(ev, "pair");
	const char *sep = sent ? " (" : " — ";
	long long attempts, status;

	text_add(t, "alert %s", kind != NULL ? kind : "");
	if (pair != NULL)
		text_add(t, " for pair %s", pair);
	text_add(t, " %s", sent ? "sent" : "failed");
	if (ev_int(ev, "attempts", &attempts))
		text_add(t, " after %lld attempt%s", attempts, attempts == 1 ? "" : "s");
	if (ev_int(ev, "http_status", &status)) {
		text_add(t, "%sHTTP %lld", sep, status);
		sep = ": ";
	}
	if (error != NULL) {
		text_add(t, "%s%s", sep, error);
		sep = ": ";
	}
	if (sent && strcmp(sep, ": ") == 0)
		text_add(t, ")");
}

static void text_body(struct text_out *t, const char *name, const json_t *ev)
{
	char b1[TEXT_SIZE_LEN];
	uint64_t u1, u2;
	long long i1, i2;
	double d;

	if (strcmp(name, "run_start") == 0) {
		text_run_start(t, ev);
	} else if (strcmp(name, "gate_wait") == 0) {
		text_add(t, "waiting for memory —");
		text_add_size(t, " ", ev, "mem_available", " available");
		text_add_size(t, ", needs ", ev, "needed_available", "");
		text_add_size(t, "; swap used ", ev, "swap_used", "");
	} else if (strcmp(name, "pair_start") == 0) {
		text_add(t, "started");
		if (ev_int(ev, "pid", &i1))
			text_add(t, " — PID %lld", i1);
		if (ev_int(ev, "attempt", &i2) && i2 > 1)
			text_add(t, ", attempt %lld", i2);
		if (ev_u64(ev, "input_bytes", &u1) && u1 > 0)
			text_add(t, ", %s input", text_size(u1, b1));
	} else if (strcmp(name, "progress") == 0) {
		text_add(t, "progress");
		if (ev_u64(ev, "done", &u1) && ev_u64(ev, "total", &u2)) {
			text_add(t, " %" PRIu64 "/%" PRIu64, u1, u2);
			if (u2 > 0)
				text_add(t, " (%.0f%%)", 100.0 * (double)u1 / (double)u2);
		}
	} else if (strcmp(name, "approach") == 0) {
		text_add(t, "approaching the kill line —");
		text_add_size(t, " RSS ", ev, "rss", "");
		text_add_size(t, " of ", ev, "kill_rss", "");
		if (ev_num(ev, "eta_s", &d) && d >= 0)
			text_add(t, ", about %s left at the current growth", text_secs(d, b1));
		else if (json_is_null(json_object_get(ev, "eta_s")))
			text_add(t, ", not growing now");
	} else if (strcmp(name, "bloat") == 0) {
		bool have_rss = ev_u64(ev, "rss", &u1);
		bool have_ratio = ev_num(ev, "ratio", &d);

		if (!have_ratio && have_rss && ev_u64(ev, "input_bytes", &u2) && u2 > 0) {
			d = (double)u1 / (double)u2;
			have_ratio = true;
		}
		text_add(t, "bloat —");
		if (have_rss)
			text_add(t, " RSS %s%s", text_size(u1, b1), have_ratio ? " =" : "");
		if (have_ratio)
			text_add(t, " %.1f×", d);
		text_add_size(t, have_ratio ? " its " : " for ", ev, "input_bytes", " input");
	} else if (strcmp(name, "deadlock") == 0) {
		text_deadlock(t, ev);
	} else if (strcmp(name, "pressure") == 0) {
		text_pressure(t, ev);
	} else if (strcmp(name, "kill") == 0) {
		text_kill(t, ev);
	} else if (strcmp(name, "resolved") == 0) {
		text_resolved(t, ev);
	} else if (strcmp(name, "pair_end") == 0) {
		text_pair_end(t, ev);
	} else if (strcmp(name, "cleanup") == 0) {
		const char *path = ev_str(ev, "path");

		text_add(t, "cleanup");
		if (path != NULL)
			text_add(t, " — deleted %s", path);
		text_add_size(t, ", freed ", ev, "bytes_freed", "");
	} else if (strcmp(name, "alert_sent") == 0 || strcmp(name, "alert_failed") == 0) {
		text_alert_result(t, ev, strcmp(name, "alert_sent") == 0);
	} else if (strcmp(name, "run_end") == 0) {
		static const char *const counts[] = { "done", "failed", "killed", "skipped" };
		const char *sep = " — ";

		text_add(t, "run finished");
		if (ev_num(ev, "elapsed_s", &d))
			text_add(t, " in %s", text_secs(d, b1));
		for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
			if (ev_int(ev, counts[i], &i1)) {
				text_add(t, "%s%lld %s", sep, i1, counts[i]);
				sep = ", ";
			}
		}
	} else if (strcmp(name, "test") == 0) {
		text_add(t, "test alert — this channel receives mergewatch's alerts");
	} else {
		text_add(t, "%s", name);
	}
}

/* Ends s at max bytes or fewer, at a character boundary, with "…". */
static void text_cut(char *s, size_t max)
{
	static const char ellipsis[] = "…";   /* 3 bytes in UTF-8 */
	size_t cut;

	if (max < sizeof ellipsis - 1) {
		cut = max;
		while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
			cut--;
		s[cut] = '\0';
		return;
	}
	cut = max - (sizeof ellipsis - 1);
	/* Back up to the first byte of a character. */
	while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--;
	memcpy(s + cut, ellipsis, sizeof ellipsis);
}

char *text_event(const json_t *event, const char *host, char *buf, size_t len)
{
	struct text_out t = { .buf = buf, .len = len, .used = 0 };
	const char *name = ev_str(event, "event"), *pair = ev_str(event, "pair");

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (name == NULL)
		name = "event";
	if (host != NULL)
		text_add(&t, "mergewatch@%s: ", host);
	/* alert_sent/failed name the pair of the alert they are about. */
	if (pair != NULL && strncmp(name, "alert_", 6) != 0)
		text_add(&t, "pair %s ", pair);
	text_body(&t, name, event);
	if (t.cut)
		text_cut(buf, len - 1);
	return buf;
}

const char *text_alert_kind(const json_t *event, char *buf, size_t len)
{
	static const char *const plain[] = {
		"approach", "bloat", "deadlock", "pressure", "kill", "run_end", "test",
	};
	const char *name = ev_str(event, "event");

	if (name == NULL || len == 0)
		return NULL;
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
		if (strcmp(name, plain[i]) == 0) {
			snprintf(buf, len, "%s", name);
			return buf;
		}
	}
	if (strcmp(name, "resolved") == 0) {
		const char *kind = ev_str(event, "kind");

		snprintf(buf, len, "%s_resolved", kind != NULL ? kind : "alert");
		return buf;
	}
	if (strcmp(name, "pair_end") == 0) {
		const char *status = ev_str(event, "status"), *reason = ev_str(event, "reason");

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
	const char *name = ev_str(event, "event"), *kind = ev_str(event, "kind");

	if (name != NULL && strcmp(name, "resolved") == 0 && kind != NULL && len > 0) {
		snprintf(buf, len, "%s", kind);
		return buf;
	}
	return text_alert_kind(event, buf, len);
}

char *text_truncate(char *s, size_t max)
{
	if (strlen(s) > max)
		text_cut(s, max);
	return s;
}
