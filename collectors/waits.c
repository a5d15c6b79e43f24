/* Judging what a blocked thread waits for. Read only when a tree has stood
 * still long enough to be judged, so the cost (a few small reads a blocked
 * thread, a readlink a descriptor it waits on) is paid rarely.
 *
 * The pipe question -- does the pair itself hold the other end? -- is
 * answered from the pair's own descriptors first, and only when none of its
 * processes holds it, from every process of the system, once a scan. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "procparse.h"
#include "waits.h"

enum {
	WAITS_MAX_SET = 256,        /* members of an epoll/poll set looked at */
	WAITS_MAX_SYS_PROCS = 8192, /* processes looked through for a pipe's holder */
	WAITS_MAX_FDS = 4096,       /* descriptors looked at per process */
};

/* One end of a pipe held by a process. */
struct pipe_end {
	ino_t ino;
	pid_t pid;
	bool writable, readable;
};

struct pipe_ends {
	struct pipe_end *v;
	size_t n, cap;
	bool filled;
};

struct waits {
	char *proc_root;
	const pid_t *pids;
	size_t n_pids;
	struct pipe_ends pair_ends; /* held by the pair's processes */
	struct pipe_ends sys_ends;  /* held by any process */
	char path[PATH_MAX];
};

static const char *const wait_kind_names[] = {
	[WAIT_NONE] = "none",       [WAIT_TIMED] = "timed",     [WAIT_LOCK] = "lock",
	[WAIT_INSIDE] = "inside",   [WAIT_OUTSIDE] = "outside", [WAIT_DISK] = "disk",
	[WAIT_STOPPED] = "stopped", [WAIT_UNKNOWN] = "unknown",
};

const char *waits_kind_name(enum wait_kind kind)
{
	if ((size_t)kind < sizeof wait_kind_names / sizeof wait_kind_names[0])
		return wait_kind_names[kind];
	return "unknown";
}

/* ---- the syscall file and the shape of a call (pure) ---- */

static bool parse_hex_or_dec(const char **p, const char *end, uint64_t *out, bool *neg)
{
	const char *s = *p;
	uint64_t v = 0;
	int base = 10;

	*neg = false;
	if (s < end && *s == '-') {
		*neg = true;
		s++;
	}
	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	const char *digits = s;

	for (; s < end; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			break;
		v = v * (unsigned)base + d;
	}
	if (s == digits)
		return false;
	*p = s;
	*out = v;
	return true;
}

int waits_parse_syscall(const char *buf, size_t len, int *nr, uint64_t args[6])
{
	const char *p = buf, *end = buf + len;
	uint64_t v;
	bool neg;

	while (p < end && *p == ' ')
		p++;
	if (end - p >= 7 && memcmp(p, "running", 7) == 0)
		return 0;
	if (!parse_hex_or_dec(&p, end, &v, &neg))
		return -EINVAL;
	if (neg)
		return 0; /* "-1 sp pc": blocked, but not in a system call */
	if (v > INT_MAX)
		return -EINVAL;
	*nr = (int)v;
	for (int i = 0; i < 6; i++) {
		while (p < end && *p == ' ')
			p++;
		if (!parse_hex_or_dec(&p, end, &args[i], &neg))
			return -EINVAL;
	}
	return 1;
}

