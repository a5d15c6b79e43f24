/* Buffer parsers for the /proc files mergewatch reads itself. Every parser
 * works on (buf, len) and never reads past len nor relies on a NUL: the
 * kernel's files are not NUL-terminated and a process picks its own name. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "procparse.h"

/* A cursor over a buffer that is not NUL-terminated. */
struct cursor {
	const char *p;
	const char *end;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_blanks(struct cursor *c)
{
	while (c->p < c->end && is_blank(*c->p))
		c->p++;
}

static void skip_spaces(struct cursor *c)
{
	while (c->p < c->end && is_space(*c->p))
		c->p++;
}

/* An unsigned decimal at the cursor. False (cursor unchanged) when there is
 * no digit or the value overflows 64 bits. */
static bool parse_u64(struct cursor *c, uint64_t *out)
{
	const char *p = c->p;
	uint64_t v = 0;

	if (p >= c->end || !is_digit(*p))
		return false;
	for (; p < c->end && is_digit(*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	c->p = p;
	*out = v;
	return true;
}

/* A decimal that may be negative (some stat fields are). Only its syntax is
 * checked: the value is not needed. */
static bool skip_int(struct cursor *c)
{
	struct cursor t = *c;
	uint64_t ignored;

	if (t.p < t.end && *t.p == '-')
		t.p++;
	if (!parse_u64(&t, &ignored))
		return false;
	*c = t;
	return true;
}

/* True when the cursor is at the end of a token: end of buffer or a space. */
static bool at_token_end(const struct cursor *c)
{
	return c->p >= c->end || is_space(*c->p);
}

/* Moves the cursor past the end of the current line. */
static void next_line(struct cursor *c)
{
	const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));

	c->p = nl != NULL ? nl + 1 : c->end;
}

/* True, with the cursor moved past "key:", when the line at the cursor
 * starts with exactly that key followed by a colon. */
static bool match_key(struct cursor *c, const char *key)
{
	size_t n = strlen(key);

	if ((size_t)(c->end - c->p) < n + 1)
		return false;
	if (memcmp(c->p, key, n) != 0 || c->p[n] != ':')
		return false;
	c->p += n + 1;
	return true;
}

int procparse_stat(const char *buf, size_t len, struct stat_fields *out)
{
	struct cursor c;
	const char *open, *close;
	uint64_t pid, ppid, threads, v;
	size_t comm_len;
	int field;

	if (buf == NULL || out == NULL)
		return -EINVAL;
	c = (struct cursor){ buf, buf + len }; /* buf is known non-NULL here */
	memset(out, 0, sizeof *out);

	/* "PID (" */
	if (!parse_u64(&c, &pid) || pid == 0 || pid > INT_MAX)
		return -EINVAL;
	if (c.end - c.p < 2 || c.p[0] != ' ' || c.p[1] != '(')
		return -EINVAL;
	open = c.p + 1;

	/* The name ends at the LAST ')': the name itself may hold any byte. */
	close = NULL;
	for (const char *p = c.end; p > open + 1; p--) {
		if (p[-1] == ')') {
			close = p - 1;
			break;
		}
	}
	if (close == NULL)
		return -EINVAL;
	comm_len = (size_t)(close - open - 1);
	if (comm_len > sizeof out->comm - 1)
		comm_len = sizeof out->comm - 1;
	memcpy(out->comm, open + 1, comm_len);
	out->comm[comm_len] = '\0';
	out->pid = (pid_t)pid;

	/* ") S " */
	c.p = close + 1;
	if (c.end - c.p < 3 || c.p[0] != ' ' || c.p[1] == ' ' || c.p[2] != ' ')
		return -EINVAL;
	if ((unsigned char)c.p[1] < 'A' || (unsigned char)c.p[1] > 'z')
		return -EINVAL;
	out->state = c.p[1];
	c.p += 2;

	/* Fields 4 to 24; the ones not kept are only checked to be numbers. */
	for (field = 4; field <= 24; field++) {
		if (c.p >= c.end || *c.p != ' ')
			return -EINVAL;
		c.p++;
		switch (field) {
		case 4:
			if (!parse_u64(&c, &ppid) || ppid > INT_MAX)
				return -EINVAL;
			out->ppid = (pid_t)ppid;
			break;
		case 6: /* the session: a pair's processes share its root's */
			if (!parse_u64(&c, &v) || v > INT_MAX)
				return -EINVAL;
			out->session = (pid_t)v;
			break;
		case 14:
			if (!parse_u64(&c, &out->utime))
				return -EINVAL;
			break;
		case 15:
			if (!parse_u64(&c, &out->stime))
				return -EINVAL;
			break;
		case 20:
			if (!parse_u64(&c, &threads) || threads > INT_MAX)
				return -EINVAL;
			out->num_threads = (int)threads;
			break;
		case 22:
			if (!parse_u64(&c, &out->start_ticks))
				return -EINVAL;
			break;
		case 24:
			if (!parse_u64(&c, &v))
				return -EINVAL;
			out->rss_pages = v;
			break;
		default:
			if (!skip_int(&c))
				return -EINVAL;
			break;
		}
		if (!at_token_end(&c))
			return -EINVAL;
	}
	return 0;
}

int procparse_statm(const char *buf, size_t len, uint64_t *pages)
{
	struct cursor c;
	uint64_t size, resident;

	if (buf == NULL || pages == NULL)
		return -EINVAL;
	c = (struct cursor){ buf, buf + len }; /* buf is known non-NULL here */
	if (!parse_u64(&c, &size) || c.p >= c.end || *c.p != ' ')
		return -EINVAL;
	c.p++;
	if (!parse_u64(&c, &resident) || !at_token_end(&c))
		return -EINVAL;
	*pages = resident;
	return 0;
}

int procparse_io(const char *buf, size_t len, uint64_t *bytes)
{
	struct cursor c;
	bool have_r = false, have_w = false;
	uint64_t rchar = 0, wchar = 0, v;

	if (buf == NULL || bytes == NULL)
		return -EINVAL;
	c = (struct cursor){ buf, buf + len }; /* buf is known non-NULL here */
	while (c.p < c.end) {
		uint64_t *dst = NULL;
		bool *have = NULL;

		if (match_key(&c, "rchar")) {
			dst = &rchar;
			have = &have_r;
		} else if (match_key(&c, "wchar")) {
			dst = &wchar;
			have = &have_w;
		}
		if (dst != NULL && !*have) {
			skip_blanks(&c);
			if (!parse_u64(&c, &v) || !at_token_end(&c))
				return -EINVAL;
			*dst = v;
			*have = true;
		}
		next_line(&c);
	}
	if (!have_r || !have_w || rchar > UINT64_MAX - wchar)
		return -EINVAL;
	*bytes = rchar + wchar;
	return 0;
}

/* The value of a meminfo line after its key: "   16318796 kB". */
static bool parse_kib_value(struct cursor *c, uint64_t *bytes)
{
	uint64_t kib;

	skip_blanks(c);
	if (!parse_u64(c, &kib) || !at_token_end(c))
		return false;
	if (kib > UINT64_MAX / 1024)
		return false;
	*bytes = kib * 1024;
	return true;
}

/* The end of key when the buffer holds it at p, else NULL. */
static const char *skip_key(const char *p, const char *end, const char *key, size_t key_len)
{
	if ((size_t)(end - p) < key_len || memcmp(p, key, key_len) != 0)
		return NULL;
	return p + key_len;
}

int procparse_status_mem(const char *buf, size_t len, uint64_t *bytes)
{
	static const char anon_key[] = "RssAnon:", shmem_key[] = "RssShmem:";
	const char *end, *hit, *after;
	uint64_t anon = 0, shmem = 0;

	if (buf == NULL || bytes == NULL || len == 0)
		return -EINVAL;
	end = buf + len;
	/* Both keys start with an 'R', a letter rare in a status file: jumping
	 * from one to the next is several times cheaper than walking its ~55
	 * lines, and the fast RSS check parses one status a process. A key
	 * counts at the start of a line only; the last one wins. */
	for (const char *p = buf; (hit = memchr(p, 'R', (size_t)(end - p))) != NULL; p = hit + 1) {
		struct cursor c;
		uint64_t *dst = &anon;

		if (hit != buf && hit[-1] != '\n')
			continue;
		after = skip_key(hit, end, anon_key, sizeof anon_key - 1);
		if (after == NULL) {
			after = skip_key(hit, end, shmem_key, sizeof shmem_key - 1);
			dst = &shmem;
		}
		if (after == NULL)
			continue;
		c = (struct cursor){ after, end };
		if (!parse_kib_value(&c, dst))
			return -EINVAL;
	}
	/* a kernel thread or a zombie has no memory lines: nothing to free */
	if (anon > UINT64_MAX - shmem)
		return -EINVAL;
	*bytes = anon + shmem;
	return 0;
}

int procparse_meminfo(const char *buf, size_t len, struct sys_sample *out)
{
	static const char *const keys[] = {
		"MemTotal",
		"MemAvailable",
		"SwapTotal",
		"SwapFree",
	};
	struct cursor c;
	uint64_t values[4] = { 0, 0, 0, 0 };
	bool seen[4] = { false, false, false, false };
	size_t i;

	if (buf == NULL || out == NULL)
		return -EINVAL;
	c = (struct cursor){ buf, buf + len }; /* buf is known non-NULL here */
	while (c.p < c.end) {
		for (i = 0; i < 4; i++) {
			if (!match_key(&c, keys[i]))
				continue;
			/* A key seen twice keeps its first value. */
			if (!seen[i]) {
				if (!parse_kib_value(&c, &values[i]))
					return -EINVAL;
				seen[i] = true;
			}
			break;
		}
		next_line(&c);
	}
	if (!seen[0] || !seen[1])
		return -EINVAL;
	out->mem_total_bytes = values[0];
	out->mem_available_bytes = values[1];
	out->swap_total_bytes = values[2];
	out->swap_free_bytes = values[3];
	return 0;
}

/* A PSI percentage "12.34": digits with an optional fraction, 0 to 100.
 * Parsed by hand, not strtod: strtod follows LC_NUMERIC, which the
 * dashboard may have set to a locale with a decimal comma. */
static bool parse_percent(struct cursor *c, double *out)
{
	uint64_t whole;
	double v, scale = 0.1;

	if (!parse_u64(c, &whole) || whole > 100)
		return false;
	v = (double)whole;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (c->p >= c->end || !is_digit(*c->p))
			return false;
		for (; c->p < c->end && is_digit(*c->p); c->p++) {
			v += (*c->p - '0') * scale;
			scale /= 10;
		}
	}
	if (v > 100.0 || !at_token_end(c))
		return false;
	*out = v;
	return true;
}

