# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What run-bench.sh and run-bench-io.sh share, sourced by both with $T set
# to this directory: their command line, the names of the benchmark
# kernels, the guest's initramfs, the QEMU arguments that make a boot's
# figures instruction counts, and the checks of a boot's console.

# --src <linux tree> --out <dir> <kdir>...: sets src and out (absolute;
# out is created) and the array kdirs (absolute), or exits with the usage.
bench_args() {
	local k

	src='' out=''
	while [ $# -gt 0 ]; do
		case "$1" in
		--src) src=$2; shift 2 ;;
		--out) out=$2; shift 2 ;;
		*) break ;;
		esac
	done
	if [ -z "$src" ] || [ -z "$out" ] || [ $# -lt 1 ]; then
		echo "usage: $0 --src <tree> --out <dir> <kdir>..." >&2
		exit 2
	fi
	src=$(realpath "$src")
	kdirs=()
	for k in "$@"; do
		kdirs+=("$(realpath "$k")")
	done
	mkdir -p "$out"
	out=$(realpath "$out")
}

# A benchmark kernel's name and architecture, from its build directory
# build/bench-<arch>-<name>: bench-x86_64-ours-dma-upstream is
# "ours-dma-upstream" on x86_64.
bench_name() {
	local base

	base=$(basename "$1")
	echo "${base#bench-*-}"
}

bench_arch() {
	local base

	base=$(basename "$1")
	base=${base#bench-}
	echo "${base%%-*}"
}

# $1 work directory, $2 linux tree, $3 busybox, $4 the guest's /init; the
# initramfs list's further lines on stdin.  Writes $1/initramfs.cpio with
# one fixed timestamp on every file: the guest's work must not depend on
# when the initramfs was made (see the RTC in BENCH_QEMU_ARGS).
bench_initramfs() {
	local work=$1

	gcc -O2 -o "$work/gen_init_cpio" "$2/usr/gen_init_cpio.c" || return
	{
		cat <<-EOF
		dir /dev 0755 0 0
		nod /dev/console 0600 0 0 c 5 1
		dir /bin 0755 0 0
		dir /sbin 0755 0 0
		dir /proc 0755 0 0
		dir /sys 0755 0 0
		dir /lib 0755 0 0
		dir /lib/modules 0755 0 0
		file /init $4 0755 0 0
		file /bin/busybox $3 0755 0 0
		slink /bin/sh busybox 0777 0 0
		EOF
		cat
	} > "$work/initramfs.list"
	"$work/gen_init_cpio" -t 1735689600 "$work/initramfs.list" \
		> "$work/initramfs.cpio"
}

# What every benchmark boot runs under: TCG with -icount shift=0, so that
# guest time counts guest instructions, 1 ns each, and a figure repeats
# to the digit whatever the host's load; the RTC on guest time from a
# fixed date (the initramfs's), as read from the host clock it makes the
# boot wait a varying number of instructions for it, which shifts every
# later timer interrupt and with it the figures of the batches they land
# in; 1 GiB, no default devices, no reboot, no display.
# shellcheck disable=SC2034,SC2054 # used by the sourcing scripts; QEMU's commas
BENCH_QEMU_ARGS=(-accel tcg -m 1G -icount shift=0,sleep=off
	-rtc base=2025-01-01T00:00:00,clock=vm
	-nodefaults -no-reboot -display none)

# Why console $1 of a boot (QEMU's exit status $2) shows no complete run,
# as far as the runners agree: an RCU stall, no power-off within $TIMEOUT,
# no line "$3" at the end of the run, a report console-check.sh finds for
# test $4.  Prints nothing if none.
bench_console_problem() {
	local log=$1 rc=$2 done=$3 test=$4

	if grep -qE 'rcu: INFO: .*detected stall|self-detected stall' "$log"; then
		echo "RCU stall"
	elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "no power-off within ${TIMEOUT}s"
	elif ! grep -q "$done" "$log"; then
		echo "no '$done' (QEMU exit $rc)"
	elif ! "$T/console-check.sh" "$log" "$test" > /dev/null; then
		"$T/console-check.sh" "$log" "$test" | sed "s/^FAIL $test: //"
	fi
}
