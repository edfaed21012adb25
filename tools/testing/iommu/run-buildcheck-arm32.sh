#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: run-buildcheck-arm32.sh <tree> <kdir> <out-prefix> <core: ours|upstream>
#
# Build-only check of a 32-bit ARM kernel with the given core:
# exynos_defconfig plus configs/arm32-exynos.config (the Exynos IOMMU
# driver, DRM Exynos on the arm_iommu_* DMA path of arch/arm/mm/dma-mapping.c,
# the conformance suite) and the core's option.  Requires what the fragment
# asks for to survive olddefconfig, builds vmlinux and the modules, checks
# that vmlinux holds the IOMMU objects of this core and none of the other,
# and that nothing compiles or links with a warning.  <kdir> may be a copy
# of the other core's build directory: only what depends on the choice is
# rebuilt.
tree=$(realpath "$1")
kdir=$(realpath -m "$2")
out=$(realpath -m "$3")
core=$4
name=$(basename "$out")
frag=$(realpath "$(dirname "$0")")/configs/arm32-exynos.config
jobs=${JOBS:-$(nproc)}
cross=arm-linux-gnueabihf-

ours=$(cd "$tree" && printf '%s\n' drivers/iommu/core/*.c | sed 's/c$/o/')
case $core in
ours)		want=$ours; other=drivers/iommu/iommu.o ;;
upstream)	want=drivers/iommu/iommu.o; other=$ours ;;
*)		echo "usage: $0 <tree> <kdir> <out-prefix> <ours|upstream>" >&2; exit 2 ;;
esac
want="$want drivers/iommu/exynos-iommu.o arch/arm/mm/dma-mapping.o
	drivers/gpu/drm/exynos/exynos_drm_dma.o drivers/iommu/tests/iommu-probe-test.o"

kmake() {
	make -C "$tree" O="$kdir" ARCH=arm CROSS_COMPILE=$cross "$@" >> "$out.log" 2>&1
}

: > "$out.results"
: > "$out.log"
mkdir -p "$kdir"
echo "CONFIG_IOMMU_CORE_${core^^}=y" > "$kdir/core.config"

"$tree/scripts/kconfig/merge_config.sh" -m -O "$kdir" \
	"$tree/arch/arm/configs/exynos_defconfig" "$frag" "$kdir/core.config" \
	>> "$out.log" 2>&1 && kmake olddefconfig
bad=$(grep -h -E '^(# )?CONFIG_' "$frag" "$kdir/core.config" | while read -r opt; do
	case $opt in
	\#*)	opt=${opt#\# }; grep -q "^${opt%% *}=" "$kdir/.config" && echo "$opt" ;;
	*)	grep -qx "$opt" "$kdir/.config" || echo "$opt" ;;
	esac
done | tr '\n' ' ')
if [ -n "$bad" ]; then
	echo "FAIL $name/config: not as asked after olddefconfig: $bad" >> "$out.results"
else
	echo "PASS $name/config" >> "$out.results"
fi

# Compile drivers/iommu/ again (from ccache if unchanged) so that its
# warnings are in this log even when <kdir> was already built.
find "$kdir/drivers/iommu" -name '*.o' -delete 2>/dev/null
if kmake CC="ccache ${cross}gcc" -j"$jobs" all; then
	echo "PASS $name/build ($(find "$kdir" -name '*.ko' | wc -l) modules)" >> "$out.results"
else
	first=$(grep -m1 -E ' error: |^ERROR: |\*\*\* ' "$out.log")
	echo "FAIL $name/build: $first" >> "$out.results"
	tail -30 "$out.log"
fi

# vmlinux.a is a thin archive: ar lists its members as paths to the
# objects, prefixed with the archive's directory.
linked=$("${cross}ar" t "$kdir/vmlinux.a" 2>/dev/null)
in_vmlinux() { grep -qE "(^|/)$1\$" <<< "$linked"; }
lacking=$(for o in $want; do in_vmlinux "$o" || echo "$o"; done | tr '\n' ' ')
stale=$(for o in $other; do in_vmlinux "$o" && echo "$o"; done | tr '\n' ' ')
if [ -n "$lacking$stale" ]; then
	echo "FAIL $name/objects: not in vmlinux: ${lacking:-none};" \
		"of the other core: ${stale:-none}" >> "$out.results"
else
	echo "PASS $name/objects" >> "$out.results"
fi

# Any warning: one in a macro is reported at the header defining it, not
# at our file, and the rest of this configuration builds without any.
warnings=$(grep -E ': warning: |WARNING: modpost' "$out.log")
if [ -n "$warnings" ]; then
	echo "FAIL $name/warnings: $(wc -l <<< "$warnings"), first: $(head -1 <<< "$warnings")" \
		>> "$out.results"
else
	echo "PASS $name/warnings" >> "$out.results"
fi
cat "$out.results"
! grep -q '^FAIL' "$out.results"
