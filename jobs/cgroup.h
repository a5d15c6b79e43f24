/* The kernel cap: each pair runs in a memory group of its own with
 * memory_max (and swap_max), a backstop under the watchdog that stays in
 * force even if mergewatch dies, nested under the group mergewatch itself
 * runs in so an operator's, a slice's or a container's limit still holds.
 * Mechanisms, tried in order: cgroup v2 where mergewatch may make groups,
 * a transient systemd scope per pair from the user's manager, the cgroup v1
 * memory controller, and none (with the reason): the run goes on without a
 * kernel cap and says why. A mechanism is reported only once proven by a
 * group made and removed, never from a directory seen. */
#ifndef MW_CGROUP_H
#define MW_CGROUP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum cgroup_mechanism { CGROUP_NONE, CGROUP_V1, CGROUP_V2, CGROUP_SYSTEMD };

/* What the probe may change. RUN sets mergewatch up (on cgroup v2 it moves
 * itself into a leaf group and passes the memory controller down); CHECK
 * changes nothing: it makes and removes a test group where that proves the
 * rights, and says what a run would do. */
enum cgroup_probe_mode { CGROUP_PROBE_RUN, CGROUP_PROBE_CHECK };

struct scope_bus;

struct cgroup_probe {
	enum cgroup_mechanism mechanism;
	char parent[PATH_MAX]; /* v1, v2: directory pair groups are made in; "" otherwise */
	char mount[PATH_MAX];  /* the cgroup2 mount ("" without one) */
	char note[1024];       /* where the groups go, or why there are none */
	struct scope_bus *bus; /* systemd: the user manager's bus, owned */
};

/* Finds where mergewatch can make per-pair groups. sysfs_root is
 * "/sys/fs/cgroup" in production (tests pass a temp dir laid out like one);
 * proc_self_cgroup is the path of /proc/self/cgroup.
 *
 * cgroup v2 (a cgroup2 hierarchy at sysfs_root or sysfs_root/unified with
 * the memory controller): pair groups go in mergewatch's own group (the
 * "0::" line). v2 lets no group with processes pass controllers down, so
 * unless its group is the hierarchy's root, mergewatch first moves itself
 * into the leaf <own>/mergewatch, as systemd's DelegateSubgroup= does; that
 * needs mergewatch to be alone in its group (a container's init, a unit's
 * main process, a `systemd-run --scope`). Then, where the user has a
 * systemd user manager: a transient scope per pair. Then cgroup v1: pair
 * groups in mergewatch's own memory group. Otherwise NONE, with a note
 * naming the paths and errno texts that ruled each one out.
 *
 * Never fails: out describes a proven mechanism or NONE. Release with
 * cgroup_probe_release. */
void cgroup_probe(const char *sysfs_root, const char *proc_self_cgroup, enum cgroup_probe_mode mode,
                  struct cgroup_probe *out);

/* Closes what the probe holds (the systemd bus). The groups made from it
 * must be freed first. */
void cgroup_probe_release(struct cgroup_probe *probe);

/* "cgroup2", "cgroup1", "systemd" or "none", as run_start's
 * limit_mechanism. Static. */
const char *cgroup_mechanism_name(enum cgroup_mechanism m);

struct cgroup;

/* Makes the group for a pair and sets its caps. v2: probe->parent/name with
 * memory.max, memory.swap.max when swap_max != UINT64_MAX and the file
 * exists, and memory.oom.group = 1 where the kernel has it, so an OOM kill
 * takes the whole tree. v1: memory.limit_in_bytes, then (it must not be
 * below that) memory.memsw.limit_in_bytes = memory_max + swap_max when
 * swap_max != UINT64_MAX and the file exists. systemd: nothing yet; the
 * scope "<name>.scope" is asked for by cgroup_place once the
 * pair's first process exists. memory_max UINT64_MAX: no cap, the group
 * still serves to find the pair's processes and count OOM kills. name is
 * one path component (no '/', not "." or ".."). A group of that name left
 * by a crashed run is reused if it holds no process (removed and made
 * again).
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

/* The same for a group known only by its directory (one a mergewatch that
 * died made for a pair now adopted): memory.max on v2 (and a scope), else
 * v1's limit_in_bytes (a memsw limit in the way is lifted); UINT64_MAX
 * lifts the cap. Returns 0, or -errno with err naming the file. */
int cgroup_set_memory_max_at(const char *dir, uint64_t memory_max, char *err, size_t errlen);

/* The file a child writes "0" (itself) into between fork and exec, with
 * open/write/close only (async-signal-safe). NULL for a systemd scope (the
 * parent places the child with cgroup_place). Borrowed until the group is
 * freed. */
const char *cgroup_procs_path(const struct cgroup *cg);

/* Puts pid, held before exec, into the group where the child cannot do it
 * itself: a systemd scope is asked for with pid in it (blocking for one
 * D-Bus round trip). A no-op returning 0 for v1 and v2. 0, or -errno with
 * err. */
int cgroup_place(struct cgroup *cg, pid_t pid, char *err, size_t errlen);

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

/* Opens the group's memory.events to be polled: POLLPRI comes when it
 * changes (an OOM kill, memory.max reached), so an OOM kill is seen even
 * where the group is gone by the time the pair's end is judged (systemd
 * removes an empty scope at once). Returns the fd (the caller closes it)
 * or -errno (v1 has no such file). */
int cgroup_events_open(struct cgroup *cg);

/* Reads an fd from cgroup_events_open again (which re-arms its POLLPRI):
 * the oom_kill count, -1 when the line is missing, or -errno (-ENODEV once
 * the group is gone: stop polling it). */
long cgroup_events_oom_kills(int fd);

/* Memory charged to the group now: v2 memory.current, v1
 * memory.usage_in_bytes. 0 if unreadable. */
uint64_t cgroup_memory_current(struct cgroup *cg);

/* The group's own record of its highest charge: v2 memory.peak (kernels
 * from 5.19), v1 memory.max_usage_in_bytes (both count page cache too).
 * 0 when the group keeps none. */
uint64_t cgroup_memory_peak(struct cgroup *cg);

/* Kills every process in the group at once: v2 cgroup.kill (kernels from
 * 5.14). 0, -ENOTSUP where the group has no such file (v1: signal its
 * members), or -errno. */
int cgroup_kill(struct cgroup *cg);

/* Removes the group (rmdir; a systemd scope is stopped through its
 * manager). Returns 0 and frees cg, also when the group was already gone;
 * -EBUSY while processes remain, or another -errno; on error cg stays
 * valid and retrying is the caller's business. */
int cgroup_remove(struct cgroup *cg);

/* Frees cg without removing the group: a cap left in force when mergewatch
 * stops watching is a feature. NULL is fine. */
void cgroup_free(struct cgroup *cg);

/* The group's directory ("" for a scope not placed yet). Borrowed until
 * the group is freed. */
const char *cgroup_path(const struct cgroup *cg);

#endif
