// SPDX-License-Identifier: GPL-2.0
/*
 * End-to-end checks of the IOMMU core from a real PCI driver.
 *
 * The driver drives QEMU's "edu" device.  It has no ID table: it binds only
 * to a device whose driver_override names it, so it never takes an edu that
 * VFIO is meant to get.  Probe runs the checks that fit the device's IOMMU
 * group and publishes one line per check in the device attribute
 * "e2e_results":
 *
 *   device alone in its group:
 *     dma-api          DMA API round trip (coherent buffer -> edu ->
 *                      streaming buffer), every byte compared
 *     dma-sg           edu -> a scatterlist of E2E_SG_SEGS pieces of
 *                      different pages at odd offsets (dma_map_sg), each
 *                      DMA segment written by its own transfer
 *     dma-coherent-4m  a 4 MiB coherent buffer: edu reads its start and
 *                      writes across its 2 MiB boundary and near its end
 *     dma-noncontig    a 1 MiB dma_alloc_noncontiguous() buffer, seen by
 *                      the CPU through dma_vmap_noncontiguous(), written by
 *                      the edu near its end
 *     paging-domain    iommu_paging_domain_alloc() + iommu_attach_device() +
 *                      iommu_map(), edu round trip through our own IOVA,
 *                      then iommu_unmap() must stop a further DMA, and
 *                      iommu_detach_device() restores the default domain
 *   device sharing its group:
 *     attach-shared    iommu_attach_device() must fail with -EINVAL and
 *                      leave the group's domain alone
 *
 * Each line is "PASS <check>: <detail>" or "FAIL <check>: <reason>".
 * Probe succeeds whatever the checks found, so that the results can be read.
 *
 * The fail-nth test binds the driver with the parameter probe_checks off
 * (/sys/module/iommu_e2e/parameters/probe_checks), so that probe does only
 * what any DMA API driver does and fails with the errno of what failed;
 * it then writes to the device attribute "e2e_dma", whose write is one
 * DMA API round trip and returns its errno.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/iopoll.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/sysfs.h>

#define EDU_REG_ID		0x00
#define EDU_DMA_SRC		0x80
#define EDU_DMA_DST		0x88
#define EDU_DMA_CNT		0x90
#define EDU_DMA_CMD		0x98
#define EDU_DMA_RUN		BIT(0)
#define EDU_DMA_TO_RAM		BIT(1)
#define EDU_BUF_ADDR		0x40000
#define EDU_BUF_SIZE		4096
/*
 * Bytes per transfer.  QEMU up to 7.2 rejects a transfer that ends at the
 * end of the edu buffer, and aborts: stay clear of it.
 */
#define EDU_XFER		4032
/*
 * How long a faulting DMA's report gets before its domain is freed: VT-d's
 * (dmar_fault_dump_ptes() with CONFIG_DMAR_DEBUG) walks the faulting
 * device's page table from its interrupt without a lock, and reads freed
 * memory if the domain is freed meanwhile, which a loaded host's late
 * interrupt made happen once.  A race in the driver, not in the core.
 */
#define E2E_FAULT_SETTLE_MS	500
#define EDU_DMA_TIMEOUT_US	(5 * USEC_PER_SEC)

/* An IOVA above 4 GiB, inside the aperture of every IOMMU QEMU emulates. */
#define E2E_IOVA		0x123450000ULL
#define E2E_RESULTS_SIZE	2048
/* dma-sg: pieces of this many bytes, together within one edu transfer */
#define E2E_SG_SEGS		16
#define E2E_SG_LEN		240

static bool probe_checks = true;
module_param(probe_checks, bool, 0644);
MODULE_PARM_DESC(probe_checks, "Run the checks at probe (default: on)");

struct e2e_dev {
	struct pci_dev *pdev;
	void __iomem *bar;
	char results[E2E_RESULTS_SIZE];
	size_t len;
};

