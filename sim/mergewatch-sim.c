/*
 * mergewatch-sim: a workload simulator for mergewatch's tests, demo and
 * benchmarks. It grows its RSS at a set rate up to a peak, holds, reports
 * PROGRESS lines, and can end in a real pthread deadlock (every thread in a
 * futex wait) or in the waits that must NOT look like one (pipe, nanosleep,
 * idle pool beside a busy main thread). See docs/mergewatch-sim.md.
 *
 * Phases, in order: fork children, name, idle threads, allocate, steps, spin,
 * hold, then one of deadlock / pipe-wait / sleep-wait, then write the output
 * file, wait for children, report, exit.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SIM_FOREVER UINT64_MAX

struct sim_opts {
	uint64_t rate_bps; /* 0 = as fast as possible */
	uint64_t peak_bytes;
	uint64_t chunk_bytes; /* 0 = default */
	uint64_t hold_ms;     /* SIM_FOREVER allowed */
	unsigned progress;    /* number of PROGRESS lines */
	unsigned steps;
	uint64_t step_ms;
	bool deadlock;
	uint64_t deadlock_after_ms;
	int threads; /* -1 = default */
	uint64_t spin_ms;
	bool pipe_wait;
	bool sleep_wait;
	unsigned forks;
	int exit_code;
	const char *write_path;
	uint64_t write_bytes;
	char name[256];
	bool report;
};

/* What one process (parent or child) tracks while it runs. */
struct sim_run {
	const struct sim_opts *o;
	bool quiet;     /* children print no PROGRESS/DEADLOCKED */
	unsigned shown; /* PROGRESS lines printed so far */
	uint64_t start_ns;
	uint64_t peak_rss;
	uint64_t rate_bps; /* measured */
};

struct sim_locker {
	pthread_mutex_t *first, *second; /* second NULL: a waiter */
	pthread_barrier_t *held;
};

struct sim_idle {
	pthread_mutex_t lock;
	pthread_cond_t never;
};

static void usage(FILE *f)
{
	fputs("usage: mergewatch-sim [options]\n"
	      "  --rate SIZE/s|max   allocation rate (default max)\n"
	      "  --peak SIZE         allocate and touch this much memory\n"
	      "  --chunk SIZE        allocation granularity (default 4M, 64M at max)\n"
	      "  --hold DUR|forever  stay alive this long after the peak\n"
	      "  --progress N        print PROGRESS i/N over allocation and hold\n"
	      "  --steps N           N steps of --step-time DUR (default 1s), PROGRESS i/N\n"
	      "  --deadlock          end in a real mutex deadlock (all threads futex-wait)\n"
	      "  --deadlock-after DUR  not before DUR after start\n"
	      "  --threads N         deadlock waiters (default 4), or idle cond waiters\n"
	      "  --spin DUR          burn CPU for DUR\n"
	      "  --pipe-wait         end blocked reading a pipe from a sleeping child\n"
	      "  --sleep-wait        end blocked in nanosleep\n"
	      "  --fork N            N children run the same plan; parent waits for them\n"
	      "  --exit CODE         exit status (default 0)\n"
	      "  --write FILE SIZE   write an output file before exiting\n"
	      "  --name NAME         process name (prctl PR_SET_NAME)\n"
	      "  --name-hex HEX      process name given as hex bytes\n"
	      "  --report            print 'sim: peak_rss=B rate=B/s' to stderr at exit\n"
	      "SIZE takes K/M/G/T (powers of 1024); DUR takes ms/s/m/h (bare = s).\n",
	      f);
}

/* Runtime failures (mmap, fork, write...) exit 1; usage errors exit 2. */
static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fputs("mergewatch-sim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void __attribute__((noreturn)) bad_option(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "mergewatch-sim: %s: %s '%s'\n", opt, why, val);
	exit(2);
}

/* A decimal number with a K/M/G/T suffix (and for rates an optional "/s"). */
static bool parse_size(const char *s, bool per_second, uint64_t *out)
{
	static const char units[] = "KMGT";
	char *end;
	const char *u;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !(v >= 0))
		return false;
	if (*end != '\0' && (u = strchr(units, toupper((unsigned char)*end))) != NULL) {
		for (int i = 0; i <= u - units; i++)
			v *= 1024;
		end++;
		if (toupper((unsigned char)*end) == 'B')
			end++;
	}
	if (per_second && strcmp(end, "/s") == 0)
		end += 2;
	if (*end != '\0' || v >= 9.2e18)
		return false;
	*out = (uint64_t)v;
	return true;
}

