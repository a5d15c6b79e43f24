/* libFuzzer target: state_load, the reader of <log_dir>/state, which a
 * crashed or older mergewatch (or a person with an editor) may have left
 * in any shape.
 *
 * The input is written to state in a private directory under /dev/shm (a
 * tmpfs: state_save's fsyncs cost nothing there) and loaded. Properties:
 * a refusal names the file; a state that loads is saved and loaded again
 * and must hold the same pairs with the same fields (state_save is how every
 * state file is written, so what it writes must read back). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char dir[64];
static char state_path[96];

static void remove_dir(void)
{
	char tmp[112];

	snprintf(tmp, sizeof tmp, "%s/state.tmp", dir);
	unlink(tmp);
	unlink(state_path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(dir, sizeof dir, "/dev/shm/mergewatch-fuzz-state-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		/* No /dev/shm: any writable temporary directory will do. */
		snprintf(dir, sizeof dir, "/tmp/mergewatch-fuzz-state-XXXXXX");
		if (mkdtemp(dir) == NULL) {
			perror("mkdtemp");
			abort();
		}
	}
	snprintf(state_path, sizeof state_path, "%s/state", dir);
	atexit(remove_dir);
	return 0;
}

static void write_state(const uint8_t *data, size_t size)
{
	int fd = open(state_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd == -1)
		abort();
	while (size > 0) {
		ssize_t n = write(fd, data, size);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			abort();
		data += n;
		size -= (size_t)n;
	}
	close(fd);
}

static bool same_pair(const struct state_pair *a, const struct state_pair *b)
{
	/* ratio compared as bits would refuse -0.0 vs 0.0; == is the meaning. */
	return strcmp(a->name, b->name) == 0 && a->status == b->status &&
	       a->attempt == b->attempt && a->pid == b->pid && a->start_ticks == b->start_ticks &&
	       a->input_bytes == b->input_bytes && a->peak_rss_bytes == b->peak_rss_bytes &&
	       a->ratio == b->ratio && strcmp(a->output, b->output) == 0 &&
	       strcmp(a->cgroup, b->cgroup) == 0 && a->ended_wall_s == b->ended_wall_s &&
	       strcmp(a->reason, b->reason) == 0;
}

/* Saves st, loads it back and compares every pair. The API finds pairs
 * by name only, so the names come from the input itself, read with
 * jansson as state_load reads it. */
static void check_round_trip(struct state *st, const uint8_t *data, size_t size)
{
	char err[512];
	struct state *again;
	json_t *root, *entry;
	const char *name;

	if (state_save(st, err, sizeof err) != 0) {
		fprintf(stderr, "a loaded state does not save: %s\n", err);
		abort();
	}
	again = state_load(dir, err, sizeof err);
	if (again == NULL) {
		fprintf(stderr, "a saved state does not load: %s\n", err);
		abort();
	}
	if (state_max_ratio(again) != state_max_ratio(st))
		abort();
	root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (root == NULL)
		abort(); /* state_load took it */
	json_object_foreach(json_object_get(root, "pairs"), name, entry)
	{
		const struct state_pair *a = state_find(st, name);
		const struct state_pair *b = state_find(again, name);

		(void)entry;
		if (a == NULL || b == NULL || !same_pair(a, b)) {
			fprintf(stderr, "pair '%s' reads back differently\n", name);
			abort();
		}
	}
	json_decref(root);
	state_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct state *st;

	write_state(data, size);
	err[0] = '\0';
	st = state_load(dir, err, sizeof err);
	if (st == NULL) {
		if (strstr(err, state_path) == NULL) {
			fprintf(stderr, "a refusal that does not name the file: %s\n", err);
			abort();
		}
		return 0;
	}
	check_round_trip(st, data, size);
	state_free(st);
	return 0;
}
