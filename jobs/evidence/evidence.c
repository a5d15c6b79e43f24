/* mergewatch-evidence: the evidence of a deadlock or stall, written to
 * standard output (the runner appends it to <log_dir>/<pair>.deadlock.txt).
 * Run as a child of mergewatch, watched by its pidfd and killed at its time
 * bound, so nothing here can delay the loop.
 *
 *   mergewatch-evidence [--proc DIR] [--budget-ms N] [--max-bytes N]
 *                       --pair NAME --verdict KIND PID...
 *
 * For every process: its threads' state, wait channel, what each waits for
 * (collectors/waits.c, plus the owner of a glibc mutex read from its futex
 * word), kernel stack; every thread's user-space stack (libdwfl), and for a
 * CPython 3.11 process every thread's Python stack; identical stacks are
 * printed once with the threads that share them. What could not be taken
 * is said, with why. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "../../collectors/procparse.h"
#include "../../collectors/waits.h"
#include "pystack.h"
#include "unwind.h"

enum {
	EV_MAX_THREADS = 4096, /* threads of one process looked at */
	EV_MAX_FRAMES = 64,    /* native frames a thread */
	EV_MAX_PROCS = 1024,
	EV_DEFAULT_BUDGET_MS = 10000,
	EV_DEFAULT_MAX_BYTES = 4 << 20,
};

struct ev_thread {
	struct thread_sample ts;
	char comm[32];
	char *kstack;   /* kernel stack lines */
	char *ustack;   /* native frames */
	char *pystack;  /* Python frames */
	char note[160]; /* what it waits on, said in full */
	bool printed;
};

struct ev {
	const char *proc_root;
	uint64_t start_ms, budget_ms;
	size_t max_bytes, written;
	bool truncated;
	struct waits *waits;
	pid_t *pids;
	size_t n_pids;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool budget_left(const struct ev *e)
{
	return now_ms() - e->start_ms < e->budget_ms;
}

/* printf to stdout within the size bound. */
__attribute__((format(printf, 2, 3))) static void out(struct ev *e, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	if (e->truncated)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof buf)
		n = sizeof buf - 1;
	if (e->written + (size_t)n > e->max_bytes) {
		printf("\n(evidence cut at %zu bytes)\n", e->max_bytes);
		e->truncated = true;
		return;
	}
	fwrite(buf, 1, (size_t)n, stdout);
	e->written += (size_t)n;
}

/* raw with every byte outside printable ASCII as \xNN and a backslash as
 * \\: a process name can neither rewrite the reader's terminal nor start a
 * line of its own. Into buf. */
static const char *escaped(const char *raw, char *buf, size_t len)
{
	size_t o = 0;

	for (const unsigned char *s = (const unsigned char *)raw; *s != '\0' && o + 5 < len; s++) {
		if (*s < 0x20 || *s >= 0x7f)
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", *s);
		else if (*s == '\\')
			o += (size_t)snprintf(buf + o, len - o, "\\\\");
		else
			buf[o++] = (char)*s;
	}
	buf[o] = '\0';
	return buf;
}

static char *slurp_dup(const char *path, char *why, size_t whylen)
{
	char buf[16384];
	ssize_t n = waits_slurp(path, buf, sizeof buf);

	if (n < 0) {
		snprintf(why, whylen, "%s", strerror((int)-n));
		return NULL;
	}
	if (n == 0) {
		snprintf(why, whylen, "empty");
		return NULL;
	}
	return strdup(buf);
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* The TIDs of pid, sorted; returns the count. */
static size_t list_tids(struct ev *e, pid_t pid, pid_t *tids, size_t max)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof path, "%s/%d/task", e->proc_root, (int)pid);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		long tid = strtol(de->d_name, NULL, 10);

		if (tid > 0 && tid <= INT_MAX)
			tids[n++] = (pid_t)tid;
	}
	closedir(d);
	qsort(tids, n, sizeof *tids, cmp_pid);
	return n;
}

