/* Plans that parse but cannot work as meant, told before a run rather than
 * found out during it: a kernel cap at or below the kill line (the
 * watchdog's kill, with its evidence and alert, can then never come first),
 * a kill line above the machine's memory (it would never fire) and, with
 * several pairs at once, a budget above it (the pairs admitted together
 * could run the machine out of memory before containment acts). */
#include <stdio.h>

#include "plan.h"

/* One line: where (a pair, or [run] when pair is NULL), what, and the two
 * settings or figures that make it so. */
static void plan_warn_add(char *buf, size_t len, size_t *o, const struct pair_spec *pair,
                          const char *what, const char *a, const char *b)
{
	int n;

	if (*o >= len)
		return;
	if (pair == NULL)
		n = snprintf(buf + *o, len - *o, "[run]: %s (%s, %s)\n", what, a, b);
	else if (pair->line > 0)
		n = snprintf(buf + *o, len - *o, "[pair %s] (line %d): %s (%s, %s)\n", pair->name,
		             pair->line, what, a, b);
	else
		n = snprintf(buf + *o, len - *o, "pair %s: %s (%s, %s)\n", pair->name, what, a, b);
	*o += n > 0 ? (size_t)n : 0;
	if (*o >= len)
		*o = len - 1;
}

static int plan_warn_budget(const struct plan *plan, uint64_t mem_total, char *buf, size_t len,
                            size_t *o)
{
	uint64_t budget = units_size_resolve(&plan->memory_budget, mem_total);
	char a[64], b[64], ka[32], kb[32];

	if (plan->jobs == 1 || mem_total == 0 || budget == UINT64_MAX || budget <= mem_total)
		return 0;
	units_format_size_spec(&plan->memory_budget, ka, sizeof ka);
	snprintf(a, sizeof a, "memory_budget = %s", ka);
	snprintf(b, sizeof b, "MemTotal %s", units_format_size(mem_total, kb, sizeof kb));
	plan_warn_add(buf, len, o, NULL,
	              "memory_budget is above this machine's memory: the pairs admitted "
	              "together can run it out of memory",
	              a, b);
	return 1;
}

int plan_warnings(const struct plan *plan, uint64_t mem_total, char *buf, size_t len)
{
	size_t o = 0;
	int n = 0;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	n += plan_warn_budget(plan, mem_total, buf, len, &o);
	for (int i = 0; i < plan->n_pairs; i++) {
		const struct pair_spec *pair = &plan->pairs[i];
		const struct limits *l = &pair->limits;
		uint64_t kill = units_size_resolve(&l->kill_rss, mem_total);
		uint64_t max = units_size_resolve(&l->memory_max, mem_total);
		char a[64], b[64], ka[32], kb[32];

		if (kill != UINT64_MAX && max != UINT64_MAX && max <= kill) {
			units_format_size_spec(&l->memory_max, ka, sizeof ka);
			units_format_size_spec(&l->kill_rss, kb, sizeof kb);
			snprintf(a, sizeof a, "memory_max = %s", ka);
			snprintf(b, sizeof b, "kill_rss = %s", kb);
			plan_warn_add(buf, len, &o, pair,
			              "memory_max is at or below kill_rss: the kernel kills "
			              "first, without mergewatch's evidence",
			              a, b);
			n++;
		}
		if (mem_total > 0 && kill != UINT64_MAX && kill > mem_total) {
			units_format_size_spec(&l->kill_rss, ka, sizeof ka);
			snprintf(a, sizeof a, "kill_rss = %s", ka);
			snprintf(b, sizeof b, "MemTotal %s",
			         units_format_size(mem_total, kb, sizeof kb));
			plan_warn_add(buf, len, &o, pair,
			              "kill_rss is above this machine's memory: it can never fire",
			              a, b);
			n++;
		}
	}
	return n;
}
