#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes raw with every byte outside printable ASCII shown as \xNN (and a
 * backslash as \\): a process name must neither rewrite the terminal of
 * whoever reads the file nor start a line of its own that forges a thread. */
static void capture_put_escaped(FILE *fp, const char *raw)
{
	for (const unsigned char *s = (const unsigned char *)raw; *s != '\0'; s++) {
		if (*s < 0x20 || *s >= 0x7f)
			fprintf(fp, "\\x%02x", *s);
		else if (*s == '\\')
			fputs("\\\\", fp);
		else
			fputc(*s, fp);
	}
}

static void capture_put_file(FILE *fp, const char *path, const char *indent)
{
	char buf[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(fp, "%s(%s: %s)\n", indent, path, strerror(errno));
		return;
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	close(fd);
	if (n <= 0) {
		fprintf(fp, "%s(empty)\n", indent);
		return;
	}
	buf[n] = '\0';
	char *save = NULL;

	for (char *line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		fputs(indent, fp);
		capture_put_escaped(fp, line);
		fputc('\n', fp);
	}
}

int capture_write_threads(const char *path, const char *proc_root, const char *pair,
                          const struct tree_sample *tree, const char *when, char *err,
                          size_t errlen)
{
	FILE *fp = fopen(path, "we");

	if (fp == NULL) {
		int e = errno;

		snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
		return -e;
	}
	fprintf(fp,
	        "mergewatch deadlock capture\npair: %s\ntime: %s\nroot: %d\n"
	        "threads: %d, futex-waiting: %d\n\n",
	        pair, when, (int)tree->root, tree->threads, tree->futex_threads);
	for (size_t i = 0; i < tree->n_procs; i++) {
		const struct proc_sample *p = &tree->procs[i];

		fprintf(fp, "process %d (ppid %d) ", (int)p->pid, (int)p->ppid);
		capture_put_escaped(fp, p->comm);
		fprintf(fp, " state %c rss %llu threads %d futex %d%s\n", p->state,
		        (unsigned long long)p->rss_bytes, p->num_threads, p->futex_threads,
		        p->all_futex ? " ALL-FUTEX" : "");
		for (size_t t = 0; t < p->n_threads_scanned; t++) {
			const struct thread_sample *th = &tree->threads_v[p->first_thread + t];
			char stack_path[256];

			fprintf(fp, "  thread %d state %c wchan ", (int)th->tid, th->state);
			capture_put_escaped(fp, th->wchan[0] ? th->wchan : "-");
			fputc('\n', fp);
			snprintf(stack_path, sizeof(stack_path), "%s/%d/task/%d/stack", proc_root,
			         (int)p->pid, (int)th->tid);
			capture_put_file(fp, stack_path, "    ");
		}
		fputc('\n', fp);
	}
	if (fclose(fp) != 0) {
		int e = errno;

		snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
		return -e;
	}
	return 0;
}

char *capture_expand(const char *command, pid_t pid)
{
	char pid_text[16];
	size_t n_marks = 0;
	const char *s;

	snprintf(pid_text, sizeof(pid_text), "%d", (int)pid);
	for (s = command; (s = strstr(s, "{pid}")) != NULL; s += 5)
		n_marks++;
	char *out = malloc(strlen(command) + n_marks * strlen(pid_text) + 1);
	char *o = out;

	if (out == NULL)
		return NULL;
	for (s = command; *s != '\0';) {
		if (strncmp(s, "{pid}", 5) == 0) {
			o = stpcpy(o, pid_text);
			s += 5;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}
