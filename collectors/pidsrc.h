/* Per-process fields of a full sample through libproc2, the production
 * reader under the real /proc. libproc2 reads only /proc (it has no proc
 * root), so the proctree uses this reader there and its own raw reads under
 * any other root. */
#ifndef MW_PIDSRC_H
#define MW_PIDSRC_H

#include <stddef.h>
#include <sys/types.h>

#include "sample.h"

struct pidsrc;

/* A libproc2 reader for the fields of a proc_sample. Returns NULL with errno
 * set when libproc2 cannot be set up (no /proc, no memory). */
struct pidsrc *pidsrc_new(void);
void pidsrc_free(struct pidsrc *ps);

/* Reads pids[0..n) from /proc into out, which has room for n entries, and
 * stores in *n_out how many were filled: processes that have gone are left
 * out, so *n_out <= n, in the order of pids. Each entry gets pid, ppid,
 * state, comm (libproc2's copy: control bytes shown as '?'), start_ticks,
 * cpu_ticks, num_threads, rss_bytes and io_bytes; the thread-scan fields
 * are zeroed. libproc2 reads an unreadable /proc/PID/io as zeros, so
 * io_known is set true and the caller, which knows whether the file could
 * be opened, corrects it. Returns 0, or -errno when libproc2 fails (out is
 * then undefined and *n_out is 0). */
int pidsrc_read(struct pidsrc *ps, const pid_t *pids, size_t n, struct proc_sample *out,
                size_t *n_out);

#endif
