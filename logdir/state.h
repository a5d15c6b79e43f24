/* The run state in <log_dir>/state: what became of each pair, so a second
 * run of the same plan skips the pairs done, finds a pair left running by a
 * mergewatch that died, finishes a cleanup that was cut short, and predicts
 * peaks from the ratios seen. JSON (a human may read it), replaced
 * atomically before each step of a pair that cannot be undone:
 *   started (PID, start time, cgroup, attempt start) -> exited (status)
 *   -> verified -> cleaning -> done
 * It belongs to one plan file: state_claim refuses another. */
#ifndef MW_STATE_H
#define MW_STATE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum state_status {
	STATE_PENDING,
	STATE_STARTED,  /* an attempt was started (pid 0: about to be) */
	STATE_EXITED,   /* its command ended with exit_code/term_signal */
	STATE_VERIFIED, /* output fresh and verify passed: done but cleanup */
	STATE_CLEANING, /* cleanup under way: finish it, never run again */
	STATE_DONE,
	STATE_FAILED,
	STATE_KILLED,
	STATE_SKIPPED,
};

enum { STATE_NAME_MAX = 64 };

struct state_pair {
	char name[STATE_NAME_MAX + 1];
	enum state_status status;
	int attempt;
	pid_t pid;                  /* root process (the supervisor) while STARTED */
	uint64_t start_ticks;       /* its start time (stat field 22) while
	                             * STARTED: tells an orphan left by a dead
	                             * mergewatch from a recycled PID */
	int64_t attempt_started_ns; /* wall time (coarse clock, as file times)
	                             * the attempt started: outputs older are
	                             * stale; also the supervisor record's token */
	int exit_code;              /* EXITED and after: -1 when killed by a signal */
	int term_signal;            /* 0 when it exited */
	uint64_t command_hash;      /* of the command that ran (FNV-1a 64) */
	char command[1024];         /* its text, cut at 1023 bytes, for a human */
	uint64_t input_bytes;
	uint64_t peak_rss_bytes;
	double ratio;          /* peak / input, 0 if no input */
	char output[PATH_MAX]; /* as resolved, "" none */
	char cgroup[PATH_MAX]; /* the pair's cgroup while running, "" none */
	int64_t ended_wall_s;  /* seconds since the epoch, 0 not ended */
	char reason[32];       /* how it ended: "rss", "gate", ... "" none */
};

struct state;

/* Loads log_dir/state. A missing file is an empty state. A file that is not
 * valid JSON, or not a state (unknown version, a pair without a name or
 * with a field of the wrong type, an unknown status), is an error naming
 * the path and the JSON line/column or the pair and key: never silently
 * discarded, the caller stops. Fields it does not know are ignored (and
 * not written back). Returns a state the caller frees with state_free, or
 * NULL with err. */
struct state *state_load(const char *log_dir, char *err, size_t errlen);

void state_free(struct state *st);

/* The recorded entry of pair name, NULL if none. Borrowed until the next
 * state_put or state_free. */
const struct state_pair *state_find(const struct state *st, const char *name);

/* The i-th entry (in no particular order), NULL past the last. Borrowed
 * until the next state_put, state_remove or state_free. */
const struct state_pair *state_at(const struct state *st, size_t i);

/* Records p, replacing any entry of the same name (copied). Returns 0,
 * -EINVAL for an empty name, or -ENOMEM. */
int state_put(struct state *st, const struct state_pair *p);

/* Writes the state to log_dir/state atomically: state.tmp is written,
 * fsynced and renamed over it, then the directory is fsynced, so a crash
 * leaves either the old or the new file. Returns 0, or -errno with err
 * naming the path: on error the previous file is untouched and no
 * state.tmp is left, except when only the final directory fsync fails (the
 * new file is then in place, but may not survive a crash). -EINVAL when a
 * string is not UTF-8 (JSON cannot hold it). */
int state_save(struct state *st, char *err, size_t errlen);

/* The highest peak/input ratio over the pairs recorded done, for planning;
 * 0 if none. */
double state_max_ratio(const struct state *st);

/* "pending", "started", "exited", "verified", "cleaning", "done",
 * "failed", "killed", "skipped". Static. ("running", written by earlier
 * versions, is read as started.) */
const char *state_status_name(enum state_status s);

/* The plan file the state belongs to (as given to state_claim), NULL when
 * no plan has claimed it. Borrowed. */
const char *state_plan(const struct state *st);

/* Ties the state to plan_path (the plan file's real path). 0 when the
 * state is new or already the plan's; -EBUSY with err naming the plan that
 * owns it and the state file otherwise, and nothing changes. -ENOMEM. */
int state_claim(struct state *st, const char *plan_path, char *err, size_t errlen);

/* Forgets the entry of pair name (a pair the plan no longer has). */
void state_remove(struct state *st, const char *name);

/* The hash state_pair.command_hash keeps of a command. */
uint64_t state_command_hash(const char *command);

#endif