static __printf(4, 5) void e2e_report(struct e2e_dev *e, bool pass,
				      const char *check, const char *fmt, ...)
{
	char detail[160];
	va_list args;

	va_start(args, fmt);
	vscnprintf(detail, sizeof(detail), fmt, args);
	va_end(args);

	e->len += scnprintf(e->results + e->len, sizeof(e->results) - e->len,
			    "%s %s: %s\n", pass ? "PASS" : "FAIL", check,
			    detail);
	if (pass)
		dev_info(&e->pdev->dev, "PASS %s: %s\n", check, detail);
	else
		dev_err(&e->pdev->dev, "FAIL %s: %s\n", check, detail);
}

/* One edu DMA transfer; @to_ram selects edu buffer -> RAM. */
static int edu_dma(struct e2e_dev *e, u64 src, u64 dst, u64 cnt, bool to_ram)
{
	u64 cmd;

	writeq(src, e->bar + EDU_DMA_SRC);
	writeq(dst, e->bar + EDU_DMA_DST);
	writeq(cnt, e->bar + EDU_DMA_CNT);
	writeq(EDU_DMA_RUN | (to_ram ? EDU_DMA_TO_RAM : 0),
	       e->bar + EDU_DMA_CMD);

	return readq_poll_timeout(e->bar + EDU_DMA_CMD, cmd,
				  !(cmd & EDU_DMA_RUN), 1000,
				  EDU_DMA_TIMEOUT_US);
}

/* Pattern @seed at offsets [@from, @from + @len) of a stream */
static void e2e_fill_from(u8 *buf, size_t len, u8 seed, size_t from)
{
	size_t i, o;

	for (i = 0; i < len; i++) {
		o = from + i;
		buf[i] = (u8)(o * 7 + seed + (o >> 8));
	}
}

static void e2e_fill(u8 *buf, size_t len, u8 seed)
{
	e2e_fill_from(buf, len, seed, 0);
}

/* Number of bytes of @got that differ from @want, and the first one. */
static size_t e2e_compare(const u8 *want, const u8 *got, size_t len,
			  size_t *first)
{
	size_t i, bad = 0;

	for (i = 0; i < len; i++) {
		if (want[i] != got[i]) {
			if (!bad)
				*first = i;
			bad++;
		}
	}
	return bad;
}

static const char *e2e_domain_type(struct iommu_domain *domain)
{
	if (!domain)
		return "none";
	switch (domain->type) {
	case IOMMU_DOMAIN_BLOCKED:
		return "blocked";
	case IOMMU_DOMAIN_IDENTITY:
		return "identity";
	case IOMMU_DOMAIN_UNMANAGED:
		return "unmanaged";
	case IOMMU_DOMAIN_DMA:
		return "DMA";
	case IOMMU_DOMAIN_DMA_FQ:
		return "DMA-FQ";
	default:
		return "other";
	}
}

/*
 * Coherent buffer -> edu -> streaming buffer, through the DMA API: 0, or
 * -EIO when the copy differs (*@bad bytes, the first at *@first), or the
 * errno of the step that failed, which @what names.
 */
static int e2e_dma_round_trip(struct e2e_dev *e, dma_addr_t *src_dma,
			      dma_addr_t *dst_dma, size_t *bad, size_t *first,
			      const char **what)
{
	struct device *dev = &e->pdev->dev;
	u8 *src, *dst;
	int ret;

	src = dma_alloc_coherent(dev, EDU_BUF_SIZE, src_dma, GFP_KERNEL);
	if (!src) {
		*what = "dma_alloc_coherent failed";
		return -ENOMEM;
	}
	dst = kzalloc(EDU_BUF_SIZE, GFP_KERNEL);
	if (!dst) {
		*what = "out of memory";
		ret = -ENOMEM;
		goto free_src;
	}
	e2e_fill(src, EDU_BUF_SIZE, 0x31);

	*dst_dma = dma_map_single(dev, dst, EDU_BUF_SIZE, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, *dst_dma)) {
		*what = "dma_map_single failed";
		ret = -ENOMEM;
		goto free_dst;
	}

	ret = edu_dma(e, *src_dma, EDU_BUF_ADDR, EDU_XFER, false);
	if (!ret)
		ret = edu_dma(e, EDU_BUF_ADDR, *dst_dma, EDU_XFER, true);
	dma_unmap_single(dev, *dst_dma, EDU_BUF_SIZE, DMA_FROM_DEVICE);
	if (ret) {
		*what = "edu DMA timed out";
		goto free_dst;
	}

	*bad = e2e_compare(src, dst, EDU_XFER, first);
	if (*bad) {
		*what = "bytes differ";
		ret = -EIO;
	}
