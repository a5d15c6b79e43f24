/* The floor for one full sample of a process: a minimal loop reading the
 * files such a sample needs, with nothing else around it, for `make bench`.
 *
 *   floor keep PID [ITER] [WARM]       statm + task/ listing + task/T/stat
 *                                      + task/T/wchan, every file opened
 *                                      once and re-read with pread
 *   floor open PID [ITER] [WARM]       the same files, opened, read and
 *                                      closed at every sample
 *   floor keep-tree PID [ITER] [WARM]  keep, plus what a tree sample must
 *                                      also read: the process's stat and io
 *                                      and every thread's children file
 *   floor keep-full PID [ITER] [WARM]  keep-tree, plus every thread's
 *                                      schedstat (the stall rule's schedule
 *                                      counts) and syscall (what a judged
 *                                      scan reads of a sleeping thread):
 *                                      every file a judged full sample reads
 *   floor statm PID [ITER] [WARM]      one pread of a kept-open statm
 *
 * Prints one line: "mode=M pid=P iter=N threads=T us_median=X us_mean=Y
 * us_min=Z" (microseconds per sample; WARM samples are run first and not
 * timed, so the keep modes' opens are not counted). Exit status 0, 1 when
 * the process cannot be read, 2 on a bad command line. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum {
	FLOOR_MAX_THREADS = 8192,
	FLOOR_BUF = 4096,
	FLOOR_DENTS = 1 << 16,
};

enum floor_mode {
	FLOOR_KEEP,
	FLOOR_OPEN,
	FLOOR_KEEP_TREE,
	FLOOR_KEEP_FULL,
	FLOOR_STATM,
};

/* A thread's kept-open files (-1: not open). */
struct floor_thread {
	long tid;
	int fd_stat;
	int fd_wchan;
	int fd_children;
	int fd_sched;
	int fd_syscall;
};

struct floor {
	enum floor_mode mode;
	long pid;
	int fd_statm;
	int fd_stat;
	int fd_io;
	int fd_task;                  /* the task directory, for getdents64 */
	struct floor_thread *threads; /* sorted by tid */
	size_t n_threads;
	char buf[FLOOR_BUF];
	char dents[FLOOR_DENTS];
	long tids[FLOOR_MAX_THREADS]; /* the latest listing */
	/* What a sample found, so the compiler cannot drop the reads. */
	uint64_t rss_pages;
	size_t seen_threads;
	size_t sleeping;
	size_t wchan_bytes;
	size_t children_bytes;
	size_t judge_bytes;
};

