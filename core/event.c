/* The tables behind event.h: one row per value, nothing else holds these
 * names. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "textout.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define USES(...)                                                                                  \
	(const struct event_field_use[]){ __VA_ARGS__ },                                           \
		N_OF(((const struct event_field_use[]){ __VA_ARGS__ }))
#define R(f)                                                                                       \
	{                                                                                          \
		f, EP_REQUIRED                                                                     \
	}
#define N(f)                                                                                       \
	{                                                                                          \
		f, EP_NULLABLE                                                                     \
	}
#define O(f)                                                                                       \
	{                                                                                          \
		f, EP_OPTIONAL                                                                     \
	}
#define E(f)                                                                                       \
	{                                                                                          \
		f, EP_ELSE                                                                         \
	}

struct event_kind_row {
	const char *name;
	enum event_priority priority;
	text_kind_fn text;
	/* the fields in the order the log writes them */
	const struct event_field_use *fields;
	size_t n_fields;
};

static const struct event_kind_row event_kinds[EVENT_N_KINDS] = {
	[EVENT_RUN_START] = { "run_start", EVENT_PRI_INFO, text_run_start,
	                      USES(N(EF_PLAN), R(EF_PAIRS), R(EF_RUN_ID), R(EF_HOST), R(EF_VERSION),
	                           R(EF_LIMIT_MECHANISM), O(EF_LIMIT_NOTE), O(EF_MEMORY_BUDGET)) },
	[EVENT_GATE_WAIT] = { "gate_wait", EVENT_PRI_INFO, text_gate_wait,
	                      USES(R(EF_PAIR), R(EF_MEM_AVAILABLE), R(EF_SWAP_USED),
	                           R(EF_NEEDED_AVAILABLE)) },
	[EVENT_PAIR_START] = { "pair_start", EVENT_PRI_INFO, text_pair_start,
	                       USES(R(EF_PAIR), R(EF_PID), N(EF_COMMAND), R(EF_INPUT_BYTES),
	                            R(EF_ATTEMPT), O(EF_ADOPTED)) },
	[EVENT_PROGRESS] = { "progress", EVENT_PRI_INFO, text_progress,
	                     USES(R(EF_PAIR), R(EF_PROGRESS_DONE), R(EF_PROGRESS_TOTAL)) },
	[EVENT_APPROACH] = { "approach", EVENT_PRI_WARNING, text_approach,
	                     USES(R(EF_PAIR), R(EF_PID), R(EF_RSS), R(EF_KILL_RSS), N(EF_ETA_S)) },
	[EVENT_BLOAT] = { "bloat", EVENT_PRI_WARNING, text_bloat,
	                  USES(R(EF_PAIR), R(EF_PID), R(EF_RSS), R(EF_INPUT_BYTES), R(EF_RATIO)) },
	[EVENT_DEADLOCK] = { "deadlock", EVENT_PRI_ERR, text_deadlock,
	                     USES(R(EF_PAIR), R(EF_PID), R(EF_BLOCKED_PIDS), R(EF_THREADS),
	                          R(EF_FUTEX_THREADS), R(EF_STALLED_S), N(EF_CAPTURE)) },
	[EVENT_STALL] = { "stall", EVENT_PRI_WARNING, text_stall,
	                  USES(R(EF_PAIR), R(EF_PID), R(EF_STALLED_S), R(EF_WAITING_ON),
	                       N(EF_CAPTURE)) },
	[EVENT_PRESSURE] = { "pressure", EVENT_PRI_WARNING, text_pressure,
	                     USES(R(EF_MEM_AVAILABLE), R(EF_MEM_TOTAL), R(EF_SWAP_USED),
	                          R(EF_SWAP_TOTAL), N(EF_PSI_SOME), N(EF_PSI_FULL)) },
	[EVENT_KILL] = { "kill", EVENT_PRI_ERR, text_kill,
	                 USES(R(EF_PAIR), R(EF_PID), R(EF_KILL_REASON), R(EF_RSS), R(EF_SIGNAL),
	                      O(EF_KILL_RSS)) },
	[EVENT_RESOLVED] = { "resolved", EVENT_PRI_INFO, text_resolved,
	                     USES(R(EF_CONDITION), O(EF_PAIR), O(EF_MEM_AVAILABLE), O(EF_RSS)) },
	[EVENT_PAIR_END] = { "pair_end", EVENT_PRI_INFO, text_pair_end,
	                     USES(R(EF_PAIR), R(EF_STATUS), O(EF_SIGNAL), E(EF_EXIT_CODE),
	                          R(EF_PEAK_RSS), R(EF_ELAPSED_S), N(EF_RATIO), N(EF_END_REASON),
	                          R(EF_ATTEMPT), O(EF_RESUMED), O(EF_LOG)) },
	[EVENT_CLEANUP] = { "cleanup", EVENT_PRI_INFO, text_cleanup,
	                    USES(R(EF_PAIR), R(EF_PATH), R(EF_BYTES_FREED)) },
	[EVENT_ALERT_SENT] = { "alert_sent", EVENT_PRI_INFO, text_alert_sent,
	                       USES(R(EF_ALERT_KIND), R(EF_ATTEMPTS), O(EF_PAIR), O(EF_HTTP_STATUS),
	                            O(EF_ERROR)) },
	[EVENT_ALERT_FAILED] = { "alert_failed", EVENT_PRI_WARNING, text_alert_failed,
	                         USES(R(EF_ALERT_KIND), R(EF_ATTEMPTS), O(EF_PAIR),
	                              O(EF_HTTP_STATUS), O(EF_ERROR)) },
	[EVENT_RUN_END] = { "run_end", EVENT_PRI_INFO, text_run_end,
	                    USES(R(EF_N_DONE), R(EF_N_FAILED), R(EF_N_KILLED), R(EF_N_SKIPPED),
	                         R(EF_ELAPSED_S)) },
	[EVENT_TEST] = { "test", EVENT_PRI_INFO, text_test, NULL, 0 },
	[EVENT_OTHER] = { "event", EVENT_PRI_INFO, text_other, NULL, 0 },
};

