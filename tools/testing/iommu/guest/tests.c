// SPDX-License-Identifier: GPL-2.0
/*
 * Guest side of the IOMMU end-to-end tests: the tests.
 *
 * Every test starts with every edu unbound and without driver_override,
 * and leaves them so (the runner restores that state after each test
 * too), so tests run in any order.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"

#define RT_SRC		0x800		/* source, crosses a page boundary */
#define RT_DST		0x2400		/* destination, crosses one too */
#define GUARD		0x5a
#define VICTIM		0xa5
#define VICTIM_PAGES	4	/* pages to find one usable as an IOVA in */

/*
 * The fault logs are rate limited: 10 calls per 5 s of jiffies, and the
 * DMAR handler spends 3 per fault, so the faults of two tests in one window
 * lose the last one's record.  The window is timed in jiffies, which can
 * lag CLOCK_MONOTONIC after a vCPU stall on a loaded TCG host (the fault
 * interrupt may run before the tick that catches them up): wait well past
 * 5 s.
 */
#define FAULT_STAMP	"/tmp/e2e-last-fault"
#define FAULT_QUIET_MS	8000

static const char *vfio_pci = "vfio-pci";

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* Remember that the IOMMU just logged a fault. */
void fault_stamp(void)
{
	char val[32];
	int fd;

	snprintf(val, sizeof(val), "%llu", (unsigned long long)now_ms());
	fd = open(FAULT_STAMP, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, val, strlen(val)) < 0)
			note("write %s: %s", FAULT_STAMP, strerror(errno));
		close(fd);
	}
}

/*
 * Wait until the fault log's rate limit is surely reset, so that the
 * faults we are about to cause get logged.
 */
static void fault_quiesce(void)
{
	char val[32];
	uint64_t last;

	if (sysfs_read(FAULT_STAMP, val, sizeof(val)) <= 0)
		return;
	last = strtoull(val, NULL, 10);
	if (now_ms() < last + FAULT_QUIET_MS)
		sleep_ms(last + FAULT_QUIET_MS - now_ms());
}

void *alloc_locked(size_t size)
{
	void *buf;

	buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED)
		return NULL;
	if (mlock(buf, size)) {
		munmap(buf, size);
		return NULL;
	}
	return buf;
}

void free_locked(void *buf, size_t size)
{
	if (buf)
		munmap(buf, size);
}

/*
 * Map a RT_SIZE buffer at @iova, DMA RAM -> edu from iova + RT_SRC, then
 * edu -> RAM to iova + RT_DST, unmap, and check every byte: the copy, the
 * source and the guard bytes around both.  Leaves the pattern of @seed in
 * the edu buffer.
 */
int round_trip(struct vfio *v, uint8_t *buf, uint64_t iova,
	       unsigned int seed)
{
	uint8_t want[EDU_XFER];
	size_t bad, first = 0;
	int ret, ret2;

	fill(want, sizeof(want), seed);
	memset(buf, GUARD, RT_SIZE);
	memcpy(buf + RT_SRC, want, sizeof(want));

	if (vfio_map(v, buf, iova, RT_SIZE))
		return -1;
	ret = edu_dma(v->bar, iova + RT_SRC, EDU_BUF_ADDR, EDU_XFER,
		      false);
	if (!ret)
		ret = edu_dma(v->bar, EDU_BUF_ADDR, iova + RT_DST,
			      EDU_XFER, true);
	ret2 = vfio_unmap(v, iova, RT_SIZE);
	if (ret || ret2)
		return -1;

	bad = compare(want, buf + RT_DST, EDU_XFER, &first);
	if (bad)
		return why("IOVA %#llx: %zu of %d bytes differ, first at +%zu (%#x, want %#x)",
			   (unsigned long long)iova, bad, EDU_XFER, first,
			   buf[RT_DST + first], want[first]);
	if (check_byte(buf, RT_SRC, GUARD, &first) ||
	    compare(want, buf + RT_SRC, EDU_XFER, &first) ||
	    check_byte(buf + RT_SRC + EDU_XFER,
		       RT_DST - RT_SRC - EDU_XFER, GUARD, &first) ||
	    check_byte(buf + RT_DST + EDU_XFER,
		       RT_SIZE - RT_DST - EDU_XFER, GUARD, &first))
		return why("IOVA %#llx: bytes outside the transfer changed",
			   (unsigned long long)iova);
	return 0;
}

