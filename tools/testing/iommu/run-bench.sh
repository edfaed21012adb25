#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmarks: boot x86_64 and arm64 kernels (upstream's core and DMA
# layer, our core with upstream's layer, ours with ours) under QEMU/TCG
# with -icount, q35 or virt with one edu at 00:03.0 behind an emulated
# IOMMU, and run the benchmark module bench/iommu_bench.c on the edu.
# Under icount guest time counts guest instructions (1 ns each), so the
# figures repeat to the digit and do not depend on host load: several
# boots run side by side, one host thread each.
#
# usage: run-bench.sh --src <linux tree> --out <dir> <kdir>...
#
# A kernel is named by its directory name without the "bench-<arch>-"
# prefix (build/bench-x86_64-ours-dma-upstream is "ours-dma-upstream"),
# and boots in the rows of its architecture.  The rows are the IOMMUs QEMU
# emulates, on x86_64:
#
#   intel   VT-d, legacy mode (intel_iommu=on): every case
#   amd     AMD-Vi (intremap=off): the DMA API cases, strict mode only, as
#           the AMD driver forces strict invalidation when the IOMMU caches
#           non-present entries (NpCache), which QEMU's does
#   virtio  virtio-iommu-pci over ACPI VIOT: the DMA API cases
#   none    no IOMMU at all (intel_iommu=off, no IOMMU device): the DMA API
#           cases on dma-direct, the limit, booted with the last x86_64
#           kernel only (the others would run the same dma-direct code) and in
#           one mode, untraced
#
# and on arm64 (virt, GICv3, device tree):
#
#   smmuv3  the machine's SMMUv3: the DMA API cases
#
# The DMA API cases are the module's "map_*" and "coherent_*".  Each round
# boots, for each row and each of its IOMMU modes (strict: iommu.strict=1,
# lazy: iommu.strict=0), the single-thread cases with -smp 1 and the
# two-thread cases with -smp 2, each kernel once, in the order the kernels
# are given: A B C A B C ...  Console logs go to
# <dir>/<kernel>-<row>-<mode>-<1t|2t>-r<round>.console.  A boot that hangs,
# stalls in RCU or does not print "BENCH done" is run once more (the
# failed log is kept as .console-failed<attempt>); exits non-zero if a boot
# failed twice.
#
# Every boot is traced: the module brackets each case's timed batches with
# two config writes to the edu (bench.mark=1), and QEMU writes those
# (pci_cfg_write) and the row's IOTLB invalidations (VT-d's
# vtd_inv_desc_iotlb_*, AMD-Vi's amdvi_*_inval, virtio-iommu's UNMAP
# requests) to <console>.trace, from which bench-report.py counts the
# invalidations per operation.  Tracing costs host time only: under icount
# the guest runs the same instructions with and without it, so the timed
# figures are the same as in an untraced boot (BENCH_TRACE=0).
#
# Environment: BENCH_ROUNDS (default 2), BENCH_ROWS (default "intel amd
# virtio none smmuv3"), BENCH_CASES (the module's cases, comma-separated, a
# name ending in '*' for every case it begins; empty for all; names ending
# in _2t run in the -smp 2 boot, the others in the -smp 1 boot; rows other
# than intel keep only the DMA API cases), BENCH_ITERS (timed batches per
# figure, the module's default if empty), BENCH_TIMEOUT (seconds per boot,
# default 600), BENCH_PARALLEL (boots at once, default 2; 0 or 1: one after
# the other), BENCH_TRACE (1, the default: trace every boot; 0: no trace,
# no marks), BUILD (where arm64's busybox is kept, the project's build/ by
# default).
set -euo pipefail

T=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${BENCH_ROUNDS:-2}
ROWS=${BENCH_ROWS:-intel amd virtio none smmuv3}
CASES=${BENCH_CASES:-}
ITERS=${BENCH_ITERS:-}
TIMEOUT=${BENCH_TIMEOUT:-600}
PARALLEL=${BENCH_PARALLEL:-2}
TRACE=${BENCH_TRACE:-1}
BUILD=${BUILD:-$(cd "$T/../../.." && pwd)/build}

# The module's DMA API cases, the only ones the rows other than intel run.
DMA_CASES='map_*,coherent_*'

# shellcheck source=bench-lib.sh
. "$T/bench-lib.sh"
bench_args "$@"

# ---- rows ----------------------------------------------------------------