static uint64_t floor_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int floor_open_rel(const struct floor *f, long tid, const char *name)
{
	char path[128];

	if (tid > 0)
		snprintf(path, sizeof path, "/proc/%ld/task/%ld/%s", f->pid, tid, name);
	else
		snprintf(path, sizeof path, "/proc/%ld/%s", f->pid, name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* Reads a file through a kept fd (pread at 0) or, with *fd == -1 and keep
 * false, by opening and closing it. Returns the length or -1. */
static ssize_t floor_read(struct floor *f, int *fd, long tid, const char *name, int keep)
{
	ssize_t n;
	int tmp;

	if (*fd >= 0)
		return pread(*fd, f->buf, sizeof f->buf - 1, 0);
	tmp = floor_open_rel(f, tid, name);
	if (tmp < 0)
		return -1;
	n = pread(tmp, f->buf, sizeof f->buf - 1, 0);
	if (keep)
		*fd = tmp;
	else
		close(tmp);
	return n;
}

/* The state letter of a stat line: the field after the last ')'. */
static char floor_stat_state(const char *buf, ssize_t n)
{
	const char *rp;

	if (n <= 0)
		return '?';
	rp = memrchr(buf, ')', (size_t)n);
	if (rp == NULL || rp + 2 >= buf + n)
		return '?';
	return rp[2];
}

static int floor_cmp_tid(const void *a, const void *b)
{
	long x = ((const struct floor_thread *)a)->tid;
	long y = ((const struct floor_thread *)b)->tid;

	return (x > y) - (x < y);
}

static struct floor_thread *floor_find(struct floor *f, long tid)
{
	struct floor_thread key = { .tid = tid };

	return bsearch(&key, f->threads, f->n_threads, sizeof key, floor_cmp_tid);
}

/* Lists the task directory into tids; returns the count, or -1. Keep modes
 * re-read the kept directory fd from the start; open mode opens it anew. */
static long floor_list(struct floor *f, long *tids, size_t max)
{
	size_t n = 0;
	int fd = f->fd_task;
	long got;

	if (fd < 0) {
		fd = floor_open_rel(f, 0, "task");
		if (fd < 0)
			return -1;
	} else if (lseek(fd, 0, SEEK_SET) < 0) {
		return -1;
	}
	while ((got = syscall(SYS_getdents64, fd, f->dents, sizeof f->dents)) > 0) {
		long off = 0;

		while (off < got) {
			struct dirent64 *de = (struct dirent64 *)(void *)(f->dents + off);

			if (de->d_name[0] >= '1' && de->d_name[0] <= '9' && n < max)
				tids[n++] = strtol(de->d_name, NULL, 10);
			off += de->d_reclen;
		}
	}
	if (f->fd_task < 0)
		close(fd);
	return got < 0 ? -1 : (long)n;
}

/* Brings the kept thread list in line with this listing: new threads get
 * closed files (opened at their first read), gone ones are closed. */
static int floor_sync_threads(struct floor *f, const long *tids, size_t n)
{
	struct floor_thread *next;
	size_t i;

	next = calloc(n > 0 ? n : 1, sizeof *next);
	if (next == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		struct floor_thread *old = floor_find(f, tids[i]);

		if (old != NULL) {
			next[i] = *old;
			old->tid = -1; /* moved */
		} else {
			next[i].tid = tids[i];
			next[i].fd_stat = next[i].fd_wchan = next[i].fd_children = -1;
			next[i].fd_sched = next[i].fd_syscall = -1;
		}
	}
	for (i = 0; i < f->n_threads; i++) {
		if (f->threads[i].tid == -1)
			continue;
		if (f->threads[i].fd_stat >= 0)
			close(f->threads[i].fd_stat);
		if (f->threads[i].fd_wchan >= 0)
			close(f->threads[i].fd_wchan);
		if (f->threads[i].fd_children >= 0)
			close(f->threads[i].fd_children);
		if (f->threads[i].fd_sched >= 0)
			close(f->threads[i].fd_sched);
		if (f->threads[i].fd_syscall >= 0)
			close(f->threads[i].fd_syscall);
	}
	free(f->threads);
	f->threads = next;
	f->n_threads = n;
	qsort(f->threads, n, sizeof *f->threads, floor_cmp_tid);
	return 0;
}

/* One full sample. Returns 0, or -1 when the process cannot be read. */
static int floor_sample(struct floor *f)
{
	long *tids = f->tids;
	int keep = f->mode != FLOOR_OPEN;
	int full = f->mode == FLOOR_KEEP_FULL;
	int tree = f->mode == FLOOR_KEEP_TREE || full;
	ssize_t n;
	long nt;
	size_t i;

	n = floor_read(f, &f->fd_statm, 0, "statm", keep);
	if (n <= 0)
		return -1;
	f->buf[n] = '\0';
	{
		const char *sp = strchr(f->buf, ' ');

		f->rss_pages = sp != NULL ? strtoull(sp + 1, NULL, 10) : 0;
	}
	if (f->mode == FLOOR_STATM)
		return 0;
	if (tree) {
		(void)floor_read(f, &f->fd_stat, 0, "stat", keep);
		(void)floor_read(f, &f->fd_io, 0, "io", keep);
	}
	nt = floor_list(f, tids, FLOOR_MAX_THREADS);
	if (nt < 0)
		return -1;
	if (keep && floor_sync_threads(f, tids, (size_t)nt) < 0)
		return -1;
	f->seen_threads = f->sleeping = f->wchan_bytes = f->children_bytes = f->judge_bytes = 0;
	for (i = 0; i < (size_t)nt; i++) {
		struct floor_thread tmp = { tids[i], -1, -1, -1, -1, -1 };
		struct floor_thread *th = keep ? &f->threads[i] : &tmp;

		n = floor_read(f, &th->fd_stat, th->tid, "stat", keep);
		if (n <= 0)
			continue;
		f->seen_threads++;
		if (floor_stat_state(f->buf, n) == 'S')
			f->sleeping++;
		n = floor_read(f, &th->fd_wchan, th->tid, "wchan", keep);
		if (n > 0)
			f->wchan_bytes += (size_t)n;
		if (tree) {
			n = floor_read(f, &th->fd_children, th->tid, "children", keep);
			if (n > 0)
				f->children_bytes += (size_t)n;
		}
		if (full) {
			n = floor_read(f, &th->fd_sched, th->tid, "schedstat", keep);
			if (n > 0)
				f->judge_bytes += (size_t)n;
			n = floor_read(f, &th->fd_syscall, th->tid, "syscall", keep);
			if (n > 0)
				f->judge_bytes += (size_t)n;
		}
	}
	return 0;
}

static int floor_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int floor_usage(void)
{
	fprintf(stderr, "usage: floor keep|open|keep-tree|keep-full|statm PID [ITER] [WARM]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static struct floor f;
	struct rlimit rl;
	uint64_t *ns, sum = 0;
	long iter = 200, warm = 20;
	long i;

	if (argc < 3)
		return floor_usage();
	if (strcmp(argv[1], "keep") == 0)
		f.mode = FLOOR_KEEP;
	else if (strcmp(argv[1], "open") == 0)
		f.mode = FLOOR_OPEN;
	else if (strcmp(argv[1], "keep-tree") == 0)
		f.mode = FLOOR_KEEP_TREE;
	else if (strcmp(argv[1], "keep-full") == 0)
		f.mode = FLOOR_KEEP_FULL;
	else if (strcmp(argv[1], "statm") == 0)
		f.mode = FLOOR_STATM;
	else
		return floor_usage();
	f.pid = strtol(argv[2], NULL, 10);
	if (argc > 3)
		iter = strtol(argv[3], NULL, 10);
	if (argc > 4)
		warm = strtol(argv[4], NULL, 10);
	if (f.pid <= 0 || iter <= 0 || warm < 0)
		return floor_usage();
	/* Up to five kept files a thread: make room for them. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	f.fd_statm = f.fd_stat = f.fd_io = f.fd_task = -1;
	if (f.mode != FLOOR_OPEN && f.mode != FLOOR_STATM) {
		f.fd_task = floor_open_rel(&f, 0, "task");
		if (f.fd_task < 0) {
			fprintf(stderr, "floor: /proc/%ld/task: %s\n", f.pid, strerror(errno));
			return 1;
		}
	}
	ns = calloc((size_t)iter, sizeof *ns);
	if (ns == NULL)
		return 1;
	for (i = 0; i < warm; i++) {
		if (floor_sample(&f) < 0) {
			fprintf(stderr, "floor: cannot read /proc/%ld\n", f.pid);
			return 1;
		}
	}
	for (i = 0; i < iter; i++) {
		uint64_t t0 = floor_now_ns();

		if (floor_sample(&f) < 0) {
			fprintf(stderr, "floor: /proc/%ld went away\n", f.pid);
			return 1;
		}
		ns[i] = floor_now_ns() - t0;
		sum += ns[i];
	}
	qsort(ns, (size_t)iter, sizeof *ns, floor_cmp_u64);
	printf("mode=%s pid=%ld iter=%ld threads=%zu sleeping=%zu us_median=%.2f us_mean=%.2f "
	       "us_min=%.2f\n",
	       argv[1], f.pid, iter, f.seen_threads, f.sleeping, (double)ns[iter / 2] / 1000.0,
	       (double)sum / (double)iter / 1000.0, (double)ns[0] / 1000.0);
	free(ns);
	return 0;
}
