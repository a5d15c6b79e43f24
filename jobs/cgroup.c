/* Per-pair memory groups: probing for a mechanism and proving it, making a
 * group with its caps, and reading back what the kernel did in it. Every cgroup
 * file is small, so each read or write is one open/read-or-write/close. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "scope.h"

struct cgroup {
	enum cgroup_mechanism mechanism;
	char path[PATH_MAX];           /* "" for a scope not placed yet */
	char procs[PATH_MAX];          /* "" for a scope: the manager places the child */
	uint64_t memory_max, swap_max; /* as set; UINT64_MAX: none */
	/* systemd: */
	struct scope_bus *bus; /* the probe's, borrowed */
	char unit[128];
	char mount[PATH_MAX];
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

/* Writes text into dir/name. 0 or -errno with err naming the path. */
static int cg_write_text_at(const char *dir, const char *name, const char *text, char *err,
                            size_t errlen)
{
	char path[PATH_MAX];

	if (cg_join(path, sizeof path, dir, name) != 0) {
		snprintf(err, errlen, "%s/%s: %s", dir, name, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	return cg_write_text(path, text, err, errlen);
}

/* Writes a decimal into dir/name. 0 or -errno with err naming the path. */
static int cg_write_u64(const char *dir, const char *name, uint64_t value, char *err, size_t errlen)
{
	char text[32];

	snprintf(text, sizeof text, "%llu", (unsigned long long)value);
	return cg_write_text_at(dir, name, text, err, errlen);
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

static bool cg_v2_has_processes(const char *dir)
{
	char path[PATH_MAX], buf[64];

	if (cg_join(path, sizeof path, dir, "cgroup.procs") != 0)
		return true;
	/* unreadable counts as busy: we cannot show it is empty */
	return cg_read_text(path, buf, sizeof buf) != 0;
}

/* Whether the comma-separated list (a v1 line's controllers) has word. */
static bool cg_comma_list_has(const char *list, const char *word)
{
	size_t wlen = strlen(word);

	for (const char *p = list; p != NULL; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, word, wlen) == 0 && (p[wlen] == '\0' || p[wlen] == ','))
			return true;
	return false;
}

/* Whether pid is listed in dir/cgroup.procs (the root's may be long). */
static bool cg_holds(const char *dir, pid_t pid)
{
	char procs[PATH_MAX];
	bool found = false;
	long one;
	FILE *f;

	if (cg_join(procs, sizeof procs, dir, "cgroup.procs") != 0 ||
	    (f = fopen(procs, "re")) == NULL)
		return false;
	while (!found && fscanf(f, "%ld", &one) == 1) /* NOLINT(cert-err34-c) */
		found = one == (long)pid;
	fclose(f);
	return found;
}

/* The processes of dir other than self, as "PID, PID" into out (at most a
 * few). Returns how many there are; 0 when unreadable too. */
static int cg_others(const char *dir, pid_t self, char *out, size_t len)
{
	pid_t pids[64];
	int n = cgroup_read_pids_at(dir, pids, sizeof pids / sizeof pids[0]), others = 0;
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < n && i < (int)(sizeof pids / sizeof pids[0]); i++) {
		if (pids[i] == self)
			continue;
		if (others < 5 && used < len)
			used += (size_t)snprintf(out + used, len - used, "%s%d", others ? ", " : "",
			                         (int)pids[i]);
		others++;
	}
	return n < 0 ? 0 : others;
}

/* Our group in a hierarchy, from /proc/self/cgroup: the line "0::/path"
 * when controller is NULL (v2), else the v1 line whose controller list
 * names it. As a path relative to the hierarchy's root, "" for the root.
 * false if there is no such line. */
static bool cg_own_path(const char *proc_self_cgroup, const char *controller, char *own, size_t len)
{
	char buf[CG_SMALL_FILE], *line, *save = NULL, *path;
	size_t n;

	if (cg_read_text(proc_self_cgroup, buf, sizeof buf) < 0)
		return false;
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (c2 == NULL || c2[1] != '/')
			continue;
		*c2 = '\0';
		*c1 = '\0';
		if (controller == NULL ? strcmp(line, "0") != 0 || c2 != c1 + 1
		                       : !cg_comma_list_has(c1 + 1, controller))
			continue;
		path = c2 + 2;
		n = strlen(path);
		while (n > 0 && path[n - 1] == '/')
			path[--n] = '\0';
		if (n >= len)
			return false;
		memcpy(own, path, n + 1);
		return true;
	}
	return false;
}