/* x86-64 system call numbers of the calls a thread blocks in. */
enum {
	NR_READ = 0,
	NR_WRITE = 1,
	NR_POLL = 7,
	NR_PREAD64 = 17,
	NR_READV = 19,
	NR_WRITEV = 20,
	NR_SELECT = 23,
	NR_PAUSE = 34,
	NR_NANOSLEEP = 35,
	NR_CONNECT = 42,
	NR_ACCEPT = 43,
	NR_SENDTO = 44,
	NR_RECVFROM = 45,
	NR_SENDMSG = 46,
	NR_RECVMSG = 47,
	NR_WAIT4 = 61,
	NR_SEMOP = 65,
	NR_FCNTL = 72,
	NR_FLOCK = 73,
	NR_RT_SIGTIMEDWAIT = 128,
	NR_RT_SIGSUSPEND = 130,
	NR_FUTEX = 202,
	NR_SEMTIMEDOP = 220,
	NR_CLOCK_NANOSLEEP = 230,
	NR_EPOLL_WAIT = 232,
	NR_WAITID = 247,
	NR_PSELECT6 = 270,
	NR_PPOLL = 271,
	NR_EPOLL_PWAIT = 281,
	NR_ACCEPT4 = 288,
	NR_PREADV = 295,
	NR_RECVMMSG = 299,
	NR_EPOLL_PWAIT2 = 441,
	NR_FUTEX_WAITV = 449,
};

/* futex(2) operations that sleep; the rest (wake, requeue) return at once. */
static bool futex_op_waits(uint64_t op)
{
	switch (op & 0x7f) { /* without FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME */
	case 0:              /* FUTEX_WAIT */
	case 6:              /* FUTEX_LOCK_PI */
	case 9:              /* FUTEX_WAIT_BITSET */
	case 11:             /* FUTEX_WAIT_REQUEUE_PI */
	case 13:             /* FUTEX_LOCK_PI2 */
		return true;
	default:
		return false;
	}
}

struct wait_call waits_shape(int nr, const uint64_t a[6])
{
	struct wait_call c = { .shape = SHAPE_OTHER, .nr = nr, .fd = -1 };

	switch (nr) {
	case NR_FUTEX:
		if (!futex_op_waits(a[1]))
			c.shape = SHAPE_NONE;
		else if (a[3] != 0)
			c.shape = SHAPE_TIMED;
		else
			c.shape = SHAPE_FUTEX;
		c.addr = a[0];
		return c;
	case NR_FUTEX_WAITV:
		c.shape = a[3] != 0 ? SHAPE_TIMED : SHAPE_FUTEX;
		return c;
	case NR_NANOSLEEP:
	case NR_CLOCK_NANOSLEEP:
		c.shape = SHAPE_TIMED;
		return c;
	case NR_READ:
	case NR_PREAD64:
	case NR_READV:
	case NR_PREADV:
	case NR_RECVFROM:
	case NR_RECVMSG:
	case NR_ACCEPT:
	case NR_ACCEPT4:
	case NR_CONNECT:
		c.shape = SHAPE_FD;
		c.fd = (int)a[0];
		return c;
	case NR_RECVMMSG:
		c.shape = a[4] != 0 ? SHAPE_TIMED : SHAPE_FD;
		c.fd = (int)a[0];
		return c;
	case NR_WRITE:
	case NR_WRITEV:
	case NR_SENDTO:
	case NR_SENDMSG:
		c.shape = SHAPE_FD;
		c.fd = (int)a[0];
		c.writing = true;
		return c;
	case NR_EPOLL_WAIT:
	case NR_EPOLL_PWAIT:
		/* The timeout is an int in milliseconds; -1 waits forever. */
		c.shape = (int32_t)(uint32_t)a[3] < 0 ? SHAPE_EPOLL : SHAPE_TIMED;
		c.fd = (int)a[0];
		return c;
	case NR_EPOLL_PWAIT2:
		c.shape = a[3] == 0 ? SHAPE_EPOLL : SHAPE_TIMED;
		c.fd = (int)a[0];
		return c;
	case NR_POLL:
		c.shape = (int32_t)(uint32_t)a[2] < 0 ? SHAPE_POLL : SHAPE_TIMED;
		c.addr = a[0];
		c.n = a[1];
		return c;
	case NR_PPOLL:
		c.shape = a[2] == 0 ? SHAPE_POLL : SHAPE_TIMED;
		c.addr = a[0];
		c.n = a[1];
		return c;
	case NR_SELECT:
	case NR_PSELECT6:
		c.shape = a[4] == 0 ? SHAPE_SELECT : SHAPE_TIMED;
		c.n = a[0];
		c.addr = a[1];
		c.addr2 = a[2];
		return c;
	case NR_WAIT4:
	case NR_WAITID:
		c.shape = SHAPE_CHILD;
		/* wait4(pid, ...); waitid(idtype, id, ...) with P_PID = 1 */
		c.pid = nr == NR_WAIT4 ? (pid_t)(int32_t)(uint32_t)a[0]
		                       : (a[0] == 1 ? (pid_t)a[1] : -1);
		return c;
	case NR_PAUSE:
	case NR_RT_SIGSUSPEND:
		c.shape = SHAPE_SIGNAL;
		return c;
	case NR_RT_SIGTIMEDWAIT:
		c.shape = a[2] != 0 ? SHAPE_TIMED : SHAPE_SIGNAL;
		return c;
	case NR_SEMTIMEDOP:
		c.shape = a[3] != 0 ? SHAPE_TIMED : SHAPE_FUTEX;
		return c;
	case NR_SEMOP:
		c.shape = SHAPE_FUTEX;
		return c;
	case NR_FLOCK:
		c.shape = SHAPE_FLOCK;
		return c;
	case NR_FCNTL:
		/* F_SETLKW (7) and F_OFD_SETLKW (38) wait; the rest return. */
		c.shape = a[1] == 7 || a[1] == 38 ? SHAPE_FLOCK : SHAPE_NONE;
		return c;
	default:
		return c;
	}
}