#define AT(member) offsetof(struct event, member)

static const struct {
	const char *name;
	enum event_type type;
	size_t offset; /* of the member in struct event */
} event_fields[EF_N] = {
	[EF_PAIR] = { "pair", ETYPE_STR, AT(pair) },
	[EF_PID] = { "pid", ETYPE_INT, AT(pid) },
	[EF_PLAN] = { "plan", ETYPE_STR, AT(plan) },
	[EF_PAIRS] = { "pairs", ETYPE_INT, AT(pairs) },
	[EF_RUN_ID] = { "run_id", ETYPE_STR, AT(run_id) },
	[EF_HOST] = { "host", ETYPE_STR, AT(host) },
	[EF_VERSION] = { "version", ETYPE_STR, AT(version) },
	[EF_LIMIT_MECHANISM] = { "limit_mechanism", ETYPE_STR, AT(limit_mechanism) },
	[EF_LIMIT_NOTE] = { "limit_note", ETYPE_STR, AT(limit_note) },
	[EF_MEMORY_BUDGET] = { "memory_budget", ETYPE_U64, AT(memory_budget) },
	[EF_COMMAND] = { "command", ETYPE_STR, AT(command) },
	[EF_INPUT_BYTES] = { "input_bytes", ETYPE_U64, AT(input_bytes) },
	[EF_ATTEMPT] = { "attempt", ETYPE_INT, AT(attempt) },
	[EF_ADOPTED] = { "adopted", ETYPE_BOOL, AT(adopted) },
	[EF_MEM_AVAILABLE] = { "mem_available", ETYPE_U64, AT(mem_available) },
	[EF_MEM_TOTAL] = { "mem_total", ETYPE_U64, AT(mem_total) },
	[EF_SWAP_USED] = { "swap_used", ETYPE_U64, AT(swap_used) },
	[EF_SWAP_TOTAL] = { "swap_total", ETYPE_U64, AT(swap_total) },
	[EF_NEEDED_AVAILABLE] = { "needed_available", ETYPE_U64, AT(needed_available) },
	[EF_PSI_SOME] = { "psi_some_avg10", ETYPE_REAL, AT(psi_some_avg10) },
	[EF_PSI_FULL] = { "psi_full_avg10", ETYPE_REAL, AT(psi_full_avg10) },
	[EF_PROGRESS_DONE] = { "done", ETYPE_U64, AT(progress_done) },
	[EF_PROGRESS_TOTAL] = { "total", ETYPE_U64, AT(progress_total) },
	[EF_RSS] = { "rss", ETYPE_U64, AT(rss) },
	[EF_KILL_RSS] = { "kill_rss", ETYPE_U64, AT(kill_rss) },
	[EF_ETA_S] = { "eta_s", ETYPE_REAL, AT(eta_s) },
	[EF_RATIO] = { "ratio", ETYPE_REAL, AT(ratio) },
	[EF_BLOCKED_PIDS] = { "blocked_pids", ETYPE_PIDS, AT(blocked_pids) },
	[EF_THREADS] = { "threads", ETYPE_INT, AT(threads) },
	[EF_FUTEX_THREADS] = { "futex_threads", ETYPE_INT, AT(futex_threads) },
	[EF_STALLED_S] = { "stalled_s", ETYPE_REAL, AT(stalled_s) },
	[EF_WAITING_ON] = { "waiting_on", ETYPE_WAITS, AT(waiting_on) },
	[EF_CAPTURE] = { "capture", ETYPE_STR, AT(capture) },
	[EF_KILL_REASON] = { "reason", ETYPE_REASON, AT(kill_reason) },
	[EF_SIGNAL] = { "signal", ETYPE_STR, AT(signal) },
	[EF_STATUS] = { "status", ETYPE_STATUS, AT(status) },
	[EF_EXIT_CODE] = { "exit_code", ETYPE_INT, AT(exit_code) },
	[EF_PEAK_RSS] = { "peak_rss", ETYPE_U64, AT(peak_rss) },
	[EF_ELAPSED_S] = { "elapsed_s", ETYPE_REAL, AT(elapsed_s) },
	[EF_END_REASON] = { "reason", ETYPE_REASON, AT(end_reason) },
	[EF_RESUMED] = { "resumed", ETYPE_BOOL, AT(resumed) },
	[EF_LOG] = { "log", ETYPE_STR, AT(log) },
	[EF_CONDITION] = { "kind", ETYPE_CONDITION, AT(condition) },
	[EF_PATH] = { "path", ETYPE_STR, AT(path) },
	[EF_BYTES_FREED] = { "bytes_freed", ETYPE_U64, AT(bytes_freed) },
	[EF_ALERT_KIND] = { "kind", ETYPE_ALERT_KIND, AT(alert_kind) },
	[EF_ATTEMPTS] = { "attempts", ETYPE_INT, AT(attempts) },
	[EF_HTTP_STATUS] = { "http_status", ETYPE_INT, AT(http_status) },
	[EF_ERROR] = { "error", ETYPE_STR, AT(error) },
	[EF_N_DONE] = { "done", ETYPE_INT, AT(n_done) },
	[EF_N_FAILED] = { "failed", ETYPE_INT, AT(n_failed) },
	[EF_N_KILLED] = { "killed", ETYPE_INT, AT(n_killed) },
	[EF_N_SKIPPED] = { "skipped", ETYPE_INT, AT(n_skipped) },
};

