#include "run_internal.h"
#include "../core/exitstatus.h"

#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../collectors/orphans.h"
#include "../core/text.h"
#include "../lib/clock.h"
#include "../logdir/lock.h"
#include "planning.h"

/* alert_sent / alert_failed come back from the alerts module. */
static void run_alert_result(void *ctx, struct event *ev)
{
	run_emit(ctx, ev);
}

static int run_src_fill(void *ctx, struct pollfd *fds, int max)
{
	struct run *run = ctx;

	return run->alerts ? alerts_pollfds(run->alerts, fds, max) : 0;
}

static int run_src_timeout(void *ctx, uint64_t now_ms)
{
	struct run *run = ctx;

	return run->alerts ? alerts_timeout_ms(run->alerts, now_ms) : -1;
}

static void run_src_dispatch(void *ctx, const struct pollfd *fds, int n, uint64_t now_ms)
{
	struct run *run = ctx;

	if (run->alerts != NULL)
		alerts_perform(run->alerts, fds, n, now_ms);
}

static void run_check_over(struct run *run);

/* The next pairs' turn: one at a time in plan order (run_pair.c), or as
 * many as fit (run_jobs.c). */
static void run_turn(struct run *run)
{
	run->turn_due = false;
	if (!run_jobs_several(run))
		run_pair_next(run);
	else if (!run->leaving && run->stop_signal == 0 && run->n_orphans == 0)
		run_jobs_turn(run); /* a removed pair's orphan holds every turn */
}

/* Once a turn, before the loop sleeps: the next pairs' turn when a pair
 * ended, has the run ended, and the dashboard redrawn. */
static void run_before_sleep(void *ctx, uint64_t now_ms)
{
	struct run *run = ctx;

	if (run->turn_due)
		run_turn(run);
	run_check_over(run);
	if (run->tui == NULL)
		return;
	run->model.now_ms = now_ms;
	run->model.wall_ms = clock_wall_ms();
	run->model.alerts_broken = run->alerts ? alerts_broken(run->alerts) : NULL;
	run->cfg.view->render(run->tui, &run->model);
}

static void run_drop_tui(struct run *run)
{
	if (run->tui == NULL)
		return;
	loop_del_fd(run->loop, run->cfg.view->input_fd(run->tui));
	run->cfg.view->close(run->tui);
	run->tui = NULL;
}

/* The sample log (for the report) and the metrics file, after each tick. A
 * write that fails is reported once; the watchdog goes on without it. */
static void run_record(struct run *run)
{
	uint64_t wall = clock_wall_ms();

	run->model.now_ms = loop_now_ms(run->loop);
	run->model.wall_ms = wall;
	if (run->samples != NULL && samplelog_write(run->samples, &run->model, wall) < 0) {
		run_note(run, "cannot write the samples to %s: %s; the report will lack them",
		         run->plan->log_dir, strerror(errno));
		samplelog_free(run->samples);
		run->samples = NULL;
	}
	if (run->metrics != NULL && metrics_write(run->metrics, &run->model, wall) < 0 &&
	    !run->metrics_error_reported) {
		run->metrics_error_reported = true;
		run_note(run, "cannot write the metrics file %s: %s", metrics_path(run->metrics),
		         strerror(errno));
	}
}

/* Ends the run: every pair accounted for, run_end written. With a
 * dashboard the screen stays until q; headless the loop stops once the
 * alerts went out or their grace ran out. */
static void run_finish(struct run *run)
{
	int *c = run->counts;
	struct event ev = event_init(EVENT_RUN_END);

	if (run->over)
		return;
	run->over = true;
	ev.n_done = c[PAIR_DONE];
	ev.n_failed = c[PAIR_FAILED];
	ev.n_killed = c[PAIR_KILLED];
	ev.n_skipped = c[PAIR_SKIPPED];
	ev.elapsed_s = (double)(loop_now_ms(run->loop) - run->started_ms) / 1000.0;
	run_emit(run, &ev);
	run->model.run_over = true;
	snprintf(run->model.outcome, sizeof(run->model.outcome),
	         "%d done, %d failed, %d killed, %d skipped", c[PAIR_DONE], c[PAIR_FAILED],
	         c[PAIR_KILLED], c[PAIR_SKIPPED]);
	run->exit_deadline_ms = loop_now_ms(run->loop) + RUN_ALERT_GRACE_MS;
	run_record(run);
}

static bool run_all_ended(const struct run *run)
{
	for (int i = 0; i < run->n_pairs; i++) {
		if (!lifecycle_final(run->pairs[i].phase))
			return false;
	}
	return true;
}

