/* mergewatch: runs and watches long, memory-hungry batch jobs and keeps them
 * from taking the machine down. This file parses the command line and wires
 * the modules together; it holds no policy of its own. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/units.h"
#include "collectors/sysmem.h"
#include "plan/plan.h"
#include "jobs/cgroup.h"
#include "jobs/cleanup.h"
#include "jobs/supervise.h"
#include "logdir/state.h"
#include "alerts/alerts.h"
#include "alerts/secret.h"
#include "runner/demo.h"
#include "runner/planning.h"
#include "runner/run.h"
#include "tui/tui.h"
#include "report/report.h"

enum { EXIT_USAGE = 2 };

struct options {
	bool headless;
	bool test_alert;
	const char *log_path;
	const char *metrics_path;
	const char *out_path;
	const char *log_dir; /* --log-dir: run -- and watch */
	uint64_t interval_ms;
	const char *inputs;
	const char *proc_root;
	const char *cgroup_root;
	/* plan keys given as options, applied after the plan is read */
	const char *override_key[16];
	const char *override_value[16];
	int n_overrides;
	const char *rerun[64]; /* --rerun PAIR */
	int n_rerun;
};

static const char usage_text[] =
	"usage: mergewatch run   [OPTIONS] PLAN               run the plan's pairs under watch\n"
	"       mergewatch run   [OPTIONS] -- COMMAND [ARG...] one-pair plan from the command "
	"line\n"
	"       mergewatch watch [OPTIONS] PID...              attach to running processes\n"
	"       mergewatch check [OPTIONS] PLAN               validate a plan, print the effective "
	"settings\n"
	"       mergewatch demo  [OPTIONS]                    self-contained demonstration\n"
	"       mergewatch report LOG_DIR [-o FILE]            HTML report of a run (default "
	"LOG_DIR/report.html)\n"
	"       mergewatch --help | --version\n"
	"\n"
	"options:\n"
	"  --headless               never start the dashboard; print the event log (JSON lines)\n"
	"  --log FILE               also append the event log to FILE\n"
	"  --log-dir DIR            run -- and watch: where the logs and state go (watch:\n"
	"                           $XDG_STATE_HOME/mergewatch or ~/.local/state/mergewatch)\n"
	"  --metrics-file PATH      keep a Prometheus textfile (node_exporter) up to date\n"
	"  --interval DUR           base sampling interval (default 1s)\n"
	"  --kill-rss SIZE          SIGKILL a pair's tree above this total RSS\n"
	"  --memory-max SIZE        kernel cap (cgroup) for each pair\n"
	"  --swap-max SIZE          kernel swap cap for each pair\n"
	"  --timeout DUR            SIGTERM, then SIGKILL after kill_grace\n"
	"  --bloat-ratio X          alert when RSS > X times the input size\n"
	"  --deadlock-window DUR    no thread woke and no I/O moved this long\n"
	"  --on-deadlock ACTION     alert | kill | restart\n"
	"  --jobs N|auto            pairs at once (auto: as many as memory_budget holds)\n"
	"  --inputs GLOB            with run -- COMMAND or watch: the inputs (bloat baseline)\n"
	"  --rerun PAIR             run PAIR again although the state records it done\n"
	"  --webhook-url-file FILE  file holding the chat webhook URL (mode 600)\n"
	"  --webhook-format FMT     slack | discord | teams | mattermost | generic\n"
	"  --test-alert             with check: post one test alert and report the answer\n"
	"\n"
	"SIZE: 50G, 512M, 1.5GiB or 90% of MemTotal. DUR: 250ms, 10s, 30m, 2h.\n"
	"MERGEWATCH_WEBHOOK_URL overrides webhook_url_file. See mergewatch(1).\n";

static void usage(FILE *out)
{
	fputs(usage_text, out);
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "mergewatch: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry 'mergewatch --help'.\n");
	va_end(ap);
	return EXIT_USAGE;
}

enum {
	OPT_HEADLESS = 256,
	OPT_LOG,
	OPT_INTERVAL,
	OPT_INPUTS,
	OPT_TEST_ALERT,
	OPT_PROC_ROOT,
	OPT_CGROUP_ROOT,
	OPT_HELP,
	OPT_VERSION,
	OPT_PLAN_KEY,
	OPT_METRICS_FILE,
	OPT_RERUN,
	OPT_LOG_DIR,
};

