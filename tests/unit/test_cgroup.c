/* runner/cgroup: the probe against fake /sys/fs/cgroup trees, then real
 * groups on this machine's kernel (skipped where no cgroup can be made):
 * the cap is enforced, the OOM kill is counted, the tree is listed. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../jobs/cgroup.h"
#include "helpers.h"

/* ---- fake trees ---- */

struct fake {
	char root[PATH_MAX];
};

static void fake_path(const struct fake *fk, char *buf, size_t len, const char *rel)
{
	path_join(buf, len, fk->root, rel);
}

/* root/rel with text in it; its directory is made as needed */
static void fake_file(const struct fake *fk, const char *rel, const char *text)
{
	write_text_in(fk->root, rel, text);
}

static int fake_setup(void **state)
{
	struct fake *fk = SCRATCH_FIXTURE(struct fake, root, "cgroup");

	if (fk == NULL)
		return -1;
	/* the unprivileged subtest must be able to look inside */
	chmod(fk->root, 0755);
	*state = fk;
	return 0;
}

static int fake_teardown(void **state)
{
	struct fake *fk = *state;

	tree_remove(fk->root); /* also what a test made 0555 */
	free(fk);
	return 0;
}

static void probe_fake(const struct fake *fk, const char *self_cgroup, struct cgroup_probe *out)
{
	char sp[PATH_MAX];

	fake_file(fk, "proc-self-cgroup", self_cgroup);
	fake_path(fk, sp, sizeof sp, "proc-self-cgroup");
	cgroup_probe(fk->root, sp, CGROUP_PROBE_RUN, out);
}

static void assert_parent(const struct fake *fk, const struct cgroup_probe *p, const char *rel)
{
	char want[PATH_MAX];

	fake_path(fk, want, sizeof want, rel);
	assert_string_equal(p->parent, want);
}

/* ---- probe ---- */

static void test_probe_nothing_mounted_is_none_with_reasons(void **state)
{
	struct fake *fk = *state;
	struct cgroup_probe p;

	probe_fake(fk, "0::/\n", &p);
	assert_int_equal(p.mechanism, CGROUP_NONE);
	assert_string_equal(cgroup_mechanism_name(p.mechanism), "none");
	assert_string_equal(p.parent, "");
	assert_non_null(strstr(p.note, "no cgroup2 hierarchy"));
	assert_non_null(strstr(p.note, "no cgroup v1 memory hierarchy"));
	assert_non_null(strstr(p.note, fk->root));
}

/* The fake group's cgroup.procs listing this process (and others). */
static void fake_procs(const struct fake *fk, const char *rel, const char *others)
{
	char text[128];

	snprintf(text, sizeof text, "%d\n%s", (int)getpid(), others);
	fake_file(fk, rel, text);
}

/* /proc/self/cgroup names a group that does not hold us (a cgroup
 * namespace looking at the host's mount): never used. */
static void test_probe_v2_group_not_holding_us_is_not_used(void **state)
{
	struct fake *fk = *state;
	struct cgroup_probe p;

	fake_file(fk, "cgroup.controllers", "cpu memory\n");
	fake_file(fk, "cgroup.procs", "1\n");
	probe_fake(fk, "0::/\n", &p);
	assert_int_equal(p.mechanism, CGROUP_NONE);
	assert_non_null(strstr(p.note, "cgroup namespace"));
}

/* v2 lets no group with processes pass memory down: with a shell beside
 * mergewatch in its group, no v2 groups, and the note says so. */
static void test_probe_v2_others_in_own_group_is_none(void **state)
{
	struct fake *fk = *state;
	struct cgroup_probe p;

	fake_file(fk, "cgroup.controllers", "cpu memory\n");
	fake_file(fk, "cgroup.subtree_control", "memory\n");
	fake_file(fk, "op/cgroup.controllers", "memory\n");
	fake_file(fk, "op/cgroup.type", "domain\n");
	fake_procs(fk, "op/cgroup.procs", "4242\n");
	probe_fake(fk, "0::/op\n", &p);
	assert_int_equal(p.mechanism, CGROUP_NONE);
	assert_non_null(strstr(p.note, "holds other processes (PID 4242)"));
}

