/* The kernel cap: each pair runs in its own memory cgroup with memory_max
 * (and swap_max), a backstop under the watchdog that stays in force even if
 * mergewatch dies. cgroup v2 where we may create groups with the memory
 * controller, cgroup v1 otherwise, and none (with the reason) when neither
 * works: the run goes on without a kernel cap and says why. */
#ifndef MW_CGROUP_H
#define MW_CGROUP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum cgroup_mechanism { CGROUP_NONE, CGROUP_V1, CGROUP_V2 };

struct cgroup_probe {
	enum cgroup_mechanism mechanism;
	char parent[PATH_MAX]; /* directory new groups are made in; "" for NONE */
	char note[256];        /* why NONE, or what is used */
};

/* Finds where mergewatch can make per-pair groups. sysfs_root is
 * "/sys/fs/cgroup" in production (tests pass a temp dir laid out like one);
 * proc_self_cgroup is the path of /proc/self/cgroup.
 *
 * cgroup v2 first: a cgroup2 hierarchy (a directory with cgroup.controllers)
 * at sysfs_root or sysfs_root/unified listing "memory". Our own group comes
 * from the "0::" line. Because of v2's "no internal processes" rule and
 * because we are in our own group, groups are made under a "mergewatch"
 * group next to ours (in our group's parent: a delegated systemd slice works
 * this way), else under the hierarchy's root. The probe creates that
 * mergewatch group, enables memory in the subtree_control files on the way
 * and checks it took. Then cgroup v1: sysfs_root/memory holding
 * memory.limit_in_bytes, with sysfs_root/memory/mergewatch created as the
 * parent. Otherwise NONE, with a note naming the paths and errno texts that
 * ruled each one out.
 *
 * Never fails: out always describes a usable mechanism or NONE. The
 * mergewatch parent group it may create is left in place (empty, harmless,
 * shared by later runs). */
void cgroup_probe(const char *sysfs_root, const char *proc_self_cgroup, struct cgroup_probe *out);

/* "cgroup2", "cgroup1" or "none", as run_start's limit_mechanism. Static. */
const char *cgroup_mechanism_name(enum cgroup_mechanism m);

struct cgroup;

/* Creates the group probe->parent/name and sets its caps. v2: memory.max,
 * memory.swap.max when swap_max != UINT64_MAX and the file exists, and
 * memory.oom.group = 1 where the kernel has it, so an OOM kill takes the
 * whole tree. v1: memory.limit_in_bytes, then (it must not be below that)
 * memory.memsw.limit_in_bytes = memory_max + swap_max when swap_max !=
 * UINT64_MAX and the file exists. memory_max UINT64_MAX: no cap, the group
 * still serves to find the tree and count OOM kills. name is one path
 * component (no '/', not "." or ".."). A group of that name left by a crashed
 * run is reused if it holds no process (removed and made again).
 *
 * Returns a group the caller releases with cgroup_remove or cgroup_free, or
 * NULL with err naming the path and the errno text (the partly made group is
 * removed). probe->mechanism NONE gives NULL with -ENOTSUP's text. */
struct cgroup *cgroup_create(const struct cgroup_probe *probe, const char *name,
                             uint64_t memory_max, uint64_t swap_max, char *err, size_t errlen);

/* Changes the group's memory cap (v2 memory.max, v1 memory.limit_in_bytes,
 * with memory.memsw.limit_in_bytes kept at cap + swap_max where it was
 * set); a group made without a cap (or UINT64_MAX) gives -EINVAL. Lowering it below what the group
 * holds makes the kernel reclaim, and refuse (EBUSY) what it cannot. Returns 0, or -errno with err
 * naming the file; the old cap then stays. */
int cgroup_set_memory_max(struct cgroup *cg, uint64_t memory_max, char *err, size_t errlen);

/* The file a child writes "0" (itself) into between fork and exec, with
 * open/write/close only (async-signal-safe). Borrowed until the group is
 * freed. */
const char *cgroup_procs_path(const struct cgroup *cg);

/* Moves process pid (all its threads) into the group. Returns 0 or -errno.
 * Not async-signal-safe: from a forked child use cgroup_procs_path. */
int cgroup_attach(struct cgroup *cg, pid_t pid);

/* Fills pids with up to max PIDs of the processes in the group (the pair's
 * whole tree, including processes that escaped their parent). Returns how
 * many the group holds, which may exceed max, or -errno if cgroup.procs
 * cannot be read. */
int cgroup_read_pids(struct cgroup *cg, pid_t *pids, size_t max);
/* The same for a group known only by its directory (one a mergewatch that
 * died made for a pair now adopted). */
int cgroup_read_pids_at(const char *dir, pid_t *pids, size_t max);

/* How many times the kernel's OOM killer acted in the group: v2
 * memory.events oom_kill (its subgroups included), v1 memory.oom_control
 * oom_kill (kernels from 4.13). -1 when unknown (no such line or file). */
long cgroup_oom_kills(struct cgroup *cg);

/* The same for a group known only by its directory (one a mergewatch that
 * died made): whichever of the two files it has. */
long cgroup_oom_kills_at(const char *dir);

/* Memory charged to the group now: v2 memory.current, v1
 * memory.usage_in_bytes. 0 if unreadable. */
uint64_t cgroup_memory_current(struct cgroup *cg);

/* Removes the group (rmdir). Returns 0 and frees cg, also when the group was
 * already gone; -EBUSY while processes remain, or another -errno; on error
 * cg stays valid and retrying is the caller's business. */
int cgroup_remove(struct cgroup *cg);

/* Frees cg without removing the group: a cap left in force when mergewatch
 * stops watching is a feature. NULL is fine. */
void cgroup_free(struct cgroup *cg);

/* The group's directory. Borrowed until the group is freed. */
const char *cgroup_path(const struct cgroup *cg);

#endif