free_dst:
	kfree(dst);
free_src:
	dma_free_coherent(dev, EDU_BUF_SIZE, src, *src_dma);
	return ret;
}

/* A DMA API round trip on a DMA API domain, reported as "dma-api". */
static void e2e_check_dma_api(struct e2e_dev *e)
{
	struct device *dev = &e->pdev->dev;
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);
	dma_addr_t src_dma, dst_dma;
	size_t bad = 0, first = 0;
	const char *what = "";
	int ret;

	if (!domain || !(domain->type & __IOMMU_DOMAIN_DMA_API)) {
		e2e_report(e, false, "dma-api",
			   "default domain is %s, not a DMA API domain",
			   e2e_domain_type(domain));
		return;
	}

	ret = e2e_dma_round_trip(e, &src_dma, &dst_dma, &bad, &first, &what);
	if (ret == -EIO)
		e2e_report(e, false, "dma-api",
			   "%zu of %d bytes differ, first at offset %zu",
			   bad, EDU_XFER, first);
	else if (ret)
		e2e_report(e, false, "dma-api", "%s (%d)", what, ret);
	else
		e2e_report(e, true, "dma-api",
			   "%s domain, %d bytes RAM->edu->RAM via IOVA %pad -> %pad, all bytes match",
			   e2e_domain_type(domain), EDU_XFER, &src_dma,
			   &dst_dma);
}

/*
 * Put EDU_XFER bytes of pattern @seed into the edu's buffer, from a
 * coherent bounce of our own; returns 0 or an errno.
 */
