#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: make-series.sh <project-root> <overlay-tree> <out-dir>
#
# Export our work as a git format-patch series against the pristine 6.12.y
# tree, then prove it: apply it with git am to a fresh copy of the base and
# check that every file it touches is byte for byte what the overlay tree
# that make check builds and tests holds (so "it builds there" is what make
# check already showed).  Commits, in order, each building on its own:
#   1. the conformance suite (+ glue patch 0001)
#   2. our core and the Kconfig choice (+ 0002)
#   3. the documentation and MAINTAINERS entry (+ 0003)
#   4. the QEMU end-to-end tests
set -euo pipefail

top=$(realpath "$1")
overlay=$(realpath "$2")
out=$(realpath -m "$3")
tarball=${LINUX_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
work=$top/build/series
base=$work/base
ident=(-c user.name="IOMMU core team" -c user.email="iommu-core@localhost")

# A git repository of the pristine tree, made once.
if [ ! -d "$base/.git" ]; then
	rm -rf "$base" && mkdir -p "$work"
	tar -xJf "$tarball" -C "$work"
	mv "$work"/linux-source-* "$base"
	git -C "$base" init -q
	git -C "$base" add -A -f
	git "${ident[@]}" -C "$base" commit -q -m "Linux $(make -s -C "$base" kernelversion)"
	git -C "$base" tag base
fi
git -C "$base" checkout -q -f base
git -C "$base" clean -q -fdx
git -C "$base" branch -q -f series base
git -C "$base" checkout -q series

# Apply one glue patch: the patch files carry their message before "---".
glue() {
	patch -d "$base" -p1 --quiet --forward < "$top/patches/$1"
}

# Copy our files under the given paths into the tree.
ours() {
	(cd "$top" && git ls-files -co --exclude-standard -- "$@") | while read -r f; do
		mkdir -p "$base/$(dirname "$f")"
		cp "$top/$f" "$base/$f"
	done
}

commit() {
	git -C "$base" add -A -f
	git "${ident[@]}" -C "$base" commit -q -F -
}

ours drivers/iommu/tests
glue 0001-iommu-hook-conformance-tests-into-kbuild.patch
commit <<'EOF'
iommu: Add a KUnit conformance suite for the IOMMU core

Pin down the contract of the IOMMU core behind include/linux/iommu.h:
probing with several IOMMU drivers registered, groups and their sysfs,
default domain policy, DMA ownership, deferred attach, PASIDs and
map/unmap.  Mock IOMMU drivers registered with iommu_device_register_bus()
on a private bus run beside the real driver of the machine, and every
case asserts on the callbacks the core really made.

Where upstream's core lacks a behaviour the design threads require, the
case is an expected failure on that core only, with the reason, and a
failure there if it ever passes.
EOF

ours drivers/iommu/core
glue 0002-iommu-make-the-core-selectable.patch
commit <<'EOF'
iommu: Add an IOMMU core split by object

Add a core of our own in drivers/iommu/core/, selectable against
drivers/iommu/iommu.c with CONFIG_IOMMU_CORE_OURS (the default) and
exporting the same symbols, one file per object: the registry of IOMMU
instances, device probe, groups and their sysfs, domains and the default
domain policy, attach (the one place a group changes domain), the owner
state machine, PASIDs, map/unmap and reserved regions.

Devices without a firmware spec are offered to every instance registered
without a fwnode, each distinct ops once; deferred attach applies to the
default domain only; there is no detach callback; PASID entries are
published fully formed and looked up by the fault path without the group
mutex.
EOF

if [ -f "$top/patches/0003-docs-iommu-document-the-core.patch" ]; then
	ours Documentation/driver-api/iommu-core.rst
	glue 0003-docs-iommu-document-the-core.patch
	commit <<'EOF'
docs: iommu: Document the IOMMU core

Describe the object model, the owner state machine, the lock order and how
the design requirements are met, and add a MAINTAINERS entry for the new
files.
EOF
fi

ours tools/testing/iommu
commit <<'EOF'
selftests: iommu: Add QEMU end-to-end tests for the IOMMU core

Boot a kernel on QEMU q35 behind an emulated Intel VT-d with edu DMA
devices, one alone in its group and two sharing one behind a PCIe-to-PCI
bridge, and test the core from user space and from a kernel module: VFIO
container and cdev + iommufd round trips, DMA to unmapped IOVAs blocked,
group ownership against kernel drivers, iommu_attach_device() refused on
a shared group.
EOF

rm -rf "$out" && mkdir -p "$out"
git -C "$base" format-patch -q -o "$out" base..series
echo "make-series: $(ls "$out" | wc -l) patches in $out"

# Prove the series: git am onto the base, compare with the overlay tree.
git -C "$base" checkout -q -B check base
git "${ident[@]}" -C "$base" am -q "$out"/*.patch
bad=0
for f in $(git -C "$base" diff --name-only base..check); do
	if ! cmp -s "$base/$f" "$overlay/$f"; then
		echo "make-series: $f differs from the tested tree" >&2
		bad=1
	fi
done
git -C "$base" checkout -q series
[ $bad = 0 ] || exit 1
echo "make-series: git am applies the series; the result is the tree make check builds"
