/* What a run does with a pair the state already records: the rules of
 * SPEC "State and resume" as one pure function of the recorded step and
 * what is true now (is its process alive, did its supervisor record an
 * end, is the output there), so every case is a line of a table test. */
#ifndef MW_RESUME_H
#define MW_RESUME_H

#include <stdbool.h>
#include <stdint.h>

#include "../logdir/state.h"

enum resume_action {
	RESUME_RUN,            /* start an attempt: never run, failed, or --rerun */
	RESUME_DONE,           /* recorded done: skipped, counts as done */
	RESUME_OUTPUT_MISSING, /* recorded done, but its output has gone: failed */
	RESUME_ADOPT,          /* its process still lives: watched to its end first */
	RESUME_JUDGE,          /* its command ended with a known status: judged as if
	                        * just ended (output fresh? verify) */
	RESUME_CLEANUP,        /* verified, or its cleanup was cut short: finish the
	                        * cleanup, then done; never run again */
	RESUME_INTERRUPTED,    /* its process is gone, its status unknown: it runs
	                        * again, which is no failure and uses no retry */
	RESUME_REQUEUED,       /* SIGKILLed for the memory budget (by the run that
	                        * died, or by the kernel at the cap the budget
	                        * lowered): runs again, no failure, no retry */
};

struct resume_facts {
	const struct state_pair *recorded; /* NULL: the state does not know the pair */
	bool rerun;                        /* --rerun PAIR */
	uint64_t command_hash;             /* of the plan's command now */
	bool alive;                        /* the recorded root lives (same PID and start
	                                    * time) and is no zombie */
	bool record_ended;                 /* the supervisor's record of this attempt
	                                    * holds the command's end: */
	int record_exit_code;              /* -1 when killed by a signal */
	int record_signal;
	bool output_ok; /* the output exists and is not empty (or none is required) */
	bool budget;    /* the record says the budget had a hand in this attempt:
	                 * its cap was lowered for it, or it was being stopped for it */
};

struct resume_verdict {
	enum resume_action action;
	bool command_changed; /* a done pair's command is not the one that ran */
	int exit_code;        /* RESUME_JUDGE: how the command ended */
	int term_signal;
};

void resume_decide(const struct resume_facts *f, struct resume_verdict *v);

/* "run", "done", ... Static. */
const char *resume_action_name(enum resume_action a);

#endif