/*
 * Wait for the IOMMU's report of the write fault of @bdf at @addr, if it
 * reports faults; 0 when reported (or not reported by design).
 */
static int fault_reported(int kmsg, const char *bdf, uint64_t addr)
{
	char n1[96], n2[96];

	if (!e2e_iommu->fault_needles)
		return 0;
	e2e_iommu->fault_needles(n1, n2, sizeof(n1), bdf, addr);
	if (!kmsg_wait(kmsg, n1, n2, 3000))
		return why("no %s logged for unmapped IOVA %#llx",
			   e2e_iommu->fault, (unsigned long long)addr);
	if (!e2e_iommu->fault_needles_next)
		return 0;
	e2e_iommu->fault_needles_next(n1, n2, sizeof(n1), bdf, addr);
	if (!kmsg_wait(kmsg, n1, n2, 3000))
		return why("%s for unmapped IOVA %#llx logged without \"%s\"",
			   e2e_iommu->fault, (unsigned long long)addr, n1);
	return 0;
}

static bool driver_is(const char *bdf, const char *drv)
{
	char cur[64];

	return !pci_driver(bdf, cur, sizeof(cur)) && !strcmp(cur, drv);
}

/* edu <-> RAM round trips through VFIO at IOVAs all over the space. */
static void test_round_trip(const struct topo *t, enum vfio_kind kind,
			    const char *name)
{
	uint64_t iovas[4] = { 0x100000, 0x80000000, 0x123456000 };
	char list[128] = "";
	uint8_t *buf = NULL;
	struct vfio v;
	uint64_t top;
	int ret, i;

	ret = pci_bind(t->single, vfio_pci);
	if (ret) {
		result(name, false, "bind %s to vfio-pci: %s", t->single,
		       strerror(-ret));
		goto out;
	}
	if (vfio_open(&v, kind, t->single)) {
		result(name, false, "%s", e2e_why);
		goto out;
	}
	/*
	 * Last 1 MiB of the highest usable range within the edu's 40-bit DMA
	 * mask (AMD-Vi reserves 0xfd00000000-0xffffffffff).
	 */
	for (i = v.nr_ranges - 1; i >= 0; i--) {
		if (v.ranges[i].start >= 1ULL << 40)
			continue;
		top = v.ranges[i].last + 1;
		if (!top || top > 1ULL << 40)
			top = 1ULL << 40;
		if (top - v.ranges[i].start >= 0x100000)
			break;
	}
	if (i < 0) {
		result(name, false, "no usable IOVA range below 1 TiB");
		goto close;
	}
	iovas[3] = top - 0x100000;

	buf = alloc_locked(RT_SIZE);
	if (!buf) {
		result(name, false, "buffer: %s", strerror(errno));
		goto close;
	}
	for (i = 0; i < 4; i++) {
		if (!vfio_iova_ok(&v, iovas[i], RT_SIZE)) {
			result(name, false, "IOVA %#llx is outside the usable ranges",
			       (unsigned long long)iovas[i]);
			goto close;
		}
		if (round_trip(&v, buf, iovas[i], 0x10 + i)) {
			result(name, false, "%s", e2e_why);
			goto close;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%#llx", i ? " " : "", (unsigned long long)iovas[i]);
	}
	result(name, true, "%s on %s: %d bytes RAM->edu->RAM at IOVA %s, every byte matches",
	       vfio_kind_name(kind), t->single, EDU_XFER, list);
close:
	vfio_close(&v);
out:
	free_locked(buf, RT_SIZE);
	pci_release(t->single);
}

static void test_vfio_container(const struct topo *t)
{
	test_round_trip(t, VFIO_KIND_CONTAINER, "vfio-container");
}

static void test_vfio_cdev(const struct topo *t)
{
	test_round_trip(t, VFIO_KIND_CDEV, "vfio-cdev");
}

/*
 * edu -> RAM to IOVAs that are not mapped: one never mapped and equal to
 * the physical address of a page we own, one just unmapped (its IOTLB
 * entry must be gone).  Neither page may change, and the IOMMU must report
 * a fault for each (unless the model reports none, see iommu.c).
 */
static int dma_unmapped(struct vfio *v, const struct topo *t, uint8_t *buf,
			uint8_t *victims, char *detail, size_t size)
{
	const uint64_t iova_a = 0x123456000, iova_b = 0x80000000;
	const uint64_t xfer = e2e_iommu->fault_xfer ?: EDU_XFER;
	uint8_t want[EDU_XFER], *victim = NULL;
	uint64_t phys = 0, phys2;
	size_t bad, first = 0;
	int kmsg, ret, i;

	/*
	 * A page of ours whose physical address is a usable IOVA (the
	 * IOMMU may reserve some, e.g. virtio-iommu's MSI window).
	 */
	memset(victims, VICTIM, VICTIM_PAGES * PAGE);
	for (i = 0; i < VICTIM_PAGES && !victim; i++) {
		if (virt_to_phys(victims + i * PAGE, &phys))
			return -1;
		if ((phys >= iova_a + RT_SIZE || phys + PAGE <= iova_a) &&
		    vfio_iova_ok(v, phys, PAGE))
			victim = victims + i * PAGE;
	}
	if (!victim)
		return why("none of our %d pages has a physical address usable as IOVA (last %#llx)",
			   VICTIM_PAGES, (unsigned long long)phys);

	/* The device works in this setup, and holds a known pattern. */
	if (round_trip(v, buf, iova_a, 0x61))
		return -1;
	fill(want, sizeof(want), 0x61);

	kmsg = kmsg_open();
	if (kmsg < 0)
		return -1;
	fault_quiesce();

	/* 1. An IOVA never mapped, equal to our page's physical address. */
	ret = edu_dma(v->bar, EDU_BUF_ADDR, phys, xfer, true);
	fault_stamp();
	if (ret)
		goto out;
	if (virt_to_phys(victim, &phys2) || phys2 != phys) {
		ret = why("our page moved (%#llx -> %#llx)",
			  (unsigned long long)phys, (unsigned long long)phys2);
		goto out;
	}
	bad = check_byte(victims, VICTIM_PAGES * PAGE, VICTIM, &first);
	if (bad) {
		ret = why("DMA to unmapped IOVA %#llx (our page's physical address) changed %zu bytes of our pages",
			  (unsigned long long)phys, bad);
		goto out;
	}
	ret = fault_reported(kmsg, t->single, phys);
	if (ret)
		goto out;

	/* 2. An IOVA that was mapped and reached RAM, then unmapped. */
	memset(buf, VICTIM, RT_SIZE);
	ret = vfio_map(v, buf, iova_b, RT_SIZE);
	if (ret)
		goto out;
	ret = edu_dma(v->bar, EDU_BUF_ADDR, iova_b + PAGE, EDU_XFER, true);
	if (!ret && compare(want, buf + PAGE, EDU_XFER, &first))
		ret = why("DMA to mapped IOVA %#llx did not arrive",
			  (unsigned long long)iova_b + PAGE);
	if (ret) {
		vfio_unmap(v, iova_b, RT_SIZE);
		goto out;
	}
	memset(buf, VICTIM, RT_SIZE);
	ret = vfio_unmap(v, iova_b, RT_SIZE);
	if (ret)
		goto out;
	ret = edu_dma(v->bar, EDU_BUF_ADDR, iova_b + PAGE, xfer, true);
	fault_stamp();
	if (ret)
		goto out;
	bad = check_byte(buf, RT_SIZE, VICTIM, &first);
	if (bad) {
		ret = why("DMA to just unmapped IOVA %#llx changed %zu bytes of the old page",
			  (unsigned long long)iova_b + PAGE, bad);
		goto out;
	}
	ret = fault_reported(kmsg, t->single, iova_b + PAGE);
	if (ret)
		goto out;
	if (e2e_iommu->fault_needles)
		snprintf(detail, size,
			 "%s on %s: %llu-byte writes to never-mapped IOVA %#llx (= our page's physical address) and to just-unmapped IOVA %#llx blocked and logged as %ss",
			 vfio_kind_name(v->kind), t->single,
			 (unsigned long long)xfer, (unsigned long long)phys,
			 (unsigned long long)iova_b + PAGE, e2e_iommu->fault);
	else
		snprintf(detail, size,
			 "%s on %s: %llu-byte writes to never-mapped IOVA %#llx (= our page's physical address) and to just-unmapped IOVA %#llx blocked"
			 E2E_NOT_CHECKED "the fault report: %s",
			 vfio_kind_name(v->kind), t->single,
			 (unsigned long long)xfer, (unsigned long long)phys,
			 (unsigned long long)iova_b + PAGE,
			 e2e_iommu->no_fault_report);
out:
	close(kmsg);
	return ret;
}

static void test_unmapped(const struct topo *t, enum vfio_kind kind,
			  const char *name)
{
	uint8_t *buf = NULL, *victims = NULL;
	char detail[512];
	struct vfio v;
	int ret;

	ret = pci_bind(t->single, vfio_pci);
	if (ret) {
		result(name, false, "bind %s to vfio-pci: %s", t->single,
		       strerror(-ret));
		goto out;
	}
	if (vfio_open(&v, kind, t->single)) {
		result(name, false, "%s", e2e_why);
		goto out;
	}
	buf = alloc_locked(RT_SIZE);
	victims = alloc_locked(VICTIM_PAGES * PAGE);
	if (!buf || !victims)
		result(name, false, "buffers: %s", strerror(errno));
	else if (dma_unmapped(&v, t, buf, victims, detail, sizeof(detail)))
		result(name, false, "%s", e2e_why);
	else
		result(name, true, "%s", detail);
	vfio_close(&v);
out:
	free_locked(victims, VICTIM_PAGES * PAGE);
	free_locked(buf, RT_SIZE);
	pci_release(t->single);
}

static void test_unmapped_container(const struct topo *t)
{
	test_unmapped(t, VFIO_KIND_CONTAINER, "unmapped-dma-container");
}

static void test_unmapped_cdev(const struct topo *t)
{
	test_unmapped(t, VFIO_KIND_CDEV, "unmapped-dma-cdev");
}

/*
 * While VFIO owns the shared group through one edu, binding a kernel
 * driver that uses the DMA API to the other edu must fail with -EBUSY;
 * once VFIO lets go it must succeed.
 */
static void test_ownership(const struct topo *t, enum vfio_kind kind,
			   const char *name)
{
	const char *a = t->shared[0], *b = t->shared[1];
	struct vfio v;
	int ret;

	ret = pci_bind(a, vfio_pci);
	if (ret) {
		result(name, false, "bind %s to vfio-pci: %s", a,
		       strerror(-ret));
		goto out;
	}
	if (vfio_own(&v, kind, a)) {
		result(name, false, "%s", e2e_why);
		goto out;
	}
	ret = pci_bind(b, E2E_DRIVER);
	if (ret != -EBUSY || driver_is(b, E2E_DRIVER)) {
		vfio_close(&v);
		result(name, false, "binding %s to %s while VFIO owns group %d: %s, expected EBUSY",
		       b, E2E_DRIVER, t->shared_group,
		       ret ? strerror(-ret) : "bound");
		goto out;
	}
	vfio_close(&v);

	ret = pci_bind(b, E2E_DRIVER);
	if (ret || !driver_is(b, E2E_DRIVER)) {
		result(name, false, "binding %s to %s after VFIO closed group %d: %s",
		       b, E2E_DRIVER, t->shared_group,
		       ret ? strerror(-ret) : "not bound");
		goto out;
	}
	result(name, true, "%s: %s refused (EBUSY) while %s owned group %d, bound after release",
	       vfio_kind_name(kind), b, a, t->shared_group);
out:
	pci_release(b);
	pci_release(a);
}

static void test_ownership_container(const struct topo *t)
{
	test_ownership(t, VFIO_KIND_CONTAINER, "ownership-container");
}

static void test_ownership_cdev(const struct topo *t)
{
	test_ownership(t, VFIO_KIND_CDEV, "ownership-cdev");
}

/*
 * Bind the module to @bdf and turn the lines of its e2e_results
 * ("PASS <check>: <detail>") into our results, "module-<check>".
 */
static void module_checks(const char *bdf, const char *const *checks, int n)
{
	char path[PATH_MAX], buf[2048], name[64], *line, *save;
	bool seen[8] = { false };
	int ret, i;

	ret = pci_bind(bdf, E2E_DRIVER);
	if (ret) {
		for (i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "module-%s", checks[i]);
			result(name, false, "bind %s to %s: %s", bdf,
			       E2E_DRIVER, strerror(-ret));
		}
		goto out;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/e2e_results",
		 bdf);
	if (sysfs_read(path, buf, sizeof(buf)) < 0)
		buf[0] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char verdict[8], check[64];
		int off = 0;

		if (sscanf(line, "%7s %63[^:]: %n", verdict, check, &off) < 2 ||
		    !off)
			continue;
		for (i = 0; i < n; i++) {
			if (seen[i] || strcmp(check, checks[i]))
				continue;
			seen[i] = true;
			snprintf(name, sizeof(name), "module-%s", checks[i]);
			result(name, !strcmp(verdict, "PASS"), "%s: %s", bdf,
			       line + off);
		}
	}
	for (i = 0; i < n; i++) {
		if (seen[i])
			continue;
		snprintf(name, sizeof(name), "module-%s", checks[i]);
		result(name, false, "%s reported nothing for %s on %s",
		       E2E_DRIVER, checks[i], bdf);
	}