static const struct {
	const char *name, *phrase;
	bool kill;
} event_reasons[REASON_N] = {
	[REASON_NONE] = { NULL, NULL, false },
	[REASON_RSS] = { "rss", "RSS over the kill line", true },
	[REASON_TIMEOUT] = { "timeout", "ran past its timeout", true },
	[REASON_DEADLOCK] = { "deadlock", "deadlocked", true },
	[REASON_OPERATOR] = { "operator", "stopped by the operator", true },
	[REASON_SHUTDOWN] = { "shutdown", "mergewatch was shutting down", true },
	[REASON_BUDGET] = { "budget", "the memory budget needed room", false },
	[REASON_EXIT] = { "exit", NULL, false },
	[REASON_SIGNAL] = { "signal", NULL, false },
	[REASON_MEMORY_MAX] = { "memory_max", NULL, false },
	[REASON_GATE] = { "gate", "gave up waiting for the health gate", false },
	[REASON_VERIFY] = { "verify", "its verify command failed", false },
	[REASON_OUTPUT_MISSING] = { "output_missing", "its output is missing", false },
	[REASON_OUTPUT_EMPTY] = { "output_empty", NULL, false },
	[REASON_SPAWN] = { "spawn", "could not be started", false },
	[REASON_INPUTS_MISSING] = { "inputs_missing", NULL, false },
	[REASON_GONE] = { "gone", NULL, false },
	[REASON_ON_FAILURE] = { "on_failure", NULL, false },
	[REASON_OUTPUT_STALE] = { "output_stale", "its output was not written by this attempt",
	                          false },
	[REASON_MERGEWATCH_ENDED] = { "mergewatch_ended", "its mergewatch ended with it", false },
	[REASON_STATUS_UNKNOWN] = { "status_unknown", "how it ended is not known", false },
	[REASON_OTHER] = { NULL, NULL, false },
};

