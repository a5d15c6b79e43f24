# Static analysis and valgrind. Included by the main Makefile.
#
#   make lint            the layer check (mk/layers.mk), the format check
#                        (mk/format.mk), cppcheck, then clang-tidy (.clang-tidy)
#                        on every file; fails on any finding of any
#   make lint-cppcheck   only cppcheck
#   make lint-tidy       only clang-tidy (incremental: a file is checked again
#                        when it, a header or .clang-tidy changes; -j2 helps)
#   make valgrind-unit   every unit test under valgrind, failing on errors and
#                        definite leaks
#   make lint-deps       install cppcheck, clang-tidy and valgrind if missing
#   make lint-clean      forget which files were clean
#
# What each covers and how to silence a false positive: docs/hardening.md.

LINT_BUILD ?= build-lint
CPPCHECK   ?= cppcheck
CLANG_TIDY ?= clang-tidy
VALGRIND   ?= valgrind
LINT_DEB_PKGS = cppcheck clang-tidy valgrind

LINT_DIRS = $(LAYERS)
LINT_SRC  = $(wildcard $(addsuffix /*.c,$(LINT_DIRS))) main.c
LINT_HDRS = $(wildcard $(addsuffix /*.h,$(LINT_DIRS)))

# cppcheck: warnings (likely bugs), performance and portability; style is
# left to review. Only the configuration we build is checked (-D_GNU_SOURCE
# and our -D macros); the project's include directories are given, system
# headers are not (cppcheck's own library files describe libc and POSIX).
# Suppressed, with reason:
#   readdirCalled, strtokCalled: "not thread-safe" advice. mergewatch is one
#     thread by design (DESIGN.md), and readdir_r, the suggested
#     replacement, is deprecated by glibc.
CPPCHECK_FLAGS = --enable=warning,performance,portability --error-exitcode=1 \
                 --inline-suppr --std=c11 --library=posix --quiet \
                 $(CPPFLAGS) $(addprefix -I,$(LINT_DIRS)) \
                 --suppress=readdirCalled --suppress=strtokCalled \
                 --template='{file}:{line}: {severity}: {message} [{id}]'

# clang-tidy compiles each file as the build does (ALL_CFLAGS), minus
# -Werror: .clang-tidy's WarningsAsErrors decides what fails.
LINT_CFLAGS = $(filter-out -Werror,$(ALL_CFLAGS))
LINT_STAMPS = $(LINT_SRC:%.c=$(LINT_BUILD)/tidy/%.ok)

.PHONY: lint lint-cppcheck lint-tidy lint-deps lint-clean valgrind-unit

# Both tools run even when the first fails, so one run lists everything.
lint:
	@rc=0; \
	$(MAKE) --no-print-directory lint-layers || rc=1; \
	$(MAKE) --no-print-directory lint-format || rc=1; \
	$(MAKE) --no-print-directory lint-cppcheck || rc=1; \
	$(MAKE) --no-print-directory -k lint-tidy || rc=1; \
	if [ $$rc -ne 0 ]; then echo "lint: findings above"; else echo "lint: clean"; fi; \
	exit $$rc

lint-cppcheck:
	@echo "  CPPCHECK $(LINT_DIRS) main.c"
	@mkdir -p $(LINT_BUILD)/cppcheck
	@$(CPPCHECK) $(CPPCHECK_FLAGS) --cppcheck-build-dir=$(LINT_BUILD)/cppcheck \
	  $(LINT_DIRS) main.c

lint-tidy: $(LINT_STAMPS)

# One stamp per file: it exists only while the file is clean. The compiler's
# "N warnings generated" chatter is kept out of the way unless it fails.
$(LINT_BUILD)/tidy/%.ok: %.c .clang-tidy $(LINT_HDRS)
	@mkdir -p $(dir $@)
	@echo "  TIDY $<"; \
	if $(CLANG_TIDY) --quiet $< -- $(LINT_CFLAGS) >$@.out 2>$@.err; then \
	  touch $@; \
	else \
	  cat $@.out; grep -v 'warnings\{0,1\} \(and [0-9]* errors\{0,1\} \)\{0,1\}generated' $@.err >&2; \
	  rm -f $@; exit 1; \
	fi

# Each suite runs from the repository root, as `make test` runs it. A
# definite leak or any memory error fails it; "still reachable" memory
# (libraries' caches, ncurses) does not.
valgrind-unit: unit
	@failed=""; for t in $(UNIT_BIN); do \
	  log=$$t.valgrind.log; \
	  if $(VALGRIND) --leak-check=full --errors-for-leak-kinds=definite \
	      --error-exitcode=1 --quiet $$t >$$log 2>&1; then \
	    echo "  ok   $$t"; \
	  else \
	    echo "  FAIL $$t (log: $$log)"; grep -E '^==[0-9]+==|^\[  FAILED  \]' $$log | head -40; \
	    failed="$$failed $$(basename $$t)"; \
	  fi; \
	done; \
	if [ -n "$$failed" ]; then echo "valgrind-unit failed:$$failed"; exit 1; fi; \
	echo "valgrind-unit: $(words $(UNIT_BIN)) suites clean"

lint-deps:
	@missing=""; for p in $(LINT_DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

lint-clean:
	rm -rf $(LINT_BUILD)
