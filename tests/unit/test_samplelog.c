/* runner/samplelog: the samples kept for the report are few (a line every
 * 5 s when nothing moves), yet every state change and every peak is kept;
 * what is written reads back as it was; a failed write leaves no half
 * line. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../logdir/samplelog.h"
#include "helpers.h"

static const uint64_t T0 = 1795000000000ULL;

struct fixture {
	char dir[64];
	char path[128];
	struct model m;
	struct model_pair pairs[3];
	struct samplelog *sl;
};

static int setup(void **state)
{
	struct fixture *f = SCRATCH_FIXTURE(struct fixture, dir, "samplelog");
	char err[256];

	if (f == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, SAMPLELOG_FILE);
	snprintf(f->m.host, sizeof(f->m.host), "vm merge-1");
	f->m.interval_ms = 1000;
	fake_model_machine(&f->m, 64 * GiB, 60 * GiB, 8 * GiB, 8 * GiB);
	fake_model_pairs(&f->m, f->pairs, 3, 50 * GiB, 9 * GiB);
	f->m.running = -1;
	f->sl = samplelog_new(f->dir, err, sizeof(err));
	if (f->sl == NULL)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	samplelog_free(f->sl);
	tree_remove(f->dir);
	free(f);
	return 0;
}

/* The file read back. */
struct readback {
	int lines;
	int samples;
	long bytes;
	struct samplelog_record runs[4];
	int n_runs;
	struct samplelog_record pairs[8];
	int n_pairs;
	/* every entry of every sample, flattened */
	struct {
		uint64_t dt_ms;
		struct samplelog_entry e;
	} entries[4096];
	int n_entries;
	uint64_t sample_dt[4096];
};

static struct readback *read_back(const char *path)
{
	struct readback *r = calloc(1, sizeof(*r));
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, ecap = 0;
	struct samplelog_entry *entries = NULL;
	ssize_t n;

	assert_non_null(r);
	assert_non_null(fp);
	while ((n = getline(&line, &cap, fp)) > 0) {
		struct samplelog_record rec;

		r->bytes += n;
		assert_int_equal(line[n - 1], '\n'); /* never a half line */
		line[n - 1] = '\0';
		if (samplelog_parse_line(line, &rec, &entries, &ecap) != 0)
			fail_msg("unreadable line %d: %s", r->lines + 1, line);
		r->lines++;
		if (rec.kind == SAMPLELOG_RUN && r->n_runs < 4)
			r->runs[r->n_runs++] = rec;
		if (rec.kind == SAMPLELOG_PAIR && r->n_pairs < 8)
			r->pairs[r->n_pairs++] = rec;
		if (rec.kind != SAMPLELOG_SAMPLE)
			continue;
		if (r->samples < 4096)
			r->sample_dt[r->samples] = rec.dt_ms;
		r->samples++;
		for (size_t k = 0; k < rec.n_entries && r->n_entries < 4096; k++) {
			r->entries[r->n_entries].dt_ms = rec.dt_ms;
			r->entries[r->n_entries].e = rec.entries[k];
			r->n_entries++;
		}
	}
	free(entries);
	free(line);
	fclose(fp);
	return r;
}

static void tick(struct fixture *f, uint64_t t_ms)
{
	assert_int_equal(samplelog_write(f->sl, &f->m, T0 + t_ms), 0);
}

static void set_rss(struct model_pair *p, uint64_t rss)
{
	p->rss_bytes = rss;
	if (rss > p->peak_rss_bytes)
		p->peak_rss_bytes = rss;
}