/* One PSI line after its "some"/"full" word: " avg10=N ...". */
static bool parse_psi_line(struct cursor *c, double *avg10)
{
	static const char key[] = "avg10=";

	if (c->p >= c->end || !is_blank(*c->p))
		return false;
	skip_blanks(c);
	if ((size_t)(c->end - c->p) < sizeof key - 1 || memcmp(c->p, key, sizeof key - 1) != 0)
		return false;
	c->p += sizeof key - 1;
	return parse_percent(c, avg10);
}

int procparse_psi(const char *buf, size_t len, double *some_avg10, double *full_avg10)
{
	struct cursor c;
	bool have_some = false, have_full = false;
	double some = 0.0, full = 0.0;

	if (buf == NULL || some_avg10 == NULL || full_avg10 == NULL)
		return -EINVAL;
	c = (struct cursor){ buf, buf + len }; /* buf is known non-NULL here */
	while (c.p < c.end) {
		skip_spaces(&c);
		if (c.p >= c.end)
			break;
		if (c.end - c.p >= 4 && memcmp(c.p, "some", 4) == 0 && !have_some) {
			c.p += 4;
			if (!parse_psi_line(&c, &some))
				return -EINVAL;
			have_some = true;
		} else if (c.end - c.p >= 4 && memcmp(c.p, "full", 4) == 0 && !have_full) {
			c.p += 4;
			if (!parse_psi_line(&c, &full))
				return -EINVAL;
			have_full = true;
		} else {
			return -EINVAL;
		}
		next_line(&c);
	}
	/* Kernels before 5.x-something list no "full" line for some
	 * resources: that reads as no full stall, not as garbage. */
	if (!have_some)
		return -EINVAL;
	*some_avg10 = some;
	*full_avg10 = have_full ? full : 0.0;
	return 0;
}