/* Our group's directory in the hierarchy mounted at hier (controller as
 * for cg_own_path), checked to list us: a cgroup namespace looking at the
 * host's mount names a group that does not. false with why in reason. */
static bool cg_find_own(const char *proc_self_cgroup, const char *controller, const char *hier,
                        char *own, size_t len, char *reason, size_t rlen)
{
	char rel[PATH_MAX];

	if (!cg_own_path(proc_self_cgroup, controller, rel, sizeof rel)) {
		cg_say(reason, rlen, "no %s line in %s",
		       controller ? controller : "0::", proc_self_cgroup);
		return false;
	}
	if ((rel[0] == '\0' ? snprintf(own, len, "%s", hier) >= (int)len
	                    : cg_join(own, len, hier, rel) != 0) ||
	    !cg_is_dir(own) || !cg_holds(own, getpid())) {
		cg_say(reason, rlen,
		       "mergewatch's group (/%s in %s) is not a group of %s holding it "
		       "(a cgroup namespace without its own cgroup mount?)",
		       rel, proc_self_cgroup, hier);
		return false;
	}
	return true;
}

/* A test group, made and removed: proves that groups can be made in dir
 * and that the kernel gives them cap_file (so dir is a cgroup with that
 * controller, not a plain directory). 0 or -errno with why in reason. */
