/* A pair's process tree, found again at every full sample by walking the
 * per-thread "children" files down from the root.
 *
 * Files are kept open between samples and re-read with pread at offset 0: a
 * /proc file opened once stays bound to the process it was opened for, so a
 * kept-open status can never read a later process that reused the PID (it
 * reads ESRCH instead), and the fast RSS check costs one pread a process.
 * Thread files are kept open too, within a budget, and given back whenever
 * an open fails for lack of descriptors.
 *
 * Under the real /proc a full sample reads the per-process fields through
 * libproc2 (pidsrc); under any other root, and for the fast RSS check and
 * the thread scan everywhere, it reads the files itself. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pidsrc.h"
#include "procparse.h"
#include "proctree.h"
#include "waits.h"

#include <sys/resource.h>

enum {
	PT_BUF_INIT = 4096,
	PT_BUF_MAX = 1 << 20,      /* a children file of ~100k PIDs */
	PT_MAX_PROCS = 32768,      /* a runaway tree stops growing here */
	PT_THREAD_FDS_MIN = 384,   /* thread files kept open per tree, at least... */
	PT_THREAD_FDS_MAX = 24576, /* ...and at most (5 files a thread) */
	PT_WCHAN_KINDS = 16,       /* distinct wait channels counted */
};

/* One thread of a known process, with its files kept open (-1: closed). */
struct pt_thread {
	pid_t tid;
	int fd_stat;
	int fd_wchan;
	int fd_children;
	int fd_sched;
	int fd_syscall; /* read only to judge a sleeping thread's wait */
	uint64_t runs;  /* schedstat's count of times scheduled */
	bool runs_known;
};

/* A known process: one incarnation of a PID, with its files. */
struct pt_proc {
	pid_t pid;
	uint64_t start_ticks; /* 0 until read */
	int fd_stat;          /* raw reader only */
	int fd_mem;
	int fd_io;
	unsigned seen_gen;         /* found by this discovery */
	unsigned valid_gen;        /* part of this full sample */
	bool fast_gone;            /* vanished since the last full sample */
	struct pt_thread *threads; /* sorted by tid */
	size_t n_threads;
	size_t cap_threads;
};

/* What reading a process's files came to. */
enum pt_status {
	PT_UNREAD,
	PT_OK,
	PT_GONE,   /* vanished, or garbage */
	PT_FAILED, /* unreadable for now (out of fds, ...) */
};

/* pt_visit.parent of a group member, found in its group, not as a child */
#define PT_NO_PARENT SIZE_MAX

/* A process found by discovery, in breadth-first order. */
struct pt_visit {
	struct pt_proc *proc;
	size_t parent;         /* index in the visit list; root: 0 */
	enum pt_status status; /* PT_OK: read and validated */
	struct proc_sample sample;
};

struct proctree {
	char *proc_root;
	char *group_procs; /* the pair's group's cgroup.procs; NULL: the tree only */
	pid_t *extra;      /* more roots of the pair's (its orphans mergewatch adopted) */
	size_t n_extra;
	struct waits *waits; /* judges blocked threads; NULL: out of memory */
	bool judge;          /* judge them at the next scan of a still tree */
	struct pidsrc *src;  /* NULL: raw reads */
	pid_t root;
	uint64_t expect_start; /* given, or read at the first sample */
	uint64_t first_start;  /* as read at the first sample */
	bool root_gone;        /* sticky: a PID never comes back */
	long ticks_per_s;
	uint64_t page_bytes;
	unsigned gen;         /* of the discovery under way */
	unsigned sampled_gen; /* of the last complete full sample */

	struct pt_proc **procs; /* sorted by pid */
	size_t n_procs;
	size_t cap_procs;

	size_t n_thread_fds;
	bool keep_thread_fds;  /* false after running out of fds */
	size_t max_thread_fds; /* a quarter of RLIMIT_NOFILE, clamped */

	/* Movement since the previous full sample, for WHEN_STILL. */
	bool have_prev;
	uint64_t prev_cpu_ticks;
	bool prev_io_known;
	uint64_t prev_io_bytes;

	/* Scratch, reused from sample to sample. */
	struct pt_visit *visits;
	size_t cap_visits;
	pid_t *kids;
	size_t n_kids;
	size_t cap_kids;
	pid_t *tids;
	size_t cap_tids;
	struct pt_thread *thr_scratch;
	size_t cap_thr_scratch;
	pid_t *pids;
	size_t cap_pids;
	pid_t *pids_scan; /* the sample's PIDs, for the wait judge */
	size_t cap_pids_scan;
	struct proc_sample *src_out;
	size_t cap_src_out;
	char *buf;
	size_t cap_buf;
	char path[PATH_MAX];

	/* The samples handed out. */
	struct tree_sample full;
	struct tree_sample fast;
	struct proc_sample *out_procs;
	size_t cap_out_procs;
	struct thread_sample *out_threads;
	size_t cap_out_threads;
};

/* Makes room in an array of elem-sized elements (capacity *cap) for want
 * of them. Returns the array, moved or not, or NULL when out of memory (the
 * old array and *cap are then unchanged). The caller stores the result. */
