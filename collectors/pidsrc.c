/* The libproc2 reader behind a full sample under the real /proc. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libproc2/pids.h>

#include "pidsrc.h"

/* The items asked of libproc2, and their places in each result stack. */
enum pidsrc_slot {
	SLOT_PID,
	SLOT_PPID,
	SLOT_STATE,
	SLOT_CMD,
	SLOT_TICS_ALL,
	SLOT_TICS_BEGAN,
	SLOT_NLWP,
	SLOT_RSS_ANON_KIB,
	SLOT_RSS_SHMEM_KIB,
	SLOT_IO_RCHAR,
	SLOT_IO_WCHAR,
	SLOT_COUNT
};

static const enum pids_item pidsrc_items[SLOT_COUNT] = {
	[SLOT_PID] = PIDS_ID_PID,
	[SLOT_PPID] = PIDS_ID_PPID,
	[SLOT_STATE] = PIDS_STATE,
	[SLOT_CMD] = PIDS_CMD,
	[SLOT_TICS_ALL] = PIDS_TICS_ALL,
	[SLOT_TICS_BEGAN] = PIDS_TICS_BEGAN,
	[SLOT_NLWP] = PIDS_NLWP,
	/* what only killing frees: not the clean file pages (RssFile) */
	[SLOT_RSS_ANON_KIB] = PIDS_VM_RSS_ANON,
	[SLOT_RSS_SHMEM_KIB] = PIDS_VM_RSS_SHARED,
	[SLOT_IO_RCHAR] = PIDS_IO_READ_CHARS,
	[SLOT_IO_WCHAR] = PIDS_IO_WRITE_CHARS,
};

/* libproc2 takes at most 63 PIDs a select (FILL_ID_MAX); stay well under. */
enum { PIDSRC_BATCH = 32 };

struct pidsrc {
	struct pids_info *info;
	enum pids_item items[SLOT_COUNT]; /* libproc2 wants them writable */
};

struct pidsrc *pidsrc_new(void)
{
	struct pidsrc *ps;
	int rc;

	ps = calloc(1, sizeof *ps);
	if (ps == NULL)
		return NULL;
	memcpy(ps->items, pidsrc_items, sizeof ps->items);
	rc = procps_pids_new(&ps->info, ps->items, SLOT_COUNT);
	if (rc < 0) {
		free(ps);
		errno = -rc;
		return NULL;
	}
	return ps;
}

void pidsrc_free(struct pidsrc *ps)
{
	if (ps == NULL)
		return;
	if (ps->info != NULL)
		procps_pids_unref(&ps->info);
	free(ps);
}

/* One libproc2 result stack into a proc_sample. */
static void pidsrc_fill(const struct pids_stack *st, struct proc_sample *ps)
{
	const struct pids_result *r = st->head;
	const char *cmd = r[SLOT_CMD].result.str;
	unsigned long long rchar, wchar;

	memset(ps, 0, sizeof *ps);
	ps->pid = r[SLOT_PID].result.s_int;
	ps->ppid = r[SLOT_PPID].result.s_int;
	ps->state = r[SLOT_STATE].result.s_ch;
	if (cmd != NULL) {
		strncpy(ps->comm, cmd, sizeof ps->comm - 1);
		ps->comm[sizeof ps->comm - 1] = '\0';
	}
	ps->cpu_ticks = r[SLOT_TICS_ALL].result.ull_int;
	ps->start_ticks = r[SLOT_TICS_BEGAN].result.ull_int;
	ps->num_threads = r[SLOT_NLWP].result.s_int;
	ps->rss_bytes = ((uint64_t)r[SLOT_RSS_ANON_KIB].result.ul_int +
	                 (uint64_t)r[SLOT_RSS_SHMEM_KIB].result.ul_int) *
	                1024;
	rchar = r[SLOT_IO_RCHAR].result.ul_int;
	wchar = r[SLOT_IO_WCHAR].result.ul_int;
	ps->io_bytes = rchar + wchar;
	ps->io_known = true;
}

int pidsrc_read(struct pidsrc *ps, const pid_t *pids, size_t n, struct proc_sample *out,
                size_t *n_out)
{
	unsigned ids[PIDSRC_BATCH];
	size_t done = 0, filled = 0;

	if (n_out != NULL)
		*n_out = 0;
	if (ps == NULL || n_out == NULL || (n > 0 && (pids == NULL || out == NULL)))
		return -EINVAL;
	while (done < n) {
		struct pids_fetch *fetch;
		size_t batch = n - done, i;
		int got;

		if (batch > PIDSRC_BATCH)
			batch = PIDSRC_BATCH;
		for (i = 0; i < batch; i++) {
			if (pids[done + i] <= 0)
				return -EINVAL;
			ids[i] = (unsigned)pids[done + i];
		}
		errno = 0;
		fetch = procps_pids_select(ps->info, ids, (int)batch, PIDS_SELECT_PID);
		if (fetch == NULL)
			return errno != 0 ? -errno : -EIO;
		got = fetch->counts->total;
		/* Never trust a count beyond what was asked. */
		for (i = 0; i < (size_t)got && i < batch && filled < n; i++)
			pidsrc_fill(fetch->stacks[i], &out[filled++]);
		done += batch;
	}
	*n_out = filled;
	return 0;
}