/* A pair whose processes are still ours to wait for. */
static bool run_any_busy(const struct run *run)
{
	for (int i = 0; i < run->n_pairs; i++) {
		if (lifecycle_busy(run->pairs[i].phase))
			return true;
	}
	return run->n_orphans > 0;
}

/* Ends the run once every pair has ended; stops the loop when done. */
static void run_check_over(struct run *run)
{
	if (!run->over &&
	    (run_all_ended(run) || run->leaving || (run->stop_signal != 0 && !run_any_busy(run))))
		run_finish(run);
	if (!run->over)
		return;
	bool alerts_done = run->alerts == NULL || alerts_idle(run->alerts);

	if (!alerts_done && loop_now_ms(run->loop) >= run->exit_deadline_ms) {
		alerts_abandon(run->alerts);
		alerts_done = true;
	}
	/* Every pair's group goes before mergewatch does (within the grace). */
	bool groups_done =
		run->n_pending_cgroups == 0 || loop_now_ms(run->loop) >= run->exit_deadline_ms;

	if (alerts_done && groups_done && run->tui == NULL)
		loop_stop(run->loop);
}

static void run_on_signal(void *ctx, int fd, short revents)
{
	struct run *run = ctx;
	struct signalfd_siginfo si;

	(void)revents;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGINT:
		case SIGTERM:
			if (run->stop_signal == 0) {
				run->stop_signal = (int)si.ssi_signo;
				run_pair_act(run, ACTION_QUIT_STOP, -1);
			}
			break;
		case SIGHUP:
			/* The terminal is gone (an SSH drop without tmux): carry
			 * on headless, enforcing and logging to the file. */
			run_drop_tui(run);
			/* Only a terminal went away with the line: a file or a
			 * pipe on stdout keeps the headless events. */
			if (run->stdout_is_tty)
				eventlog_mute_stdout(run->log);
			break;
		case SIGWINCH:
			if (run->tui != NULL)
				run->cfg.view->resize(run->tui);
			break;
		case SIGCHLD:
			/* Exits arrive through each job's pidfd. */
			break;
		default:
			break;
		}
	}
}

static void run_on_key(void *ctx, int fd, short revents)
{
	struct run *run = ctx;

	(void)fd;
	if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
		run_drop_tui(run);
		return;
	}
	if (run->cfg.view->handle_input(run->tui, &run->model, &run->actions)) {
		/* The quit dialog already stopped the running pair or left it
		 * running; otherwise quitting stops the run here. The run
		 * ends once a stopping pair has gone. */
		run_drop_tui(run);
		if (!run->leaving && run->stop_signal == 0)
			run->stop_signal = -1;
	}
}

/* A base tick: the machine, every watched tree (its verdicts to its
 * lifecycle), every pair at the gate. */
static void run_tick(struct run *run, uint64_t now_ms)
{
	struct rule_event evs[RULES_MAX_EVENTS];

	run_sample_system(run, now_ms);
	run_reap_orphans(run);
	for (int i = 0; i < run->n_pairs; i++) {
		struct pair_rt *p = &run->pairs[i];

		if (lifecycle_watched(p->phase))
			run_pair_verdicts(p, evs, run_sample_pair(run, p, now_ms, true, evs),
			                  now_ms);
		else
			run_pair_post(p, LE_GATE_TICK); /* only a pair at the gate hears it */
	}
	if (run_jobs_several(run) && !run->leaving && run->stop_signal == 0)
		run_jobs_turn(run);
}

static void run_on_tick(void *ctx, uint64_t now_ms)
{
	struct run *run = ctx;

	loop_add_timer(run->loop, now_ms + run->cfg.interval_ms, run_on_tick, run);
	run_tick(run, now_ms);
	run_record(run);
}

static int run_setup_signals(struct run *run, char *err, size_t errlen)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, &run->orig_mask);
	/* A dead webhook socket or a closed stdout must not kill the watchdog. */
	signal(SIGPIPE, SIG_IGN);
	run->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (run->signal_fd < 0) {
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		return -errno;
	}
	return loop_add_fd(run->loop, run->signal_fd, POLLIN, run_on_signal, run);
}

