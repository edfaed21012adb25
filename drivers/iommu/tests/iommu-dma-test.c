// SPDX-License-Identifier: GPL-2.0-only
/*
 * The DMA API on a translating default domain: the contract of the
 * DMA-IOMMU layer (upstream's dma-iommu.c and iova.c, or ours in
 * drivers/iommu/dma/) as a device driver sees it through
 * include/linux/dma-mapping.h.  Every case gives a mock device a DMA
 * default domain of a mock IOMMU; the mock's page table and its callback
 * log show what the layer really did: which IOVAs it handed out, what they
 * translate to, and when it invalidated the IOTLB.
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/iommu-dma.h>
#include <linux/iommu.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/swiotlb.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>

#include "iommu-test-mock.h"

KUNIT_DEFINE_ACTION_WRAPPER(dma_test_sg_free_table, sg_free_table,
			    struct sg_table *);
KUNIT_DEFINE_ACTION_WRAPPER(dma_test_xa_destroy, xa_destroy, struct xarray *);

#define GAP_UNMAP_WALK \
	"unmapping a page of a trusted, coherent device walks the IOMMU page table (iova_to_phys): upstream's layer looks the physical address up on every unmap"
#define GAP_OPT_SIZE \
	"dma_opt_mapping_size() is below 2 MiB: upstream's layer reports the largest size its IOVA caches hold, 128 KiB"

/* The world of one case */
struct dma_env_cfg {
	/* A DMA-FQ (lazy) default domain, else a strict DMA one */
	bool lazy;
	/* A PCI device, on pci_bus_type from before its probe on */
	bool pci;
	bool untrusted;
	/* The DMA mask in bits, 0 for 32 */
	unsigned int mask_bits;
	/* The domain's aperture end, 0 for the mock's */
	dma_addr_t aperture_end;
};

struct dma_env {
	struct iommu_mock *mock;
	struct device *dev;
	struct iommu_domain *domain;
	struct iommu_mock_domain *mdom;
	/* The device's dma_parms: allocated before the device, freed after */
	struct device_dma_parameters parms;
	/* What take_log() moved out of the mock's log */
	struct iommu_mock_event *ev;
};

static const struct dma_env_cfg strict_cfg = { };
static const struct dma_env_cfg lazy_cfg = { .lazy = true };

static struct device *dma_env_add_dev(struct kunit *test, struct dma_env *e,
				      const struct dma_env_cfg *cfg)
{
	struct iommu_mock_pci_dev *pmd;

	if (!cfg->pci)
		return iommu_mock_core_dev(iommu_mock_dev_add(test, e->mock,
							      NULL));
	if (!IS_ENABLED(CONFIG_PCI))
		kunit_skip(test, "no PCI in this kernel");
	pmd = iommu_mock_pci_dev_add(test, e->mock, NULL, cfg->untrusted);
	/* dma-iommu only treats a device as PCI when it sits on the PCI bus */
	iommu_mock_pci_dev_set_pci(pmd, true);
	KUNIT_ASSERT_EQ(test, iommu_mock_dev_probe(&pmd->md), 0);
	return &pmd->pdev.dev;
}

static struct dma_env *dma_env_make(struct kunit *test,
				    const struct dma_env_cfg *cfg)
{
	const struct iommu_mock_config mcfg = {
		.def_domain_type = cfg->lazy ? IOMMU_DOMAIN_DMA_FQ :
					       IOMMU_DOMAIN_DMA,
		.deferred_flush = cfg->lazy,
		.aperture_end = cfg->aperture_end,
	};
	struct dma_env *e;
	int ret;

	e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, e);
	e->ev = kunit_kcalloc(test, IOMMU_MOCK_MAX_EVENTS, sizeof(*e->ev),
			      GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, e->ev);

	e->mock = iommu_mock_add(test, &mcfg);
	e->dev = dma_env_add_dev(test, e, cfg);
	e->dev->dma_parms = &e->parms;
	ret = dma_coerce_mask_and_coherent(e->dev,
					   DMA_BIT_MASK(cfg->mask_bits ?: 32));
	KUNIT_ASSERT_EQ(test, ret, 0);
#if defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_DEVICE) || \
	defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU) || \
	defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU_ALL)
	/* As the mock claims IOMMU_CAP_CACHE_COHERENCY; no firmware says so */
	e->dev->dma_coherent = true;
#endif

	e->domain = iommu_get_domain_for_dev(e->dev);
	KUNIT_ASSERT_NOT_NULL(test, e->domain);
	KUNIT_ASSERT_EQ(test, e->domain->type,
			cfg->lazy ? IOMMU_DOMAIN_DMA_FQ : IOMMU_DOMAIN_DMA);
	KUNIT_ASSERT_TRUE(test, use_dma_iommu(e->dev));
	e->mdom = to_iommu_mock_domain(e->domain);
	iommu_mock_clear_log(e->mock);
	return e;
}

/* Page-aligned, physically contiguous memory (@size a power of two) */
static void *dma_buf(struct kunit *test, size_t size, int fill)
{
	void *buf = kunit_kmalloc(test, size, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_TRUE(test, PAGE_ALIGNED(buf));
	memset(buf, fill, size);
	return buf;
}

static dma_addr_t map_or_fail(struct kunit *test, struct dma_env *e,
			      void *buf, size_t size,
			      enum dma_data_direction dir)
{
	dma_addr_t handle = dma_map_single(e->dev, buf, size, dir);

	KUNIT_ASSERT_FALSE_MSG(test, dma_mapping_error(e->dev, handle),
			       "mapping %zu bytes failed", size);
	return handle;
}

/* [iova, iova + size) translates byte for byte to [phys, phys + size) */
static void expect_translates(struct kunit *test, struct dma_env *e,
			      dma_addr_t iova, phys_addr_t phys, size_t size)
{
	size_t off;

	for (off = 0; off < size; off = PAGE_ALIGN(iova + off + 1) - iova) {
		phys_addr_t got = iommu_iova_to_phys(e->domain, iova + off);
		phys_addr_t want = phys + off;

		if (got != want) {
			KUNIT_FAIL(test, "IOVA %pad + %#zx translates to %pa, not %pa",
				   &iova, off, &got, &want);
			return;
		}
	}
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(e->domain, iova + size - 1),
			phys + size - 1);
}

static void expect_within(struct kunit *test, struct dma_env *e,
			  dma_addr_t handle, size_t size, u64 mask)
{
	KUNIT_EXPECT_GE(test, handle, e->domain->geometry.aperture_start);
	KUNIT_EXPECT_LE(test, handle + size - 1,
			e->domain->geometry.aperture_end);
	KUNIT_EXPECT_LE(test, handle + size - 1, mask);
}

static size_t dma_granule(struct dma_env *e)
{
	return 1UL << __ffs(e->domain->pgsize_bitmap);
}

/* ---- the callback log ---- */

static unsigned int take_log(struct dma_env *e)
{
	return iommu_mock_take_events(e->mock, e->ev, IOMMU_MOCK_MAX_EVENTS);
}

static unsigned int count_taken(struct dma_env *e, unsigned int n,
				enum iommu_mock_event_type type)
{
	unsigned int i, count = 0;

	for (i = 0; i < n; i++)
		count += e->ev[i].type == type;
	return count;
}

static bool is_invalidation(const struct iommu_mock_event *ev)
{
	return ev->type == IOMMU_MOCK_EV_IOTLB_SYNC ||
	       ev->type == IOMMU_MOCK_EV_FLUSH_ALL;
}

static bool sync_covers(const struct iommu_mock_event *ev, dma_addr_t iova,
			size_t size)
{
	return ev->type == IOMMU_MOCK_EV_IOTLB_SYNC && ev->pgsize &&
	       ev->iova <= iova &&
	       iova + size - 1 <= ev->iova + ev->pgsize - 1;
}

/*
 * The @n events taken hold exactly one invalidation, a ranged one made by
 * the calling task, covering [iova, iova + size) and following every
 * unmap_pages() call.
 */
static void expect_one_ranged_sync(struct kunit *test, struct dma_env *e,
				   unsigned int n, dma_addr_t iova, size_t size)
{
	int sync = -1, last_unmap = -1;
	unsigned int i;

	KUNIT_EXPECT_EQ(test, count_taken(e, n, IOMMU_MOCK_EV_FLUSH_ALL), 0);
	KUNIT_ASSERT_EQ(test, count_taken(e, n, IOMMU_MOCK_EV_IOTLB_SYNC), 1);
	for (i = 0; i < n; i++) {
		if (e->ev[i].type == IOMMU_MOCK_EV_IOTLB_SYNC)
			sync = i;
		else if (e->ev[i].type == IOMMU_MOCK_EV_UNMAP)
			last_unmap = i;
	}
	KUNIT_EXPECT_GE(test, last_unmap, 0);
	KUNIT_EXPECT_GT(test, sync, last_unmap);
	KUNIT_EXPECT_PTR_EQ(test, e->ev[sync].task, current);
	KUNIT_EXPECT_TRUE_MSG(test, sync_covers(&e->ev[sync], iova, size),
			      "sync of [%#lx, +%#zx) misses [%pad, +%#zx)",
			      e->ev[sync].iova, e->ev[sync].pgsize, &iova, size);
}

