/* CPython 3.11 stacks from outside the process. Every pointer read from the
 * target is checked by the read itself (process_vm_readv fails on an
 * unmapped address) and every loop is bounded, so a process whose memory
 * is not what we expect gives an error line, never a hang. */
#include "pystack.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

/* CPython 3.11, 64-bit: offsets of the fields read (Include/internal/
 * pycore_runtime.h, pycore_interp.h, cpython/pystate.h, pycore_frame.h,
 * cpython/code.h, cpython/unicodeobject.h, cpython/bytesobject.h). */
enum {
	RT_INTERP_HEAD = 40,      /* _PyRuntimeState.interpreters.head */
	IS_THREADS_HEAD = 16,     /* PyInterpreterState.threads.head */
	TS_NEXT = 8,              /* PyThreadState.next */
	TS_INTERP = 16,           /* PyThreadState.interp */
	TS_CFRAME = 56,           /* PyThreadState.cframe */
	TS_NATIVE_ID = 160,       /* PyThreadState.native_thread_id */
	CF_CURRENT_FRAME = 8,     /* _PyCFrame.current_frame */
	FR_CODE = 32,             /* _PyInterpreterFrame.f_code */
	FR_PREVIOUS = 48,         /* _PyInterpreterFrame.previous */
	FR_PREV_INSTR = 56,       /* _PyInterpreterFrame.prev_instr */
	CO_FIRSTLINENO = 72,      /* PyCodeObject.co_firstlineno */
	CO_FILENAME = 112,        /* PyCodeObject.co_filename */
	CO_NAME = 120,            /* PyCodeObject.co_name */
	CO_LINETABLE = 136,       /* PyCodeObject.co_linetable */
	CO_CODE = 184,            /* PyCodeObject.co_code_adaptive */
	STR_LENGTH = 16,          /* PyASCIIObject.length */
	STR_STATE = 32,           /* PyASCIIObject.state */
	STR_ASCII_DATA = 48,      /* sizeof(PyASCIIObject) */
	STR_COMPACT_DATA = 72,    /* sizeof(PyCompactUnicodeObject) */
	BYTES_SIZE = 16,          /* PyVarObject.ob_size */
	BYTES_DATA = 32,          /* PyBytesObject.ob_sval */
	PY_MAX_THREADS = 1024,    /* thread states followed */
	PY_MAX_FRAMES = 128,      /* frames a thread */
	PY_MAX_LINETABLE = 65536, /* location table bytes read */
};

static bool rd(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };

	return addr != 0 && process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len;
}

static uint64_t rd_ptr(pid_t pid, uint64_t addr, bool *ok)
{
	uint64_t v = 0;

	if (!rd(pid, addr, &v, sizeof v))
		*ok = false;
	return v;
}

/* A str object as text (non-ASCII shown as '?'). */
static void rd_str(pid_t pid, uint64_t obj, char *out, size_t outlen)
{
	uint64_t length = 0;
	uint32_t state = 0;
	size_t n;

	snprintf(out, outlen, "?");
	if (!rd(pid, obj + STR_LENGTH, &length, sizeof length) ||
	    !rd(pid, obj + STR_STATE, &state, sizeof state))
		return;
	unsigned kind = (state >> 2) & 7, compact = (state >> 5) & 1, ascii = (state >> 6) & 1;

	if (!compact || kind != 1)
		return; /* legacy or wide strings: not worth the bytes here */
	n = length < outlen - 1 ? (size_t)length : outlen - 1;
	if (!rd(pid, obj + (ascii ? STR_ASCII_DATA : STR_COMPACT_DATA), out, n))
		return;
	out[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f)
			out[i] = '?';
}

static unsigned lt_varint(const uint8_t *t, size_t len, size_t *i)
{
	unsigned val = 0, shift = 0, b;

	do {
		if (*i >= len)
			return val;
		b = t[(*i)++];
		val |= (b & 63) << shift;
		shift += 6;
	} while ((b & 64) && shift < 32);
	return val;
}

static int lt_svarint(const uint8_t *t, size_t len, size_t *i)
{
	unsigned u = lt_varint(t, len, i);

	return (u & 1) ? -(int)(u >> 1) : (int)(u >> 1);
}

/* The line of the instruction at byte offset addr in a 3.11 location table
 * (Objects/locations.md); -1 when it has none. */
static int lt_line(const uint8_t *t, size_t len, int firstline, long addr)
{
	size_t i = 0;
	long start = 0;
	int line = firstline;

	while (i < len) {
		uint8_t first = t[i++];
		int code = (first >> 3) & 15;
		long end = start + ((first & 7) + 1) * 2;
		int delta = 0;

		switch (code) {
		case 15: /* no location */
			break;
		case 13: /* no columns */
		case 14: /* long form */
			delta = lt_svarint(t, len, &i);
			break;
		case 10:
		case 11:
		case 12: /* one line form */
			delta = code - 10;
			break;
		default: /* short form: same line */
			break;
		}
		line += delta;
		/* skip the entry's remaining bytes */
		while (i < len && !(t[i] & 0x80))
			i++;
		if (addr < end)
			return code == 15 ? -1 : line;
		start = end;
	}
	return -1;
}

