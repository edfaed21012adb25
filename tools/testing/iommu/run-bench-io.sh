#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Real I/O benchmark: boot x86_64 kernels under QEMU/TCG with -icount
# (see run-bench.sh), q35 with a QEMU nvme disk, and run the static guest
# program bench/iobench.c on it: 4 KiB random reads and writes and 128 KiB
# sequential reads and writes, O_DIRECT through io_uring at queue depth 32.
# It reports per case the guest instructions (ns) one I/O costs, from the
# guest's busy time, and the IOPS in guest time.
#
# usage: run-bench-io.sh --src <linux tree> --out <dir> <kdir> [<kdir>...]
#
# A kernel is named by its directory's name after "x86_64-"
# (build/bench-x86_64-ours-dma-upstream is "ours-dma-upstream").  Each
# round boots every kernel behind an emulated Intel VT-d (legacy mode) in
# strict (iommu.strict=1) and lazy (iommu.strict=0) mode, and the last
# kernel (ours, in make bench-io) twice more as the limits: "pt", the VT-d
# there but iommu=pt (an identity domain, no translation by the DMA-IOMMU
# layer), and "none", no IOMMU in the machine and intel_iommu=off.  The
# guest prints the NVMe's IOMMU group and its domain type, and a boot
# whose type is not the mode's (DMA, DMA-FQ, identity, none) fails: only
# then do the figures measure what they say.
# Console logs go to <dir>/<kernel>-<mode>-r<round>.console.  A boot that
# hangs, stalls in RCU, reports an error, times an NVMe I/O out or does not
# print "IOBENCH done" is run once more (the failed log is kept as .console-failed<attempt>);
# exits non-zero if a boot failed twice.
#
# The disk is a raw image of BENCHIO_DISK_MB MiB in <dir>/work, written
# through (not sparse) so that reads hit data, served from the host's
# page cache (cache=unsafe): the host's side of an I/O is as short as it
# can be.  The time the host takes still leaks into the guest's: while it
# serves an I/O the guest runs iobench's idle loop, and how many
# completions each interrupt finds depends on it; see the README.
#
# Environment: BENCHIO_ROUNDS (default 3), BENCHIO_CASES (iobench's cases,
# comma-separated; empty for all), BENCHIO_IOS (I/Os per case, iobench's
# defaults if empty), BENCHIO_TIMEOUT (seconds per boot, default 300),
# BENCHIO_PARALLEL (1: two boots side by side, one host thread each; 0,
# the default: one after the other), BENCHIO_DISK_MB (default 256), QEMU.
set -euo pipefail

T=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${BENCHIO_ROUNDS:-3}
CASES=${BENCHIO_CASES:-}
IOS=${BENCHIO_IOS:-}
TIMEOUT=${BENCHIO_TIMEOUT:-300}
PARALLEL=${BENCHIO_PARALLEL:-0}
DISK_MB=${BENCHIO_DISK_MB:-256}
QEMU=${QEMU:-qemu-system-x86_64}

# shellcheck source=bench-lib.sh
. "$T/bench-lib.sh"
bench_args "$@"
work=$out/work

# ---- build: iobench, one initramfs, a snapshot of each kernel ------------