/*
 * Replays the log in order, for lazy domains: an IOVA page unmapped is
 * pending until an invalidation covering it follows, and mapping a
 * pending page means the layer handed out an IOVA whose stale IOTLB
 * entries the device may still use.
 */
struct flush_tracker {
	/* IOVA page numbers unmapped and not invalidated since */
	struct xarray pending;
	unsigned int early_reuses;
	unsigned long first_reuse;
	unsigned int invalidations;
};

static struct flush_tracker *flush_tracker_make(struct kunit *test)
{
	struct flush_tracker *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	xa_init(&t->pending);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							dma_test_xa_destroy,
							&t->pending), 0);
	return t;
}

static void track_unmap(struct kunit *test, struct flush_tracker *t,
			const struct iommu_mock_event *ev)
{
	unsigned long pfn, last = (ev->iova + ev->ret - 1) >> PAGE_SHIFT;

	if (ev->ret <= 0)
		return;
	for (pfn = ev->iova >> PAGE_SHIFT; pfn <= last; pfn++)
		KUNIT_ASSERT_EQ(test, xa_err(xa_store(&t->pending, pfn,
						      xa_mk_value(1),
						      GFP_KERNEL)), 0);
}

static void track_map(struct flush_tracker *t,
		      const struct iommu_mock_event *ev)
{
	unsigned long first = ev->iova >> PAGE_SHIFT;
	unsigned long last = (ev->iova + ev->pgsize * ev->pgcount - 1) >>
			     PAGE_SHIFT;

	if (!ev->pgcount || !xa_find(&t->pending, &first, last, XA_PRESENT))
		return;
	if (!t->early_reuses++)
		t->first_reuse = first << PAGE_SHIFT;
}

static void track_invalidation(struct flush_tracker *t,
			       const struct iommu_mock_event *ev)
{
	unsigned long pfn;
	void *entry;

	t->invalidations++;
	if (ev->type == IOMMU_MOCK_EV_FLUSH_ALL) {
		xa_destroy(&t->pending);
		return;
	}
	if (!ev->pgsize)
		return;
	xa_for_each_range(&t->pending, pfn, entry, ev->iova >> PAGE_SHIFT,
			  (ev->iova + ev->pgsize - 1) >> PAGE_SHIFT)
		xa_erase(&t->pending, pfn);
}

static void track_log(struct kunit *test, struct dma_env *e,
		      struct flush_tracker *t)
{
	unsigned int i, n = take_log(e);

	for (i = 0; i < n; i++) {
		const struct iommu_mock_event *ev = &e->ev[i];

		if (ev->domain != e->domain)
			continue;
		if (ev->type == IOMMU_MOCK_EV_UNMAP)
			track_unmap(test, t, ev);
		else if (ev->type == IOMMU_MOCK_EV_MAP)
			track_map(t, ev);
		else if (is_invalidation(ev))
			track_invalidation(t, ev);
	}
}

/* ---- scatterlist helpers ---- */

/* One CPU segment: @len bytes at @offset into page @page of the buffer */
struct sg_seg {
	unsigned int page;
	unsigned int offset;
	unsigned int len;
};

/*
 * A table of @n segments over one buffer of @buf_pages pages (a power of
 * two); segments that leave a page out between them are physically apart.
 */
static struct sg_table *make_sgt(struct kunit *test, const struct sg_seg *seg,
				 unsigned int n, unsigned int buf_pages)
{
	u8 *buf = dma_buf(test, buf_pages * PAGE_SIZE, 0x11);
	struct sg_table *sgt;
	struct scatterlist *s;
	unsigned int i;

	sgt = kunit_kzalloc(test, sizeof(*sgt), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sgt);
	KUNIT_ASSERT_EQ(test, sg_alloc_table(sgt, n, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							dma_test_sg_free_table,
							sgt), 0);
	for_each_sgtable_sg(sgt, s, i)
		sg_set_buf(s, buf + seg[i].page * PAGE_SIZE + seg[i].offset,
			   seg[i].len);
	return sgt;
}

/*
 * Walk the CPU segments against the first @nents DMA segments: each DMA
 * segment is a run of CPU segments back to back in IOVA space, every byte
 * of which translates to its CPU byte, and the runs use up the DMA
 * segments exactly.
 */
static void expect_sg_translates(struct kunit *test, struct dma_env *e,
				 struct sg_table *sgt, unsigned int nents)
{
	struct scatterlist *s, *d = sgt->sgl;
	unsigned int i, used = 1;
	dma_addr_t pos;
	size_t left;

	KUNIT_ASSERT_GT(test, nents, 0);
	pos = sg_dma_address(d);
	left = sg_dma_len(d);
	for_each_sgtable_sg(sgt, s, i) {
		if (!left) {
			KUNIT_ASSERT_LT_MSG(test, used, nents,
					    "CPU segment %u has no DMA segment",
					    i);
			d = sg_next(d);
			used++;
			pos = sg_dma_address(d);
			left = sg_dma_len(d);
		}
		KUNIT_ASSERT_GE_MSG(test, left, (size_t)s->length,
				    "CPU segment %u overruns DMA segment %u",
				    i, used - 1);
		expect_translates(test, e, pos, sg_phys(s), s->length);
		pos += s->length;
		left -= s->length;
	}
	KUNIT_EXPECT_EQ(test, left, 0);
	KUNIT_EXPECT_EQ(test, used, nents);
}

static const struct sg_seg four_pages[] = {
	{ 0, 0, PAGE_SIZE }, { 2, 0, PAGE_SIZE },
	{ 4, 0, PAGE_SIZE }, { 6, 0, PAGE_SIZE },
};

static const struct sg_seg offset_segs[] = {
	{ 0, 0x100, 0x300 }, { 2, 0, PAGE_SIZE },
	{ 4, 0x80, 0x40 }, { 6, 0, 0x200 },
};

/*
 * Six runs of three pages under a segment boundary of 16 pages: laid out
 * back to back, some would cross it, so the layout pads before them.
 */
static const struct sg_seg boundary_runs[] = {
	{ 0, 0, 3 * PAGE_SIZE }, { 4, 0, 3 * PAGE_SIZE },
	{ 8, 0, 3 * PAGE_SIZE }, { 12, 0, 3 * PAGE_SIZE },
	{ 16, 0, 3 * PAGE_SIZE }, { 20, 0, 3 * PAGE_SIZE },
};

#define BOUNDARY_RUNS_MASK	(16 * PAGE_SIZE - 1)

static struct sg_table *map_boundary_runs(struct kunit *test,
					  struct dma_env *e)
{
	struct sg_table *sgt = make_sgt(test, boundary_runs,
					ARRAY_SIZE(boundary_runs), 32);

	dma_set_seg_boundary(e->dev, BOUNDARY_RUNS_MASK);
	KUNIT_ASSERT_EQ(test, dma_map_sgtable(e->dev, sgt, DMA_TO_DEVICE, 0),
			0);
	return sgt;
}

/* From the first DMA segment's start to the last one's end */
static size_t sgt_dma_span(struct sg_table *sgt)
{
	struct scatterlist *s, *last = NULL;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, s, i)
		last = s;
	return sg_dma_address(last) + sg_dma_len(last) -
	       sg_dma_address(sgt->sgl);
}

/* ---- iommu-dma-map: what a streaming mapping is ---- */

static void map_page_keeps_offset_in_page(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	u8 *buf = dma_buf(test, PAGE_SIZE, 0);
	dma_addr_t handle;

	handle = map_or_fail(test, e, buf + 0x123, 0x100, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, offset_in_page(handle), 0x123UL);
	dma_unmap_single(e->dev, handle, 0x100, DMA_BIDIRECTIONAL);
}

static void map_page_translates_to_the_buffer(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	const size_t size = 4 * PAGE_SIZE - 0x20;
	u8 *buf = dma_buf(test, 4 * PAGE_SIZE, 0);
	dma_addr_t handle;

	handle = map_or_fail(test, e, buf + 0x10, size, DMA_BIDIRECTIONAL);
	expect_translates(test, e, handle, virt_to_phys(buf + 0x10), size);
	dma_unmap_single(e->dev, handle, size, DMA_BIDIRECTIONAL);
}