out:
	pci_release(bdf);
}

static void test_module(const struct topo *t)
{
	static const char *const checks[] = {
		"dma-api", "dma-sg", "dma-coherent-4m", "dma-noncontig",
		"paging-domain",
	};

	module_checks(t->single, checks, ARRAY_SIZE(checks));
	/* paging-domain ends with a DMA to an unmapped IOVA. */
	fault_stamp();
}

static void test_module_shared(const struct topo *t)
{
	static const char *const checks[] = { "attach-shared" };

	module_checks(t->shared[0], checks, 1);
}

/*
 * The edu the reset tests use, and its reset method; false, with the result
 * printed, where the topology has none: run-e2e.sh puts it behind a root
 * port of its own on x86_64, but not behind AMD-Vi.
 */
static bool reset_edu(const struct topo *t, const char *name, char *method,
		      size_t size)
{
	char path[PATH_MAX];

	if (!t->reset[0] && !strcmp(e2e_iommu->name, "amd")) {
		result(name, true, "no reset" E2E_NOT_CHECKED
		       "a reset: behind QEMU 7.2's AMD-Vi an edu behind a root port gets no working DMA (on either core), so this row has no edu with a reset method");
		return false;
	}
	if (!t->reset[0]) {
		result(name, true, "no reset" E2E_NOT_CHECKED
		       "a reset: no edu alone in its group has a reset method in this topology");
		return false;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset_method",
		 t->reset);
	if (sysfs_read(path, method, size) < 0)
		snprintf(method, size, "?");
	method[strcspn(method, "\n")] = '\0';
	return true;
}

