#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lay the project over a pristine Linux 6.12.y tree.
#
# usage: prepare-tree.sh <project-root> <tree-dir>
#
# The tree is unpacked from Debian's linux-source-6.12 tarball, our glue
# patches (patches/series) are applied with patch(1), and every file of ours
# under drivers/, include/, Documentation/ and tools/ is symlinked into the
# tree, so editing a file in the project rebuilds incrementally.  When the
# set of patches changes, the old ones are reversed and the new ones
# applied; when an overlaid file disappears from the project the pristine
# file is restored.
set -euo pipefail

top=$(realpath "$1")
tree=$2
tarball=${LINUX_TARBALL:-/usr/src/linux-source-6.12.tar.xz}

die() { echo "prepare-tree: $*" >&2; exit 1; }

[ -f "$tarball" ] || die "$tarball missing (apt-get install linux-source-6.12)"

patch_sum=$( (cd "$top/patches" && cat series $(grep -v '^#' series)) | sha1sum | cut -d' ' -f1)
applied=$tree/.iommu-applied

# Reverse the glue patches applied last time, newest first, so that a new
# set goes onto pristine files without unpacking the whole tree again (which
# would make every object out of date).  Unpack again only if that fails.
unapply() {
	local p
	for p in $(tac "$applied/series" 2>/dev/null); do
		patch -d "$tree" -p1 -R --quiet --force < "$applied/$p" > /dev/null || return 1
	done
	rm -rf "$applied"
}

if [ -d "$tree" ] && [ "$(cat "$tree/.iommu-patches" 2>/dev/null)" != "$patch_sum" ]; then
	echo "prepare-tree: glue patches changed, reapplying"
	if ! unapply; then
		echo "prepare-tree: could not reverse the old patches, unpacking $tree again"
		rm -rf "$tree"
	fi
fi

if [ ! -d "$tree" ]; then
	tmp=$tree.unpack
	rm -rf "$tmp" && mkdir -p "$tmp"
	echo "prepare-tree: unpacking $tarball"
	tar -xJf "$tarball" -C "$tmp"
	mv "$tmp"/linux-source-* "$tree"
	rmdir "$tmp"
	: > "$tree/.iommu-overlay"
fi

if [ "$(cat "$tree/.iommu-patches" 2>/dev/null)" != "$patch_sum" ]; then
	mkdir -p "$applied"
	: > "$applied/series"
	for p in $(grep -v '^#' "$top/patches/series"); do
		echo "prepare-tree: applying $p"
		patch -d "$tree" -p1 --quiet --forward < "$top/patches/$p" ||
			die "patch $p does not apply"
		cp "$top/patches/$p" "$applied/$p"
		echo "$p" >> "$applied/series"
	done
	echo "$patch_sum" > "$tree/.iommu-patches"
fi

# Refuse anything but 6.12.y: our core implements that tree's contract.
ver=$(make -s --no-print-directory -C "$tree" kernelversion 2>/dev/null)
case "$ver" in
6.12.*) ;;
*) die "base tree is Linux $ver, but this project targets 6.12.y only" ;;
esac

# Overlay our files.
cd "$top"
new=$(git ls-files -co --exclude-standard -- drivers include Documentation tools 2>/dev/null ||
      find drivers include Documentation tools -type f)
for f in $new; do
	[ -f "$f" ] || continue
	dst=$tree/$f
	if [ "$(readlink "$dst" 2>/dev/null)" != "$top/$f" ]; then
		mkdir -p "$(dirname "$dst")"
		ln -sfn "$top/$f" "$dst"
	fi
done

# Restore pristine files (or drop ours) that are no longer in the project.
gone=$(comm -13 <(echo "$new" | sort) <(sort "$tree/.iommu-overlay"))
if [ -n "$gone" ]; then
	(cd "$tree" && rm -f $gone)
	# Files that only we had are simply gone; tar skips them.
	tar -xJf "$tarball" -C "$tree" --strip-components=1 --ignore-failed-read \
		$(for f in $gone; do echo "linux-source-6.12/$f"; done) 2>/dev/null || true
fi
echo "$new" > "$tree/.iommu-overlay"

echo "prepare-tree: Linux $ver ready in $tree"