/* Options named after plan keys map straight onto plan_override. */
static const struct option long_options[] = {
	{ "headless", no_argument, NULL, OPT_HEADLESS },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "metrics-file", required_argument, NULL, OPT_METRICS_FILE },
	{ "log-dir", required_argument, NULL, OPT_LOG_DIR },
	{ "output", required_argument, NULL, 'o' },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "inputs", required_argument, NULL, OPT_INPUTS },
	{ "test-alert", no_argument, NULL, OPT_TEST_ALERT },
	{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },
	{ "cgroup-root", required_argument, NULL, OPT_CGROUP_ROOT },
	{ "rerun", required_argument, NULL, OPT_RERUN },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "kill-rss", required_argument, NULL, OPT_PLAN_KEY },
	{ "memory-max", required_argument, NULL, OPT_PLAN_KEY },
	{ "swap-max", required_argument, NULL, OPT_PLAN_KEY },
	{ "timeout", required_argument, NULL, OPT_PLAN_KEY },
	{ "bloat-ratio", required_argument, NULL, OPT_PLAN_KEY },
	{ "deadlock-window", required_argument, NULL, OPT_PLAN_KEY },
	{ "on-deadlock", required_argument, NULL, OPT_PLAN_KEY },
	{ "webhook-url-file", required_argument, NULL, OPT_PLAN_KEY },
	{ "webhook-format", required_argument, NULL, OPT_PLAN_KEY },
	{ "jobs", required_argument, NULL, OPT_PLAN_KEY },
	{ NULL, 0, NULL, 0 },
};

static int parse_options(int argc, char **argv, struct options *o)
{
	int c, index;

	o->interval_ms = 1000;
	o->proc_root = "/proc";
	o->cgroup_root = "/sys/fs/cgroup";
	optind = 1;
	while ((c = getopt_long(argc, argv, "+ho:", long_options, &index)) != -1) {
		switch (c) {
		case OPT_HEADLESS:
			o->headless = true;
			break;
		case OPT_LOG:
			o->log_path = optarg;
			break;
		case OPT_METRICS_FILE:
			o->metrics_path = optarg;
			break;
		case OPT_LOG_DIR:
			o->log_dir = optarg;
			break;
		case 'o':
			o->out_path = optarg;
			break;
		case OPT_INPUTS:
			o->inputs = optarg;
			break;
		case OPT_RERUN:
			if (o->n_rerun == 64)
				return usage_error("too many --rerun options (%s)", optarg);
			o->rerun[o->n_rerun++] = optarg;
			break;
		case OPT_TEST_ALERT:
			o->test_alert = true;
			break;
		case OPT_PROC_ROOT:
			o->proc_root = optarg;
			break;
		case OPT_CGROUP_ROOT:
			o->cgroup_root = optarg;
			break;
		case OPT_INTERVAL:
			if (units_parse_duration_ms(optarg, &o->interval_ms) < 0 ||
			    o->interval_ms == 0)
				return usage_error(
					"option --interval: not a duration above zero (got '%s')",
					optarg);
			break;
		case OPT_PLAN_KEY: {
			const char *name = long_options[index].name;
			static const char *const keys[][2] = {
				{ "kill-rss", "kill_rss" },
				{ "memory-max", "memory_max" },
				{ "swap-max", "swap_max" },
				{ "timeout", "timeout" },
				{ "bloat-ratio", "bloat_ratio" },
				{ "deadlock-window", "deadlock_window" },
				{ "on-deadlock", "on_deadlock" },
				{ "webhook-url-file", "webhook_url_file" },
				{ "webhook-format", "format" },
				{ "jobs", "jobs" },
			};
			if (o->n_overrides == 16)
				return usage_error("too many options (%s)", name);
			for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
				if (strcmp(keys[k][0], name) == 0)
					o->override_key[o->n_overrides] = keys[k][1];
			}
			o->override_value[o->n_overrides++] = optarg;
			break;
		}
		case OPT_HELP:
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_VERSION:
			printf("mergewatch %s\n", MW_VERSION);
			exit(0);
		default:
			return EXIT_USAGE;
		}
	}
	return 0;
}