/*
 * A device reset while VFIO holds it, with a domain of VFIO's attached and
 * DMA through it working: during the reset the core blocks the device
 * (pci_dev_reset_iommu_prepare()), and afterwards the device must be on
 * VFIO's domain again, or the next round trip faults.
 */
static void test_reset_vfio(const struct topo *t)
{
	const char *name = "reset-vfio";
	uint64_t iova = 0x100000;
	uint8_t *buf = NULL;
	char method[64];
	struct vfio v;
	int ret;

	if (!reset_edu(t, name, method, sizeof(method)))
		return;
	ret = pci_bind(t->reset, vfio_pci);
	if (ret) {
		result(name, false, "bind %s to vfio-pci: %s", t->reset,
		       strerror(-ret));
		goto out;
	}
	if (vfio_open(&v, VFIO_KIND_CONTAINER, t->reset)) {
		result(name, false, "%s", e2e_why);
		goto out;
	}
	buf = alloc_locked(RT_SIZE);
	if (!buf) {
		result(name, false, "buffer: %s", strerror(errno));
		goto close;
	}
	if (round_trip(&v, buf, iova, 0x30)) {
		result(name, false, "before the reset: %s", e2e_why);
		goto close;
	}
	if (vfio_reset(&v)) {
		result(name, false, "%s", e2e_why);
		goto close;
	}
	if (round_trip(&v, buf, iova + RT_SIZE, 0x31)) {
		result(name, false, "after VFIO_DEVICE_RESET: %s", e2e_why);
		goto close;
	}
	result(name, true, "%s on %s: round trips at IOVA %#llx, VFIO_DEVICE_RESET (%s), then at %#llx: every byte matches",
	       vfio_kind_name(VFIO_KIND_CONTAINER), t->reset,
	       (unsigned long long)iova, method,
	       (unsigned long long)(iova + RT_SIZE));
close:
	vfio_close(&v);
out:
	free_locked(buf, RT_SIZE);
	pci_release(t->reset);
}

