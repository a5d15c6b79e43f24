/* collectors/procparse: the /proc file parsers, table-driven. Buffers are
 * passed with an explicit length and are not NUL-terminated where it
 * matters, as the kernel's are not. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../collectors/procparse.h"

/* The tail of a stat line after "PID (COMM)": state S, ppid 77, utime 12,
 * stime 3, 4 threads, start 56789, rss 250 pages; negative priority/nice. */
#define STAT_TAIL                                                                                  \
	" S 77 1234 1234 34816 1234 4194560 100 0 0 0 12 3 0 0 -100 -20 4 0 56789 1000 250 "       \
	"18446744073709551615 1 1 0 0\n"

struct stat_case {
	const char *name;
	const char *line;
	size_t len;       /* 0: strlen(line) */
	const char *comm; /* NULL: -EINVAL expected */
};

static const struct stat_case stat_cases[] = {
	{ "plain", "1234 (bash)" STAT_TAIL, 0, "bash" },
	{ "paren", "1234 ())" STAT_TAIL, 0, ")" },
	{ "open paren", "1234 (()" STAT_TAIL, 0, "(" },
	{ "fake fields", "1234 (a) R 1 (b)" STAT_TAIL, 0, "a) R 1 (b" },
	{ "paren at end", "1234 (a))" STAT_TAIL, 0, "a)" },
	{ "spaces", "1234 (my prog  name)" STAT_TAIL, 0, "my prog  name" },
	{ "newline", "1234 (new\nline)" STAT_TAIL, 0, "new\nline" },
	{ "escapes", "1234 (\x1b[31mred\t\xff)" STAT_TAIL, 0, "\x1b[31mred\t\xff" },
	{ "15 chars", "1234 (abcdefghijklmno)" STAT_TAIL, 0, "abcdefghijklmno" },
	{ "empty", "1234 ()" STAT_TAIL, 0, "" },
	{ "no trailing newline", "1234 (x) S 77 1 1 0 1 0 0 0 0 0 12 3 0 0 20 0 4 0 56789 1 250", 0,
	  "x" },
	/* Garbage and truncation. */
	{ "empty buffer", "", 0, NULL },
	{ "pid only", "1234", 0, NULL },
	{ "no close", "1234 (bash", 0, NULL },
	{ "state only", "1234 (bash) S", 0, NULL },
	{ "truncated at field 20", "1234 (bash) S 77 1 1 0 1 0 0 0 0 0 12 3 0 0 20 0 4", 0, NULL },
	{ "truncated at field 23",
	  "1234 (bash) S 77 1 1 0 1 0 0 0 0 0 12 3 0 0 20 0 4 0 56789 1000", 0, NULL },
	{ "cut by length", "1234 (bash)" STAT_TAIL, 40, NULL },
	{ "name cut by length", "1234 (a) R 1 (b)" STAT_TAIL, 14, NULL },
	{ "pid not a number", "abc (x)" STAT_TAIL, 0, NULL },
	{ "pid zero", "0 (x)" STAT_TAIL, 0, NULL },
	{ "no space before name", "1234(x)" STAT_TAIL, 0, NULL },
	{ "two spaces before state", "1234 (x)  S 77", 0, NULL },
	{ "state is a digit", "1234 (x) 5 77 1 1 0 1 0 0 0 0 0 12 3 0 0 20 0 4 0 56789 1 250", 0,
	  NULL },
	{ "ppid not a number", "1234 (x) S zz 1 1 0 1 0 0 0 0 0 12 3 0 0 20 0 4 0 56789 1 250", 0,
	  NULL },
	{ "utime overflows",
	  "1234 (x) S 77 1 1 0 1 0 0 0 0 0 99999999999999999999999 3 0 0 20 0 4 0 56789 1 250", 0,
	  NULL },
	{ "negative start", "1234 (x) S 77 1 1 0 1 0 0 0 0 0 12 3 0 0 20 0 4 0 -5 1 250", 0, NULL },
	{ "junk inside a number", "1234 (x) S 77 1 1 0 1 0 0 0 0 0 12x 3 0 0 20 0 4 0 56789 1 250",
	  0, NULL },
	{ "binary", "\x01\x02\x03\xff\xfe", 0, NULL },
};

