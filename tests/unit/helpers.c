/* The unit suites' shared helpers; helpers.h says what each does. */
#include "helpers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

/* ---- scratch directories ---- */

int scratch_make(char *dir, size_t len, const char *name)
{
	int n = snprintf(dir, len, "/tmp/mw-test-%s-XXXXXX", name);

	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkdtemp(dir) != NULL ? 0 : -1;
}

void *scratch_fixture(size_t size, size_t dir_offset, size_t dir_len, const char *name)
{
	char *fixture = calloc(1, size);

	if (fixture == NULL || scratch_make(fixture + dir_offset, dir_len, name) != 0) {
		free(fixture);
		return NULL;
	}
	return fixture;
}

/* Before the removal: a directory of mode 0555 keeps its entries. */
static int tree_open_dir(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (type == FTW_D || type == FTW_DNR)
		chmod(path, 0755);
	return 0;
}

static int tree_remove_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

void tree_remove(const char *path)
{
	/* both walks go on past what they cannot remove: the rest still goes */
	chmod(path, 0755);
	nftw(path, tree_open_dir, 16, FTW_PHYS);
	nftw(path, tree_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- files ---- */

char *path_join(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len)
		fail_msg("path %s/%s longer than %zu bytes", dir, name, len);
	return buf;
}

void make_dirs(const char *path)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		fail_msg("path %s too long", path);
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0755) != 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", buf, strerror(errno));
}

void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w"); /* truncates in place: same inode */
	size_t len = strlen(text);

	if (f == NULL)
		fail_msg("cannot write %s: %s", path, strerror(errno));
	if (fwrite(text, 1, len, f) != len || fclose(f) != 0)
		fail_msg("cannot write %s: %s", path, strerror(errno));
}

void write_text_in(const char *dir, const char *rel, const char *text)
{
	char path[PATH_MAX], *slash;

	path_join(path, sizeof path, dir, rel);
	slash = strrchr(path, '/');
	*slash = '\0';
	make_dirs(path);
	*slash = '/';
	write_text(path, text);
}

char *read_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n = -1;

	if (f == NULL)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) == 0)
		n = ftell(f);
	if (n < 0 || fseek(f, 0, SEEK_SET) != 0)
		fail_msg("cannot size %s: %s", path, strerror(errno));
	buf = malloc((size_t)n + 1);
	if (buf == NULL)
		fail_msg("out of memory for %s", path);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail_msg("short read of %s", path);
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

/* ---- fake proc roots ---- */

void fixture_root(char *out, size_t outlen, const char *tree)
{
	const char *base = getenv("MW_FIXTURES");

	if (base == NULL || base[0] == '\0')
		base = "tests/fixtures";
	snprintf(out, outlen, "%s/proc/%s", base, tree);
	if (access(out, R_OK) != 0)
		fail_msg("fixture %s not found (run from the repository root "
		         "or set MW_FIXTURES)",
		         out);
}

static void copy_file(const char *from, const char *to)
{
	char buf[8192];
	ssize_t n;
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (in < 0 || out < 0)
		fail_msg("cannot copy %s to %s: %s", from, to, strerror(errno));
	while ((n = read(in, buf, sizeof buf)) > 0) {
		if (write(out, buf, (size_t)n) != n)
			fail_msg("cannot write %s: %s", to, strerror(errno));
	}
	if (n < 0)
		fail_msg("cannot read %s: %s", from, strerror(errno));
	close(in);
	close(out);
}

/* cp -r of the fixture's directories and regular files (it has no other). */
static void copy_tree(const char *from, const char *to)
{
	DIR *d = opendir(from);
	struct dirent *e;
	struct stat st;

	if (d == NULL || stat(from, &st) != 0)
		fail_msg("cannot read %s: %s", from, strerror(errno));
	if (mkdir(to, st.st_mode & 0777) != 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", to, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		char src[PATH_MAX], dst[PATH_MAX];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		path_join(src, sizeof src, from, e->d_name);
		path_join(dst, sizeof dst, to, e->d_name);
		if (lstat(src, &st) != 0)
			fail_msg("cannot stat %s: %s", src, strerror(errno));
		if (S_ISDIR(st.st_mode))
			copy_tree(src, dst);
		else if (S_ISREG(st.st_mode))
			copy_file(src, dst);
		else
			fail_msg("%s: a fixture holds only directories and files", src);
	}
	closedir(d);
}

