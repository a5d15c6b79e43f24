# The soak: mergewatch under ASan and UBSan watching a churning process
# tree, with its dashboard in a private tmux. Included by the main Makefile.
#
#   make soak       30 minutes (SOAK_SECONDS), 2 minutes of warm-up
#   make soak-ci    2 minutes, 30 s of warm-up (CI)
#
# Both build ./mergewatch-asan through `make asan` (which also runs the unit
# tests under the sanitizers) and the churn fixture, then run
# tests/soak/soak.py. It samples mergewatch's VmRSS and open descriptors
# every 10 s, and fails on any sanitizer report, any output on stderr, a
# deadlock event, a descriptor more at the end than after the warm-up, or
# RSS grown by more than SOAK_RSS_SLACK_KIB (1 MiB). The summary table goes
# to $(SOAK_DIR)/summary.txt, the samples to samples.csv; docs/faults.md
# explains the figures.

SOAK_DIR           ?= $(BUILD)/soak
SOAK_CHURN          = $(SOAK_DIR)/churn
SOAK_SECONDS       ?= 1800
SOAK_WARMUP        ?= 120
SOAK_CI_SECONDS    ?= 120
SOAK_CI_WARMUP     ?= 30
SOAK_RSS_SLACK_KIB ?= 1024
SOAK_RUN = python3 tests/soak/soak.py --binary ./mergewatch-asan --churn $(SOAK_CHURN) \
           --out $(SOAK_DIR) --rss-slack-kib $(SOAK_RSS_SLACK_KIB)

.PHONY: soak soak-ci soak-churn

soak-churn: $(SOAK_CHURN)

# The fixture is built with the project's warnings, without sanitizers: it
# forks from a threaded process, which ASan does not take well.
$(SOAK_CHURN): tests/soak/churn.c
	@mkdir -p $(dir $@)
	@echo "  CC $@"; $(CC) -std=c11 $(WARN) -O2 -g -D_GNU_SOURCE -pthread -o $@ $<

soak: asan $(SOAK_CHURN)
	$(SOAK_RUN) --seconds $(SOAK_SECONDS) --warmup $(SOAK_WARMUP)

soak-ci: asan $(SOAK_CHURN)
	$(SOAK_RUN) --seconds $(SOAK_CI_SECONDS) --warmup $(SOAK_CI_WARMUP)