static void unmap_page_leaves_nothing_mapped(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	u8 *buf = dma_buf(test, 4 * PAGE_SIZE, 0);
	dma_addr_t handle;

	handle = map_or_fail(test, e, buf, 4 * PAGE_SIZE, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain),
			4 * PAGE_SIZE);
	dma_unmap_single(e->dev, handle, 4 * PAGE_SIZE, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain), 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(e->domain, handle), 0);
}

static void check_map_within_mask(struct kunit *test, unsigned int bits)
{
	const struct dma_env_cfg cfg = { .mask_bits = bits };
	struct dma_env *e = dma_env_make(test, &cfg);
	u8 *buf = dma_buf(test, 16 * PAGE_SIZE, 0);
	dma_addr_t handle;

	handle = map_or_fail(test, e, buf, 16 * PAGE_SIZE, DMA_BIDIRECTIONAL);
	expect_within(test, e, handle, 16 * PAGE_SIZE, DMA_BIT_MASK(bits));
	dma_unmap_single(e->dev, handle, 16 * PAGE_SIZE, DMA_BIDIRECTIONAL);
}

static void map_page_stays_within_aperture_and_32bit_mask(struct kunit *test)
{
	check_map_within_mask(test, 32);
}

static void map_page_stays_within_aperture_and_40bit_mask(struct kunit *test)
{
	check_map_within_mask(test, 40);
}

static void map_page_gives_pci_device_32bit_iova_first(struct kunit *test)
{
	const struct dma_env_cfg cfg = { .pci = true, .mask_bits = 64 };
	struct dma_env *e = dma_env_make(test, &cfg);
	u8 *buf = dma_buf(test, PAGE_SIZE, 0);
	dma_addr_t handle;

	/* Single-address-cycle IOVAs while there are any left */
	handle = map_or_fail(test, e, buf, PAGE_SIZE, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_LE(test, handle + PAGE_SIZE - 1, DMA_BIT_MASK(32));
	dma_unmap_single(e->dev, handle, PAGE_SIZE, DMA_BIDIRECTIONAL);
}

/* The prot of the one map_pages() call mapping @dir */
static int prot_of_map(struct kunit *test, struct dma_env *e, void *buf,
		       enum dma_data_direction dir)
{
	dma_addr_t handle;
	unsigned int i, n;
	int prot = -1;

	take_log(e);
	handle = map_or_fail(test, e, buf, PAGE_SIZE, dir);
	n = take_log(e);
	dma_unmap_single(e->dev, handle, PAGE_SIZE, dir);
	KUNIT_EXPECT_EQ(test, count_taken(e, n, IOMMU_MOCK_EV_MAP), 1);
	for (i = 0; i < n; i++) {
		if (e->ev[i].type == IOMMU_MOCK_EV_MAP)
			prot = e->ev[i].prot;
	}
	return prot;
}

static void map_page_prot_follows_direction(struct kunit *test)
{
	const int rw = IOMMU_READ | IOMMU_WRITE;
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	u8 *buf = dma_buf(test, PAGE_SIZE, 0);

	KUNIT_EXPECT_EQ(test, prot_of_map(test, e, buf, DMA_TO_DEVICE) & rw,
			IOMMU_READ);
	KUNIT_EXPECT_EQ(test, prot_of_map(test, e, buf, DMA_FROM_DEVICE) & rw,
			IOMMU_WRITE);
	KUNIT_EXPECT_EQ(test,
			prot_of_map(test, e, buf, DMA_BIDIRECTIONAL) & rw, rw);
}

static void map_page_of_coherent_device_is_cacheable(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	u8 *buf = dma_buf(test, PAGE_SIZE, 0);

	KUNIT_EXPECT_TRUE(test, prot_of_map(test, e, buf, DMA_TO_DEVICE) &
				IOMMU_CACHE);
}

static void map_resource_maps_mmio(struct kunit *test)
{
	/* Far above any RAM of the test machines: MMIO as far as mm knows */
	const phys_addr_t phys = SZ_1G * 512ULL + 0x340;
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	dma_addr_t handle;
	unsigned int i, n;

	take_log(e);
	handle = dma_map_resource(e->dev, phys, SZ_256, DMA_BIDIRECTIONAL, 0);
	n = take_log(e);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(e->dev, handle));
	KUNIT_EXPECT_EQ(test, offset_in_page(handle), offset_in_page(phys));
	expect_translates(test, e, handle, phys, SZ_256);
	KUNIT_EXPECT_EQ(test, count_taken(e, n, IOMMU_MOCK_EV_MAP), 1);
	for (i = 0; i < n; i++) {
		if (e->ev[i].type == IOMMU_MOCK_EV_MAP)
			KUNIT_EXPECT_TRUE(test, e->ev[i].prot & IOMMU_MMIO);
	}
	dma_unmap_resource(e->dev, handle, SZ_256, DMA_BIDIRECTIONAL, 0);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain), 0);
}

static void opt_mapping_size_is_at_least_2m(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);

	iommu_dma_kunit_expect_gap(test, dma_opt_mapping_size(e->dev) >= SZ_2M,
				   GAP_OPT_SIZE);
}

static struct kunit_case iommu_dma_map_cases[] = {
	KUNIT_CASE(map_page_keeps_offset_in_page),
	KUNIT_CASE(map_page_translates_to_the_buffer),
	KUNIT_CASE(unmap_page_leaves_nothing_mapped),
	KUNIT_CASE(map_page_stays_within_aperture_and_32bit_mask),
	KUNIT_CASE(map_page_stays_within_aperture_and_40bit_mask),
	KUNIT_CASE(map_page_gives_pci_device_32bit_iova_first),
	KUNIT_CASE(map_page_prot_follows_direction),
	KUNIT_CASE(map_page_of_coherent_device_is_cacheable),
	KUNIT_CASE(map_resource_maps_mmio),
	KUNIT_CASE(opt_mapping_size_is_at_least_2m),
	{}
};

/* ---- iommu-dma-strict: invalidation of a strict domain ---- */

static void strict_map_asks_for_no_invalidation(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	u8 *buf = dma_buf(test, 4 * PAGE_SIZE, 0);
	dma_addr_t handle;
	unsigned int n;

	take_log(e);
	handle = map_or_fail(test, e, buf, 4 * PAGE_SIZE, DMA_BIDIRECTIONAL);
	n = take_log(e);
	/* Only what the driver asks for through iotlb_sync_map() */
	KUNIT_EXPECT_GT(test, count_taken(e, n, IOMMU_MOCK_EV_MAP), 0);
	KUNIT_EXPECT_EQ(test, count_taken(e, n, IOMMU_MOCK_EV_IOTLB_SYNC), 0);
	KUNIT_EXPECT_EQ(test, count_taken(e, n, IOMMU_MOCK_EV_FLUSH_ALL), 0);
	dma_unmap_single(e->dev, handle, 4 * PAGE_SIZE, DMA_BIDIRECTIONAL);
}

static void strict_unmap_page_invalidates_its_range_once(struct kunit *test)
{
	const size_t size = 3 * PAGE_SIZE;
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	u8 *buf = dma_buf(test, 4 * PAGE_SIZE, 0);
	dma_addr_t handle;

	/* Straddles four pages */
	handle = map_or_fail(test, e, buf + 0x80, size, DMA_BIDIRECTIONAL);
	take_log(e);
	dma_unmap_single(e->dev, handle, size, DMA_BIDIRECTIONAL);
	expect_one_ranged_sync(test, e, take_log(e), handle, size);
}

static void strict_unmap_sg_invalidates_its_range_once(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	struct sg_table *sgt = make_sgt(test, four_pages, 4, 8);
	dma_addr_t start;
	size_t span;

	KUNIT_ASSERT_EQ(test, dma_map_sgtable(e->dev, sgt, DMA_TO_DEVICE, 0),
			0);
	start = sg_dma_address(sgt->sgl);
	span = sgt_dma_span(sgt);

	take_log(e);
	dma_unmap_sgtable(e->dev, sgt, DMA_TO_DEVICE, 0);
	expect_one_ranged_sync(test, e, take_log(e), start, span);
}

/* Padding between DMA segments makes no more invalidations than none */
static void strict_unmap_of_padded_sg_invalidates_its_range_once(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	struct sg_table *sgt = map_boundary_runs(test, e);
	dma_addr_t start = sg_dma_address(sgt->sgl);
	size_t span = sgt_dma_span(sgt);

	take_log(e);
	dma_unmap_sgtable(e->dev, sgt, DMA_TO_DEVICE, 0);
	expect_one_ranged_sync(test, e, take_log(e), start, span);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain), 0);
}

