# SPDX-License-Identifier: GPL-2.0
#
# Project driver: installs what is missing, lays our sources over a pristine
# Linux 6.12.y tree, builds test kernels with O= directories and runs the
# KUnit conformance suite and the end-to-end tests under QEMU.
#
#   make run      boot the patched kernel and print the guest report
#   make shell    boot it with an interactive shell on the console
#   make check    every test on both cores and both architectures, the
#                 quality gates and the export comparisons; the last line
#                 is "N passed, N failed"
#   make kunit    only the KUnit conformance suite
#   make e2e      only the end-to-end tests, behind every IOMMU QEMU
#                 emulates for ARCH
#   make arm32    build-only: 32-bit ARM, exynos_defconfig + Exynos IOMMU
#                 (QEMU has no Exynos SysMMU model)
#   make mixed    build-only: x86_64 kernels of our core with upstream's DMA
#                 layer and of upstream's core with ours
#   make gates    checkpatch --strict, kernel-doc and sparse on our sources
#   make series   our work as a format-patch series against the base tree,
#                 with a cover letter, signed off by the sender (git config
#                 user.name and user.email, or SERIES_IDENT="Name <email>"),
#                 split as tools/testing/iommu/series-split says; builds
#                 every patch in order and runs KUnit where each part is
#                 complete (not part of check; SERIES_BUILD=0 skips that)
#   make series-check  its cheap part, which check runs: the series applies
#                 and reproduces the tested tree, checkpatch is clean on
#                 every patch
#   make bench    what the IOMMU costs, on non-debug x86_64 and arm64
#                 kernels under QEMU with icount (not part of check):
#                 upstream's core and DMA layer, our core with upstream's
#                 layer, ours with ours, behind VT-d, AMD-Vi, virtio-iommu
#                 and SMMUv3, and without an IOMMU as the limit; per figure
#                 the median and p99 per operation, the ratios, and the
#                 IOTLB invalidations per operation from QEMU's trace;
#                 results in build/bench/results.md and results.png.
#                 BENCH_ARCHS, BENCH_ROWS, BENCH_CASES, BENCH_ROUNDS narrow
#                 it (see run-bench.sh)
#   make bench-io real NVMe I/O through the IOMMU on the same kernels, with
#                 iommu=pt and no IOMMU as the limits (not part of check);
#                 results in build/bench/io.md
#
# CORE=ours (default) or CORE=upstream selects the IOMMU core the kernel is
# built with, DMA=ours or upstream the DMA-IOMMU layer (by default the
# same as CORE); ARCH=x86_64 (default) or arm64 the architecture.  Each
# combination has its own O= directory, build/<arch>-<core>, or
# build/<arch>-<core>-dma-<dma> when the DMA layer is the other side's.  IOMMU= selects the IOMMU
# QEMU emulates for run and shell: intel (default), intel-sm, amd, virtio
# on x86_64; smmuv3 (default), virtio on arm64.

CORE	?= ours
CORE_SYM = $(if $(filter ours,$(CORE)),OURS,$(if $(filter upstream,$(CORE)),UPSTREAM,$(error CORE must be ours or upstream)))
# DMA=ours or upstream: the DMA-IOMMU layer, by default the same side as CORE
DMA	?= $(CORE)
DMA_SYM = $(if $(filter ours,$(DMA)),OURS,$(if $(filter upstream,$(DMA)),UPSTREAM,$(error DMA must be ours or upstream)))
ARCH	?= x86_64
JOBS	?= $(shell nproc)
TOP	:= $(CURDIR)
BUILD	:= $(TOP)/build
SRC	:= $(BUILD)/src/linux
KDIR	:= $(BUILD)/$(ARCH)-$(CORE)$(if $(filter-out $(CORE),$(DMA)),-dma-$(DMA))
RESULTS	:= $(BUILD)/results
T	:= $(TOP)/tools/testing/iommu

export CCACHE_DIR ?= $(BUILD)/ccache

# Per architecture: the QEMU machine kunit.py boots, the cross compiler,
# the rows of the end-to-end matrix (the IOMMUs QEMU emulates there) and
# the prefix of their result names.
E2E_ROWS_x86_64 := intel intel-sm amd virtio intel-strict
E2E_ROWS_arm64	:= smmuv3 virtio smmuv3-lazy
ifeq ($(ARCH),x86_64)
QEMU_CONFIG := x86_64_vtd
CROSS	:=
E2E_PFX	:= e2e
else ifeq ($(ARCH),arm64)
QEMU_CONFIG := arm64_smmuv3
CROSS	:= aarch64-linux-gnu-
E2E_PFX	:= e2e-arm64
else
$(error ARCH must be x86_64 or arm64)
endif