static void test_stat_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof stat_cases / sizeof stat_cases[0]; i++) {
		const struct stat_case *c = &stat_cases[i];
		size_t len = c->len != 0 ? c->len : strlen(c->line);
		struct stat_fields sf;
		char *copy;
		int rc;

		/* A heap copy of exactly len bytes: no NUL to lean on, and
		 * the sanitizers see any read past the end. */
		copy = malloc(len + 1);
		assert_non_null(copy);
		memcpy(copy, c->line, len);
		rc = procparse_stat(len > 0 ? copy : c->line, len, &sf);
		free(copy);
		if (c->comm == NULL) {
			if (rc != -EINVAL)
				fail_msg("case \"%s\": expected -EINVAL, got %d", c->name, rc);
			continue;
		}
		if (rc != 0)
			fail_msg("case \"%s\": expected 0, got %d", c->name, rc);
		assert_string_equal(sf.comm, c->comm);
		assert_int_equal(sf.pid, 1234);
		assert_int_equal(sf.state, 'S');
		assert_int_equal(sf.ppid, 77);
		assert_int_equal(sf.utime, 12);
		assert_int_equal(sf.stime, 3);
		assert_int_equal(sf.num_threads, 4);
		assert_int_equal(sf.start_ticks, 56789);
		assert_int_equal(sf.rss_pages, 250);
	}
}

static void test_stat_long_name_truncated(void **state)
{
	char line[512], name[100];
	struct stat_fields sf;

	(void)state;
	memset(name, 'n', 80);
	name[80] = '\0';
	snprintf(line, sizeof line, "9 (%s)" STAT_TAIL, name);
	assert_int_equal(procparse_stat(line, strlen(line), &sf), 0);
	assert_int_equal(strlen(sf.comm), SAMPLE_COMM_LEN - 1);
	assert_int_equal(sf.start_ticks, 56789);
}

static void test_stat_real_kernel_line(void **state)
{
	/* Copied from this machine's /proc/self/stat. */
	static const char line[] =
		"5416 (cat) R 5407 5407 2212 0 -1 4194304 102 0 0 0 0 0 0 0 20 0 1 0 "
		"27158 3133440 393 18446744073709551615 94561234436096 94561234455977 "
		"140726157419488 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94561234471984 "
		"94561234473600 94561395503104 140726157421194 140726157421214 "
		"140726157421214 140726157422571 0\n";
	struct stat_fields sf;

	(void)state;
	assert_int_equal(procparse_stat(line, sizeof line - 1, &sf), 0);
	assert_int_equal(sf.pid, 5416);
	assert_string_equal(sf.comm, "cat");
	assert_int_equal(sf.state, 'R');
	assert_int_equal(sf.ppid, 5407);
	assert_int_equal(sf.session, 2212);
	assert_int_equal(sf.num_threads, 1);
	assert_int_equal(sf.start_ticks, 27158);
	assert_int_equal(sf.rss_pages, 393);
}

struct u64_case {
	const char *text;
	int rc;
	uint64_t value;
};

