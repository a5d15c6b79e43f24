/* What happened, as plain data: the events of SPEC "The event log" with
 * their fields, and the one table per name set (event kinds, reasons, pair_end
 * statuses, resolved kinds, alert kinds) giving each value its name and what
 * the rest of the program needs to know about it (priority, sentence, alert
 * severity). Nothing in mergewatch compares these names as strings: the
 * runner builds a struct event, the event log and the webhook payloads turn
 * it into JSON where they write it (logdir/eventjson.c), everything else
 * reads its fields and switches on its enums.
 *
 * Adding an event: a value in enum event_kind, a row in event.c's
 * event_kinds[] (name, priority, text function, the fields it writes in
 * order), its sentence in text.c; a new field is a value of enum
 * event_field, a member of struct event and a row of event_fields[]. */
#ifndef MW_EVENT_H
#define MW_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum event_kind {
	EVENT_RUN_START,
	EVENT_GATE_WAIT,
	EVENT_PAIR_START,
	EVENT_PROGRESS,
	EVENT_APPROACH,
	EVENT_BLOAT,
	EVENT_DEADLOCK,
	EVENT_STALL,
	EVENT_PRESSURE,
	EVENT_KILL,
	EVENT_RESOLVED,
	EVENT_PAIR_END,
	EVENT_CLEANUP,
	EVENT_ALERT_SENT,
	EVENT_ALERT_FAILED,
	EVENT_RUN_END,
	EVENT_TEST, /* mergewatch check --test-alert */
	/* Read back from a log written by another version: a name this one
	 * does not know (kept in event.other). Never emitted. */
	EVENT_OTHER,
	EVENT_N_KINDS
};

/* syslog's levels, for the journal; the dashboard colours by them too. */
enum event_priority {
	EVENT_PRI_ERR = 3,     /* kill, deadlock */
	EVENT_PRI_WARNING = 4, /* approach, bloat, stall, pressure, alert_failed */
	EVENT_PRI_INFO = 6,
};

/* Why a pair was stopped (kill's reason) or how it ended (pair_end's). */
enum event_reason {
	REASON_NONE, /* null */
	REASON_RSS,
	REASON_TIMEOUT,
	REASON_DEADLOCK,
	REASON_OPERATOR,
	REASON_SHUTDOWN,
	REASON_BUDGET,
	REASON_EXIT,
	REASON_SIGNAL,
	REASON_MEMORY_MAX,
	REASON_GATE,
	REASON_VERIFY,
	REASON_OUTPUT_MISSING,
	REASON_OUTPUT_EMPTY,
	REASON_SPAWN,
	REASON_INPUTS_MISSING,
	REASON_GONE,
	REASON_ON_FAILURE,
	REASON_OUTPUT_STALE,     /* the output was not written by this attempt */
	REASON_MERGEWATCH_ENDED, /* interrupted: its mergewatch died, no status kept */
	REASON_STATUS_UNKNOWN,   /* interrupted: adopted, killed with its supervisor */
	REASON_OTHER,            /* read back: unknown name in event.other */
	REASON_N
};

enum event_status {
	STATUS_DONE,
	STATUS_FAILED,
	STATUS_KILLED,
	STATUS_SKIPPED,
	STATUS_INTERRUPTED, /* will run again; no failure */
	STATUS_REQUEUED,
	STATUS_N
};

/* What a resolved event resolves. */
enum event_condition {
	CONDITION_BLOAT,
	CONDITION_DEADLOCK,
	CONDITION_STALL,
	CONDITION_PRESSURE,
	CONDITION_N
};

/* The kind of an alert (alert_sent's "kind", the cooldown's key). */
enum alert_kind {
	ALERT_NONE, /* not alert-worthy */
	ALERT_APPROACH,
	ALERT_BLOAT,
	ALERT_DEADLOCK,
	ALERT_STALL,
	ALERT_PRESSURE,
	ALERT_KILL,
	ALERT_PAIR_FAILED,
	ALERT_PAIR_KILLED,
	ALERT_GATE_TIMEOUT,
	ALERT_BLOAT_RESOLVED,
	ALERT_DEADLOCK_RESOLVED,
	ALERT_STALL_RESOLVED,
	ALERT_PRESSURE_RESOLVED,
	ALERT_RUN_END,
	ALERT_TEST,
	ALERT_N
};