KUNITCONFIGS := $(addprefix $(T)/configs/,common.config $(ARCH).config debug.config)
KUNIT	:= cd $(SRC) && python3 tools/testing/kunit/kunit.py
KUNIT_ARGS = --arch=$(ARCH) --build_dir=$(KDIR) --jobs=$(JOBS) \
	$(if $(CROSS),--cross_compile=$(CROSS)) \
	$(addprefix --kunitconfig=,$(KUNITCONFIGS)) \
	--qemu_config=$(T)/qemu_configs/$(QEMU_CONFIG).py \
	--make_options='CC=ccache $(CROSS)gcc' \
	--kconfig_add=CONFIG_IOMMU_CORE_$(CORE_SYM)=y \
	--kconfig_add=CONFIG_IOMMU_DMA_LAYER_$(DMA_SYM)=y

DEBS := linux-source-6.12 qemu-system-x86 qemu-system-arm busybox-static \
	build-essential gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
	gcc-arm-linux-gnueabihf flex bison bc cpio kmod libelf-dev libssl-dev \
	python3 rsync xz-utils sparse coccinelle ccache

.PHONY: all deps tree kernel kunit e2e check check-arch mixed arm32 gates series run shell summary clean \
	bench bench-kernels bench-io

all: check

deps:
	@missing=$$(for p in $(DEBS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
			grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq $$missing >/dev/null; \
	fi

tree: deps
	@$(T)/prepare-tree.sh $(TOP) $(SRC)

kernel: tree
	$(KUNIT) build $(KUNIT_ARGS)

kunit: tree
	@mkdir -p $(RESULTS)
	@$(T)/run-kunit.sh $(SRC) $(RESULTS)/$(subst e2e,kunit,$(E2E_PFX))-$(CORE) $(KUNIT_ARGS)

# The end-to-end tests behind each IOMMU QEMU emulates for this ARCH (one
# kernel carries every driver), results in <prefix>-<iommu>-<core>.
# E2E_ROWS picks rows; E2E_MODULE_CORE builds the test module against the
# other core's kernel.
E2E_ROWS ?= $(E2E_ROWS_$(ARCH))
e2e: kernel
	@mkdir -p $(RESULTS)
	@rc=0; for row in $(E2E_ROWS); do \
		$(T)/run-e2e.sh --arch $(ARCH) --iommu $$row --kdir $(KDIR) \
			--src $(SRC) --out $(RESULTS)/$(E2E_PFX)-$$row-$(CORE) --mode test \
			$(if $(E2E_MODULE_CORE),--module-kdir $(BUILD)/$(ARCH)-$(E2E_MODULE_CORE)) || \
			rc=1; \
	done; exit $$rc

IOMMU ?= $(firstword $(E2E_ROWS_$(ARCH)))
run: kernel
	@$(T)/run-e2e.sh --arch $(ARCH) --iommu $(IOMMU) --kdir $(KDIR) --src $(SRC) \
		--out $(BUILD)/run-$(ARCH)-$(CORE) --mode report

shell: kernel
	@$(T)/run-e2e.sh --arch $(ARCH) --iommu $(IOMMU) --kdir $(KDIR) --src $(SRC) \
		--out $(BUILD)/shell-$(ARCH)-$(CORE) --mode shell

# Every test on both cores of every architecture, then the quality gates
# on our sources and the cheap check of the series.  The summary shows each
# row of the matrix on each core.
MATRIX := kunit $(addprefix e2e-,$(E2E_ROWS_x86_64)) \
	kunit-arm64 $(addprefix e2e-arm64-,$(E2E_ROWS_arm64)) build-arm32-exynos
check:
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@$(MAKE) --no-print-directory tree || echo "FAIL setup: tree" >> $(RESULTS)/setup.results
	-@$(MAKE) --no-print-directory check-arch ARCH=x86_64
	-@$(MAKE) --no-print-directory mixed
	-@$(MAKE) --no-print-directory check-arch ARCH=arm64
	-@$(MAKE) --no-print-directory arm32 CORE=upstream
	@[ -d $(BUILD)/arm32-ours ] || [ ! -d $(BUILD)/arm32-upstream ] || \
		cp -a $(BUILD)/arm32-upstream $(BUILD)/arm32-ours
	-@$(MAKE) --no-print-directory arm32 CORE=ours
	-@$(MAKE) --no-print-directory gates
	-@$(MAKE) --no-print-directory series-check
	@$(T)/summary.sh $(RESULTS) $(MATRIX)

# One architecture: the KUnit suite and the end-to-end matrix on upstream's
# core, then on ours, whose kernel tree starts as a copy of upstream's so
# that kbuild rebuilds only what depends on the core choice.  The test
# module that runs on our core is built against upstream's kernel, and the
# two kernels' exports are compared.
check-arch:
	-@$(MAKE) --no-print-directory kunit CORE=upstream
	-@$(MAKE) --no-print-directory e2e CORE=upstream
	@[ -d $(BUILD)/$(ARCH)-ours ] || [ ! -d $(BUILD)/$(ARCH)-upstream ] || \
		cp -a $(BUILD)/$(ARCH)-upstream $(BUILD)/$(ARCH)-ours
	-@$(MAKE) --no-print-directory kunit CORE=ours
	-@$(MAKE) --no-print-directory e2e CORE=ours E2E_MODULE_CORE=upstream
	-@$(T)/compare-exports.sh $(BUILD)/$(ARCH)-upstream $(BUILD)/$(ARCH)-ours \
		$(RESULTS)/$(subst e2e,exports,$(E2E_PFX))
	-@$(T)/check-objects.sh $(BUILD)/$(ARCH)-upstream $(BUILD)/$(ARCH)-ours \
		$(RESULTS)/$(subst e2e,objects,$(E2E_PFX))

# Build-only: the two mixed pairs on x86_64, our core with upstream's DMA
# layer and upstream's core with ours, each starting as a copy of the
# kernel with the same core, so that only what depends on the DMA layer
# choice is rebuilt.  One result line each in build-mixed.results.
MIXED := ours:upstream upstream:ours
mixed: tree
	@mkdir -p $(RESULTS) && : > $(RESULTS)/build-mixed.results
	@for pair in $(MIXED); do core=$${pair%:*}; dma=$${pair#*:}; \
		dir=$(BUILD)/x86_64-$$core-dma-$$dma; \
		[ -d $$dir ] || [ ! -d $(BUILD)/x86_64-$$core ] || \
			cp -a $(BUILD)/x86_64-$$core $$dir; \
		if $(MAKE) --no-print-directory kernel ARCH=x86_64 CORE=$$core \
			DMA=$$dma > $$dir.log 2>&1; then \
			echo "PASS build-x86_64-core-$$core-dma-$$dma"; \
		else \
			echo "FAIL build-x86_64-core-$$core-dma-$$dma: see $$dir.log"; \
		fi >> $(RESULTS)/build-mixed.results; \
	done; cat $(RESULTS)/build-mixed.results

# Build-only, as QEMU has no Exynos SysMMU model: a 32-bit ARM kernel from
# exynos_defconfig with the Exynos IOMMU driver and its DRM users on the
# legacy arm_iommu_* DMA path, with CORE's core; no warning in drivers/iommu.
arm32: tree
	@mkdir -p $(RESULTS)
	@JOBS=$(JOBS) $(T)/run-buildcheck-arm32.sh $(SRC) $(BUILD)/arm32-$(CORE) \
		$(RESULTS)/build-arm32-exynos-$(CORE) $(CORE)

gates:
	@$(MAKE) --no-print-directory kernel CORE=ours ARCH=x86_64
	@mkdir -p $(RESULTS)
	@$(T)/run-gates.sh $(TOP) $(SRC) $(BUILD)/x86_64-ours $(RESULTS)/gates

summary:
	@$(T)/summary.sh $(RESULTS)

# Our work as a git format-patch series against the base tree, in
# build/series/patches, with a cover letter and the base recorded; checked
# to apply with git am, to reproduce the tree make check tests and to be
# clean under checkpatch --strict patch by patch; then every patch is
# built in order, incrementally in build/series/x86_64 (the x86_64 test
# config, W=1 on our C files), and the KUnit suite runs at the patch that
# completes each part.  Result lines in build/series/series.results.
# Authored and signed off by the sender: git config user.name and
# user.email, or SERIES_IDENT.  SERIES_BUILD=0: no builds.
SERIES_BUILD ?= 1
series: tree
	@JOBS=$(JOBS) $(T)/make-series.sh \
		$(if $(filter 0,$(SERIES_BUILD)),,--build $(BUILD)/series/x86_64) \
		$(TOP) $(SRC) $(BUILD)/series/patches

# The cheap part of series, for check: no cover letter nor get_maintainer,
# a clearly fake sender (CI has no git identity), the patches in
# build/series/check, result lines in $(RESULTS)/series.results.
.PHONY: series-check
series-check: tree
	@SERIES_IDENT="make check <check@localhost>" $(T)/make-series.sh \
		--check $(RESULTS)/series.results $(TOP) $(SRC) $(BUILD)/series/check

# Benchmarks: three non-debug kernels per architecture (configs/bench.config
# instead of debug.config): upstream's core and DMA layer
# (bench-<arch>-upstream), ours with ours (bench-<arch>-ours, a copy of the
# first to start with), and our core with upstream's layer
# (bench-<arch>-ours-dma-upstream, a copy of ours), so that the two cores
# are compared with one layer and the two layers on one core; x86_64 for
# the rows intel, amd, virtio and none, arm64 for smmuv3 (BENCH_ARCHS
# picks).  Then run-bench.sh boots them A B C A B C under icount behind
# each IOMMU row, traced, and bench-report.py writes build/bench/results.md
# and results.png.  BENCH_ROUNDS (default 2), BENCH_ROWS (default intel
# amd virtio none smmuv3), BENCH_CASES (the module's case list, empty for
# all) and the other BENCH_* knobs of run-bench.sh are passed on in the
# environment.
BENCH	:= $(BUILD)/bench
BENCH_NAMES := upstream ours-dma-upstream ours
BENCH_ARCHS ?= x86_64 arm64
BENCH_QEMU_x86_64 := x86_64_vtd
BENCH_QEMU_arm64 := arm64_smmuv3
BENCH_CROSS_arm64 := aarch64-linux-gnu-
# $(1): the architecture, $(2): the kernel's name
BENCH_KDIR = $(BUILD)/bench-$(1)-$(2)
BENCH_KDIRS = $(foreach k,$(BENCH_NAMES),$(call BENCH_KDIR,$(1),$(k)))
# $(1): the architecture, $(2): the kernel's name, $(3): its core, $(4):
# its DMA layer
BENCH_ARGS = --arch=$(1) --build_dir=$(call BENCH_KDIR,$(1),$(2)) --jobs=$(JOBS) \
	$(if $(BENCH_CROSS_$(1)),--cross_compile=$(BENCH_CROSS_$(1))) \
	$(addprefix --kunitconfig=$(T)/configs/,common.config $(1).config bench.config) \
	--qemu_config=$(T)/qemu_configs/$(BENCH_QEMU_$(1)).py \
	--make_options='CC=ccache $(BENCH_CROSS_$(1))gcc' \
	--kconfig_add=CONFIG_IOMMU_CORE_$(3)=y \
	--kconfig_add=CONFIG_IOMMU_DMA_LAYER_$(4)=y

bench-kernels: $(addprefix bench-kernels-,$(BENCH_ARCHS))

bench-kernels-%: tree
	$(KUNIT) build $(call BENCH_ARGS,$*,upstream,UPSTREAM,UPSTREAM)
	@[ -d $(call BENCH_KDIR,$*,ours) ] || \
		cp -a $(call BENCH_KDIR,$*,upstream) $(call BENCH_KDIR,$*,ours)
	$(KUNIT) build $(call BENCH_ARGS,$*,ours,OURS,OURS)
	@[ -d $(call BENCH_KDIR,$*,ours-dma-upstream) ] || \
		cp -a $(call BENCH_KDIR,$*,ours) $(call BENCH_KDIR,$*,ours-dma-upstream)
	$(KUNIT) build $(call BENCH_ARGS,$*,ours-dma-upstream,OURS,UPSTREAM)

bench: bench-kernels
	@command -v gnuplot > /dev/null || { echo "bench: installing gnuplot-nox"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq gnuplot-nox > /dev/null; }
	@rc=0; BUILD=$(BUILD) $(T)/run-bench.sh --src $(SRC) --out $(BENCH) \
		$(foreach a,$(BENCH_ARCHS),$(call BENCH_KDIRS,$(a))) || rc=1; \
	python3 $(T)/bench-report.py $(BENCH) || rc=1; exit $$rc

# Real I/O through the IOMMU (not part of check): run-bench-io.sh boots
# the three benchmark kernels with a QEMU NVMe disk, strict and lazy, and
# ours with iommu=pt and with no IOMMU as the limits, and runs
# bench/iobench.c in the guest; bench-io-report.py writes build/bench/io.md, the consoles go
# to build/bench/io/.  The BENCHIO_* knobs of run-bench-io.sh are passed
# on in the environment.
bench-io: bench-kernels-x86_64
	@rc=0; $(T)/run-bench-io.sh --src $(SRC) --out $(BENCH)/io \
		$(call BENCH_KDIRS,x86_64) || rc=1; \
	python3 $(T)/bench-io-report.py $(BENCH)/io $(BENCH)/io.md || rc=1; exit $$rc

clean:
	rm -rf $(BUILD)/x86_64-* $(BUILD)/arm64-* $(BUILD)/arm32-* $(BUILD)/bench-* \
		$(BENCH) $(RESULTS)