static void *pt_grow(void *arr, size_t *cap, size_t want, size_t elem)
{
	size_t n = *cap != 0 ? *cap : 16;
	void *q;

	if (want == 0)
		want = 1;
	if (arr != NULL && want <= *cap)
		return arr;
	while (n < want) {
		if (n > SIZE_MAX / 2 / elem)
			return NULL;
		n *= 2;
	}
	q = realloc(arr, n * elem);
	if (q == NULL)
		return NULL;
	*cap = n;
	return q;
}

/* A read error that means the process or thread has gone. */
static bool pt_vanished(ssize_t n)
{
	return n == 0 || n == -ESRCH || n == -ENOENT;
}

/* <proc_root>/PID/NAME or <proc_root>/PID/task/TID/NAME in pt->path;
 * NULL when it does not fit. */
static const char *pt_path(struct proctree *pt, pid_t pid, pid_t tid, const char *name)
{
	int n;

	if (tid > 0)
		n = snprintf(pt->path, sizeof pt->path, "%s/%d/task/%d/%s", pt->proc_root, (int)pid,
		             (int)tid, name);
	else
		n = snprintf(pt->path, sizeof pt->path, "%s/%d/%s", pt->proc_root, (int)pid, name);
	if (n < 0 || (size_t)n >= sizeof pt->path)
		return NULL;
	return pt->path;
}

static void pt_close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static void pt_thread_close(struct proctree *pt, struct pt_thread *th)
{
	int *fds[] = { &th->fd_stat, &th->fd_wchan, &th->fd_children, &th->fd_sched,
		       &th->fd_syscall };
	size_t i;

	for (i = 0; i < sizeof fds / sizeof fds[0]; i++) {
		if (*fds[i] >= 0) {
			pt_close_fd(fds[i]);
			pt->n_thread_fds--;
		}
	}
}

/* Gives back every kept thread file of the tree. */
static void pt_close_all_thread_fds(struct proctree *pt)
{
	size_t i, j;

	for (i = 0; i < pt->n_procs; i++) {
		for (j = 0; j < pt->procs[i]->n_threads; j++)
			pt_thread_close(pt, &pt->procs[i]->threads[j]);
	}
}

/* Closes every file of a process (its PID now names another incarnation,
 * or it has gone); its thread list stays, with files closed. */
static void pt_proc_close(struct proctree *pt, struct pt_proc *p)
{
	size_t j;

	pt_close_fd(&p->fd_stat);
	pt_close_fd(&p->fd_mem);
	pt_close_fd(&p->fd_io);
	for (j = 0; j < p->n_threads; j++)
		pt_thread_close(pt, &p->threads[j]);
}

static void pt_proc_free(struct proctree *pt, struct pt_proc *p)
{
	pt_proc_close(pt, p);
	free(p->threads);
	free(p);
}

/* open(2) that, when the process is out of descriptors, gives back the
 * tree's kept thread files, stops keeping them, and tries once more. */
static int pt_open(struct proctree *pt, const char *path, int flags)
{
	int fd;

	if (path == NULL) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(path, flags | O_RDONLY | O_CLOEXEC);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE) && pt->n_thread_fds > 0) {
		pt_close_all_thread_fds(pt);
		pt->keep_thread_fds = false;
		fd = open(path, flags | O_RDONLY | O_CLOEXEC);
	}
	return fd;
}

/* The whole file at fd into pt->buf, growing the buffer when the file does
 * not fit. Returns the length, or -errno. */