static const char *const event_statuses[STATUS_N] = {
	[STATUS_DONE] = "done",
	[STATUS_FAILED] = "failed",
	[STATUS_KILLED] = "killed",
	[STATUS_SKIPPED] = "skipped",
	[STATUS_INTERRUPTED] = "interrupted",
	[STATUS_REQUEUED] = "requeued",
};

static const char *const event_conditions[CONDITION_N] = {
	[CONDITION_BLOAT] = "bloat",
	[CONDITION_DEADLOCK] = "deadlock",
	[CONDITION_STALL] = "stall",
	[CONDITION_PRESSURE] = "pressure",
};

static const struct {
	const char *name;
	enum alert_kind condition;
	enum alert_severity severity;
} alert_kinds[ALERT_N] = {
	[ALERT_NONE] = { NULL, ALERT_NONE, SEVERITY_WARNING },
	[ALERT_APPROACH] = { "approach", ALERT_APPROACH, SEVERITY_WARNING },
	[ALERT_BLOAT] = { "bloat", ALERT_BLOAT, SEVERITY_WARNING },
	[ALERT_DEADLOCK] = { "deadlock", ALERT_DEADLOCK, SEVERITY_CRITICAL },
	[ALERT_STALL] = { "stall", ALERT_STALL, SEVERITY_WARNING },
	[ALERT_PRESSURE] = { "pressure", ALERT_PRESSURE, SEVERITY_WARNING },
	[ALERT_KILL] = { "kill", ALERT_KILL, SEVERITY_CRITICAL },
	[ALERT_PAIR_FAILED] = { "pair_failed", ALERT_PAIR_FAILED, SEVERITY_WARNING },
	[ALERT_PAIR_KILLED] = { "pair_killed", ALERT_PAIR_KILLED, SEVERITY_CRITICAL },
	[ALERT_GATE_TIMEOUT] = { "gate_timeout", ALERT_GATE_TIMEOUT, SEVERITY_WARNING },
	[ALERT_BLOAT_RESOLVED] = { "bloat_resolved", ALERT_BLOAT, SEVERITY_WARNING },
	[ALERT_DEADLOCK_RESOLVED] = { "deadlock_resolved", ALERT_DEADLOCK, SEVERITY_CRITICAL },
	[ALERT_STALL_RESOLVED] = { "stall_resolved", ALERT_STALL, SEVERITY_WARNING },
	[ALERT_PRESSURE_RESOLVED] = { "pressure_resolved", ALERT_PRESSURE, SEVERITY_WARNING },
	[ALERT_RUN_END] = { "run_end", ALERT_RUN_END, SEVERITY_INFO },
	[ALERT_TEST] = { "test", ALERT_TEST, SEVERITY_INFO },
};

