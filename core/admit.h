/* Several pairs at once: which pending pairs start now (admission) and what
 * the running ones may hold (containment). Pure: sizes in, verdicts out; the
 * runner reads the machine and acts.
 *
 * A running pair counts for the larger of its predicted peak and what it
 * holds now. Admission keeps that sum within the memory budget; containment
 * caps each pair in the kernel so the sum cannot pass it, and stops the
 * youngest when a pair that outgrew its prediction leaves no room. Neither
 * ever touches a pair running alone: the outcome is never worse than one
 * pair at a time. */
#ifndef MW_ADMIT_H
#define MW_ADMIT_H

#include <stdbool.h>
#include <stdint.h>

/* Why a pending pair does not start now (or that it does). */
enum admit_verdict {
	ADMIT_START,       /* starts now */
	ADMIT_WAIT_SLOT,   /* `jobs` pairs run already */
	ADMIT_WAIT_BUDGET, /* its prediction does not fit beside the running pairs */
	ADMIT_WAIT_GATE,   /* the health gate is closed */
	ADMIT_WAIT_ORDER,  /* an earlier pair waits at the gate: file order holds */
};

/* "start", "slot", "budget", "gate", "order". Static. */
const char *admit_verdict_name(enum admit_verdict v);

/* A pair that runs (or verifies: it holds its slot until it has ended). */
struct admit_running {
	uint64_t predicted_bytes;
	uint64_t held_bytes; /* its memory now */
};

struct admit_config {
	int jobs;              /* pairs at once; 0: as many as the budget holds */
	uint64_t budget_bytes; /* memory_budget */
	uint64_t margin_bytes; /* containment's margin (see contain_decide) */
	/* The health gate (start_min_available, start_max_swap_used). */
	bool swap_ok;                 /* swap in use is within start_max_swap_used */
	uint64_t mem_available_bytes; /* MemAvailable now */
	uint64_t min_available_bytes; /* the gate's need; 0 and !gate_auto: no gate */
	bool gate_auto;               /* need = the pair's own prediction */
};

/* A pair is past its prediction when it holds more than it by over an
 * eighth of the margin: less is the noise of a prediction taken from an
 * earlier pair's peak, not growth. */
bool admit_outgrown(uint64_t held_bytes, uint64_t predicted_bytes, uint64_t margin_bytes);

/* What a running pair counts for: the larger of its prediction and what it
 * holds. */
uint64_t admit_counted(const struct admit_running *r);

/* Decides for each pending pair (predictions in file order) whether it
 * starts now; out[i] gets its verdict. A pair starts when fewer than jobs
 * pairs run, its prediction fits in the budget beside what the running
 * pairs and those started before it in this call count for (each pair,
 * itself too, with the eighth of the margin its cap gets as noise), and
 * the gate is open; a pair fits whatever its prediction when no other pair runs. While a
 * running pair is past its prediction (admit_outgrown), a pair must also leave the
 * margin free, or containment would stop it again at once. A pair
 * that does not fit is passed over and a later one that fits may start
 * (backfill); a pair stopped by the gate stops every pair after it.
 *
 * The gate is open when swap is ok and MemAvailable, less what the running
 * pairs are still predicted to take (prediction beyond what they hold) and
 * what the pairs started in this call are predicted to take, is at least
 * the need: min_available_bytes, or the pair's prediction with gate_auto.
 * With nothing running this is the gate of one pair at a time.
 *
 * Returns how many start. */
int admit_decide(const struct admit_config *cfg, const struct admit_running *running, int n_running,
                 const uint64_t *pending_predicted, int n_pending, enum admit_verdict *out);

/* The room left in the budget beside the running pairs, each counted as
 * admit_decide counts it (with its noise and, while one is past its
 * prediction, the margin): the largest figure a pair may have to start
 * beside them. */
uint64_t admit_room(const struct admit_config *cfg, const struct admit_running *running,
                    int n_running);

/* A running pair as containment sees it; pairs are given oldest first. */
struct contain_pair {
	uint64_t predicted_bytes;
	uint64_t held_bytes;
	uint64_t memory_max_bytes; /* its own kernel cap; UINT64_MAX: none */
	bool stopping;  /* being stopped already: counts what it holds, is not chosen again */
	bool verifying; /* its verify runs: counts as a running pair does, but is
	                 * never stopped (the command's work stands) and its cap
	                 * is left as it is */
};

struct contain_verdict {
	bool stop;             /* stop it now: kill reason budget, pair_end requeued */
	uint64_t cap_bytes;    /* its kernel cap from now on (stopping and verifying: unchanged) */
	bool capped_by_budget; /* the cap is below its memory_max: an OOM kill
	                        * there is the budget's doing, not the pair's */
};

/* Containment over the running pairs (oldest first). When a pair is past
 * its prediction (admit_outgrown), and the pairs not being stopped count
 * together for more than budget - margin (margin: the growth a sample may
 * bring), the youngest are stopped, one by one, until they fit again; the
 * oldest and a verifying pair are never stopped. Then each remaining pair
 * is capped at what it counts for plus a share of the room left in the
 * budget: first every pair the eighth of the margin admit_outgrown allows
 * as noise (the kernel charges a pair for more than its RSS: page tables,
 * its supervisor, page cache), then the rest to the pairs that outgrew
 * their prediction, else evenly to all; never below what it counts for and
 * never above its memory_max. The caps, what the verifying pairs count for
 * and what the stopping pairs hold sum to at most the budget while the
 * pairs fit. A pair alone (nothing else running, stopping or verifying)
 * keeps its memory_max. Returns how many are to be stopped. */
int contain_decide(uint64_t budget_bytes, uint64_t margin_bytes, const struct contain_pair *pairs,
                   int n, struct contain_verdict *out);

#endif
