#include "admit.h"

#include <limits.h>
#include <stddef.h>

const char *admit_verdict_name(enum admit_verdict v)
{
	static const char *const names[] = {
		[ADMIT_START] = "start",        [ADMIT_WAIT_SLOT] = "slot",
		[ADMIT_WAIT_BUDGET] = "budget", [ADMIT_WAIT_GATE] = "gate",
		[ADMIT_WAIT_ORDER] = "order",
	};
	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

bool admit_outgrown(uint64_t held_bytes, uint64_t predicted_bytes, uint64_t margin_bytes)
{
	return held_bytes > sat_add(predicted_bytes, margin_bytes / 8);
}

uint64_t admit_counted(const struct admit_running *r)
{
	return max_u64(r->predicted_bytes, r->held_bytes);
}

static bool admit_gate_open(const struct admit_config *cfg, uint64_t coming, uint64_t predicted)
{
	uint64_t need = cfg->gate_auto ? predicted : cfg->min_available_bytes;

	if (!cfg->swap_ok)
		return false;
	if (need == 0)
		return true;
	return cfg->mem_available_bytes >= coming && cfg->mem_available_bytes - coming >= need;
}

int admit_decide(const struct admit_config *cfg, const struct admit_running *running, int n_running,
                 const uint64_t *pending_predicted, int n_pending, enum admit_verdict *out)
{
	int slots = cfg->jobs > 0 ? cfg->jobs : INT_MAX;
	int alive = n_running, started = 0;
	/* Every pair is counted with the noise containment gives its cap
	 * (contain_decide): admitted without it, a pair's cap would sit at
	 * its prediction and the kernel would stop a pair that kept to it. */
	uint64_t counted = 0, coming = 0, margin = 0, noise = cfg->margin_bytes / 8;
	bool blocked = false;

	for (int i = 0; i < n_running; i++) {
		counted = sat_add(counted, sat_add(admit_counted(&running[i]), noise));
		if (admit_outgrown(running[i].held_bytes, running[i].predicted_bytes,
		                   cfg->margin_bytes))
			margin = cfg->margin_bytes;
		if (running[i].predicted_bytes > running[i].held_bytes)
			coming =
				sat_add(coming, running[i].predicted_bytes - running[i].held_bytes);
	}
	for (int i = 0; i < n_pending; i++) {
		uint64_t p = pending_predicted[i];

		if (blocked) {
			out[i] = ADMIT_WAIT_ORDER;
		} else if (alive >= slots) {
			out[i] = ADMIT_WAIT_SLOT;
		} else if (alive > 0 && sat_add(sat_add(counted, sat_add(p, noise)), margin) >
		                                cfg->budget_bytes) {
			out[i] = ADMIT_WAIT_BUDGET;
		} else if (!admit_gate_open(cfg, coming, p)) {
			out[i] = ADMIT_WAIT_GATE;
			blocked = true;
		} else {
			out[i] = ADMIT_START;
			alive++;
			started++;
			counted = sat_add(counted, sat_add(p, noise));
			coming = sat_add(coming, p);
		}
	}
	return started;
}

uint64_t admit_room(const struct admit_config *cfg, const struct admit_running *running,
                    int n_running)
{
	uint64_t used = 0, margin = 0, noise = cfg->margin_bytes / 8;

	for (int i = 0; i < n_running; i++) {
		used = sat_add(used, sat_add(admit_counted(&running[i]), noise));
		if (admit_outgrown(running[i].held_bytes, running[i].predicted_bytes,
		                   cfg->margin_bytes))
			margin = cfg->margin_bytes;
	}
	/* the pair's own noise too: it starts when its figure is at most this */
	used = sat_add(sat_add(used, margin), noise);
	return used < cfg->budget_bytes ? cfg->budget_bytes - used : 0;
}

static uint64_t contain_reserved(const struct contain_pair *p)
{
	return p->stopping ? p->held_bytes : max_u64(p->predicted_bytes, p->held_bytes);
}

static bool contain_choosable(const struct contain_pair *p)
{
	return !p->stopping && !p->verifying;
}

int contain_decide(uint64_t budget_bytes, uint64_t margin_bytes, const struct contain_pair *pairs,
                   int n, struct contain_verdict *out)
{
	/* Stopping pairs are going: they count for the caps, not for whom
	 * to stop. */
	uint64_t kept_sum = 0, verify_sum = 0, stopping_held = 0, room, noise = margin_bytes / 8;
	int kept = 0, outgrown = 0, stops = 0;

	for (int i = 0; i < n; i++) {
		out[i] = (struct contain_verdict){ .cap_bytes = pairs[i].memory_max_bytes };
		if (pairs[i].stopping) {
			stopping_held = sat_add(stopping_held, pairs[i].held_bytes);
			continue;
		}
		if (pairs[i].verifying) {
			verify_sum = sat_add(verify_sum, contain_reserved(&pairs[i]));
			continue;
		}
		kept++;
		kept_sum = sat_add(kept_sum, contain_reserved(&pairs[i]));
		if (admit_outgrown(pairs[i].held_bytes, pairs[i].predicted_bytes, margin_bytes))
			outgrown++;
	}
	/* The youngest go first; the oldest left is never stopped. */
	for (int i = n - 1; i >= 0 && kept > 1 && outgrown > 0 &&
	                    sat_add(sat_add(kept_sum, verify_sum), margin_bytes) > budget_bytes;
	     i--) {
		if (!contain_choosable(&pairs[i]))
			continue;
		out[i].stop = true;
		stops++;
		kept--;
		kept_sum -= contain_reserved(&pairs[i]);
		stopping_held = sat_add(stopping_held, pairs[i].held_bytes);
		if (admit_outgrown(pairs[i].held_bytes, pairs[i].predicted_bytes, margin_bytes))
			outgrown--;
	}
	if (kept == 1 && verify_sum == 0 && stopping_held == 0) {
		/* Alone: as with one pair at a time, its own cap. */
		return stops;
	}
	uint64_t used = sat_add(sat_add(kept_sum, verify_sum), stopping_held);

	room = budget_bytes > used ? budget_bytes - used : 0;
	uint64_t each = kept > 0 && room / (uint64_t)kept < noise ? room / (uint64_t)kept : noise;
	uint64_t rest = kept > 0 ? room - each * (uint64_t)kept : 0;

	for (int i = 0; i < n; i++) {
		if (!contain_choosable(&pairs[i]) || out[i].stop)
			continue;
		bool grown =
			admit_outgrown(pairs[i].held_bytes, pairs[i].predicted_bytes, margin_bytes);
		int sharers = outgrown > 0 ? outgrown : kept;
		uint64_t share = each + (outgrown > 0 && !grown ? 0 : rest / (uint64_t)sharers);
		uint64_t cap = sat_add(contain_reserved(&pairs[i]), share);

		if (cap < pairs[i].memory_max_bytes) {
			out[i].cap_bytes = cap;
			out[i].capped_by_budget = true;
		}
	}
	return stops;
}
