/* The verdict on a still tree, from its threads' waits. See verdict.h. */
#include <stdio.h>
#include <string.h>

#include "verdict.h"

static const char *const verdict_names[] = {
	[VERDICT_UNJUDGED] = "unjudged", [VERDICT_PAUSED] = "paused",
	[VERDICT_RUNNING] = "running",   [VERDICT_WAITING] = "waiting",
	[VERDICT_STALL] = "stall",       [VERDICT_DEADLOCK] = "deadlock",
};

const char *verdict_kind_name(enum verdict_kind kind)
{
	if ((size_t)kind < sizeof verdict_names / sizeof verdict_names[0])
		return verdict_names[kind];
	return "unknown";
}

/* What one process of a still tree comes to. */
enum proc_verdict {
	PV_UNRESOLVED,
	PV_VISITING, /* on the path being resolved: a cycle */
	PV_BLOCKED,  /* blocked on itself (or on a blocked process) */
	PV_TIME,     /* waits on time, directly or through another process */
	PV_OTHER,    /* neither: running, outside, or nothing to wait for */
};

enum {
	VERDICT_MAX_PROCS = 1024, /* processes resolved one by one; the rest count as other */
};

struct judge {
	const struct tree_sample *s;
	unsigned char pv[VERDICT_MAX_PROCS];
	int locks[VERDICT_MAX_PROCS]; /* untimed futex waits of each process */
	size_t n;
};

static long proc_index(const struct judge *j, pid_t pid)
{
	for (size_t i = 0; i < j->n; i++)
		if (j->s->procs[i].pid == pid)
			return (long)i;
	return -1;
}

static bool has_child(const struct judge *j, pid_t pid)
{
	for (size_t i = 0; i < j->n; i++)
		if (j->s->procs[i].ppid == pid)
			return true;
	return false;
}

/* The main thread of process i (TID = PID, not a zombie), or NULL. */
static const struct thread_sample *main_thread(const struct judge *j, size_t i)
{
	const struct proc_sample *p = &j->s->procs[i];

	for (size_t k = 0; k < p->n_threads_scanned; k++) {
		const struct thread_sample *t = &j->s->threads_v[p->first_thread + k];

		if (t->tid == p->pid)
			return t->state == 'Z' || t->state == 'X' ? NULL : t;
	}
	return NULL;
}

static enum proc_verdict resolve(struct judge *j, size_t i);

/* A wait for any child: on time when one of them is, blocked when one is
 * blocked and none waits on time. */
static enum proc_verdict resolve_children(struct judge *j, pid_t pid)
{
	bool blocked = false;

	for (size_t c = 0; c < j->n; c++) {
		if (j->s->procs[c].ppid != pid)
			continue;
		enum proc_verdict v = resolve(j, c);

		if (v == PV_TIME)
			return PV_TIME;
		blocked = blocked || v == PV_BLOCKED;
	}
	return blocked ? PV_BLOCKED : PV_OTHER;
}

static enum proc_verdict resolve_main(struct judge *j, size_t i)
{
	const struct proc_sample *p = &j->s->procs[i];
	const struct thread_sample *m = main_thread(j, i);
	bool self = false;

	if (m == NULL) {
		self = true; /* the leader has exited: its threads decide */
	} else {
		switch ((enum wait_kind)m->wait) {
		case WAIT_TIMED:
			return PV_TIME;
		case WAIT_LOCK:
			self = true;
			break;
		case WAIT_INSIDE:
			if (m->wait_pid < 0)
				return resolve_children(j, p->pid);
			if (m->wait_pid > 0 && m->wait_pid != p->pid) {
				long k = proc_index(j, m->wait_pid);

				if (k >= 0)
					return resolve(j, (size_t)k);
			}
			self = true; /* its own eventfd, pipe or epoll set */
			break;
		default:
			return PV_OTHER;
		}
	}
	return self && j->locks[i] > 0 ? PV_BLOCKED : PV_OTHER;
}

