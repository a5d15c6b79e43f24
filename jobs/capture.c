#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int capture_find_helper(const char *name, const char *libexecdir, char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		const char *dir = dirname(self);

		snprintf(buf, len, "%s/%s", dir, name);
		if (access(buf, X_OK) == 0)
			return 0;
		snprintf(buf, len, "%s/../libexec/mergewatch/%s", dir, name);
		if (access(buf, X_OK) == 0)
			return 0;
	}
	snprintf(buf, len, "%s/%s", libexecdir, name);
	return access(buf, X_OK) == 0 ? 0 : -ENOENT;
}

/* Appends s to the command at *o, single-quoted for /bin/sh. */
static char *capture_put_quoted(char *o, const char *s)
{
	*o++ = '\'';
	for (; *s != '\0'; s++) {
		if (*s == '\'') {
			o = stpcpy(o, "'\\''");
		} else {
			*o++ = *s;
		}
	}
	*o++ = '\'';
	*o++ = ' ';
	*o = '\0';
	return o;
}

char *capture_helper_command(const char *helper, const char *proc_root, const char *pair,
                             const char *verdict, const struct tree_sample *tree,
                             unsigned budget_ms)
{
	const char *fixed[] = { helper, "--proc", proc_root, "--pair", pair, "--verdict", verdict };
	char number[24];
	size_t need = 64 + tree->n_procs * 16;
	char *cmd, *o;

	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		need += 4 * strlen(fixed[i]) + 3;
	cmd = malloc(need);
	if (cmd == NULL)
		return NULL;
	o = stpcpy(cmd, "exec ");
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		o = capture_put_quoted(o, fixed[i]);
	o += sprintf(o, "--budget-ms %u", budget_ms);
	for (size_t i = 0; i < tree->n_procs; i++) {
		snprintf(number, sizeof number, " %d", (int)tree->procs[i].pid);
		o = stpcpy(o, number);
	}
	return cmd;
}

int capture_start_file(const char *path, const char *verdict, const char *when, char *err,
                       size_t errlen)
{
	FILE *fp = fopen(path, "we");

	if (fp == NULL) {
		int e = errno;

		snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
		return -e;
	}
	fprintf(fp, "mergewatch %s evidence, %s\n", verdict, when);
	if (fclose(fp) != 0) {
		int e = errno;

		snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
		return -e;
	}
	return 0;
}

void capture_note(const char *path, const char *line)
{
	FILE *fp = fopen(path, "ae");

	if (fp == NULL)
		return;
	fprintf(fp, "%s\n", line);
	fclose(fp);
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