static int e2e_load_edu(struct e2e_dev *e, u8 seed)
{
	struct device *dev = &e->pdev->dev;
	dma_addr_t dma;
	int ret;
	u8 *buf;

	buf = dma_alloc_coherent(dev, EDU_BUF_SIZE, &dma, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	e2e_fill(buf, EDU_XFER, seed);
	ret = edu_dma(e, dma, EDU_BUF_ADDR, EDU_XFER, false);
	dma_free_coherent(dev, EDU_BUF_SIZE, buf, dma);
	return ret;
}

/*
 * Number of the @len bytes at @got that differ from pattern @seed at
 * stream offset @from, and the first one.
 */
static size_t e2e_check_pattern(const u8 *got, size_t len, u8 seed,
				size_t from, size_t *first)
{
	size_t done, n, bad = 0, at = 0, nbad;
	u8 want[E2E_SG_LEN];

	for (done = 0; done < len; done += n) {
		n = min_t(size_t, len - done, sizeof(want));
		e2e_fill_from(want, n, seed, from + done);
		nbad = e2e_compare(want, got + done, n, &at);
		if (nbad && !bad)
			*first = done + at;
		bad += nbad;
	}
	return bad;
}

/* edu -> a scatterlist of pieces of different pages, via dma_map_sg(). */
static void e2e_check_dma_sg(struct e2e_dev *e)
{
	struct device *dev = &e->pdev->dev;
	struct page *pages[E2E_SG_SEGS] = { };
	struct scatterlist sgl[E2E_SG_SEGS], *s;
	size_t off, done = 0, first = 0;
	int i, nents, ret;

	sg_init_table(sgl, E2E_SG_SEGS);
	for (i = 0; i < E2E_SG_SEGS; i++) {
		pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!pages[i]) {
			e2e_report(e, false, "dma-sg", "out of memory");
			goto free;
		}
		off = (i * 184 + 8) % (PAGE_SIZE - E2E_SG_LEN);
		sg_set_page(&sgl[i], pages[i], E2E_SG_LEN, off);
	}
	ret = e2e_load_edu(e, 0x47);
	if (ret) {
		e2e_report(e, false, "dma-sg", "loading the edu: %d", ret);
		goto free;
	}

	nents = dma_map_sg(dev, sgl, E2E_SG_SEGS, DMA_FROM_DEVICE);
	if (!nents) {
		e2e_report(e, false, "dma-sg", "dma_map_sg failed");
		goto free;
	}
	ret = 0;
	for_each_sg(sgl, s, nents, i) {
		ret = edu_dma(e, EDU_BUF_ADDR + done, sg_dma_address(s),
			      sg_dma_len(s), true);
		if (ret)
			break;
		done += sg_dma_len(s);
	}
	dma_unmap_sg(dev, sgl, E2E_SG_SEGS, DMA_FROM_DEVICE);
	if (ret || done != E2E_SG_SEGS * E2E_SG_LEN) {
		e2e_report(e, false, "dma-sg",
			   "%d DMA segments carried %zu of %d bytes (%d)",
			   nents, done, E2E_SG_SEGS * E2E_SG_LEN, ret);
		goto free;
	}

	for (i = 0; i < E2E_SG_SEGS; i++) {
		u8 *got = page_address(pages[i]) + sgl[i].offset;

		if (e2e_check_pattern(got, E2E_SG_LEN, 0x47, i * E2E_SG_LEN,
				      &first)) {
			e2e_report(e, false, "dma-sg",
				   "piece %d differs from byte %zu on", i,
				   first);
			goto free;
		}
	}
	e2e_report(e, true, "dma-sg",
		   "%d pieces in %d DMA segments from %pad, all bytes match",
		   E2E_SG_SEGS, nents, &sg_dma_address(sgl));
free:
	for (i = 0; i < E2E_SG_SEGS; i++)
		if (pages[i])
			__free_page(pages[i]);
}

/*
 * The edu reads the first EDU_XFER bytes of @cpu (at @dma) and writes them
 * back at each offset of @at; the CPU must then see them there.  Returns
 * the index of the first offset that failed, or -1.
 */
static int e2e_bounce_within(struct e2e_dev *e, u8 *cpu, dma_addr_t dma,
			     const size_t *at, int n, int *err)
{
	size_t first = 0;
	int i;

	e2e_fill(cpu, EDU_XFER, 0x6b);
	*err = edu_dma(e, dma, EDU_BUF_ADDR, EDU_XFER, false);
	for (i = 0; !*err && i < n; i++) {
		*err = edu_dma(e, EDU_BUF_ADDR, dma + at[i], EDU_XFER, true);
		if (*err || e2e_check_pattern(cpu + at[i], EDU_XFER, 0x6b, 0,
					      &first))
			return i;
	}
	return *err ? 0 : -1;
}

/* A 4 MiB coherent buffer, written across its 2 MiB boundary and end. */
static void e2e_check_coherent_4m(struct e2e_dev *e)
{
	const size_t at[] = { SZ_2M - 2000, SZ_4M - EDU_XFER - 8 };
	struct device *dev = &e->pdev->dev;
	dma_addr_t dma;
	int bad, err;
	u8 *buf;

	buf = dma_alloc_coherent(dev, SZ_4M, &dma, GFP_KERNEL);
	if (!buf) {
		e2e_report(e, false, "dma-coherent-4m",
			   "dma_alloc_coherent failed");
		return;
	}
	bad = e2e_bounce_within(e, buf, dma, at, ARRAY_SIZE(at), &err);
	if (bad >= 0)
		e2e_report(e, false, "dma-coherent-4m",
			   "at offset %zu: %s (%d)", at[bad],
			   err ? "edu DMA failed" : "bytes differ", err);
	else
		e2e_report(e, true, "dma-coherent-4m",
			   "4 MiB at %pad, written at 2 MiB - 2000 and the end, all bytes match",
			   &dma);
	dma_free_coherent(dev, SZ_4M, buf, dma);
}

