# SPDX-License-Identifier: GPL-2.0
#
# Project driver: installs what is missing, lays our sources over a pristine
# Linux 6.12.y tree, builds test kernels with O= directories and runs the
# KUnit conformance suite and the end-to-end tests under QEMU.
#
#   make run      boot the patched kernel and print the guest report
#   make shell    boot it with an interactive shell on the console
#   make check    every test on both cores, the quality gates and the
#                 export comparison; the last line is "N passed, N failed"
#   make kunit    only the KUnit conformance suite
#   make e2e      only the end-to-end tests
#   make gates    checkpatch --strict, kernel-doc and sparse on our sources
#   make linkcheck  build every x86 IOMMU driver, VFIO, iommufd, KVM with our core
#   make series   our work as a format-patch series against the base tree
#
# CORE=ours (default) or CORE=upstream selects the IOMMU core the kernel is
# built with; each has its own O= directory, build/x86_64-<core>.

CORE	?= ours
CORE_SYM = $(if $(filter ours,$(CORE)),OURS,$(if $(filter upstream,$(CORE)),UPSTREAM,$(error CORE must be ours or upstream)))
JOBS	?= $(shell nproc)
TOP	:= $(CURDIR)
BUILD	:= $(TOP)/build
SRC	:= $(BUILD)/src/linux
KDIR	:= $(BUILD)/x86_64-$(CORE)
RESULTS	:= $(BUILD)/results
T	:= $(TOP)/tools/testing/iommu

export CCACHE_DIR ?= $(BUILD)/ccache

KUNITCONFIGS := $(T)/configs/guest.config $(T)/configs/debug.config
KUNIT	:= cd $(SRC) && python3 tools/testing/kunit/kunit.py
KUNIT_ARGS = --arch=x86_64 --build_dir=$(KDIR) --jobs=$(JOBS) \
	$(addprefix --kunitconfig=,$(KUNITCONFIGS)) \
	--qemu_config=$(T)/qemu_configs/x86_64_vtd.py \
	--make_options='CC=ccache gcc' \
	--kconfig_add=CONFIG_IOMMU_CORE_$(CORE_SYM)=y

DEBS := linux-source-6.12 qemu-system-x86 busybox-static build-essential \
	flex bison bc cpio kmod libelf-dev libssl-dev python3 rsync xz-utils \
	sparse coccinelle ccache

.PHONY: all deps tree kernel kunit e2e check gates linkcheck series run shell summary clean

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
	@$(T)/run-kunit.sh $(SRC) $(RESULTS)/kunit-$(CORE) $(KUNIT_ARGS)

e2e: kernel
	@mkdir -p $(RESULTS)
	@$(T)/run-e2e.sh --kdir $(KDIR) --src $(SRC) --out $(RESULTS)/e2e-$(CORE) --mode test \
		$(if $(E2E_MODULE_CORE),--module-kdir $(BUILD)/x86_64-$(E2E_MODULE_CORE))

run: kernel
	@$(T)/run-e2e.sh --kdir $(KDIR) --src $(SRC) --out $(BUILD)/run-$(CORE) --mode report

shell: kernel
	@$(T)/run-e2e.sh --kdir $(KDIR) --src $(SRC) --out $(BUILD)/shell-$(CORE) --mode shell

# Both cores, the whole suite and every end-to-end test on each (the test
# module that runs on our core is built against upstream's, so its load
# shows the exports match); the tree-wide link check; then the quality
# gates on our sources and the export comparison.
check:
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@$(MAKE) --no-print-directory tree || echo "FAIL setup: tree" >> $(RESULTS)/setup.results
	-@$(MAKE) --no-print-directory kunit CORE=upstream
	-@$(MAKE) --no-print-directory e2e CORE=upstream
	-@$(MAKE) --no-print-directory kunit CORE=ours
	-@$(MAKE) --no-print-directory e2e CORE=ours E2E_MODULE_CORE=upstream
	-@$(MAKE) --no-print-directory linkcheck
	-@$(MAKE) --no-print-directory gates
	-@$(T)/compare-exports.sh $(BUILD)/x86_64-upstream $(BUILD)/x86_64-ours \
		$(RESULTS)/exports
	@$(T)/summary.sh $(RESULTS)

# Build-only: every x86 IOMMU driver, VFIO, iommufd, KVM with our core.
LINKCHECK_CONFIGS := $(KUNITCONFIGS) $(BUILD)/core-ours.config $(T)/configs/linkcheck.config
linkcheck: tree
	@mkdir -p $(RESULTS)
	@printf 'CONFIG_SERIAL_8250=y\nCONFIG_SERIAL_8250_CONSOLE=y\nCONFIG_IOMMU_CORE_OURS=y\n' \
		> $(BUILD)/core-ours.config
	@JOBS=$(JOBS) $(T)/run-linkcheck.sh $(SRC) $(BUILD)/x86_64-linkcheck \
		$(RESULTS)/linkcheck $(LINKCHECK_CONFIGS)

gates:
	@$(MAKE) --no-print-directory kernel CORE=ours
	@mkdir -p $(RESULTS)
	@$(T)/run-gates.sh $(TOP) $(SRC) $(BUILD)/x86_64-ours $(RESULTS)/gates

summary:
	@$(T)/summary.sh $(RESULTS)

# Our work as a git format-patch series against the base tree, in
# build/series/patches; checked to apply with git am and to reproduce the
# tree make check tests.
series: tree
	@$(T)/make-series.sh $(TOP) $(SRC) $(BUILD)/series/patches

clean:
	rm -rf $(BUILD)/x86_64-* $(RESULTS)