static enum proc_verdict resolve(struct judge *j, size_t i)
{
	if (i >= j->n)
		return PV_OTHER;
	if (j->pv[i] == PV_VISITING)
		return PV_OTHER; /* processes waiting on each other in a ring of pipes */
	if (j->pv[i] != PV_UNRESOLVED)
		return (enum proc_verdict)j->pv[i];
	j->pv[i] = PV_VISITING;
	j->pv[i] = (unsigned char)resolve_main(j, i);
	return (enum proc_verdict)j->pv[i];
}

static void verdict_add_outside(struct verdict *v, pid_t pid, const struct thread_sample *t)
{
	v->n_waiting_total++;
	if (v->n_waiting >= VERDICT_MAX_WAITING)
		return;
	struct verdict_wait *w = &v->waiting_on[v->n_waiting++];

	w->pid = pid;
	w->tid = t->tid;
	snprintf(w->what, sizeof w->what, "%s", t->wait_what[0] ? t->wait_what : "unknown");
}

/* Reads every thread once: stopped, running and outside waits, and the
 * untimed futex waits of each process. */
static void verdict_scan(struct judge *j, struct verdict *out, bool *running, bool *paused)
{
	const struct tree_sample *s = j->s;

	for (size_t i = 0; i < s->n_procs; i++) {
		const struct proc_sample *p = &s->procs[i];
		bool parent = has_child(j, p->pid);

		if (p->state == 'T' || p->state == 't')
			*paused = true;
		for (size_t k = 0; k < p->n_threads_scanned; k++) {
			const struct thread_sample *t = &s->threads_v[p->first_thread + k];

			/* A leader that called pthread_exit stays a zombie while
			 * its threads go on: it waits for nothing. */
			if (t->state == 'Z' || t->state == 'X')
				continue;
			switch ((enum wait_kind)t->wait) {
			case WAIT_NONE:
				*running = true;
				break;
			case WAIT_STOPPED:
				*paused = true;
				break;
			case WAIT_LOCK:
				out->lock_threads++;
				if (i < j->n)
					j->locks[i]++;
				break;
			case WAIT_OUTSIDE:
			case WAIT_DISK:
			case WAIT_UNKNOWN:
				verdict_add_outside(out, p->pid, t);
				break;
			case WAIT_INSIDE:
				/* A signal wait with no child in the pair to send
				 * SIGCHLD: the signal can only come from outside. */
				if (t->wait_pid < 0 && !parent)
					verdict_add_outside(out, p->pid, t);
				break;
			case WAIT_TIMED:
				break;
			}
		}
	}
}

void verdict_judge(const struct tree_sample *s, struct verdict *out)
{
	struct judge j;
	bool running = false, paused = false;

	memset(out, 0, sizeof *out);
	if (!s->waits_scanned) {
		out->kind = VERDICT_UNJUDGED;
		return;
	}
	memset(&j, 0, sizeof j);
	j.s = s;
	j.n = s->n_procs < VERDICT_MAX_PROCS ? s->n_procs : VERDICT_MAX_PROCS;
	verdict_scan(&j, out, &running, &paused);
	if (paused) {
		out->kind = VERDICT_PAUSED;
		return;
	}
	if (running) {
		out->kind = VERDICT_RUNNING;
		return;
	}
	if (out->n_waiting_total > 0) {
		out->kind = VERDICT_STALL;
		return;
	}
	for (size_t i = 0; i < j.n; i++) {
		if (resolve(&j, i) != PV_BLOCKED || j.locks[i] == 0)
			continue;
		out->n_blocked_total++;
		if (out->n_blocked < VERDICT_MAX_BLOCKED)
			out->blocked_pids[out->n_blocked++] = s->procs[i].pid;
	}
	out->kind = out->n_blocked_total > 0 ? VERDICT_DEADLOCK : VERDICT_WAITING;
}
