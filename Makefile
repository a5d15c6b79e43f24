# mergewatch — build, test, demo, install.
# `make demo` and `make test` install the missing Debian packages first.

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR   = $(PREFIX)/bin
LIBEXECDIR = $(PREFIX)/libexec/mergewatch
MANDIR   = $(PREFIX)/share/man
DOCDIR   = $(PREFIX)/share/doc/mergewatch

PKGS     = libproc2 ncursesw inih jansson libsystemd
# libcurl is loaded with dlopen when a webhook is configured (alerts/curlapi.c):
# only its headers are needed to build.
# systemd: only its tools (systemd-analyze verify checks the example unit);
# Debian's package installs without a running systemd and leaves /sbin/init
# alone (that is systemd-sysv's).
DEB_PKGS = libproc2-dev libncurses-dev libcurl4-openssl-dev libcmocka-dev \
           libinih-dev libjansson-dev libsystemd-dev pkg-config tmux python3 procps \
           libdw-dev nodejs systemd

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1.0)

CC      ?= cc
WARN     = -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wundef -Wcast-align -Wwrite-strings \
           -Wnull-dereference -Wvla -Wimplicit-fallthrough
CFLAGS  ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -DMW_VERSION='"$(VERSION)"' -DMW_LIBEXECDIR='"$(LIBEXECDIR)"'
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(CPPFLAGS) \
             $(shell pkg-config --cflags $(PKGS) libcurl 2>/dev/null)
# --as-needed: libraries the binary calls nothing from (libm, where the
# compiler inlined llround) are not mapped at run time.
LIBS     = -Wl,--as-needed $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
TEST_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

BUILD   ?= build
LAYERS   = lib collectors core plan jobs logdir alerts runner tui report
LIB_SRC  = $(wildcard $(addsuffix /*.c,$(LAYERS)))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# What the suites share (scratch directories, file writers, fake proc roots).
UNIT_HELPERS = $(BUILD)/tests/unit/helpers.o

.PHONY: all deps demo test unit e2e asan install uninstall clean bench check-deps promtool

all: mergewatch mergewatch-sim mergewatch-evidence

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"; $(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

mergewatch: $(BUILD)/main.o $(LIB_OBJ)
	@echo "  LD $@"; $(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

mergewatch-sim: sim/mergewatch-sim.c
	@echo "  CC $@"; $(CC) $(ALL_CFLAGS) -o $@ $< -lpthread -lm

# The evidence helper (jobs/evidence/): a program of its own so that libdw
# is mapped only while evidence is taken, never in the watchdog.
EVIDENCE_SRC = $(wildcard jobs/evidence/*.c)
EVIDENCE_OBJ = $(EVIDENCE_SRC:%.c=$(BUILD)/%.o) $(BUILD)/collectors/waits.o \
               $(BUILD)/collectors/procparse.o
mergewatch-evidence: $(EVIDENCE_OBJ)
	@echo "  LD $@"; $(CC) $(ALL_CFLAGS) -o $@ $^ $(shell pkg-config --libs libdw 2>/dev/null || echo -ldw -lelf)

$(BUILD)/tests/%: tests/unit/%.c $(UNIT_HELPERS) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD $@"; $(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS)

# Installs the Debian packages that are missing: apt-get as root, sudo otherwise.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

demo: deps
	$(MAKE) all
	./mergewatch demo

unit: $(UNIT_BIN)

test: deps vm-deps
	$(MAKE) all unit promtool corpus
	@PATH="$(CURDIR)/$(BUILD)/promtool:$$PATH" MW_MAKE_SUITES="$(MW_MAKE_SUITES)" \
	  tests/run-all.sh $(UNIT_BIN)

# promtool checks the metrics file. Debian's prometheus package would also
# install and start a Prometheus server: take only its promtool binary.
promtool:
	@command -v promtool >/dev/null || [ -x $(BUILD)/promtool/promtool ] || { \
	  mkdir -p $(BUILD)/promtool && cd $(BUILD)/promtool && \
	  apt-get download prometheus >/dev/null 2>&1 && \
	  dpkg-deb -x prometheus_*.deb deb && ln -sf deb/usr/bin/promtool promtool && \
	  rm -f prometheus_*.deb; } || echo "promtool unavailable: the metrics file is checked without it"

e2e: all
	@tests/run-all.sh --e2e-only

# Sanitizer build in its own tree; `make asan test` is not needed: this
# builds ./mergewatch-asan and the unit tests and runs them.
asan:
	$(MAKE) BUILD=build-asan CC=clang \
	  CFLAGS='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
	  build-asan/main.o $(patsubst $(BUILD)/%,build-asan/%,$(LIB_OBJ) $(UNIT_BIN))
	clang -fsanitize=address,undefined -o mergewatch-asan build-asan/main.o \
	  $(patsubst $(BUILD)/%,build-asan/%,$(LIB_OBJ)) $(LIBS)
	@for t in $(patsubst $(BUILD)/%,build-asan/%,$(UNIT_BIN)); do $$t || exit 1; done

bench: all
	bench/run.sh

install: all install-docs
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DOCDIR)
	install -m 755 mergewatch $(DESTDIR)$(BINDIR)/mergewatch
	install -m 755 mergewatch-sim $(DESTDIR)$(LIBEXECDIR)/mergewatch-sim
	install -m 755 mergewatch-evidence $(DESTDIR)$(LIBEXECDIR)/mergewatch-evidence
	install -m 644 README.md $(DESTDIR)$(DOCDIR)/README.md

uninstall: uninstall-docs
	rm -f $(DESTDIR)$(BINDIR)/mergewatch $(DESTDIR)$(LIBEXECDIR)/mergewatch-sim \
	  $(DESTDIR)$(LIBEXECDIR)/mergewatch-evidence
	rm -rf $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build build-asan mergewatch mergewatch-sim mergewatch-evidence mergewatch-asan

# Further targets (fuzz, lint, soak, docs) live in mk/, one file per concern.
-include $(wildcard mk/*.mk)

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
