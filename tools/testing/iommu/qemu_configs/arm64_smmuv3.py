# SPDX-License-Identifier: GPL-2.0
#
# kunit.py QEMU configuration: arm64 virt machine (device tree, GICv3 with
# ITS) behind an emulated SMMUv3, with an edu device and a PCIe root port
# for the real driver to probe, so that the conformance suite's mock IOMMU
# drivers run beside a real one.  A device described by the device tree
# gets its IOMMU when a driver first binds it (6.12 configures it from
# dma_configure()): the root port, bound to pcieport at boot, is the PCI
# device the suite finds behind the SMMUv3.  TCG only: guests hang under
# KVM on our build machines.
from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(linux_arch='arm64',
			   kconfig='''
CONFIG_SERIAL_AMBA_PL011=y
CONFIG_SERIAL_AMBA_PL011_CONSOLE=y''',
			   qemu_arch='aarch64',
			   kernel_path='arch/arm64/boot/Image',
			   kernel_command_line='console=ttyAMA0 panic_on_warn=0',
			   extra_qemu_params=['-accel', 'tcg',
					      '-M', 'virt,gic-version=3,iommu=smmuv3',
					      '-cpu', 'max,pauth-impdef=on', '-smp', '2',
					      '-device', 'pcie-root-port,bus=pcie.0,addr=0x2,chassis=1',
					      '-device', 'edu,bus=pcie.0,addr=0x3,dma_mask=0xffffffffff'])