static void unmap_of_trusted_coherent_device_walks_no_page_table(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	u8 *buf = dma_buf(test, PAGE_SIZE, 0);
	dma_addr_t handle;
	int walks;

	handle = map_or_fail(test, e, buf, PAGE_SIZE, DMA_TO_DEVICE);
	walks = atomic_read(&e->mdom->iova_to_phys_calls);
	dma_unmap_single(e->dev, handle, PAGE_SIZE, DMA_TO_DEVICE);
	walks = atomic_read(&e->mdom->iova_to_phys_calls) - walks;
	iommu_dma_kunit_expect_gap(test, walks == 0, GAP_UNMAP_WALK);
}

static struct kunit_case iommu_dma_strict_cases[] = {
	KUNIT_CASE(strict_map_asks_for_no_invalidation),
	KUNIT_CASE(strict_unmap_page_invalidates_its_range_once),
	KUNIT_CASE(strict_unmap_sg_invalidates_its_range_once),
	KUNIT_CASE(strict_unmap_of_padded_sg_invalidates_its_range_once),
	KUNIT_CASE(unmap_of_trusted_coherent_device_walks_no_page_table),
	{}
};

/* ---- iommu-dma-lazy: the flush queue ---- */

#define LAZY_ROUNDS	1024
#define LAZY_BUFS	4

static void lazy_unmap_invalidates_nothing_synchronously(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &lazy_cfg);
	u8 *buf = dma_buf(test, LAZY_BUFS * PAGE_SIZE, 0);
	dma_addr_t handle[LAZY_BUFS];
	unsigned int i, j, n, own;

	for (i = 0; i < LAZY_BUFS; i++)
		handle[i] = map_or_fail(test, e, buf + i * PAGE_SIZE,
					PAGE_SIZE, DMA_TO_DEVICE);
	for (i = 0; i < LAZY_BUFS; i++) {
		take_log(e);
		dma_unmap_single(e->dev, handle[i], PAGE_SIZE, DMA_TO_DEVICE);
		n = take_log(e);
		/* A timer or a worker may flush meanwhile, the caller may not */
		for (own = 0, j = 0; j < n; j++)
			own += is_invalidation(&e->ev[j]) &&
			       e->ev[j].task == current;
		KUNIT_EXPECT_EQ_MSG(test, own, 0, "unmap %u invalidated", i);
		KUNIT_EXPECT_EQ(test, count_taken(e, n, IOMMU_MOCK_EV_UNMAP), 1);
	}
}

static void lazy_unmap_of_padded_sg_invalidates_nothing_synchronously(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &lazy_cfg);
	struct sg_table *sgt = map_boundary_runs(test, e);
	unsigned int j, n, own = 0;

	take_log(e);
	dma_unmap_sgtable(e->dev, sgt, DMA_TO_DEVICE, 0);
	n = take_log(e);
	/* A timer or a worker may flush meanwhile, the caller may not */
	for (j = 0; j < n; j++)
		own += is_invalidation(&e->ev[j]) && e->ev[j].task == current;
	KUNIT_EXPECT_EQ(test, own, 0);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain), 0);
}

static void lazy_iova_is_not_reused_before_a_flush(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &lazy_cfg);
	struct flush_tracker *t = flush_tracker_make(test);
	u8 *buf = dma_buf(test, 16 * PAGE_SIZE, 0);
	dma_addr_t handle;
	unsigned int i;
	size_t size;

	/* Far more unmaps than a flush queue holds, in both IOVA sizes */
	for (i = 0; i < LAZY_ROUNDS; i++) {
		size = i & 1 ? 16 * PAGE_SIZE : PAGE_SIZE;
		handle = map_or_fail(test, e, buf, size, DMA_TO_DEVICE);
		dma_unmap_single(e->dev, handle, size, DMA_TO_DEVICE);
		track_log(test, e, t);
	}
	KUNIT_EXPECT_EQ_MSG(test, t->early_reuses, 0,
			    "IOVA %#lx mapped again before an invalidation",
			    t->first_reuse);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain), 0);
}

static void lazy_unmap_is_flushed_within_a_second(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &lazy_cfg);
	struct flush_tracker *t = flush_tracker_make(test);
	u8 *buf = dma_buf(test, PAGE_SIZE, 0);
	unsigned long deadline;
	dma_addr_t handle;

	handle = map_or_fail(test, e, buf, PAGE_SIZE, DMA_TO_DEVICE);
	dma_unmap_single(e->dev, handle, PAGE_SIZE, DMA_TO_DEVICE);
	deadline = jiffies + HZ;
	track_log(test, e, t);
	while (!xa_empty(&t->pending) && time_before(jiffies, deadline)) {
		msleep(20);
		track_log(test, e, t);
	}
	KUNIT_EXPECT_TRUE_MSG(test, xa_empty(&t->pending),
			      "IOVA %pad still not invalidated after 1 s",
			      &handle);
}

static struct kunit_case iommu_dma_lazy_cases[] = {
	KUNIT_CASE(lazy_unmap_invalidates_nothing_synchronously),
	KUNIT_CASE(lazy_unmap_of_padded_sg_invalidates_nothing_synchronously),
	KUNIT_CASE(lazy_iova_is_not_reused_before_a_flush),
	KUNIT_CASE(lazy_unmap_is_flushed_within_a_second),
	{}
};

/* ---- iommu-dma-sg: mapping scatterlists ---- */

static void map_sg_merges_page_aligned_segments(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	struct sg_table *sgt = make_sgt(test, four_pages, 4, 8);

	KUNIT_ASSERT_EQ(test, dma_map_sgtable(e->dev, sgt, DMA_TO_DEVICE, 0),
			0);
	KUNIT_EXPECT_EQ(test, sgt->nents, 1);
	KUNIT_EXPECT_EQ(test, sg_dma_len(sgt->sgl), 4 * PAGE_SIZE);
	expect_sg_translates(test, e, sgt, sgt->nents);
	dma_unmap_sgtable(e->dev, sgt, DMA_TO_DEVICE, 0);
}

static void map_sg_leaves_no_length_past_the_last_segment(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	struct sg_table *sgt = make_sgt(test, four_pages, 4, 8);
	struct scatterlist *s;
	int nents, i;

	nents = dma_map_sg(e->dev, sgt->sgl, sgt->orig_nents, DMA_TO_DEVICE);
	KUNIT_ASSERT_EQ(test, nents, 1);
	for_each_sg(sgt->sgl, s, sgt->orig_nents, i) {
		if (i >= nents)
			KUNIT_EXPECT_EQ_MSG(test, sg_dma_len(s), 0,
					    "entry %d of %d", i, nents);
	}
	dma_unmap_sg(e->dev, sgt->sgl, sgt->orig_nents, DMA_TO_DEVICE);
}

static void map_sg_keeps_offsets_and_lengths(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	struct sg_table *sgt = make_sgt(test, offset_segs, 4, 8);

	KUNIT_ASSERT_EQ(test, dma_map_sgtable(e->dev, sgt, DMA_TO_DEVICE, 0),
			0);
	expect_sg_translates(test, e, sgt, sgt->nents);
	dma_unmap_sgtable(e->dev, sgt, DMA_TO_DEVICE, 0);
}

static void map_sg_uses_one_iova_range(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	struct sg_table *sgt = make_sgt(test, offset_segs, 4, 8);
	size_t granule = dma_granule(e), need = 0;
	dma_addr_t lo = DMA_MAPPING_ERROR, hi = 0;
	struct scatterlist *s;
	unsigned int i;

	for_each_sgtable_sg(sgt, s, i)
		need += ALIGN((s->offset & (granule - 1)) + s->length, granule);
	KUNIT_ASSERT_EQ(test, dma_map_sgtable(e->dev, sgt, DMA_TO_DEVICE, 0),
			0);
	for_each_sgtable_dma_sg(sgt, s, i) {
		lo = min(lo, ALIGN_DOWN(sg_dma_address(s), granule));
		hi = max(hi, ALIGN(sg_dma_address(s) + sg_dma_len(s), granule));
	}
	/* No more IOVA space than the granules the segments touch */
	KUNIT_EXPECT_EQ(test, hi - lo, need);
	dma_unmap_sgtable(e->dev, sgt, DMA_TO_DEVICE, 0);
}

static void map_sg_returns_the_dma_segment_count(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	struct sg_table *sgt = make_sgt(test, offset_segs, 4, 8);
	int nents;

	nents = dma_map_sg(e->dev, sgt->sgl, sgt->orig_nents, DMA_TO_DEVICE);
	KUNIT_ASSERT_GT(test, nents, 0);
	KUNIT_EXPECT_LE(test, nents, sgt->orig_nents);
	expect_sg_translates(test, e, sgt, nents);
	dma_unmap_sg(e->dev, sgt->sgl, sgt->orig_nents, DMA_TO_DEVICE);
}

