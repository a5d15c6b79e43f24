/* Per-pair memory cgroups: probing for a usable hierarchy, making a group
 * with its caps, and reading back what the kernel did in it. Every cgroup
 * file is small, so each read or write is one open/read-or-write/close. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"

struct cgroup {
	enum cgroup_mechanism mechanism;
	char path[PATH_MAX];
	char procs[PATH_MAX];
	uint64_t memory_max, swap_max; /* as set; UINT64_MAX: none */
};

/* Enough for cgroup.controllers, subtree_control, memory.events and the
 * other small files we read whole. */
enum { CG_SMALL_FILE = 4096 };

/* Formats a diagnostic into buf; a long path may cut it short, which is
 * fine for a note meant for people. */
static void __attribute__((format(printf, 3, 4)))
cg_say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* dir + "/" + name into buf. 0 or -ENAMETOOLONG. */
static int cg_join(char *buf, size_t len, const char *dir, const char *name)
{
	int n;

	n = snprintf(buf, len, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

static bool cg_exists(const char *dir, const char *name)
{
	char path[PATH_MAX];

	if (cg_join(path, sizeof path, dir, name) != 0)
		return false;
	return access(path, F_OK) == 0;
}

static bool cg_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Writes text to an existing file (cgroup files cannot be created). Returns 0
 * or -errno with err naming the path. */
static int cg_write_text(const char *path, const char *text, char *err, size_t errlen)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd, e;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd == -1) {
		e = errno;
		snprintf(err, errlen, "open %s: %s", path, strerror(e));
		return -e;
	}
	n = write(fd, text, len);
	e = errno;
	if (n >= 0 && (size_t)n != len)
		e = EIO; /* cgroup files take a value in one write */
	if (close(fd) == -1 && n >= 0 && (size_t)n == len) {
		n = -1;
		e = errno;
	}
	if (n < 0 || (size_t)n != len) {
		snprintf(err, errlen, "write %s to %s: %s", text, path, strerror(e));
		return -e;
	}
	return 0;
}

