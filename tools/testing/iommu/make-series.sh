#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: make-series.sh [--check <results>] <project-root> <overlay-tree> <out-dir>
#
# Export our work as a git format-patch series against the pristine 6.12.y
# tree, then prove it: apply it with git am to a fresh copy of the base and
# check that every file it touches is byte for byte what the overlay tree
# that make check builds and tests holds (so "it builds there" is what make
# check already showed), and that checkpatch.pl --strict finds nothing in
# any patch beyond the documented exceptions (checkpatch-exceptions).
# Commits, in order, each building on its own:
#   1. the conformance suite (+ glue patch 0001)
#   2. our core and the Kconfig choice (+ 0002)
#   3. the documentation and MAINTAINERS entry (+ 0003)
#   4. the QEMU end-to-end tests
#
# The series is authored and signed off by whoever sends it: git config
# user.name and user.email of the project, or SERIES_IDENT="Name <email>"
# in their place.  With neither the script stops; it never makes one up.
#
# Without --check (make series): the patches, a cover letter (patch 0000:
# what the series is, how it differs from upstream's core, the measured
# results, how to test it, get_maintainer.pl's recipients) and the base it
# was made against (format-patch --base).  Exits non-zero if a check fails.
#
# With --check <results> (make check): only the cheap part, the patches
# without a cover letter and the checks, one result line per patch and one
# for git am, written to <results>.
set -euo pipefail

results=
if [ "${1:-}" = --check ]; then
	results=$(realpath -m "$2")
	shift 2
fi
top=$(realpath "$1")
overlay=$(realpath "$2")
out=$(realpath -m "$3")
tarball=${LINUX_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
work=$top/build/series
base=$work/base
exceptions=$top/tools/testing/iommu/checkpatch-exceptions
am_result=series/applies-reproduces-tree

# In --check mode every way out leaves a result line: a step that stops
# the script fails the git am result with the reason.
stopped="make-series.sh stopped"
if [ -n "$results" ]; then
	mkdir -p "$(dirname "$results")"
	: > "$results"
	trap 'grep -q "^[A-Z]* $am_result" "$results" ||
		echo "FAIL $am_result: $stopped" >> "$results"' EXIT
fi
die() {
	stopped=$*
	echo "make-series: $*" >&2
	exit 1
}
result() {
	echo "$1"
	if [ -n "$results" ]; then
		echo "$1" >> "$results"
	fi
}

# The sender: author, committer and Signed-off-by of every commit.
if [ -n "${SERIES_IDENT:-}" ]; then
	ident=$SERIES_IDENT
else
	name=$(git -C "$top" config user.name || true)
	email=$(git -C "$top" config user.email || true)
	ident=${name:+${email:+$name <$email>}}
fi
re='^([^<>]*[^<> ]) <([^<> ]+@[^<> ]+)>$'
if ! [[ $ident =~ $re ]]; then
	die "no sender identity${ident:+ in \"$ident\"}: the series is authored and" \
		"signed off by whoever sends it; set git config user.name and" \
		"user.email, or SERIES_IDENT=\"Your Name <you@example.org>\""
fi
export GIT_AUTHOR_NAME=${BASH_REMATCH[1]} GIT_AUTHOR_EMAIL=${BASH_REMATCH[2]}
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
echo "make-series: sender $GIT_AUTHOR_NAME <$GIT_AUTHOR_EMAIL>"

# A git repository of the pristine tree, imported once per tarball: the
# tree object is tagged "import".
[ -f "$tarball" ] || die "$tarball missing (apt-get install linux-source-6.12)"
stamp="$(stat -c '%s %Y' "$tarball") $tarball"
if [ ! -d "$base/.git" ] || [ "$(cat "$work/base.stamp" 2>/dev/null)" != "$stamp" ]; then
	echo "make-series: importing $tarball"
	rm -rf "$base" "$work/base.stamp" "$work"/linux-source-* && mkdir -p "$work"
	tar -xJf "$tarball" -C "$work"
	mv "$work"/linux-source-* "$base"
	git -C "$base" init -q
	git -C "$base" add -A -f
	git -C "$base" tag import "$(git -C "$base" write-tree)"
	echo "$stamp" > "$work/base.stamp"
fi

# The base commit, which format-patch --base records: the imported tree,
# dated as the tarball, so that one sender's series always name the same.
version=$(make -s -C "$base" kernelversion)
pkg=$(dpkg-query -S "$tarball" 2>/dev/null | cut -d: -f1) || true
pkg_version=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null) || true
origin="${pkg:-$(basename "$tarball")}${pkg_version:+ $pkg_version}"
base_commit=$(GIT_AUTHOR_DATE="@$(stat -c %Y "$tarball") +0000" \
	GIT_COMMITTER_DATE="@$(stat -c %Y "$tarball") +0000" \
	git -C "$base" commit-tree import -F - <<EOF
Linux $version

The tree of $origin, unpacked from
$tarball and imported by the project's make-series.sh
as the base of the series.
EOF
)
[ -d "$base/.git/rebase-apply" ] && git -C "$base" am --abort
git -C "$base" tag -f base "$base_commit" > /dev/null
git -C "$base" checkout -q -f -B series base
git -C "$base" clean -q -fdx

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

