#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: summary.sh <results-dir>
#
# Every test step writes <results-dir>/*.results, one line per test:
#   PASS <name>                passed
#   XFAIL <name>: <reason>     a known gap of upstream's core, as expected
#   FAIL <name>: <reason>      failed (also: a step that could not run)
#   XPASS <name>: <reason>     expected to fail but passed: the contract
#                              or the known gap changed, look at it
# Prints the failures, then the totals; the last line is "N passed, N failed".
# Exits non-zero when anything failed or nothing ran.
dir=$1
cat "$dir"/*.results 2>/dev/null > "$dir/all.txt"
pass=$(grep -c '^PASS ' "$dir/all.txt")
xfail=$(grep -c '^XFAIL ' "$dir/all.txt")
fail=$(grep -c -E '^(FAIL|XPASS) ' "$dir/all.txt")

echo
echo "==== results ===="
for f in "$dir"/*.results; do
	[ -e "$f" ] || continue
	printf '%-28s %4d passed, %2d expected failures, %2d failed\n' \
		"$(basename "$f" .results)" "$(grep -c '^PASS ' "$f")" \
		"$(grep -c '^XFAIL ' "$f")" "$(grep -c -E '^(FAIL|XPASS) ' "$f")"
done
grep '^XFAIL ' "$dir/all.txt" | sed 's/^/  expected: /'
grep -E '^(FAIL|XPASS) ' "$dir/all.txt" | sed 's/^/  /'
total_pass=$((pass + xfail))
[ "$total_pass" -gt 0 ] || fail=$((fail + 1))
echo "$total_pass passed, $fail failed"
[ "$fail" -eq 0 ]
