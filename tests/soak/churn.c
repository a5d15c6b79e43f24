/* churn: a process tree that never stands still, for mergewatch's fault and
 * soak tests. The root keeps a pool of threads asleep on a condition
 * variable (futex waits that never end), starts short-lived threads of its
 * own, and forks short-lived children of several kinds, each a trap for a
 * collector: children with threads, grandchildren, a zombie leader whose
 * other threads still run, a process whose every thread waits on a futex
 * for a moment, an exec, an escapee that leaves the tree, hostile names.
 *
 *   churn [--seconds N] [--procs-per-s N] [--threads-per-s N] [--pool N]
 *         [--pidfile FILE]
 *
 * --seconds 0 (the default) runs until SIGTERM or SIGINT. SIGUSR1 makes the
 * tree quiet (no new children or threads; the ones under way end and are
 * reaped, the pool stays), SIGUSR2 starts the churn again: the soak driver
 * compares mergewatch's descriptors and memory at two quiet moments.
 * The root prints "churn: N processes, M threads" on stderr at exit. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
	CHURN_KINDS = 8,
	CHURN_MAX_LIVE = 64, /* children alive at once, at most */
};

struct churn_opts {
	double seconds;
	double procs_per_s;
	double threads_per_s;
	int pool;
	const char *pidfile;
};

static volatile sig_atomic_t churn_stop;
static volatile sig_atomic_t churn_quiet;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cond = PTHREAD_COND_INITIALIZER;
static int pool_release; /* guarded by pool_lock */

static void churn_on_signal(int sig)
{
	if (sig == SIGUSR1)
		churn_quiet = 1;
	else if (sig == SIGUSR2)
		churn_quiet = 0;
	else
		churn_stop = 1;
}

static double churn_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void churn_sleep(double seconds)
{
	struct timespec ts;

	if (seconds <= 0)
		return;
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !churn_stop)
		;
}

/* A little work that shows as CPU time and RSS, then gives it back. */
static void churn_work(size_t bytes)
{
	volatile unsigned char *mem = malloc(bytes);
	unsigned sum = 0;

	if (mem == NULL)
		return;
	for (size_t i = 0; i < bytes; i += 4096)
		mem[i] = (unsigned char)i;
	for (size_t i = 0; i < bytes; i += 4096)
		sum += mem[i];
	free((void *)mem);
	(void)sum;
}

static void *churn_pool_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pool_lock);
	while (!pool_release)
		pthread_cond_wait(&pool_cond, &pool_lock);
	pthread_mutex_unlock(&pool_lock);
	return NULL;
}

static void *churn_short_thread(void *arg)
{
	churn_work((size_t)(uintptr_t)arg);
	return NULL;
}

/* In a child: every thread, the main one too, waits on a futex with a
 * timeout, so for a moment the process is all-futex while the tree around
 * it keeps working. */
static pthread_mutex_t blocked_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t blocked_cond = PTHREAD_COND_INITIALIZER;

static void churn_futex_nap(double seconds)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += (long)(seconds * 1e9);
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&blocked_lock);
	while (pthread_cond_timedwait(&blocked_cond, &blocked_lock, &until) == 0)
		;
	pthread_mutex_unlock(&blocked_lock);
}

static void *churn_blocked_thread(void *arg)
{
	(void)arg;
	churn_futex_nap(0.3);
	return NULL;
}

static void *churn_orphan_thread(void *arg)
{
	(void)arg;
	churn_sleep(0.05);
	churn_work(256 * 1024);
	exit(0); /* ends the process whose leader has gone */
}

static void churn_name(int kind, unsigned n)
{
	/* Hostile names for the dashboard and the evidence files: escape
	 * sequences, a newline, invalid UTF-8, the /proc/PID/stat trap. */
	static const char *const names[] = {
		"a) R 1 (b",       "\033[2J\033[Hx", "nl\nname",
		"bad\xff\xfeutf8", "q\"uo\\te",      "sp ace (x)",
	};
	char name[16];

	if (kind == 0) {
		snprintf(name, sizeof(name), "%s", names[n % (sizeof(names) / sizeof(names[0]))]);
		prctl(PR_SET_NAME, name, 0, 0, 0);
	}
}