static void read_thread(struct ev *e, pid_t pid, struct ev_thread *t)
{
	char path[PATH_MAX], buf[1024], why[128];
	ssize_t n;

	snprintf(path, sizeof path, "%s/%d/task/%d/stat", e->proc_root, (int)pid, (int)t->ts.tid);
	n = waits_slurp(path, buf, sizeof buf);
	t->ts.state = '?';
	if (n > 0)
		procparse_stat_state(buf, (size_t)n, &t->ts.state);
	snprintf(path, sizeof path, "%s/%d/task/%d/wchan", e->proc_root, (int)pid, (int)t->ts.tid);
	n = waits_slurp(path, buf, sizeof buf);
	if (n > 0)
		procparse_wchan(buf, (size_t)n, t->ts.wchan, sizeof t->ts.wchan);
	snprintf(path, sizeof path, "%s/%d/task/%d/comm", e->proc_root, (int)pid, (int)t->ts.tid);
	n = waits_slurp(path, buf, sizeof buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	snprintf(t->comm, sizeof t->comm, "%.31s", n > 0 ? buf : "?");
	waits_judge(e->waits, pid, &t->ts);
	snprintf(path, sizeof path, "%s/%d/task/%d/stack", e->proc_root, (int)pid, (int)t->ts.tid);
	t->kstack = slurp_dup(path, why, sizeof why);
	if (t->kstack == NULL) {
		char line[200];

		snprintf(line, sizeof line, "(kernel stack not read: %s)\n", why);
		t->kstack = strdup(line);
	}
}

static const struct ev_thread *thread_by_tid(const struct ev_thread *v, size_t n, pid_t tid)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].ts.tid == tid)
			return &v[i];
	return NULL;
}

/* What a lock wait waits for: a glibc mutex keeps its owner's TID in the
 * word after the lock word and its count (struct __pthread_mutex_s: int
 * __lock; unsigned __count; int __owner). A word that is taken and names a
 * thread of this process is a mutex held by that thread; anything else is
 * a condition, a semaphore or a lock without an owner record. */
static void lock_note(pid_t pid, struct ev_thread *t, const struct ev_thread *all, size_t n)
{
	int32_t word[3];
	struct iovec local = { word, sizeof word };
	struct iovec remote = { (void *)(uintptr_t)t->ts.wait_addr, sizeof word };
	const struct ev_thread *owner;

	if (t->ts.wait_addr == 0) {
		snprintf(t->note, sizeof t->note, "%s", t->ts.wait_what);
		return;
	}
	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof word) {
		snprintf(t->note, sizeof t->note, "futex 0x%llx (word unreadable: %s)",
		         (unsigned long long)t->ts.wait_addr, strerror(errno));
		return;
	}
	owner = word[0] != 0 && word[2] > 0 ? thread_by_tid(all, n, (pid_t)word[2]) : NULL;
	if (owner != NULL && owner != t)
		snprintf(t->note, sizeof t->note, "mutex 0x%llx held by thread %d (%s)",
		         (unsigned long long)t->ts.wait_addr, (int)owner->ts.tid, owner->comm);
	else if (owner == t)
		snprintf(t->note, sizeof t->note, "mutex 0x%llx held by this same thread",
		         (unsigned long long)t->ts.wait_addr);
	else if (word[0] > 0 && (owner = thread_by_tid(all, n, (pid_t)word[0])) != NULL)
		/* pthread_join sleeps on the joined thread's TID word */
		snprintf(t->note, sizeof t->note, "joins thread %d (%s), which has not ended",
		         (int)owner->ts.tid, owner->comm);
	else
		snprintf(t->note, sizeof t->note,
		         "futex 0x%llx (a condition, semaphore or lock with no owner recorded)",
		         (unsigned long long)t->ts.wait_addr);
}