/* Nothing moves for an hour: one sample every 5 s, a small file. */
static void test_calm_hour_keeps_one_sample_per_5s(void **state)
{
	struct fixture *f = *state;

	f->pairs[0].state = PAIR_RUNNING;
	set_rss(&f->pairs[0], 20 * GiB);
	for (uint64_t t = 0; t <= 3600 * 1000; t += 1000)
		tick(f, t);
	struct readback *r = read_back(f->path);

	assert_int_equal(r->n_runs, 1);
	assert_string_equal(r->runs[0].host, "vm merge-1");
	assert_int_equal(r->runs[0].wall_ms, T0);
	assert_int_equal(r->runs[0].mem_total_bytes, 64 * GiB);
	assert_int_equal(r->n_pairs, 3);
	assert_string_equal(r->pairs[2].name, "chr03");
	assert_int_equal(r->pairs[0].kill_rss_bytes, 50 * GiB);
	assert_int_equal(r->pairs[0].input_bytes, 9 * GiB);
	assert_int_equal(r->samples, 3600 / 5 + 1);
	for (int i = 1; i < r->samples && i < 4096; i++)
		assert_int_equal(r->sample_dt[i] - r->sample_dt[i - 1], 5000);
	/* about 22 bytes a line: well under 64 KiB an hour */
	assert_true(r->bytes < 64 * 1024);
	free(r);
}

/* A one-tick spike between kept samples, and a peak only a fast check saw,
 * both reach the file as MAX. */
static void test_peaks_between_samples_are_kept(void **state)
{
	struct fixture *f = *state;
	struct model_pair *p = &f->pairs[0];

	p->state = PAIR_RUNNING;
	set_rss(p, 10 * GiB);
	tick(f, 0);
	/* a spike at 2 s: above the 5% step, so it is written at once */
	set_rss(p, 12 * GiB);
	tick(f, 1000);
	/* a spike smaller than the step: not written at its tick, but folded
	 * into the next kept sample's MAX */
	p->rss_bytes = 12 * GiB + 200 * MiB;
	tick(f, 2000);
	p->rss_bytes = 12 * GiB;
	tick(f, 3000);
	/* a fast check near the line saw 12.4 GiB, the base tick does not */
	p->peak_rss_bytes = 12 * GiB + 400 * MiB;
	tick(f, 4000);
	tick(f, 5000);
	tick(f, 6000);
	struct readback *r = read_back(f->path);
	uint64_t highest = 0;

	for (int i = 0; i < r->n_entries; i++) {
		if (r->entries[i].e.index == 0 && r->entries[i].e.max_rss_bytes > highest)
			highest = r->entries[i].e.max_rss_bytes;
		assert_true(r->entries[i].e.max_rss_bytes >= r->entries[i].e.rss_bytes);
	}
	assert_int_equal(highest, 12 * GiB + 400 * MiB);
	/* the 12 GiB jump was written at its own tick */
	bool jump_at_1s = false;

	for (int i = 0; i < r->n_entries; i++)
		jump_at_1s |= r->entries[i].dt_ms == 1000 && r->entries[i].e.rss_bytes == 12 * GiB;
	assert_true(jump_at_1s);
	free(r);
}

/* Below an earlier peak, a short rise between kept samples still shows:
 * the ticks in between fold into MAX. */
static void test_spike_below_the_peak_is_kept(void **state)
{
	struct fixture *f = *state;
	struct model_pair *p = &f->pairs[2];
	bool found = false;

	p->state = PAIR_RUNNING;
	set_rss(p, 20 * GiB);
	tick(f, 0);
	p->rss_bytes = 10 * GiB;
	tick(f, 1000);
	p->rss_bytes = 10 * GiB + 400 * MiB; /* 4%: not worth a sample of its own */
	tick(f, 2000);
	p->rss_bytes = 10 * GiB;
	for (uint64_t t = 3000; t <= 10000; t += 1000)
		tick(f, t);
	struct readback *r = read_back(f->path);

	for (int i = 0; i < r->n_entries; i++) {
		const struct samplelog_entry *e = &r->entries[i].e;

		assert_true(r->entries[i].dt_ms != 2000);
		if (e->index == 2 && e->rss_bytes == 10 * GiB &&
		    e->max_rss_bytes == 10 * GiB + 400 * MiB)
			found = true;
	}
	assert_true(found);
	free(r);
}