static int apply_overrides(struct plan *plan, const struct options *o)
{
	struct plan_error err;

	for (int i = 0; i < o->n_overrides; i++) {
		if (plan_override(plan, o->override_key[i], o->override_value[i], &err) < 0) {
			fprintf(stderr, "mergewatch: %s\n", err.msg);
			return EXIT_USAGE;
		}
	}
	return 0;
}

/* The webhook URL, or NULL when none is configured. A configured source that
 * cannot be read is an error: a run that would stay silent must not start. */
static int read_webhook(const struct plan *plan, char **url)
{
	char err[512];
	const char *env = getenv("MERGEWATCH_WEBHOOK_URL");

	if (secret_read_url(env, plan->webhook_url_file, url, err, sizeof(err)) < 0) {
		fprintf(stderr, "mergewatch: %s\n", err);
		return EXIT_USAGE;
	}
	return 0;
}

/* The host name as texts and chat messages show it: host names are ASCII
 * letters, digits, '-' and '.', but the kernel takes any bytes, so anything
 * else is shown as '?'. */
static void read_host_name(char *buf, size_t len)
{
	if (gethostname(buf, len - 1) < 0)
		snprintf(buf, len, "localhost");
	buf[len - 1] = '\0';
	for (char *c = buf; *c != '\0'; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' || *c == '_'))
			*c = '?';
	}
}

/* One word for `run -- COMMAND`'s pair: the command's base name, reduced to
 * the characters a pair name may hold. */
static void command_pair_name(const char *arg0, char *buf, size_t len)
{
	const char *base = strrchr(arg0, '/') ? strrchr(arg0, '/') + 1 : arg0;
	size_t n = 0;

	for (; *base != '\0' && n + 1 < len && n < 32; base++) {
		char c = *base;

		buf[n++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		                           (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		                           c == '.'
		                   ? c
		                   : '_';
	}
	if (n == 0)
		n = (size_t)snprintf(buf, len, "job");
	buf[n] = '\0';
}

/* Joins argv into one /bin/sh -c string, each word single-quoted. */
static char *shell_join(char **argv, int argc)
{
	size_t len = 1;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) * 4 + 3;
	char *out = malloc(len);
	char *o = out;

	if (out == NULL)
		return NULL;
	for (int i = 0; i < argc; i++) {
		if (i > 0)
			*o++ = ' ';
		*o++ = '\'';
		for (const char *s = argv[i]; *s != '\0'; s++) {
			if (*s == '\'')
				o = stpcpy(o, "'\\''");
			else
				*o++ = *s;
		}
		*o++ = '\'';
	}
	*o = '\0';
	return out;
}

static int execute(struct plan *plan, const struct options *o, bool watch, bool resume,
                   bool command_status, const pid_t *pids)
{
	char host[64] = "localhost";
	char err[1024];
	char log_path[PATH_MAX];
	char *url = NULL;
	int rc;

	if ((rc = read_webhook(plan, &url)) != 0)
		return rc;
	read_host_name(host, sizeof(host));
	bool dashboard = !o->headless && isatty(STDOUT_FILENO) && isatty(STDIN_FILENO);
	const char *log = o->log_path;

	if (log == NULL) {
		snprintf(log_path, sizeof(log_path), "%s/events.jsonl", plan->log_dir);
		log = log_path;
	}
	struct run_config cfg = {
		.plan = plan,
		.watch = watch,
		.resume = resume,
		.rerun = o->rerun,
		.n_rerun = o->n_rerun,
		.watch_pids = pids,
		.interval_ms = o->interval_ms,
		.proc_root = o->proc_root,
		.cgroup_root = o->cgroup_root,
		.event_out = dashboard ? NULL : stdout,
		.log_path = log,
		.metrics_path = o->metrics_path,
		.webhook_url = url,
		.view = dashboard ? tui_view() : NULL,
		.host = host,
		.command_status = command_status,
	};
	/* The watchdog must stay responsive when the machine is deep in
	 * swap: keep its pages in memory and let the kernel take others
	 * first. MCL_ONFAULT locks only the pages it touches, so libraries'
	 * unused code is not made resident. Only where nothing limits it: a
	 * future lock past RLIMIT_MEMLOCK would make malloc fail. */
	struct rlimit memlock;

	if (geteuid() == 0 ||
	    (getrlimit(RLIMIT_MEMLOCK, &memlock) == 0 && memlock.rlim_cur == RLIM_INFINITY))
		mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT);
	/* The collectors keep /proc files open per process and thread: use
	 * the hard limit, not Debian's soft 1024. */
	struct rlimit nofile;

	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	FILE *adj = fopen("/proc/self/oom_score_adj", "we");

	if (adj != NULL) {
		fputs("-900\n", adj);
		fclose(adj);
	}
	struct run *run = run_new(&cfg, err, sizeof(err));

	if (run == NULL) {
		fprintf(stderr, "mergewatch: %s\n", err);
		secret_free(url);
		return EXIT_USAGE;
	}
	rc = run_execute(run);
	run_free(run);
	secret_free(url);
	return rc;
}

