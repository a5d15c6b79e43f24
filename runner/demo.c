#include "demo.h"

#include "../jobs/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int demo_find_sim(const char *libexecdir, char *buf, size_t len)
{
	return capture_find_helper("mergewatch-sim", libexecdir, buf, len);
}

static int demo_write_input(const char *dir, const char *name, uint64_t bytes, char *err,
                            size_t errlen)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || ftruncate(fd, (off_t)bytes) < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	close(fd);
	return 0;
}

int demo_write_plan(const char *dir, const char *sim, uint64_t mem_total, char *err, size_t errlen)
{
	/* Scale: the bloating pair's line is 1/16 of memory, at most 2 GiB,
	 * so the demo shows a kill without stressing the machine. */
	uint64_t mib = 1024 * 1024;
	uint64_t kill = mem_total / 16;

	if (kill > 2048 * mib)
		kill = 2048 * mib;
	if (kill < 256 * mib)
		kill = 256 * mib;
	uint64_t kill_mib = kill / mib;
	uint64_t input_mib = kill_mib / 8; /* so the bloat line (6x) falls below kill */
	char path[PATH_MAX];
	int rc;

	for (int i = 1; i <= 6; i++) {
		char name[32];

		snprintf(name, sizeof(name), "input%02d.bin", i);
		rc = demo_write_input(dir, name, input_mib * mib, err, errlen);
		if (rc < 0)
			return rc;
	}
	snprintf(path, sizeof(path), "%s/demo.ini", dir);
	FILE *fp = fopen(path, "we");

	if (fp == NULL) {
		rc = -errno;
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
		return rc;
	}
	fprintf(fp,
	        "; mergewatch demo: simulated merge pairs scaled to this machine\n"
	        "[run]\n"
	        "on_failure = continue\n"
	        "log_dir = logs\n"
	        "\n[limits]\n"
	        "kill_rss = %lluM\n"
	        "memory_max = %lluM\n"
	        "bloat_ratio = 6\n"
	        "deadlock_window = 10s\n"
	        "on_deadlock = kill\n"
	        "kill_grace = 3s\n"
	        "timeout = 5m\n"
	        "\n[pair chr01]\n"
	        "command = '%s' --rate 64M --peak %lluM --hold 6s --progress 20 --write "
	        "merged01.out 1M\n"
	        "inputs = input01.bin\n"
	        "output = merged01.out\n"
	        "verify = test -s merged01.out\n"
	        "cleanup = input01.bin\n"
	        "\n[pair chr02]\n"
	        "command = '%s' --rate 96M --peak %lluM --hold 4s --progress 20 --write "
	        "merged02.out 1M\n"
	        "inputs = input02.bin\n"
	        "output = merged02.out\n"
	        "cleanup = input02.bin\n"
	        "\n; grows steadily past 6x its input, then past kill_rss: killed near the line\n"
	        "[pair chr03]\n"
	        "command = '%s' --rate 128M --peak %lluM --hold 30s --progress 20\n"
	        "inputs = input03.bin\n"
	        "output = merged03.out\n"
	        "\n; two threads take two mutexes crosswise: a real deadlock, caught and killed\n"
	        "[pair chr04]\n"
	        "command = '%s' --rate 64M --peak %lluM --progress 10 --deadlock --threads 4\n"
	        "inputs = input04.bin\n"
	        "output = merged04.out\n"
	        "\n; runs past its timeout: SIGTERM, then SIGKILL after the grace\n"
	        "[pair chr05]\n"
	        "command = '%s' --steps 100 --step-time 1s\n"
	        "inputs = input05.bin\n"
	        "timeout = 12s\n"
	        "\n[pair chr06]\n"
	        "command = '%s' --rate 128M --peak %lluM --hold 3s --progress 10 --write "
	        "merged06.out 1M\n"
	        "inputs = input06.bin\n"
	        "output = merged06.out\n"
	        "verify = test -s merged06.out\n"
	        "cleanup = input06.bin\n",
	        (unsigned long long)kill_mib, (unsigned long long)kill_mib * 5 / 4, sim,
	        (unsigned long long)input_mib * 3, sim, (unsigned long long)input_mib * 4, sim,
	        (unsigned long long)kill_mib * 2, sim, (unsigned long long)input_mib * 2, sim, sim,
	        (unsigned long long)input_mib * 3);
	if (fclose(fp) != 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
		return rc;
	}
	return 0;
}