/* A 1 MiB noncontiguous buffer: one DMA range, one kernel mapping. */
static void e2e_check_noncontig(struct e2e_dev *e)
{
	const size_t at[] = { PAGE_SIZE - 100, SZ_1M - EDU_XFER - 8 };
	struct device *dev = &e->pdev->dev;
	struct sg_table *sgt;
	int bad, err;
	u8 *buf;

	/*
	 * Declare segments as long as the buffer: upstream's DMA layer hands
	 * back CPU-side entries longer than the PCI default of 64 KiB, which
	 * dma-debug reports against the device (ours keeps within it).
	 */
	dma_set_max_seg_size(dev, SZ_1M);
	sgt = dma_alloc_noncontiguous(dev, SZ_1M, DMA_BIDIRECTIONAL,
				      GFP_KERNEL, 0);
	if (!sgt) {
		e2e_report(e, false, "dma-noncontig",
			   "dma_alloc_noncontiguous failed");
		return;
	}
	if (sgt->nents != 1) {
		e2e_report(e, false, "dma-noncontig",
			   "%u DMA segments, not one IOVA range", sgt->nents);
		goto free;
	}
	buf = dma_vmap_noncontiguous(dev, SZ_1M, sgt);
	if (!buf) {
		e2e_report(e, false, "dma-noncontig",
			   "dma_vmap_noncontiguous failed");
		goto free;
	}
	dma_sync_sgtable_for_device(dev, sgt, DMA_BIDIRECTIONAL);
	bad = e2e_bounce_within(e, buf, sg_dma_address(sgt->sgl), at,
				ARRAY_SIZE(at), &err);
	dma_sync_sgtable_for_cpu(dev, sgt, DMA_BIDIRECTIONAL);
	if (bad >= 0)
		e2e_report(e, false, "dma-noncontig",
			   "at offset %zu: %s (%d)", at[bad],
			   err ? "edu DMA failed" : "bytes differ", err);
	else
		e2e_report(e, true, "dma-noncontig",
			   "1 MiB in %u pages at %pad, all bytes match",
			   sgt->orig_nents, &sg_dma_address(sgt->sgl));
	dma_vunmap_noncontiguous(dev, buf);
free:
	dma_free_noncontiguous(dev, SZ_1M, sgt, DMA_BIDIRECTIONAL);
}