static void run_init_pairs(struct run *run)
{
	struct plan *plan = run->plan;

	run->n_pairs = plan->n_pairs;
	run->pairs = calloc((size_t)plan->n_pairs, sizeof(*run->pairs));
	run->model.pairs = calloc((size_t)plan->n_pairs, sizeof(*run->model.pairs));
	run->model.trees = calloc((size_t)plan->n_pairs, sizeof(*run->model.trees));
	if (run->pairs == NULL || run->model.pairs == NULL || run->model.trees == NULL)
		return;
	run->model.n_pairs = plan->n_pairs;
	for (int i = 0; i < plan->n_pairs; i++) {
		struct pair_rt *p = &run->pairs[i];

		p->run = run;
		p->index = i;
		p->group_events_fd = -1;
		p->phase = PHASE_PENDING;
		p->spec = &plan->pairs[i];
		p->mp = &run->model.pairs[i];
		p->job.pidfd = p->cleanup.pidfd = p->capture.pidfd = -1;
		p->cleanup_pipe = -1;
		snprintf(p->record_path, sizeof(p->record_path), "%s/%s.job", plan->log_dir,
		         p->spec->name);
		snprintf(p->name, sizeof(p->name), "%s", p->spec->name);
		snprintf(p->log_path, sizeof(p->log_path), "%s/%s.log", plan->log_dir, p->name);
		p->mp->name = p->spec->name;
		p->mp->exit_code = -1;
		p->mp->kill_rss_bytes =
			units_size_resolve(&p->spec->limits.kill_rss, run->sys.mem_total_bytes);
		p->mp->timeout_ms = p->spec->limits.timeout_ms;
		p->mp->deadlock_window_ms = p->spec->limits.deadlock_window_ms;
		p->mp->on_deadlock = plan_on_deadlock_name(p->spec->limits.on_deadlock);
		switch (p->spec->limits.on_deadlock) {
		case ON_DEADLOCK_KILL:
			p->mp->deadlock_action = MODEL_ON_DEADLOCK_KILL;
			break;
		case ON_DEADLOCK_RESTART:
			p->mp->deadlock_action = MODEL_ON_DEADLOCK_RESTART;
			break;
		case ON_DEADLOCK_ALERT:
			p->mp->deadlock_action = MODEL_ON_DEADLOCK_ALERT;
			break;
		}
		p->mp->log_path = run->cfg.watch ? NULL : p->log_path; /* watch captures nothing */
		if (!run->cfg.watch) {
			struct prediction pred;

			planning_predict(plan, run->state, i, run->sys.mem_total_bytes,
			                 run->sys.mem_available_bytes, &pred);
			p->mp->predicted_peak_bytes = pred.peak_bytes;
		}
	}
}

/* Groups named "mergewatch-<pid>-<pair>" whose mergewatch is dead and that
 * are empty are leftovers of a crash: remove them (rmdir refuses a group
 * that still holds a process, such as an orphan about to be adopted). The
 * prefix keeps other tools' groups in a shared parent out of it. */