static const char *const alert_severities[] = {
	[SEVERITY_WARNING] = "warning",
	[SEVERITY_CRITICAL] = "critical",
	[SEVERITY_INFO] = "info",
};

/* The alert of each event kind that is one by its kind alone. */
static const enum alert_kind event_plain_alerts[EVENT_N_KINDS] = {
	[EVENT_APPROACH] = ALERT_APPROACH, [EVENT_BLOAT] = ALERT_BLOAT,
	[EVENT_DEADLOCK] = ALERT_DEADLOCK, [EVENT_STALL] = ALERT_STALL,
	[EVENT_PRESSURE] = ALERT_PRESSURE, [EVENT_KILL] = ALERT_KILL,
	[EVENT_RUN_END] = ALERT_RUN_END,   [EVENT_TEST] = ALERT_TEST,
};

static const enum alert_kind condition_alerts[CONDITION_N] = {
	[CONDITION_BLOAT] = ALERT_BLOAT_RESOLVED,
	[CONDITION_DEADLOCK] = ALERT_DEADLOCK_RESOLVED,
	[CONDITION_STALL] = ALERT_STALL_RESOLVED,
	[CONDITION_PRESSURE] = ALERT_PRESSURE_RESOLVED,
};

/* The index of name in names[0..n), -1 when absent. */
static int event_lookup(const char *const *names, size_t stride, size_t n, const char *name)
{
	if (name == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		/* through void *: stride is the size of the table's rows, so
		 * each row's name is aligned as a pointer */
		const char *s =
			*(const char *const *)(const void *)((const char *)names + i * stride);

		if (s != NULL && strcmp(s, name) == 0)
			return (int)i;
	}
	return -1;
}

/* member is a designator (.name): it cannot be parenthesised */
/* NOLINTBEGIN(bugprone-macro-parentheses) */
#define LOOKUP(table, member, name)                                                                \
	event_lookup(&(table)[0] member, sizeof((table)[0]), N_OF(table), name)
/* NOLINTEND(bugprone-macro-parentheses) */

struct event event_init(enum event_kind kind)
{
	struct event ev;
	size_t n;
	const struct event_field_use *u = event_kind_fields(kind, &n);

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	for (size_t i = 0; i < n; i++) {
		if (u[i].presence != EP_OPTIONAL)
			event_set(&ev, u[i].field);
	}
	return ev;
}

