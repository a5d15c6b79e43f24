/* The plan: which pairs to run and under which limits, read from an INI file
 * through libinih or built from a command line. Plain data: every module reads
 * it, only plan.c writes it. */
#ifndef MW_PLAN_H
#define MW_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "../lib/units.h"

/* jobs = auto: as many pairs as memory_budget holds. */
enum { PLAN_JOBS_AUTO = 0, PLAN_JOBS_MAX = 256 };

enum on_failure { ON_FAILURE_CONTINUE, ON_FAILURE_STOP, ON_FAILURE_RETRY };
enum on_deadlock { ON_DEADLOCK_ALERT, ON_DEADLOCK_KILL, ON_DEADLOCK_RESTART };
enum webhook_format {
	WEBHOOK_SLACK,
	WEBHOOK_DISCORD,
	WEBHOOK_TEAMS,
	WEBHOOK_MATTERMOST,
	WEBHOOK_GENERIC,
};

/* [limits], and the same keys in a [pair NAME] section. */
struct limits {
	struct size_spec kill_rss;   /* % of MemTotal */
	double warn_at;              /* fraction of kill_rss, 0 < x <= 1 */
	struct size_spec memory_max; /* % of MemTotal */
	struct size_spec swap_max;   /* % of SwapTotal */
	uint64_t timeout_ms;         /* 0: none */
	uint64_t kill_grace_ms;
	uint64_t verify_timeout_ms; /* verify's bound, never 0 */
	double bloat_ratio;
	double expected_ratio;
	uint64_t deadlock_window_ms;
	enum on_deadlock on_deadlock;
	char *capture;                       /* NULL: none; "{pid}" is replaced */
	struct size_spec pressure_available; /* % of MemTotal */
	struct size_spec pressure_swap;      /* % of SwapTotal */
	double pressure_psi;                 /* percent, PSI some avg10 */
};

struct pair_spec {
	char *name;
	int line; /* line of its [pair NAME] header; 0 from a command line */
	char *command;
	char **inputs; /* globs */
	int n_inputs;
	char *output; /* NULL: none required */
	char *verify;
	char *cleanup;
	char *cwd;
	char **env; /* NAME=VALUE */
	int n_env;
	char *progress_regex; /* NULL: the default PROGRESS <done>/<total> */
	struct limits limits; /* effective: defaults < [limits] < pair keys < options */
};

struct plan {
	char *path; /* as given; NULL for run -- and watch */
	char *dir;  /* directory relative paths are taken from */
	/* [run] */
	enum on_failure on_failure;
	int retries;
	struct size_spec start_min_available; /* bytes, % of MemTotal or auto; 0 bytes: no gate */
	struct size_spec start_max_swap_used; /* unlimited: no gate */
	uint64_t gate_timeout_ms;
	char *log_dir; /* absolute */
	int jobs;      /* pairs at once, 1..PLAN_JOBS_MAX; PLAN_JOBS_AUTO: as many as fit */
	struct size_spec memory_budget; /* % of MemTotal: what running pairs may reach together */
	/* [limits] as written, before pair overrides */
	struct limits limits;
	/* [alerts] */
	char *webhook_url_file; /* NULL: none; "~/" expanded */
	enum webhook_format webhook_format;
	uint64_t cooldown_ms;
	struct pair_spec *pairs;
	int n_pairs;
};

/* Why a plan or an option was refused: "plan.ini:12: key 'kill_rss': ..." */
struct plan_error {
	char msg[512];
};

/* Reads and validates the plan at path. Returns a plan the caller frees with
 * plan_free, or NULL with err->msg naming the file, line and key. */
struct plan *plan_load(const char *path, struct plan_error *err);

/* A plan of one pair named name running command (already joined for /bin/sh
 * -c), with log_dir in the current directory. inputs may be NULL. Returns
 * NULL only on allocation failure. */
struct plan *plan_new_command(const char *name, const char *command, const char *inputs);

/* A plan for `watch`: one pair per PID, named by the PID, with no command
 * and log_dir in the current directory. NULL only on allocation failure. */
struct plan *plan_new_watch(const pid_t *pids, int n, const char *inputs);

void plan_free(struct plan *plan);

/* Applies a command-line option, named by its plan key ("kill_rss",
 * "webhook_url_file", "format", ...), to [limits] or [alerts] and to every
 * pair, overriding what the file said, a pair's own keys included; "jobs"
 * too, the one [run] key that is also an option. Returns
 * 0, or -EINVAL with err->msg naming the option and the bad value. */
int plan_override(struct plan *plan, const char *key, const char *value, struct plan_error *err);

/* Replaces log_dir (for watch's state directory and --log-dir). 0 or
 * -ENOMEM. */
int plan_set_log_dir(struct plan *plan, const char *dir);

/* Writes one line per warning about a plan that parses but cannot work as
 * meant (memory_max at or below kill_rss; kill_rss above mem_total; with
 * jobs above 1, memory_budget above mem_total), each naming the pair and
 * its line (or [run]), into buf. Returns the number of warnings. */
int plan_warnings(const struct plan *plan, uint64_t mem_total, char *buf, size_t len);

/* Prints every effective setting as "key = value" lines: [run], [alerts],
 * then one [pair NAME] section per pair with its limits. mem_total and
 * swap_total resolve percentages for the comments. */
void plan_print(const struct plan *plan, FILE *out, uint64_t mem_total, uint64_t swap_total);

/* Name of an enum value as the plan spells it. */
const char *plan_on_failure_name(enum on_failure v);
const char *plan_on_deadlock_name(enum on_deadlock v);
const char *plan_webhook_format_name(enum webhook_format v);

#endif
