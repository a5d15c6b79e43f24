/* Parsers for the /proc files mergewatch reads itself. Each takes a buffer
 * (not necessarily NUL-terminated: a length is given) and fills plain data.
 * They never allocate and never trust the content: a process chooses its own
 * name, so /proc/PID/stat is split at the LAST ')'. */
#ifndef MW_PROCPARSE_H
#define MW_PROCPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sample.h"

struct stat_fields {
	pid_t pid;
	char comm[SAMPLE_COMM_LEN]; /* raw, truncated to fit */
	char state;
	pid_t ppid;
	pid_t session;         /* field 6 */
	uint64_t utime, stime; /* clock ticks */
	int num_threads;
	uint64_t start_ticks;
	uint64_t rss_pages;
};

/* /proc/PID/stat or /proc/PID/task/TID/stat. Returns 0, or -EINVAL. */
int procparse_stat(const char *buf, size_t len, struct stat_fields *out);

/* Only the state field of a stat line (the thread scan needs nothing else,
 * and parsing all 52 fields of 200 threads was a tenth of a sample's cost).
 * Returns 0 with *state set, or -EINVAL. */
int procparse_stat_state(const char *buf, size_t len, char *state);

/* /proc/PID/task/TID/schedstat: "ON_CPU_NS WAIT_NS RUNS", the third being
 * how many times the thread was scheduled (it moves at every wake-up, even
 * one no CPU tick sees). 0 with *runs set, or -EINVAL. */
int procparse_schedstat(const char *buf, size_t len, uint64_t *runs);

/* /proc/PID/statm: returns the resident page count in *pages. 0 or -EINVAL. */
int procparse_statm(const char *buf, size_t len, uint64_t *pages);

/* /proc/PID/status: the memory only killing frees, RssAnon + RssShmem, in
 * *bytes (0 for a kernel thread or a zombie, which have neither line).
 * Clean file-backed pages (RssFile) do not count: the kernel reclaims them.
 * 0 or -EINVAL. */
int procparse_status_mem(const char *buf, size_t len, uint64_t *bytes);

/* /proc/PID/io: rchar + wchar in *bytes. 0 or -EINVAL. */
int procparse_io(const char *buf, size_t len, uint64_t *bytes);

/* /proc/meminfo: fills the four memory fields of *out (bytes).
 * 0, or -EINVAL when MemTotal or MemAvailable is missing. A kernel without
 * swap lists SwapTotal 0; missing swap lines read as 0. */
int procparse_meminfo(const char *buf, size_t len, struct sys_sample *out);

/* /proc/pressure/memory: the avg10 of the "some" and "full" lines.
 * 0 or -EINVAL. */
int procparse_psi(const char *buf, size_t len, double *some_avg10, double *full_avg10);

/* True when a wait channel names a futex wait, whatever the kernel calls it:
 * futex_wait_queue_me (< 5.16), futex_wait_queue (5.16+), futex_do_wait
 * (6.x), futex_wait, ... */
bool procparse_wchan_is_futex(const char *wchan);

/* Copies a wchan file's content (no trailing newline; "0" means none) into
 * out as a string of at most outlen - 1 bytes; "" for none. */
void procparse_wchan(const char *buf, size_t len, char *out, size_t outlen);

/* A /proc/PID/task/TID/children file: space-separated PIDs. Calls fn for
 * each; returns the count, or -EINVAL on garbage. */
int procparse_children(const char *buf, size_t len, void (*fn)(pid_t pid, void *ctx), void *ctx);

#endif