static void map_sg_honours_segment_boundary(struct kunit *test)
{
	const unsigned long mask = BOUNDARY_RUNS_MASK;
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	struct sg_table *sgt = map_boundary_runs(test, e);
	struct scatterlist *s;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, s, i) {
		dma_addr_t first = sg_dma_address(s);
		dma_addr_t last = first + sg_dma_len(s) - 1;

		KUNIT_EXPECT_EQ_MSG(test, first & ~mask, last & ~mask,
				    "DMA segment %u [%pad, %pad] crosses", i,
				    &first, &last);
	}
	expect_sg_translates(test, e, sgt, sgt->nents);
	dma_unmap_sgtable(e->dev, sgt, DMA_TO_DEVICE, 0);
}

static void map_sg_honours_max_segment_size(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	struct sg_table *sgt = make_sgt(test, four_pages, 4, 8);
	struct scatterlist *s;
	unsigned int i;

	dma_set_max_seg_size(e->dev, 2 * PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, dma_map_sgtable(e->dev, sgt, DMA_TO_DEVICE, 0),
			0);
	KUNIT_EXPECT_GE(test, sgt->nents, 2);
	for_each_sgtable_dma_sg(sgt, s, i)
		KUNIT_EXPECT_LE(test, sg_dma_len(s), 2 * PAGE_SIZE);
	expect_sg_translates(test, e, sgt, sgt->nents);
	dma_unmap_sgtable(e->dev, sgt, DMA_TO_DEVICE, 0);
}

static void unmap_sg_leaves_nothing_mapped(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	struct sg_table *sgt = make_sgt(test, offset_segs, 4, 8);

	KUNIT_ASSERT_EQ(test, dma_map_sgtable(e->dev, sgt, DMA_TO_DEVICE, 0),
			0);
	KUNIT_EXPECT_GT(test, iommu_mock_mapped_bytes(e->domain), 0);
	dma_unmap_sgtable(e->dev, sgt, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain), 0);
}

static void map_sg_failing_half_way_leaves_nothing_mapped(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	struct sg_table *sgt = make_sgt(test, four_pages, 4, 8);

	/* Two of the four pages get mapped, the third fails */
	e->mdom->fail_map_after = true;
	e->mdom->fail_map_pages = 2;
	KUNIT_EXPECT_LT(test, dma_map_sgtable(e->dev, sgt, DMA_TO_DEVICE, 0),
			0);
	KUNIT_EXPECT_GT(test, iommu_mock_count(e->mock, IOMMU_MOCK_EV_MAP,
					       NULL, e->domain), 0);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain), 0);
}

static struct kunit_case iommu_dma_sg_cases[] = {
	KUNIT_CASE(map_sg_merges_page_aligned_segments),
	KUNIT_CASE(map_sg_leaves_no_length_past_the_last_segment),
	KUNIT_CASE(map_sg_keeps_offsets_and_lengths),
	KUNIT_CASE(map_sg_uses_one_iova_range),
	KUNIT_CASE(map_sg_returns_the_dma_segment_count),
	KUNIT_CASE(map_sg_honours_segment_boundary),
	KUNIT_CASE(map_sg_honours_max_segment_size),
	KUNIT_CASE(unmap_sg_leaves_nothing_mapped),
	KUNIT_CASE(map_sg_failing_half_way_leaves_nothing_mapped),
	{}
};

/* ---- iommu-dma-alloc: coherent and noncontiguous allocations ---- */

static struct page *cpu_addr_page(void *addr)
{
	return is_vmalloc_addr(addr) ? vmalloc_to_page(addr) :
				       virt_to_page(addr);
}

/* Each page of the CPU buffer is what its IOVA translates to */
static void expect_alloc_maps(struct kunit *test, struct dma_env *e,
			      void *cpu, dma_addr_t handle, size_t size)
{
	size_t off;

	for (off = 0; off < size; off += PAGE_SIZE) {
		phys_addr_t want = page_to_phys(cpu_addr_page(cpu + off));
		phys_addr_t got = iommu_iova_to_phys(e->domain, handle + off);

		if (got != want) {
			KUNIT_FAIL(test, "IOVA %pad + %#zx translates to %pa, not %pa",
				   &handle, off, &got, &want);
			return;
		}
	}
}

/* Leave garbage where the page allocator hands out @size bytes next */
static void dirty_free_memory(size_t size)
{
	unsigned int order = get_order(size);
	struct page *page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);

	if (!page)
		return;
	memset(page_address(page), 0xa5, PAGE_SIZE << order);
	__free_pages(page, order);
}

static void check_coherent(struct kunit *test, struct dma_env *e,
			   void *cpu, dma_addr_t handle, size_t size)
{
	KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(handle));
	expect_within(test, e, handle, size, e->dev->coherent_dma_mask);
	KUNIT_EXPECT_NULL(test, memchr_inv(cpu, 0, size));
	expect_alloc_maps(test, e, cpu, handle, size);
}

static void check_alloc_coherent(struct kunit *test, size_t size)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	dma_addr_t handle;
	void *cpu;

	dirty_free_memory(size);
	cpu = dma_alloc_coherent(e->dev, size, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	check_coherent(test, e, cpu, handle, size);
	dma_free_coherent(e->dev, size, cpu, handle);
}

static void alloc_coherent_4k_maps_zeroed_pages(struct kunit *test)
{
	check_alloc_coherent(test, SZ_4K);
}

static void alloc_coherent_2m_maps_zeroed_pages(struct kunit *test)
{
	check_alloc_coherent(test, SZ_2M);
}

static DEFINE_SPINLOCK(dma_test_atomic_lock);

static void alloc_coherent_atomic_1m_maps_zeroed_pages(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	dma_addr_t handle;
	void *cpu;

	dirty_free_memory(SZ_1M);
	/* Callers of GFP_ATOMIC allocations may hold a spinlock */
	spin_lock(&dma_test_atomic_lock);
	cpu = dma_alloc_coherent(e->dev, SZ_1M, &handle, GFP_ATOMIC);
	spin_unlock(&dma_test_atomic_lock);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	check_coherent(test, e, cpu, handle, SZ_1M);
	dma_free_coherent(e->dev, SZ_1M, cpu, handle);
}

static void free_coherent_leaves_nothing_mapped(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	dma_addr_t handle;
	void *cpu;

	cpu = dma_alloc_coherent(e->dev, SZ_64K, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain), SZ_64K);
	dma_free_coherent(e->dev, SZ_64K, cpu, handle);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain), 0);
}

static void alloc_force_contiguous_is_physically_contiguous(struct kunit *test)
{
	const unsigned long attrs = DMA_ATTR_FORCE_CONTIGUOUS;
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	phys_addr_t phys;
	dma_addr_t handle;
	size_t off;
	void *cpu;

	cpu = dma_alloc_attrs(e->dev, SZ_64K, &handle, GFP_KERNEL, attrs);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	phys = page_to_phys(cpu_addr_page(cpu));
	for (off = 0; off < SZ_64K; off += PAGE_SIZE)
		KUNIT_EXPECT_EQ(test, page_to_phys(cpu_addr_page(cpu + off)),
				phys + off);
	expect_translates(test, e, handle, phys, SZ_64K);
	dma_free_attrs(e->dev, SZ_64K, cpu, handle, attrs);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain), 0);
}

static void alloc_no_kernel_mapping_maps_and_frees(struct kunit *test)
{
	const unsigned long attrs = DMA_ATTR_NO_KERNEL_MAPPING;
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	dma_addr_t handle;
	size_t off;
	void *cookie;

	cookie = dma_alloc_attrs(e->dev, SZ_64K, &handle, GFP_KERNEL, attrs);
	KUNIT_ASSERT_NOT_NULL(test, cookie);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain), SZ_64K);
	for (off = 0; off < SZ_64K; off += PAGE_SIZE)
		KUNIT_EXPECT_NE(test, iommu_iova_to_phys(e->domain, handle + off),
				0);
	dma_free_attrs(e->dev, SZ_64K, cookie, handle, attrs);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain), 0);
}