/* check changes nothing: alone in a group offering memory, it says what a
 * run would do and leaves no group behind. */
static void test_probe_check_says_what_it_would_do(void **state)
{
	struct fake *fk = *state;
	struct cgroup_probe p;
	char sp[PATH_MAX], leaf[PATH_MAX];

	fake_file(fk, "cgroup.controllers", "cpu memory\n");
	fake_file(fk, "cgroup.subtree_control", "memory\n");
	fake_file(fk, "op/cgroup.controllers", "memory\n");
	fake_file(fk, "op/cgroup.type", "domain\n");
	fake_file(fk, "op/cgroup.subtree_control", "");
	fake_procs(fk, "op/cgroup.procs", "");
	fake_file(fk, "proc-self-cgroup", "0::/op\n");
	fake_path(fk, sp, sizeof sp, "proc-self-cgroup");
	cgroup_probe(fk->root, sp, CGROUP_PROBE_CHECK, &p);
	assert_int_equal(p.mechanism, CGROUP_V2);
	assert_parent(fk, &p, "op");
	assert_non_null(strstr(p.note, "would first move itself into"));
	fake_path(fk, leaf, sizeof leaf, "op/mergewatch");
	assert_int_equal(access(leaf, F_OK), -1);
	fake_path(fk, leaf, sizeof leaf, "op/cgroup.subtree_control");
	assert_int_equal(access(leaf, F_OK), 0);
	cgroup_probe_release(&p);
}

/* A run in the same place needs the kernel's files in a new group: a
 * plain directory is not a cgroup, so nothing is claimed. */
static void test_probe_v2_plain_directory_is_not_claimed(void **state)
{
	struct fake *fk = *state;
	struct cgroup_probe p;

	fake_file(fk, "cgroup.controllers", "cpu memory\n");
	fake_file(fk, "cgroup.subtree_control", "memory\n");
	fake_procs(fk, "cgroup.procs", "");
	probe_fake(fk, "0::/\n", &p);
	assert_int_equal(p.mechanism, CGROUP_NONE);
	assert_non_null(strstr(p.note, "is not a memory cgroup"));
}

static void test_probe_v2_without_memory_nor_v1_is_none(void **state)
{
	struct fake *fk = *state;
	struct cgroup_probe p;

	fake_file(fk, "unified/cgroup.controllers", "hugetlb\n");
	probe_fake(fk, "0::/\n", &p);
	assert_int_equal(p.mechanism, CGROUP_NONE);
	assert_non_null(strstr(p.note, "has no memory controller"));
	assert_non_null(strstr(p.note, "unified"));
}

/* memory/ looks like a hierarchy, but what mkdir made is a plain
 * directory: not a cgroup, so not used. */
static void test_probe_v1_plain_directory_is_none(void **state)
{
	struct fake *fk = *state;
	struct cgroup_probe p;

	fake_file(fk, "memory/memory.limit_in_bytes", "0\n");
	fake_procs(fk, "memory/cgroup.procs", "");
	probe_fake(fk, "4:memory:/\n0::/\n", &p);
	assert_int_equal(p.mechanism, CGROUP_NONE);
	assert_non_null(strstr(p.note, "is not a memory cgroup"));
}

/* A v1 group that we may not write to, with a "mergewatch" group left in
 * it by an earlier root run: not claimed. As root, mode bits do not stop
 * mkdir, so the probe runs in a child that gave up root (uid nobody). */