# $1 row: sets row_arch (the kernels' architecture), row_machine (QEMU's
# machine), row_dev (QEMU's IOMMU device, empty for none or one of the
# machine's own), row_append
# (kernel command line), row_modes and row_events (the trace events that
# count as IOTLB invalidations, a QEMU -trace pattern each; empty: the row
# is not traced).
row_setup() {
	row_arch=x86_64
	row_machine=q35
	case "$1" in
	intel)
		row_dev=intel-iommu,intremap=off
		row_append=intel_iommu=on
		row_modes='strict lazy'
		row_events='vtd_inv_desc_iotlb_*' ;;
	amd)
		row_dev=amd-iommu,intremap=off
		row_append=
		row_modes=strict
		row_events='amdvi_pages_inval amdvi_all_inval amdvi_iotlb_inval' ;;
	virtio)
		# virtio-iommu has no invalidation command: each UNMAP
		# request removes a mapping and whatever the IOMMU cached of it.
		row_dev=virtio-iommu-pci
		row_append=
		row_modes='strict lazy'
		row_events='virtio_iommu_unmap' ;;
	none)
		row_dev=
		row_append=intel_iommu=off
		row_modes=strict
		row_events= ;;
	smmuv3)
		# Invalidation by range or page (CMD_TLBI_NH_VA(A)), by
		# ASID, or all of a stage
		row_arch=arm64
		row_machine=virt,gic-version=3,iommu=smmuv3
		row_dev=
		row_append=
		row_modes='strict lazy'
		row_events='smmuv3_s1_range_inval smmuv3_cmdq_tlbi_nh*' ;;
	*)
		echo "run-bench: unknown row $1 (intel, amd, virtio, none, smmuv3)" >&2
		return 1 ;;
	esac
}

# $1 row, $2 set (1t or 2t): the module's case list for the boot, "-" for
# no boot.  An empty list runs every case the boot's CPUs fit, as does a
# pattern every case it covers.
cases_of() {
	local row=$1 set=$2 c list='' names

	if [ -z "$CASES" ]; then
		if [ "$row" != intel ]; then
			echo "$DMA_CASES"
		fi
		return
	fi
	# read, not word splitting, which would expand the patterns as globs
	IFS=, read -ra names <<< "$CASES"
	for c in "${names[@]}"; do
		case "$row:$c" in
		intel:*|*:map_*|*:coherent_*) ;;
		*) continue ;;
		esac
		case "$c" in
		*'*') ;;
		*_2t) [ "$set" = 2t ] || continue ;;
		*) [ "$set" = 1t ] || continue ;;
		esac
		list+=${list:+,}$c
	done
	echo "${list:--}"
}

for row in $ROWS; do
	row_setup "$row" || exit 2
done

# ---- build: the module against each kernel, one initramfs each ----------