static void get_sgtable_describes_coherent_pages(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	struct scatterlist *s;
	struct sg_table sgt;
	dma_addr_t handle;
	size_t pos = 0, off;
	unsigned int i;
	void *cpu;

	cpu = dma_alloc_coherent(e->dev, SZ_64K, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	if (dma_get_sgtable(e->dev, &sgt, cpu, handle, SZ_64K)) {
		dma_free_coherent(e->dev, SZ_64K, cpu, handle);
		KUNIT_FAIL_AND_ABORT(test, "dma_get_sgtable failed");
	}
	for_each_sgtable_sg(&sgt, s, i) {
		for (off = 0; off < s->length; off += PAGE_SIZE, pos += PAGE_SIZE) {
			phys_addr_t phys = sg_phys(s) + off;

			KUNIT_EXPECT_EQ(test, phys,
					page_to_phys(cpu_addr_page(cpu + pos)));
			KUNIT_EXPECT_EQ(test,
					iommu_iova_to_phys(e->domain, handle + pos),
					phys);
		}
	}
	KUNIT_EXPECT_EQ(test, pos, SZ_64K);
	sg_free_table(&sgt);
	dma_free_coherent(e->dev, SZ_64K, cpu, handle);
}

static struct sg_table *alloc_noncontiguous(struct kunit *test,
					    struct dma_env *e)
{
	struct sg_table *sgt;

	sgt = dma_alloc_noncontiguous(e->dev, SZ_64K, DMA_BIDIRECTIONAL,
				      GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, sgt);
	return sgt;
}

static void alloc_noncontiguous_is_one_iova_range(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	struct sg_table *sgt = alloc_noncontiguous(test, e);

	KUNIT_EXPECT_EQ(test, sgt->nents, 1);
	KUNIT_EXPECT_EQ(test, sg_dma_len(sgt->sgl), SZ_64K);
	expect_sg_translates(test, e, sgt, 1);
	dma_free_noncontiguous(e->dev, SZ_64K, sgt, DMA_BIDIRECTIONAL);
}

static void vmap_noncontiguous_sees_writes_to_the_pages(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	struct sg_table *sgt = alloc_noncontiguous(test, e);
	struct sg_page_iter piter;
	unsigned int k = 0;
	u8 *vaddr, *p;

	vaddr = dma_vmap_noncontiguous(e->dev, SZ_64K, sgt);
	if (!vaddr) {
		dma_free_noncontiguous(e->dev, SZ_64K, sgt, DMA_BIDIRECTIONAL);
		KUNIT_FAIL_AND_ABORT(test, "dma_vmap_noncontiguous failed");
	}
	for_each_sgtable_page(sgt, &piter, 0) {
		p = kmap_local_page(sg_page_iter_page(&piter));
		memset(p, k + 1, PAGE_SIZE);
		kunmap_local(p);
		k++;
	}
	KUNIT_EXPECT_EQ(test, k, SZ_64K / PAGE_SIZE);
	for (k = 0; k < SZ_64K / PAGE_SIZE; k++)
		KUNIT_EXPECT_NULL_MSG(test, memchr_inv(vaddr + k * PAGE_SIZE,
						       k + 1, PAGE_SIZE),
				      "page %u", k);
	dma_vunmap_noncontiguous(e->dev, vaddr);
	dma_free_noncontiguous(e->dev, SZ_64K, sgt, DMA_BIDIRECTIONAL);
}

static void free_noncontiguous_leaves_nothing_mapped(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	struct sg_table *sgt = alloc_noncontiguous(test, e);

	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain), SZ_64K);
	dma_free_noncontiguous(e->dev, SZ_64K, sgt, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain), 0);
}

static struct kunit_case iommu_dma_alloc_cases[] = {
	KUNIT_CASE(alloc_coherent_4k_maps_zeroed_pages),
	KUNIT_CASE(alloc_coherent_2m_maps_zeroed_pages),
	KUNIT_CASE(alloc_coherent_atomic_1m_maps_zeroed_pages),
	KUNIT_CASE(free_coherent_leaves_nothing_mapped),
	KUNIT_CASE(alloc_force_contiguous_is_physically_contiguous),
	KUNIT_CASE(alloc_no_kernel_mapping_maps_and_frees),
	KUNIT_CASE(get_sgtable_describes_coherent_pages),
	KUNIT_CASE(alloc_noncontiguous_is_one_iova_range),
	KUNIT_CASE(vmap_noncontiguous_sees_writes_to_the_pages),
	KUNIT_CASE(free_noncontiguous_leaves_nothing_mapped),
	{}
};

/* ---- iommu-dma-space: running out of IOVAs ---- */

/* 63 or 64 pages of IOVA space, depending on whether IOVA 0 is used */
#define TINY_APERTURE_END	(64 * PAGE_SIZE - 1)
/* Far more than any tiny space holds: running past it means no limit */
#define SPACE_MAX_MAPS		1024

struct space_run {
	dma_addr_t handle[SPACE_MAX_MAPS];
	unsigned int n;
};

/*
 * Map the same page (to the device only, which the DMA API allows any
 * number of times) until the layer says no; every IOVA stays at or
 * below @limit.
 */
static struct space_run *map_until_exhausted(struct kunit *test,
					     struct dma_env *e, u64 limit)
{
	struct space_run *run = kunit_kzalloc(test, sizeof(*run), GFP_KERNEL);
	u8 *buf = dma_buf(test, PAGE_SIZE, 0);
	unsigned int beyond = 0;
	dma_addr_t handle;

	KUNIT_ASSERT_NOT_NULL(test, run);
	while (run->n < SPACE_MAX_MAPS) {
		handle = dma_map_single(e->dev, buf, PAGE_SIZE, DMA_TO_DEVICE);
		if (dma_mapping_error(e->dev, handle))
			break;
		beyond += handle + PAGE_SIZE - 1 > limit;
		run->handle[run->n++] = handle;
	}
	KUNIT_EXPECT_GT(test, run->n, 0);
	KUNIT_EXPECT_LT_MSG(test, run->n, SPACE_MAX_MAPS,
			    "no mapping error after %u pages", run->n);
	KUNIT_EXPECT_EQ_MSG(test, beyond, 0, "IOVAs above %#llx", limit);
	return run;
}

static void unmap_run(struct dma_env *e, struct space_run *run)
{
	while (run->n)
		dma_unmap_single(e->dev, run->handle[--run->n], PAGE_SIZE,
				 DMA_TO_DEVICE);
}

static void exhausted_aperture_gives_mapping_error(struct kunit *test)
{
	const struct dma_env_cfg cfg = { .aperture_end = TINY_APERTURE_END };
	struct dma_env *e = dma_env_make(test, &cfg);
	struct space_run *run = map_until_exhausted(test, e, TINY_APERTURE_END);

	KUNIT_EXPECT_LE(test, run->n, (TINY_APERTURE_END + 1) / PAGE_SIZE);
	unmap_run(e, run);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain), 0);
}

static void iovas_stay_below_a_20bit_mask_until_exhausted(struct kunit *test)
{
	const struct dma_env_cfg cfg = { .mask_bits = 20 };
	struct dma_env *e = dma_env_make(test, &cfg);
	struct space_run *run = map_until_exhausted(test, e, DMA_BIT_MASK(20));

	unmap_run(e, run);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain), 0);
}

/*
 * After unmapping everything, a mapping succeeds again.  A layer may give
 * back IOVAs parked in other CPUs' caches or flush queues from a worker
 * (and a lazy domain frees them only after its next flush), so allow it
 * 100 ms before calling the space lost.
 */
static void check_space_comes_back(struct kunit *test,
				   const struct dma_env_cfg *cfg)
{
	struct dma_env *e = dma_env_make(test, cfg);
	struct space_run *run = map_until_exhausted(test, e, cfg->aperture_end);
	u8 *buf = dma_buf(test, PAGE_SIZE, 0);
	dma_addr_t handle = DMA_MAPPING_ERROR;
	unsigned int tries;

	unmap_run(e, run);
	for (tries = 0; tries < 5; tries++) {
		handle = dma_map_single(e->dev, buf, PAGE_SIZE, DMA_TO_DEVICE);
		if (!dma_mapping_error(e->dev, handle))
			break;
		msleep(20);
	}
	KUNIT_ASSERT_FALSE_MSG(test, dma_mapping_error(e->dev, handle),
			       "IOVA space still exhausted after unmapping everything");
	dma_unmap_single(e->dev, handle, PAGE_SIZE, DMA_TO_DEVICE);
}

static void strict_space_comes_back_after_unmap(struct kunit *test)
{
	const struct dma_env_cfg cfg = { .aperture_end = TINY_APERTURE_END };

	check_space_comes_back(test, &cfg);
}

static void lazy_space_comes_back_after_unmap(struct kunit *test)
{
	const struct dma_env_cfg cfg = {
		.lazy = true,
		.aperture_end = TINY_APERTURE_END,
	};

	check_space_comes_back(test, &cfg);
}

static struct kunit_case iommu_dma_space_cases[] = {
	KUNIT_CASE(exhausted_aperture_gives_mapping_error),
	KUNIT_CASE(iovas_stay_below_a_20bit_mask_until_exhausted),
	KUNIT_CASE(strict_space_comes_back_after_unmap),
	KUNIT_CASE(lazy_space_comes_back_after_unmap),
	{}
};

/* ---- iommu-dma-race: concurrent mappings ---- */

#define RACE_THREADS	4
#define RACE_MS		200
#define RACE_BIG	(16 * PAGE_SIZE)