# Commit everything with the message on stdin, signed off by the sender.
commit() {
	git -C "$base" add -A -f
	git -C "$base" commit -q -s -F -
}

ours drivers/iommu/tests
glue 0001-iommu-hook-conformance-tests-into-kbuild.patch
commit <<'EOF'
iommu: Add a KUnit conformance suite for the IOMMU core

IOMMU drivers, VFIO, iommufd and dma-iommu rely on the contract of the
IOMMU core behind include/linux/iommu.h, but nothing tests it as a
whole: probing with several IOMMU drivers registered, groups and their
sysfs, default domain policy, DMA ownership, deferred attach, PASIDs and
map/unmap are checked only on whatever hardware a change is tried on.
So a change to the core, or a second implementation of it, cannot show
that it keeps the contract.

Add a KUnit suite for it.  Mock IOMMU drivers registered with
iommu_device_register_bus() on a private bus run beside the real driver
of the machine, and every case asserts on the callbacks the core really
made, so that the suite tests the interface and not the internals of a
core.

Where upstream's core lacks a behaviour the design threads require, the
case is an expected failure on that core only, with the reason, and a
failure there if it ever passes, so that the mark is looked at again.
EOF

ours drivers/iommu/core
glue 0002-iommu-make-the-core-selectable.patch
commit <<'EOF'
iommu: Add an IOMMU core split by object

drivers/iommu/iommu.c keeps the whole core in one file, where the state
of groups, domains, DMA ownership and PASIDs is changed from many paths.
The problems of five linux-iommu threads (deferred attach, DMA ownership
of multi-device groups, the right iommu_ops for a device, the retired
detach callback, PASIDs and the fault path) come from that: a rule that
one path keeps and another does not.

Add a core of our own in drivers/iommu/core/, one file per object, so
that each object's rules are kept in one place: the registry of IOMMU
instances, device probe, groups and their sysfs, domains and the default
domain policy, attach (the one place a group changes domain), the owner
state machine, PASIDs, map/unmap and reserved regions.  It is selectable
against iommu.c with CONFIG_IOMMU_CORE_OURS (the default) and exports
the same symbols, so that drivers and modules work with either and the
conformance suite runs on both.

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

The rules the new core keeps (who may move a group and how, the lock
order, what the fault path reads without the group mutex) span several
files, and reviewers and driver authors need them in one place.

Describe the object model, the owner state machine, the lock order, how
the design requirements are met and where the core deliberately differs
from iommu.c, and add a MAINTAINERS entry for the new files so that
get_maintainer.pl finds who to ask.
EOF
fi

ours drivers/iommu/dma Documentation/driver-api/iommu-dma.rst
glue 0004-iommu-make-the-dma-layer-selectable.patch
commit <<'EOF'
iommu/dma: Add a DMA-IOMMU layer and IOVA allocator of our own

Every DMA API call of a device behind an IOMMU goes through dma-iommu.c
and iova.c, and that is where an IOMMU costs performance: an irq-saving
spinlock on every IOVA cache get and put, caches only up to 128 KiB
while NVMe and RDMA map up to 2 MiB, and a page-table walk on every
unmap.

Add a layer of our own in drivers/iommu/dma/, one file per concern
(cookies and domain set-up, the IOVA allocator, streaming maps,
allocations, the flush queue, swiotlb bouncing, MSI doorbells), behind
the unchanged include/linux/iommu-dma.h, include/linux/iova.h and
drivers/iommu/dma-iommu.h.  Per-CPU IOVA caches up to 2 MiB are
protected by disabling interrupts on their own CPU only, unmap walks
the page table only where a bounce buffer may be involved, and lazy
domains queue IOVAs on per-CPU flush queues.  It is selectable against
upstream's files with CONFIG_IOMMU_DMA_LAYER_OURS (the default),
independently of the core, and exports the same symbols, so that vDPA,
host1x, Tegra DRM and the Intel IPU drivers keep using the IOVA
allocator unchanged.
EOF

ours tools/testing/iommu
commit <<'EOF'
selftests: iommu: Add QEMU end-to-end tests for the IOMMU core

