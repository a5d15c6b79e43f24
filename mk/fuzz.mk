# Fuzzing with libFuzzer (clang). Included by the main Makefile.
#
#   make fuzz              build every target, run each FUZZ_SECONDS (60) in turn
#   make fuzz-ci           the same, 30 s per target
#   make fuzz-run-NAME     run one target (FUZZ_SECONDS), e.g. fuzz-run-plan
#   make fuzz-regress      every committed input once: seed corpus and crashes/
#   make fuzz-build        only build build-fuzz/fuzz_*
#   make fuzz-deps         install clang and the libFuzzer runtime if missing
#
# Each target is built in $(FUZZ_BUILD) from the project sources it needs,
# compiled again by clang with the fuzzer and the sanitizers (never the gcc
# objects of build/). New inputs go to $(FUZZ_BUILD)/corpus/NAME; the seed
# corpus tests/fuzz/corpus/NAME only grows with FUZZ_MERGE=1, which merges
# back the new inputs that add coverage. A crash leaves its input in
# $(FUZZ_BUILD)/artifacts/ and fails the run; see tests/fuzz/README.md.

FUZZ_BUILD   ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_MERGE   ?= 0
# Extra libFuzzer options, e.g. FUZZ_ARGS='-jobs=2 -workers=2'.
FUZZ_ARGS    ?=
FUZZ_DEB_PKGS = clang libclang-rt-14-dev

FUZZ_SAN    = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
              -fno-omit-frame-pointer
# The project's flags minus -Werror: gcc's build is the warnings gate, and a
# clang-only warning in someone's file must not stop a fuzzing run.
FUZZ_CFLAGS = $(filter-out -Werror,$(ALL_CFLAGS)) -O1 -g $(FUZZ_SAN) \
              $(addprefix -I,$(LAYERS))

FUZZ_NAMES = procparse_stat procparse_misc units plan progress jsonstr state

# The project sources each target links, and the libraries they need.
FUZZ_JANSSON = $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)
FUZZ_SRC_procparse_stat = collectors/procparse.c
FUZZ_SRC_procparse_misc = collectors/procparse.c
FUZZ_SRC_units          = lib/units.c
FUZZ_SRC_plan           = plan/plan.c plan/plan_keys.c plan/plan_print.c \
                          lib/units.c
FUZZ_SRC_progress       = jobs/progress.c
FUZZ_SRC_jsonstr        = lib/jsonstr.c
FUZZ_SRC_state = logdir/state.c lib/jsonstr.c lib/fsutil.c
FUZZ_LIBS_plan          = $(shell pkg-config --libs inih 2>/dev/null || echo -linih)
FUZZ_LIBS_jsonstr       = $(FUZZ_JANSSON)
FUZZ_LIBS_state         = $(FUZZ_JANSSON)

# libFuzzer options per target: the longest input worth trying (a plan or a
# state file is longer than a /proc line) and a dictionary of the format's
# keywords, which finds the deep paths far sooner than random bytes.
FUZZ_MAXLEN_plan   = 16384
FUZZ_MAXLEN_state  = 16384
FUZZ_DICT_plan     = tests/fuzz/plan.dict
FUZZ_DICT_units    = tests/fuzz/units.dict
FUZZ_DICT_state    = tests/fuzz/state.dict
FUZZ_DICT_procparse_stat = tests/fuzz/proc.dict
FUZZ_DICT_procparse_misc = tests/fuzz/proc.dict
fuzz_opts = -max_len=$(or $(FUZZ_MAXLEN_$(1)),4096) \
            $(if $(FUZZ_DICT_$(1)),-dict=$(FUZZ_DICT_$(1)))

FUZZ_BINS = $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)

.PHONY: fuzz fuzz-ci fuzz-regress fuzz-build fuzz-deps fuzz-clean
# fuzz-run-NAME is a pattern rule, so it cannot be .PHONY (make skips the
# implicit rule search for phony targets); no file of that name is made.

fuzz-build: $(FUZZ_BINS)

