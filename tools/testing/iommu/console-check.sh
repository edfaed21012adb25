#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: console-check.sh <console-log> <name>
#
# Scan a guest console log for kernel reports that fail a run whatever the
# tests said: warnings, BUGs (KASAN reports start with "BUG: KASAN"),
# lockdep splats, sleeping-in-atomic reports, DMA API debugging reports,
# oopses and panics.  Prints one result line, "PASS <name>" or
# "FAIL <name>: <first report>", and exits 1 on a report.
log=$1
name=$2
# Lockdep reports are matched by their headlines, not by the word "lockdep",
# which the boot banner ("RCU lockdep checking is enabled") also prints.
pattern='WARNING:|BUG:|Oops|Kernel panic|Call Trace:|UBSAN:|kernel BUG'
pattern+='|possible circular locking|possible recursive locking'
pattern+='|inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON'
pattern+='|INFO: lockdep is turned off|INFO: task .* blocked for more than'
# DMA API debugging (kernel/dma/debug.c, 6.12) prefixes every line with
# "DMA-API: ".  Its reports of a driver's misuse come inside a WARNING, but
# others do not: "cacheline tracking ENOMEM, dma-debug disabled",
# "debugging out of memory - disabling", "... debug entries requested but
# only ... allocated" stop or weaken the checking, and with them the run
# would pass unchecked.  So any such line fails, except the notes it
# prints when all is well: at boot, and when its entry pool grows.
pattern+='|DMA-API: '
dma_api_notes='DMA-API: (preallocated [0-9]+ debug entries$|debugging enabled by kernel config$'
dma_api_notes+='|dma_debug_entry pool grown to [0-9]+ \([0-9]+%\)$)'
hit=$(tr -d '\r' 2>/dev/null < "$log" | grep -E "$pattern" |
	grep -v -E "$dma_api_notes" | head -n 1)
if [ -n "$hit" ]; then
	echo "FAIL $name: $(echo "$hit" | sed 's/^\[[ 0-9.]*\] //' | cut -c1-160)"
	exit 1
fi
echo "PASS $name"