static void comm_of(struct ev *e, pid_t pid, char *out, size_t len)
{
	char path[PATH_MAX], buf[64];
	ssize_t n;

	snprintf(path, sizeof path, "%s/%d/comm", e->proc_root, (int)pid);
	n = waits_slurp(path, buf, sizeof buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	snprintf(out, len, "%s", n > 0 ? buf : "?");
}

/* A wait for any child (or a signal): names the children of pid among the
 * pair's processes. */
static void children_note(struct ev *e, pid_t pid, struct ev_thread *t)
{
	char path[PATH_MAX], buf[1024], esc[128];
	struct stat_fields sf;
	size_t used;
	int n = 0;

	used = (size_t)snprintf(t->note, sizeof t->note, "%s:", t->ts.wait_what);
	for (size_t i = 0; i < e->n_pids && used < sizeof t->note; i++) {
		ssize_t len;

		snprintf(path, sizeof path, "%s/%d/stat", e->proc_root, (int)e->pids[i]);
		len = waits_slurp(path, buf, sizeof buf);
		if (len <= 0 || procparse_stat(buf, (size_t)len, &sf) != 0 || sf.ppid != pid)
			continue;
		used += (size_t)snprintf(t->note + used, sizeof t->note - used,
		                         "%s child PID %d (%s)", n++ > 0 ? "," : "", (int)sf.pid,
		                         escaped(sf.comm, esc, sizeof esc));
	}
	if (n == 0 && used < sizeof t->note)
		snprintf(t->note + used, sizeof t->note - used, " no child in the pair");
}

static void wait_note(struct ev *e, pid_t pid, struct ev_thread *t, const struct ev_thread *all,
                      size_t n)
{
	char comm[64], esc[256];

	switch ((enum wait_kind)t->ts.wait) {
	case WAIT_LOCK:
		lock_note(pid, t, all, n);
		return;
	case WAIT_INSIDE:
		if (t->ts.wait_pid < 0) {
			children_note(e, pid, t);
			return;
		}
		if (strncmp(t->ts.wait_what, "child PID", 9) == 0 && t->ts.wait_pid > 0) {
			comm_of(e, t->ts.wait_pid, comm, sizeof comm);
			snprintf(t->note, sizeof t->note, "its child PID %d (%s)",
			         (int)t->ts.wait_pid, escaped(comm, esc, sizeof esc));
			return;
		}
		break;
	default:
		break;
	}
	snprintf(t->note, sizeof t->note, "%s", t->ts.wait_what[0] ? t->ts.wait_what : "-");
}

/* The user-space and Python stacks of every thread of pid, or why not. */
static void user_stacks(struct ev *e, pid_t pid, char pstate, struct ev_thread *v, size_t n,
                        char *why, size_t whylen, char *pywhy, size_t pywhylen)
{
	struct unwind *u;

	why[0] = pywhy[0] = '\0';
	if (pstate == 'T' || pstate == 't') {
		snprintf(why, whylen, "the process is stopped");
		return;
	}
	if (!budget_left(e)) {
		snprintf(why, whylen, "the time budget of %llu ms was spent on earlier processes",
		         (unsigned long long)e->budget_ms);
		return;
	}
	u = unwind_open(pid, why, whylen);
	if (u == NULL)
		return;
	uint64_t runtime = unwind_symbol(u, "python", "_PyRuntime");

	if (runtime != 0) {
		uint64_t version = unwind_symbol(u, "python", "Py_Version");
		struct pystack_thread *py = calloc(n > 0 ? n : 1, sizeof *py);
		int got =
			py ? pystack_read(pid, runtime, version, py, (int)n, pywhy, pywhylen) : -1;

		for (int k = 0; k < got; k++) {
			for (size_t i = 0; i < n; i++) {
				if (v[i].ts.tid == py[k].tid && v[i].pystack == NULL) {
					v[i].pystack = py[k].stack;
					py[k].stack = NULL;
				}
			}
			free(py[k].stack);
		}
		free(py);
	} else {
		snprintf(pywhy, pywhylen, "-");
	}
	for (size_t i = 0; i < n; i++) {
		char twhy[256];

		if (!budget_left(e)) {
			snprintf(twhy, sizeof twhy,
			         "(not unwound: the time budget of %llu ms is spent)\n",
			         (unsigned long long)e->budget_ms);
			v[i].ustack = strdup(twhy);
			continue;
		}
		if (v[i].ts.state == 'D') {
			v[i].ustack = strdup("(not unwound: in uninterruptible sleep (D), ptrace "
			                     "cannot stop it)\n");
			continue;
		}
		v[i].ustack = unwind_thread(u, v[i].ts.tid, EV_MAX_FRAMES, twhy, sizeof twhy);
		if (v[i].ustack == NULL) {
			char line[300];

			snprintf(line, sizeof line, "(not unwound: %s)\n", twhy);
			v[i].ustack = strdup(line);
		}
	}
	unwind_close(u);
}

static bool same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool same_stacks(const struct ev_thread *a, const struct ev_thread *b)
{
	return same(a->kstack, b->kstack) && same(a->ustack, b->ustack) &&
	       same(a->pystack, b->pystack);
}

static void out_block(struct ev *e, const char *title, const char *text)
{
	if (text == NULL)
		return;
	out(e, "  %s:\n", title);
	for (const char *line = text; *line != '\0';) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char raw[1024], esc[4096];

		snprintf(raw, sizeof raw, "%.*s", (int)(len < sizeof raw ? len : sizeof raw - 1),
		         line);
		out(e, "    %s\n", escaped(raw, esc, sizeof esc));
		line += len + (nl ? 1 : 0);
	}
}