static int cmd_run(int argc, char **argv, const struct options *o, bool dashdash)
{
	struct plan_error perr;
	struct plan *plan;
	int rc;

	if (dashdash) {
		char name[40];

		if (argc == 0)
			return usage_error("%s", "run --: no command given");
		char *command = shell_join(argv, argc);

		command_pair_name(argv[0], name, sizeof(name));
		plan = command ? plan_new_command(name, command, o->inputs) : NULL;
		free(command);
		if (plan == NULL) {
			fprintf(stderr, "mergewatch: out of memory\n");
			return 1;
		}
	} else {
		if (argc != 1)
			return usage_error("%s", argc == 0 ? "run: no plan given"
			                                   : "run: one plan at a time");
		if (o->inputs != NULL)
			return usage_error(
				"%s",
				"--inputs goes with run -- COMMAND or watch, not with a plan");
		plan = plan_load(argv[0], &perr);
		if (plan == NULL) {
			fprintf(stderr, "mergewatch: %s\n", perr.msg);
			return EXIT_USAGE;
		}
	}
	for (int i = 0; i < o->n_rerun; i++) {
		bool known = false;

		for (int k = 0; k < plan->n_pairs && !known; k++)
			known = strcmp(plan->pairs[k].name, o->rerun[i]) == 0;
		if (!known) {
			plan_free(plan);
			return usage_error("--rerun %s: the plan has no pair of that name",
			                   o->rerun[i]);
		}
	}
	rc = apply_overrides(plan, o);
	if (rc == 0 && o->log_dir != NULL) {
		if (!dashdash)
			rc = usage_error("%s", "--log-dir goes with run -- COMMAND or watch; "
			                       "a plan sets log_dir in [run]");
		else if (plan_set_log_dir(plan, o->log_dir) < 0)
			rc = 1;
	}
	if (rc == 0)
		rc = execute(plan, o, false, !dashdash, dashdash, NULL);
	plan_free(plan);
	return rc;
}

/* $XDG_STATE_HOME/mergewatch, else ~/.local/state/mergewatch (XDG Base
 * Directory: state that should persist, but is not worth backing up). */
