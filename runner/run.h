/* A run: the plan's pairs in order (or watched PIDs), sampled, judged and
 * acted on from one poll() loop, with the event log, alerts and dashboard
 * fed from it. */
#ifndef MW_RUN_H
#define MW_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "../core/model.h"
#include "../plan/plan.h"

struct run_config {
	struct plan *plan;        /* borrowed; for watch, one pair per PID */
	bool watch;               /* attach to watch_pids instead of starting commands */
	bool resume;              /* keep a state file and skip the pairs it records done */
	const char *const *rerun; /* --rerun: pairs to run again although done */
	int n_rerun;
	const pid_t *watch_pids;       /* one per pair of the watch plan */
	uint64_t interval_ms;          /* base sampling interval */
	const char *proc_root;         /* "/proc" */
	const char *cgroup_root;       /* "/sys/fs/cgroup" */
	FILE *event_out;               /* stdout when headless, else NULL */
	const char *log_path;          /* events.jsonl; NULL: none */
	const char *metrics_path;      /* Prometheus textfile; NULL: none */
	const char *webhook_url;       /* the secret; NULL: no alerts posted */
	const struct model_view *view; /* the dashboard; NULL: headless */
	const char *host;
	bool command_status; /* run -- COMMAND: exit with the command's status */
};

struct run;

/* Prepares a run: creates log_dir, takes its lock, opens the event log,
 * loads the state, probes the kernel cap. Returns NULL with err saying what
 * and where (a held lock names the PID holding it). */
struct run *run_new(const struct run_config *cfg, char *err, size_t errlen);

/* Runs to the end. Returns the exit status of SPEC: 0 every pair done, 1 at
 * least one failed, was killed or skipped, 130/143 stopped by SIGINT/SIGTERM;
 * with command_status, the command's own (core/exitstatus.h). */
int run_execute(struct run *run);

void run_free(struct run *run);

#endif
