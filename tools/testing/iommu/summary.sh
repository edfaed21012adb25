#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: summary.sh <results-dir> [<row>...]
#
# Every test step writes <results-dir>/*.results, one line per test:
#   PASS <name>                passed
#   PASS <name>: not checked: <what>: <why>
#                              passed, but <what> cannot be checked here
#   PASS <name>: faults injected: <n>
#                              passed with <n> allocations failed on
#                              purpose (the fail-nth tests), added up in
#                              the totals
#   XFAIL <name>: <reason>     a known gap of upstream's core, as expected
#   FAIL <name>: <reason>      failed (also: a step that could not run)
#   XPASS <name>: <reason>     expected to fail but passed: the contract
#                              or the known gap changed, look at it
# Each <row> is a target of the matrix both cores run: its results are
# <row>-upstream.results and <row>-ours.results, and a row that wrote none
# on a core counts as a failure.  Prints the matrix, the failures, then the
# totals; the last line is "N passed, N failed".
# Exits non-zero when anything failed or nothing ran.
dir=$1
shift
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

# Row state on one core: passed, FAILED, or not run.
row_state() {
	local f=$dir/$1-$2.results

	if [ ! -s "$f" ]; then
		echo "not run"
	elif grep -q -E '^(FAIL|XPASS) ' "$f"; then
		echo FAILED
	else
		echo passed
	fi
}
if [ $# -gt 0 ]; then
	echo
	printf '%-28s %-10s %s\n' matrix upstream ours
	for row in "$@"; do
		up=$(row_state "$row" upstream)
		ours=$(row_state "$row" ours)
		printf '%-28s %-10s %s\n' "$row" "$up" "$ours"
		[ "$up" = "not run" ] && fail=$((fail + 1))
		[ "$ours" = "not run" ] && fail=$((fail + 1))
	done
	echo
fi
grep '^XFAIL ' "$dir/all.txt" | sed 's/^/  expected: /'
grep -E '^PASS [^ ]+: not checked: ' "$dir/all.txt" | sed 's/^PASS /  partial: /'
grep -E '^(FAIL|XPASS) ' "$dir/all.txt" | sed 's/^/  /'
total_pass=$((pass + xfail))
[ "$total_pass" -gt 0 ] || fail=$((fail + 1))
faults=$(sed -n 's/^PASS [^ ]*: faults injected: \([0-9]*\)$/\1/p' "$dir/all.txt" |
	awk '{ n += $1 } END { print n + 0 }')
[ "$faults" -gt 0 ] && echo "faults injected: $faults"
echo "$total_pass passed, $fail failed"
[ "$fail" -eq 0 ]