/* Alertmanager-style severity of an alert. */
enum alert_severity {
	SEVERITY_WARNING,
	SEVERITY_CRITICAL,
	SEVERITY_INFO,
};

/* The fields: one bit each in event.has. */
enum event_field {
	EF_PAIR,
	EF_PID,
	EF_PLAN,
	EF_PAIRS,
	EF_RUN_ID,
	EF_HOST,
	EF_VERSION,
	EF_LIMIT_MECHANISM,
	EF_LIMIT_NOTE,
	EF_MEMORY_BUDGET,
	EF_COMMAND,
	EF_INPUT_BYTES,
	EF_ATTEMPT,
	EF_ADOPTED,
	EF_MEM_AVAILABLE,
	EF_MEM_TOTAL,
	EF_SWAP_USED,
	EF_SWAP_TOTAL,
	EF_NEEDED_AVAILABLE,
	EF_PSI_SOME,
	EF_PSI_FULL,
	EF_PROGRESS_DONE,
	EF_PROGRESS_TOTAL,
	EF_RSS,
	EF_KILL_RSS,
	EF_ETA_S,
	EF_RATIO,
	EF_BLOCKED_PIDS,
	EF_THREADS,
	EF_FUTEX_THREADS,
	EF_STALLED_S,
	EF_WAITING_ON,
	EF_CAPTURE,
	EF_KILL_REASON,
	EF_SIGNAL,
	EF_STATUS,
	EF_EXIT_CODE,
	EF_PEAK_RSS,
	EF_ELAPSED_S,
	EF_END_REASON,
	EF_RESUMED,
	EF_LOG,
	EF_CONDITION,
	EF_PATH,
	EF_BYTES_FREED,
	EF_ALERT_KIND,
	EF_ATTEMPTS,
	EF_HTTP_STATUS,
	EF_ERROR,
	EF_N_DONE,
	EF_N_FAILED,
	EF_N_KILLED,
	EF_N_SKIPPED,
	EF_N
};

/* How a field's value is held and written. */
enum event_type {
	ETYPE_STR,        /* const char * */
	ETYPE_INT,        /* int */
	ETYPE_U64,        /* uint64_t: a size in bytes or a count */
	ETYPE_REAL,       /* double: seconds, ratios, percentages */
	ETYPE_BOOL,       /* bool */
	ETYPE_PIDS,       /* blocked_pids[], n_blocked */
	ETYPE_WAITS,      /* waiting_on[], n_waiting_on */
	ETYPE_REASON,     /* enum event_reason, written as its name */
	ETYPE_STATUS,     /* enum event_status */
	ETYPE_CONDITION,  /* enum event_condition */
	ETYPE_ALERT_KIND, /* enum alert_kind */
};

/* How a kind writes a field it lacks. */
enum event_presence {
	EP_REQUIRED, /* set by event_init; left out when cleared */
	EP_NULLABLE, /* set by event_init; null when cleared */
	EP_OPTIONAL, /* not set by event_init; left out unless set */
	EP_ELSE,     /* like EP_NULLABLE, but left out when the field before it was written */
};

enum {
	EVENT_MAX_PIDS = 16,  /* blocked PIDs kept */
	EVENT_MAX_WAITS = 8,  /* waits kept */
	EVENT_WAIT_LEN = 48,  /* "pipe from PID 123" */
	EVENT_OTHER_LEN = 32, /* an unknown name read back */
};

struct event_wait {
	pid_t pid, tid;
	char what[EVENT_WAIT_LEN];
};

/* One event. Strings are borrowed (event_dup copies them); which fields are
 * set is in has (bit 1 << EF_*). */
struct event {
	enum event_kind kind;
	uint64_t has;
	uint64_t wall_ms; /* when it happened, ms since the epoch; 0: not stamped yet */