static size_t event_str_size(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

static const char *event_str_copy(char **at, const char *s)
{
	char *out = *at;
	size_t n = event_str_size(s);

	if (n == 0)
		return NULL;
	memcpy(out, s, n);
	*at += n;
	return out;
}

struct event *event_dup(const struct event *ev)
{
	const char *const *strs[] = { &ev->pair,       &ev->plan,    &ev->limit_mechanism,
		                      &ev->limit_note, &ev->command, &ev->capture,
		                      &ev->signal,     &ev->path,    &ev->error,
		                      &ev->run_id,     &ev->host,    &ev->version,
		                      &ev->log };
	size_t size = sizeof(*ev);

	for (size_t i = 0; i < N_OF(strs); i++)
		size += event_str_size(*strs[i]);
	struct event *copy = malloc(size);

	if (copy == NULL)
		return NULL;
	*copy = *ev;
	char *at = (char *)(copy + 1);
	const char **dst[] = { &copy->pair,       &copy->plan,    &copy->limit_mechanism,
		               &copy->limit_note, &copy->command, &copy->capture,
		               &copy->signal,     &copy->path,    &copy->error,
		               &copy->run_id,     &copy->host,    &copy->version,
		               &copy->log };

	for (size_t i = 0; i < N_OF(strs); i++)
		*dst[i] = event_str_copy(&at, *strs[i]);
	return copy;
}

const char *event_kind_name(enum event_kind k)
{
	return (unsigned)k < EVENT_N_KINDS ? event_kinds[k].name : "event";
}

int event_kind_parse(const char *name)
{
	int k = LOOKUP(event_kinds, .name, name);

	return k == EVENT_OTHER ? -1 : k;
}

enum event_priority event_priority(enum event_kind k)
{
	return (unsigned)k < EVENT_N_KINDS ? event_kinds[k].priority : EVENT_PRI_INFO;
}

text_kind_fn event_kind_text(enum event_kind k)
{
	return event_kinds[(unsigned)k < EVENT_N_KINDS ? k : EVENT_OTHER].text;
}

const struct event_field_use *event_kind_fields(enum event_kind k, size_t *n)
{
	if ((unsigned)k >= EVENT_N_KINDS) {
		*n = 0;
		return NULL;
	}
	*n = event_kinds[k].n_fields;
	return event_kinds[k].fields;
}

const char *event_field_name(enum event_field f)
{
	return event_fields[f].name;
}

enum event_type event_field_type(enum event_field f)
{
	return event_fields[f].type;
}

size_t event_field_offset(enum event_field f)
{
	return event_fields[f].offset;
}

const char *event_reason_name(enum event_reason r)
{
	return (unsigned)r < REASON_N ? event_reasons[r].name : NULL;
}

int event_reason_parse(const char *name)
{
	return LOOKUP(event_reasons, .name, name);
}

const char *event_reason_phrase(enum event_reason r)
{
	return (unsigned)r < REASON_N ? event_reasons[r].phrase : NULL;
}

bool event_reason_is_kill(enum event_reason r)
{
	return (unsigned)r < REASON_N && event_reasons[r].kill;
}

const char *event_status_name(enum event_status s)
{
	return (unsigned)s < STATUS_N ? event_statuses[s] : NULL;
}

int event_status_parse(const char *name)
{
	return LOOKUP(event_statuses, , name);
}

const char *event_condition_name(enum event_condition c)
{
	return (unsigned)c < CONDITION_N ? event_conditions[c] : NULL;
}

int event_condition_parse(const char *name)
{
	return LOOKUP(event_conditions, , name);
}

const char *alert_kind_name(enum alert_kind k)
{
	return (unsigned)k < ALERT_N ? alert_kinds[k].name : NULL;
}

int alert_kind_parse(const char *name)
{
	return LOOKUP(alert_kinds, .name, name);
}

enum alert_kind alert_kind_condition(enum alert_kind k)
{
	return (unsigned)k < ALERT_N ? alert_kinds[k].condition : ALERT_NONE;
}

enum alert_severity alert_kind_severity(enum alert_kind k)
{
	return (unsigned)k < ALERT_N ? alert_kinds[k].severity : SEVERITY_WARNING;
}

const char *alert_severity_name(enum alert_severity s)
{
	return alert_severities[s];
}

enum alert_kind event_alert_kind(const struct event *ev)
{
	switch (ev->kind) {
	case EVENT_RESOLVED:
		return event_has(ev, EF_CONDITION) && (unsigned)ev->condition < CONDITION_N
		               ? condition_alerts[ev->condition]
		               : ALERT_NONE;
	case EVENT_PAIR_END:
		if (!event_has(ev, EF_STATUS))
			return ALERT_NONE;
		if (ev->status == STATUS_FAILED)
			return event_has(ev, EF_END_REASON) && ev->end_reason == REASON_GATE
			               ? ALERT_GATE_TIMEOUT
			               : ALERT_PAIR_FAILED;
		return ev->status == STATUS_KILLED ? ALERT_PAIR_KILLED : ALERT_NONE;
	default:
		return (unsigned)ev->kind < EVENT_N_KINDS ? event_plain_alerts[ev->kind]
		                                          : ALERT_NONE;
	}
}