static ssize_t pt_pread_all(struct proctree *pt, int fd)
{
	void *grown;
	ssize_t n;

	for (;;) {
		n = pread(fd, pt->buf, pt->cap_buf, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if ((size_t)n < pt->cap_buf || pt->cap_buf >= PT_BUF_MAX)
			return n;
		/* Filled the buffer: the file may be longer. */
		grown = pt_grow(pt->buf, &pt->cap_buf, pt->cap_buf * 2, 1);
		if (grown == NULL)
			return n;
		pt->buf = grown;
	}
}

enum pt_fd_kind {
	PT_FD_PROC,   /* always kept: the fast path needs them */
	PT_FD_THREAD, /* kept within the budget */
};

/* Reads a file into pt->buf through *fd when it is open; otherwise opens
 * path and keeps the descriptor in *fd if kind allows. Returns the length,
 * or -errno. */
static ssize_t pt_read(struct proctree *pt, int *fd, const char *path, enum pt_fd_kind kind)
{
	ssize_t n;
	int tmp;

	if (*fd >= 0)
		return pt_pread_all(pt, *fd);
	tmp = pt_open(pt, path, 0);
	if (tmp < 0)
		return -errno;
	n = pt_pread_all(pt, tmp);
	if (kind == PT_FD_PROC) {
		*fd = tmp;
	} else if (pt->keep_thread_fds && pt->n_thread_fds < pt->max_thread_fds) {
		*fd = tmp;
		pt->n_thread_fds++;
	} else {
		close(tmp);
	}
	return n;
}

/* Opens a process file to keep, without reading it. */
static void pt_keep_open(struct proctree *pt, int *fd, pid_t pid, const char *name)
{
	if (*fd < 0)
		*fd = pt_open(pt, pt_path(pt, pid, 0, name), 0);
}

/* The known process with this PID, or NULL; *at gets its place in the
 * sorted list either way. */
static struct pt_proc *pt_find(const struct proctree *pt, pid_t pid, size_t *at)
{
	size_t lo = 0, hi = pt->n_procs, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (pt->procs[mid]->pid == pid) {
			*at = mid;
			return pt->procs[mid];
		}
		if (pt->procs[mid]->pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return NULL;
}

/* The known process with this PID, added (files closed) when new. NULL
 * when out of memory. */
static struct pt_proc *pt_get(struct proctree *pt, pid_t pid)
{
	struct pt_proc *p;
	void *grown;
	size_t at;

	p = pt_find(pt, pid, &at);
	if (p != NULL)
		return p;
	grown = pt_grow(pt->procs, &pt->cap_procs, pt->n_procs + 1, sizeof *pt->procs);
	if (grown == NULL)
		return NULL;
	pt->procs = grown;
	p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	p->pid = pid;
	p->fd_stat = p->fd_mem = p->fd_io = -1;
	memmove(&pt->procs[at + 1], &pt->procs[at], (pt->n_procs - at) * sizeof *pt->procs);
	pt->procs[at] = p;
	pt->n_procs++;
	return p;
}

/* Forgets the processes that are not part of the latest full sample. */
static void pt_sweep(struct proctree *pt)
{
	size_t i, kept = 0;

	for (i = 0; i < pt->n_procs; i++) {
		struct pt_proc *p = pt->procs[i];

		if (p->valid_gen == pt->gen) {
			pt->procs[kept++] = p;
		} else {
			pt_proc_free(pt, p);
		}
	}
	pt->n_procs = kept;
}

static void pt_forget_all(struct proctree *pt)
{
	size_t i;

	for (i = 0; i < pt->n_procs; i++)
		pt_proc_free(pt, pt->procs[i]);
	pt->n_procs = 0;
}

struct proctree *proctree_new(const char *proc_root, pid_t root, uint64_t start_ticks)
{
	struct proctree *pt;
	long v;

	if (proc_root == NULL) {
		errno = EINVAL;
		return NULL;
	}
	pt = calloc(1, sizeof *pt);
	if (pt == NULL)
		return NULL;
	pt->proc_root = strdup(proc_root);
	pt->buf = malloc(PT_BUF_INIT);
	if (pt->proc_root == NULL || pt->buf == NULL) {
		free(pt->proc_root);
		free(pt->buf);
		free(pt);
		errno = ENOMEM;
		return NULL;
	}
	pt->cap_buf = PT_BUF_INIT;
	pt->waits = waits_new(proc_root);
	pt->judge = true;
	pt->root = root;
	pt->expect_start = start_ticks;
	pt->root_gone = root <= 0;
	pt->keep_thread_fds = true;
	/* Reopening a thread's files at every sample costs about four times
	 * reading them: keep as many open as the fd limit comfortably allows
	 * (main raises the soft limit to the hard one). */
	struct rlimit nofile;

	pt->max_thread_fds = PT_THREAD_FDS_MIN;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY &&
	    nofile.rlim_cur / 4 > PT_THREAD_FDS_MIN)
		pt->max_thread_fds = nofile.rlim_cur / 4 > PT_THREAD_FDS_MAX
		                             ? PT_THREAD_FDS_MAX
		                             : (size_t)(nofile.rlim_cur / 4);
	v = sysconf(_SC_CLK_TCK);
	pt->ticks_per_s = v > 0 ? v : 100;
	v = sysconf(_SC_PAGESIZE);
	pt->page_bytes = v > 0 ? (uint64_t)v : 4096;
	/* libproc2 reads only the real /proc. If it cannot be set up, the
	 * raw reader does the same job. */
	if (strcmp(proc_root, "/proc") == 0)
		pt->src = pidsrc_new();
	return pt;
}

void proctree_free(struct proctree *pt)
{
	if (pt != NULL) {
		free(pt->group_procs);
		free(pt->extra);
	}
	if (pt == NULL)
		return;
	pt_forget_all(pt);
	waits_free(pt->waits);
	pidsrc_free(pt->src);
	free(pt->procs);
	free(pt->visits);
	free(pt->kids);
	free(pt->tids);
	free(pt->thr_scratch);
	free(pt->pids);
	free(pt->pids_scan);
	free(pt->src_out);
	free(pt->buf);
	free(pt->out_procs);
	free(pt->out_threads);
	free(pt->proc_root);
	free(pt);
}

void proctree_set_judge(struct proctree *pt, bool judge)
{
	pt->judge = judge;
}

uint64_t proctree_root_start_ticks(const struct proctree *pt)
{
	return pt != NULL ? pt->first_start : 0;
}

static int pt_cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* Lists <proc_root>/PID/task and brings p's thread list in line with it:
 * threads that have gone are closed, new ones added with files closed.
 * False when the directory cannot be read (the process has gone). */
static bool pt_list_threads(struct proctree *pt, struct pt_proc *p)
{
	struct dirent *de;
	size_t n = 0, i = 0, j = 0, out = 0;
	void *grown;
	DIR *dir;
	int fd;

	fd = pt_open(pt, pt_path(pt, p->pid, 0, "task"), O_DIRECTORY);
	if (fd < 0)
		return false;
	dir = fdopendir(fd);
	if (dir == NULL) {
		close(fd);
		return false;
	}
	while ((de = readdir(dir)) != NULL) {
		char *end;
		long tid;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		errno = 0;
		tid = strtol(de->d_name, &end, 10);
		if (errno != 0 || *end != '\0' || tid <= 0 || tid > INT_MAX)
			continue;
		grown = pt_grow(pt->tids, &pt->cap_tids, n + 1, sizeof *pt->tids);
		if (grown == NULL)
			break;
		pt->tids = grown;
		pt->tids[n++] = (pid_t)tid;
	}
	closedir(dir);
	qsort(pt->tids, n, sizeof *pt->tids, pt_cmp_pid);

	grown = pt_grow(pt->thr_scratch, &pt->cap_thr_scratch, n, sizeof *pt->thr_scratch);
	if (grown == NULL)
		return true; /* out of memory: keep the old list */
	pt->thr_scratch = grown;
	/* Merge the old sorted list with the new sorted TIDs. */
	while (j < n) {
		if (j > 0 && pt->tids[j] == pt->tids[j - 1]) {
			j++;
			continue;
		}
		if (i < p->n_threads && p->threads[i].tid < pt->tids[j]) {
			pt_thread_close(pt, &p->threads[i++]);
		} else if (i < p->n_threads && p->threads[i].tid == pt->tids[j]) {
			pt->thr_scratch[out++] = p->threads[i++];
			j++;
		} else {
			struct pt_thread *th = &pt->thr_scratch[out++];

			th->tid = pt->tids[j++];
			th->fd_stat = th->fd_wchan = th->fd_children = th->fd_sched = -1;
			th->fd_syscall = -1;
			th->runs_known = false;
		}
	}
	while (i < p->n_threads)
		pt_thread_close(pt, &p->threads[i++]);
	/* Swap the arrays: the old one becomes the next scratch. */
	{
		struct pt_thread *t = p->threads;
		size_t c = p->cap_threads;

		p->threads = pt->thr_scratch;
		p->cap_threads = pt->cap_thr_scratch;
		p->n_threads = out;
		pt->thr_scratch = t;
		pt->cap_thr_scratch = c;
	}
	return true;
}

static void pt_collect_kid(pid_t pid, void *ctx)
{
	struct proctree *pt = ctx;

	void *grown;

	grown = pt_grow(pt->kids, &pt->cap_kids, pt->n_kids + 1, sizeof *pt->kids);
	if (grown == NULL)
		return;
	pt->kids = grown;
	pt->kids[pt->n_kids++] = pid;
}

/* Appends a process to the visit list unless this discovery has seen it.
 * Returns false when the list cannot grow. */
static bool pt_visit(struct proctree *pt, size_t *n_visits, pid_t pid, size_t parent)
{
	struct pt_proc *p;
	struct pt_visit *v;
	void *grown;

	if (*n_visits >= PT_MAX_PROCS)
		return false;
	grown = pt_grow(pt->visits, &pt->cap_visits, *n_visits + 1, sizeof *pt->visits);
	if (grown == NULL)
		return false;
	pt->visits = grown;
	p = pt_get(pt, pid);
	if (p == NULL)
		return false;
	if (p->seen_gen == pt->gen)
		return true;
	p->seen_gen = pt->gen;
	v = &pt->visits[(*n_visits)++];
	memset(v, 0, sizeof *v);
	v->proc = p;
	v->parent = parent;
	return true;
}

/* The extra roots, then every member of the pair's group, wherever their
 * parent is (a process that double-forked or called setsid is still the
 * pair's), each found as a root of its own: PT_NO_PARENT. A group that
 * cannot be read adds nothing. */
static void pt_visit_group(struct proctree *pt, size_t *n_visits)
{
	FILE *f = pt->group_procs ? fopen(pt->group_procs, "re") : NULL;
	long pid;

	for (size_t i = 0; i < pt->n_extra; i++)
		if (!pt_visit(pt, n_visits, pt->extra[i], PT_NO_PARENT))
			break;
	if (f == NULL)
		return;
	/* The kernel writes one decimal PID a line. */
	while (fscanf(f, "%ld", &pid) == 1) /* NOLINT(cert-err34-c) */
		if (pid > 0 && !pt_visit(pt, n_visits, (pid_t)pid, PT_NO_PARENT))
			break;
	fclose(f);
}

/* Breadth-first from the root through every thread's children file.
 * Returns the number of processes found (validated later). */
static size_t pt_discover(struct proctree *pt)
{
	size_t n_visits = 0, i, t, k;

	if (!pt_visit(pt, &n_visits, pt->root, 0))
		return 0;
	pt_visit_group(pt, &n_visits);
	for (i = 0; i < n_visits; i++) {
		struct pt_proc *p = pt->visits[i].proc;

		if (!pt_list_threads(pt, p))
			continue;
		pt->n_kids = 0;
		for (t = 0; t < p->n_threads; t++) {
			struct pt_thread *th = &p->threads[t];
			ssize_t n;

			n = pt_read(pt, &th->fd_children,
			            th->fd_children >= 0 ? NULL
			                                 : pt_path(pt, p->pid, th->tid, "children"),
			            PT_FD_THREAD);
			if (n <= 0)
				continue;
			(void)procparse_children(pt->buf, (size_t)n, pt_collect_kid, pt);
		}
		for (k = 0; k < pt->n_kids; k++) {
			if (!pt_visit(pt, &n_visits, pt->kids[k], i))
				break;
		}
	}
	return n_visits;
}

/* The raw reader's fields of one process into v->sample. */
static enum pt_status pt_read_proc_raw(struct proctree *pt, struct pt_visit *v)
{
	struct pt_proc *p = v->proc;
	struct proc_sample *s = &v->sample;
	struct stat_fields sf;
	uint64_t mem, io;
	bool was_open = p->fd_stat >= 0;
	ssize_t n;

	n = pt_read(pt, &p->fd_stat, pt_path(pt, p->pid, 0, "stat"), PT_FD_PROC);
	if (was_open && pt_vanished(n)) {
		/* The incarnation we kept open has gone; the PID may name a
		 * new process now: start over with fresh files. */
		pt_proc_close(pt, p);
		n = pt_read(pt, &p->fd_stat, pt_path(pt, p->pid, 0, "stat"), PT_FD_PROC);
	}
	if (n < 0 && !pt_vanished(n))
		return PT_FAILED;
	if (n <= 0 || procparse_stat(pt->buf, (size_t)n, &sf) != 0 || sf.pid != p->pid)
		return PT_GONE;
	if (p->start_ticks != 0 && sf.start_ticks != p->start_ticks) {
		/* Same PID, another process (a fake tree rewritten, or a
		 * reuse between open and read): its other files are stale. */
		int keep = p->fd_stat;

		p->fd_stat = -1;
		pt_proc_close(pt, p);
		p->fd_stat = keep;
	}
	p->start_ticks = sf.start_ticks;

	s->pid = sf.pid;
	s->ppid = sf.ppid;
	s->start_ticks = sf.start_ticks;
	s->state = sf.state;
	memcpy(s->comm, sf.comm, sizeof s->comm);
	s->cpu_ticks = sf.utime + sf.stime;
	s->num_threads = sf.num_threads;

	n = pt_read(pt, &p->fd_mem, pt_path(pt, p->pid, 0, "status"), PT_FD_PROC);
	if (pt_vanished(n))
		return PT_GONE;
	if (n < 0 || procparse_status_mem(pt->buf, (size_t)n, &mem) != 0)
		mem = 0;
	s->rss_bytes = mem;

	n = pt_read(pt, &p->fd_io, pt_path(pt, p->pid, 0, "io"), PT_FD_PROC);
	if (n > 0 && procparse_io(pt->buf, (size_t)n, &io) == 0) {
		s->io_known = true;
		s->io_bytes = io;
	} else if (n == -ESRCH) {
		return PT_GONE;
	}
	return PT_OK;
}

/* The libproc2 reader's fields of every visited process. False when
 * libproc2 failed as a whole; processes it left out stay PT_UNREAD. */
/* The raw name from <proc_root>/PID/comm, without its newline; out is left
 * as it was when the file cannot be read. */
static void pt_read_comm(struct proctree *pt, pid_t pid, char *out, size_t outlen)
{
	const char *path = pt_path(pt, pid, 0, "comm");
	char buf[SAMPLE_COMM_LEN];
	ssize_t n;
	int fd;

	fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return;
	if (buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	snprintf(out, outlen, "%s", buf);
}

static bool pt_read_procs_src(struct proctree *pt, size_t n_visits)
{
	size_t i, j, got = 0;
	void *grown;

	grown = pt_grow(pt->pids, &pt->cap_pids, n_visits, sizeof *pt->pids);
	if (grown == NULL)
		return false;
	pt->pids = grown;
	grown = pt_grow(pt->src_out, &pt->cap_src_out, n_visits, sizeof *pt->src_out);
	if (grown == NULL)
		return false;
	pt->src_out = grown;
	for (i = 0; i < n_visits; i++)
		pt->pids[i] = pt->visits[i].proc->pid;
	if (pidsrc_read(pt->src, pt->pids, n_visits, pt->src_out, &got) != 0)
		return false;
	/* pidsrc keeps the order of pids and leaves out the gone ones. */
	for (i = 0, j = 0; i < n_visits && j < got; i++) {
		struct pt_visit *v = &pt->visits[i];
		struct pt_proc *p = v->proc;

		if (pt->src_out[j].pid != p->pid)
			continue;
		v->sample = pt->src_out[j++];
		if (p->start_ticks != 0 && v->sample.start_ticks != p->start_ticks)
			pt_proc_close(pt, p); /* another incarnation */
		p->start_ticks = v->sample.start_ticks;
		/* Kept open for the fast RSS check. */
		pt_keep_open(pt, &p->fd_mem, p->pid, "status");
		/* libproc2 reads an unreadable io file as zeros: our own
		 * open tells whether it is readable. */
		pt_keep_open(pt, &p->fd_io, p->pid, "io");
		if (p->fd_io < 0) {
			v->sample.io_known = false;
			v->sample.io_bytes = 0;
		}
		/* libproc2 shows control bytes of a name as '?'; names are
		 * kept raw here and escaped where shown, so read the few
		 * such names again from comm. */
		if (strchr(v->sample.comm, '?') != NULL)
			pt_read_comm(pt, p->pid, v->sample.comm, sizeof(v->sample.comm));
		v->status = PT_OK;
	}
	return true;
}

/* Every visited process's fields: through libproc2 under the real /proc,
 * else raw. A process libproc2 left out is read raw, which tells one that
 * has gone from one that could not be read just now. */
static void pt_read_procs(struct proctree *pt, size_t n_visits)
{
	size_t i;

	if (pt->src != NULL && !pt_read_procs_src(pt, n_visits)) {
		for (i = 0; i < n_visits; i++)
			pt->visits[i].status = PT_UNREAD;
	}
	for (i = 0; i < n_visits; i++) {
		if (pt->visits[i].status == PT_UNREAD)
			pt->visits[i].status = pt_read_proc_raw(pt, &pt->visits[i]);
	}
}

/* Appends one thread to the sample's thread list. */
static bool pt_push_thread(struct proctree *pt, const struct thread_sample *ts)
{
	struct tree_sample *s = &pt->full;
	void *grown;

	grown = pt_grow(pt->out_threads, &pt->cap_out_threads, s->n_threads_v + 1,
	                sizeof *pt->out_threads);
	if (grown == NULL)
		return false;
	pt->out_threads = grown;
	pt->out_threads[s->n_threads_v++] = *ts;
	return true;
}

/* The most common non-empty wait channel among a process's scanned
 * threads, into out. Ties go to the first seen. */
static void pt_top_wchan(const struct thread_sample *ts, size_t n, char *out, size_t outlen)
{
	const char *kinds[PT_WCHAN_KINDS];
	size_t counts[PT_WCHAN_KINDS];
	size_t n_kinds = 0, i, k, best = 0;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (ts[i].wchan[0] == '\0')
			continue;
		for (k = 0; k < n_kinds; k++) {
			if (strcmp(kinds[k], ts[i].wchan) == 0)
				break;
		}
		if (k == n_kinds) {
			if (n_kinds == PT_WCHAN_KINDS)
				continue;
			kinds[n_kinds] = ts[i].wchan;
			counts[n_kinds++] = 0;
		}
		counts[k]++;
	}
	for (k = 1; k < n_kinds; k++) {
		if (counts[k] > counts[best])
			best = k;
	}
	if (n_kinds > 0)
		snprintf(out, outlen, "%s", kinds[best]);
}

/* Adds to *sum every thread's count of times it was scheduled (schedstat's
 * third field): the count moves whenever a thread wakes, even for a few
 * microseconds that no CPU tick sees (Python's Event.wait(3) loop). Returns
 * false when some thread's count could not be read. */
static bool pt_read_switches(struct proctree *pt, struct pt_proc *p, uint64_t *sum)
{
	bool complete = true;

	for (size_t t = 0; t < p->n_threads; t++) {
		struct pt_thread *th = &p->threads[t];
		uint64_t runs;
		ssize_t n = pt_read(pt, &th->fd_sched,
		                    th->fd_sched >= 0 ? NULL
		                                      : pt_path(pt, p->pid, th->tid, "schedstat"),
		                    PT_FD_THREAD);

		if (pt_vanished(n)) {
			complete = false; /* a thread ended: that is movement */
			continue;
		}
		if (n <= 0 || procparse_schedstat(pt->buf, (size_t)n, &runs) != 0) {
			complete = false;
			continue;
		}
		th->runs = runs;
		th->runs_known = true;
		*sum += runs + 1; /* + 1: a new thread that never ran still counts */
	}
	return complete;
}

/* Judges what thread th of pid waits for (one: its state and wait channel
 * read). A sleeping thread's syscall file is kept open like its other
 * files: opened anew at every judged scan, it cost 8 of the 10 us a thread
 * the judge adds. */
static void pt_judge(struct proctree *pt, pid_t pid, struct pt_thread *th,
                     struct thread_sample *one)
{
	ssize_t n;

	if (waits_judge_state(one))
		return;
	n = pt_read(pt, &th->fd_syscall,
	            th->fd_syscall >= 0 ? NULL : pt_path(pt, pid, th->tid, "syscall"),
	            PT_FD_THREAD);
	waits_judge_call(pt->waits, pid, one, pt->buf, n);
}

/* Reads every thread's state and wait channel of one process. */
static void pt_scan_threads(struct proctree *pt, struct pt_proc *p, struct proc_sample *s,
                            bool judge)
{
	struct tree_sample *ts = &pt->full;
	bool complete = true;
	size_t t, live = 0;

	s->first_thread = ts->n_threads_v;
	for (t = 0; t < p->n_threads; t++) {
		struct pt_thread *th = &p->threads[t];
		struct thread_sample one;
		ssize_t n;

		memset(&one, 0, sizeof one);
		one.tid = th->tid;
		/* A path is only built for a file not kept open yet. */
		n = pt_read(pt, &th->fd_stat,
		            th->fd_stat >= 0 ? NULL : pt_path(pt, p->pid, th->tid, "stat"),
		            PT_FD_THREAD);
		if (pt_vanished(n))
			continue; /* the thread has ended: not a thread */
		if (n < 0 || procparse_stat_state(pt->buf, (size_t)n, &one.state) != 0) {
			complete = false;
			continue;
		}
		n = pt_read(pt, &th->fd_wchan,
		            th->fd_wchan >= 0 ? NULL : pt_path(pt, p->pid, th->tid, "wchan"),
		            PT_FD_THREAD);
		if (n == -ESRCH || n == -ENOENT)
			continue;
		if (n > 0)
			procparse_wchan(pt->buf, (size_t)n, one.wchan, sizeof one.wchan);
		one.futex_wait = one.state == 'S' && procparse_wchan_is_futex(one.wchan);
		if (judge)
			pt_judge(pt, p->pid, th, &one);
		if (!pt_push_thread(pt, &one)) {
			complete = false;
			break;
		}
		if (one.futex_wait)
			s->futex_threads++;
		/* A leader that called pthread_exit stays a zombie while
		 * the other threads run: it waits on nothing. */
		if (one.state != 'Z' && one.state != 'X')
			live++;
	}
	s->n_threads_scanned = ts->n_threads_v - s->first_thread;
	/* A thread we could not read might be running: then it is not a
	 * deadlock, so all_futex needs every live thread seen waiting. */
	s->all_futex = complete && live > 0 && (size_t)s->futex_threads == live;
	if (s->n_threads_scanned > 0)
		pt_top_wchan(&pt->out_threads[s->first_thread], s->n_threads_scanned, s->top_wchan,
		             sizeof s->top_wchan);
}

/* True when the tree used no CPU time and moved no I/O since the previous
 * full sample (or there is none). */
static bool pt_still(const struct proctree *pt, const struct tree_sample *s)
{
	if (!pt->have_prev)
		return true;
	if (s->cpu_ticks != pt->prev_cpu_ticks)
		return false;
	if (s->io_known && pt->prev_io_known && s->io_bytes != pt->prev_io_bytes)
		return false;
	return true;
}

/* The sample's PIDs into pt->pids_scan; returns how many (0 when out of
 * memory: every pipe then looks outside, the safe side). */
static size_t pt_pids_scan(struct proctree *pt, const struct tree_sample *s)
{
	void *grown = pt_grow(pt->pids_scan, &pt->cap_pids_scan, s->n_procs, sizeof(pid_t));

	if (grown == NULL)
		return 0;
	pt->pids_scan = grown;
	for (size_t i = 0; i < s->n_procs; i++)
		pt->pids_scan[i] = s->procs[i].pid;
	return s->n_procs;
}

/* Whether the thread scan runs at this full sample. */
static bool pt_want_threads(const struct proctree *pt, const struct tree_sample *s,
                            enum proctree_threads threads)
{
	switch (threads) {
	case PROCTREE_THREADS_ALWAYS:
		return true;
	case PROCTREE_THREADS_WHEN_STILL:
		return pt_still(pt, s);
	case PROCTREE_THREADS_NEVER:
		break;
	}
	return false;
}

static void pt_sample_reset(struct proctree *pt, struct tree_sample *s, uint64_t t_ms)
{
	memset(s, 0, sizeof *s);
	s->t_ms = t_ms;
	s->root = pt->root;
	s->ticks_per_s = pt->ticks_per_s;
}

const struct tree_sample *proctree_sample(struct proctree *pt, uint64_t t_ms,
                                          enum proctree_threads threads)
{
	struct tree_sample *s = &pt->full;
	size_t n_visits, i, n_out = 0;
	struct pt_visit *root;
	void *grown;

	pt_sample_reset(pt, s, t_ms);
	s->full = true;
	if (pt->root_gone)
		return s;

	if (++pt->gen == 0)
		pt->gen = 1; /* 0 means never part of a sample */
	n_visits = pt_discover(pt);

	pt_read_procs(pt, n_visits);

	/* The root must be the process we were given; every other process
	 * must still be the child of the one it was found under (a PID
	 * reused between the two reads belongs to someone else). Parents
	 * come before their children in breadth-first order. */
	root = n_visits > 0 ? &pt->visits[0] : NULL;
	if (root != NULL && root->status == PT_FAILED) {
		/* Not readable just now (out of descriptors): alive as far
		 * as we know, with nothing to show. Try again next time. */
		s->root_alive = true;
		return s;
	}
	if (root == NULL || root->status != PT_OK || root->sample.pid != pt->root ||
	    (pt->expect_start != 0 && root->sample.start_ticks != pt->expect_start)) {
		pt->root_gone = true;
		pt_forget_all(pt);
		return s;
	}
	if (pt->expect_start == 0)
		pt->expect_start = root->sample.start_ticks;
	if (pt->first_start == 0)
		pt->first_start = root->sample.start_ticks;
	for (i = 1; i < n_visits; i++) {
		struct pt_visit *v = &pt->visits[i];
		const struct pt_visit *parent =
			&pt->visits[v->parent == PT_NO_PARENT ? 0 : v->parent];

		if (v->parent == PT_NO_PARENT)
			continue; /* a group member: the kernel vouches for it */
		if (v->status == PT_OK &&
		    (parent->status != PT_OK || v->sample.ppid != parent->proc->pid))
			v->status = PT_GONE;
	}

	grown = pt_grow(pt->out_procs, &pt->cap_out_procs, n_visits, sizeof *pt->out_procs);
	if (grown != NULL)
		pt->out_procs = grown;
	else
		n_visits = pt->cap_out_procs; /* out of memory: a partial tree */
	s->root_alive = true;
	s->io_known = true;
	for (i = 0; i < n_visits; i++) {
		struct pt_visit *v = &pt->visits[i];

		if (v->status != PT_OK)
			continue;
		v->proc->valid_gen = pt->gen;
		v->proc->fast_gone = false;
		pt->out_procs[n_out++] = v->sample;
		s->rss_bytes += v->sample.rss_bytes;
		s->cpu_ticks += v->sample.cpu_ticks;
		s->io_bytes += v->sample.io_bytes;
		s->io_known = s->io_known && v->sample.io_known;
		s->threads += v->sample.num_threads;
	}
	s->procs = pt->out_procs;
	s->n_procs = n_out;

	/* A still tree's threads' switch counts tell whether any of them
	 * woke; a moving tree has moved anyway. */
	bool still = pt_still(pt, s);

	if (still) {
		s->switches_known = true;
		for (i = 0; i < n_visits; i++) {
			if (pt->visits[i].status == PT_OK &&
			    !pt_read_switches(pt, pt->visits[i].proc, &s->switches))
				s->switches_known = false;
		}
		s->switches += (uint64_t)n_out << 32; /* a process more or less is movement */
	}
	if (pt_want_threads(pt, s, threads)) {
		size_t k = 0;
		bool judge = still && pt->judge && pt->waits != NULL;

		s->threads_scanned = true;
		if (judge) {
			size_t n_pids = pt_pids_scan(pt, s);

			waits_begin(pt->waits, pt->pids_scan, n_pids);
		}
		for (i = 0; i < n_visits; i++) {
			struct pt_visit *v = &pt->visits[i];

			if (v->status != PT_OK)
				continue;
			pt_scan_threads(pt, v->proc, &pt->out_procs[k], judge);
			s->futex_threads += pt->out_procs[k].futex_threads;
			k++;
		}
		s->waits_scanned = judge;
		s->threads_v = pt->out_threads;
	}

	pt->have_prev = true;
	pt->prev_cpu_ticks = s->cpu_ticks;
	pt->prev_io_known = s->io_known;
	pt->prev_io_bytes = s->io_bytes;
	pt->sampled_gen = pt->gen;
	pt_sweep(pt);
	return s;
}

/* The memory of one process (RssAnon + RssShmem) through its kept-open
 * status. Returns the bytes read (> 0) with *rss_bytes set, or 0 /
 * -errno. */
static ssize_t pt_fast_rss(struct proctree *pt, struct pt_proc *p, uint64_t *rss_bytes)
{
	ssize_t n;

	if (p->fd_mem < 0) {
		/* Never opened (out of descriptors then): try by path. */
		pt_keep_open(pt, &p->fd_mem, p->pid, "status");
		if (p->fd_mem < 0)
			return -errno;
	}
	n = pt_pread_all(pt, p->fd_mem);
	if (n <= 0)
		return n;
	if (procparse_status_mem(pt->buf, (size_t)n, rss_bytes) != 0)
		return -EINVAL;
	return n;
}

const struct tree_sample *proctree_sample_rss(struct proctree *pt, uint64_t t_ms)
{
	struct tree_sample *s = &pt->fast;
	size_t i;

	pt_sample_reset(pt, s, t_ms);
	if (pt->root_gone)
		return s;
	s->root_alive = true;
	for (i = 0; i < pt->n_procs; i++) {
		struct pt_proc *p = pt->procs[i];
		uint64_t rss = 0;
		ssize_t n;

		if (p->valid_gen == 0 || p->valid_gen != pt->sampled_gen)
			continue; /* found since, not yet read */
		if (p->fast_gone) {
			if (p->pid == pt->root)
				s->root_alive = false;
			continue;
		}
		n = pt_fast_rss(pt, p, &rss);
		if (n > 0) {
			s->rss_bytes += rss;
		} else if (pt_vanished(n)) {
			/* Gone since the last full sample: dropped silently. */
			p->fast_gone = true;
			if (p->pid == pt->root)
				s->root_alive = false;
		}
	}
	return s;
}

int proctree_set_group(struct proctree *pt, const char *group_dir)
{
	char *procs = NULL;

	if (group_dir != NULL && group_dir[0] != '\0' &&
	    asprintf(&procs, "%s/cgroup.procs", group_dir) < 0)
		return -ENOMEM;
	free(pt->group_procs);
	pt->group_procs = procs;
	return 0;
}

int proctree_set_extra(struct proctree *pt, const pid_t *pids, size_t n)
{
	pid_t *copy = NULL;

	if (n > 0 && (copy = malloc(n * sizeof(*copy))) == NULL)
		return -ENOMEM;
	if (n > 0)
		memcpy(copy, pids, n * sizeof(*copy));
	free(pt->extra);
	pt->extra = copy;
	pt->n_extra = n;
	return 0;
}