/* Writes a decimal into dir/name. 0 or -errno with err naming the path. */
static int cg_write_u64(const char *dir, const char *name, uint64_t value, char *err, size_t errlen)
{
	char path[PATH_MAX], text[32];

	if (cg_join(path, sizeof path, dir, name) != 0) {
		snprintf(err, errlen, "%s/%s: %s", dir, name, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	snprintf(text, sizeof text, "%llu", (unsigned long long)value);
	return cg_write_text(path, text, err, errlen);
}

/* Reads a small file whole, NUL-terminated. Returns its length or -errno. */
static ssize_t cg_read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	size_t got = 0;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -errno;
	while (got + 1 < len) {
		n = read(fd, buf + got, len - 1 - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			e = errno;
			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

/* Whether the whitespace-separated list has word in it. */
static bool cg_list_has(const char *list, const char *word)
{
	size_t wlen = strlen(word);
	const char *p = list;

	while (*p != '\0') {
		p += strspn(p, " \t\n");
		if (strncmp(p, word, wlen) == 0 &&
		    (p[wlen] == '\0' || strchr(" \t\n", p[wlen]) != NULL))
			return true;
		p += strcspn(p, " \t\n");
	}
	return false;
}

/* Whether dir/name lists word; false if unreadable. */
static bool cg_file_has(const char *dir, const char *name, const char *word)
{
	char path[PATH_MAX], buf[CG_SMALL_FILE];

	if (cg_join(path, sizeof path, dir, name) != 0)
		return false;
	if (cg_read_text(path, buf, sizeof buf) < 0)
		return false;
	return cg_list_has(buf, word);
}

/* The value of a "key N" line in dir/name (memory.events, oom_control).
 * 0, -ENOENT when there is no such line, or -errno. */
static int cg_read_keyed(const char *dir, const char *name, const char *key, long long *value)
{
	char path[PATH_MAX], buf[CG_SMALL_FILE], *line, *save = NULL, *end;
	size_t klen = strlen(key);
	ssize_t n;

	if (cg_join(path, sizeof path, dir, name) != 0)
		return -ENAMETOOLONG;
	if ((n = cg_read_text(path, buf, sizeof buf)) < 0)
		return (int)n;
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, key, klen) != 0 || line[klen] != ' ')
			continue;
		errno = 0;
		*value = strtoll(line + klen + 1, &end, 10);
		if (errno != 0 || end == line + klen + 1)
			return -EINVAL;
		return 0;
	}
	return -ENOENT;
}

/* Makes dir if missing; an existing directory is fine. 0 or -errno. */
static int cg_mkdir_existing_ok(const char *dir)
{
	if (mkdir(dir, 0755) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	return cg_is_dir(dir) ? 0 : -ENOTDIR;
}

/* Makes sure dir's children get the memory controller: "+memory" into its
 * cgroup.subtree_control unless it is there already. 0, or -errno with why
 * in reason. */
static int cg_v2_enable_memory(const char *dir, char *reason, size_t rlen)
{
	char path[PATH_MAX];
	int rc;

	if (cg_file_has(dir, "cgroup.subtree_control", "memory"))
		return 0;
	if (cg_join(path, sizeof path, dir, "cgroup.subtree_control") != 0) {
		cg_say(reason, rlen, "%s: %s", dir, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	if ((rc = cg_write_text(path, "+memory", reason, rlen)) != 0)
		return rc;
	if (!cg_file_has(dir, "cgroup.subtree_control", "memory")) {
		cg_say(reason, rlen, "memory did not appear in %s", path);
		return -ENOTSUP;
	}
	return 0;
}

/* Tries base/mergewatch as the parent of v2 pair groups: base must offer
 * memory, pass it down, and let us make the mergewatch group with memory
 * passed down again. true with out->parent set, or false with why in
 * reason. */
static bool cg_v2_try_base(const char *base, struct cgroup_probe *out, char *reason, size_t rlen)
{
	char parent[PATH_MAX];
	int rc;

	if (!cg_file_has(base, "cgroup.controllers", "memory")) {
		cg_say(reason, rlen, "%s/cgroup.controllers lacks memory", base);
		return false;
	}
	if (cg_v2_enable_memory(base, reason, rlen) != 0)
		return false;
	if (cg_join(parent, sizeof parent, base, "mergewatch") != 0) {
		cg_say(reason, rlen, "%s: %s", base, strerror(ENAMETOOLONG));
		return false;
	}
	if ((rc = cg_mkdir_existing_ok(parent)) != 0) {
		cg_say(reason, rlen, "mkdir %s: %s", parent, strerror(-rc));
		return false;
	}
	if (cg_v2_enable_memory(parent, reason, rlen) != 0)
		return false;
	snprintf(out->parent, sizeof out->parent, "%s", parent);
	return true;
}

/* Our own v2 group, from the "0::/path" line, as a path relative to the
 * hierarchy's root ("" for the root). false if there is no such line. */
static bool cg_v2_own_path(const char *proc_self_cgroup, char *own, size_t len)
{
	char buf[CG_SMALL_FILE], *line, *save = NULL;
	size_t n;

	if (cg_read_text(proc_self_cgroup, buf, sizeof buf) < 0)
		return false;
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "0::/", 4) != 0)
			continue;
		line += 4;
		n = strlen(line);
		while (n > 0 && line[n - 1] == '/')
			line[--n] = '\0';
		if (n >= len)
			return false;
		memcpy(own, line, n + 1);
		return true;
	}
	return false;
}

static bool cg_v2_has_processes(const char *dir)
{
	char path[PATH_MAX], buf[64];

	if (cg_join(path, sizeof path, dir, "cgroup.procs") != 0)
		return true;
	/* unreadable counts as busy: we cannot show it is empty */
	return cg_read_text(path, buf, sizeof buf) != 0;
}

static bool cg_probe_v2(const char *sysfs_root, const char *proc_self_cgroup,
                        struct cgroup_probe *out, char *reason, size_t rlen)
{
	char mount[PATH_MAX], own_rel[PATH_MAX], own[PATH_MAX], up[PATH_MAX];
	char controllers[CG_SMALL_FILE], path[PATH_MAX], why[256];
	const char *bases[3];
	char *slash;
	int nbases = 0, i;

	why[0] = '\0';

	snprintf(mount, sizeof mount, "%s", sysfs_root);
	if (!cg_exists(mount, "cgroup.controllers")) {
		if (cg_join(mount, sizeof mount, sysfs_root, "unified") != 0 ||
		    !cg_exists(mount, "cgroup.controllers")) {
			cg_say(reason, rlen,
			       "no cgroup2 hierarchy at %s or "
			       "%s/unified",
			       sysfs_root, sysfs_root);
			return false;
		}
	}
	if (cg_join(path, sizeof path, mount, "cgroup.controllers") != 0 ||
	    cg_read_text(path, controllers, sizeof controllers) < 0 ||
	    !cg_list_has(controllers, "memory")) {
		cg_say(reason, rlen, "cgroup2 at %s has no memory controller", mount);
		return false;
	}

	/* Where we may make groups: our own group if nothing runs in it (so
	 * its children may have controllers), a mergewatch group beside it,
	 * then the root. */
	own_rel[0] = '\0';
	if (cg_v2_own_path(proc_self_cgroup, own_rel, sizeof own_rel) && own_rel[0] != '\0' &&
	    cg_join(own, sizeof own, mount, own_rel) == 0 && cg_is_dir(own)) {
		if (!cg_v2_has_processes(own))
			bases[nbases++] = own;
		snprintf(up, sizeof up, "%s", own);
		slash = strrchr(up, '/');
		if (slash != NULL && (size_t)(slash - up) > strlen(mount)) {
			*slash = '\0';
			bases[nbases++] = up;
		}
	}
	bases[nbases++] = mount;

	for (i = 0; i < nbases; i++) {
		if (cg_v2_try_base(bases[i], out, why, sizeof why)) {
			out->mechanism = CGROUP_V2;
			cg_say(out->note, sizeof out->note, "cgroup v2 memory controller at %s",
			       out->parent);
			return true;
		}
	}
	/* the last reason is the root's, the most telling */
	cg_say(reason, rlen, "cgroup2: %s", why);
	return false;
}

static bool cg_probe_v1(const char *sysfs_root, struct cgroup_probe *out, char *reason, size_t rlen)
{
	char hier[PATH_MAX], parent[PATH_MAX];
	int rc;

	if (cg_join(hier, sizeof hier, sysfs_root, "memory") != 0 ||
	    !cg_exists(hier, "memory.limit_in_bytes")) {
		cg_say(reason, rlen,
		       "no cgroup v1 memory hierarchy at "
		       "%s/memory",
		       sysfs_root);
		return false;
	}
	if (cg_join(parent, sizeof parent, hier, "mergewatch") != 0) {
		cg_say(reason, rlen, "%s: %s", hier, strerror(ENAMETOOLONG));
		return false;
	}
	if ((rc = cg_mkdir_existing_ok(parent)) != 0) {
		cg_say(reason, rlen, "cgroup v1: mkdir %s: %s", parent, strerror(-rc));
		return false;
	}
	/* a plain directory (not a cgroup) would take the mkdir too */
	if (!cg_exists(parent, "memory.limit_in_bytes")) {
		cg_say(reason, rlen, "cgroup v1: %s is not a memory cgroup", parent);
		return false;
	}
	out->mechanism = CGROUP_V1;
	snprintf(out->parent, sizeof out->parent, "%s", parent);
	cg_say(out->note, sizeof out->note, "cgroup v1 memory controller at %s", hier);
	return true;
}

void cgroup_probe(const char *sysfs_root, const char *proc_self_cgroup, struct cgroup_probe *out)
{
	char why_v2[256], why_v1[256];

	memset(out, 0, sizeof *out);
	if (cg_probe_v2(sysfs_root, proc_self_cgroup, out, why_v2, sizeof why_v2))
		return;
	if (cg_probe_v1(sysfs_root, out, why_v1, sizeof why_v1))
		return;
	out->mechanism = CGROUP_NONE;
	out->parent[0] = '\0';
	cg_say(out->note, sizeof out->note, "%s; %s", why_v2, why_v1);
}

const char *cgroup_mechanism_name(enum cgroup_mechanism m)
{
	switch (m) {
	case CGROUP_V2:
		return "cgroup2";
	case CGROUP_V1:
		return "cgroup1";
	case CGROUP_NONE:
		break;
	}
	return "none";
}

/* Caps a fresh v2 group. 0 or -errno with err. */
static int cg_v2_set_caps(const char *dir, uint64_t memory_max, uint64_t swap_max, char *err,
                          size_t errlen)
{
	int rc;

	if (memory_max != UINT64_MAX &&
	    (rc = cg_write_u64(dir, "memory.max", memory_max, err, errlen)) != 0)
		return rc;
	/* memory.swap.max exists only with swap accounting */
	if (swap_max != UINT64_MAX && cg_exists(dir, "memory.swap.max") &&
	    (rc = cg_write_u64(dir, "memory.swap.max", swap_max, err, errlen)) != 0)
		return rc;
	/* kernels before 4.19 lack it; then the OOM killer takes one process
	 * and the watchdog the rest */
	if (cg_exists(dir, "memory.oom.group") &&
	    (rc = cg_write_u64(dir, "memory.oom.group", 1, err, errlen)) != 0)
		return rc;
	return 0;
}

/* Caps a fresh v1 group. memsw (memory + swap) must never be below
 * limit_in_bytes, so it comes second. 0 or -errno with err. */
static int cg_v1_set_caps(const char *dir, uint64_t memory_max, uint64_t swap_max, char *err,
                          size_t errlen)
{
	int rc;

	if (memory_max == UINT64_MAX)
		return 0; /* memsw alone cannot say "swap only" */
	if ((rc = cg_write_u64(dir, "memory.limit_in_bytes", memory_max, err, errlen)) != 0)
		return rc;
	if (swap_max == UINT64_MAX || swap_max > UINT64_MAX - memory_max ||
	    !cg_exists(dir, "memory.memsw.limit_in_bytes"))
		return 0;
	return cg_write_u64(dir, "memory.memsw.limit_in_bytes", memory_max + swap_max, err, errlen);
}

/* Makes the directory of a new group. A group of the same name left by a
 * crashed run is removed first if empty; a busy one must not be shared.
 * 0 or -errno with err naming the path. */
static int cg_make_fresh(const char *path, char *err, size_t errlen)
{
	int e;

	if (mkdir(path, 0755) == 0)
		return 0;
	e = errno;
	if (e == EEXIST) {
		if (rmdir(path) == -1) {
			e = errno;
			snprintf(err, errlen,
			         "cgroup %s is left from an earlier "
			         "run and cannot be removed: %s",
			         path, strerror(e));
			return -e;
		}
		if (mkdir(path, 0755) == 0)
			return 0;
		e = errno;
	}
	snprintf(err, errlen, "mkdir %s: %s", path, strerror(e));
	return -e;
}

static bool cg_name_ok(const char *name)
{
	return name[0] != '\0' && strchr(name, '/') == NULL && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

struct cgroup *cgroup_create(const struct cgroup_probe *probe, const char *name,
                             uint64_t memory_max, uint64_t swap_max, char *err, size_t errlen)
{
	struct cgroup *cg;
	int rc;

	if (probe->mechanism == CGROUP_NONE) {
		snprintf(err, errlen, "no cgroup for %s: %s", name, strerror(ENOTSUP));
		return NULL;
	}
	if (!cg_name_ok(name)) {
		snprintf(err, errlen, "cgroup name '%s': %s", name, strerror(EINVAL));
		return NULL;
	}
	if ((cg = calloc(1, sizeof *cg)) == NULL) {
		snprintf(err, errlen, "cgroup %s: %s", name, strerror(ENOMEM));
		return NULL;
	}
	cg->mechanism = probe->mechanism;
	cg->memory_max = memory_max;
	cg->swap_max = swap_max;
	if (cg_join(cg->path, sizeof cg->path, probe->parent, name) != 0 ||
	    cg_join(cg->procs, sizeof cg->procs, cg->path, "cgroup.procs") != 0) {
		snprintf(err, errlen, "%s/%s: %s", probe->parent, name, strerror(ENAMETOOLONG));
		free(cg);
		return NULL;
	}

	if (cg_make_fresh(cg->path, err, errlen) != 0) {
		free(cg);
		return NULL;
	}
	if (cg->mechanism == CGROUP_V2)
		rc = cg_v2_set_caps(cg->path, memory_max, swap_max, err, errlen);
	else
		rc = cg_v1_set_caps(cg->path, memory_max, swap_max, err, errlen);
	if (rc != 0) {
		(void)rmdir(cg->path);
		free(cg);
		return NULL;
	}
	return cg;
}

int cgroup_set_memory_max(struct cgroup *cg, uint64_t memory_max, char *err, size_t errlen)
{
	int rc;

	if (memory_max == cg->memory_max)
		return 0;
	if (memory_max == UINT64_MAX || cg->memory_max == UINT64_MAX) {
		/* a group made without a cap stays without one */
		snprintf(err, errlen, "cgroup %s: no cap to change", cg->path);
		return -EINVAL;
	}
	if (cg->mechanism == CGROUP_V2) {
		rc = cg_write_u64(cg->path, "memory.max", memory_max, err, errlen);
	} else {
		bool memsw = cg->swap_max != UINT64_MAX &&
		             cg->swap_max <= UINT64_MAX - memory_max &&
		             cg_exists(cg->path, "memory.memsw.limit_in_bytes");

		/* memsw may never be below limit_in_bytes: raise it first,
		 * lower it last. */
		rc = 0;
		if (memsw && memory_max > cg->memory_max)
			rc = cg_write_u64(cg->path, "memory.memsw.limit_in_bytes",
			                  memory_max + cg->swap_max, err, errlen);
		if (rc == 0)
			rc = cg_write_u64(cg->path, "memory.limit_in_bytes", memory_max, err,
			                  errlen);
		if (rc == 0 && memsw && memory_max < cg->memory_max)
			rc = cg_write_u64(cg->path, "memory.memsw.limit_in_bytes",
			                  memory_max + cg->swap_max, err, errlen);
	}
	if (rc == 0)
		cg->memory_max = memory_max;
	return rc;
}

const char *cgroup_procs_path(const struct cgroup *cg)
{
	return cg->procs;
}

const char *cgroup_path(const struct cgroup *cg)
{
	return cg->path;
}

int cgroup_attach(struct cgroup *cg, pid_t pid)
{
	char text[32], err[PATH_MAX + 64];

	snprintf(text, sizeof text, "%ld", (long)pid);
	return cg_write_text(cg->procs, text, err, sizeof err);
}

int cgroup_read_pids(struct cgroup *cg, pid_t *pids, size_t max)
{
	return cgroup_read_pids_at(cg->path, pids, max);
}

int cgroup_read_pids_at(const char *dir, pid_t *pids, size_t max)
{
	char procs[PATH_MAX];
	FILE *f;
	long pid;
	size_t count = 0;
	int e;

	if (snprintf(procs, sizeof procs, "%s/cgroup.procs", dir) >= (int)sizeof procs)
		return -ENAMETOOLONG;
	if ((f = fopen(procs, "re")) == NULL)
		return -errno;
	/* The kernel writes one decimal PID a line: nothing to misconvert. */
	while (fscanf(f, "%ld", &pid) == 1) { /* NOLINT(cert-err34-c) */
		if (count < max)
			pids[count] = (pid_t)pid;
		count++;
	}
	e = ferror(f) ? EIO : 0;
	fclose(f);
	if (e != 0)
		return -e;
	return count > INT32_MAX ? INT32_MAX : (int)count;
}

long cgroup_oom_kills(struct cgroup *cg)
{
	long long n;
	const char *file;

	file = cg->mechanism == CGROUP_V2 ? "memory.events" : "memory.oom_control";
	if (cg_read_keyed(cg->path, file, "oom_kill", &n) != 0 || n < 0)
		return -1;
	return (long)n;
}

long cgroup_oom_kills_at(const char *dir)
{
	long long n;

	if (cg_read_keyed(dir, "memory.events", "oom_kill", &n) != 0 &&
	    cg_read_keyed(dir, "memory.oom_control", "oom_kill", &n) != 0)
		return -1;
	return n < 0 ? -1 : (long)n;
}

uint64_t cgroup_memory_current(struct cgroup *cg)
{
	char path[PATH_MAX], buf[64], *end;
	const char *file;
	unsigned long long v;

	file = cg->mechanism == CGROUP_V2 ? "memory.current" : "memory.usage_in_bytes";
	if (cg_join(path, sizeof path, cg->path, file) != 0 ||
	    cg_read_text(path, buf, sizeof buf) <= 0)
		return 0;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno != 0 || end == buf)
		return 0;
	return v;
}

int cgroup_remove(struct cgroup *cg)
{
	if (rmdir(cg->path) == -1 && errno != ENOENT)
		return -errno;
	free(cg);
	return 0;
}

void cgroup_free(struct cgroup *cg)
{
	free(cg);
}
