#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmarks: boot two x86_64 kernels, A and B (upstream's core and ours),
# under QEMU/TCG with -icount, q35 behind an emulated Intel VT-d (legacy
# mode) with one edu, and run the benchmark module bench/iommu_bench.c on
# the edu.  Under icount guest time counts guest instructions (1 ns each),
# so the figures repeat to the digit and do not depend on host load: the A
# and B boots of a pair run side by side, one host thread each.
#
# usage: run-bench.sh --src <linux tree> --out <dir> <kdir A> <kdir B>
#
# A kernel is named by the last "-" part of its directory name
# (build/bench-x86_64-upstream is "upstream").  Each round boots, for
# each IOMMU mode (strict: iommu.strict=1, lazy: iommu.strict=0), the
# single-thread cases with -smp 1 and the two-thread cases with -smp 2,
# each kernel once: A B A B over two rounds.  Console logs go to
# <dir>/<kernel>-<mode>-<1t|2t>-r<round>.console.  A boot that hangs, stalls
# in RCU or does not print "BENCH done" is run once more (the failed log
# is kept as .console-failed<attempt>); exits non-zero if a boot failed
# twice.
#
# Environment: BENCH_ROUNDS (default 2), BENCH_CASES (the module's cases,
# comma-separated; empty for all; names ending in _2t run in the -smp 2
# boot, the others in the -smp 1 boot), BENCH_ITERS (timed batches per
# figure, the module's default if empty), BENCH_TIMEOUT (seconds per boot,
# default 600), BENCH_PARALLEL (1, the default: the two kernels of a pair
# boot side by side; 0: one after the other), QEMU.
set -euo pipefail

T=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${BENCH_ROUNDS:-2}
CASES=${BENCH_CASES:-}
ITERS=${BENCH_ITERS:-}
TIMEOUT=${BENCH_TIMEOUT:-600}
PARALLEL=${BENCH_PARALLEL:-1}
QEMU=${QEMU:-qemu-system-x86_64}

src='' out=''
while [ $# -gt 2 ]; do
	case "$1" in
	--src) src=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) break ;;
	esac
done
if [ -z "$src" ] || [ -z "$out" ] || [ $# -ne 2 ]; then
	echo "usage: $0 --src <tree> --out <dir> <kdir A> <kdir B>" >&2
	exit 2
fi
src=$(realpath "$src")
kdirs=("$(realpath "$1")" "$(realpath "$2")")
mkdir -p "$out"
out=$(realpath "$out")

# The cases of each boot: the -smp 1 boot gets the single-thread cases,
# the -smp 2 boot the two-thread ones (with an empty list the module picks
# them by the number of CPUs).
cases_1t='' cases_2t='' sets='1t 2t'
if [ -n "$CASES" ]; then
	for c in ${CASES//,/ }; do
		case "$c" in
		*_2t) cases_2t+=${cases_2t:+,}$c ;;
		*) cases_1t+=${cases_1t:+,}$c ;;
		esac
	done
	sets="${cases_1t:+1t} ${cases_2t:+2t}"
fi

# ---- build: the module against each kernel, one initramfs each ----------

name_of() { echo "${1##*-}"; }