/* Whether the module's e2e_results on @bdf has "PASS dma-api" */
static bool module_dma_api_passed(const char *bdf, char *line, size_t size)
{
	char path[PATH_MAX], buf[2048], *found;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/e2e_results",
		 bdf);
	if (sysfs_read(path, buf, sizeof(buf)) < 0) {
		snprintf(line, size, "no e2e_results");
		return false;
	}
	found = strstr(buf, "dma-api: ");
	if (!found) {
		snprintf(line, size, "no dma-api line");
		return false;
	}
	while (found > buf && found[-1] != '\n')
		found--;
	snprintf(line, size, "%.*s", (int)strcspn(found, "\n"), found);
	return !strncmp(found, "PASS ", 5);
}

/* Bind the module to @bdf and check its DMA API round trip */
static int module_dma_api(const char *bdf, const char *when)
{
	char line[256];
	int ret;

	ret = pci_bind(bdf, E2E_DRIVER);
	if (ret)
		return why("%s: bind %s to %s: %s", when, bdf, E2E_DRIVER,
			   strerror(-ret));
	/* Its paging-domain check ends with a DMA to an unmapped IOVA */
	fault_stamp();
	if (!module_dma_api_passed(bdf, line, sizeof(line)))
		return why("%s: %s", when, line);
	return 0;
}

