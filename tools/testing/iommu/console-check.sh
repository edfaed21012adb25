#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: console-check.sh <console-log> <name>
#
# Scan a guest console log for kernel reports that fail a run whatever the
# tests said: warnings, BUGs (KASAN reports start with "BUG: KASAN"),
# lockdep splats, sleeping-in-atomic reports, oopses and panics.  Prints one
# result line, "PASS <name>" or "FAIL <name>: <first report>", and exits 1
# on a report.
log=$1
name=$2
# Lockdep reports are matched by their headlines, not by the word "lockdep",
# which the boot banner ("RCU lockdep checking is enabled") also prints.
pattern='WARNING:|BUG:|Oops|Kernel panic|Call Trace:|UBSAN:|kernel BUG'
pattern+='|possible circular locking|possible recursive locking'
pattern+='|inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON'
pattern+='|INFO: lockdep is turned off|INFO: task .* blocked for more than'
hit=$(grep -E -m1 "$pattern" "$log" 2>/dev/null)
if [ -n "$hit" ]; then
	echo "FAIL $name: $(echo "$hit" | sed 's/^\[[ 0-9.]*\] //' | cut -c1-160)"
	exit 1
fi
echo "PASS $name"
