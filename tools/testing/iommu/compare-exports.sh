#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: compare-exports.sh <upstream O= dir> <ours O= dir> <out-prefix>
#
# Every symbol upstream's core exports, ours must export too, with the same
# kind (EXPORT_SYMBOL, _GPL) and namespace, so that modules built against
# one load against the other.  Compares the Module.symvers of the two
# builds (same config but for the core) and writes one result line.
up=$1/Module.symvers
ours=$2/Module.symvers
out=$3
name=$(basename "$out")
if [ ! -s "$up" ] || [ ! -s "$ours" ]; then
	echo "FAIL $name: Module.symvers missing (did both kernels build?)" > "$out.results"
	cat "$out.results"
	exit 1
fi
# Module.symvers: <crc> <symbol> <module> <export kind> <namespace>
awk '{ print $2, $4, $5 }' "$up" | sort > "$out.upstream"
awk '{ print $2, $4, $5 }' "$ours" | sort > "$out.ours"
if diff -u "$out.upstream" "$out.ours" > "$out.diff"; then
	echo "PASS $name ($(wc -l < "$out.ours") exports identical)" > "$out.results"
else
	echo "FAIL $name: $(grep -c '^[-+][^-+]' "$out.diff") lines differ, see $out.diff" \
		> "$out.results"
fi
cat "$out.results"
! grep -q '^FAIL' "$out.results"
