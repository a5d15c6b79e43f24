/* Plain data produced by the collectors and read by the rules, the runner and
 * the dashboard. No behaviour lives here. Strings are raw, exactly as the
 * kernel gave them: escaping happens only where they are shown or serialised. */
#ifndef MW_SAMPLE_H
#define MW_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum {
	SAMPLE_COMM_LEN = 64, /* comm is 16 on most kernels; room for longer */
	SAMPLE_WCHAN_LEN = 64,
	SAMPLE_WHAT_LEN = 48,
};

/* What a blocked thread waits for, as far as the kernel shows it (see
 * collectors/waits.h). The deadlock rule reads these; the names live in
 * waits.c's table. */
enum wait_kind {
	WAIT_NONE,    /* running, or not in a blocking call */
	WAIT_TIMED,   /* a wait that ends on its own: sleep, or any wait with a timeout */
	WAIT_LOCK,    /* an untimed futex wait: a lock or condition of the process */
	WAIT_INSIDE,  /* untimed, on the pair itself: a child, a pipe or eventfd it holds both ends
	                 of */
	WAIT_OUTSIDE, /* untimed, on what may come from outside: socket, terminal, foreign pipe */
	WAIT_DISK,    /* uninterruptible sleep (D state) */
	WAIT_STOPPED, /* stopped by a signal or a tracer */
	WAIT_UNKNOWN, /* blocked in a call that cannot be judged: counts as outside */
};

/* System-wide memory, from <proc>/meminfo and <proc>/pressure/memory. */
struct sys_sample {
	uint64_t t_ms; /* monotonic time of the read */
	uint64_t mem_total_bytes;
	uint64_t mem_available_bytes;
	uint64_t swap_total_bytes;
	uint64_t swap_free_bytes;
	bool psi_known;        /* false: kernel without PSI (unknown, not zero) */
	double psi_some_avg10; /* percent */
	double psi_full_avg10; /* percent */
};

/* One thread of a process, from <proc>/PID/task/TID/{stat,wchan}. */
struct thread_sample {
	pid_t tid;
	char state;                   /* R, S, D, T, Z, ... */
	bool futex_wait;              /* state S and a futex-family wait channel */
	char wchan[SAMPLE_WCHAN_LEN]; /* "" when none or unreadable */
	/* Valid when the tree sample's waits_scanned is true: */
	unsigned char wait;              /* enum wait_kind */
	int syscall_nr;                  /* -1: none or unknown */
	uint64_t wait_addr;              /* WAIT_LOCK: the futex word's address */
	pid_t wait_pid;                  /* the other end: a pipe's writer, a child; -1: any child
	                                    (or a signal); 0: unknown */
	char wait_what[SAMPLE_WHAT_LEN]; /* "socket", "pipe from PID 123", ... */
};

/* One process of a tree. */
struct proc_sample {
	pid_t pid;
	pid_t ppid;
	uint64_t start_ticks; /* stat field 22: tells a PID's incarnations apart */
	char state;
	char comm[SAMPLE_COMM_LEN]; /* raw */
	uint64_t rss_bytes;         /* RssAnon + RssShmem: what only killing frees */
	uint64_t cpu_ticks;         /* utime + stime, in clock ticks */
	bool io_known;              /* /proc/PID/io readable */
	uint64_t io_bytes;          /* rchar + wchar: any read or write moves it */
	int num_threads;            /* from stat */
	/* Valid when the tree sample's threads_scanned is true: */
	int futex_threads;                /* threads in state S on a futex */
	bool all_futex;                   /* every thread is futex-waiting */
	char top_wchan[SAMPLE_WCHAN_LEN]; /* the most common wait channel */
	size_t first_thread;              /* index into tree_sample.threads */
	size_t n_threads_scanned;
};

/* A pair's whole tree: the root and every descendant found at this sample.
 * Owned by the proctree that filled it, borrowed until its next sample. */
struct tree_sample {
	uint64_t t_ms; /* monotonic time of the read */
	pid_t root;
	bool root_alive;      /* false once the root has gone */
	bool full;            /* false: a fast RSS-only read (rss_bytes valid only) */
	uint64_t rss_bytes;   /* sum over the pair's processes */
	uint64_t cpu_ticks;   /* sum over the tree */
	bool io_known;        /* every process's io was readable */
	uint64_t io_bytes;    /* sum over the tree */
	long ticks_per_s;     /* sysconf(_SC_CLK_TCK) */
	int threads;          /* sum of num_threads */
	bool threads_scanned; /* thread states and wait channels were read */
	int futex_threads;    /* sum over the tree, when scanned */
	bool waits_scanned;   /* every thread's wait was judged (wait, wait_what) */
	bool switches_known;  /* every thread's count of times scheduled was read */
	uint64_t switches;    /* their sum: it moves whenever any thread woke */
	struct proc_sample *procs;
	size_t n_procs;
	struct thread_sample *threads_v;
	size_t n_threads_v;
};

#endif