/* Round trip through a paging domain of our own. */
static void e2e_check_paging_domain(struct e2e_dev *e)
{
	struct device *dev = &e->pdev->dev;
	struct iommu_domain *def = iommu_get_domain_for_dev(dev);
	const size_t size = 2 * PAGE_SIZE;
	struct iommu_domain *domain;
	size_t bad, first = 0, unmapped;
	phys_addr_t phys, got;
	struct page *pages;
	u8 *src, *dst;
	int ret;

	domain = iommu_paging_domain_alloc(dev);
	if (IS_ERR(domain)) {
		e2e_report(e, false, "paging-domain",
			   "iommu_paging_domain_alloc: %ld", PTR_ERR(domain));
		return;
	}
	if (domain->type != IOMMU_DOMAIN_UNMANAGED) {
		e2e_report(e, false, "paging-domain", "domain type %#x",
			   domain->type);
		goto free_domain;
	}

	pages = alloc_pages(GFP_KERNEL | __GFP_ZERO, get_order(size));
	if (!pages) {
		e2e_report(e, false, "paging-domain", "out of memory");
		goto free_domain;
	}
	phys = page_to_phys(pages);
	src = page_address(pages);
	dst = src + PAGE_SIZE;
	e2e_fill(src, EDU_BUF_SIZE, 0x5c);

	ret = iommu_attach_device(domain, dev);
	if (ret) {
		e2e_report(e, false, "paging-domain",
			   "iommu_attach_device: %d", ret);
		goto free_pages;
	}
	if (iommu_get_domain_for_dev(dev) != domain) {
		e2e_report(e, false, "paging-domain",
			   "attached, but the device is not in our domain");
		goto detach;
	}
	/*
	 * The geometry is known once attached: virtio-iommu sets it up at
	 * the first attach.
	 */
	if (E2E_IOVA + size - 1 > domain->geometry.aperture_end) {
		e2e_report(e, false, "paging-domain",
			   "IOVA %#llx beyond the aperture end %pad", E2E_IOVA,
			   &domain->geometry.aperture_end);
		goto detach;
	}

	ret = iommu_map(domain, E2E_IOVA, phys, size,
			IOMMU_READ | IOMMU_WRITE, GFP_KERNEL);
	if (ret) {
		e2e_report(e, false, "paging-domain", "iommu_map: %d", ret);
		goto detach;
	}
	got = iommu_iova_to_phys(domain, E2E_IOVA + PAGE_SIZE + 0x10);
	if (got != phys + PAGE_SIZE + 0x10) {
		e2e_report(e, false, "paging-domain",
			   "iommu_iova_to_phys: %pa, expected %pa", &got,
			   &phys);
		goto unmap;
	}

	ret = edu_dma(e, E2E_IOVA, EDU_BUF_ADDR, EDU_XFER, false);
	if (!ret)
		ret = edu_dma(e, EDU_BUF_ADDR, E2E_IOVA + PAGE_SIZE,
			      EDU_XFER, true);
	if (ret) {
		e2e_report(e, false, "paging-domain",
			   "edu DMA timed out (%d)", ret);
		goto unmap;
	}
	bad = e2e_compare(src, dst, EDU_XFER, &first);
	if (bad) {
		e2e_report(e, false, "paging-domain",
			   "%zu of %d bytes differ, first at offset %zu",
			   bad, EDU_XFER, first);
		goto unmap;
	}

	/* Once unmapped (and the IOTLB flushed) the IOVA must not reach RAM. */
	unmapped = iommu_unmap(domain, E2E_IOVA, size);
	if (unmapped != size) {
		e2e_report(e, false, "paging-domain",
			   "iommu_unmap unmapped %zu of %zu bytes",
			   unmapped, size);
		goto detach;
	}
	memset(dst, 0xa5, EDU_BUF_SIZE);
	ret = edu_dma(e, EDU_BUF_ADDR, E2E_IOVA + PAGE_SIZE, EDU_XFER,
		      true);
	if (ret) {
		e2e_report(e, false, "paging-domain",
			   "edu DMA timed out (%d)", ret);
		goto detach;
	}
	if (memchr_inv(dst, 0xa5, EDU_BUF_SIZE)) {
		e2e_report(e, false, "paging-domain",
			   "DMA to an unmapped IOVA reached the old page");
		goto detach;
	}

	msleep(E2E_FAULT_SETTLE_MS);
	iommu_detach_device(domain, dev);
	if (iommu_get_domain_for_dev(dev) != def)
		e2e_report(e, false, "paging-domain",
			   "detach did not restore the default domain");
	else
		e2e_report(e, true, "paging-domain",
			   "%zu bytes mapped at IOVA %#llx, %d bytes RAM->edu->RAM match, unmapped IOVA blocked",
			   size, E2E_IOVA, EDU_XFER);
	goto free_pages;

unmap:
	iommu_unmap(domain, E2E_IOVA, size);
detach:
	iommu_detach_device(domain, dev);
free_pages:
	__free_pages(pages, get_order(size));
free_domain:
	iommu_domain_free(domain);
}

static int e2e_count_dev(struct device *dev, void *data)
{
	(*(unsigned int *)data)++;
	return 0;
}