static void run_sweep_cgroups(const struct run *run, const struct cgroup_probe *probe)
{
	DIR *dir = probe->mechanism == CGROUP_NONE ? NULL : opendir(probe->parent);
	struct dirent *e;
	char path[sizeof(probe->parent) + 260];

	if (dir == NULL)
		return;
	while ((e = readdir(dir)) != NULL) {
		char *end;
		long pid = strncmp(e->d_name, "mergewatch-", 11) == 0
		                   ? strtol(e->d_name + 11, &end, 10)
		                   : 0;

		if (pid <= 0 || *end != '-' || pid == getpid() || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", probe->parent, e->d_name);
		/* a group the state names still tells how its pair ended */
		if (!run_safe_group_recorded(run, path))
			rmdir(path);
	}
	closedir(dir);
}

/* A run's identity in events.jsonl, which collects every run of a plan:
 * 128 random bits in hex, as systemd's invocation IDs. */
static void run_make_id(char *buf, size_t len)
{
	unsigned char b[16] = { 0 };
	size_t o = 0;

	if (getrandom(b, sizeof(b), GRND_NONBLOCK) != (ssize_t)sizeof(b)) {
		uint64_t t = clock_wall_ms() ^ ((uint64_t)getpid() << 40);

		memcpy(b, &t, sizeof(t));
	}
	for (size_t i = 0; i < sizeof(b) && o + 2 < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%02x", b[i]);
}

struct run *run_new(const struct run_config *cfg, char *err, size_t errlen)
{
	struct run *run = calloc(1, sizeof(*run));
	char path[4096];

	if (run == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	run->cfg = *cfg;
	run->plan = cfg->plan;
	run->lock_fd = -1;
	run->signal_fd = -1;
	run->model.running = -1;
	run->model.can_restart = !cfg->watch;
	run->model.log_dir = cfg->plan->log_dir;
	run->model.interval_ms = cfg->interval_ms;
	run->assumed_rate_bytes_per_ms = run_sample_assumed_rate();
	snprintf(run->model.host, sizeof(run->model.host), "%s", cfg->host);
	run->actions = (struct model_actions){ run, run_pair_act };
	if ((run->loop = loop_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (lock_mkdirs(run->plan->log_dir, err, errlen) < 0)
		goto fail;
	if (!cfg->watch) {
		run->lock_fd = lock_acquire(run->plan->log_dir, err, errlen);
		if (run->lock_fd < 0)
			goto fail;
		if (cfg->resume &&
		    (run->state = state_load(run->plan->log_dir, err, errlen)) == NULL)
			goto fail;
		/* the state is this plan's, or the run does not start */
		if (run_safe_claim(run, err, errlen) < 0)
			goto fail;
	}
	run->sysmem = sysmem_new(cfg->proc_root);
	if (run->sysmem == NULL ||
	    sysmem_read(run->sysmem, loop_now_ms(run->loop), &run->sys) < 0) {
		snprintf(err, errlen, "cannot read %s/meminfo: %s", cfg->proc_root,
		         strerror(errno));
		goto fail;
	}
	run->log = eventlog_new(cfg->event_out, cfg->log_path, err, errlen);
	if (run->log == NULL)
		goto fail;
	run_make_id(run->run_id, sizeof(run->run_id));
	/* Asked now: once the line hangs up, isatty fails on the dead tty. */
	run->stdout_is_tty = isatty(STDOUT_FILENO);
	eventlog_enable_journal(run->log, run->run_id);
	if (cfg->metrics_path != NULL &&
	    (run->metrics = metrics_new(cfg->metrics_path, err, errlen)) == NULL)
		goto fail;
	{
		char why[512];

		run->samples = samplelog_new(run->plan->log_dir, why, sizeof(why));
		if (run->samples == NULL)
			fprintf(stderr, "mergewatch: %s; the report will lack samples\n", why);
	}
	if (!cfg->watch) {
		/* A pair's process whose parent dies is adopted by mergewatch,
		 * not init: still found (by its MERGEWATCH_PAIR) where no
		 * group holds the pair, and killed with it. */
		(void)prctl(PR_SET_CHILD_SUBREAPER, 1);
		snprintf(path, sizeof(path), "%s/self/cgroup", cfg->proc_root);
		cgroup_probe(cfg->cgroup_root, path, CGROUP_PROBE_RUN, &run->cgroup);
		run_sweep_cgroups(run, &run->cgroup);
	} else {
		run->cgroup.mechanism = CGROUP_NONE;
		snprintf(run->cgroup.note, sizeof(run->cgroup.note),
		         "watch: the processes are not mergewatch's to move into a cgroup");
	}
	run->model.limit_mechanism = cgroup_mechanism_name(run->cgroup.mechanism);
	run->model.limit_note = run->cgroup.note;
	if (cfg->webhook_url != NULL) {
		struct alerts_config ac = {
			.url = cfg->webhook_url,
			.format = run->plan->webhook_format,
			.cooldown_ms = run->plan->cooldown_ms,
			.host = cfg->host,
		};
		run->alerts = alerts_new(&ac, run_alert_result, run, err, errlen);
		if (run->alerts == NULL)
			goto fail;
		struct loop_source src = { run, run_src_fill, run_src_timeout, run_src_dispatch };

		loop_set_source(run->loop, &src);
	}
	if (run_setup_signals(run, err, errlen) < 0)
		goto fail;
	run_init_pairs(run);
	if (run->pairs == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	const struct limits *lim = &run->plan->limits;

	run->sys_lim.min_available_bytes =
		units_size_resolve(&lim->pressure_available, run->sys.mem_total_bytes);
	run->sys_lim.max_swap_used_bytes =
		units_size_resolve(&lim->pressure_swap, run->sys.swap_total_bytes);
	run->sys_lim.max_psi_some = lim->pressure_psi;
	run->model.pressure.min_available_bytes = run->sys_lim.min_available_bytes;
	run->model.pressure.max_swap_used_bytes = run->sys_lim.max_swap_used_bytes;
	run->model.pressure.max_psi_some = run->sys_lim.max_psi_some;
	if (cfg->view != NULL) {
		char why[256];

		run->tui = cfg->view->open(why, sizeof(why));
		if (run->tui == NULL) {
			fprintf(stderr, "mergewatch: no dashboard (%s); running headless\n", why);
		} else {
			loop_add_fd(run->loop, cfg->view->input_fd(run->tui), POLLIN, run_on_key,
			            run);
		}
	}
	loop_set_before_sleep(run->loop, run_before_sleep, run);
	return run;
fail:
	run_free(run);
	return NULL;
}

/* systemd's watchdog (WatchdogSec=): pinged from the loop at half its
 * interval, so a stuck loop is noticed and the service restarted. */
static void run_on_watchdog(void *ctx, uint64_t now_ms)
{
	struct run *run = ctx;

	sd_notify_send("WATCHDOG=1");
	run->watchdog_timer =
		loop_add_timer(run->loop, now_ms + run->watchdog_ms / 2, run_on_watchdog, run);
}

int run_execute(struct run *run)
{
	struct event ev = event_init(EVENT_RUN_START);
	uint64_t now = loop_refresh_now(run->loop);

	run->started_ms = now;
	ev.plan = run->plan->path;
	if (ev.plan == NULL)
		event_clear(&ev, EF_PLAN);
	ev.pairs = run->n_pairs;
	ev.run_id = run->run_id;
	ev.host = run->cfg.host != NULL ? run->cfg.host : "localhost";
	ev.version = MW_VERSION;
	ev.limit_mechanism = cgroup_mechanism_name(run->cgroup.mechanism);
	/* where the groups go, or why there are none: on every layout */
	ev.limit_note = run->cgroup.note;
	event_set(&ev, EF_LIMIT_NOTE);
	if (run_jobs_several(run)) {
		ev.memory_budget = planning_budget_bytes(run->plan, run->sys.mem_total_bytes);
		event_set(&ev, EF_MEMORY_BUDGET);
	}
	run_emit(run, &ev);
	sd_notify_send("READY=1");
	run->watchdog_ms = sd_watchdog_ms();
	if (run->watchdog_ms > 0)
		run_on_watchdog(run, now);
	loop_add_timer(run->loop, now + run->cfg.interval_ms, run_on_tick, run);
	/* what an earlier mergewatch left running comes first */
	run_safe_resume_all(run);
	run_turn(run);
	run_tick(run, now);
	/* Setting up (the plan, the state, libproc2, curses) leaves freed
	 * heap behind: give it back before the long watch, so the watchdog
	 * stays the smallest process on the machine. */
	malloc_trim(0);
	int rc = loop_run(run->loop);

	sd_notify_send("STOPPING=1");

	if (rc < 0)
		fprintf(stderr, "mergewatch: poll: %s\n", strerror(-rc));
	if (run->stop_signal == SIGINT)
		return 130;
	if (run->stop_signal == SIGTERM)
		return 143;
	if (run->cfg.command_status && run->n_pairs == 1)
		return exit_status_of_command(&run->model.pairs[0]);
	int c_bad = run->counts[PAIR_FAILED] + run->counts[PAIR_KILLED] + run->counts[PAIR_SKIPPED];

	return c_bad > 0 || run->counts[PAIR_DONE] < run->n_pairs ? 1 : 0;
}

void run_reap_orphans(struct run *run)
{
	pid_t kids[RUN_MAX_CGROUP_PIDS];
	int n = run->cfg.watch ? 0
	                       : orphans_list(run->cfg.proc_root, getpid(), NULL, kids,
	                                      RUN_MAX_CGROUP_PIDS);

	for (int i = 0; i < n; i++) {
		bool ours = false;
		siginfo_t info;

		/* every process mergewatch forks and waits for is a job of a
		 * pair: those are reaped through their pidfds */
		for (int k = 0; k < run->n_pairs && !ours; k++) {
			const struct pair_rt *p = &run->pairs[k];

			ours = kids[i] == p->job.pid || kids[i] == p->cleanup.pid ||
			       kids[i] == p->capture.pid;
		}
		if (!ours)
			(void)waitid(P_PID, (id_t)kids[i], &info, WEXITED | WNOHANG);
	}
}

void run_free(struct run *run)
{
	if (run == NULL)
		return;
	run_drop_tui(run);
	for (int i = 0; i < run->n_pairs && run->pairs != NULL; i++) {
		run_pair_free(&run->pairs[i]);
	}
	run_release_cgroups_now(run);
	cgroup_probe_release(&run->cgroup);
	for (int i = 0; i < run->n_orphans; i++)
		close(run->orphans[i].pidfd);
	free(run->pairs);
	free(run->model.pairs);
	free(run->model.trees);
	alerts_free(run->alerts);
	samplelog_free(run->samples);
	metrics_free(run->metrics);
	eventlog_free(run->log);
	state_free(run->state);
	sysmem_free(run->sysmem);
	if (run->lock_fd >= 0)
		lock_release(run->lock_fd);
	if (run->signal_fd >= 0) {
		close(run->signal_fd);
		sigprocmask(SIG_SETMASK, &run->orig_mask, NULL);
	}
	loop_free(run->loop);
	free(run);
}