static bool parse_duration(const char *s, uint64_t *ms)
{
	char *end;
	double v, mult;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !(v >= 0))
		return false;
	if (strcmp(end, "ms") == 0)
		mult = 1;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		mult = 1e3;
	else if (strcmp(end, "m") == 0)
		mult = 60e3;
	else if (strcmp(end, "h") == 0)
		mult = 3600e3;
	else
		return false;
	if (v * mult >= 9e15)
		return false;
	*ms = (uint64_t)(v * mult);
	return true;
}

static long parse_count(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || v < lo || v > hi)
		bad_option(opt, s, "invalid number");
	return v;
}

static void parse_name_hex(const char *hex, char *name, size_t len)
{
	size_t n = strlen(hex), i;
	unsigned byte;

	if (n == 0 || n % 2 != 0 || n / 2 >= len)
		bad_option("--name-hex", hex, "need an even number of hex digits");
	for (i = 0; i < n / 2; i++) {
		if (!isxdigit((unsigned char)hex[2 * i]) ||
		    !isxdigit((unsigned char)hex[2 * i + 1]) ||
		    sscanf(hex + 2 * i, "%2x", &byte) != 1 || byte == 0)
			bad_option("--name-hex", hex, "invalid (or NUL) byte in");
		name[i] = (char)byte;
	}
	name[i] = '\0';
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Absolute deadlines, so pacing does not drift with the work in between. */
static void sleep_until_ns(uint64_t deadline)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline / 1000000000u),
		.tv_nsec = (long)(deadline % 1000000000u),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void sleep_forever(void)
{
	for (;;)
		sleep_until_ns(now_ns() + 3600 * 1000000000ull);
}

