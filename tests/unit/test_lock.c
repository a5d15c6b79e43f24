/* runner/lock: a second mergewatch on the same log_dir is refused with the
 * holder's PID, and the lock goes with its holder. Other processes are
 * forked children, since flock conflicts between open files. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
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

#include "../../logdir/lock.h"
#include "helpers.h"

struct fixture {
	char base[64];     /* a mkdtemp directory under /tmp */
	char log_dir[128]; /* base/run/logs: not made yet */
	char lock_path[160];
	pid_t child; /* to kill at the end, 0 none */
};

static int setup(void **state)
{
	struct fixture *fx = SCRATCH_FIXTURE(struct fixture, base, "lock");

	if (fx == NULL)
		return -1;
	snprintf(fx->log_dir, sizeof fx->log_dir, "%s/run/logs", fx->base);
	snprintf(fx->lock_path, sizeof fx->lock_path, "%s/lock", fx->log_dir);
	umask(022);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int status;

	if (fx->child > 0) {
		kill(fx->child, SIGKILL);
		waitpid(fx->child, &status, 0);
	}
	tree_remove(fx->base);
	free(fx);
	return 0;
}

static int acquire_ok(const struct fixture *fx)
{
	char err[512] = "";
	int fd = lock_acquire(fx->log_dir, err, sizeof err);

	if (fd < 0)
		fail_msg("lock_acquire: %s", err);
	return fd;
}

/* The answer of lock_acquire in a forked child (another process). */
struct attempt {
	int rc;
	char err[512];
};

static struct attempt attempt_in_child(const struct fixture *fx)
{
	struct attempt a;
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	memset(&a, 0, sizeof a);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		a.rc = lock_acquire(fx->log_dir, a.err, sizeof a.err);
		_exit(write(fds[1], &a, sizeof a) == (ssize_t)sizeof a ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], &a, sizeof a);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(n, (ssize_t)sizeof a);
	return a;
}

static void test_acquire_makes_dir_and_records_pid(void **state)
{
	struct fixture *fx = *state;
	char text[32] = "", want[32];
	struct stat st;
	FILE *f;
	int fd;

	fd = acquire_ok(fx);
	assert_int_equal(stat(fx->lock_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	f = fopen(fx->lock_path, "r");
	assert_non_null(f);
	assert_non_null(fgets(text, sizeof text, f));
	fclose(f);
	snprintf(want, sizeof want, "%ld\n", (long)getpid());
	assert_string_equal(text, want);
	/* exec'd pairs must not carry the lock on */
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	lock_release(fd);
}

static void test_second_process_refused_with_holder_pid(void **state)
{
	struct fixture *fx = *state;
	struct attempt a;
	char want[512];
	int fd;

	fd = acquire_ok(fx);
	a = attempt_in_child(fx);
	assert_int_equal(a.rc, -EWOULDBLOCK);
	snprintf(want, sizeof want,
	         "log_dir %s is in use by mergewatch PID "
	         "%ld (lock file %s)",
	         fx->log_dir, (long)getpid(), fx->lock_path);
	assert_string_equal(a.err, want);
	lock_release(fd);
}

static void test_release_lets_others_in(void **state)
{
	struct fixture *fx = *state;
	struct attempt a;
	int fd;

	fd = acquire_ok(fx);
	lock_release(fd);
	a = attempt_in_child(fx);
	assert_true(a.rc >= 0); /* the child's fd dies with it */
	fd = acquire_ok(fx);
	lock_release(fd);
	lock_release(-1); /* harmless */
}

/* A holder killed outright (no release) leaves nothing to clean up. */
static void test_lock_dies_with_holder(void **state)
{
	struct fixture *fx = *state;
	char err[512] = "", want[512], c = 0;
	int ready[2], status, fd;

	assert_int_equal(pipe(ready), 0);
	fx->child = fork();
	assert_true(fx->child >= 0);
	if (fx->child == 0) {
		close(ready[0]);
		if (lock_acquire(fx->log_dir, err, sizeof err) < 0 || write(ready[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);

	assert_int_equal(lock_acquire(fx->log_dir, err, sizeof err), -EWOULDBLOCK);
	snprintf(want, sizeof want,
	         "log_dir %s is in use by mergewatch PID "
	         "%ld (lock file %s)",
	         fx->log_dir, (long)fx->child, fx->lock_path);
	assert_string_equal(err, want);

	assert_int_equal(kill(fx->child, SIGKILL), 0);
	assert_int_equal(waitpid(fx->child, &status, 0), fx->child);
	fx->child = 0;
	fd = acquire_ok(fx);
	lock_release(fd);
}

static void test_unmakeable_log_dir_names_path(void **state)
{
	char err[512] = "";

	(void)state;
	assert_int_equal(lock_acquire("/dev/null/logs", err, sizeof err), -ENOTDIR);
	assert_non_null(strstr(err, "/dev/null"));
	assert_non_null(strstr(err, strerror(ENOTDIR)));
}

static void test_mkdirs_is_mkdir_p(void **state)
{
	struct fixture *fx = *state;
	char path[256], err[512] = "";
	struct stat st;

	snprintf(path, sizeof path, "%s//a/b/c/", fx->base);
	assert_int_equal(lock_mkdirs(path, err, sizeof err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(lock_mkdirs(path, err, sizeof err), 0); /* again */

	snprintf(path, sizeof path, "%s/file", fx->base);
	assert_int_equal(close(open(path, O_WRONLY | O_CREAT, 0644)), 0);
	snprintf(path, sizeof path, "%s/file/sub", fx->base);
	assert_int_equal(lock_mkdirs(path, err, sizeof err), -ENOTDIR);
	assert_non_null(strstr(err, "/file"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_acquire_makes_dir_and_records_pid),
		T(test_second_process_refused_with_holder_pid),
		T(test_release_lets_others_in),
		T(test_lock_dies_with_holder),
		T(test_unmakeable_log_dir_names_path),
		T(test_mkdirs_is_mkdir_p),
	};

	return cmocka_run_group_tests_name("lock", tests, NULL, NULL);
}