/*
 * A reset through sysfs of a device a kernel driver (our module) is bound
 * to and does DMA API round trips on: once the reset is done, the device
 * must be on its group's default domain again, where a new round trip of
 * the module's goes.
 */
static void test_reset_sysfs(const struct topo *t)
{
	const char *name = "reset-sysfs";
	char path[PATH_MAX], method[64];
	int ret;

	if (!reset_edu(t, name, method, sizeof(method)))
		return;
	if (module_dma_api(t->reset, "before the reset")) {
		result(name, false, "%s", e2e_why);
		goto out;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset",
		 t->reset);
	ret = sysfs_write(path, "1");
	if (ret < 0) {
		result(name, false, "write 1 to %s: %s", path, strerror(-ret));
		goto out;
	}
	ret = pci_unbind(t->reset);
	if (ret) {
		result(name, false, "unbind %s: %s", t->reset, strerror(-ret));
		goto out;
	}
	if (module_dma_api(t->reset, "after the reset")) {
		result(name, false, "%s", e2e_why);
		goto out;
	}
	result(name, true, "%s: %s DMA API round trip, reset (%s) while bound, round trip again after a rebind: both pass",
	       t->reset, E2E_DRIVER, method);
out:
	pci_release(t->reset);
}

/* The guest has the devices the tests need, and nothing grabbed them. */
static void test_topology(const struct topo *t)
{
	char members[16][BDF_LEN], path[PATH_MAX], type[32] = "?";
	char iommu[64], what[128];
	int n, i;

	if (t->error[0]) {
		result("topology", false, "%s", t->error);
		return;
	}
	for (i = 0; i < t->nr_all; i++) {
		char drv[64];

		if (!pci_driver(t->all[i], drv, sizeof(drv)) && drv[0]) {
			result("topology", false, "%s is bound to %s at start",
			       t->all[i], drv);
			return;
		}
	}
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/type",
		 t->single_group);
	sysfs_read(path, type, sizeof(type));
	if (strcmp(type, "DMA") && strcmp(type, "DMA-FQ")) {
		result("topology", false, "group %d of %s has domain type %s, not DMA/DMA-FQ",
		       t->single_group, t->single, type);
		return;
	}
	/* Behind the IOMMU of this row, set up as the row needs. */
	for (i = 0; i < t->nr_all; i++) {
		if (pci_iommu(t->all[i], iommu, sizeof(iommu))) {
			result("topology", false, "%s is behind no IOMMU",
			       t->all[i]);
			return;
		}
		if (e2e_iommu->check(iommu, what, sizeof(what))) {
			result("topology", false, "%s: %s", t->all[i],
			       e2e_why);
			return;
		}
	}
	n = group_devices(t->shared_group, members, 16);
	result("topology", true,
	       "%s alone in group %d (%s); %s and %s share group %d (%d devices); behind %s%s",
	       t->single, t->single_group, type, t->shared[0], t->shared[1],
	       t->shared_group, n, what,
	       t->nr_primed ? "; grouped at their first driver bind" : "");
}