/* Every state change is written at the tick it is seen, with the RSS of
 * that moment: the kill shows above the line. */
static void test_state_changes_written_at_once(void **state)
{
	struct fixture *f = *state;
	struct model_pair *p = &f->pairs[1];

	f->pairs[0].state = PAIR_DONE;
	tick(f, 0);
	tick(f, 1000);
	p->state = PAIR_RUNNING;
	set_rss(p, 1 * GiB);
	tick(f, 2000);
	set_rss(p, 50 * GiB + 100 * MiB);
	p->state = PAIR_STOPPING;
	tick(f, 2300);
	p->state = PAIR_KILLED;
	tick(f, 2500);
	tick(f, 3000);
	struct readback *r = read_back(f->path);
	char seen[8] = { 0 };
	int n = 0;
	bool kill_above_line = false;

	for (int i = 0; i < r->n_entries; i++) {
		const struct samplelog_entry *e = &r->entries[i].e;

		if (e->index != 1)
			continue;
		if (n == 0 || seen[n - 1] != e->state) {
			assert_true(n < 7);
			seen[n++] = e->state;
		}
		if (e->state == 'S' && r->entries[i].dt_ms == 2300)
			kill_above_line = e->rss_bytes > 50 * GiB;
	}
	assert_string_equal(seen, "PRSK");
	assert_true(kill_above_line);
	/* the pair that was done from the start is written once */
	int done_entries = 0;

	for (int i = 0; i < r->n_entries; i++)
		done_entries += r->entries[i].e.index == 0;
	assert_int_equal(done_entries, 1);
	free(r);
}

/* A clock stepped back never makes the samples run backwards. */
static void test_clock_step_back_keeps_time_monotonic(void **state)
{
	struct fixture *f = *state;

	tick(f, 10000);
	tick(f, 20000);
	/* stepped back to 15 s, with a change that must be written */
	f->pairs[0].state = PAIR_RUNNING;
	tick(f, 15000);
	tick(f, 30000);
	struct readback *r = read_back(f->path);

	assert_int_equal(r->samples, 4);
	for (int i = 1; i < r->samples; i++)
		assert_true(r->sample_dt[i] >= r->sample_dt[i - 1]);
	free(r);
}

static void test_names_round_trip(void **state)
{
	static const char *const hostile[] = {
		"two words", "per%cent", "-dash",       "-",        "",
		"nl\nin",    "\x1b[2J",  "caf\xc3\xa9", "\xff\xfe",
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		struct model m = f->m;
		struct model_pair p = f->pairs[0];
		char err[256];

		p.name = hostile[i];
		m.pairs = &p;
		m.n_pairs = 1;
		snprintf(m.host, sizeof(m.host), "%s", hostile[i]);
		unlink(f->path);
		samplelog_free(f->sl);
		f->sl = samplelog_new(f->dir, err, sizeof(err));
		assert_non_null(f->sl);
		assert_int_equal(samplelog_write(f->sl, &m, T0), 0);
		struct readback *r = read_back(f->path);

		assert_int_equal(r->n_runs, 1);
		assert_int_equal(r->n_pairs, 1);
		assert_string_equal(r->runs[0].host, hostile[i]);
		assert_string_equal(r->pairs[0].name, hostile[i]);
		free(r);
	}
}

