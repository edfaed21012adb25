#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end IOMMU tests: boot a test kernel under QEMU (TCG; q35 on x86_64,
# virt on arm64) behind an emulated IOMMU with three edu DMA devices, and
# run the guest tests.
#
# usage: run-e2e.sh --kdir <kernel O= dir> --src <linux tree> --out <prefix>
#                   --mode test|report|shell [--module-kdir <O= dir>]
#                   [--arch x86_64|arm64] [--iommu <iommu>]
#
#   --module-kdir  build the test module against this kernel instead (same
#                  version and config, e.g. the other IOMMU core)
#   --arch         the kernel's architecture (x86_64, the default, or arm64)
#   --iommu        the IOMMU QEMU emulates (one kernel carries every driver):
#                  x86_64 (q35, ACPI):
#                    intel     Intel VT-d, legacy mode (the default)
#                    intel-sm  Intel VT-d, scalable mode with PASIDs
#                    amd       AMD-Vi
#                    virtio    virtio-iommu (ACPI VIOT)
#                  arm64 (virt, device tree):
#                    smmuv3    Arm SMMUv3 (the default)
#                    virtio    virtio-iommu (the device tree's iommu-map)
#                  and, for any of them, a flush mode row:
#                    <iommu>-strict, <iommu>-lazy
#                              the same IOMMU booted with iommu.strict=1
#                              or 0, running only the tests whose DMA goes
#                              through the DMA API (the disks, the module)
#                              and dma-mode, which checks that every
#                              translating default domain is of the mode
#                              ("DMA" strict, "DMA-FQ" lazy); worth a
#                              row is the mode an architecture does not
#                              default to: intel-strict (x86_64 defaults
#                              to lazy), smmuv3-lazy (arm64 to strict)
#                  The result names start with the row, "e2e-<iommu>/" on
#                  x86_64, "e2e-arm64-<iommu>/" on arm64.
#
#   test    run every test; <prefix>.results gets one line per test,
#           "PASS <row>/<name>" (": not checked: <what>: <why>" added when
#           the IOMMU cannot show all of it) or "FAIL <row>/<name>:
#           <reason>", then the console check; exits non-zero on any FAIL
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
#   x86_64 but AMD-Vi: pcie-root-port (00:08.0) -> an edu alone in its
#           group, the one with a reset method (secondary bus reset)
# except behind virtio-iommu and on arm64, where the two sharing a group
# are functions 0 and 1 of slot 00:05 (multifunction, no ACS): QEMU 7.2's
# virtio-iommu knows a device behind a PCIe-to-PCI bridge only by the
# bridge's alias requester ID, and Linux probes the device's own ID, which
# QEMU refuses; Linux's SMMUv3 driver gives each such device the alias as
# a second stream ID, and refuses the second device whose alias is already
# taken ("stream ... already in tree").  On every row, two disks:
#   00:06.0  NVMe (serial e2e-nvme), alone in its group
#   00:07.0  virtio-blk (iommu_platform=on, modern only), alone in its
#            group
# The virtio-iommu, and AMD-Vi's PCI function, take the first free slot,
# 00:01.0.
#
# The results travel on a serial port of their own: ttyS1 on x86_64; on
# arm64, whose virt machine has one UART, a virtio console (hvc0) on
# virtio-mmio, which no IOMMU translates.
#
# Environment: E2E_TIMEOUT (seconds per boot, default 300), E2E_SEED
# (shuffle the test order), E2E_SHELL_TIMEOUT (default 3600), QEMU,
# E2E_QEMU_ARGS (more QEMU arguments, e.g. "-trace amdvi_page_fault"; the
# trace goes to build/e2e/<kdir name>/qemu-<mode>-<iommu>.log).
set -uo pipefail

T=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$T/../../.." && pwd)
BUILD=$TOP/build
TIMEOUT=${E2E_TIMEOUT:-300}
SHELL_TIMEOUT=${E2E_SHELL_TIMEOUT:-3600}
SEED=${E2E_SEED:-}