/* What the group's debugfs file must say about the shared pair */
static void expected_reason(const struct topo *t, char *want, size_t size)
{
	char path[PATH_MAX], link[PATH_MAX], *parent, *end;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", t->shared[0]);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	/* .../<bridge>/<device>: the parent directory is the bridge */
	end = strrchr(link, '/');
	if (end)
		*end = '\0';
	parent = strrchr(link, '/');
	if (parent && strncmp(parent + 1, "pci", 3))
		snprintf(want, size, "both behind PCIe-to-PCI bridge %s",
			 parent + 1);
	else
		/* on the root bus: two functions of one slot, no ACS */
		snprintf(want, size, "functions of multifunction slot %.*s without ACS",
			 (int)strlen("0000:00:05"), t->shared[0]);
}

/*
 * The debugfs file of the shared group says why the two edu share it:
 * the PCIe-to-PCI bridge they sit behind, or the multifunction slot
 * without ACS they are functions of.
 */
static void test_group_explained(const struct topo *t)
{
	char path[PATH_MAX], buf[4096], want[128], pair[2 * BDF_LEN + 8];
	const char *name = "group-explained";
	char *line;
	int n;

	if (t->error[0]) {
		result(name, false, "%s", t->error);
		return;
	}
	snprintf(path, sizeof(path), "/sys/kernel/debug/iommu/groups/%d",
		 t->shared_group);
	n = sysfs_read(path, buf, sizeof(buf));
	if (n < 0) {
		result_gap(name, false, "no /sys/kernel/debug/iommu/groups",
			   "cannot read the group's debugfs file");
		return;
	}
	expected_reason(t, want, sizeof(want));
	snprintf(pair, sizeof(pair), "why %s %s: ", t->shared[0], t->shared[1]);
	line = strstr(buf, pair);
	if (!line) {
		snprintf(pair, sizeof(pair), "why %s %s: ", t->shared[1],
			 t->shared[0]);
		line = strstr(buf, pair);
	}
	if (!line) {
		result(name, false, "group %d: no line for %s and %s",
		       t->shared_group, t->shared[0], t->shared[1]);
		return;
	}
	line += strlen(pair);
	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, want, strlen(want)))
		result(name, false, "group %d says \"%s\", not \"%s\"",
		       t->shared_group, line, want);
	else
		result(name, true, "group %d: %s", t->shared_group, line);
}

