#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end IOMMU tests: boot a test kernel under QEMU (q35, TCG) behind an
# emulated Intel VT-d with three edu DMA devices, and run the guest tests.
#
# usage: run-e2e.sh --kdir <kernel O= dir> --src <linux tree> --out <prefix>
#                   --mode test|report|shell [--module-kdir <O= dir>]
#
#   --module-kdir  build the test module against this kernel instead (same
#                  version and config, e.g. the other IOMMU core)
#
#   test    run every test; <prefix>.results gets one line per test,
#           "PASS e2e/<name>" or "FAIL e2e/<name>: <reason>", then the
#           console check; exits non-zero on any FAIL
#   report  print a short report from inside the guest (IOMMU groups and
#           the main round trips)
#   shell   interactive busybox shell on the console (Ctrl-A X quits QEMU)
#
# Every mode writes the full console log to <prefix>.console.  Build
# products (guest program, module, initramfs) go to build/e2e/<kdir name>/.
#
# Guest topology (IOMMU groups as Linux forms them):
#   00:03.0  edu on pcie.0, alone in its group
#   pcie-root-port -> pcie-pci-bridge -> two edu sharing one group
#
# Environment: E2E_TIMEOUT (seconds per boot, default 300), E2E_SEED
# (shuffle the test order), E2E_SHELL_TIMEOUT (default 3600), QEMU.
set -uo pipefail

T=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$T/../../.." && pwd)
BUILD=$TOP/build
QEMU=${QEMU:-qemu-system-x86_64}
TIMEOUT=${E2E_TIMEOUT:-300}
SHELL_TIMEOUT=${E2E_SHELL_TIMEOUT:-3600}
SEED=${E2E_SEED:-}

kdir='' src='' out='' mode='' module_kdir=''
while [ $# -gt 0 ]; do
	case "$1" in
	--kdir) kdir=$2; shift 2 ;;
	--module-kdir) module_kdir=$2; shift 2 ;;
	--src) src=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	*) echo "run-e2e: unknown argument $1" >&2; exit 2 ;;
	esac
done
case "$mode" in
test|report|shell) ;;
*) echo "usage: $0 --kdir <dir> --src <tree> --out <prefix> --mode test|report|shell" >&2
   exit 2 ;;
esac
if [ -z "$kdir" ] || [ -z "$src" ] || [ -z "$out" ]; then
	echo "run-e2e: --kdir, --src and --out are required" >&2
	exit 2
fi
kdir=$(realpath "$kdir")
# The test module may be built against another kernel of the same version
# and config, e.g. upstream's core, to show that modules built against its
# exports load against ours.
module_kdir=$(realpath "${module_kdir:-$kdir}")
src=$(realpath "$src")
mkdir -p "$(dirname "$out")"
out=$(realpath -m "$out")

work=$BUILD/e2e/$(basename "$kdir")
uapi=$BUILD/uapi-headers
start=$(date +%s)

# A setup failure is a test failure too, with the reason in the results.
fail_setup() {
	echo "run-e2e: $*" >&2
	if [ "$mode" = test ]; then
		echo "FAIL e2e/setup: $*" > "$out.results"
	fi
	exit 1
}

log_tail() {
	echo "---- $1 (last ${3:-40} lines of $2) ----"
	tail -n "${3:-40}" "$2" 2>/dev/null
	echo "----"
}

# ---- build ---------------------------------------------------------------

mkdir -p "$work"
image=$kdir/arch/x86/boot/bzImage
[ -f "$image" ] || fail_setup "no kernel image $image (build the kernel first)"
# A snapshot: the build directory may be rebuilt while we run.
cp "$image" "$work/bzImage" || fail_setup "cannot copy $image"

if ! grep -qs VFIO_DEVICE_BIND_IOMMUFD "$uapi/usr/include/linux/vfio.h"; then
	echo "run-e2e: installing UAPI headers into $uapi"
	make -s -C "$src" O="$uapi" headers_install \
		INSTALL_HDR_PATH="$uapi/usr" > "$work/headers.log" 2>&1 ||
		{ log_tail "headers_install failed" "$work/headers.log"
		  fail_setup "headers_install failed"; }
fi