static void test_parse_refuses_junk(void **state)
{
	static const char *const bad[] = {
		"",
		"x 1",
		"s",
		"s 1 2 3",
		"s 1 2 3 - 0Q5",
		"s 1 2 3 - 0R5/4",
		"s 1 2 3 - 0R",
		"s 1 2 3 -  0R5",
		"p 0 1 2",
		"p 0 1 2 %zz",
		"r 1 2 3 4",
		"s 99999999999999999999999 1 1 -",
		"s 1 1 1 1001",
		"mergewatch-samples 2",
	};
	struct samplelog_record rec;
	struct samplelog_entry *entries = NULL;
	size_t cap = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (samplelog_parse_line(bad[i], &rec, &entries, &cap) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(samplelog_parse_line("s 5000 1024 0 125 2R4/8 0D1", &rec, &entries, &cap),
	                 0);
	assert_int_equal(rec.kind, SAMPLELOG_SAMPLE);
	assert_int_equal(rec.dt_ms, 5000);
	assert_int_equal(rec.mem_used_bytes, 1024 * 1024);
	assert_true(rec.psi_known);
	assert_true(rec.psi_some_avg10 > 12.49 && rec.psi_some_avg10 < 12.51);
	assert_int_equal(rec.n_entries, 2);
	assert_int_equal(rec.entries[0].index, 2);
	assert_int_equal(rec.entries[0].state, 'R');
	assert_int_equal(rec.entries[0].rss_bytes, 4096);
	assert_int_equal(rec.entries[0].max_rss_bytes, 8192);
	assert_int_equal(rec.entries[1].max_rss_bytes, 1024);
	assert_int_equal(samplelog_parse_line("p 1 - 0 x", &rec, &entries, &cap), 0);
	assert_int_equal(rec.kill_rss_bytes, UINT64_MAX);
	free(entries);
}

/* The file size limit stands in for a full disk: the write is cut short,
 * the half line is taken back, and the next write goes on cleanly. */
static void test_failed_write_leaves_no_half_line(void **state)
{
	struct fixture *f = *state;
	struct rlimit old, lim;
	struct stat st;

	f->pairs[0].state = PAIR_RUNNING;
	set_rss(&f->pairs[0], GiB);
	tick(f, 0);
	assert_int_equal(stat(f->path, &st), 0);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = (rlim_t)st.st_size + 5;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	f->pairs[0].state = PAIR_DONE;
	int rc = samplelog_write(f->sl, &f->m, T0 + 1000);

	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	assert_true(rc < 0);
	struct stat after;

	assert_int_equal(stat(f->path, &after), 0);
	assert_int_equal(after.st_size, st.st_size);
	tick(f, 2000);
	struct readback *r = read_back(f->path); /* fails on a half line */

	assert_int_equal(r->samples, 2);
	assert_int_equal(r->entries[r->n_entries - 1].e.state, 'D');
	free(r);
}

static void test_new_names_the_path_on_failure(void **state)
{
	char err[256] = "";

	(void)state;
	assert_null(samplelog_new("/nonexistent-mw-dir/logs", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent-mw-dir/logs/" SAMPLELOG_FILE));
}

/* A second run appends its own "r" line; the magic line stays single. */
static void test_second_run_appends(void **state)
{
	struct fixture *f = *state;
	char err[256];

	tick(f, 0);
	samplelog_free(f->sl);
	f->sl = samplelog_new(f->dir, err, sizeof(err));
	assert_non_null(f->sl);
	tick(f, 60000);
	struct readback *r = read_back(f->path);

	assert_int_equal(r->n_runs, 2);
	assert_int_equal(r->runs[1].wall_ms, T0 + 60000);
	assert_int_equal(r->samples, 2);
	free(r);
}

static void test_state_letters_round_trip(void **state)
{
	(void)state;
	for (int s = PAIR_PENDING; s <= PAIR_SKIPPED; s++)
		assert_int_equal(samplelog_letter_state(samplelog_state_letter((enum pair_state)s)),
		                 s);
	assert_int_equal(samplelog_letter_state('Q'), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_calm_hour_keeps_one_sample_per_5s, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_peaks_between_samples_are_kept, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_spike_below_the_peak_is_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_changes_written_at_once, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_clock_step_back_keeps_time_monotonic, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_names_round_trip, setup, teardown),
		cmocka_unit_test(test_parse_refuses_junk),
		cmocka_unit_test_setup_teardown(test_failed_write_leaves_no_half_line, setup,
		                                teardown),
		cmocka_unit_test(test_new_names_the_path_on_failure),
		cmocka_unit_test_setup_teardown(test_second_run_appends, setup, teardown),
		cmocka_unit_test(test_state_letters_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
