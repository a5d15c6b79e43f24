/* System memory and pressure. Under the real /proc the memory fields come
 * from libproc2; under any other proc root (the tests' fake trees) from the
 * raw parser. PSI is always raw: libproc2 has no reader for it. Files are
 * opened once and re-read with pread at offset 0, which makes the kernel
 * generate them afresh. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libproc2/meminfo.h>

#include "procparse.h"
#include "sysmem.h"

enum {
	SYSMEM_BUF_LEN = 16384, /* meminfo is ~1.5 KiB; PSI ~100 bytes */
};

static const enum meminfo_item sysmem_items[] = {
	MEMINFO_MEM_TOTAL,
	MEMINFO_MEM_AVAILABLE,
	MEMINFO_SWAP_TOTAL,
	MEMINFO_SWAP_FREE,
};
#define SYSMEM_N_ITEMS (sizeof sysmem_items / sizeof sysmem_items[0])

struct sysmem {
	int meminfo_fd;                          /* raw path only, else -1 */
	int psi_fd;                              /* -1: PSI unknown */
	struct meminfo_info *mi;                 /* libproc2 path only, else NULL */
	enum meminfo_item items[SYSMEM_N_ITEMS]; /* libproc2 wants them writable */
	char buf[SYSMEM_BUF_LEN];
};

static int sysmem_open_under(const char *root, const char *name)
{
	char path[4096];
	int n;

	n = snprintf(path, sizeof path, "%s/%s", root, name);
	if (n < 0 || (size_t)n >= sizeof path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(path, O_RDONLY | O_CLOEXEC);
}

struct sysmem *sysmem_new(const char *proc_root)
{
	struct sysmem *sm;
	int rc, saved;

	if (proc_root == NULL) {
		errno = EINVAL;
		return NULL;
	}
	sm = calloc(1, sizeof *sm);
	if (sm == NULL)
		return NULL;
	sm->meminfo_fd = -1;
	sm->psi_fd = -1;

	if (strcmp(proc_root, "/proc") == 0) {
		memcpy(sm->items, sysmem_items, sizeof sm->items);
		rc = procps_meminfo_new(&sm->mi);
		if (rc < 0) {
			free(sm);
			errno = -rc;
			return NULL;
		}
	} else {
		sm->meminfo_fd = sysmem_open_under(proc_root, "meminfo");
		if (sm->meminfo_fd < 0) {
			saved = errno;
			free(sm);
			errno = saved;
			return NULL;
		}
	}
	/* No pressure file (kernel without PSI, or booted psi=0): unknown. */
	sm->psi_fd = sysmem_open_under(proc_root, "pressure/memory");
	return sm;
}

void sysmem_free(struct sysmem *sm)
{
	if (sm == NULL)
		return;
	if (sm->mi != NULL)
		procps_meminfo_unref(&sm->mi);
	if (sm->meminfo_fd >= 0)
		close(sm->meminfo_fd);
	if (sm->psi_fd >= 0)
		close(sm->psi_fd);
	free(sm);
}

/* The whole file at fd into sm->buf. Returns the length, or -errno. */
static ssize_t sysmem_pread_all(struct sysmem *sm, int fd)
{
	size_t len = 0, want;
	ssize_t n;

	while (len < sizeof sm->buf) {
		want = sizeof sm->buf - len;
		n = pread(fd, sm->buf + len, want, (off_t)len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		len += (size_t)n;
		/* A short read is the end: /proc files come whole in one
		 * read, and another pread would make the kernel build the
		 * whole file again. */
		if ((size_t)n < want)
			break;
	}
	return (ssize_t)len;
}

static int sysmem_read_libproc2(struct sysmem *sm, struct sys_sample *out)
{
	struct meminfo_stack *st;

	/* procps_meminfo_select re-reads the file on every call, unlike
	 * procps_meminfo_get, which reuses a read for up to a second. */
	errno = 0;
	st = procps_meminfo_select(sm->mi, sm->items, (int)SYSMEM_N_ITEMS);
	if (st == NULL)
		return errno != 0 ? -errno : -EIO;
	/* libproc2 reports KiB. */
	out->mem_total_bytes = (uint64_t)st->head[0].result.ul_int * 1024;
	out->mem_available_bytes = (uint64_t)st->head[1].result.ul_int * 1024;
	out->swap_total_bytes = (uint64_t)st->head[2].result.ul_int * 1024;
	out->swap_free_bytes = (uint64_t)st->head[3].result.ul_int * 1024;
	if (out->mem_total_bytes == 0)
		return -EINVAL;
	return 0;
}

static void sysmem_read_psi(struct sysmem *sm, struct sys_sample *out)
{
	ssize_t len;

	out->psi_known = false;
	out->psi_some_avg10 = 0.0;
	out->psi_full_avg10 = 0.0;
	if (sm->psi_fd < 0)
		return;
	/* A read error (EOPNOTSUPP when PSI is off) or garbage: unknown. */
	len = sysmem_pread_all(sm, sm->psi_fd);
	if (len <= 0)
		return;
	if (procparse_psi(sm->buf, (size_t)len, &out->psi_some_avg10, &out->psi_full_avg10) != 0) {
		out->psi_some_avg10 = 0.0;
		out->psi_full_avg10 = 0.0;
		return;
	}
	out->psi_known = true;
}

int sysmem_read(struct sysmem *sm, uint64_t t_ms, struct sys_sample *out)
{
	ssize_t len;
	int rc;

	if (sm == NULL || out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof *out);
	out->t_ms = t_ms;
	if (sm->mi != NULL) {
		rc = sysmem_read_libproc2(sm, out);
		if (rc != 0)
			return rc;
	} else {
		len = sysmem_pread_all(sm, sm->meminfo_fd);
		if (len < 0)
			return (int)len;
		rc = procparse_meminfo(sm->buf, (size_t)len, out);
		if (rc != 0)
			return rc;
	}
	sysmem_read_psi(sm, out);
	return 0;
}
