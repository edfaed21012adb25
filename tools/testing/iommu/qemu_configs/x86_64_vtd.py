# SPDX-License-Identifier: GPL-2.0
#
# kunit.py QEMU configuration: q35 behind an emulated Intel VT-d, with edu
# devices for the real driver to probe, so that the conformance suite's
# mock IOMMU drivers run beside a real one.  TCG only: guests hang under
# KVM on our build machines.  iommu=soft sets up swiotlb, which x86 skips
# when an IOMMU is present: the DMA layer's bounce cases need its buffers.
from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(linux_arch='x86_64',
			   kconfig='''
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y''',
			   qemu_arch='x86_64',
			   kernel_path='arch/x86/boot/bzImage',
			   kernel_command_line='console=ttyS0 intel_iommu=on iommu=soft panic_on_warn=0',
			   extra_qemu_params=['-accel', 'tcg', '-M', 'q35', '-smp', '2',
					      '-device', 'intel-iommu,intremap=off',
					      '-device', 'edu,dma_mask=0xffffffffff'])