struct race {
	struct dma_env *e;
	/* Protects @live */
	spinlock_t lock;
	/* IOVA pages some thread holds mapped now; the mask is 32-bit */
	unsigned long *live;
	atomic_t overlaps;
	atomic_t wrong;
	atomic_t errors;
	atomic_long_t maps;
};

struct race_thread {
	struct race *r;
	/* RACE_BIG bytes; the single-page mappings use its first page */
	void *buf;
	struct task_struct *task;
};

/* Mark @h's pages live; false, marking nothing, if any already was */
static bool race_claim(struct race *r, dma_addr_t h, size_t size)
{
	unsigned long first = h >> PAGE_SHIFT;
	unsigned long n = DIV_ROUND_UP(offset_in_page(h) + size, PAGE_SIZE);
	bool free;

	spin_lock(&r->lock);
	free = find_next_bit(r->live, first + n, first) >= first + n;
	if (free)
		bitmap_set(r->live, first, n);
	spin_unlock(&r->lock);
	return free;
}

/* Before the unmap: once unmapped, the IOVA may be another thread's */
static void race_release(struct race *r, dma_addr_t h, size_t size)
{
	spin_lock(&r->lock);
	bitmap_clear(r->live, h >> PAGE_SHIFT,
		     DIV_ROUND_UP(offset_in_page(h) + size, PAGE_SIZE));
	spin_unlock(&r->lock);
}

static void race_one(struct race_thread *t, size_t size)
{
	struct race *r = t->r;
	struct device *dev = r->e->dev;
	phys_addr_t last;
	dma_addr_t h;

	h = dma_map_single(dev, t->buf, size, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, h)) {
		atomic_inc(&r->errors);
		return;
	}
	atomic_long_inc(&r->maps);
	if (h + size - 1 > DMA_BIT_MASK(32)) {
		atomic_inc(&r->wrong);
		goto unmap;
	}
	last = iommu_iova_to_phys(r->e->domain, h + size - 1);
	if (iommu_iova_to_phys(r->e->domain, h) != virt_to_phys(t->buf) ||
	    last != virt_to_phys(t->buf) + size - 1)
		atomic_inc(&r->wrong);
	if (race_claim(r, h, size))
		race_release(r, h, size);
	else
		atomic_inc(&r->overlaps);
unmap:
	dma_unmap_single(dev, h, size, DMA_TO_DEVICE);
}

static int race_fn(void *data)
{
	struct race_thread *t = data;

	while (!kthread_should_stop()) {
		race_one(t, PAGE_SIZE);
		race_one(t, RACE_BIG);
		cond_resched();
	}
	return 0;
}

static void check_no_overlap(struct kunit *test, const struct dma_env_cfg *cfg)
{
	const unsigned long nbits = (DMA_BIT_MASK(32) >> PAGE_SHIFT) + 1;
	struct dma_env *e = dma_env_make(test, cfg);
	struct race_thread *t;
	unsigned int i, started;
	struct race *r;

	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->live = kunit_kcalloc(test, BITS_TO_LONGS(nbits), sizeof(long),
				GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r->live);
	t = kunit_kcalloc(test, RACE_THREADS, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	r->e = e;
	spin_lock_init(&r->lock);
	for (i = 0; i < RACE_THREADS; i++) {
		t[i].r = r;
		t[i].buf = dma_buf(test, RACE_BIG, i);
	}

	/* No assertion until every started thread is stopped again */
	for (started = 0; started < RACE_THREADS; started++) {
		t[started].task = kthread_run(race_fn, &t[started],
					      "dma-kunit-%u", started);
		if (IS_ERR(t[started].task))
			break;
	}
	if (started == RACE_THREADS)
		msleep(RACE_MS);
	for (i = 0; i < started; i++)
		kthread_stop(t[i].task);
	/* The log overflowed; nothing here reads it */
	iommu_mock_clear_log(e->mock);

	KUNIT_ASSERT_EQ(test, started, RACE_THREADS);
	KUNIT_EXPECT_EQ(test, atomic_read(&r->overlaps), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&r->wrong), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&r->errors), 0);
	KUNIT_EXPECT_GT(test, atomic_long_read(&r->maps), RACE_THREADS);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain), 0);
}

static void concurrent_strict_mappings_never_overlap(struct kunit *test)
{
	check_no_overlap(test, &strict_cfg);
}

static void concurrent_lazy_mappings_never_overlap(struct kunit *test)
{
	check_no_overlap(test, &lazy_cfg);
}

static struct kunit_case iommu_dma_race_cases[] = {
	KUNIT_CASE(concurrent_strict_mappings_never_overlap),
	KUNIT_CASE(concurrent_lazy_mappings_never_overlap),
	{}
};

/* ---- iommu-dma-bounce: untrusted devices ---- */

#define BOUNCE_OFF	0x40
#define BOUNCE_LEN	0x40

static const struct dma_env_cfg untrusted_cfg = {
	.pci = true,
	.untrusted = true,
};

static struct dma_env *bounce_env(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &untrusted_cfg);

	if (!is_swiotlb_active(e->dev))
		kunit_skip(test, "no swiotlb (x86: boot with iommu=soft)");
	return e;
}

/* A page of 0xa5 with a patterned sub-page buffer in its middle */
static u8 *bounce_page(struct kunit *test)
{
	u8 *page = dma_buf(test, PAGE_SIZE, 0xa5);
	unsigned int i;

	for (i = 0; i < BOUNCE_LEN; i++)
		page[BOUNCE_OFF + i] = i;
	return page;
}

/* Where the device's accesses through @handle land */
static phys_addr_t device_view(struct kunit *test, struct dma_env *e,
			       dma_addr_t handle)
{
	phys_addr_t phys = iommu_iova_to_phys(e->domain, handle);

	KUNIT_ASSERT_NE(test, phys, 0);
	return phys;
}

static void bounce_sub_page_buffer_into_swiotlb(struct kunit *test)
{
	struct dma_env *e = bounce_env(test);
	u8 *page = bounce_page(test);
	phys_addr_t phys;
	dma_addr_t handle;

	handle = map_or_fail(test, e, page + BOUNCE_OFF, BOUNCE_LEN,
			     DMA_TO_DEVICE);
	phys = device_view(test, e, handle);
	KUNIT_EXPECT_NE(test, PHYS_PFN(phys), PHYS_PFN(virt_to_phys(page)));
	KUNIT_EXPECT_NOT_NULL(test, swiotlb_find_pool(e->dev, phys));
	dma_unmap_single(e->dev, handle, BOUNCE_LEN, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain), 0);
}

static void bounce_to_device_shows_only_the_buffer(struct kunit *test)
{
	struct dma_env *e = bounce_env(test);
	size_t granule = dma_granule(e);
	u8 *page = bounce_page(test);
	phys_addr_t phys, start, end;
	dma_addr_t handle;

	handle = map_or_fail(test, e, page + BOUNCE_OFF, BOUNCE_LEN,
			     DMA_TO_DEVICE);
	phys = device_view(test, e, handle);
	start = ALIGN_DOWN(phys, granule);
	end = ALIGN(phys + BOUNCE_LEN, granule);
	KUNIT_EXPECT_EQ(test, memcmp(phys_to_virt(phys), page + BOUNCE_OFF,
				     BOUNCE_LEN), 0);
	/* Nothing else of the kernel's memory in what the device can read */
	KUNIT_EXPECT_NULL(test, memchr_inv(phys_to_virt(start), 0,
					   phys - start));
	KUNIT_EXPECT_NULL(test, memchr_inv(phys_to_virt(phys + BOUNCE_LEN), 0,
					   end - phys - BOUNCE_LEN));
	dma_unmap_single(e->dev, handle, BOUNCE_LEN, DMA_TO_DEVICE);
}

/* The device writes 0x5a over its view of a DMA_FROM_DEVICE buffer */
static dma_addr_t bounce_device_writes(struct kunit *test, struct dma_env *e,
				       u8 *page)
{
	dma_addr_t handle;

	handle = map_or_fail(test, e, page + BOUNCE_OFF, BOUNCE_LEN,
			     DMA_FROM_DEVICE);
	memset(phys_to_virt(device_view(test, e, handle)), 0x5a, BOUNCE_LEN);
	return handle;
}

/* The buffer has what the device wrote, the rest of its page is intact */
static void expect_device_data(struct kunit *test, u8 *page)
{
	KUNIT_EXPECT_NULL(test, memchr_inv(page + BOUNCE_OFF, 0x5a, BOUNCE_LEN));
	KUNIT_EXPECT_NULL(test, memchr_inv(page, 0xa5, BOUNCE_OFF));
	KUNIT_EXPECT_NULL(test, memchr_inv(page + BOUNCE_OFF + BOUNCE_LEN, 0xa5,
					   PAGE_SIZE - BOUNCE_OFF - BOUNCE_LEN));
}