kdir='' src='' out='' mode='' module_kdir='' iommu=intel iommu_set='' arch=x86_64
while [ $# -gt 0 ]; do
	case "$1" in
	--kdir) kdir=$2; shift 2 ;;
	--arch) arch=$2; shift 2 ;;
	--iommu) iommu=$2; iommu_set=1; shift 2 ;;
	--module-kdir) module_kdir=$2; shift 2 ;;
	--src) src=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	*) echo "run-e2e: unknown argument $1" >&2; exit 2 ;;
	esac
done
case "$mode" in
test|report|shell) ;;
*) echo "usage: $0 --kdir <dir> --src <tree> --out <prefix>" \
	"--mode test|report|shell [--arch x86_64|arm64] [--iommu <iommu>]" >&2
   exit 2 ;;
esac
case "$arch" in
x86_64)
	QEMU=${QEMU:-qemu-system-x86_64}
	cross=
	kimage=arch/x86/boot/bzImage ;;
arm64)
	QEMU=${QEMU:-qemu-system-aarch64}
	cross=aarch64-linux-gnu-
	kimage=arch/arm64/boot/Image
	# No --iommu: the first row of this architecture.
	[ "$iommu_set" ] || iommu=smmuv3 ;;
*) echo "run-e2e: unknown architecture $arch (x86_64 or arm64)" >&2
   exit 2 ;;
esac
# A flush mode row, "<iommu>-strict" or "-lazy": the IOMMU <iommu> with
# the IOMMU's invalidation policy forced (iommu.strict=1 or 0), and only
# the tests that map through the DMA API in that policy, plus dma-mode.
# The matrix's other rows run in the architecture's default policy.
flush=
case "$iommu" in
*-strict) flush=strict; flush_append="iommu.strict=1" ;;
*-lazy) flush=lazy; flush_append="iommu.strict=0" ;;
esac
base=$iommu
[ -n "$flush" ] && base=${iommu%-"$flush"}
flush_tests=dma-mode,disk-nvme,disk-virtio-blk,module
# The row: the IOMMU QEMU emulates, how Linux is told to use it, and the
# prefix of the result names.  On arm64 the guest's model of the IOMMU,
# and so the row, is "arm64-<iommu>".
model=$base
case "$arch:$base" in
x86_64:intel)
	iommu_dev=intel-iommu,intremap=off
	iommu_append="intel_iommu=on" ;;
x86_64:intel-sm)
	iommu_dev=intel-iommu,intremap=off,x-scalable-mode=on,x-pasid-mode=on
	iommu_append="intel_iommu=on,sm_on" ;;
x86_64:amd)
	iommu_dev=amd-iommu,intremap=off
	iommu_append="" ;;
x86_64:virtio)
	iommu_dev=virtio-iommu-pci
	iommu_append="" ;;
arm64:smmuv3)
	# The SMMUv3 is part of the machine, in front of its PCIe root
	# complex.
	machine=virt,gic-version=3,iommu=smmuv3
	iommu_dev=
	iommu_append=""
	model=arm64-smmuv3 ;;
arm64:virtio)
	machine=virt,gic-version=3
	iommu_dev=virtio-iommu-pci
	iommu_append=""
	model=arm64-virtio ;;
x86_64:*) echo "run-e2e: unknown IOMMU $iommu (intel, intel-sm, amd or virtio;" \
	"-strict or -lazy after one)" >&2
   exit 2 ;;
*) echo "run-e2e: unknown IOMMU $iommu on $arch (smmuv3 or virtio;" \
	"-strict or -lazy after one)" >&2
   exit 2 ;;
esac
row=e2e-$model${flush:+-$flush}
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
# The UAPI headers the guest program is built against: the host's on
# x86_64, the guest's when cross-compiling.
uapi=$BUILD/uapi-headers
guest_uapi=$uapi${cross:+-$arch}
start=$(date +%s)