rm -rf "$work" && mkdir -p "$work"
rm -f "$out"/*.console "$out"/*.console-failed* "$out"/*.qemu
names=()
for kdir in "${kdirs[@]}"; do
	name=$(bench_name "$kdir")
	[ -f "$kdir/arch/x86/boot/bzImage" ] ||
		{ echo "run-bench-io: no kernel in $kdir (make bench-kernels)" >&2; exit 1; }
	# A snapshot: the build directory may be rebuilt while we run.
	cp "$kdir/arch/x86/boot/bzImage" "$work/$name.bzImage"
	names+=("$name")
done
gcc -static -O2 -Wall -Wextra -o "$work/iobench" "$T/bench/iobench.c"
echo "file /bin/iobench $work/iobench 0755 0 0" |
	bench_initramfs "$work" "$src" /bin/busybox "$T/bench/io-init"

# One disk image per boot that may run at the same time (QEMU locks its
# image), filled with a non-zero pattern so that every block is data, and
# removed however the script ends: together they take 2 * DISK_MB MiB.
trap 'rm -f "$work"/disk-*.img' EXIT
for slot in a b; do
	head -c "${DISK_MB}M" /dev/zero | tr '\0' '\132' > "$work/disk-$slot.img"
done

# ---- boot ----------------------------------------------------------------

# The domain type the NVMe's group must have in mode $1.
want_type() {
	case "$1" in
	strict) echo DMA ;;
	lazy) echo DMA-FQ ;;
	pt) echo identity ;;
	none) echo none ;;
	esac
}

# Why a console shows no complete run, empty if it does.
problem() {
	local log=$1 rc=$2 mode=$3 type
	type=$(tr -d '\r' < "$log" | sed -n 's/^IOBENCH device .* type=//p' | head -n 1)
	if grep -q 'IOBENCH .*error=' "$log"; then
		tr -d '\r' < "$log" | grep -m1 'IOBENCH .*error='
	elif grep -qE 'nvme nvme[0-9]+: .* timeout, (aborting|reset)' "$log"; then
		# The host served I/Os so slowly that the driver timed them
		# out and recovered: the figures count its recovery
		echo "NVMe I/O timed out in the guest"
	elif [ "$type" != "$(want_type "$mode")" ]; then
		echo "the NVMe's IOMMU domain is '${type:-?}', not $(want_type "$mode")"
	else
		bench_console_problem "$log" "$rc" 'IOBENCH done' bench-io
	fi
}

# $1 kernel name, $2 mode, $3 round, $4 disk slot: boot, and once more if
# the boot did not complete.
boot() {
	local name=$1 mode=$2 log attempt rc why start
	local append="console=ttyS0 kunit.enable=0 panic=-1"
	# shellcheck disable=SC2054 # commas separate QEMU sub-options
	local iommu=(-device intel-iommu,intremap=off)
	log=$out/$name-$mode-r$3.console
	case "$mode" in
	strict) append+=" intel_iommu=on iommu.strict=1" ;;
	lazy) append+=" intel_iommu=on iommu.strict=0" ;;
	pt) append+=" intel_iommu=on iommu=pt" ;;
	none) append+=" intel_iommu=off"; iommu=() ;;
	esac
	append+="${CASES:+ iobench.cases=$CASES}${IOS:+ iobench.ios=$IOS}"
	for attempt in 1 2; do
		start=$(date +%s)
		rc=0
		# -smp 1: one CPU, one NVMe I/O queue, and nothing the figures
		# would owe to the order two vCPUs take turns in.  The NVMe on
		# pcie.0, alone in its IOMMU group.
		# shellcheck disable=SC2054 # commas separate QEMU sub-options
		timeout -k 10 "$TIMEOUT" "$QEMU" "${BENCH_QEMU_ARGS[@]}" \
			-M q35 -smp 1 -kernel "$work/$name.bzImage" \
			-initrd "$work/initramfs.cpio" -append "$append" \
			"${iommu[@]}" \
			-drive file="$work/disk-$4.img",if=none,id=disk,format=raw,cache=unsafe \
			-device nvme,serial=iobench,drive=disk,bus=pcie.0,addr=0x6 \
			-serial file:"$log" < /dev/null > "$log.qemu" 2>&1 || rc=$?
		why=$(problem "$log" "$rc" "$mode")
		echo "run-bench-io: $name $mode round $3: ${why:-ok}" \
			"($(( $(date +%s) - start ))s;" \
			"$(tr -d '\r' < "$log" | grep -m1 '^IOBENCH device' |
				sed 's/^IOBENCH device //')${why:+, log $log-failed$attempt})"
		[ -z "$why" ] && { rm -f "$log.qemu"; return 0; }
		mv "$log" "$log-failed$attempt"
	done
	return 1
}

# Every kernel in both modes, the kernels of one mode next to each other;
# then the last kernel's limits.
jobs=()
for mode in strict lazy; do
	for name in "${names[@]}"; do
		jobs+=("$name:$mode")
	done
done
jobs+=("${names[-1]}:pt" "${names[-1]}:none")

failed=0
start=$(date +%s)
for round in $(seq 1 "$ROUNDS"); do
	i=0
	while [ $i -lt ${#jobs[@]} ]; do
		a=${jobs[$i]}
		b=${jobs[$((i + 1))]:-}
		if [ "$PARALLEL" = 1 ] && [ -n "$b" ]; then
			boot "${a%:*}" "${a#*:}" "$round" a & pa=$!
			boot "${b%:*}" "${b#*:}" "$round" b & pb=$!
			wait $pa || failed=1
			wait $pb || failed=1
			i=$((i + 2))
		else
			boot "${a%:*}" "${a#*:}" "$round" a || failed=1
			i=$((i + 1))
		fi
	done
done
echo "run-bench-io: $ROUNDS round(s) of ${#jobs[@]} boots in" \
	"$(( $(date +%s) - start ))s, logs in $out"
if [ "$failed" = 1 ]; then
	echo "run-bench-io: some boots failed twice, see $out/*.console-failed2" >&2
	exit 1
fi