The KUnit suite drives the core through mock IOMMU drivers.  Whether the
real drivers, VFIO and iommufd work on it needs a machine with an IOMMU,
and QEMU emulates several, so that CI can run them without hardware.

Boot a kernel under QEMU behind each IOMMU it emulates (Intel VT-d in
legacy and scalable mode, AMD-Vi, virtio-iommu; Arm SMMUv3 and
virtio-iommu on arm64) with edu DMA devices, one alone in its group and
two sharing one, and test the core from user space and from a kernel
module: VFIO container and cdev + iommufd round trips, DMA to unmapped
IOVAs blocked, group ownership against kernel drivers,
iommu_attach_device() refused on a shared group.  A build-only check
covers the 32-bit Exynos IOMMU and its legacy ARM DMA path, which QEMU
does not emulate.
EOF

nr=$(git -C "$base" rev-list --count base..series)
rm -rf "$out" && mkdir -p "$out"
git -C "$base" format-patch -q -o "$out" base..series
echo "make-series: $nr patches in $out"

# Prove the series: git am onto the base, compare with the overlay tree.
am_ok=0
git -C "$base" checkout -q -B check base
if ! git -C "$base" am -q "$out"/*.patch > "$work/am.log" 2>&1; then
	git -C "$base" am --abort
	result "FAIL $am_result: git am: $(grep -m1 -i 'error\|failed' "$work/am.log")"
else
	differ=
	for f in $(git -C "$base" diff --name-only base..check); do
		cmp -s "$base/$f" "$overlay/$f" || differ="$differ $f"
	done
	if [ -n "$differ" ]; then
		result "FAIL $am_result: differ from the tested tree:$differ"
	else
		result "PASS $am_result"
		am_ok=1
	fi
fi

# checkpatch --strict on one patch: the findings that are not documented
# exceptions, one a line.
checkpatch() {
	{ "$base/scripts/checkpatch.pl" --strict --no-tree --terse --showfile \
		--show-types "$1" 2>&1 || true; } |
	awk -v exc="$exceptions" '
	BEGIN {
		while ((getline l < exc) > 0)
			if (l !~ /^#/ && split(l, a, " ") >= 2) {
				n++; file[n] = a[1]; type[n] = a[2]
			}
	}
	/^total: / || /^$/ { next }
	{
		f = $0; sub(/:.*/, "", f)
		t = ""
		if (match($0, /(ERROR|WARNING|CHECK):[A-Z0-9_]+:/))
			t = substr($0, RSTART, RLENGTH - 1)
		sub(/^[A-Z]+:/, "", t)
		for (i = 1; i <= n; i++)
			if (t == type[i] && (f == file[i] ||
			    (file[i] ~ /\/$/ && index(f, file[i]) == 1)))
				next
		print
	}'
}

# The recipients: get_maintainer.pl in the tree the series applied to,
# from MAINTAINERS only (the base repository's history is one commit).
recipients() {
	(cd "$base" && ./scripts/get_maintainer.pl --no-git --no-git-fallback \
		"$out"/*.patch)
}

# Wrap the lines of stdin longer than 72 columns; a line "<indent>- <text>"
# wraps under <text>.
wrap() {
	awk 'length($0) <= 72 { print; next }
	{
		match($0, /^ *(- )?/); ind = RLENGTH
		pad = sprintf("%*s", ind, ""); line = substr($0, 1, ind)
		len = ind; nw = split(substr($0, ind + 1), w, " ")
		for (i = 1; i <= nw; i++) {
			if (len > ind && len + 1 + length(w[i]) > 72) {
				print line; line = pad; len = ind
			}
			if (len > ind) { line = line " "; len++ }
			line = line w[i]; len += length(w[i])
		}
		print line
	}'
}

# The requirements and the deliberate differences, from the documentation
# the series carries: each seed with its thread, and each difference.
doc=$top/Documentation/driver-api/iommu-core.rst
seeds() {
	awk '/^Seed [0-9]+: / { s = $0; next }
	     s && /^\*"/ { t = $0; sub(/^\*/, "", t); sub(/\.\*.*/, "", t)
			   print "- " s ": " t; s = "" }' "$doc" | wrap
}
differences() {
	awk '/^Differences from upstream/ { on = 1; next }
	     on && /^Files$/ { exit }
	     on && /^[A-Z]/ && !/^Behaviour/ { print "- " $0 }' "$doc" |
		sed 's/\*(KUnit)\*/(KUnit)/; s/``//g' | wrap
}

