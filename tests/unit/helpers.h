/* What the unit suites share: sizes, scratch directories under /tmp, file
 * writers and readers, the fake proc roots of tests/fixtures/proc and a
 * fake view model. The Makefile links helpers.o into every suite.
 *
 * A helper fails the running test (cmocka's fail_msg) when it cannot do
 * its job, so a suite needs no error paths of its own; scratch_make alone
 * returns -1, for the setup functions, which must not fail a test. */
#ifndef MW_TEST_HELPERS_H
#define MW_TEST_HELPERS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../core/model.h"

#define KiB 1024ULL
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)
#define TiB (1024ULL * GiB)

/* ---- scratch directories ---- */

/* Makes a fresh directory /tmp/mw-test-NAME-XXXXXX and puts its path in
 * dir: 0, or -1 (errno set) when it does not fit or cannot be made. */
int scratch_make(char *dir, size_t len, const char *name);

/* A zeroed fixture for a cmocka setup, of the struct type TYPE, with a
 * fresh scratch directory (scratch_make) in its char array MEMBER; NULL
 * when either cannot be made. The teardown calls tree_remove on MEMBER,
 * then frees the fixture. */
#define SCRATCH_FIXTURE(TYPE, MEMBER, NAME)                                                        \
	((TYPE *)scratch_fixture(sizeof(TYPE), offsetof(TYPE, MEMBER),                             \
	                         sizeof(((TYPE *)0)->MEMBER), NAME))
void *scratch_fixture(size_t size, size_t dir_offset, size_t dir_len, const char *name);

/* Removes path and everything below it. Links are removed, never followed;
 * directories a test made read-only are made writable first. Quiet about
 * what is already gone. */
void tree_remove(const char *path);

/* ---- files ---- */

/* dir/name into buf; fails the test when it does not fit. Returns buf. */
char *path_join(char *buf, size_t len, const char *dir, const char *name);

/* mkdir -p path (mode 0755). */
void make_dirs(const char *path);

/* Writes text to path, truncating an existing file in place: the same
 * inode, as /proc and sysfs files change under a reader holding them. */
void write_text(const char *path, const char *text);

/* Writes text to dir/rel, making the directories of rel as needed. */
void write_text_in(const char *dir, const char *rel, const char *text);

/* The whole file, NUL-terminated; its size in *len when len is not NULL.
 * The caller frees it. */
char *read_text(const char *path, size_t *len);

/* ---- fake proc roots (tests/fixtures/proc, see its README.md) ---- */

/* <fixtures>/proc/<tree>: $MW_FIXTURES is the tests/fixtures directory;
 * without it, the suites run from the repository root (as make test runs
 * them). */
void fixture_root(char *out, size_t outlen, const char *tree);

/* A copy of the fake proc root TREE in a fresh scratch directory, to be
 * changed by the test: its root goes to dst. fixture_copy_remove(dst)
 * removes the copy and its scratch directory. */
void fixture_copy(const char *tree, char *dst, size_t dstlen);
void fixture_copy_remove(const char *dst);

/* Writes a stat line in a fake proc root, as the fixtures' README describes
 * them: of process pid when tid is 0, else of its thread tid. */
void fake_proc_stat(const char *root, pid_t pid, pid_t tid, char state, const char *comm,
                    pid_t ppid, unsigned utime, unsigned stime, int threads, unsigned start);

/* ---- a fake view model ---- */

/* Points m at n_pairs pairs (at most 64) named chr01, chr02, ..., each
 * pending, with no exit code yet (-1), the kill line kill_rss and the
 * input size input_bytes. The names are constant strings. */
void fake_model_pairs(struct model *m, struct model_pair *pairs, int n_pairs, uint64_t kill_rss,
                      uint64_t input_bytes);

/* The machine of m: memory and swap, total and free. */
void fake_model_machine(struct model *m, uint64_t mem_total, uint64_t mem_available,
                        uint64_t swap_total, uint64_t swap_free);

#endif