static void test_probe_v1_not_writable_is_none(void **state)
{
	struct fake *fk = *state;
	struct cgroup_probe p;
	char hier[PATH_MAX], sp[PATH_MAX];
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	fake_file(fk, "memory/memory.limit_in_bytes", "0\n");
	fake_file(fk, "memory/mergewatch/memory.limit_in_bytes", "0\n");
	fake_file(fk, "proc-self-cgroup", "4:memory:/\n0::/\n");
	fake_path(fk, hier, sizeof hier, "memory");
	fake_path(fk, sp, sizeof sp, "proc-self-cgroup");
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		fake_procs(fk, "memory/cgroup.procs", "");
		if (chmod(hier, 0555) != 0)
			_exit(1);
		if (getuid() == 0 && setuid(65534) != 0)
			_exit(1);
		cgroup_probe(fk->root, sp, CGROUP_PROBE_RUN, &p);
		_exit(write(fds[1], &p, sizeof p) == (ssize_t)sizeof p ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], &p, sizeof p);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(n, (ssize_t)sizeof p);

	assert_int_equal(p.mechanism, CGROUP_NONE);
	assert_non_null(strstr(p.note, "cannot make a group in"));
	assert_non_null(strstr(p.note, hier));
	assert_non_null(strstr(p.note, strerror(EACCES)));
}

static void test_mechanism_names(void **state)
{
	(void)state;
	assert_string_equal(cgroup_mechanism_name(CGROUP_V2), "cgroup2");
	assert_string_equal(cgroup_mechanism_name(CGROUP_V1), "cgroup1");
	assert_string_equal(cgroup_mechanism_name(CGROUP_SYSTEMD), "systemd");
	assert_string_equal(cgroup_mechanism_name(CGROUP_NONE), "none");
}

static void test_create_refuses_none_and_bad_names(void **state)
{
	struct cgroup_probe p;
	char err[512];

	(void)state;
	memset(&p, 0, sizeof p);
	p.mechanism = CGROUP_NONE;
	err[0] = '\0';
	assert_null(cgroup_create(&p, "chr01", 1 << 20, UINT64_MAX, err, sizeof err));
	assert_non_null(strstr(err, "chr01"));

	p.mechanism = CGROUP_V1;
	snprintf(p.parent, sizeof p.parent, "/tmp");
	err[0] = '\0';
	assert_null(cgroup_create(&p, "a/b", 1 << 20, UINT64_MAX, err, sizeof err));
	assert_non_null(strstr(err, "a/b"));
	err[0] = '\0';
	assert_null(cgroup_create(&p, "..", 1 << 20, UINT64_MAX, err, sizeof err));
	assert_non_null(strstr(err, ".."));
}

static void test_create_error_names_path(void **state)
{
	struct cgroup_probe p;
	char err[512];

	(void)state;
	memset(&p, 0, sizeof p);
	p.mechanism = CGROUP_V1;
	snprintf(p.parent, sizeof p.parent, "/dev/null");
	assert_null(cgroup_create(&p, "chr01", 1 << 20, UINT64_MAX, err, sizeof err));
	assert_non_null(strstr(err, "/dev/null/chr01"));
	assert_non_null(strstr(err, strerror(ENOTDIR)));
}

/* ---- the real kernel ---- */

enum { REAL_MAX_CHILDREN = 4, REAL_MAX_GROUPS = 4 };

struct real {
	struct cgroup_probe probe;
	char groups[REAL_MAX_GROUPS][PATH_MAX]; /* made, to remove at the end */
	pid_t children[REAL_MAX_CHILDREN];      /* forked, to kill at the end */
};

static void real_note_group(struct real *r, const struct cgroup *cg)
{
	for (int i = 0; i < REAL_MAX_GROUPS; i++) {
		if (strcmp(r->groups[i], cgroup_path(cg)) == 0)
			return;
		if (r->groups[i][0] == '\0') {
			snprintf(r->groups[i], PATH_MAX, "%s", cgroup_path(cg));
			return;
		}
	}
	fail_msg("too many groups for the test's bookkeeping");
}

static void real_note_child(struct real *r, pid_t pid)
{
	for (int i = 0; i < REAL_MAX_CHILDREN; i++) {
		if (r->children[i] == 0) {
			r->children[i] = pid;
			return;
		}
	}
	fail_msg("too many children for the test's bookkeeping");
}

