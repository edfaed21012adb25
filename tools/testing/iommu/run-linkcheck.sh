#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: run-linkcheck.sh <tree> <kdir> <out-prefix> <fragment>...
#
# Build-only check that the rest of the tree builds and links with our
# core: merge the config fragments (later ones win), require every option
# the fragments ask for to survive olddefconfig, then build vmlinux and the
# modules; modpost fails the build on any import our core does not export.
tree=$(realpath "$1")
kdir=$(realpath -m "$2")
out=$(realpath -m "$3")
shift 3
name=$(basename "$out")
jobs=${JOBS:-$(nproc)}
: > "$out.results"
mkdir -p "$kdir"

"$tree/scripts/kconfig/merge_config.sh" -m -O "$kdir" "$@" > "$out.log" 2>&1 &&
	make -s -C "$tree" O="$kdir" ARCH=x86_64 olddefconfig >> "$out.log" 2>&1
missing=$(cat "$@" | grep -h '^CONFIG_' | sort -u | while read -r opt; do
	grep -qx "$opt" "$kdir/.config" || echo "$opt"
done | tr '\n' ' ')
# A fragment that sets an option both ways resolves to the later value.
missing=$(for opt in $missing; do
	want=$(grep -h "^${opt%%=*}=" "$@" | tail -1)
	[ "$want" = "$opt" ] && echo "$opt"
done | tr '\n' ' ')
if [ -n "$missing" ]; then
	echo "FAIL $name/config: not set after olddefconfig: $missing" >> "$out.results"
else
	echo "PASS $name/config" >> "$out.results"
fi

if make -C "$tree" O="$kdir" ARCH=x86_64 CC="ccache gcc" -j"$jobs" all \
		>> "$out.log" 2>&1; then
	echo "PASS $name/build ($(find "$kdir" -name '*.ko' | wc -l) modules)" >> "$out.results"
else
	echo "FAIL $name/build: $(grep -m1 -E 'error|ERROR' "$out.log")" >> "$out.results"
	tail -30 "$out.log"
fi
cat "$out.results"
! grep -q '^FAIL' "$out.results"
