#!/bin/sh
# Runs every test suite and ends with one line: "N passed, N failed".
# Unit suites are cmocka programs (given as arguments); the end-to-end suite
# is tests/e2e/run.py, which drives the real binary on real processes.
set -u
cd "$(dirname "$0")/.." || exit 1
passed=0
failed=0
e2e_only=0
[ "${1:-}" = "--e2e-only" ] && { e2e_only=1; shift; }

count() {   # count FILE: adds cmocka's summary lines of FILE to the totals
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$1" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$1" | awk '{s+=$1} END {print s+0}')
	passed=$((passed + p))
	failed=$((failed + f))
}

out=$(mktemp)
# suite WHAT COMMAND...: runs a suite, shows and counts its summary lines; a
# suite that crashed prints no summary: count it as a failure
suite() {
	what=$1
	shift
	"$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	count "$out"
	if [ $rc -ne 0 ] && ! grep -q '^\[  FAILED  \]' "$out"; then
		echo "[  FAILED  ] 1 test(s): $what exited with status $rc"
		failed=$((failed + 1))
	fi
}
if [ $e2e_only = 0 ]; then
	for t in "$@"; do
		suite "$t" "$t"
	done
fi
# Make targets that print the same summary lines: the VM tests (real
# kernels under qemu), named by the Makefile. They run one after the other
# in the background, beside the end-to-end suite: qemu keeps one core busy
# while the end-to-end tests mostly wait on their processes.
bg_out=$(mktemp)
bg_rc=$(mktemp)
(
	for target in ${MW_MAKE_SUITES:-}; do
		t_out=$(mktemp)
		make --no-print-directory "$target" >"$t_out" 2>&1
		echo "$target $?" >>"$bg_rc"
		cat "$t_out" >>"$bg_out"
		rm -f "$t_out"
	done
) &
bg_pid=$!
# Two modules at a time (tests/e2e/run.py --parallel).
suite "the end-to-end suite" python3 tests/e2e/run.py --parallel "${MW_E2E_PARALLEL:-2}"
wait "$bg_pid"
cat "$bg_out"
count "$bg_out"
while read -r target rc; do
	if [ "$rc" -ne 0 ] && ! grep -q '^\[  FAILED  \]' "$bg_out"; then
		echo "[  FAILED  ] 1 test(s): make $target exited with status $rc"
		failed=$((failed + 1))
	fi
done <"$bg_rc"
rm -f "$bg_out" "$bg_rc"
rm -f "$out"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