static void real_reaped(struct real *r, pid_t pid)
{
	for (int i = 0; i < REAL_MAX_CHILDREN; i++)
		if (r->children[i] == pid)
			r->children[i] = 0;
}

/* rmdir, retried while the kernel finishes taking an exited process out */
static int real_rmdir(const char *path)
{
	for (int i = 0; i < 200; i++) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		usleep(10000);
	}
	return -EBUSY;
}

static int real_remove(struct cgroup *cg)
{
	int rc = -EBUSY;

	for (int i = 0; i < 200 && (rc = cgroup_remove(cg)) == -EBUSY; i++)
		usleep(10000);
	return rc;
}

static int real_setup(void **state)
{
	struct real *r = calloc(1, sizeof *r);

	if (r == NULL)
		return -1;
	cgroup_probe("/sys/fs/cgroup", "/proc/self/cgroup", CGROUP_PROBE_RUN, &r->probe);
	*state = r;
	return 0;
}

static int real_teardown(void **state)
{
	struct real *r = *state;
	int status;

	for (int i = 0; i < REAL_MAX_CHILDREN; i++) {
		if (r->children[i] > 0) {
			kill(r->children[i], SIGKILL);
			waitpid(r->children[i], &status, 0);
		}
	}
	for (int i = 0; i < REAL_MAX_GROUPS; i++)
		if (r->groups[i][0] != '\0')
			real_rmdir(r->groups[i]);
	free(r);
	return 0;
}

static void real_skip_without_cgroups(const struct real *r)
{
	if (r->probe.mechanism == CGROUP_NONE) {
		print_message("skipped: no cgroup here: %s\n", r->probe.note);
		skip();
	}
}

static void real_group_name(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "mw-test-%s-%ld", what, (long)getpid());
}

static uint64_t real_read_u64(const struct cgroup *cg, const char *file)
{
	char path[PATH_MAX];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", cgroup_path(cg), file);
	f = fopen(path, "r");
	assert_non_null(f);
	if (fscanf(f, "%llu", &v) != 1)
		v = UINT64_MAX; /* v2 says "max" */
	fclose(f);
	return v;
}

static void read_byte(int fd)
{
	char c;

	assert_int_equal(read(fd, &c, 1), 1);
}

/* A child that joins the group itself (as the runner's children do between
 * fork and exec), says so on ready, waits for go, then allocates and
 * touches alloc_bytes, or sleeps when alloc_bytes is 0. */
static pid_t real_spawn(struct real *r, const struct cgroup *cg, size_t alloc_bytes)
{
	int ready[2], go[2], fd;
	const char *procs = cgroup_procs_path(cg);
	char c = 0;
	pid_t pid;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		fd = open(procs, O_WRONLY | O_CLOEXEC);
		if (fd == -1 || write(fd, "0", 1) != 1)
			_exit(90);
		close(fd);
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(91);
		if (alloc_bytes == 0) {
			pause();
			_exit(0);
		}
		volatile char *mem = malloc(alloc_bytes);
		if (mem == NULL)
			_exit(92);
		for (size_t i = 0; i < alloc_bytes; i += 4096)
			mem[i] = 1;
		_exit(0); /* not killed: the cap did not work */
	}
	real_note_child(r, pid);
	close(ready[1]);
	close(go[0]);
	read_byte(ready[0]);
	close(ready[0]);
	assert_int_equal(write(go[1], &c, 1), 1);
	close(go[1]);
	return pid;
}