static void test_statm_table(void **state)
{
	static const struct u64_case cases[] = {
		{ "1000 250 30 20 0 500 0\n", 0, 250 },
		{ "1000 250", 0, 250 },
		{ "0 0 0 0 0 0 0\n", 0, 0 }, /* a zombie */
		{ "1000", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "a b c", -EINVAL, 0 },
		{ "1000 -5 1\n", -EINVAL, 0 },
		{ "1000  250\n", -EINVAL, 0 },
		{ "1000 25x0\n", -EINVAL, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t pages = 12345;
		int rc = procparse_statm(cases[i].text, strlen(cases[i].text), &pages);

		if (rc != cases[i].rc)
			fail_msg("statm \"%s\": rc %d", cases[i].text, rc);
		if (rc == 0)
			assert_int_equal(pages, cases[i].value);
	}
}

/* The memory only killing frees: RssAnon + RssShmem, never RssFile (a
 * job mmap-reading its input is not charged for the pages). */
static void test_status_mem_table(void **state)
{
	static const struct u64_case cases[] = {
		{ "Name:\tx\nVmRSS:\t  614400 kB\nRssAnon:\t    2048 kB\nRssFile:\t  612352 kB\n"
		  "RssShmem:\t       0 kB\n",
		  0, 2048ull * 1024 },
		{ "RssAnon:\t100 kB\nRssFile:\t5 kB\nRssShmem:\t50 kB\n", 0, 150ull * 1024 },
		{ "Name:\tkthreadd\nState:\tS (sleeping)\n", 0, 0 }, /* no mm */
		{ "RssAnon:\tlots kB\n", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		/* a key counts at the start of a line only: a name may hold one */
		{ "Name:\tRssAnon: 9 kB\nRssAnon:\t4 kB\nRssShmem:\t1 kB\n", 0, 5ull * 1024 },
		{ "Name:\tRssAnon:\nRssShmem:\t1 kB\n", 0, 1024 },
		/* the first line and a last line without its newline count */
		{ "RssAnon:\t3 kB\nRssShmem:\t2 kB", 0, 5ull * 1024 },
		/* other keys starting with R are not taken for them */
		{ "RssFile:\t7 kB\nRssAnonX:\t8 kB\nRssAnon:\t1 kB\n", 0, 1024 },
		/* a key given twice: the last one counts, each one must be valid */
		{ "RssAnon:\t1 kB\nRssAnon:\t2 kB\n", 0, 2048 },
		{ "RssAnon:\t1 kB\nRssAnon:\tx kB\n", -EINVAL, 0 },
		{ "RssAnon:\t1 kB\nRssShmem:\t-1 kB\n", -EINVAL, 0 },
		{ "RssShmem:", -EINVAL, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t bytes = 12345;
		int rc = procparse_status_mem(cases[i].text, strlen(cases[i].text), &bytes);

		if (rc != cases[i].rc)
			fail_msg("status \"%s\": rc %d", cases[i].text, rc);
		if (rc == 0)
			assert_int_equal(bytes, cases[i].value);
	}
}

/* The thread's count of times it was scheduled, the stall rule's witness
 * of a wake-up no CPU tick saw. */
static void test_schedstat_table(void **state)
{
	static const struct u64_case cases[] = {
		{ "16208436 3201 42\n", 0, 42 },
		{ "0 0 0\n", 0, 0 }, /* a kernel without schedstats: never moves */
		{ "1 2 18446744073709551615", 0, UINT64_MAX },
		{ "1  2\t3\n", 0, 3 },
		{ "1 2\n", -EINVAL, 0 },
		{ "1 2 x\n", -EINVAL, 0 },
		{ "1 2 3x\n", -EINVAL, 0 },
		{ "1 -2 3\n", -EINVAL, 0 },
		{ "1 2 18446744073709551616\n", -EINVAL, 0 },
		{ "12 345", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t runs = 12345;
		int rc = procparse_schedstat(cases[i].text, strlen(cases[i].text), &runs);

		if (rc != cases[i].rc)
			fail_msg("schedstat \"%s\": rc %d", cases[i].text, rc);
		if (rc == 0)
			assert_int_equal(runs, cases[i].value);
		else
			assert_int_equal(runs, 12345); /* left alone */
	}
}

static void test_io_table(void **state)
{
	static const struct u64_case cases[] = {
		{ "rchar: 1000\nwchar: 24\nsyscr: 10\nsyscw: 5\nread_bytes: 0\n"
		  "write_bytes: 4096\ncancelled_write_bytes: 0\n",
		  0, 1024 },
		{ "wchar: 5\nrchar: 7\n", 0, 12 },
		{ "rchar:7\nwchar:\t5", 0, 12 },
		{ "rchar: 18446744073709551615\nwchar: 0\n", 0, UINT64_MAX },
		{ "rchar: 1000\nsyscr: 10\n", -EINVAL, 0 }, /* no wchar */
		{ "wchar: 1000\n", -EINVAL, 0 },            /* no rchar */
		{ "", -EINVAL, 0 },
		{ "syscr: 1\nsyscw: 2\n", -EINVAL, 0 },
		{ "rchar: x\nwchar: 1\n", -EINVAL, 0 },
		{ "rcharx: 1\nwchar: 1\n", -EINVAL, 0 },
		{ "rchar: 18446744073709551615\nwchar: 1\n", -EINVAL, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t bytes = 0;
		int rc = procparse_io(cases[i].text, strlen(cases[i].text), &bytes);

		if (rc != cases[i].rc)
			fail_msg("io case %zu: rc %d", i, rc);
		if (rc == 0)
			assert_int_equal(bytes, cases[i].value);
	}
}

static void test_meminfo_full(void **state)
{
	static const char text[] = "MemTotal:       16318796 kB\n"
				   "MemFree:         1021220 kB\n"
				   "MemAvailable:    8159398 kB\n"
				   "SwapTotal:       2097148 kB\n"
				   "SwapFree:        1048574 kB\n"
				   "HugePages_Total:       0\n";
	struct sys_sample s;

	(void)state;
	memset(&s, 0, sizeof s);
	s.t_ms = 42;
	s.psi_known = true;
	assert_int_equal(procparse_meminfo(text, sizeof text - 1, &s), 0);
	assert_int_equal(s.mem_total_bytes, 16318796ULL * 1024);
	assert_int_equal(s.mem_available_bytes, 8159398ULL * 1024);
	assert_int_equal(s.swap_total_bytes, 2097148ULL * 1024);
	assert_int_equal(s.swap_free_bytes, 1048574ULL * 1024);
	/* Only the memory fields are its business. */
	assert_int_equal(s.t_ms, 42);
	assert_true(s.psi_known);
}

static void test_meminfo_variants(void **state)
{
	static const struct {
		const char *text;
		int rc;
		uint64_t avail, swap_total;
	} cases[] = {
		/* No swap lines at all: swap reads as 0. */
		{ "MemTotal: 2048 kB\nMemAvailable: 1024 kB\n", 0, 1024 * 1024, 0 },
		/* No trailing newline, no unit. */
		{ "MemTotal: 2048 kB\nMemAvailable: 1024", 0, 1024 * 1024, 0 },
		{ "MemTotal: 2048 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n"
		  "MemAvailable: 8 kB\n",
		  0, 8 * 1024, 0 },
		/* A kernel without MemAvailable (before 3.14). */
		{ "MemTotal: 2048 kB\nMemFree: 1024 kB\n", -EINVAL, 0, 0 },
		{ "MemAvailable: 1024 kB\n", -EINVAL, 0, 0 },
		{ "", -EINVAL, 0, 0 },
		{ "MemTotal: lots kB\nMemAvailable: 1 kB\n", -EINVAL, 0, 0 },
		{ "MemTotalX: 5 kB\nMemAvailable: 1 kB\n", -EINVAL, 0, 0 },
		{ "MemTotal: 99999999999999999999 kB\nMemAvailable: 1 kB\n", -EINVAL, 0, 0 },
		{ "MemTotal: 18014398509481984 kB\nMemAvailable: 1 kB\n", -EINVAL, 0,
		  0 }, /* overflows as bytes */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sys_sample s;
		int rc;

		memset(&s, 0xaa, sizeof s);
		rc = procparse_meminfo(cases[i].text, strlen(cases[i].text), &s);
		if (rc != cases[i].rc)
			fail_msg("meminfo case %zu: rc %d", i, rc);
		if (rc != 0)
			continue;
		assert_int_equal(s.mem_total_bytes, 2048 * 1024);
		assert_int_equal(s.mem_available_bytes, cases[i].avail);
		assert_int_equal(s.swap_total_bytes, cases[i].swap_total);
		assert_int_equal(s.swap_free_bytes, 0);
	}
}

static void test_psi_table(void **state)
{
	static const struct {
		const char *text;
		int rc;
		double some, full;
	} cases[] = {
		{ "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
		  "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
		  0, 0.0, 0.0 },
		{ "some avg10=12.50 avg60=8.00 avg300=2.10 total=123456\n"
		  "full avg10=3.25 avg60=1.00 avg300=0.30 total=65432\n",
		  0, 12.5, 3.25 },
		{ "some avg10=100.00 avg60=0 avg300=0 total=0\n", 0, 100.0, 0.0 },
		/* A kernel without the full line. */
		{ "some avg10=1.5 avg60=0.00 avg300=0.00 total=9\n", 0, 1.5, 0.0 },
		{ "some avg10=7", 0, 7.0, 0.0 },
		{ "", -EINVAL, 0, 0 },
		{ "full avg10=1.00 avg60=0.00 avg300=0.00 total=0\n", -EINVAL, 0, 0 },
		{ "some avg10=abc avg60=0.00\n", -EINVAL, 0, 0 },
		{ "some avg10=-1.00 avg60=0.00\n", -EINVAL, 0, 0 },
		{ "some avg10=150.00 avg60=0.00\n", -EINVAL, 0, 0 },
		{ "some avg10=1. avg60=0.00\n", -EINVAL, 0, 0 },
		{ "some avg60=1.00 avg10=2.00\n", -EINVAL, 0, 0 },
		{ "somewhere avg10=1.00\n", -EINVAL, 0, 0 },
		{ "hello world\n", -EINVAL, 0, 0 },
		{ "some avg10=1.00 total=0\nfull avg10=x\n", -EINVAL, 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		double some = -1, full = -1;
		int rc;

		rc = procparse_psi(cases[i].text, strlen(cases[i].text), &some, &full);
		if (rc != cases[i].rc)
			fail_msg("psi case %zu (\"%s\"): rc %d", i, cases[i].text, rc);
		if (rc != 0)
			continue;
		assert_float_equal(some, cases[i].some, 1e-9);
		assert_float_equal(full, cases[i].full, 1e-9);
	}
}

static void test_wchan_is_futex(void **state)
{
	static const struct {
		const char *wchan;
		bool futex;
	} cases[] = {
		{ "futex_wait_queue_me", true }, /* before 5.16 */
		{ "futex_wait_queue", true },    /* 5.16+ */
		{ "futex_do_wait", true },       /* 6.x */
		{ "futex_wait", true },
		{ "__futex_wait", true },
		{ "futex_wait_multiple", true },
		{ "futex_wait_queue_me.constprop.0", true },
		{ "do_select", false },
		{ "pipe_read", false },
		{ "hrtimer_nanosleep", false },
		{ "do_wait", false },
		{ "poll_schedule_timeout.constprop.0", false },
		{ "ep_poll", false },
		{ "futex_wake", false },
		{ "do_futex", false },
		{ "wait_woken", false },
		{ "0", false },
		{ "", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (procparse_wchan_is_futex(cases[i].wchan) != cases[i].futex)
			fail_msg("wchan \"%s\": expected %s", cases[i].wchan,
			         cases[i].futex ? "futex" : "not futex");
	}
	assert_false(procparse_wchan_is_futex(NULL));
}

static void test_wchan_copy(void **state)
{
	char out[SAMPLE_WCHAN_LEN], small[6];
	char raw[13];

	(void)state;
	/* Not NUL-terminated, as read(2) leaves it. */
	memcpy(raw, "futex_do_wait", 13);
	procparse_wchan(raw, sizeof raw, out, sizeof out);
	assert_string_equal(out, "futex_do_wait");

	procparse_wchan("0", 1, out, sizeof out);
	assert_string_equal(out, "");
	procparse_wchan("0\n", 2, out, sizeof out);
	assert_string_equal(out, "");
	strcpy(out, "stale");
	procparse_wchan("", 0, out, sizeof out);
	assert_string_equal(out, "");
	procparse_wchan("pipe_read\n", 10, out, sizeof out);
	assert_string_equal(out, "pipe_read");
	procparse_wchan("do_wait", 7, small, sizeof small);
	assert_string_equal(small, "do_wa");
	procparse_wchan("do_wait", 7, small, 1);
	assert_string_equal(small, "");
}

struct kids {
	pid_t pids[8];
	int n;
};

static void collect(pid_t pid, void *ctx)
{
	struct kids *k = ctx;

	if (k->n < 8)
		k->pids[k->n] = pid;
	k->n++;
}

static void test_children_table(void **state)
{
	static const struct {
		const char *text;
		int rc;
		pid_t first, last;
	} cases[] = {
		{ "123 456 ", 2, 123, 456 },
		{ "123", 1, 123, 123 },
		{ "1\n2\n3\n", 3, 1, 3 },
		{ "  7  8 ", 2, 7, 8 },
		{ "", 0, 0, 0 },
		{ " ", 0, 0, 0 },
		{ "12a 4", -EINVAL, 0, 0 },
		{ "4 12a", -EINVAL, 0, 0 },
		{ "-1", -EINVAL, 0, 0 },
		{ "0", -EINVAL, 0, 0 },
		{ "99999999999", -EINVAL, 0, 0 },
		{ "1,2", -EINVAL, 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct kids k = { .n = 0 };
		int rc;

		rc = procparse_children(cases[i].text, strlen(cases[i].text), collect, &k);
		if (rc != cases[i].rc)
			fail_msg("children \"%s\": rc %d", cases[i].text, rc);
		if (rc < 0) {
			/* Garbage calls back for nothing. */
			assert_int_equal(k.n, 0);
			continue;
		}
		assert_int_equal(k.n, rc);
		if (rc > 0) {
			assert_int_equal(k.pids[0], cases[i].first);
			assert_int_equal(k.pids[rc - 1], cases[i].last);
		}
	}
	assert_int_equal(procparse_children("5 6", 3, NULL, NULL), 2);
}

static void test_stat_state_only(void **state)
{
	static const struct {
		const char *line;
		int rc;
		char state;
	} cases[] = {
		{ "12 (python3) S 1 12 12 0", 0, 'S' },
		{ "12 (a) R 1 (b) D 1 12 12 0", 0, 'D' }, /* the last ')' counts */
		{ "12 (x\n) T 1", 0, 'T' },
		{ "12 (x) ", -EINVAL, 0 },
		{ "12 (x)", -EINVAL, 0 },
		{ "12 x S 1", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ ")", -EINVAL, 0 },
		{ ") R", 0, 'R' },
		{ "12 (x) 5 1", -EINVAL, 0 }, /* not a state letter */
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char got = 0;

		assert_int_equal(procparse_stat_state(cases[i].line, strlen(cases[i].line), &got),
		                 cases[i].rc);
		if (cases[i].rc == 0)
			assert_int_equal(got, cases[i].state);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_table),
		cmocka_unit_test(test_stat_state_only),
		cmocka_unit_test(test_stat_long_name_truncated),
		cmocka_unit_test(test_stat_real_kernel_line),
		cmocka_unit_test(test_statm_table),
		cmocka_unit_test(test_status_mem_table),
		cmocka_unit_test(test_schedstat_table),
		cmocka_unit_test(test_io_table),
		cmocka_unit_test(test_meminfo_full),
		cmocka_unit_test(test_meminfo_variants),
		cmocka_unit_test(test_psi_table),
		cmocka_unit_test(test_wchan_is_futex),
		cmocka_unit_test(test_wchan_copy),
		cmocka_unit_test(test_children_table),
	};

	return cmocka_run_group_tests_name("procparse", tests, NULL, NULL);
}