rm -f "$out"/*.console "$out"/*.console-failed* "$out"/*.qemu "$out"/*.trace
# Per architecture: the kernel image, the cross compiler and busybox (the
# host's on x86_64, Debian's static build otherwise, as run-e2e.sh takes).
arch_setup() {
	case "$1" in
	x86_64)	kimage=arch/x86/boot/bzImage; cross=; busybox=/bin/busybox ;;
	arm64)	kimage=arch/arm64/boot/Image; cross=aarch64-linux-gnu-
		busybox=$BUILD/busybox-arm64/bin/busybox
		"$T/get-busybox.sh" arm64 "$BUILD/busybox-arm64" > /dev/null ||
			{ echo "run-bench: no busybox for arm64" >&2; exit 1; } ;;
	*)	echo "run-bench: unknown architecture $1 ($2)" >&2; exit 2 ;;
	esac
}

for kdir in "${kdirs[@]}"; do
	arch=$(bench_arch "$kdir")
	arch_setup "$arch" "$kdir"
	work=$out/work/$arch-$(bench_name "$kdir")
	[ -f "$kdir/$kimage" ] ||
		{ echo "run-bench: no kernel in $kdir (make bench-kernels)" >&2; exit 1; }
	rm -rf "$work" && mkdir -p "$work/module"
	cp "$kdir/$kimage" "$work/kernel"
	cp "$T/bench/Makefile" "$T/bench/iommu_bench.c" "$work/module/"
	make -C "$src" O="$kdir" M="$work/module" \
		${cross:+ARCH=$arch CROSS_COMPILE=$cross} modules \
		> "$work/module.log" 2>&1 ||
		{ tail -n 30 "$work/module.log"; echo "run-bench: module build failed" >&2
		  exit 1; }
	echo "file /lib/modules/iommu_bench.ko $work/module/iommu_bench.ko 0644 0 0" |
		bench_initramfs "$work" "$src" "$busybox" "$T/bench/init"
done

# The trace events of each traced row: the module's marks and the
# invalidations.
for row in $ROWS; do
	row_setup "$row"
	[ -n "$row_events" ] || continue
	printf '%s\n' pci_cfg_write "${row_events// /$'\n'}" > "$out/work/trace-$row"
done

# ---- boot ----------------------------------------------------------------

# Why a console shows no complete run, empty if it does.
problem() {
	bench_console_problem "$1" "$2" 'BENCH done' bench
}

# $1 kdir, $2 row, $3 mode, $4 set (1t or 2t), $5 round, $6 cases: boot,
# and once more if the boot did not complete.
boot() {
	local name work log row=$2 mode=$3 set=$4 cases=$6 smp=1 strict=1
	local attempt rc why start trace=() iommu=() qemu=() console=ttyS0
	name=$(bench_name "$1")
	work=$out/work/$(bench_arch "$1")-$name
	log=$out/$name-$row-$mode-$set-r$5.console
	row_setup "$row"
	[ "$mode" = lazy ] && strict=0
	[ "$set" = 2t ] && smp=2
	if [ "$row_arch" = arm64 ]; then
		# shellcheck disable=SC2054 # commas separate QEMU sub-options
		qemu=(qemu-system-aarch64 -cpu max,pauth-impdef=on)
		console=ttyAMA0
	else
		qemu=(qemu-system-x86_64)
	fi
	local append="console=$console${row_append:+ $row_append} iommu.strict=$strict"
	append+=" kunit.enable=0 panic=-1${cases:+ bench.cases=$cases}"
	append+="${ITERS:+ bench.iters=$ITERS}"
	[ -n "$row_dev" ] && iommu=(-device "$row_dev")
	if [ "$TRACE" = 1 ] && [ -n "$row_events" ]; then
		append+=" bench.mark=1"
		trace=(-trace "events=$out/work/trace-$row,file=$log.trace")
	fi
	for attempt in 1 2; do
		start=$(date +%s)
		rc=0
		# shellcheck disable=SC2054 # commas separate QEMU sub-options
		timeout -k 10 "$TIMEOUT" "${qemu[@]}" "${BENCH_QEMU_ARGS[@]}" \
			-M "$row_machine" -smp "$smp" -kernel "$work/kernel" \
			-initrd "$work/initramfs.cpio" -append "$append" \
			"${iommu[@]}" \
			-device edu,dma_mask=0xffffffffff,bus=pcie.0,addr=0x3 \
			"${trace[@]}" \
			-serial file:"$log" < /dev/null > "$log.qemu" 2>&1 || rc=$?
		why=$(problem "$log" "$rc")
		echo "run-bench: $name $row $mode $set round $5: ${why:-ok}" \
			"($(( $(date +%s) - start ))s)"
		[ -z "$why" ] && { rm -f "$log.qemu"; return 0; }
		mv "$log" "$log-failed$attempt"
		[ -f "$log.trace" ] && mv "$log.trace" "$log-failed$attempt.trace"
	done
	return 1
}

# At most PARALLEL boots at once, started in order.
failed=0 running=0
reap() {
	wait -n || failed=1
	running=$((running - 1))
}

launch() {
	if [ "$PARALLEL" -le 1 ]; then
		boot "$@" || failed=1
		return
	fi
	boot "$@" &
	running=$((running + 1))
	if [ "$running" -ge "$PARALLEL" ]; then
		reap
	fi
}

# The none row's kernel: the last x86_64 one given
limit_kdir=
for kdir in "${kdirs[@]}"; do
	[ "$(bench_arch "$kdir")" = x86_64 ] && limit_kdir=$kdir
done

start=$(date +%s)
for round in $(seq 1 "$ROUNDS"); do
	for row in $ROWS; do
		row_setup "$row"
		for mode in $row_modes; do
			for set in 1t 2t; do
				cases=$(cases_of "$row" "$set")
				[ "$cases" = - ] && continue
				for kdir in "${kdirs[@]}"; do
					[ "$(bench_arch "$kdir")" = "$row_arch" ] ||
						continue
					[ "$row" = none ] &&
						[ "$kdir" != "$limit_kdir" ] &&
						continue
					launch "$kdir" "$row" "$mode" "$set" \
						"$round" "$cases"
				done
			done
		done
	done
done
while [ "$running" -gt 0 ]; do
	reap
done
echo "run-bench: $ROUNDS round(s) in $(( $(date +%s) - start ))s, logs in $out"
if [ "$failed" = 1 ]; then
	echo "run-bench: some boots failed twice, see $out/*.console-failed2" >&2
	exit 1
fi