static _Noreturn void churn_child(int kind, unsigned n)
{
	pthread_t t[4];
	int made = 0;

	/* The root's signal handlers are not for children. */
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
	churn_name(kind, n);
	switch (kind) {
	case 0: /* a hostile name doing a little work */
	case 1: /* plain */
		churn_work((size_t)(1 + n % 4) << 20);
		churn_sleep(0.02);
		break;
	case 2: /* threads that come and go */
		for (int i = 0; i < 4; i++)
			made += pthread_create(&t[made], NULL, churn_short_thread,
			                       (void *)(uintptr_t)(512 * 1024)) == 0;
		for (int i = 0; i < made; i++)
			pthread_join(t[i], NULL);
		break;
	case 3: { /* a grandchild that exits at once */
		pid_t g = fork();

		if (g == 0)
			_exit(0);
		if (g > 0)
			waitpid(g, NULL, 0);
		break;
	}
	case 4: /* a zombie leader while a thread runs on */
		if (pthread_create(&t[0], NULL, churn_orphan_thread, NULL) == 0)
			pthread_exit(NULL);
		break;
	case 5: /* every thread waits on a futex for a moment */
		for (int i = 0; i < 2; i++)
			made += pthread_create(&t[made], NULL, churn_blocked_thread, NULL) == 0;
		churn_futex_nap(0.3);
		for (int i = 0; i < made; i++)
			pthread_join(t[i], NULL);
		break;
	case 6: /* an exec: the name changes under the collector */
		execl("/bin/true", "true", (char *)NULL);
		break;
	case 7: { /* an escapee: reparented away from the tree */
		pid_t g = fork();

		if (g == 0) {
			churn_sleep(0.05);
			_exit(0);
		}
		break;
	}
	default:
		break;
	}
	_exit(0);
}

static int churn_reap(void)
{
	int n = 0;

	while (waitpid(-1, NULL, WNOHANG) > 0)
		n++;
	return n;
}

static int churn_parse(int argc, char **argv, struct churn_opts *o)
{
	o->seconds = 0;
	o->procs_per_s = 100;
	o->threads_per_s = 200;
	o->pool = 8;
	o->pidfile = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			return -1;
		if (strcmp(a, "--seconds") == 0)
			o->seconds = atof(v);
		else if (strcmp(a, "--procs-per-s") == 0)
			o->procs_per_s = atof(v);
		else if (strcmp(a, "--threads-per-s") == 0)
			o->threads_per_s = atof(v);
		else if (strcmp(a, "--pool") == 0)
			o->pool = atoi(v);
		else if (strcmp(a, "--pidfile") == 0)
			o->pidfile = v;
		else
			return -1;
		i++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct churn_opts o;
	struct sigaction sa;
	pthread_t *pool;
	pthread_attr_t detached;
	unsigned long procs = 0, threads = 0;
	int live = 0;

	if (churn_parse(argc, argv, &o) < 0) {
		fprintf(stderr, "usage: churn [--seconds N] [--procs-per-s N] "
		                "[--threads-per-s N] [--pool N] [--pidfile FILE]\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = churn_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	if (o.pidfile != NULL) {
		FILE *f = fopen(o.pidfile, "w");

		if (f != NULL) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		}
	}
	pool = calloc((size_t)(o.pool > 0 ? o.pool : 1), sizeof(*pool));
	if (pool == NULL)
		return 1;
	for (int i = 0; i < o.pool; i++) {
		if (pthread_create(&pool[i], NULL, churn_pool_thread, NULL) != 0)
			o.pool = i;
	}
	pthread_attr_init(&detached);
	pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);

	double start = churn_now();
	double next_proc = start, next_thread = start;
	double proc_gap = o.procs_per_s > 0 ? 1.0 / o.procs_per_s : 0;
	double thread_gap = o.threads_per_s > 0 ? 1.0 / o.threads_per_s : 0;

	while (!churn_stop && (o.seconds <= 0 || churn_now() - start < o.seconds)) {
		double now = churn_now();

		live -= churn_reap();
		if (churn_quiet) {
			next_proc = next_thread = now;
			churn_sleep(0.01);
			continue;
		}
		while (proc_gap > 0 && next_proc <= now && live < CHURN_MAX_LIVE) {
			pid_t pid = fork();

			if (pid == 0)
				churn_child((int)(procs % CHURN_KINDS),
				            (unsigned)(procs / CHURN_KINDS));
			if (pid > 0) {
				live++;
				procs++;
			}
			next_proc += proc_gap;
		}
		if (next_proc < now - 1)
			next_proc = now; /* do not catch up a backlog */
		while (thread_gap > 0 && next_thread <= now) {
			pthread_t t;

			if (pthread_create(&t, &detached, churn_short_thread,
			                   (void *)(uintptr_t)(64 * 1024)) == 0)
				threads++;
			next_thread += thread_gap;
		}
		if (next_thread < now - 1)
			next_thread = now;
		double wake = next_proc < next_thread ? next_proc : next_thread;

		churn_sleep(wake - churn_now() > 0.001 ? wake - churn_now() : 0.001);
	}
	/* Let the children finish, then the pool. */
	while (live > 0) {
		pid_t pid = waitpid(-1, NULL, 0);

		if (pid < 0)
			break;
		live--;
	}
	pthread_mutex_lock(&pool_lock);
	pool_release = 1;
	pthread_cond_broadcast(&pool_cond);
	pthread_mutex_unlock(&pool_lock);
	for (int i = 0; i < o.pool; i++)
		pthread_join(pool[i], NULL);
	free(pool);
	pthread_attr_destroy(&detached);
	fprintf(stderr, "churn: %lu processes, %lu threads\n", procs, threads);
	return 0;
}