void fixture_copy(const char *tree, char *dst, size_t dstlen)
{
	char src[PATH_MAX], top[PATH_MAX];

	fixture_root(src, sizeof src, tree);
	if (scratch_make(top, sizeof top, "fixture") != 0)
		fail_msg("cannot make a scratch directory: %s", strerror(errno));
	path_join(dst, dstlen, top, "root");
	copy_tree(src, dst);
}

void fixture_copy_remove(const char *dst)
{
	char top[PATH_MAX], *slash;

	snprintf(top, sizeof top, "%s", dst);
	slash = strrchr(top, '/');
	if (slash == NULL)
		fail_msg("%s is not a fixture copy", dst);
	*slash = '\0'; /* the scratch directory */
	tree_remove(top);
}

void fake_proc_stat(const char *root, pid_t pid, pid_t tid, char state, const char *comm,
                    pid_t ppid, unsigned utime, unsigned stime, int threads, unsigned start)
{
	char path[PATH_MAX + 64], line[512];

	if (tid > 0)
		snprintf(path, sizeof path, "%s/%d/task/%d/stat", root, (int)pid, (int)tid);
	else
		snprintf(path, sizeof path, "%s/%d/stat", root, (int)pid);
	snprintf(line, sizeof line,
	         "%d (%s) %c %d %d %d 0 -1 4194560 1200 0 3 0 "
	         "%u %u 0 0 20 0 %d 0 %u 123456789 100 18446744073709551615 1 1 0\n",
	         (int)(tid > 0 ? tid : pid), comm, state, (int)ppid, (int)ppid, (int)ppid, utime,
	         stime, threads, start);
	write_text(path, line);
}

/* ---- a fake view model ---- */

static const char *const fake_pair_names[] = {
	"chr01", "chr02", "chr03", "chr04", "chr05", "chr06", "chr07", "chr08", "chr09", "chr10",
	"chr11", "chr12", "chr13", "chr14", "chr15", "chr16", "chr17", "chr18", "chr19", "chr20",
	"chr21", "chr22", "chr23", "chr24", "chr25", "chr26", "chr27", "chr28", "chr29", "chr30",
	"chr31", "chr32", "chr33", "chr34", "chr35", "chr36", "chr37", "chr38", "chr39", "chr40",
	"chr41", "chr42", "chr43", "chr44", "chr45", "chr46", "chr47", "chr48", "chr49", "chr50",
	"chr51", "chr52", "chr53", "chr54", "chr55", "chr56", "chr57", "chr58", "chr59", "chr60",
	"chr61", "chr62", "chr63", "chr64",
};

void fake_model_pairs(struct model *m, struct model_pair *pairs, int n_pairs, uint64_t kill_rss,
                      uint64_t input_bytes)
{
	const int most = (int)(sizeof fake_pair_names / sizeof fake_pair_names[0]);

	if (n_pairs < 0 || n_pairs > most)
		fail_msg("fake_model_pairs: %d pairs, at most %d", n_pairs, most);
	m->pairs = pairs;
	m->n_pairs = n_pairs;
	for (int i = 0; i < n_pairs; i++) {
		pairs[i].name = fake_pair_names[i];
		pairs[i].state = PAIR_PENDING;
		pairs[i].exit_code = -1;
		pairs[i].kill_rss_bytes = kill_rss;
		pairs[i].input_bytes = input_bytes;
	}
}

void fake_model_machine(struct model *m, uint64_t mem_total, uint64_t mem_available,
                        uint64_t swap_total, uint64_t swap_free)
{
	m->sys.mem_total_bytes = mem_total;
	m->sys.mem_available_bytes = mem_available;
	m->sys.swap_total_bytes = swap_total;
	m->sys.swap_free_bytes = swap_free;
}