static bool pids_have(const pid_t *pids, int n, pid_t pid)
{
	for (int i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

static void test_real_cap_kills_and_is_counted(void **state)
{
	struct real *r = *state;
	struct cgroup *cg;
	char name[64], err[512];
	pid_t pids[16], pid;
	int n, status;
	long kills;
	const uint64_t cap = 64ull << 20;

	real_skip_without_cgroups(r);
	real_group_name(name, sizeof name, "cap");
	cg = cgroup_create(&r->probe, name, cap, 0, err, sizeof err);
	if (cg == NULL)
		fail_msg("cgroup_create: %s", err);
	real_note_group(r, cg);
	assert_non_null(strstr(cgroup_path(cg), r->probe.parent));
	assert_int_equal(real_read_u64(cg, r->probe.mechanism == CGROUP_V2
	                                           ? "memory.max"
	                                           : "memory.limit_in_bytes"),
	                 cap);
	assert_int_equal(cgroup_oom_kills(cg) > 0, 0);

	pid = real_spawn(r, cg, 0); /* held at pause(): list it */
	n = cgroup_read_pids(cg, pids, 16);
	assert_int_equal(n, 1);
	assert_true(pids_have(pids, n, pid));
	assert_int_equal(cgroup_remove(cg), -EBUSY);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	real_reaped(r, pid);

	pid = real_spawn(r, cg, 256u << 20);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	real_reaped(r, pid);
	if (!WIFSIGNALED(status))
		fail_msg("child was not killed: exit %d", WEXITSTATUS(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);

	kills = cgroup_oom_kills(cg);
	if (kills == -1) {
		/* v1 before 4.13 has no oom_kill line: at least the peak
		 * reached the cap (failcnt is no witness: 6.18 leaves it 0
		 * after an OOM kill) */
		assert_int_equal(r->probe.mechanism, CGROUP_V1);
		assert_true(real_read_u64(cg, "memory.max_usage_in_bytes") >= cap);
	} else {
		assert_true(kills >= 1);
	}
	assert_int_equal(real_remove(cg), 0);
}

static void test_real_tree_listed_even_when_escaped(void **state)
{
	struct real *r = *state;
	struct cgroup *cg;
	char name[64], err[512];
	pid_t pids[4], a, b;
	int status;

	real_skip_without_cgroups(r);
	real_group_name(name, sizeof name, "tree");
	cg = cgroup_create(&r->probe, name, UINT64_MAX, UINT64_MAX, err, sizeof err);
	if (cg == NULL)
		fail_msg("cgroup_create: %s", err);
	real_note_group(r, cg);
	a = real_spawn(r, cg, 0);
	b = fork(); /* joins by cgroup_attach from outside */
	assert_true(b >= 0);
	if (b == 0) {
		pause();
		_exit(0);
	}
	real_note_child(r, b);
	assert_int_equal(cgroup_attach(cg, b), 0);

	/* two in the group, room for one: the count says two */
	assert_int_equal(cgroup_read_pids(cg, pids, 1), 2);
	assert_true(pids[0] == a || pids[0] == b);
	assert_int_equal(cgroup_read_pids(cg, pids, 4), 2);
	assert_true(pids_have(pids, 2, a));
	assert_true(pids_have(pids, 2, b));
	assert_true(cgroup_memory_current(cg) > 0);

	kill(a, SIGKILL);
	kill(b, SIGKILL);
	waitpid(a, &status, 0);
	waitpid(b, &status, 0);
	real_reaped(r, a);
	real_reaped(r, b);
	assert_int_equal(real_remove(cg), 0);
}

static void test_real_leftover_group_reused_when_empty(void **state)
{
	struct real *r = *state;
	struct cgroup *cg, *again;
	char name[64], err[512];
	pid_t pid, pids[4];
	int status;

	real_skip_without_cgroups(r);
	real_group_name(name, sizeof name, "left");
	cg = cgroup_create(&r->probe, name, 32ull << 20, UINT64_MAX, err, sizeof err);
	if (cg == NULL)
		fail_msg("cgroup_create: %s", err);
	real_note_group(r, cg);
	pid = real_spawn(r, cg, 0);
	cgroup_free(cg); /* as if mergewatch had died */

	/* busy: never shared with whatever still runs there */
	err[0] = '\0';
	assert_null(cgroup_create(&r->probe, name, 32ull << 20, UINT64_MAX, err, sizeof err));
	assert_non_null(strstr(err, name));
	assert_non_null(strstr(err, "earlier run"));

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	real_reaped(r, pid);

	/* empty: made afresh with the new cap */
	for (int i = 0; i < 200; i++) {
		again = cgroup_create(&r->probe, name, 48ull << 20, UINT64_MAX, err, sizeof err);
		if (again != NULL)
			break;
		usleep(10000);
	}
	if (again == NULL)
		fail_msg("cgroup_create over a leftover: %s", err);
	assert_int_equal(cgroup_read_pids(again, pids, 4), 0);
	assert_int_equal(real_read_u64(again, r->probe.mechanism == CGROUP_V2
	                                              ? "memory.max"
	                                              : "memory.limit_in_bytes"),
	                 48ull << 20);
	assert_int_equal(real_remove(again), 0);
}

/* Several pairs at once move a running pair's cap with the budget: lowered
 * it holds (the child is killed past it), raised it lets go again. */
static void test_real_cap_changed_while_running(void **state)
{
	struct real *r = *state;
	struct cgroup *cg;
	char name[64], err[512];
	const char *file = r->probe.mechanism == CGROUP_V2 ? "memory.max" : "memory.limit_in_bytes";
	pid_t pid;
	int status;

	real_skip_without_cgroups(r);
	real_group_name(name, sizeof name, "move");
	cg = cgroup_create(&r->probe, name, 512ull << 20, 0, err, sizeof err);
	if (cg == NULL)
		fail_msg("cgroup_create: %s", err);
	real_note_group(r, cg);
	assert_int_equal(cgroup_set_memory_max(cg, 64ull << 20, err, sizeof err), 0);
	assert_int_equal(real_read_u64(cg, file), 64ull << 20);
	pid = real_spawn(r, cg, 256u << 20);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	real_reaped(r, pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(cgroup_set_memory_max(cg, 512ull << 20, err, sizeof err), 0);
	assert_int_equal(real_read_u64(cg, file), 512ull << 20);
	pid = real_spawn(r, cg, 128u << 20);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	real_reaped(r, pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(cgroup_set_memory_max(cg, UINT64_MAX, err, sizeof err), -EINVAL);
	assert_int_equal(real_remove(cg), 0);
}

int main(void)
{
	const struct CMUnitTest probe_tests[] = {
		cmocka_unit_test_setup_teardown(test_probe_nothing_mounted_is_none_with_reasons,
		                                fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_probe_v2_group_not_holding_us_is_not_used,
		                                fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_probe_v2_others_in_own_group_is_none,
		                                fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_probe_check_says_what_it_would_do, fake_setup,
		                                fake_teardown),
		cmocka_unit_test_setup_teardown(test_probe_v2_plain_directory_is_not_claimed,
		                                fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_probe_v2_without_memory_nor_v1_is_none,
		                                fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_probe_v1_plain_directory_is_none, fake_setup,
		                                fake_teardown),
		cmocka_unit_test_setup_teardown(test_probe_v1_not_writable_is_none, fake_setup,
		                                fake_teardown),
		cmocka_unit_test(test_mechanism_names),
		cmocka_unit_test(test_create_refuses_none_and_bad_names),
		cmocka_unit_test(test_create_error_names_path),
	};
	const struct CMUnitTest real_tests[] = {
		cmocka_unit_test_setup_teardown(test_real_cap_kills_and_is_counted, real_setup,
		                                real_teardown),
		cmocka_unit_test_setup_teardown(test_real_tree_listed_even_when_escaped, real_setup,
		                                real_teardown),
		cmocka_unit_test_setup_teardown(test_real_leftover_group_reused_when_empty,
		                                real_setup, real_teardown),
		cmocka_unit_test_setup_teardown(test_real_cap_changed_while_running, real_setup,
		                                real_teardown),
	};
	int failed;

	failed = cmocka_run_group_tests_name("cgroup probe", probe_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("cgroup kernel", real_tests, NULL, NULL);
	return failed == 0 ? 0 : 1;
}