/* Resident bytes, second field of /proc/self/statm. */
static uint64_t rss_bytes(void)
{
	unsigned long long size, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f != NULL) {
		if (fscanf(f, "%llu %llu", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void progress_to(struct sim_run *r, unsigned upto)
{
	unsigned total = r->o->progress ? r->o->progress : r->o->steps;

	while (r->shown < upto && r->shown < total) {
		r->shown++;
		if (!r->quiet) {
			printf("PROGRESS %u/%u\n", r->shown, total);
			fflush(stdout);
		}
	}
}

/*
 * Maps chunks and writes one byte per page, so RSS grows page by page like a
 * real job (MAP_POPULATE would jump a chunk at a time). The peak is rounded
 * down to whole pages: never more than asked.
 */
static void allocate(struct sim_run *r, unsigned lines)
{
	const struct sim_opts *o = r->o;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t peak = o->peak_bytes / page * page, chunk = o->chunk_bytes;
	uint64_t done = 0, t0, rss0, rss1;

	if (peak == 0)
		return;
	if (chunk == 0 && o->rate_bps == 0)
		chunk = 64ull << 20;
	else if (chunk == 0) {
		/* at least ten chunks a second, so slow rates grow smoothly */
		chunk = o->rate_bps / 10;
		if (chunk > 4ull << 20)
			chunk = 4ull << 20;
	}
	chunk = (chunk + page - 1) / page * page;
	if (chunk == 0)
		chunk = page;
	t0 = now_ns();
	rss0 = rss_bytes();
	while (done < peak) {
		size_t len = (size_t)(peak - done < chunk ? peak - done : chunk);
		volatile char *p =
			mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			die("mmap %zu bytes: %s", len, strerror(errno));
		for (size_t off = 0; off < len; off += page) {
			p[off] = 1; /* a write: a read maps the zero page */
			done += page;
			if (lines != 0)
				progress_to(r, (unsigned)((double)done / peak * lines));
		}
		if (o->rate_bps != 0)
			sleep_until_ns(t0 + (uint64_t)((double)done / o->rate_bps * 1e9));
	}
	progress_to(r, lines);
	rss1 = rss_bytes();
	if (rss1 > r->peak_rss)
		r->peak_rss = rss1;
	if (rss1 > rss0)
		r->rate_bps = (uint64_t)((double)(rss1 - rss0) * 1e9 / (double)(now_ns() - t0 + 1));
}

static void spin(uint64_t ms)
{
	uint64_t end = now_ns() + ms * 1000000u;
	volatile uint64_t burn = 0;

	while (now_ns() < end)
		for (int i = 0; i < 100000; i++)
			burn = burn + 1;
}

static void *idle_thread(void *arg)
{
	struct sim_idle *idle = arg;

	pthread_mutex_lock(&idle->lock);
	for (;;) /* nobody signals: a pool worker waiting for work */
		pthread_cond_wait(&idle->never, &idle->lock);
	return NULL;
}

static void *lock_thread(void *arg)
{
	struct sim_locker *l = arg;

	pthread_mutex_lock(l->first);
	if (l->second != NULL) {
		/* both lockers hold their first mutex before either tries
		 * its second: the deadlock is certain, not a timing race */
		pthread_barrier_wait(l->held);
		pthread_mutex_lock(l->second);
	}
	return NULL;
}

/* True when /proc/self/task holds exactly `want` threads besides the main
 * one and every one is in state S. */
static bool others_sleeping(unsigned want)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	unsigned seen = 0;
	bool all_s = true;
	char path[64], buf[512], *paren;

	if (d == NULL)
		return true; /* cannot tell; do not spin forever */
	while ((e = readdir(d)) != NULL) {
		FILE *f;
		size_t n;

		if (!isdigit((unsigned char)e->d_name[0]) || atol(e->d_name) == (long)getpid())
			continue;
		seen++;
		snprintf(path, sizeof path, "/proc/self/task/%.20s/stat", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = '\0';
		/* the state follows the last ')': the name may hold one */
		paren = strrchr(buf, ')');
		if (paren == NULL || paren[1] == '\0' || paren[2] != 'S')
			all_s = false;
	}
	closedir(d);
	return all_s && seen == want;
}

/* Two threads take A then B and B then A; `waiters` more block on A or B;
 * main then blocks joining. Every thread ends in a futex wait. */
static void deadlock(struct sim_run *r, unsigned waiters)
{
	struct sim_locker *l = calloc(2 + waiters, sizeof *l);
	pthread_mutex_t *m = calloc(2, sizeof *m);
	pthread_barrier_t *held = calloc(1, sizeof *held);
	pthread_t *t = calloc(2 + waiters, sizeof *t);
	uint64_t give_up;

	if (l == NULL || m == NULL || held == NULL || t == NULL)
		die("out of memory");
	pthread_mutex_init(&m[0], NULL);
	pthread_mutex_init(&m[1], NULL);
	pthread_barrier_init(held, NULL, 3);
	for (unsigned i = 0; i < 2 + waiters; i++) {
		l[i].first = &m[i % 2];
		l[i].second = i < 2 ? &m[(i + 1) % 2] : NULL;
		l[i].held = held;
		if (i == 2) /* waiters start once A and B are held */
			pthread_barrier_wait(held);
		if (pthread_create(&t[i], NULL, lock_thread, &l[i]) != 0)
			die("pthread_create failed");
	}
	if (waiters == 0)
		pthread_barrier_wait(held);
	give_up = now_ns() + 2000000000ull;
	while (!others_sleeping(2 + waiters) && now_ns() < give_up)
		sleep_until_ns(now_ns() + 1000000u);
	if (!r->quiet) {
		fputs("DEADLOCKED\n", stderr);
		fflush(stderr);
	}
	pthread_join(t[0], NULL); /* never returns */
	exit(1);
}

static void write_output(const char *path, uint64_t bytes)
{
	char buf[65536];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	memset(buf, 'x', sizeof buf);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	while (bytes > 0) {
		size_t n = bytes < sizeof buf ? (size_t)bytes : sizeof buf;
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("%s: %s", path, strerror(errno));
		bytes -= (uint64_t)w;
	}
	if (close(fd) != 0)
		die("%s: %s", path, strerror(errno));
}

static void parse_args(int argc, char **argv, struct sim_opts *o)
{
	enum {
		O_RATE = 256,
		O_PEAK,
		O_CHUNK,
		O_HOLD,
		O_PROGRESS,
		O_STEPS,
		O_STEP_TIME,
		O_DEADLOCK,
		O_DL_AFTER,
		O_THREADS,
		O_SPIN,
		O_PIPE,
		O_SLEEP,
		O_FORK,
		O_EXIT,
		O_WRITE,
		O_NAME,
		O_NAME_HEX,
		O_REPORT
	};
	static const struct option longopts[] = {
		{ "rate", required_argument, NULL, O_RATE },
		{ "peak", required_argument, NULL, O_PEAK },
		{ "chunk", required_argument, NULL, O_CHUNK },
		{ "hold", required_argument, NULL, O_HOLD },
		{ "progress", required_argument, NULL, O_PROGRESS },
		{ "steps", required_argument, NULL, O_STEPS },
		{ "step-time", required_argument, NULL, O_STEP_TIME },
		{ "deadlock", no_argument, NULL, O_DEADLOCK },
		{ "deadlock-after", required_argument, NULL, O_DL_AFTER },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "spin", required_argument, NULL, O_SPIN },
		{ "pipe-wait", no_argument, NULL, O_PIPE },
		{ "sleep-wait", no_argument, NULL, O_SLEEP },
		{ "fork", required_argument, NULL, O_FORK },
		{ "exit", required_argument, NULL, O_EXIT },
		{ "write", required_argument, NULL, O_WRITE },
		{ "name", required_argument, NULL, O_NAME },
		{ "name-hex", required_argument, NULL, O_NAME_HEX },
		{ "report", no_argument, NULL, O_REPORT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, idx = 0, endings;
	char opt[32];

	memset(o, 0, sizeof *o);
	o->threads = -1;
	o->step_ms = 1000;
	/* "+": no argument permutation, so --write can take argv[optind] */
	while ((c = getopt_long(argc, argv, "+h", longopts, &idx)) != -1) {
		snprintf(opt, sizeof opt, "--%s", longopts[idx].name);
		switch (c) {
		case O_RATE:
			if (strcmp(optarg, "max") != 0 &&
			    (!parse_size(optarg, true, &o->rate_bps) || o->rate_bps == 0))
				bad_option("--rate", optarg, "invalid rate");
			if (strcmp(optarg, "max") == 0)
				o->rate_bps = 0;
			break;
		case O_PEAK:
		case O_CHUNK:
			if (!parse_size(optarg, false,
			                c == O_PEAK ? &o->peak_bytes : &o->chunk_bytes))
				bad_option(opt, optarg, "invalid size");
			break;
		case O_HOLD:
			if (strcmp(optarg, "forever") == 0)
				o->hold_ms = SIM_FOREVER;
			else if (!parse_duration(optarg, &o->hold_ms))
				bad_option("--hold", optarg, "invalid duration");
			break;
		case O_STEP_TIME:
		case O_DL_AFTER:
		case O_SPIN:
			if (!parse_duration(optarg, c == O_STEP_TIME ? &o->step_ms
			                            : c == O_SPIN    ? &o->spin_ms
			                                             : &o->deadlock_after_ms))
				bad_option(opt, optarg, "invalid duration");
			break;
		case O_PROGRESS:
			o->progress = (unsigned)parse_count(opt, optarg, 1, 1000000);
			break;
		case O_STEPS:
			o->steps = (unsigned)parse_count(opt, optarg, 1, 1000000);
			break;
		case O_THREADS:
			o->threads = (int)parse_count(opt, optarg, 0, 10000);
			break;
		case O_FORK:
			o->forks = (unsigned)parse_count(opt, optarg, 0, 256);
			break;
		case O_EXIT:
			o->exit_code = (int)parse_count(opt, optarg, 0, 255);
			break;
		case O_DEADLOCK:
			o->deadlock = true;
			break;
		case O_PIPE:
			o->pipe_wait = true;
			break;
		case O_SLEEP:
			o->sleep_wait = true;
			break;
		case O_REPORT:
			o->report = true;
			break;
		case O_WRITE:
			o->write_path = optarg;
			if (optind >= argc || !parse_size(argv[optind], false, &o->write_bytes))
				bad_option("--write FILE SIZE", optind < argc ? argv[optind] : "",
				           "invalid size");
			optind++;
			break;
		case O_NAME:
			snprintf(o->name, sizeof o->name, "%s", optarg);
			break;
		case O_NAME_HEX:
			parse_name_hex(optarg, o->name, sizeof o->name);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default: /* getopt_long has named the option */
			fputs("try 'mergewatch-sim --help'\n", stderr);
			exit(2);
		}
	}
	if (optind < argc)
		bad_option("arguments", argv[optind], "unexpected");
	if (o->progress != 0 && o->steps != 0)
		bad_option("--steps", "--progress", "cannot be used with");
	endings = o->deadlock + o->pipe_wait + o->sleep_wait + (o->hold_ms == SIM_FOREVER);
	if (endings > 1) {
		fputs("mergewatch-sim: --deadlock, --pipe-wait, --sleep-wait and"
		      " --hold forever never return: choose one\n",
		      stderr);
		exit(2);
	}
	if (o->threads < 0)
		o->threads = o->deadlock ? 4 : 0;
}

int main(int argc, char **argv)
{
	struct sim_opts o;
	struct sim_run r = { .o = &o };
	pid_t *kids;
	unsigned alloc_lines = 0, hold_lines = 0, total;
	int fds[2];
	char byte;

	parse_args(argc, argv, &o);
	r.start_ns = now_ns();
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* Children first, before any thread exists; they run the same plan
	 * but stay silent and leave the output file to the parent. */
	if ((kids = calloc(o.forks + 1, sizeof *kids)) == NULL)
		die("out of memory");
	for (unsigned i = 0; i < o.forks; i++) {
		if ((kids[i] = fork()) < 0)
			die("fork: %s", strerror(errno));
		if (kids[i] == 0) {
			r.quiet = true;
			o.forks = 0;
			o.write_path = NULL;
			break;
		}
	}
	/* Threads inherit the name, so set it before creating any. */
	if (o.name[0] != '\0')
		prctl(PR_SET_NAME, o.name, 0, 0, 0);

	if (!o.deadlock && o.threads > 0) {
		struct sim_idle *idle = calloc(1, sizeof *idle);
		pthread_t t;

		if (idle == NULL)
			die("out of memory");
		pthread_mutex_init(&idle->lock, NULL);
		pthread_cond_init(&idle->never, NULL);
		for (int i = 0; i < o.threads; i++)
			if (pthread_create(&t, NULL, idle_thread, idle) != 0)
				die("pthread_create failed");
	}

	/* PROGRESS lines go to the phases that have a length: shared between
	 * allocation (by bytes) and a finite hold (by time) when both exist. */
	total = o.progress;
	if (o.peak_bytes > 0 && o.hold_ms > 0 && o.hold_ms != SIM_FOREVER) {
		alloc_lines = (total + 1) / 2;
		hold_lines = total - alloc_lines;
	} else if (o.peak_bytes > 0)
		alloc_lines = total;
	else if (o.hold_ms > 0 && o.hold_ms != SIM_FOREVER)
		hold_lines = total;

	allocate(&r, alloc_lines);
	for (unsigned i = 1; i <= o.steps; i++) {
		sleep_until_ns(now_ns() + o.step_ms * 1000000u);
		progress_to(&r, i);
	}
	spin(o.spin_ms);
	if (o.hold_ms != SIM_FOREVER && o.hold_ms > 0) {
		uint64_t t0 = now_ns(), hold_ns = o.hold_ms * 1000000u;

		for (unsigned i = 1; i <= hold_lines; i++) {
			sleep_until_ns(t0 + hold_ns / hold_lines * i);
			progress_to(&r, alloc_lines + i);
		}
		sleep_until_ns(t0 + hold_ns);
	}
	progress_to(&r, total);

	if (o.hold_ms == SIM_FOREVER || o.sleep_wait)
		sleep_forever();
	if (o.deadlock) {
		sleep_until_ns(r.start_ns + o.deadlock_after_ms * 1000000u);
		deadlock(&r, (unsigned)o.threads);
	}
	if (o.pipe_wait) {
		/* A reader of its child's output, the child waiting on time:
		 * the child keeps the write end open and sleeps. */
		if (pipe(fds) != 0)
			die("pipe: %s", strerror(errno));
		pid_t writer = fork();

		if (writer < 0)
			die("fork: %s", strerror(errno));
		if (writer == 0) {
			close(fds[0]);
			sleep_forever();
		}
		close(fds[1]);
		while (read(fds[0], &byte, 1) != 0)
			;
	}

	if (o.write_path != NULL)
		write_output(o.write_path, o.write_bytes);
	for (unsigned i = 0; i < o.forks; i++)
		while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR)
			;
	if (o.report) {
		uint64_t rss = rss_bytes();

		if (rss > r.peak_rss)
			r.peak_rss = rss;
		fprintf(stderr, "sim: peak_rss=%" PRIu64 " rate=%" PRIu64 "\n", r.peak_rss,
		        r.rate_bps);
	}
	free(kids);
	return o.exit_code;
}
