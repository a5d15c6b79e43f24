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
suite "the end-to-end suite" python3 tests/e2e/run.py
# Make targets that print the same summary lines: the VM tests (real
# kernels under qemu), named by the Makefile.
for target in ${MW_MAKE_SUITES:-}; do
	suite "make $target" make --no-print-directory "$target"
done
rm -f "$out"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