static void bounce_from_device_reaches_buffer_on_unmap(struct kunit *test)
{
	struct dma_env *e = bounce_env(test);
	u8 *page = bounce_page(test);
	dma_addr_t handle = bounce_device_writes(test, e, page);

	dma_unmap_single(e->dev, handle, BOUNCE_LEN, DMA_FROM_DEVICE);
	expect_device_data(test, page);
}

static void bounce_from_device_reaches_buffer_on_sync(struct kunit *test)
{
	struct dma_env *e = bounce_env(test);
	u8 *page = bounce_page(test);
	dma_addr_t handle = bounce_device_writes(test, e, page);

	dma_sync_single_for_cpu(e->dev, handle, BOUNCE_LEN, DMA_FROM_DEVICE);
	expect_device_data(test, page);
	dma_unmap_single(e->dev, handle, BOUNCE_LEN, DMA_FROM_DEVICE);
}

static void bounce_whole_page_reaches_device(struct kunit *test)
{
	struct dma_env *e = bounce_env(test);
	u8 *page = bounce_page(test);
	phys_addr_t phys;
	dma_addr_t handle;

	/* Mapped in place or bounced: the device sees the page either way */
	handle = map_or_fail(test, e, page, PAGE_SIZE, DMA_TO_DEVICE);
	phys = device_view(test, e, handle);
	KUNIT_EXPECT_TRUE(test,
			  phys == virt_to_phys(page) ||
			  swiotlb_find_pool(e->dev, phys));
	KUNIT_EXPECT_EQ(test, memcmp(phys_to_virt(phys), page, PAGE_SIZE), 0);
	dma_unmap_single(e->dev, handle, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain), 0);
}

static struct kunit_case iommu_dma_bounce_cases[] = {
	KUNIT_CASE(bounce_sub_page_buffer_into_swiotlb),
	KUNIT_CASE(bounce_to_device_shows_only_the_buffer),
	KUNIT_CASE(bounce_from_device_reaches_buffer_on_unmap),
	KUNIT_CASE(bounce_from_device_reaches_buffer_on_sync),
	KUNIT_CASE(bounce_whole_page_reaches_device),
	{}
};

/* ---- iommu-dma-errors: failures leave nothing mapped ---- */

/* The next map_pages() calls map @pages pages, then fail */
static void fail_map_after(struct dma_env *e, unsigned int pages)
{
	e->mdom->fail_map_after = true;
	e->mdom->fail_map_pages = pages;
}

static void check_map_page_failure(struct kunit *test, unsigned int pages,
				   int sync_err)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	u8 *buf = dma_buf(test, 4 * PAGE_SIZE, 0);
	dma_addr_t handle;

	if (sync_err)
		e->mdom->fail_sync_map = sync_err;
	else
		fail_map_after(e, pages);
	handle = dma_map_single(e->dev, buf, 4 * PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_EXPECT_TRUE(test, dma_mapping_error(e->dev, handle));
	KUNIT_EXPECT_GT(test, iommu_mock_count(e->mock, IOMMU_MOCK_EV_MAP,
					       NULL, e->domain), 0);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain), 0);
}

static void map_page_failure_leaves_nothing_mapped(struct kunit *test)
{
	check_map_page_failure(test, 0, 0);
}

static void map_page_failing_half_way_leaves_nothing_mapped(struct kunit *test)
{
	check_map_page_failure(test, 2, 0);
}

static void map_page_sync_failure_leaves_nothing_mapped(struct kunit *test)
{
	check_map_page_failure(test, 0, -ENOMEM);
}

static void map_resource_failure_leaves_nothing_mapped(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	dma_addr_t handle;

	fail_map_after(e, 0);
	handle = dma_map_resource(e->dev, SZ_1G * 512ULL, SZ_4K,
				  DMA_BIDIRECTIONAL, 0);
	KUNIT_EXPECT_TRUE(test, dma_mapping_error(e->dev, handle));
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain), 0);
}

static void alloc_coherent_failure_leaves_nothing_mapped(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	dma_addr_t handle;
	void *cpu;

	fail_map_after(e, 4);
	cpu = dma_alloc_coherent(e->dev, SZ_64K, &handle, GFP_KERNEL);
	KUNIT_EXPECT_NULL(test, cpu);
	if (cpu)
		dma_free_coherent(e->dev, SZ_64K, cpu, handle);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain), 0);
}

static void alloc_noncontiguous_failure_leaves_nothing_mapped(struct kunit *test)
{
	struct dma_env *e = dma_env_make(test, &strict_cfg);
	struct sg_table *sgt;

	fail_map_after(e, 4);
	sgt = dma_alloc_noncontiguous(e->dev, SZ_64K, DMA_BIDIRECTIONAL,
				      GFP_KERNEL, 0);
	KUNIT_EXPECT_NULL(test, sgt);
	if (sgt)
		dma_free_noncontiguous(e->dev, SZ_64K, sgt, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e->domain), 0);
}

static void failed_maps_give_their_iovas_back(struct kunit *test)
{
	const struct dma_env_cfg cfg = { .aperture_end = TINY_APERTURE_END };
	struct dma_env *e = dma_env_make(test, &cfg);
	u8 *buf = dma_buf(test, PAGE_SIZE, 0);
	dma_addr_t handle;
	unsigned int i;

	/* Twice as many failures as the space has pages */
	fail_map_after(e, 0);
	for (i = 0; i < 2 * (TINY_APERTURE_END + 1) / PAGE_SIZE; i++) {
		handle = dma_map_single(e->dev, buf, PAGE_SIZE, DMA_TO_DEVICE);
		KUNIT_ASSERT_TRUE(test, dma_mapping_error(e->dev, handle));
	}
	e->mdom->fail_map_after = false;
	handle = map_or_fail(test, e, buf, PAGE_SIZE, DMA_TO_DEVICE);
	dma_unmap_single(e->dev, handle, PAGE_SIZE, DMA_TO_DEVICE);
}

static struct kunit_case iommu_dma_errors_cases[] = {
	KUNIT_CASE(map_page_failure_leaves_nothing_mapped),
	KUNIT_CASE(map_page_failing_half_way_leaves_nothing_mapped),
	KUNIT_CASE(map_page_sync_failure_leaves_nothing_mapped),
	KUNIT_CASE(map_resource_failure_leaves_nothing_mapped),
	KUNIT_CASE(alloc_coherent_failure_leaves_nothing_mapped),
	KUNIT_CASE(alloc_noncontiguous_failure_leaves_nothing_mapped),
	KUNIT_CASE(failed_maps_give_their_iovas_back),
	{}
};

static struct kunit_suite iommu_dma_map_suite = {
	.name = "iommu-dma-map",
	.init = iommu_mock_test_init,
	.test_cases = iommu_dma_map_cases,
};

static struct kunit_suite iommu_dma_strict_suite = {
	.name = "iommu-dma-strict",
	.init = iommu_mock_test_init,
	.test_cases = iommu_dma_strict_cases,
};

static struct kunit_suite iommu_dma_lazy_suite = {
	.name = "iommu-dma-lazy",
	.init = iommu_mock_test_init,
	.test_cases = iommu_dma_lazy_cases,
};

static struct kunit_suite iommu_dma_sg_suite = {
	.name = "iommu-dma-sg",
	.init = iommu_mock_test_init,
	.test_cases = iommu_dma_sg_cases,
};

static struct kunit_suite iommu_dma_alloc_suite = {
	.name = "iommu-dma-alloc",
	.init = iommu_mock_test_init,
	.test_cases = iommu_dma_alloc_cases,
};

static struct kunit_suite iommu_dma_space_suite = {
	.name = "iommu-dma-space",
	.init = iommu_mock_test_init,
	.test_cases = iommu_dma_space_cases,
};

static struct kunit_suite iommu_dma_race_suite = {
	.name = "iommu-dma-race",
	.init = iommu_mock_test_init,
	.test_cases = iommu_dma_race_cases,
};

static struct kunit_suite iommu_dma_bounce_suite = {
	.name = "iommu-dma-bounce",
	.init = iommu_mock_test_init,
	.test_cases = iommu_dma_bounce_cases,
};

static struct kunit_suite iommu_dma_errors_suite = {
	.name = "iommu-dma-errors",
	.init = iommu_mock_test_init,
	.test_cases = iommu_dma_errors_cases,
};

kunit_test_suites(&iommu_dma_map_suite, &iommu_dma_strict_suite,
		  &iommu_dma_lazy_suite, &iommu_dma_sg_suite,
		  &iommu_dma_alloc_suite, &iommu_dma_space_suite,
		  &iommu_dma_race_suite, &iommu_dma_bounce_suite,
		  &iommu_dma_errors_suite);