gcc -static -O2 -Wall -Wextra -Wno-format-truncation \
	-I"$uapi/usr/include" -o "$work/iommu-e2e" "$T"/guest/*.c \
	> "$work/guest.log" 2>&1 ||
	{ log_tail "guest program build failed" "$work/guest.log"
	  fail_setup "guest program build failed"; }

rm -rf "$work/module"
mkdir -p "$work/module"
cp "$T/module/Makefile" "$T/module/iommu_e2e.c" "$work/module/"
make -C "$src" O="$module_kdir" M="$work/module" modules > "$work/module.log" 2>&1 ||
	{ log_tail "module build failed" "$work/module.log"
	  fail_setup "module build failed"; }

gcc -O2 -o "$work/gen_init_cpio" "$src/usr/gen_init_cpio.c" \
	> "$work/cpio.log" 2>&1 ||
	{ log_tail "gen_init_cpio build failed" "$work/cpio.log"
	  fail_setup "gen_init_cpio build failed"; }
cat > "$work/initramfs.list" <<EOF
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /bin 0755 0 0
dir /sbin 0755 0 0
dir /proc 0755 0 0
dir /sys 0755 0 0
dir /tmp 1777 0 0
dir /root 0700 0 0
dir /lib 0755 0 0
dir /lib/modules 0755 0 0
file /init $T/guest/init 0755 0 0
file /bin/busybox /bin/busybox 0755 0 0
slink /bin/sh busybox 0777 0 0
file /bin/iommu-e2e $work/iommu-e2e 0755 0 0
file /lib/modules/iommu_e2e.ko $work/module/iommu_e2e.ko 0644 0 0
EOF
"$work/gen_init_cpio" "$work/initramfs.list" > "$work/initramfs.cpio" \
	2> "$work/cpio.log" ||
	{ log_tail "initramfs failed" "$work/cpio.log"
	  fail_setup "initramfs failed"; }

# ---- boot ----------------------------------------------------------------

edu="edu,dma_mask=0xffffffffff"
# QEMU's VT-d runs without interrupt remapping here (intremap=off), which
# VFIO refuses unless told that unsafe (unremapped) MSIs are acceptable.
append="console=ttyS0 intel_iommu=on kunit.enable=0 panic=-1"
append="$append vfio_iommu_type1.allow_unsafe_interrupts=1"
append="$append iommufd.allow_unsafe_interrupts=1 e2e.mode=$mode"
[ -n "$SEED" ] && append="$append e2e.seed=$SEED"
# shellcheck disable=SC2054 # commas separate QEMU sub-options
qemu_args=(
	-accel tcg -M q35 -smp 2 -m 1G
	-nodefaults -no-reboot -display none
	-kernel "$work/bzImage" -initrd "$work/initramfs.cpio"
	-append "$append"
	-device intel-iommu,intremap=off
	-device "$edu,bus=pcie.0,addr=0x3"
	-device pcie-root-port,id=e2e_rp,bus=pcie.0,addr=0x4,chassis=1,slot=1
	-device pcie-pci-bridge,id=e2e_br,bus=e2e_rp,addr=0x0
	-device "$edu,bus=e2e_br,addr=0x1"
	-device "$edu,bus=e2e_br,addr=0x2"
)
ttys1=$work/ttyS1-$mode.log
rm -f "$ttys1" "$out.console"

if [ "$mode" = shell ]; then
	echo "run-e2e: shell on the console; 'exit' powers off, Ctrl-A X quits QEMU"
	timeout -k 10 "$SHELL_TIMEOUT" "$QEMU" "${qemu_args[@]}" \
		-chardev stdio,id=con,mux=on,logfile="$out.console" \
		-serial chardev:con -mon chardev=con,mode=readline \
		-serial file:"$ttys1"
	exit $?
fi

echo "run-e2e: booting $(basename "$kdir") under QEMU/TCG ($mode mode, log $out.console)"
timeout -k 10 "$TIMEOUT" "$QEMU" "${qemu_args[@]}" \
	-serial file:"$out.console" -serial file:"$ttys1" \
	< /dev/null > "$work/qemu-$mode.log" 2>&1 &
qemu_pid=$!
if [ "$mode" = test ]; then
	# Show the results as they come.
	touch "$ttys1"
	tail -n +1 -F --pid=$qemu_pid "$ttys1" 2>/dev/null |
		grep --line-buffered -E '^(PASS|FAIL) ' | sed -u 's/^/  /'
fi
wait $qemu_pid
rc=$?
elapsed=$(( $(date +%s) - start ))

# Why the guest did not finish, if it did not.
problem=
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	problem="guest hung: no power-off within ${TIMEOUT}s"
elif grep -qs 'Kernel panic' "$out.console"; then
	problem="kernel panic: $(grep -m1 'Kernel panic' "$out.console" |
		sed 's/^\[[ 0-9.]*\] //' | cut -c1-120)"
elif [ $rc -ne 0 ]; then
	problem="QEMU exited with $rc: $(tail -n 1 "$work/qemu-$mode.log")"
fi

if [ "$mode" = report ]; then
	tr -d '\r' < "$ttys1" 2>/dev/null
	if [ -n "$problem" ] || ! grep -qs '^==== end of report' "$ttys1"; then
		echo "run-e2e: report incomplete: ${problem:-guest stopped early}"
		log_tail console "$out.console"
		exit 1
	fi
	echo "run-e2e: done in ${elapsed}s"
	exit 0
fi

# test mode: one line per expected test, whether it reported or not.
raw=$(tr -d '\r' < "$ttys1" 2>/dev/null)
if [ -z "$problem" ] && ! grep -q '^E2E-DONE' <<< "$raw"; then
	problem="guest stopped before the tests ended"
fi
{
	for name in $("$work/iommu-e2e" list); do
		line=$(grep -m1 -E "^(PASS|FAIL) $name(: |$)" <<< "$raw")
		echo "${line:-FAIL $name: did not report (${problem:-no result})}"
	done
	if [ -n "$problem" ]; then
		echo "FAIL e2e/guest-run: $problem"
	else
		echo "PASS e2e/guest-run"
	fi
	"$T/console-check.sh" "$out.console" e2e/console-clean
} > "$out.results"

passed=$(grep -c '^PASS ' "$out.results")
failed=$(grep -c '^FAIL ' "$out.results")
# The lines the guest did not show already.
grep -vxF -f <(echo "$raw") "$out.results" | sed 's/^/  /'
if [ "$failed" -gt 0 ]; then
	log_tail console "$out.console" 50
fi
echo "run-e2e: $passed passed, $failed failed in ${elapsed}s (results $out.results)"
[ "$failed" -eq 0 ]
