#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: run-buildcheck-arm32.sh <tree> <kdir> <out-prefix> <core: ours|upstream>
#
# Build-only check of a 32-bit ARM kernel with the given core and the DMA
# layer of the same side: exynos_defconfig plus configs/arm32-exynos.config
# (the Exynos IOMMU driver, DRM Exynos on the arm_iommu_* DMA path of
# arch/arm/mm/dma-mapping.c, the conformance suite; host1x, Tegra DRM and
# VDUSE, the direct users of the IOVA allocator, as modules) and the two
# options.  Requires what the fragment asks for to survive olddefconfig
# (IOMMU_IOVA=m among it), builds vmlinux and the modules, checks that
# vmlinux holds the IOMMU objects of this core and none of the other, that
# the IOVA allocator is this side's module and not the other's and that
# its users import from it, and that nothing compiles or links with a
# warning (modpost checks every module's imports against the exports).
# <kdir> may be a copy of the other side's build directory: only what
# depends on the choice is rebuilt.
tree=$(realpath "$1")
kdir=$(realpath -m "$2")
out=$(realpath -m "$3")
core=$4
name=$(basename "$out")
frag=$(realpath "$(dirname "$0")")/configs/arm32-exynos.config
jobs=${JOBS:-$(nproc)}
cross=arm-linux-gnueabihf-

ours=$(cd "$tree" && printf '%s\n' drivers/iommu/core/*.c | sed 's/c$/o/')
# The IOVA allocator is a module (IOMMU_IOVA=m): the DMA layer's choice
# decides which one
case $core in
ours)		want=$ours; other=drivers/iommu/iommu.o
		iova=drivers/iommu/dma/iova; iova_other=drivers/iommu/iova ;;
upstream)	want=drivers/iommu/iommu.o; other=$ours
		iova=drivers/iommu/iova; iova_other=drivers/iommu/dma/iova ;;
*)		echo "usage: $0 <tree> <kdir> <out-prefix> <ours|upstream>" >&2; exit 2 ;;
esac
want="$want drivers/iommu/exynos-iommu.o arch/arm/mm/dma-mapping.o
	drivers/gpu/drm/exynos/exynos_drm_dma.o drivers/iommu/tests/iommu-probe-test.o
	drivers/iommu/tegra-smmu.o"
# The modules that call the IOVA allocator directly
iova_users="drivers/vdpa/vdpa_user/vduse drivers/gpu/host1x/host1x
	drivers/gpu/drm/tegra/tegra-drm"

kmake() {
	make -C "$tree" O="$kdir" ARCH=arm CROSS_COMPILE=$cross "$@" >> "$out.log" 2>&1
}

: > "$out.results"
: > "$out.log"
mkdir -p "$kdir"
printf 'CONFIG_IOMMU_CORE_%s=y\nCONFIG_IOMMU_DMA_LAYER_%s=y\n' \
	"${core^^}" "${core^^}" > "$kdir/core.config"

# merge_config.sh leaves the merged fragments in .config even when
# olddefconfig then fails, so a failure must fail the check by itself
if "$tree/scripts/kconfig/merge_config.sh" -m -O "$kdir" \
	"$tree/arch/arm/configs/exynos_defconfig" "$frag" "$kdir/core.config" \
	>> "$out.log" 2>&1 && kmake olddefconfig; then
	bad=
else
	bad="(olddefconfig failed) "
fi
bad=$bad$(grep -h -E '^(# )?CONFIG_' "$frag" "$kdir/core.config" | while read -r opt; do
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
# warnings are in this log even when <kdir> was already built, and drop
# its modules, so that the other side's IOVA module in a copied <kdir>
# does not stay behind; and relink the IOVA users, so that one that no
# longer links is missing rather than left over from the last build.
find "$kdir/drivers/iommu" \( -name '*.o' -o -name '*.ko' \) -delete 2>/dev/null
for m in $iova_users; do
	rm -f "$kdir/$m.ko"
done
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
# Objects of our core that its Makefile builds only with an option
optional() {
	case $1 in
	drivers/iommu/core/reset.o) ! grep -q '^CONFIG_PCI=y' "$kdir/.config" ;;
	drivers/iommu/core/debugfs.o) ! grep -q '^CONFIG_IOMMU_DEBUGFS=y' "$kdir/.config" ;;
	*) false ;;
	esac
}
lacking=$(for o in $want; do in_vmlinux "$o" || optional "$o" || echo "$o"; done |
	tr '\n' ' ')
stale=$(for o in $other; do in_vmlinux "$o" && echo "$o"; done | tr '\n' ' ')
if [ -n "$lacking$stale" ]; then
	echo "FAIL $name/objects: not in vmlinux: ${lacking:-none};" \
		"of the other core: ${stale:-none}" >> "$out.results"
else
	echo "PASS $name/objects" >> "$out.results"
fi

# The IOVA allocator is this side's module (the other side's was neither
# compiled nor linked: drivers/iommu/ was emptied above), and each of its
# users depends on it and imports from it the symbols that modpost
# resolved against its exports in Module.symvers.
symvers=$kdir/Module.symvers
exported=$(awk -v m="$iova" '$3 == m { print $2 }' "$symvers" 2>/dev/null | sort)
problems=
[ -f "$kdir/$iova.ko" ] || problems+="no $iova.ko; "
[ -n "$exported" ] || problems+="$iova exports nothing in Module.symvers; "
for f in "$iova_other.o" "$iova_other.ko"; do
	[ -e "$kdir/$f" ] && problems+="$f of the other side; "
done
counts=
for m in $iova_users; do
	if [ ! -f "$kdir/$m.ko" ]; then
		problems+="no $m.ko; "
		continue
	fi
	n=$("${cross}nm" -u "$kdir/$m.ko" | awk '{ print $2 }' | sort |
		comm -12 - <(echo "$exported") | wc -l)
	[ "$n" -gt 0 ] || problems+="$(basename "$m").ko imports nothing from $iova; "
	modinfo -F depends "$kdir/$m.ko" | tr ',' '\n' | grep -qx "$(basename "$iova")" ||
		problems+="$(basename "$m").ko does not depend on $(basename "$iova"); "
	counts+="$(basename "$m") $n, "
done
if [ -n "$problems" ]; then
	echo "FAIL $name/iova-module: $problems" >> "$out.results"
else
	echo "PASS $name/iova-module ($iova.ko; symbols imported from it: ${counts%, })" \
		>> "$out.results"
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