/* iommu_attach_device() must refuse a device that shares its group. */
static void e2e_check_attach_shared(struct e2e_dev *e)
{
	struct device *dev = &e->pdev->dev;
	struct iommu_domain *before = iommu_get_domain_for_dev(dev);
	struct iommu_domain *domain;
	int ret;

	domain = iommu_paging_domain_alloc(dev);
	if (IS_ERR(domain)) {
		e2e_report(e, false, "attach-shared",
			   "iommu_paging_domain_alloc: %ld", PTR_ERR(domain));
		return;
	}
	ret = iommu_attach_device(domain, dev);
	if (!ret) {
		iommu_detach_device(domain, dev);
		e2e_report(e, false, "attach-shared",
			   "iommu_attach_device succeeded on a shared group");
	} else if (ret != -EINVAL) {
		e2e_report(e, false, "attach-shared",
			   "iommu_attach_device returned %d, expected %d",
			   ret, -EINVAL);
	} else if (iommu_get_domain_for_dev(dev) != before) {
		e2e_report(e, false, "attach-shared",
			   "refused attach changed the group's domain");
	} else {
		e2e_report(e, true, "attach-shared",
			   "iommu_attach_device refused with %d", ret);
	}
	iommu_domain_free(domain);
}

static int e2e_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct iommu_group *group;
	unsigned int ndev = 0;
	struct e2e_dev *e;
	int ret;

	e = devm_kzalloc(&pdev->dev, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->pdev = pdev;
	pci_set_drvdata(pdev, e);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	e->bar = pcim_iomap_region(pdev, 0, KBUILD_MODNAME);
	if (IS_ERR(e->bar))
		return PTR_ERR(e->bar);
	if ((readl(e->bar + EDU_REG_ID) & 0xff) != 0xed)
		return -ENODEV;
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(40));
	if (ret)
		return ret;
	pci_set_master(pdev);
	if (!probe_checks)
		return 0;

	group = iommu_group_get(&pdev->dev);
	if (!group) {
		e2e_report(e, false, "iommu-group", "device has no IOMMU group");
		return 0;
	}
	iommu_group_for_each_dev(group, &ndev, e2e_count_dev);
	iommu_group_put(group);

	if (ndev == 1) {
		e2e_check_dma_api(e);
		e2e_check_dma_sg(e);
		e2e_check_coherent_4m(e);
		e2e_check_noncontig(e);
		e2e_check_paging_domain(e);
	} else {
		e2e_check_attach_shared(e);
	}
	return 0;
}

static void e2e_remove(struct pci_dev *pdev)
{
	pci_clear_master(pdev);
}

static ssize_t e2e_results_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct e2e_dev *e = dev_get_drvdata(dev);

	/* Every line, the last one included, ends with a newline. */
	return sysfs_emit(buf, "%.*s\n", (int)(e->len ? e->len - 1 : 0),
			  e->results);
}
static DEVICE_ATTR_RO(e2e_results);

/* Any write: one DMA API round trip, whose errno the write returns */
static ssize_t e2e_dma_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	size_t bad = 0, first = 0;
	dma_addr_t src, dst;
	const char *what;
	int ret;

	ret = e2e_dma_round_trip(dev_get_drvdata(dev), &src, &dst, &bad,
				 &first, &what);
	return ret ?: count;
}
static DEVICE_ATTR_WO(e2e_dma);

static struct attribute *e2e_attrs[] = {
	&dev_attr_e2e_results.attr,
	&dev_attr_e2e_dma.attr,
	NULL
};
ATTRIBUTE_GROUPS(e2e);

static struct pci_driver e2e_driver = {
	.name		= KBUILD_MODNAME,
	.probe		= e2e_probe,
	.remove		= e2e_remove,
	.dev_groups	= e2e_groups,
};
module_pci_driver(e2e_driver);

MODULE_DESCRIPTION("End-to-end IOMMU core checks on QEMU's edu device");
MODULE_LICENSE("GPL");