static void add_line(char **text, size_t *len, size_t *cap, const char *line)
{
	size_t n = strlen(line);

	if (*len + n + 2 > *cap) {
		size_t c = *cap ? *cap * 2 : 512;

		while (c < *len + n + 2)
			c *= 2;
		char *t = realloc(*text, c);

		if (t == NULL)
			return;
		*text = t;
		*cap = c;
	}
	memcpy(*text + *len, line, n);
	*len += n;
	(*text)[(*len)++] = '\n';
	(*text)[*len] = '\0';
}

static char *py_thread_stack(pid_t pid, uint64_t frame)
{
	uint8_t *table = malloc(PY_MAX_LINETABLE);
	char *text = NULL, file[256], func[128], line[512];
	size_t len = 0, cap = 0;

	if (table == NULL)
		return NULL;
	for (int depth = 0; frame != 0 && depth < PY_MAX_FRAMES; depth++) {
		bool ok = true;
		uint64_t code = rd_ptr(pid, frame + FR_CODE, &ok);
		uint64_t prev_instr = rd_ptr(pid, frame + FR_PREV_INSTR, &ok);
		uint64_t previous = rd_ptr(pid, frame + FR_PREVIOUS, &ok);
		int32_t firstline = 0;
		int lineno = -1;

		if (!ok) {
			add_line(&text, &len, &cap, "  (frame unreadable)");
			break;
		}
		rd_str(pid, rd_ptr(pid, code + CO_FILENAME, &ok), file, sizeof file);
		rd_str(pid, rd_ptr(pid, code + CO_NAME, &ok), func, sizeof func);
		if (rd(pid, code + CO_FIRSTLINENO, &firstline, sizeof firstline)) {
			uint64_t lt = rd_ptr(pid, code + CO_LINETABLE, &ok);
			int64_t lt_len = 0;

			lineno = firstline;
			if (ok && rd(pid, lt + BYTES_SIZE, &lt_len, sizeof lt_len) && lt_len > 0) {
				size_t n = lt_len < PY_MAX_LINETABLE ? (size_t)lt_len
				                                     : PY_MAX_LINETABLE;
				long addr = (long)(prev_instr - (code + CO_CODE));

				if (rd(pid, lt + BYTES_DATA, table, n) && addr >= 0)
					lineno = lt_line(table, n, firstline, addr);
			}
		}
		snprintf(line, sizeof line, "  File \"%s\", line %d, in %s", file, lineno, func);
		add_line(&text, &len, &cap, line);
		frame = previous;
	}
	free(table);
	return text;
}

int pystack_read(pid_t pid, uint64_t runtime_addr, uint64_t version_addr,
                 struct pystack_thread *out, int max, char *why, size_t whylen)
{
	uint64_t version = 0, interp, ts;
	bool ok = true;
	int n = 0;

	if (version_addr != 0 && rd(pid, version_addr, &version, sizeof version) &&
	    (version >> 16) != 0x030b) {
		snprintf(why, whylen, "CPython %d.%d: only 3.11's frames are read",
		         (int)(version >> 24), (int)((version >> 16) & 0xff));
		return -1;
	}
	interp = rd_ptr(pid, runtime_addr + RT_INTERP_HEAD, &ok);
	ts = ok ? rd_ptr(pid, interp + IS_THREADS_HEAD, &ok) : 0;
	if (!ok || interp == 0) {
		snprintf(why, whylen, "cannot read _PyRuntime at 0x%llx: %s",
		         (unsigned long long)runtime_addr, strerror(errno));
		return -1;
	}
	for (int guard = 0; ts != 0 && guard < PY_MAX_THREADS && n < max; guard++) {
		uint64_t cframe, frame, next, native = 0;

		ok = true;
		if (rd_ptr(pid, ts + TS_INTERP, &ok) != interp || !ok) {
			snprintf(why, whylen,
			         "thread state at 0x%llx does not point back to its "
			         "interpreter: not CPython 3.11's layout",
			         (unsigned long long)ts);
			return n > 0 ? n : -1;
		}
		next = rd_ptr(pid, ts + TS_NEXT, &ok);
		native = rd_ptr(pid, ts + TS_NATIVE_ID, &ok);
		cframe = rd_ptr(pid, ts + TS_CFRAME, &ok);
		frame = cframe ? rd_ptr(pid, cframe + CF_CURRENT_FRAME, &ok) : 0;
		out[n].tid = (pid_t)native;
		out[n].stack = frame ? py_thread_stack(pid, frame) : NULL;
		n++;
		ts = next;
	}
	return n;
}
