# The crash-anywhere test at full length: every event boundary and state
# write, with and without the pairs, the first re-run crashed too. `make
# test` runs a bounded set of the same points (tests/e2e/test_crash.py).
.PHONY: test-crash
test-crash: all
	nice python3 tests/e2e/test_crash.py --long
