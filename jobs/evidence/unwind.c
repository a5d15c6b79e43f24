/* Native stacks with libdwfl: the calls eu-stack makes (proc report, proc
 * attach, getthread_frames), one thread at a time. Threads are stopped here,
 * not by libdwfl: PTRACE_SEIZE and PTRACE_INTERRUPT send no SIGSTOP, so a
 * thread that cannot stop (it sleeps uninterruptibly) is given up after a
 * bound, and if this helper is killed meanwhile the kernel lets its threads
 * go on -- no stray SIGSTOP is left to stop the job later. */
#include "unwind.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>

enum {
	UNWIND_STOP_WAIT_MS = 1000, /* a thread that has not stopped by then is left */
};

#include <dwarf.h>

struct unwind {
	Dwfl *dwfl;
	pid_t pid;
};

static char *debuginfo_path;

static const Dwfl_Callbacks unwind_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

struct unwind *unwind_open(pid_t pid, char *why, size_t whylen)
{
	struct unwind *u = calloc(1, sizeof *u);
	int r;

	if (u == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	u->pid = pid;
	u->dwfl = dwfl_begin(&unwind_callbacks);
	if (u->dwfl == NULL) {
		snprintf(why, whylen, "libdwfl: %s", dwfl_errmsg(-1));
		free(u);
		return NULL;
	}
	dwfl_report_begin(u->dwfl);
	r = dwfl_linux_proc_report(u->dwfl, pid);
	if (r != 0 || dwfl_report_end(u->dwfl, NULL, NULL) != 0) {
		snprintf(why, whylen, "cannot read the modules of PID %d: %s", (int)pid,
		         r > 0 ? strerror(r) : dwfl_errmsg(-1));
		dwfl_end(u->dwfl);
		free(u);
		return NULL;
	}
	r = dwfl_linux_proc_attach(u->dwfl, pid, true); /* threads stopped by unwind_thread */
	if (r != 0) {
		snprintf(why, whylen, "cannot set up unwinding of PID %d: %s", (int)pid,
		         r > 0 ? strerror(r) : dwfl_errmsg(-1));
		dwfl_end(u->dwfl);
		free(u);
		return NULL;
	}
	return u;
}

void unwind_close(struct unwind *u)
{
	if (u == NULL)
		return;
	dwfl_end(u->dwfl);
	free(u);
}

struct frames {
	char *text;
	size_t len, cap;
	int depth, max;
	Dwfl *dwfl;
};

static void frames_add(struct frames *f, const char *line)
{
	size_t n = strlen(line);

	if (f->len + n + 2 > f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 1024;

		while (cap < f->len + n + 2)
			cap *= 2;
		char *t = realloc(f->text, cap);

		if (t == NULL)
			return;
		f->text = t;
		f->cap = cap;
	}
	memcpy(f->text + f->len, line, n);
	f->len += n;
	f->text[f->len++] = '\n';
	f->text[f->len] = '\0';
}

static int unwind_frame(Dwfl_Frame *state, void *arg)
{
	struct frames *f = arg;
	Dwarf_Addr pc, pc_adj;
	bool activation;
	char line[1024], where[600] = "";
	const char *module = NULL, *sym = NULL, *slash;

	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	pc_adj = pc - (activation ? 0 : 1);
	Dwfl_Module *mod = dwfl_addrmodule(f->dwfl, pc_adj);

	if (mod != NULL) {
		module = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
		sym = dwfl_module_addrname(mod, pc_adj);
		Dwfl_Line *dl = dwfl_module_getsrc(mod, pc_adj);

		if (dl != NULL) {
			int lineno = 0;
			const char *file = dwfl_lineinfo(dl, NULL, &lineno, NULL, NULL, NULL);

			if (file != NULL)
				snprintf(where, sizeof where, " %s:%d", file, lineno);
		}
	}
	if (module != NULL && (slash = strrchr(module, '/')) != NULL)
		module = slash + 1;
	snprintf(line, sizeof line, "#%-2d 0x%016llx %s (%s)%s", f->depth, (unsigned long long)pc,
	         sym ? sym : "??", module ? module : "?", where);
	frames_add(f, line);
	return ++f->depth < f->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

/* Stops thread tid for reading: true once it is in a ptrace stop. */
static bool unwind_stop(pid_t tid, char *why, size_t whylen)
{
	struct timespec tick = { 0, 1000 * 1000 };
	int status;

	if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) != 0) {
		int e = errno;

		snprintf(why, whylen, "ptrace: %s%s", strerror(e),
		         e == EPERM ? " (ptrace not permitted: kernel.yama.ptrace_scope, or "
		                      "another user's process)"
		                    : "");
		return false;
	}
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) != 0) {
		snprintf(why, whylen, "ptrace interrupt: %s", strerror(errno));
		ptrace(PTRACE_DETACH, tid, NULL, NULL);
		return false;
	}
	for (int waited = 0; waited < UNWIND_STOP_WAIT_MS; waited++) {
		pid_t r = waitpid(tid, &status, __WALL | WNOHANG);

		if (r == tid && WIFSTOPPED(status))
			return true;
		if (r == tid || (r < 0 && errno != EINTR)) {
			snprintf(why, whylen, "the thread ended");
			return false;
		}
		nanosleep(&tick, NULL);
	}
	/* Still seized: the kernel lets it go when this helper exits. */
	snprintf(why, whylen, "did not stop within %d ms (uninterruptible sleep?)",
	         UNWIND_STOP_WAIT_MS);
	return false;
}

char *unwind_thread(struct unwind *u, pid_t tid, int max_frames, char *why, size_t whylen)
{
	struct frames f = { .max = max_frames, .dwfl = u->dwfl };

	if (!unwind_stop(tid, why, whylen))
		return NULL;
	if (dwfl_getthread_frames(u->dwfl, tid, unwind_frame, &f) != 0 && f.depth == 0) {
		snprintf(why, whylen, "%s", dwfl_errmsg(-1));
		free(f.text);
		f.text = NULL;
	} else if (f.text == NULL) {
		snprintf(why, whylen, "no frame");
	}
	ptrace(PTRACE_DETACH, tid, NULL, NULL);
	return f.text;
}

struct symbol_search {
	const char *module_part, *name;
	uint64_t addr;
};

static int unwind_symbol_in(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                            void *arg)
{
	struct symbol_search *s = arg;
	int n;

	(void)userdata;
	(void)base;
	if (modname == NULL || strstr(modname, s->module_part) == NULL)
		return DWARF_CB_OK;
	n = dwfl_module_getsymtab(mod);
	for (int i = 0; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);

		if (name != NULL && strcmp(name, s->name) == 0 && sym.st_shndx != SHN_UNDEF) {
			s->addr = addr;
			return DWARF_CB_ABORT;
		}
	}
	return DWARF_CB_OK;
}

uint64_t unwind_symbol(struct unwind *u, const char *module_part, const char *name)
{
	struct symbol_search s = { module_part, name, 0 };

	dwfl_getmodules(u->dwfl, unwind_symbol_in, &s, 0);
	return s.addr;
}