$(FUZZ_BUILD)/obj/%.o: %.c | fuzz-deps
	@mkdir -p $(dir $@)
	@echo "  CC [fuzz] $<"; $(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

# build-fuzz/fuzz_NAME: tests/fuzz/fuzz_NAME.c and the sources listed above.
define FUZZ_LINK_RULE
$(FUZZ_BUILD)/fuzz_$(1): $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_$(1).o \
		$(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(FUZZ_SRC_$(1)))
	@echo "  LD [fuzz] $$@"; $$(FUZZ_CC) $$(FUZZ_SAN) -o $$@ $$^ $$(FUZZ_LIBS_$(1)) -lm
endef
$(foreach n,$(FUZZ_NAMES),$(eval $(call FUZZ_LINK_RULE,$(n))))

# Installs what a fuzz build needs the way `make deps` does (apt-get as root,
# sudo otherwise), unless the compiler already links a fuzzer: that test
# also holds where the runtime comes in a package of another name.
fuzz-deps:
	@if printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return (int)(d[0] + n) * 0; }\n' | \
	    $(FUZZ_CC) -fsanitize=fuzzer -x c - -o /dev/null >/dev/null 2>&1; then exit 0; fi; \
	missing=""; for p in $(FUZZ_DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	[ -n "$$missing" ] || { echo "$(FUZZ_CC) cannot link -fsanitize=fuzzer"; exit 1; }; \
	echo "installing:$$missing"; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing

# One target for FUZZ_SECONDS: it reads the seed corpus and writes new inputs
# to its scratch corpus only (libFuzzer writes to the first directory). The
# log keeps everything; the lines shown say how much ran and any crash.
fuzz-run-%: $(FUZZ_BUILD)/fuzz_%
	@mkdir -p $(FUZZ_BUILD)/corpus/$* $(FUZZ_BUILD)/artifacts tests/fuzz/corpus/$*
	@echo "== fuzz_$*: $(FUZZ_SECONDS) s"
	@$(FUZZ_BUILD)/fuzz_$* -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/artifacts/$*- $(call fuzz_opts,$*) \
	    $(FUZZ_ARGS) $(FUZZ_BUILD)/corpus/$* tests/fuzz/corpus/$* \
	    >$(FUZZ_BUILD)/fuzz_$*.log 2>&1; rc=$$?; \
	  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|ERROR: |^SUMMARY|Test unit written' \
	    $(FUZZ_BUILD)/fuzz_$*.log; \
	  if [ $$rc -ne 0 ]; then \
	    echo "fuzz_$* FAILED (exit $$rc); log: $(FUZZ_BUILD)/fuzz_$*.log"; exit 1; \
	  fi
	@if [ "$(FUZZ_MERGE)" = 1 ]; then \
	  echo "   merging new coverage into tests/fuzz/corpus/$*"; \
	  $(FUZZ_BUILD)/fuzz_$* -merge=1 $(call fuzz_opts,$*) tests/fuzz/corpus/$* \
	    $(FUZZ_BUILD)/corpus/$* >$(FUZZ_BUILD)/fuzz_$*.merge.log 2>&1; \
	fi

# Runs every target, all of them even when one fails, then fails if any did.
fuzz: fuzz-build
	@failed=""; for n in $(FUZZ_NAMES); do \
	  $(MAKE) --no-print-directory fuzz-run-$$n FUZZ_SECONDS=$(FUZZ_SECONDS) || failed="$$failed $$n"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzzing found crashes in:$$failed"; exit 1; fi; \
	echo "fuzzing: no crash in $(words $(FUZZ_NAMES)) targets"

fuzz-ci:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=30

# Every committed input once (a few seconds): the seed corpus and the crash
# reproducers tests/fuzz/crashes/NAME-N. Fails while a recorded crash still
# crashes, so it doubles as the regression test once the lead fixes one.
fuzz-regress: fuzz-build
	@failed=""; for n in $(FUZZ_NAMES); do \
	  files=$$(ls -d tests/fuzz/corpus/$$n/* tests/fuzz/crashes/$$n-* 2>/dev/null); \
	  [ -n "$$files" ] || continue; \
	  if $(FUZZ_BUILD)/fuzz_$$n $$files >$(FUZZ_BUILD)/regress_$$n.log 2>&1; then \
	    echo "fuzz_$$n: $$(echo $$files | wc -w) inputs ok"; \
	  else \
	    failed="$$failed $$n"; echo "fuzz_$$n FAILED; log: $(FUZZ_BUILD)/regress_$$n.log"; \
	  fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz-regress failed:$$failed"; exit 1; fi

fuzz-clean:
	rm -rf $(FUZZ_BUILD)

-include $(shell find $(FUZZ_BUILD)/obj -type f -name '*.d' 2>/dev/null)