static int cg_prove(const char *dir, const char *cap_file, const char *cap_value, char *reason,
                    size_t rlen)
{
	char probe[PATH_MAX], name[64], file[PATH_MAX], werr[PATH_MAX + 64];
	int rc = 0;

	snprintf(name, sizeof name, "mergewatch-%d-probe", (int)getpid());
	if (cg_join(probe, sizeof probe, dir, name) != 0) {
		cg_say(reason, rlen, "%s: %s", dir, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	if (mkdir(probe, 0755) == -1 && errno != EEXIST) {
		rc = -errno;
		cg_say(reason, rlen, "cannot make a group in %s: %s", dir, strerror(-rc));
		return rc;
	}
	if (cap_file != NULL && cap_value != NULL) {
		if (cg_join(file, sizeof file, probe, cap_file) != 0 || access(file, F_OK) != 0) {
			cg_say(reason, rlen,
			       "%s is not a memory cgroup (a group made in it has no %s)", dir,
			       cap_file);
			rc = -ENOTSUP;
		} else if ((rc = cg_write_text(file, cap_value, werr, sizeof werr)) != 0) {
			cg_say(reason, rlen, "cannot cap a group made in %s: %s", dir, werr);
		}
	}
	if (rmdir(probe) == -1 && rc == 0) {
		rc = -errno;
		cg_say(reason, rlen, "cannot remove the test group %s: %s", probe, strerror(-rc));
	}
	return rc;
}

/* The parent directory of path, into up. false at the top. */
static bool cg_parent_dir(const char *path, const char *mount, char *up, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (strcmp(path, mount) == 0 || slash == NULL || slash == path)
		return false;
	n = (size_t)(slash - path);
	if (n >= len)
		return false;
	memcpy(up, path, n);
	up[n] = '\0';
	return true;
}

/* Makes memory available in dir's cgroup.controllers: enabled in each
 * ancestor's subtree_control from the nearest one that offers it down to
 * dir's parent. With apply false only says whether that can be tried. 0 or
 * -errno with why. */
static int cg_v2_offer_memory(const char *mount, const char *dir, bool apply, char *reason,
                              size_t rlen)
{
	char up[PATH_MAX];
	int rc;

	if (cg_file_has(dir, "cgroup.controllers", "memory"))
		return 0;
	if (!cg_parent_dir(dir, mount, up, sizeof up)) {
		cg_say(reason, rlen, "%s/cgroup.controllers lacks memory", dir);
		return -ENOTSUP;
	}
	if ((rc = cg_v2_offer_memory(mount, up, apply, reason, rlen)) != 0)
		return rc;
	return apply ? cg_v2_enable_memory(up, reason, rlen) : 0;
}

static bool cg_probe_v2(const char *sysfs_root, const char *proc_self_cgroup,
                        enum cgroup_probe_mode mode, struct cgroup_probe *out, char *reason,
                        size_t rlen)
{
	char mount[PATH_MAX], own[PATH_MAX], leaf[PATH_MAX], others[128];
	char why[512], procs[PATH_MAX], self[32];
	bool run = mode == CGROUP_PROBE_RUN, is_root, moved = false;
	pid_t me = getpid();
	int rc;

	snprintf(mount, sizeof mount, "%s", sysfs_root);
	if (!cg_exists(mount, "cgroup.controllers") &&
	    (cg_join(mount, sizeof mount, sysfs_root, "unified") != 0 ||
	     !cg_exists(mount, "cgroup.controllers"))) {
		cg_say(reason, rlen, "no cgroup2 hierarchy at %s or %s/unified", sysfs_root,
		       sysfs_root);
		return false;
	}
	if (!cg_file_has(mount, "cgroup.controllers", "memory")) {
		cg_say(reason, rlen, "the cgroup2 hierarchy at %s has no memory controller", mount);
		return false;
	}
	snprintf(out->mount, sizeof out->mount, "%s", mount);
	if (!cg_find_own(proc_self_cgroup, NULL, mount, own, sizeof own, reason, rlen))
		return false;
	/* The hierarchy's root has no cgroup.type and may hold processes
	 * beside groups with controllers; a namespace's root may not. */
	is_root = !cg_exists(own, "cgroup.type");
	if (cg_prove(own, NULL, NULL, why, sizeof why) != 0) {
		cg_say(reason, rlen, "%s", why);
		return false;
	}
	/* before anything is changed: a group shared with a shell is no use */
	if (!is_root && cg_others(own, me, others, sizeof others) > 0) {
		cg_say(reason, rlen,
		       "%s holds other processes (PID %s): cgroup v2 lets no group with "
		       "processes pass memory to its children; start mergewatch alone in a "
		       "group of its own (exec, systemd-run --scope, Delegate=yes)",
		       own, others);
		return false;
	}
	if (cg_v2_offer_memory(mount, own, run, why, sizeof why) != 0) {
		cg_say(reason, rlen, "%s", why);
		return false;
	}
	if (!is_root && !cg_file_has(own, "cgroup.subtree_control", "memory")) {
		if (cg_join(leaf, sizeof leaf, own, "mergewatch") != 0) {
			cg_say(reason, rlen, "%s: %s", own, strerror(ENAMETOOLONG));
			return false;
		}
		if (run) {
			if ((rc = cg_mkdir_existing_ok(leaf)) != 0) {
				cg_say(reason, rlen, "mkdir %s: %s", leaf, strerror(-rc));
				return false;
			}
			snprintf(self, sizeof self, "%d", (int)me);
			if (cg_join(procs, sizeof procs, leaf, "cgroup.procs") != 0 ||
			    cg_write_text(procs, self, why, sizeof why) != 0) {
				cg_say(reason, rlen, "moving mergewatch into its leaf: %s", why);
				return false;
			}
			moved = true;
		}
	}
	if (run && cg_v2_enable_memory(own, why, sizeof why) != 0) {
		cg_say(reason, rlen, "%s", why);
		if (moved && cg_join(procs, sizeof procs, own, "cgroup.procs") == 0) {
			/* back where it was: nothing passed down, so allowed */
			(void)cg_write_text(procs, self, why, sizeof why);
		}
		return false;
	}
	if (run && cg_prove(own, "memory.max", "max", why, sizeof why) != 0) {
		cg_say(reason, rlen, "%s", why);
		return false;
	}
	snprintf(out->parent, sizeof out->parent, "%s", own);
	if (run)
		cg_say(out->note, sizeof out->note, "pair groups in %s%s%s%s", own,
		       moved ? " (mergewatch moved itself into " : "", moved ? leaf : "",
		       moved ? ")" : "");
	else if (is_root || cg_file_has(own, "cgroup.subtree_control", "memory"))
		cg_say(out->note, sizeof out->note, "pair groups would go in %s", own);
	else
		cg_say(out->note, sizeof out->note,
		       "pair groups would go in %s (mergewatch would first move itself into "
		       "%s/mergewatch and pass memory down)",
		       own, own);
	out->mechanism = CGROUP_V2;
	return true;
}

/* A scope for a child held on a pipe, asked for and ended again: proves
 * that the user manager makes capped scopes. */
static bool cg_probe_systemd(const struct cgroup_probe *v2, struct cgroup_probe *out, char *reason,
                             size_t rlen)
{
	char unit[96], group[PATH_MAX], dir[PATH_MAX], maxfile[PATH_MAX], buf[64], why[512];
	int hold[2], status;
	pid_t child;
	int rc;

	if (v2->mount[0] == '\0') {
		cg_say(reason, rlen, "needs a cgroup2 hierarchy with the memory controller");
		return false;
	}
	if ((out->bus = scope_bus_open(why, sizeof why)) == NULL) {
		cg_say(reason, rlen, "%s", why);
		return false;
	}
	if (pipe2(hold, O_CLOEXEC) == -1) {
		cg_say(reason, rlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	child = fork();
	if (child == 0) {
		char c;

		close(hold[1]);
		_exit(read(hold[0], &c, 1) < 0 ? 1 : 0);
	}
	close(hold[0]);
	if (child < 0) {
		cg_say(reason, rlen, "fork: %s", strerror(errno));
		close(hold[1]);
		goto fail;
	}
	snprintf(unit, sizeof unit, "mergewatch-%d-probe.scope", (int)getpid());
	rc = scope_start(out->bus, unit, child, 1ull << 40, UINT64_MAX, 5000, group, sizeof group,
	                 why, sizeof why);
	if (rc == 0 && (cg_join(dir, sizeof dir, v2->mount, group + 1) != 0 ||
	                cg_join(maxfile, sizeof maxfile, dir, "memory.max") != 0 ||
	                cg_read_text(maxfile, buf, sizeof buf) <= 0 ||
	                strtoull(buf, NULL, 10) != 1ull << 40)) {
		cg_say(why, sizeof why,
		       "%s has no MemoryMax= in %s (memory not delegated to the "
		       "user manager?)",
		       unit, maxfile);
		rc = -ENOTSUP;
	}
	close(hold[1]);
	(void)waitpid(child, &status, 0);
	/* empty now: the manager ends it; make sure */
	(void)scope_stop(out->bus, unit, buf, sizeof buf);
	if (rc != 0) {
		cg_say(reason, rlen, "%s", why);
		goto fail;
	}
	{
		char *slash = strrchr(dir, '/');

		if (slash != NULL)
			*slash = '\0';
	}
	out->mechanism = CGROUP_SYSTEMD;
	cg_say(out->note, sizeof out->note,
	       "each pair in a transient scope from the systemd user manager, in %s, with "
	       "MemoryMax= and MemorySwapMax=",
	       dir);
	return true;
fail:
	scope_bus_close(out->bus);
	out->bus = NULL;
	return false;
}

static bool cg_probe_v1(const char *sysfs_root, const char *proc_self_cgroup,
                        struct cgroup_probe *out, char *reason, size_t rlen)
{
	char hier[PATH_MAX], own[PATH_MAX], why[512];

	if (cg_join(hier, sizeof hier, sysfs_root, "memory") != 0 ||
	    !cg_exists(hier, "memory.limit_in_bytes")) {
		cg_say(reason, rlen, "no cgroup v1 memory hierarchy at %s/memory", sysfs_root);
		return false;
	}
	if (!cg_find_own(proc_self_cgroup, "memory", hier, own, sizeof own, reason, rlen))
		return false;
	if (cg_prove(own, "memory.limit_in_bytes", "-1", why, sizeof why) != 0) {
		cg_say(reason, rlen, "%s", why);
		return false;
	}
	out->mechanism = CGROUP_V1;
	snprintf(out->parent, sizeof out->parent, "%s", own);
	cg_say(out->note, sizeof out->note, "pair groups in %s", own);
	return true;
}

void cgroup_probe(const char *sysfs_root, const char *proc_self_cgroup, enum cgroup_probe_mode mode,
                  struct cgroup_probe *out)
{
	char why_v2[512], why_sd[512], why_v1[512];

	memset(out, 0, sizeof *out);
	if (cg_probe_v2(sysfs_root, proc_self_cgroup, mode, out, why_v2, sizeof why_v2))
		return;
	if (cg_probe_systemd(out, out, why_sd, sizeof why_sd)) {
		size_t used = strlen(out->note);

		cg_say(out->note + used, sizeof out->note - used, " (cgroup2 itself: %s)", why_v2);
		return;
	}
	if (cg_probe_v1(sysfs_root, proc_self_cgroup, out, why_v1, sizeof why_v1))
		return;
	out->mechanism = CGROUP_NONE;
	out->parent[0] = '\0';
	cg_say(out->note, sizeof out->note, "cgroup2: %s; systemd: %s; cgroup1: %s", why_v2, why_sd,
	       why_v1);
}

void cgroup_probe_release(struct cgroup_probe *probe)
{
	scope_bus_close(probe->bus);
	probe->bus = NULL;
}

const char *cgroup_mechanism_name(enum cgroup_mechanism m)
{
	switch (m) {
	case CGROUP_V2:
		return "cgroup2";
	case CGROUP_V1:
		return "cgroup1";
	case CGROUP_SYSTEMD:
		return "systemd";
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

/* The scope unit for a pair group: "<name>.scope", with bytes a unit name
 * cannot hold as '_' (pair names never have them). */
static void cg_unit_name(char *buf, size_t len, const char *name)
{
	size_t n;

	snprintf(buf, len, "%s", name);
	for (n = 0; buf[n] != '\0'; n++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_.-",
		           buf[n]) == NULL)
			buf[n] = '_';
	if (n + sizeof ".scope" <= len)
		memcpy(buf + n, ".scope", sizeof ".scope");
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
	if (cg->mechanism == CGROUP_SYSTEMD) {
		cg->bus = probe->bus;
		snprintf(cg->mount, sizeof cg->mount, "%s", probe->mount);
		cg_unit_name(cg->unit, sizeof cg->unit, name);
		return cg;
	}
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

int cgroup_place(struct cgroup *cg, pid_t pid, char *err, size_t errlen)
{
	char group[PATH_MAX];
	int rc;

	if (cg->mechanism != CGROUP_SYSTEMD)
		return 0;
	rc = scope_start(cg->bus, cg->unit, pid, cg->memory_max, cg->swap_max, 5000, group,
	                 sizeof group, err, errlen);
	if (rc != 0)
		return rc;
	if (cg_join(cg->path, sizeof cg->path, cg->mount, group + 1) != 0) {
		snprintf(err, errlen, "%s%s: %s", cg->mount, group, strerror(ENAMETOOLONG));
		cg->path[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
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
	if (cg->mechanism != CGROUP_V1) {
		/* v2, and a scope (its group is the user's, delegated to their
		 * manager) */
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

int cgroup_set_memory_max_at(const char *dir, uint64_t memory_max, char *err, size_t errlen)
{
	if (cg_exists(dir, "memory.max")) {
		if (memory_max == UINT64_MAX)
			return cg_write_text_at(dir, "memory.max", "max", err, errlen);
		return cg_write_u64(dir, "memory.max", memory_max, err, errlen);
	}
	if (!cg_exists(dir, "memory.limit_in_bytes")) {
		snprintf(err, errlen, "%s: no memory cap file", dir);
		return -ENOENT;
	}
	/* v1: -1 is no cap; a memsw limit below the new one refuses it, so
	 * it goes first (its swap allowance kept), then the limit */
	if (memory_max == UINT64_MAX)
		return cg_write_text_at(dir, "memory.limit_in_bytes", "-1", err, errlen);
	int rc = cg_write_u64(dir, "memory.limit_in_bytes", memory_max, err, errlen);

	if (rc == -EINVAL && cg_exists(dir, "memory.memsw.limit_in_bytes")) {
		rc = cg_write_text_at(dir, "memory.memsw.limit_in_bytes", "-1", err, errlen);
		if (rc == 0)
			rc = cg_write_u64(dir, "memory.limit_in_bytes", memory_max, err, errlen);
	}
	return rc;
}

const char *cgroup_procs_path(const struct cgroup *cg)
{
	return cg->procs[0] != '\0' ? cg->procs : NULL;
}

const char *cgroup_path(const struct cgroup *cg)
{
	return cg->path;
}

int cgroup_attach(struct cgroup *cg, pid_t pid)
{
	char text[32], err[PATH_MAX + 64], procs[PATH_MAX];

	if (cg->path[0] == '\0' || cg_join(procs, sizeof procs, cg->path, "cgroup.procs") != 0)
		return -ENOENT;
	snprintf(text, sizeof text, "%ld", (long)pid);
	return cg_write_text(procs, text, err, sizeof err);
}

int cgroup_read_pids(struct cgroup *cg, pid_t *pids, size_t max)
{
	if (cg->path[0] == '\0')
		return 0;
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

	file = cg->mechanism != CGROUP_V1 ? "memory.events" : "memory.oom_control";
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

int cgroup_events_open(struct cgroup *cg)
{
	char path[PATH_MAX];
	int fd;

	if (cg->mechanism == CGROUP_V1 || cg->path[0] == '\0' ||
	    cg_join(path, sizeof path, cg->path, "memory.events") != 0)
		return -ENOTSUP;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return fd; /* the caller's to close */
}

long cgroup_events_oom_kills(int fd)
{
	char buf[CG_SMALL_FILE], *line;
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	for (line = buf; line != NULL; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, "oom_kill ", 9) == 0)
			return strtol(line + 9, NULL, 10);
	return -1;
}

/* A number file of the group (memory.current, memory.peak, ...). 0 when
 * unreadable. */
static uint64_t cg_read_u64(const struct cgroup *cg, const char *file)
{
	char path[PATH_MAX], buf[64], *end;
	unsigned long long v;

	if (cg->path[0] == '\0' || cg_join(path, sizeof path, cg->path, file) != 0 ||
	    cg_read_text(path, buf, sizeof buf) <= 0)
		return 0;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno != 0 || end == buf)
		return 0;
	return v;
}

uint64_t cgroup_memory_current(struct cgroup *cg)
{
	return cg_read_u64(cg,
	                   cg->mechanism != CGROUP_V1 ? "memory.current" : "memory.usage_in_bytes");
}

uint64_t cgroup_memory_peak(struct cgroup *cg)
{
	return cg_read_u64(cg, cg->mechanism != CGROUP_V1 ? "memory.peak"
	                                                  : "memory.max_usage_in_bytes");
}

int cgroup_kill(struct cgroup *cg)
{
	char path[PATH_MAX], err[PATH_MAX + 64];

	if (cg->mechanism == CGROUP_V1 || cg->path[0] == '\0' ||
	    cg_join(path, sizeof path, cg->path, "cgroup.kill") != 0 || access(path, F_OK) != 0)
		return -ENOTSUP;
	return cg_write_text(path, "1", err, sizeof err);
}

int cgroup_remove(struct cgroup *cg)
{
	char err[256];

	if (cg->mechanism == CGROUP_SYSTEMD) {
		/* the manager ends an empty scope and removes its group */
		if (cg->path[0] != '\0' && cg_is_dir(cg->path)) {
			if (cg_v2_has_processes(cg->path))
				return -EBUSY;
			if (scope_stop(cg->bus, cg->unit, err, sizeof err) != 0 ||
			    cg_is_dir(cg->path))
				return -EBUSY;
		}
		free(cg);
		return 0;
	}
	if (rmdir(cg->path) == -1 && errno != ENOENT)
		return -errno;
	free(cg);
	return 0;
}

void cgroup_free(struct cgroup *cg)
{
	free(cg);
}
