/* lib/fsutil: the cleanup never follows a link, finishes what an
 * interrupted one began, refuses what it must keep; atomic writes leave the
 * old or the new file. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../lib/fsutil.h"

struct dir {
	char path[64];
};

static int rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static int dir_setup(void **state)
{
	struct dir *d = calloc(1, sizeof *d);

	if (d == NULL)
		return -1;
	snprintf(d->path, sizeof d->path, "/tmp/mw-test-fsutil-XXXXXX");
	if (mkdtemp(d->path) == NULL) {
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int dir_teardown(void **state)
{
	struct dir *d = *state;

	nftw(d->path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(d);
	return 0;
}

/* d->path/rel, formatted. */
static const char *at(const struct dir *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static const char *at(const struct dir *d, const char *fmt, ...)
{
	static char buf[4][PATH_MAX];
	static int next;
	char rel[256];
	va_list ap;
	char *out = buf[next++ % 4];

	va_start(ap, fmt);
	vsnprintf(rel, sizeof rel, fmt, ap);
	va_end(ap);
	snprintf(out, PATH_MAX, "%s/%s", d->path, rel);
	return out;
}

static void mkfile(const char *path, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	close(fd);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void remove_ok(const char *path, uint64_t expect_bytes)
{
	char err[1024] = "";
	uint64_t bytes = 99;

	if (fsutil_remove_tree(path, NULL, 0, &bytes, err, sizeof err) != 0)
		fail_msg("fsutil_remove_tree %s: %s", path, err);
	assert_int_equal(bytes, expect_bytes);
	assert_false(exists(path));
}

/* cleanup = latest, latest -> a real run: the link goes, the run stays. */
static void test_a_link_is_removed_never_its_target(void **state)
{
	struct dir *d = *state;

	assert_int_equal(mkdir(at(d, "run"), 0755), 0);
	mkfile(at(d, "run/part-0.parquet"), 4096);
	assert_int_equal(symlink(at(d, "run"), at(d, "latest")), 0);
	remove_ok(at(d, "latest"), 0);
	assert_true(exists(at(d, "run/part-0.parquet")));
	/* with a trailing slash too */
	assert_int_equal(symlink(at(d, "run"), at(d, "latest")), 0);
	remove_ok(at(d, "latest/"), 0);
	assert_true(exists(at(d, "run/part-0.parquet")));
}

/* Links inside the tree, to a directory and to a file outside it, are
 * removed; what they point to is not counted and not touched. */
static void test_links_inside_the_tree_are_not_followed(void **state)
{
	struct dir *d = *state;

	assert_int_equal(mkdir(at(d, "outside"), 0755), 0);
	mkfile(at(d, "outside/precious"), 1000);
	assert_int_equal(mkdir(at(d, "ck"), 0755), 0);
	assert_int_equal(mkdir(at(d, "ck/sub"), 0755), 0);
	mkfile(at(d, "ck/a"), 300);
	mkfile(at(d, "ck/sub/b"), 700);
	assert_int_equal(symlink(at(d, "outside"), at(d, "ck/sub/dirlink")), 0);
	assert_int_equal(symlink(at(d, "outside/precious"), at(d, "ck/filelink")), 0);
	assert_int_equal(symlink("/nonexistent", at(d, "ck/dangling")), 0);
	remove_ok(at(d, "ck"), 1000);
	assert_true(exists(at(d, "outside/precious")));
}

/* An interrupted cleanup leaves part of the tree: a second one finishes it,
 * and one that finds nothing left succeeds with 0 bytes. */
static void test_a_second_cleanup_finishes_an_interrupted_one(void **state)
{
	struct dir *d = *state;

	assert_int_equal(mkdir(at(d, "ck"), 0755), 0);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(mkdir(at(d, "ck/d%d", i), 0755), 0);
		mkfile(at(d, "ck/d%d/f", i), 10);
	}
	/* "interrupted": half the files and directories already gone */
	for (int i = 0; i < 10; i++) {
		assert_int_equal(unlink(at(d, "ck/d%d/f", i)), 0);
		if (i % 2 == 0)
			assert_int_equal(rmdir(at(d, "ck/d%d", i)), 0);
	}
	remove_ok(at(d, "ck"), 100);
	remove_ok(at(d, "ck"), 0);
}

static void test_refuses_what_must_be_kept(void **state)
{
	struct dir *d = *state;
	char err[1024] = "";
	uint64_t bytes;
	const char *keep[] = { at(d, "data/logs") };

	assert_int_equal(mkdir(at(d, "data"), 0755), 0);
	assert_int_equal(mkdir(at(d, "data/logs"), 0755), 0);
	mkfile(at(d, "data/logs/state"), 10);
	assert_int_equal(fsutil_remove_tree(at(d, "data"), keep, 1, &bytes, err, sizeof err),
	                 -EPERM);
	assert_non_null(strstr(err, "refusing"));
	assert_true(exists(at(d, "data/logs/state")));
	assert_int_equal(fsutil_remove_tree("/", NULL, 0, &bytes, err, sizeof err), -EPERM);
	assert_int_equal(fsutil_remove_tree(at(d, "data/.."), NULL, 0, &bytes, err, sizeof err),
	                 -EPERM);
	assert_true(exists(at(d, "data/logs/state")));
}

static void test_a_plain_file_is_removed_with_its_size(void **state)
{
	struct dir *d = *state;

	mkfile(at(d, "one.bin"), 12345);
	remove_ok(at(d, "one.bin"), 12345);
}

static char *slurp(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_write_atomic_replaces_and_leaves_no_tmp(void **state)
{
	struct dir *d = *state;
	char err[512] = "";

	assert_int_equal(fsutil_write_atomic(at(d, "rec"), "one\n", 4, err, sizeof err), 0);
	assert_string_equal(slurp(at(d, "rec")), "one\n");
	assert_int_equal(fsutil_write_atomic(at(d, "rec"), "two\n", 4, err, sizeof err), 0);
	assert_string_equal(slurp(at(d, "rec")), "two\n");
	assert_false(exists(at(d, "rec.tmp")));
	/* a directory where the temporary file goes: the old file stays */
	assert_int_equal(mkdir(at(d, "rec.tmp"), 0755), 0);
	assert_true(fsutil_write_atomic(at(d, "rec"), "three\n", 6, err, sizeof err) < 0);
	assert_non_null(strstr(err, "rec.tmp"));
	assert_string_equal(slurp(at(d, "rec")), "two\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_link_is_removed_never_its_target, dir_setup,
		                                dir_teardown),
		cmocka_unit_test_setup_teardown(test_links_inside_the_tree_are_not_followed,
		                                dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_a_second_cleanup_finishes_an_interrupted_one,
		                                dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_refuses_what_must_be_kept, dir_setup,
		                                dir_teardown),
		cmocka_unit_test_setup_teardown(test_a_plain_file_is_removed_with_its_size,
		                                dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic_replaces_and_leaves_no_tmp,
		                                dir_setup, dir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
