#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: get-busybox.sh <arch> <dir>
#
# Put a static busybox for the guest architecture <arch> (Debian's name:
# arm64) in <dir>/bin/busybox, for the initramfs of the end-to-end tests:
# Debian's busybox-static:<arch> unpacked with dpkg-deb, nothing installed.
# Adds <arch> to dpkg's foreign architectures and refreshes the package
# lists the first time (needs root).  Does nothing when <dir> already has
# it, so that `make deps` can call it every time.
set -euo pipefail

arch=$1
dir=$2
bin=$dir/bin/busybox

die() { echo "get-busybox: $*" >&2; exit 1; }

# The ELF machine (e_machine, little endian) of each architecture we boot.
case "$arch" in
arm64) em=b700 ;;	# EM_AARCH64
*) die "unknown architecture $arch" ;;
esac

elf_machine() {
	# e_machine, bytes 18-19 of the ELF header, little endian
	od -An -tx1 -j18 -N2 "$1" 2>/dev/null | tr -d ' \n'
}

[ "$(elf_machine "$bin")" = "$em" ] && exit 0

if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
	echo "get-busybox: adding $arch to dpkg's architectures"
	dpkg --add-architecture "$arch"
	apt-get update -qq
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt-get download runs as _apt: give it a directory it may write to.
chmod 0777 "$tmp"
if ! (cd "$tmp" && apt-get download -qq "busybox-static:$arch") 2>/dev/null; then
	apt-get update -qq
	(cd "$tmp" && apt-get download -qq "busybox-static:$arch") ||
		die "apt-get download busybox-static:$arch failed"
fi
debs=("$tmp"/busybox-static_*_"$arch".deb)
deb=${debs[0]}
[ -f "$deb" ] || die "no busybox-static_*_$arch.deb downloaded"

rm -rf "$dir.new"
mkdir -p "$dir.new"
dpkg-deb -x "$deb" "$dir.new"
[ "$(elf_machine "$dir.new/bin/busybox")" = "$em" ] ||
	die "$deb holds no $arch busybox"
rm -rf "$dir"
mv "$dir.new" "$dir"
echo "get-busybox: busybox-static $(dpkg-deb -f "$deb" Version) ($arch) in $dir"