static int watch_state_dir(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int n;

	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(buf, len, "%s/mergewatch", xdg);
	else if (home != NULL && home[0] == '/')
		n = snprintf(buf, len, "%s/.local/state/mergewatch", home);
	else
		return -ENOENT;
	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

static int cmd_watch(int argc, char **argv, const struct options *o)
{
	pid_t *pids = calloc((size_t)argc + 1, sizeof(*pids));
	int rc = 0;

	if (argc == 0) {
		free(pids);
		return usage_error("%s", "watch: no PID given");
	}
	for (int i = 0; i < argc && rc == 0; i++) {
		char *end, path[64];
		long v = strtol(argv[i], &end, 10);

		if (*end != '\0' || v <= 0 || v > INT_MAX)
			rc = usage_error("watch: '%s' is not a PID", argv[i]);
		else if (snprintf(path, sizeof(path), "%s/%ld", o->proc_root, v),
		         access(path, F_OK) < 0)
			rc = usage_error("watch: PID %s: no such process", argv[i]);
		pids[i] = (pid_t)v;
	}
	struct plan *plan = rc == 0 ? plan_new_watch(pids, argc, o->inputs) : NULL;
	char state_dir[PATH_MAX];

	if (rc == 0 && plan == NULL)
		rc = 1;
	/* watch keeps its files in the user's state directory, not in
	 * whatever directory it was started from. */
	if (rc == 0 && o->log_dir == NULL && watch_state_dir(state_dir, sizeof(state_dir)) < 0)
		rc = usage_error("%s", "watch: neither XDG_STATE_HOME nor HOME is set: "
		                       "give --log-dir DIR");
	if (rc == 0 && plan_set_log_dir(plan, o->log_dir != NULL ? o->log_dir : state_dir) < 0)
		rc = 1;
	if (rc == 0)
		rc = apply_overrides(plan, o);
	if (rc == 0) {
		rc = execute(plan, o, true, false, false, pids);
		/* watch: 0 once every watched process has gone, and on
		 * SIGINT/SIGTERM; only a usage error is not. */
		if (rc != EXIT_USAGE)
			rc = 0;
	}
	plan_free(plan);
	free(pids);
	return rc;
}

static int cmd_check(int argc, char **argv, const struct options *o)
{
	struct plan_error perr;
	struct sys_sample sys = { 0 };
	struct cgroup_probe probe;
	char path[PATH_MAX], err[512];

	if (argc != 1)
		return usage_error("%s", argc == 0 ? "check: no plan given"
		                                   : "check: one plan at a time");
	struct plan *plan = plan_load(argv[0], &perr);

	if (plan == NULL) {
		fprintf(stderr, "mergewatch: %s\n", perr.msg);
		return EXIT_USAGE;
	}
	int rc = apply_overrides(plan, o);
	struct sysmem *sm = sysmem_new(o->proc_root);

	if (sm != NULL)
		sysmem_read(sm, 0, &sys);
	sysmem_free(sm);
	snprintf(path, sizeof(path), "%s/self/cgroup", o->proc_root);
	/* check changes nothing: the probe proves without leaving anything
	 * and says what a run would do */
	cgroup_probe(o->cgroup_root, path, CGROUP_PROBE_CHECK, &probe);
	cgroup_probe_release(&probe);
	/* Whatever run would refuse, check refuses: the webhook file's
	 * owner and mode included. */
	if (rc == 0 && !o->test_alert) {
		char *url = NULL;
		int r = secret_read_url(getenv("MERGEWATCH_WEBHOOK_URL"), plan->webhook_url_file,
		                        &url, err, sizeof(err));

		/* A file not written yet (a plan checked on another machine)
		 * is told, not refused; one others can read is refused. */
		if (r == -ENOENT)
			fprintf(stderr,
			        "mergewatch: warning: %s (run refuses to start without it)\n", err);
		else if (r < 0) {
			fprintf(stderr, "mergewatch: %s\n", err);
			rc = EXIT_USAGE;
		}
		secret_free(url);
	}
	if (rc == 0) {
		char warnings[4096];

		if (plan_warnings(plan, sys.mem_total_bytes, warnings, sizeof(warnings)) > 0) {
			for (char *line = strtok(warnings, "\n"); line != NULL;
			     line = strtok(NULL, "\n"))
				fprintf(stderr, "mergewatch: warning: %s: %s\n", argv[0], line);
		}
		printf("; plan %s is valid\n", argv[0]);
		printf("; limit_mechanism = %s\n", cgroup_mechanism_name(probe.mechanism));
		printf("; limit_note = %s\n", probe.note);
		plan_print(plan, stdout, sys.mem_total_bytes, sys.swap_total_bytes);
		/* History from an earlier run of this plan, read only. */
		struct state *st = state_load(plan->log_dir, err, sizeof(err));

		if (st == NULL)
			fprintf(stderr, "mergewatch: %s (planning without history)\n", err);
		planning_print(plan, st, stdout, sys.mem_total_bytes, sys.mem_available_bytes);
		state_free(st);
	}
	if (rc == 0 && o->test_alert) {
		char *url = NULL;
		char host[64] = "localhost";
		long status = 0;

		err[0] = '\0';
		read_host_name(host, sizeof(host));
		rc = read_webhook(plan, &url);
		if (rc == 0 && url == NULL) {
			fprintf(stderr, "mergewatch: --test-alert: no webhook configured "
			                "(webhook_url_file or MERGEWATCH_WEBHOOK_URL)\n");
			rc = EXIT_USAGE;
		} else if (rc == 0) {
			struct alerts_config ac = { .url = url,
				                    .format = plan->webhook_format,
				                    .cooldown_ms = plan->cooldown_ms,
				                    .host = host };
			int r = alerts_send_test(&ac, &status, err, sizeof(err));

			if (r < 0 || status < 200 || status > 299) {
				fprintf(stderr, "mergewatch: test alert failed: %s\n",
				        err[0] ? err : "the webhook did not answer 2xx");
				printf("; test alert: HTTP %ld\n", status);
				rc = 1;
			} else {
				printf("; test alert: delivered, HTTP %ld\n", status);
			}
		}
		secret_free(url);
	}
	plan_free(plan);
	return rc;
}

static int cmd_demo(const struct options *o)
{
	char dir[] = "/tmp/mergewatch-demo-XXXXXX";
	char sim[PATH_MAX], plan_path[PATH_MAX + 16], err[512];
	struct plan_error perr;
	struct sys_sample sys = { 0 };
	struct sysmem *sm = sysmem_new(o->proc_root);

	if (sm != NULL)
		sysmem_read(sm, 0, &sys);
	sysmem_free(sm);
	if (demo_find_sim(MW_LIBEXECDIR, sim, sizeof(sim)) < 0) {
		fprintf(stderr,
		        "mergewatch: demo: mergewatch-sim not found next to mergewatch "
		        "or in %s (run make)\n",
		        MW_LIBEXECDIR);
		return 1;
	}
	if (mkdtemp(dir) == NULL ||
	    demo_write_plan(dir, sim, sys.mem_total_bytes, err, sizeof(err)) < 0) {
		fprintf(stderr, "mergewatch: demo: %s\n", err);
		return 1;
	}
	snprintf(plan_path, sizeof(plan_path), "%s/demo.ini", dir);
	fprintf(stderr, "mergewatch: demo plan %s; logs in %s/logs\n", plan_path, dir);
	struct plan *plan = plan_load(plan_path, &perr);

	if (plan == NULL) {
		fprintf(stderr, "mergewatch: %s\n", perr.msg);
		return 1;
	}
	int rc = apply_overrides(plan, o);

	if (rc == 0)
		rc = execute(plan, o, false, true, false, NULL);
	plan_free(plan);
	fprintf(stderr, "mergewatch: demo over; the plan, logs and event log are in %s\n", dir);
	/* Some pairs fail on purpose: the demo itself succeeded. */
	return rc == 1 ? 0 : rc;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };

	/* Internal modes, started by mergewatch itself through /proc/self/exe. */
	if (argc >= 2 && strcmp(argv[1], SUPERVISE_MODE) == 0)
		return supervise_main(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], CLEANUP_MODE) == 0)
		return cleanup_main(argc - 2, argv + 2);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("mergewatch %s\n", MW_VERSION);
		return 0;
	}
	const char *cmd = argv[1];
	int rc = parse_options(argc - 1, argv + 1, &o);

	if (rc != 0)
		return rc;
	int rest = argc - 1 - optind;
	char **args = argv + 1 + optind;
	bool dashdash = optind >= 2 && strcmp(argv[optind], "--") == 0;

	if (strcmp(cmd, "run") == 0)
		return cmd_run(rest, args, &o, dashdash);
	if (strcmp(cmd, "watch") == 0)
		return cmd_watch(rest, args, &o);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(rest, args, &o);
	if (strcmp(cmd, "report") == 0) {
		char err[1024];

		/* -o may follow the directory too: "report logs -o run.html". */
		if (rest == 3 && (strcmp(args[1], "-o") == 0 || strcmp(args[1], "--output") == 0)) {
			o.out_path = args[2];
			rest = 1;
		}
		if (rest != 1)
			return usage_error("%s", rest == 0 ? "report: no log directory given"
			                                   : "report: one log directory at a time");
		if (report_write(args[0], o.out_path, err, sizeof(err)) < 0) {
			fprintf(stderr, "mergewatch: %s\n", err);
			return 1;
		}
		if (o.out_path != NULL)
			fprintf(stderr, "mergewatch: report written to %s\n", o.out_path);
		else
			fprintf(stderr, "mergewatch: report written to %s/report.html\n", args[0]);
		return 0;
	}
	if (strcmp(cmd, "demo") == 0) {
		if (rest != 0)
			return usage_error("demo: unexpected argument '%s'", args[0]);
		return cmd_demo(&o);
	}
	return usage_error("unknown command '%s'", cmd);
}