bool procparse_wchan_is_futex(const char *wchan)
{
	if (wchan == NULL)
		return false;
	if (strncmp(wchan, "futex_", 6) != 0 && strncmp(wchan, "__futex_", 8) != 0)
		return false;
	return strstr(wchan, "wait") != NULL;
}

void procparse_wchan(const char *buf, size_t len, char *out, size_t outlen)
{
	const char *nul;
	size_t n;

	if (out == NULL || outlen == 0)
		return;
	out[0] = '\0';
	if (buf == NULL)
		return;
	n = len;
	nul = memchr(buf, '\0', n);
	if (nul != NULL)
		n = (size_t)(nul - buf);
	while (n > 0 && is_space(buf[n - 1]))
		n--;
	while (n > 0 && is_space(buf[0])) {
		buf++;
		n--;
	}
	if (n == 0 || (n == 1 && buf[0] == '0'))
		return;
	if (n > outlen - 1)
		n = outlen - 1;
	memcpy(out, buf, n);
	out[n] = '\0';
}

int procparse_children(const char *buf, size_t len, void (*fn)(pid_t pid, void *ctx), void *ctx)
{
	struct cursor c;
	uint64_t pid = 0;
	int count = 0;

	if (buf == NULL && len != 0)
		return -EINVAL;
	c = (struct cursor){ buf, buf ? buf + len : buf };
	/* Check the whole list first, so that garbage calls fn for nothing. */
	for (skip_spaces(&c); c.p < c.end; skip_spaces(&c)) {
		if (!parse_u64(&c, &pid) || pid == 0 || pid > INT_MAX || !at_token_end(&c))
			return -EINVAL;
		if (count == INT_MAX)
			return -EINVAL;
		count++;
	}
	if (fn == NULL)
		return count;
	c.p = buf;
	for (skip_spaces(&c); c.p < c.end; skip_spaces(&c)) {
		(void)parse_u64(&c, &pid);
		fn((pid_t)pid, ctx);
	}
	return count;
}

int procparse_stat_state(const char *buf, size_t len, char *state)
{
	/* The name may hold ')': the state follows the last one. */
	const char *close = len > 0 ? memrchr(buf, ')', len) : NULL;

	if (close == NULL || (size_t)(close - buf) + 2 >= len || close[1] != ' ')
		return -EINVAL;
	if (close[2] < 'A' || close[2] > 'z')
		return -EINVAL;
	*state = close[2];
	return 0;
}

int procparse_schedstat(const char *buf, size_t len, uint64_t *runs)
{
	struct cursor c;
	uint64_t v = 0;

	if (buf == NULL || runs == NULL)
		return -EINVAL;
	c = (struct cursor){ buf, buf + len }; /* buf is known non-NULL here */
	/* time on a CPU (ns), time waiting for one (ns), times scheduled */
	for (int field = 0; field < 3; field++) {
		if (field > 0 && (c.p >= c.end || !is_blank(*c.p)))
			return -EINVAL;
		skip_blanks(&c);
		if (!parse_u64(&c, &v))
			return -EINVAL;
	}
	if (!at_token_end(&c))
		return -EINVAL;
	*runs = v;
	return 0;
}
