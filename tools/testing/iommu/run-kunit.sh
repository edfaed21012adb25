#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: run-kunit.sh <tree> <out-prefix> <kunit.py run arguments...>
#
# Build and run the KUnit conformance suite with kunit.py under QEMU, then
# write <out-prefix>.results (one line per case, see summary.sh), including
# a verdict on the console: any warning, BUG, lockdep or KASAN report fails.
tree=$1
out=$2
shift 2
here=$(dirname "$(realpath "$0")")
kdir=
for a in "$@"; do
	case "$a" in --build_dir=*) kdir=${a#--build_dir=} ;; esac
done
name=$(basename "$out")

rm -f "$kdir/test.log"
(cd "$tree" && timeout 3600 python3 tools/testing/kunit/kunit.py run --timeout=1200 "$@") \
	2>&1 | tee "$out.log"
rc=${PIPESTATUS[0]}

if [ ! -s "$kdir/test.log" ]; then
	echo "FAIL $name/build: kunit.py exited $rc before the kernel ran (see $out.log)" \
		> "$out.results"
	tail -40 "$out.log"
	exit 1
fi
cp "$kdir/test.log" "$out.console"
"$here/ktap-results.py" "$out.console" "$name" > "$out.results"
"$here/console-check.sh" "$out.console" "$name/console-clean" >> "$out.results"
! grep -q -E '^(FAIL|XPASS) ' "$out.results"