# The IOMMU matrix table of README.md: each row with upstream's and our
# result, then what it runs.
matrix() {
	awk -F' *\\| *' '/^### The IOMMU matrix/ { on = 1; next }
		on && /^\| `/ { gsub(/`/, ""); sub(/, below\)/, ")"); n++
				 printf "  %-20s %-28s %s\n", $2, $5, $6
				 printf "      %s: %s\n", $3, $4 }
		on && n && !/^\|/ { exit }' "$top/README.md" | wrap
}

cover() {
	cat <<EOF
iommu: An IOMMU core split by object, with a conformance suite

This series adds a second implementation of the IOMMU core, the layer
drivers/iommu/iommu.c holds today (probing, groups, default, blocking
and identity domains, DMA ownership, deferred attach, the per-group
PASID table, map/unmap), behind the unchanged include/linux/iommu.h,
with a KUnit suite for the contract of that layer, which runs on both
cores, and QEMU end-to-end tests.  The core is chosen at build time:
CONFIG_IOMMU_CORE_OURS (the default) or CONFIG_IOMMU_CORE_UPSTREAM,
which builds iommu.c as before.  Both export the same symbols with the
same kind and namespace, so vendor drivers, VFIO, iommufd and modules
work with either; the rest of drivers/iommu/ is unchanged.

$(echo "It applies to Linux $version; it was made against the tree of" \
	"$origin, which base-commit below names as imported by the" \
	"project's make-series.sh." | wrap)

Patch 1 adds the conformance suite, patch 2 the core and the Kconfig
choice, patch 3 the documentation and a MAINTAINERS entry, patch 4 the
QEMU end-to-end tests.

What the core must do
=====================

Five linux-iommu threads are its requirements, cited as seeds in the
code and in Documentation/driver-api/iommu-core.rst, which says how
each is met:

$(seeds)

Where it differs from iommu.c on purpose
========================================

Behaviours where the core deliberately differs from iommu.c of 6.12.y,
mostly stricter; those marked (KUnit) are expected failures of the
conformance suite on iommu.c.  The documentation's "Differences from
upstream's iommu.c" says what each one is and why:

$(differences)

Results
=======

The matrix table of the project's README.md, as make check measured it
(QEMU 7.2 under TCG, Debian 12): each row on upstream's core and on
ours.  The KUnit rows count the cases of the conformance suite; an
expected failure is a behaviour a seed requires that iommu.c lacks.

  row                  upstream                     ours
$(matrix)

Every test kernel runs with lockdep, DEBUG_ATOMIC_SLEEP and KASAN, and
any warning, BUG, lockdep or KASAN report fails the run.  The module of
the end-to-end tests that runs on our core is built against upstream's
kernel, and the exports of the two kernels are compared.

How to test it
==============

In the project this series is made from, "make check" builds a kernel
with each core for x86_64 and arm64, runs the conformance suite and the
end-to-end tests on both, builds the ARM32 Exynos row, runs checkpatch
--strict, kernel-doc and sparse on the new code and checks that this
series applies and reproduces the tested tree.  Its last line is
"N passed, N failed".  In a tree with the series applied, the suite
runs with:

  tools/testing/kunit/kunit.py run --arch=x86_64 \\
    --kunitconfig=tools/testing/iommu/configs/common.config \\
    --kunitconfig=tools/testing/iommu/configs/x86_64.config \\
    --qemu_config=tools/testing/iommu/qemu_configs/x86_64_vtd.py

Recipients
==========

scripts/get_maintainer.pl on the series, in the tree it applied to:

$(recipients | sed 's/ (\(.*\))$/\n      (\1)/; s/^/  /')
EOF
}

if [ -z "$results" ]; then
	git -C "$base" config branch.series.description "$(cover)"
	rm -rf "$out" && mkdir -p "$out"
	git -C "$base" format-patch -q -o "$out" --cover-letter \
		--cover-from-description=subject --base=base base..series
	echo "make-series: cover letter and base-commit $base_commit" \
		"(Linux $version) added"
fi
git -C "$base" checkout -q series

clean=1
for p in "$out"/*.patch; do
	n=$(basename "$p" | cut -c1-4)
	findings=$(checkpatch "$p")
	if [ -n "$findings" ]; then
		echo "$findings" | sed "s/^/make-series: $n: /" >&2
		result "FAIL series/checkpatch-$n: $(echo "$findings" | head -1)"
		clean=0
	else
		result "PASS series/checkpatch-$n"
	fi
done
[ -n "$results" ] && exit 0
[ $am_ok = 1 ] || die "the series does not reproduce the tested tree, above"
[ $clean = 1 ] || die "checkpatch --strict has findings, above"
echo "make-series: git am applies the series; the result is the tree make check" \
	"builds; checkpatch --strict is clean on every patch"