/* ---- reading ---- */

struct waits *waits_new(const char *proc_root)
{
	struct waits *w = calloc(1, sizeof *w);

	if (w == NULL)
		return NULL;
	w->proc_root = strdup(proc_root);
	if (w->proc_root == NULL) {
		free(w);
		return NULL;
	}
	return w;
}

void waits_free(struct waits *w)
{
	if (w == NULL)
		return;
	free(w->pair_ends.v);
	free(w->sys_ends.v);
	free(w->proc_root);
	free(w);
}

void waits_begin(struct waits *w, const pid_t *pids, size_t n)
{
	w->pids = pids;
	w->n_pids = n;
	w->pair_ends.n = 0;
	w->pair_ends.filled = false;
	w->sys_ends.n = 0;
	w->sys_ends.filled = false;
}

ssize_t waits_slurp(const char *path, char *buf, size_t cap)
{
	int fd;
	ssize_t n;

	buf[0] = '\0'; /* a string whatever happens below */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, cap - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static bool pid_in(const pid_t *pids, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* Adds the pipe ends pid holds to ends. */
static void pipe_ends_of(struct waits *w, pid_t pid, struct pipe_ends *ends)
{
	char dir[PATH_MAX], link[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int count = 0;

	snprintf(dir, sizeof dir, "%s/%d/fd", w->proc_root, (int)pid);
	d = opendir(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL && count++ < WAITS_MAX_FDS) {
		struct stat st;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		if ((size_t)snprintf(link, sizeof link, "%s/%s", dir, de->d_name) >= sizeof link)
			continue;
		/* The link's own mode says how the descriptor was opened. */
		if (lstat(link, &st) != 0)
			continue;
		mode_t lmode = st.st_mode;

		if (stat(link, &st) != 0 || !S_ISFIFO(st.st_mode))
			continue;
		if (ends->n == ends->cap) {
			size_t cap = ends->cap ? ends->cap * 2 : 64;
			struct pipe_end *v = realloc(ends->v, cap * sizeof *v);

			if (v == NULL)
				break;
			ends->v = v;
			ends->cap = cap;
		}
		ends->v[ends->n++] = (struct pipe_end){
			.ino = st.st_ino,
			.pid = pid,
			.writable = (lmode & S_IWUSR) != 0,
			.readable = (lmode & S_IRUSR) != 0,
		};
	}
	closedir(d);
}

static void pipe_ends_fill_pair(struct waits *w)
{
	if (w->pair_ends.filled)
		return;
	w->pair_ends.filled = true;
	for (size_t i = 0; i < w->n_pids; i++)
		pipe_ends_of(w, w->pids[i], &w->pair_ends);
}

static void pipe_ends_fill_sys(struct waits *w)
{
	struct dirent *de;
	DIR *d;
	int count = 0;

	if (w->sys_ends.filled)
		return;
	w->sys_ends.filled = true;
	d = opendir(w->proc_root);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL && count < WAITS_MAX_SYS_PROCS) {
		long pid;
		char *end;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		pid = strtol(de->d_name, &end, 10);
		if (*end != '\0' || pid <= 0 || pid > INT_MAX ||
		    pid_in(w->pids, w->n_pids, (pid_t)pid))
			continue;
		count++;
		pipe_ends_of(w, (pid_t)pid, &w->sys_ends);
	}
	closedir(d);
}

/* A holder of the other end of pipe ino: a writer when the thread reads, a
 * reader when it writes; not self_pid's own end... unless self_pid holds
 * both (then it is inside). Returns the holder's PID or 0. */
static pid_t pipe_other_end(const struct pipe_ends *ends, ino_t ino, bool writing, pid_t self)
{
	pid_t found = 0;

	for (size_t i = 0; i < ends->n; i++) {
		const struct pipe_end *e = &ends->v[i];

		if (e->ino == ino && (writing ? e->readable : e->writable)) {
			if (e->pid != self)
				return e->pid; /* another process first: its wait decides */
			found = e->pid;
		}
	}
	return found;
}

static void comm_of(struct waits *w, pid_t pid, char *out, size_t outlen)
{
	char path[PATH_MAX], buf[64];
	ssize_t n;

	out[0] = '\0';
	snprintf(path, sizeof path, "%s/%d/comm", w->proc_root, (int)pid);
	n = waits_slurp(path, buf, sizeof buf);
	if (n <= 0)
		return;
	if (buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	snprintf(out, outlen, "%.*s", (int)(outlen - 1), buf);
}

static enum wait_kind waits_pipe(struct waits *w, pid_t self, ino_t ino, bool writing, char *what,
                                 size_t whatlen, pid_t *peer)
{
	const char *dir = writing ? "to" : "from";
	char comm[32];
	pid_t holder;

	pipe_ends_fill_pair(w);
	holder = pipe_other_end(&w->pair_ends, ino, writing, self);
	if (holder > 0) {
		*peer = holder;
		comm_of(w, holder, comm, sizeof comm);
		snprintf(what, whatlen, "pipe %s PID %d (%s)", dir, (int)holder, comm);
		return WAIT_INSIDE;
	}
	pipe_ends_fill_sys(w);
	holder = pipe_other_end(&w->sys_ends, ino, writing, self);
	if (holder > 0) {
		*peer = holder;
		comm_of(w, holder, comm, sizeof comm);
		snprintf(what, whatlen, "pipe %s PID %d (%s)", dir, (int)holder, comm);
	} else {
		snprintf(what, whatlen, "pipe %s outside the pair", dir);
	}
	return WAIT_OUTSIDE;
}

static bool is_terminal(dev_t rdev)
{
	unsigned maj = major(rdev);

	/* 4: tty0-63 and serial; 5: /dev/tty, console, ptmx; 136-143: ptys */
	return maj == 4 || maj == 5 || (maj >= 136 && maj <= 143);
}

enum wait_kind waits_fd(struct waits *w, pid_t pid, int fd, bool writing, char *what,
                        size_t whatlen, pid_t *peer)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct stat st;
	ssize_t n;

	*peer = 0;
	snprintf(path, sizeof path, "%s/%d/fd/%d", w->proc_root, (int)pid, fd);
	n = readlink(path, link, sizeof link - 1);
	if (n < 0) {
		snprintf(what, whatlen, "fd %d (%s)", fd, strerror(errno));
		return WAIT_UNKNOWN;
	}
	link[n] = '\0';
	if (stat(path, &st) == 0) {
		if (S_ISSOCK(st.st_mode)) {
			snprintf(what, whatlen, "socket");
			return WAIT_OUTSIDE;
		}
		if (S_ISFIFO(st.st_mode))
			return waits_pipe(w, pid, st.st_ino, writing, what, whatlen, peer);
		if (S_ISCHR(st.st_mode) && is_terminal(st.st_rdev)) {
			snprintf(what, whatlen, "terminal");
			return WAIT_OUTSIDE;
		}
	}
	if (strcmp(link, "anon_inode:[eventfd]") == 0) {
		snprintf(what, whatlen, "eventfd");
		return WAIT_INSIDE;
	}
	if (strcmp(link, "anon_inode:[timerfd]") == 0) {
		snprintf(what, whatlen, "timerfd");
		return WAIT_TIMED;
	}
	if (strcmp(link, "anon_inode:[eventpoll]") == 0) {
		snprintf(what, whatlen, "epoll set");
		return WAIT_INSIDE;
	}
	if (strcmp(link, "anon_inode:[signalfd]") == 0) {
		snprintf(what, whatlen, "signal");
		return WAIT_OUTSIDE;
	}
	snprintf(what, whatlen, "%.*s", (int)(whatlen > 1 ? whatlen - 1 : 0), link);
	return WAIT_OUTSIDE;
}

/* Folds one member of a set into the set's verdict: any outside member
 * makes the set outside (the first one named); else a timerfd makes it a
 * timed wait; else it is inside. */
static void set_fold(enum wait_kind *kind, char *what, size_t whatlen, pid_t *peer,
                     enum wait_kind member, const char *member_what, pid_t member_peer)
{
	if (*kind == WAIT_OUTSIDE)
		return;
	if (member == WAIT_INSIDE && member_peer > 0 && *peer == 0)
		*peer = member_peer; /* a pipe from another process of the pair */
	if (member == WAIT_OUTSIDE || member == WAIT_UNKNOWN) {
		*kind = WAIT_OUTSIDE;
		snprintf(what, whatlen, "%s", member_what);
		*peer = member_peer;
	} else if (member == WAIT_TIMED) {
		*kind = WAIT_TIMED;
	}
}

/* An epoll set: its members from fdinfo's "tfd:" lines. */
static enum wait_kind waits_epoll(struct waits *w, pid_t pid, int epfd, char *what, size_t whatlen,
                                  pid_t *peer)
{
	char path[PATH_MAX], buf[16384], mw[SAMPLE_WHAT_LEN];
	enum wait_kind kind = WAIT_INSIDE;
	int members = 0;
	ssize_t n;

	snprintf(what, whatlen, "epoll set of eventfds and inside pipes");
	snprintf(path, sizeof path, "%s/%d/fdinfo/%d", w->proc_root, (int)pid, epfd);
	n = waits_slurp(path, buf, sizeof buf);
	if (n < 0) {
		snprintf(what, whatlen, "epoll set (unreadable: %s)", strerror((int)-n));
		return WAIT_UNKNOWN;
	}
	for (char *line = buf; line != NULL && *line != '\0' && members < WAITS_MAX_SET;) {
		char *next = strchr(line, '\n');
		int tfd;

		if (next != NULL)
			*next++ = '\0';
		if (sscanf(line, "tfd: %d", &tfd) == 1) { /* NOLINT(cert-err34-c) */
			pid_t mp = 0;
			enum wait_kind m = waits_fd(w, pid, tfd, false, mw, sizeof mw, &mp);

			members++;
			set_fold(&kind, what, whatlen, peer, m, mw, mp);
		}
		line = next;
	}
	if (members == 0)
		snprintf(what, whatlen, "empty epoll set");
	return kind;
}

static bool read_mem(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };

	return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len;
}

/* A poll set: the pollfd array read from the process. */
static enum wait_kind waits_pollset(struct waits *w, pid_t tid, pid_t pid,
                                    const struct wait_call *c, char *what, size_t whatlen,
                                    pid_t *peer)
{
	struct {
		int fd;
		short events, revents;
	} fds[WAITS_MAX_SET];
	char mw[SAMPLE_WHAT_LEN];
	enum wait_kind kind = WAIT_INSIDE;
	size_t n = c->n < WAITS_MAX_SET ? (size_t)c->n : WAITS_MAX_SET;

	snprintf(what, whatlen, "poll set of inside descriptors");
	if (n == 0) {
		snprintf(what, whatlen, "poll with no descriptor");
		return WAIT_OUTSIDE; /* waits for a signal */
	}
	if (!read_mem(tid, c->addr, fds, n * sizeof fds[0])) {
		snprintf(what, whatlen, "poll set (unreadable: %s)", strerror(errno));
		return WAIT_UNKNOWN;
	}
	for (size_t i = 0; i < n; i++) {
		pid_t mp = 0;

		if (fds[i].fd < 0)
			continue;
		enum wait_kind m =
			waits_fd(w, pid, fds[i].fd, (fds[i].events & 4) != 0 /* POLLOUT */, mw,
		                 sizeof mw, &mp);
		set_fold(&kind, what, whatlen, peer, m, mw, mp);
	}
	return kind;
}

/* A select set: the read and write fd_sets read from the process. */
static enum wait_kind waits_selectset(struct waits *w, pid_t tid, pid_t pid,
                                      const struct wait_call *c, char *what, size_t whatlen,
                                      pid_t *peer)
{
	uint64_t sets[2][1024 / 64];
	uint64_t addrs[2] = { c->addr, c->addr2 };
	size_t nfds = c->n < 1024 ? (size_t)c->n : 1024;
	size_t words = (nfds + 63) / 64;
	char mw[SAMPLE_WHAT_LEN];
	enum wait_kind kind = WAIT_INSIDE;

	snprintf(what, whatlen, "select set of inside descriptors");
	memset(sets, 0, sizeof sets);
	for (int s = 0; s < 2; s++) {
		if (addrs[s] != 0 && words > 0 && !read_mem(tid, addrs[s], sets[s], words * 8)) {
			snprintf(what, whatlen, "select set (unreadable: %s)", strerror(errno));
			return WAIT_UNKNOWN;
		}
	}
	for (size_t fd = 0; fd < nfds; fd++) {
		for (int s = 0; s < 2; s++) {
			pid_t mp = 0;

			if (!(sets[s][fd / 64] >> (fd % 64) & 1))
				continue;
			enum wait_kind m = waits_fd(w, pid, (int)fd, s == 1, mw, sizeof mw, &mp);
			set_fold(&kind, what, whatlen, peer, m, mw, mp);
		}
	}
	return kind;
}

/* The judgement from the state and wait channel alone (no syscall file). */
static void waits_from_wchan(struct thread_sample *ts, const char *why)
{
	if (procparse_wchan_is_futex(ts->wchan)) {
		ts->wait = WAIT_LOCK;
		snprintf(ts->wait_what, sizeof ts->wait_what, "futex (timeout unknown: %s)", why);
		return;
	}
	ts->wait = WAIT_UNKNOWN;
	snprintf(ts->wait_what, sizeof ts->wait_what, "%.24s (%.20s)",
	         ts->wchan[0] ? ts->wchan : "?", why);
}

bool waits_judge_state(struct thread_sample *ts)
{
	ts->wait = WAIT_NONE;
	ts->syscall_nr = -1;
	ts->wait_addr = 0;
	ts->wait_pid = 0;
	ts->wait_what[0] = '\0';
	switch (ts->state) {
	case 'R':
	case 'Z':
	case 'X':
		return true;
	case 'T':
	case 't':
		ts->wait = WAIT_STOPPED;
		snprintf(ts->wait_what, sizeof ts->wait_what, "stopped");
		return true;
	case 'D':
		ts->wait = WAIT_DISK;
		snprintf(ts->wait_what, sizeof ts->wait_what, "disk (D state)");
		return true;
	default:
		return false;
	}
}

void waits_judge(struct waits *w, pid_t pid, struct thread_sample *ts)
{
	char buf[256];
	ssize_t n;

	if (waits_judge_state(ts))
		return;
	snprintf(w->path, sizeof w->path, "%s/%d/task/%d/syscall", w->proc_root, (int)pid,
	         (int)ts->tid);
	n = waits_slurp(w->path, buf, sizeof buf);
	waits_judge_call(w, pid, ts, buf, n);
}

void waits_judge_call(struct waits *w, pid_t pid, struct thread_sample *ts, const char *buf,
                      ssize_t n)
{
	uint64_t args[6];
	struct wait_call c;
	int nr = -1, r;

	if (n < 0) {
		waits_from_wchan(ts, n == -EACCES || n == -EPERM ? "syscall not readable"
		                                                 : "syscall unknown");
		return;
	}
	r = waits_parse_syscall(buf, (size_t)n, &nr, args);
	if (r <= 0) {
		if (r < 0 || ts->state == 'S')
			waits_from_wchan(ts, "not in a system call");
		return;
	}
	ts->syscall_nr = nr;
#if defined(__x86_64__)
	c = waits_shape(nr, args);
#else
	c.shape = SHAPE_OTHER;
	waits_from_wchan(ts, "system calls are judged on x86-64 only");
	return;
#endif
	switch (c.shape) {
	case SHAPE_NONE:
		return;
	case SHAPE_TIMED:
		ts->wait = WAIT_TIMED;
		snprintf(ts->wait_what, sizeof ts->wait_what, "timed wait (syscall %d)", nr);
		return;
	case SHAPE_FUTEX:
		ts->wait = WAIT_LOCK;
		ts->wait_addr = c.addr;
		snprintf(ts->wait_what, sizeof ts->wait_what, "futex");
		return;
	case SHAPE_FD:
		ts->wait = (unsigned char)waits_fd(w, pid, c.fd, c.writing, ts->wait_what,
		                                   sizeof ts->wait_what, &ts->wait_pid);
		return;
	case SHAPE_EPOLL:
		ts->wait = (unsigned char)waits_epoll(w, pid, c.fd, ts->wait_what,
		                                      sizeof ts->wait_what, &ts->wait_pid);
		return;
	case SHAPE_POLL:
		ts->wait = (unsigned char)waits_pollset(w, ts->tid, pid, &c, ts->wait_what,
		                                        sizeof ts->wait_what, &ts->wait_pid);
		return;
	case SHAPE_SELECT:
		ts->wait = (unsigned char)waits_selectset(w, ts->tid, pid, &c, ts->wait_what,
		                                          sizeof ts->wait_what, &ts->wait_pid);
		return;
	case SHAPE_CHILD:
		ts->wait = WAIT_INSIDE;
		ts->wait_pid = c.pid > 0 ? c.pid : -1;
		if (c.pid > 0)
			snprintf(ts->wait_what, sizeof ts->wait_what, "child PID %d", (int)c.pid);
		else
			snprintf(ts->wait_what, sizeof ts->wait_what, "any child");
		return;
	case SHAPE_SIGNAL:
		/* A child's SIGCHLD (timeout(1) waits so) or one from outside:
		 * the verdict knows whether the process has children. */
		ts->wait = WAIT_INSIDE;
		ts->wait_pid = -1;
		snprintf(ts->wait_what, sizeof ts->wait_what, "signal");
		return;
	case SHAPE_FLOCK:
		ts->wait = WAIT_OUTSIDE;
		snprintf(ts->wait_what, sizeof ts->wait_what, "file lock");
		return;
	case SHAPE_OTHER:
		ts->wait = WAIT_UNKNOWN;
		snprintf(ts->wait_what, sizeof ts->wait_what, "syscall %d", nr);
		return;
	}
}