rm -f "$out"/*.console "$out"/*.console-failed* "$out"/*.qemu
for kdir in "${kdirs[@]}"; do
	name=$(name_of "$kdir")
	work=$out/work/$name
	[ -f "$kdir/arch/x86/boot/bzImage" ] ||
		{ echo "run-bench: no kernel in $kdir (make bench-kernels)" >&2; exit 1; }
	rm -rf "$work" && mkdir -p "$work/module"
	cp "$kdir/arch/x86/boot/bzImage" "$work/"
	cp "$T/bench/Makefile" "$T/bench/iommu_bench.c" "$work/module/"
	make -C "$src" O="$kdir" M="$work/module" modules > "$work/module.log" 2>&1 ||
		{ tail -n 30 "$work/module.log"; echo "run-bench: module build failed" >&2
		  exit 1; }
	gcc -O2 -o "$work/gen_init_cpio" "$src/usr/gen_init_cpio.c"
	cat > "$work/initramfs.list" <<-EOF
	dir /dev 0755 0 0
	nod /dev/console 0600 0 0 c 5 1
	dir /bin 0755 0 0
	dir /sbin 0755 0 0
	dir /proc 0755 0 0
	dir /sys 0755 0 0
	dir /lib 0755 0 0
	dir /lib/modules 0755 0 0
	file /init $T/bench/init 0755 0 0
	file /bin/busybox /bin/busybox 0755 0 0
	slink /bin/sh busybox 0777 0 0
	file /lib/modules/iommu_bench.ko $work/module/iommu_bench.ko 0644 0 0
	EOF
	# One timestamp for every file: the guest's work must not depend on
	# when the initramfs was made (see the RTC below).
	"$work/gen_init_cpio" -t 1735689600 "$work/initramfs.list" > "$work/initramfs.cpio"
done

# ---- boot ----------------------------------------------------------------

# Why a console shows no complete run, empty if it does.
problem() {
	local log=$1 rc=$2
	if grep -qE 'rcu: INFO: .*detected stall|self-detected stall' "$log"; then
		echo "RCU stall"
	elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "no power-off within ${TIMEOUT}s"
	elif ! grep -q 'BENCH done' "$log"; then
		echo "no 'BENCH done' (QEMU exit $rc)"
	elif ! "$T/console-check.sh" "$log" bench > /dev/null; then
		"$T/console-check.sh" "$log" bench | sed 's/^FAIL bench: //'
	fi
}

# $1 kdir, $2 mode, $3 set (1t or 2t), $4 round: boot, and once more if the
# boot did not complete.
boot() {
	local name work log mode=$2 set=$3 smp=1 cases=$cases_1t strict=1
	local attempt rc why start
	name=$(name_of "$1")
	work=$out/work/$name
	log=$out/$name-$mode-$set-r$4.console
	[ "$mode" = lazy ] && strict=0
	[ "$set" = 2t ] && smp=2 cases=$cases_2t
	local append="console=ttyS0 intel_iommu=on iommu.strict=$strict"
	append+=" kunit.enable=0 panic=-1${cases:+ bench.cases=$cases}"
	append+="${ITERS:+ bench.iters=$ITERS}"
	for attempt in 1 2; do
		start=$(date +%s)
		rc=0
		# The RTC runs from a fixed date (the initramfs's) on guest
		# time: read from the host clock it makes the boot wait a
		# varying number of instructions for it, which shifts every
		# later timer interrupt and with it the figures of the batches
		# they land in.
		# shellcheck disable=SC2054 # commas separate QEMU sub-options
		timeout -k 10 "$TIMEOUT" "$QEMU" -accel tcg -M q35 -smp "$smp" \
			-m 1G -icount shift=0,sleep=off \
			-rtc base=2025-01-01T00:00:00,clock=vm \
			-nodefaults -no-reboot \
			-display none -kernel "$work/bzImage" \
			-initrd "$work/initramfs.cpio" -append "$append" \
			-device intel-iommu,intremap=off \
			-device edu,dma_mask=0xffffffffff,bus=pcie.0,addr=0x3 \
			-serial file:"$log" < /dev/null > "$log.qemu" 2>&1 || rc=$?
		why=$(problem "$log" "$rc")
		echo "run-bench: $name $mode $set round $4: ${why:-ok}" \
			"($(( $(date +%s) - start ))s)"
		[ -z "$why" ] && { rm -f "$log.qemu"; return 0; }
		mv "$log" "$log-failed$attempt"
	done
	return 1
}

failed=0
start=$(date +%s)
for round in $(seq 1 "$ROUNDS"); do
	for mode in strict lazy; do
		for set in $sets; do
			if [ "$PARALLEL" = 1 ]; then
				boot "${kdirs[0]}" "$mode" "$set" "$round" & a=$!
				boot "${kdirs[1]}" "$mode" "$set" "$round" & b=$!
				wait $a || failed=1
				wait $b || failed=1
			else
				boot "${kdirs[0]}" "$mode" "$set" "$round" || failed=1
				boot "${kdirs[1]}" "$mode" "$set" "$round" || failed=1
			fi
		done
	done
done
echo "run-bench: $ROUNDS round(s) in $(( $(date +%s) - start ))s, logs in $out"
if [ "$failed" = 1 ]; then
	echo "run-bench: some boots failed twice, see $out/*.console-failed2" >&2
	exit 1
fi
