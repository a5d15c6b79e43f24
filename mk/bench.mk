# `make bench` helpers: the C floors and the collector timed on its own.
# The main Makefile's `bench: all` runs bench/run.sh; these are built first.

BENCH_DIR  = $(BUILD)/bench
BENCH_COLL = $(filter $(BUILD)/collectors/%,$(LIB_OBJ))
BENCH_BIN  = $(BENCH_DIR)/floor $(BENCH_DIR)/collector-bench

.PHONY: bench-tools bench-whatif

bench: bench-tools

bench-tools: $(BENCH_BIN) bench-whatif

$(BENCH_DIR)/floor: bench/floor.c
	@mkdir -p $(dir $@)
	@echo "  CC $@"; $(CC) $(ALL_CFLAGS) -o $@ $<

$(BENCH_DIR)/collector-bench: bench/collector-bench.c $(BENCH_COLL)
	@mkdir -p $(dir $@)
	@echo "  LD $@"; $(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

# A what-if for the sampling-cost note: the same collector built from a copy
# of proctree.c whose thread-file budget is 4096 instead of 384. Skipped,
# without failing, when the constant is no longer written that way.
bench-whatif: bench/collector-bench.c collectors/proctree.c $(BENCH_COLL)
	@mkdir -p $(BENCH_DIR)/whatif
	@if grep -q 'PT_THREAD_FDS_MAX = [0-9]*,' collectors/proctree.c; then \
	  sed 's/PT_THREAD_FDS_MAX = [0-9]*,/PT_THREAD_FDS_MAX = 4096,/' collectors/proctree.c \
	    > $(BENCH_DIR)/whatif/proctree.c && \
	  $(CC) $(ALL_CFLAGS) -Icollectors -o $(BENCH_DIR)/collector-bench-fds \
	    bench/collector-bench.c $(BENCH_DIR)/whatif/proctree.c \
	    $(filter-out %/proctree.o,$(BENCH_COLL)) $(LIBS) || \
	  rm -f $(BENCH_DIR)/collector-bench-fds; \
	else rm -f $(BENCH_DIR)/collector-bench-fds; fi