	const char *pair;
	int pid;
	/* run_start */
	const char *plan;
	int pairs;
	const char *run_id, *host, *version; /* which run of events.jsonl, where, by what */
	const char *limit_mechanism, *limit_note;
	uint64_t memory_budget; /* with jobs above 1 */
	/* pair_start */
	const char *command;
	uint64_t input_bytes;
	int attempt;
	bool adopted;
	/* gate_wait, pressure */
	uint64_t mem_available, mem_total, swap_used, swap_total, needed_available;
	double psi_some_avg10, psi_full_avg10;
	/* progress */
	uint64_t progress_done, progress_total;
	/* approach, bloat, kill */
	uint64_t rss, kill_rss;
	double eta_s, ratio;
	/* deadlock, stall */
	pid_t blocked_pids[EVENT_MAX_PIDS];
	int n_blocked; /* may exceed EVENT_MAX_PIDS: the rest are not listed */
	int threads, futex_threads;
	double stalled_s;
	struct event_wait waiting_on[EVENT_MAX_WAITS];
	int n_waiting_on;
	const char *capture;
	/* kill, pair_end */
	enum event_reason kill_reason, end_reason;
	const char *signal; /* a name: "SIGKILL" */
	enum event_status status;
	int exit_code;
	uint64_t peak_rss;
	double elapsed_s;
	bool resumed;
	const char *log; /* pair_end of a failed or killed pair: its output log */
	/* resolved */
	enum event_condition condition;
	/* cleanup */
	const char *path;
	uint64_t bytes_freed;
	/* alert_sent, alert_failed */
	enum alert_kind alert_kind;
	int attempts, http_status;
	const char *error;
	/* run_end */
	int n_done, n_failed, n_killed, n_skipped;
	/* read back: the unknown event or reason name */
	char other[EVENT_OTHER_LEN];
};

/* A new event of kind: every field zero, has set to the kind's required
 * and nullable fields (the runner fills them all in; it clears what it
 * does not know, and sets the optional ones it has). */
struct event event_init(enum event_kind kind);

static inline bool event_has(const struct event *ev, enum event_field f)
{
	return (ev->has >> f) & 1;
}

static inline void event_set(struct event *ev, enum event_field f)
{
	ev->has |= (uint64_t)1 << f;
}

static inline void event_clear(struct event *ev, enum event_field f)
{
	ev->has &= ~((uint64_t)1 << f);
}

/* A copy of ev that owns its strings, in one allocation the caller frees
 * with free(). NULL when out of memory. */
struct event *event_dup(const struct event *ev);

/* The kind table. */
const char *event_kind_name(enum event_kind k); /* "kill"; "event" for EVENT_OTHER */
enum event_priority event_priority(enum event_kind k);
/* The field writer's order for kind k: fields[0..n) with their presence. */
struct event_field_use {
	enum event_field field;
	enum event_presence presence;
};
const struct event_field_use *event_kind_fields(enum event_kind k, size_t *n);

/* The field table. */
const char *event_field_name(enum event_field f); /* its JSON key */
enum event_type event_field_type(enum event_field f);
/* Where field f lives in struct event, as offsetof: the JSON code reads
 * and writes fields through the table. */
size_t event_field_offset(enum event_field f);

/* Name tables: _name returns the name written in the log; _parse returns
 * the value named name, or -1 when there is none (NULL included). */
const char *event_reason_name(enum event_reason r); /* NULL for REASON_NONE */
int event_reason_parse(const char *name);
/* What a reason means in a sentence, or NULL when the exit code or signal
 * tells it better (exit, signal) or there is no phrase (the name is used). */
const char *event_reason_phrase(enum event_reason r);
/* A reason kill events carry (counted from the start in the metrics). */
bool event_reason_is_kill(enum event_reason r);

const char *event_status_name(enum event_status s);
int event_status_parse(const char *name);
const char *event_condition_name(enum event_condition c);
int event_condition_parse(const char *name);
int event_kind_parse(const char *name); /* never EVENT_OTHER */

const char *alert_kind_name(enum alert_kind k); /* NULL for ALERT_NONE */
int alert_kind_parse(const char *name);
/* The condition an alert is about, as Alertmanager's "alertname": the
 * resolved condition's kind for a resolved alert (bloat for bloat_resolved),
 * else the alert kind itself. */
enum alert_kind alert_kind_condition(enum alert_kind k);
enum alert_severity alert_kind_severity(enum alert_kind k);
const char *alert_severity_name(enum alert_severity s);

/* The alert kind of an event, ALERT_NONE when it is not alert-worthy:
 *   approach, bloat, deadlock, stall, pressure, kill  the same name
 *   pair_end failed                     pair_failed, or gate_timeout when its
 *                                       reason is gate
 *   pair_end killed                     pair_killed
 *   resolved                            <condition>_resolved
 *   run_end, test                       run_end, test */
enum alert_kind event_alert_kind(const struct event *ev);

#endif