/*
 * The tests, in their default order.  .results: the result lines a test
 * prints (its name unless it checks several things).
 */
const struct test tests[] = {
	{ .name = "topology", .results = { "topology" }, .fn = test_topology },
	{ .name = "vfio-container", .results = { "vfio-container" },
	  .fn = test_vfio_container },
	{ .name = "vfio-cdev", .results = { "vfio-cdev" },
	  .fn = test_vfio_cdev },
	{ .name = "unmapped-dma-container",
	  .results = { "unmapped-dma-container" },
	  .fn = test_unmapped_container },
	{ .name = "unmapped-dma-cdev", .results = { "unmapped-dma-cdev" },
	  .fn = test_unmapped_cdev },
	{ .name = "ownership-container", .results = { "ownership-container" },
	  .fn = test_ownership_container },
	{ .name = "ownership-cdev", .results = { "ownership-cdev" },
	  .fn = test_ownership_cdev },
	/* storm.c: two processes fighting over the shared group */
	{ .name = "bind-storm", .results = { "bind-storm" },
	  .fn = test_bind_storm },
	{ .name = "module",
	  .results = { "module-dma-api", "module-dma-sg",
		       "module-dma-coherent-4m", "module-dma-noncontig",
		       "module-paging-domain" },
	  .fn = test_module },
	{ .name = "module-shared", .results = { "module-attach-shared" },
	  .fn = test_module_shared },
	{ .name = "group-explained", .results = { "group-explained" },
	  .fn = test_group_explained },
	{ .name = "reset-vfio", .results = { "reset-vfio" },
	  .fn = test_reset_vfio },
	{ .name = "reset-sysfs", .results = { "reset-sysfs" },
	  .fn = test_reset_sysfs },
	/* bench.c: make bench's module still builds, loads and runs */
	{ .name = "bench-smoke", .results = { "bench-smoke" },
	  .fn = test_bench_smoke },
	/* failnth.c: each step under allocation failure */
	{ .name = "fail-nth-vfio-container",
	  .results = { "fail-nth-vfio-container" },
	  .fn = test_fail_nth_container },
	{ .name = "fail-nth-vfio-cdev", .results = { "fail-nth-vfio-cdev" },
	  .fn = test_fail_nth_cdev },
	{ .name = "fail-nth-group-type", .results = { "fail-nth-group-type" },
	  .fn = test_fail_nth_type },
	{ .name = "fail-nth-driver-bind",
	  .results = { "fail-nth-driver-bind" },
	  .fn = test_fail_nth_bind },
	/* disk.c: block I/O through the DMA-IOMMU layer */
	{ .name = "disk-nvme", .results = { "disk-nvme" },
	  .fn = test_disk_nvme, .no_edu = true },
	{ .name = "disk-virtio-blk", .results = { "disk-virtio-blk" },
	  .fn = test_disk_virtio_blk, .no_edu = true },
	{ .name = "dma-mode", .results = { "dma-mode" }, .fn = test_dma_mode,
	  .flush_row = true },
};

const int nr_tests = ARRAY_SIZE(tests);