static void one_process(struct ev *e, pid_t pid)
{
	char path[PATH_MAX], buf[4096], esc[1024], why[300], pywhy[300];
	struct stat_fields sf;
	pid_t *tids = malloc(EV_MAX_THREADS * sizeof *tids);
	struct ev_thread *v;
	size_t n;
	ssize_t len;
	int lock_threads = 0;

	snprintf(path, sizeof path, "%s/%d/stat", e->proc_root, (int)pid);
	len = waits_slurp(path, buf, sizeof buf);
	if (len <= 0 || procparse_stat(buf, (size_t)len, &sf) != 0) {
		out(e, "process %d: gone before it could be read\n\n", (int)pid);
		free(tids);
		return;
	}
	n = tids != NULL ? list_tids(e, pid, tids, EV_MAX_THREADS) : 0;
	v = calloc(n > 0 ? n : 1, sizeof *v);
	if (v == NULL || tids == NULL) {
		out(e, "process %d: out of memory\n\n", (int)pid);
		free(v);
		free(tids);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		v[i].ts.tid = tids[i];
		read_thread(e, pid, &v[i]);
		lock_threads += v[i].ts.wait == WAIT_LOCK;
	}
	for (size_t i = 0; i < n; i++)
		wait_note(e, pid, &v[i], v, n);
	out(e, "process %d (ppid %d) %s state %c, %zu threads, %d in untimed lock waits\n",
	    (int)pid, (int)sf.ppid, escaped(sf.comm, esc, sizeof esc), sf.state, n, lock_threads);
	snprintf(path, sizeof path, "%s/%d/cmdline", e->proc_root, (int)pid);
	len = waits_slurp(path, buf, 512);
	for (ssize_t i = 0; i < len - 1; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	out(e, "  command: %s\n", len > 0 ? escaped(buf, esc, sizeof esc) : "(none)");
	for (size_t i = 0; i < n; i++) {
		const struct ev_thread *t = &v[i];

		out(e, "  thread %d (%s) state %c wchan %s: %s — %s\n", (int)t->ts.tid,
		    escaped(t->comm, esc, sizeof esc), t->ts.state,
		    t->ts.wchan[0] ? t->ts.wchan : "-", waits_kind_name((enum wait_kind)t->ts.wait),
		    t->note);
	}
	user_stacks(e, pid, sf.state, v, n, why, sizeof why, pywhy, sizeof pywhy);
	if (why[0] != '\0')
		out(e, "  user-space stacks not captured: %s\n", why);
	if (pywhy[0] != '\0' && strcmp(pywhy, "-") != 0)
		out(e, "  Python stacks not captured: %s\n", pywhy);
	out(e, "\n");
	/* Identical stacks once, with the threads that share them. */
	for (size_t i = 0; i < n; i++) {
		size_t count = 0;

		if (v[i].printed)
			continue;
		out(e, "  threads");
		for (size_t j = i; j < n; j++) {
			if (!v[j].printed && same_stacks(&v[i], &v[j])) {
				v[j].printed = true;
				count++;
				out(e, " %d", (int)v[j].ts.tid);
			}
		}
		out(e, " (%zu with this stack)\n", count);
		out_block(e, "Python", v[i].pystack);
		out_block(e, "user space", v[i].ustack);
		out_block(e, "kernel", v[i].kstack);
		out(e, "\n");
	}
	for (size_t i = 0; i < n; i++) {
		free(v[i].kstack);
		free(v[i].ustack);
		free(v[i].pystack);
	}
	free(v);
	free(tids);
}

static void usage(void)
{
	fputs("usage: mergewatch-evidence [--proc DIR] [--budget-ms N] [--max-bytes N] --pair NAME "
	      "--verdict KIND PID...\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "proc", required_argument, NULL, 'p' },
		{ "budget-ms", required_argument, NULL, 'b' },
		{ "max-bytes", required_argument, NULL, 'm' },
		{ "pair", required_argument, NULL, 'n' },
		{ "verdict", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct ev e = { .proc_root = "/proc",
		        .budget_ms = EV_DEFAULT_BUDGET_MS,
		        .max_bytes = EV_DEFAULT_MAX_BYTES };
	const char *pair = NULL, *verdict = NULL;
	char esc[512];
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			e.proc_root = optarg;
			break;
		case 'b':
			e.budget_ms = strtoull(optarg, NULL, 10);
			break;
		case 'm':
			e.max_bytes = strtoull(optarg, NULL, 10);
			break;
		case 'n':
			pair = optarg;
			break;
		case 'v':
			verdict = optarg;
			break;
		default:
			usage();
		}
	}
	if (pair == NULL || verdict == NULL || optind >= argc)
		usage();
	/* Never ask the network for debug information. */
	unsetenv("DEBUGINFOD_URLS");
	e.start_ms = now_ms();
	e.n_pids = (size_t)(argc - optind);
	if (e.n_pids > EV_MAX_PROCS)
		e.n_pids = EV_MAX_PROCS;
	e.pids = calloc(e.n_pids, sizeof *e.pids);
	e.waits = waits_new(e.proc_root);
	if (e.pids == NULL || e.waits == NULL) {
		fputs("mergewatch-evidence: out of memory\n", stderr);
		return 1;
	}
	for (size_t i = 0; i < e.n_pids; i++)
		e.pids[i] = (pid_t)strtol(argv[optind + (int)i], NULL, 10);
	waits_begin(e.waits, e.pids, e.n_pids);
	out(&e, "mergewatch evidence: pair %s, verdict %s, %zu processes\n",
	    escaped(pair, esc, sizeof esc), verdict, e.n_pids);
	out(&e, "(each thread: state, wait channel, what it waits for; then each distinct stack "
	        "once, Python, user space and kernel, with the threads that share it)\n\n");
	for (size_t i = 0; i < e.n_pids; i++)
		one_process(&e, e.pids[i]);
	out(&e, "evidence taken in %llu ms\n", (unsigned long long)(now_ms() - e.start_ms));
	waits_free(e.waits);
	free(e.pids);
	return 0;
}
