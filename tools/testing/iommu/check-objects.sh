#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: check-objects.sh <upstream O= dir> <ours O= dir> <out-prefix>
#
# The two kernels link the implementation their configuration chose and
# nothing of the other: upstream's has iommu.o, dma-iommu.o and iova.o
# and none of drivers/iommu/{core,dma}/; ours has every object of those
# two directories and none of the three upstream files.  Read from the
# thin archive drivers/iommu/built-in.a of each build (the objects
# vmlinux links).  One result line per kernel.
up=$1
ours=$2
out=$3
name=$(basename "$out")
upstream_objs="drivers/iommu/iommu.o drivers/iommu/dma-iommu.o drivers/iommu/iova.o"
src=$(realpath "$(dirname "$0")/../../..")
our_objs=$(cd "$src" && printf '%s\n' drivers/iommu/core/*.c drivers/iommu/dma/*.c |
	sed 's/c$/o/')

# A thin archive lists its members by their path from where ar runs
has() { grep -qE "(^|/)$1\$"; }

# check <O= dir> <label> <objects that must be there> <objects that must not>
check() {
	local list missing extra o

	if ! list=$(ar t "$1/drivers/iommu/built-in.a" 2>/dev/null); then
		echo "FAIL $name-$2: $1/drivers/iommu/built-in.a missing"
		return
	fi
	missing=$(for o in $3; do has "$o" <<< "$list" || echo "$o"; done | tr '\n' ' ')
	extra=$(for o in $4; do has "$o" <<< "$list" && echo "$o"; done | tr '\n' ' ')
	if [ -n "$missing$extra" ]; then
		echo "FAIL $name-$2:${missing:+ missing $missing}${extra:+ unexpected $extra}"
	else
		echo "PASS $name-$2"
	fi
}
{
	check "$up" upstream "$upstream_objs" "$our_objs"
	check "$ours" ours "$our_objs" "$upstream_objs"
} > "$out.results"
cat "$out.results"
! grep -q '^FAIL' "$out.results"