# A setup failure is a test failure too, with the reason in the results.
fail_setup() {
	echo "run-e2e: $*" >&2
	if [ "$mode" = test ]; then
		echo "FAIL $row/setup: $*" > "$out.results"
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
image=$kdir/$kimage
[ -f "$image" ] || fail_setup "no kernel image $image (build the kernel first)"
# A snapshot: the build directory may be rebuilt while we run.
cp "$image" "$work/$(basename "$kimage")" || fail_setup "cannot copy $image"

# The UAPI headers of architecture $1 (the host's if empty) into $2.
install_uapi() {
	grep -qs VFIO_DEVICE_BIND_IOMMUFD "$2/usr/include/linux/vfio.h" &&
		return 0
	echo "run-e2e: installing ${1:+$1 }UAPI headers into $2"
	make -s -C "$src" O="$2" ${1:+ARCH=$1} headers_install \
		INSTALL_HDR_PATH="$2/usr" > "$work/headers.log" 2>&1 ||
		{ log_tail "headers_install failed" "$work/headers.log"
		  fail_setup "headers_install failed"; }
}

# $1: output, $2: compiler, $3: UAPI headers
build_guest() {
	"$2" -static -O2 -Wall -Wextra -Wno-format-truncation \
		-I"$3/usr/include" -o "$1" "$T"/guest/*.c \
		> "$work/guest.log" 2>&1 ||
		{ log_tail "guest program build failed" "$work/guest.log"
		  fail_setup "guest program build failed"; }
}

# The result names come from the guest program's list: when it cannot
# run here, from a host build of it.
install_uapi "" "$uapi"
if [ -n "$cross" ]; then
	lister=$work/iommu-e2e-host
	build_guest "$lister" gcc "$uapi"
	install_uapi "$arch" "$guest_uapi"
	build_guest "$work/iommu-e2e" "${cross}gcc" "$guest_uapi"
else
	lister=$work/iommu-e2e
	build_guest "$lister" gcc "$uapi"
fi

# The test module, and make bench's module for the bench-smoke test
# (bench/iommu_bench.c: it must keep building against this kernel).
build_module() {
	local dir=$work/$1 name=$2

	rm -rf "$dir"
	mkdir -p "$dir"
	cp "$T/$1/Makefile" "$T/$1/$name.c" "$dir/"
	make -C "$src" O="$module_kdir" M="$dir" \
		${cross:+ARCH=$arch CROSS_COMPILE=$cross} modules \
		> "$dir.log" 2>&1 ||
		{ log_tail "$name module build failed" "$dir.log"
		  fail_setup "$name module build failed"; }
}
build_module module iommu_e2e
build_module bench iommu_bench

# busybox for the guest: the host's on x86_64, Debian's static build for
# the guest's architecture otherwise (fetched once into build/).
busybox=/bin/busybox
if [ -n "$cross" ]; then
	busybox=$BUILD/busybox-$arch/bin/busybox
	"$T/get-busybox.sh" "$arch" "$BUILD/busybox-$arch" > "$work/busybox.log" 2>&1 ||
		{ log_tail "busybox for $arch failed" "$work/busybox.log"
		  get="tools/testing/iommu/get-busybox.sh $arch build/busybox-$arch"
		  fail_setup "no busybox for $arch ($get, as root)"; }
fi

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
file /bin/busybox $busybox 0755 0 0
slink /bin/sh busybox 0777 0 0
file /bin/iommu-e2e $work/iommu-e2e 0755 0 0
file /lib/modules/iommu_e2e.ko $work/module/iommu_e2e.ko 0644 0 0
file /lib/modules/iommu_bench.ko $work/bench/iommu_bench.ko 0644 0 0
EOF
"$work/gen_init_cpio" "$work/initramfs.list" > "$work/initramfs.cpio" \
	2> "$work/cpio.log" ||
	{ log_tail "initramfs failed" "$work/cpio.log"
	  fail_setup "initramfs failed"; }

# ---- boot ----------------------------------------------------------------

edu="edu,dma_mask=0xffffffffff"
console=ttyS0
[ "$arch" = arm64 ] && console=ttyAMA0
# No emulated IOMMU remaps interrupts here (VT-d and AMD-Vi run with
# intremap=off, virtio-iommu cannot), which VFIO refuses unless told that
# unsafe (unremapped) MSIs are acceptable.
append="console=$console${iommu_append:+ $iommu_append} kunit.enable=0 panic=-1"
append="$append vfio_iommu_type1.allow_unsafe_interrupts=1"
append="$append iommufd.allow_unsafe_interrupts=1 e2e.mode=$mode"
append="$append e2e.iommu=$model"
# The core the kernel runs, from its build directory's name (<arch>-<core>)
case "$(basename "$kdir")" in
*-upstream) append="$append e2e.core=upstream" ;;
*) append="$append e2e.core=ours" ;;
esac
[ "$arch" = arm64 ] && append="$append e2e.out=/dev/hvc0"
[ -n "$SEED" ] && append="$append e2e.seed=$SEED"
[ -n "$flush" ] &&
	append="$append $flush_append e2e.flush=$flush e2e.tests=$flush_tests"
# shellcheck disable=SC2054 # commas separate QEMU sub-options
if [ "$base" = virtio ] || [ "$arch" = arm64 ]; then
	shared=(
		-device "$edu,bus=pcie.0,addr=0x5.0,multifunction=on"
		-device "$edu,bus=pcie.0,addr=0x5.1"
	)
else
	shared=(
		-device pcie-root-port,id=e2e_rp,bus=pcie.0,addr=0x4,chassis=1,slot=1
		-device pcie-pci-bridge,id=e2e_br,bus=e2e_rp,addr=0x0
		-device "$edu,bus=e2e_br,addr=0x1"
		-device "$edu,bus=e2e_br,addr=0x2"
	)
fi
# On x86_64, one more edu, alone behind a root port of its own: QEMU's edu
# has neither FLR nor PM reset, so it is the one edu with a reset method
# (a secondary bus reset, or its slot's), for the reset tests.  Its bus
# sorts after the others, which keep their roles.  Not behind AMD-Vi:
# there its writes never reach memory, with upstream's core as with ours,
# already in the first round trip (after only the reset VFIO makes when it
# opens the device), where VT-d and virtio-iommu pass; so the reset tests
# say they could not run there.
reset_edu=()
# shellcheck disable=SC2054 # commas separate QEMU sub-options
[ "$arch" = x86_64 ] && [ "$base" != amd ] && reset_edu=(
	-device pcie-root-port,id=e2e_rp_reset,bus=pcie.0,addr=0x8,chassis=2,slot=2
	-device "$edu,bus=e2e_rp_reset,addr=0x0"
)
# Two disks for real drivers' block I/O through the DMA-IOMMU layer, on
# pcie.0 clear of the edu slots (00:03-00:05), each alone in its group: an
# NVMe controller and a virtio-blk that offers VIRTIO_F_ACCESS_PLATFORM
# (iommu_platform=on), without which virtio_ring would not use the DMA API
# and its DMA would bypass the IOMMU; modern only (disable-legacy=on), the
# transport that feature needs.  Behind virtio-iommu and SMMUv3 they are
# translated like the edu: ACPI VIOT and the device tree's iommu-map cover
# the whole root bus.  The backing files are sparse raw images in the
# work directory, deleted when this script ends; cache=unsafe, the host's
# page cache without flushes, is the fastest under TCG, and nothing on
# them needs to outlive the run.
disk_nvme=$work/disk-nvme-$mode-$iommu.img
disk_vblk=$work/disk-virtio-blk-$mode-$iommu.img
trap 'rm -f "$disk_nvme" "$disk_vblk"' EXIT
truncate -s 80M "$disk_nvme" "$disk_vblk" ||
	fail_setup "cannot create the disk images in $work"
# virtio uses the DMA API (and so the IOMMU) only with iommu_platform
vblk=virtio-blk-pci,drive=e2e_vblk,bus=pcie.0,addr=0x7
vblk=$vblk,iommu_platform=on,disable-legacy=on
# shellcheck disable=SC2054 # commas separate QEMU sub-options
disks=(
	-drive file="$disk_nvme",if=none,id=e2e_nvme,format=raw,cache=unsafe
	-device nvme,serial=e2e-nvme,drive=e2e_nvme,bus=pcie.0,addr=0x6
	-drive file="$disk_vblk",if=none,id=e2e_vblk,format=raw,cache=unsafe
	-device "$vblk"
)
# The scalable-mode row checks in QEMU's trace that the guest really
# programmed a scalable-mode root table.
trace=()
[ "$base" = intel-sm ] && trace=(-trace vtd_reg_dmar_root)
# shellcheck disable=SC2206 # split on purpose
extra=(${E2E_QEMU_ARGS:-})
# shellcheck disable=SC2054 # commas separate QEMU sub-options
if [ "$arch" = x86_64 ]; then
	machine_args=(-M q35 -kernel "$work/bzImage")
	# The results: the second UART.
	ttys1=$work/ttyS1-$mode-$iommu.log
	results=(-serial file:"$ttys1")
	behind=$iommu_dev
else
	machine_args=(-M "$machine" -cpu max,pauth-impdef=on -kernel "$work/Image")
	# The results: a virtio console on virtio-mmio, outside any IOMMU.
	ttys1=$work/hvc0-$mode-$iommu.log
	results=(
		-chardev file,id=e2e_out,path="$ttys1"
		-device virtio-serial-device -device virtconsole,chardev=e2e_out
	)
	behind=${iommu_dev:-the SMMUv3 of the virt machine}
fi
qemu_args=(
	-accel tcg "${machine_args[@]}" -smp 2 -m 1G
	-nodefaults -no-reboot -display none
	-initrd "$work/initramfs.cpio" -append "$append"
	${iommu_dev:+-device "$iommu_dev"}
	-device "$edu,bus=pcie.0,addr=0x3"
	"${shared[@]}" "${reset_edu[@]}" "${disks[@]}" "${trace[@]}"
	"${extra[@]}"
)
qemu_log=$work/qemu-$mode-$iommu.log
rm -f "$ttys1" "$out.console"

if [ "$mode" = shell ]; then
	echo "run-e2e: shell on the console; 'exit' powers off, Ctrl-A X quits QEMU"
	timeout -k 10 "$SHELL_TIMEOUT" "$QEMU" "${qemu_args[@]}" \
		-chardev stdio,id=con,mux=on,logfile="$out.console" \
		-serial chardev:con -mon chardev=con,mode=readline \
		"${results[@]}"
	exit $?
fi

echo "run-e2e: booting $(basename "$kdir") under QEMU/TCG behind $behind" \
	"($mode mode, log $out.console)"
timeout -k 10 "$TIMEOUT" "$QEMU" "${qemu_args[@]}" \
	-serial file:"$out.console" "${results[@]}" \
	< /dev/null > "$qemu_log" 2>&1 &
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
	problem="QEMU exited with $rc: $(tail -n 1 "$qemu_log")"
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

# test mode: one line per expected test, whether it reported or not.  A
# flush mode row expects only $flush_tests (the guest reads e2e.tests).
listed=()
if [ -n "$flush" ]; then
	IFS=, read -r -a listed <<< "$flush_tests"
	listed=(-m "$flush" "${listed[@]}")
fi
raw=$(tr -d '\r' < "$ttys1" 2>/dev/null)
if [ -z "$problem" ] && ! grep -q '^E2E-DONE' <<< "$raw"; then
	problem="guest stopped before the tests ended"
fi
{
	for name in $("$lister" list -i "$model" "${listed[@]}"); do
		line=$(grep -m1 -E "^(PASS|FAIL|XFAIL|XPASS) $name(: |$)" <<< "$raw")
		echo "${line:-FAIL $name: did not report (${problem:-no result})}"
	done
	if [ "$base" = intel-sm ]; then
		# "vtd_reg_dmar_root addr 0x... scalable 1" (QEMU 7.2)
		if grep -qE 'vtd_reg_dmar_root .*(scalable|extended) 1' "$qemu_log"; then
			echo "PASS $row/scalable-mode"
		else
			echo "FAIL $row/scalable-mode: QEMU never saw a scalable-mode" \
				"root table (trace vtd_reg_dmar_root in $qemu_log)"
		fi
	fi
	if [ -n "$problem" ]; then
		echo "FAIL $row/guest-run: $problem"
	else
		echo "PASS $row/guest-run"
	fi
	"$T/console-check.sh" "$out.console" "$row/console-clean"
} > "$out.results"

passed=$(grep -c '^PASS ' "$out.results")
failed=$(grep -c -E '^(FAIL|XPASS) ' "$out.results")
# The lines the guest did not show already.
grep -vxF -f <(echo "$raw") "$out.results" | sed 's/^/  /'
if [ "$failed" -gt 0 ]; then
	log_tail console "$out.console" 50
fi
echo "run-e2e: $passed passed, $failed failed in ${elapsed}s (results $out.results)"
[ "$failed" -eq 0 ]
