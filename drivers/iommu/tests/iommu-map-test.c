// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mapping: how the core splits iommu_map()/iommu_map_sg() requests into the
 * page sizes a driver advertises, how it unwinds failures, what
 * iommu_unmap() returns, and which IOTLB maintenance it asks for.  The mock
 * driver keeps a real page table, so translations are checked for real.
 */
#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>

#include "iommu-test-mock.h"

#define RW	(IOMMU_READ | IOMMU_WRITE)

struct map_env {
	struct iommu_mock *mock;
	struct iommu_mock_dev *md;
	struct iommu_domain *domain;
};

static void make_map_env(struct kunit *test, struct map_env *e,
			 unsigned long pgsizes)
{
	const struct iommu_mock_config cfg = {
		.identity_domain = true,
		.blocked_domain = true,
		.pgsize_bitmap = pgsizes,
	};

	e->mock = iommu_mock_add(test, &cfg);
	e->md = iommu_mock_dev_add(test, e->mock, NULL);
	e->domain = iommu_mock_paging_domain(test, &e->md->dev);
	iommu_mock_clear_log(e->mock);
}

struct page_rec {
	unsigned long iova;
	phys_addr_t paddr;
	size_t size;
};

/* Expand the map_pages() calls into pages and compare with @want */
static void expect_pages(struct kunit *test, struct iommu_mock *mock,
			 const struct page_rec *want, unsigned int nwant)
{
	const unsigned int max = 16;
	struct iommu_mock_event *ev;
	unsigned int n, i, k = 0;
	size_t j;

	ev = kunit_kcalloc(test, max, sizeof(*ev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ev);
	n = iommu_mock_events(mock, IOMMU_MOCK_EV_MAP, ev, max);
	KUNIT_ASSERT_LE(test, n, max);

	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ(test, ev[i].ret, 0);
		for (j = 0; j < ev[i].pgcount; j++, k++) {
			if (k >= nwant)
				continue;
			KUNIT_EXPECT_EQ_MSG(test, ev[i].pgsize, want[k].size,
					    "page %u", k);
			KUNIT_EXPECT_EQ_MSG(test, ev[i].iova + j * ev[i].pgsize,
					    want[k].iova, "page %u", k);
			KUNIT_EXPECT_EQ_MSG(test, ev[i].paddr + j * ev[i].pgsize,
					    want[k].paddr, "page %u", k);
		}
	}
	KUNIT_EXPECT_EQ(test, k, nwant);
}

static void map_splits_into_largest_pages(struct kunit *test)
{
	/* iova and paddr agree modulo 2M, start 4K below a 2M boundary */
	const unsigned long iova = SZ_2M - SZ_4K;
	const phys_addr_t paddr = SZ_1G + SZ_2M - SZ_4K;
	const struct page_rec want[] = {
		{ SZ_2M - SZ_4K, SZ_1G + SZ_2M - SZ_4K, SZ_4K },
		{ SZ_2M, SZ_1G + SZ_2M, SZ_2M },
		{ SZ_4M, SZ_1G + SZ_4M, SZ_2M },
		{ SZ_4M + SZ_2M, SZ_1G + SZ_4M + SZ_2M, SZ_4K },
	};
	struct map_env e;

	make_map_env(test, &e, 0);
	KUNIT_ASSERT_EQ(test, iommu_map(e.domain, iova, paddr,
					SZ_4M + 2 * SZ_4K, RW, GFP_KERNEL), 0);
	expect_pages(test, e.mock, want, ARRAY_SIZE(want));
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e.domain),
			(size_t)(SZ_4M + 2 * SZ_4K));
}

static void map_uses_small_pages_when_misaligned(struct kunit *test)
{
	struct iommu_mock_event ev[4];
	unsigned int n, i;
	size_t total = 0;
	struct map_env e;

	make_map_env(test, &e, 0);
	/* A 2M-aligned iova but a paddr 4K off: no 2M page can be used */
	KUNIT_ASSERT_EQ(test, iommu_map(e.domain, SZ_2M, SZ_1G + SZ_4K, SZ_2M,
					RW, GFP_KERNEL), 0);
	n = iommu_mock_events(e.mock, IOMMU_MOCK_EV_MAP, ev, ARRAY_SIZE(ev));
	KUNIT_ASSERT_GT(test, n, 0);
	KUNIT_ASSERT_LE(test, n, ARRAY_SIZE(ev));
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ(test, ev[i].pgsize, (size_t)SZ_4K);
		total += ev[i].pgsize * ev[i].pgcount;
	}
	KUNIT_EXPECT_EQ(test, total, (size_t)SZ_2M);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(e.domain, SZ_4M - SZ_4K),
			(phys_addr_t)(SZ_1G + SZ_2M));
}

static void map_uses_gigabyte_pages(struct kunit *test)
{
	const struct page_rec want[] = {
		{ SZ_1G, 2ULL * SZ_1G, SZ_1G },
		{ 2ULL * SZ_1G, 3ULL * SZ_1G, SZ_2M },
	};
	struct map_env e;

	make_map_env(test, &e, 0);
	KUNIT_ASSERT_EQ(test, iommu_map(e.domain, SZ_1G, 2ULL * SZ_1G,
					SZ_1G + SZ_2M, RW, GFP_KERNEL), 0);
	expect_pages(test, e.mock, want, ARRAY_SIZE(want));
}

static void map_only_uses_advertised_page_sizes(struct kunit *test)
{
	const struct page_rec want[] = {
		{ SZ_64K, SZ_1M, SZ_64K },
		{ SZ_128K, SZ_1M + SZ_64K, SZ_64K },
		{ SZ_128K + SZ_64K, SZ_1M + SZ_128K, SZ_4K },
	};
	struct map_env e;

	make_map_env(test, &e, SZ_4K | SZ_64K);
	KUNIT_ASSERT_EQ(test, iommu_map(e.domain, SZ_64K, SZ_1M,
					SZ_128K + SZ_4K, RW, GFP_KERNEL), 0);
	expect_pages(test, e.mock, want, ARRAY_SIZE(want));
}

static void iova_to_phys_translates_within_pages(struct kunit *test)
{
	struct map_env e;

	make_map_env(test, &e, 0);
	KUNIT_ASSERT_EQ(test, iommu_map(e.domain, SZ_4M, SZ_1G, SZ_2M, RW,
					GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(e.domain, SZ_4M),
			(phys_addr_t)SZ_1G);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(e.domain, SZ_4M + 0x1234),
			(phys_addr_t)(SZ_1G + 0x1234));
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(e.domain, SZ_4M + SZ_2M - 1),
			(phys_addr_t)(SZ_1G + SZ_2M - 1));
}

static void iova_to_phys_of_unmapped_iova_is_zero(struct kunit *test)
{
	struct map_env e;

	make_map_env(test, &e, 0);
	KUNIT_ASSERT_EQ(test, iommu_map(e.domain, SZ_64K, SZ_1M, SZ_4K, RW,
					GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(e.domain, SZ_64K - SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(e.domain, SZ_64K + SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(e.domain, SZ_1G), 0);
}

static void unmap_returns_unmapped_size(struct kunit *test)
{
	const size_t size = SZ_4M + 2 * SZ_4K;
	struct map_env e;

	make_map_env(test, &e, 0);
	KUNIT_ASSERT_EQ(test, iommu_map(e.domain, SZ_2M - SZ_4K,
					SZ_1G + SZ_2M - SZ_4K, size, RW,
					GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iommu_unmap(e.domain, SZ_2M - SZ_4K, size), size);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e.domain), 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(e.domain, SZ_2M), 0);
}

static void unmap_of_unmapped_range_returns_zero(struct kunit *test)
{
	struct map_env e;

	make_map_env(test, &e, 0);
	KUNIT_EXPECT_EQ(test, iommu_unmap(e.domain, SZ_1M, SZ_4K), 0);
}

static void unmap_stops_at_first_hole(struct kunit *test)
{
	struct map_env e;

	make_map_env(test, &e, 0);
	KUNIT_ASSERT_EQ(test, iommu_map(e.domain, SZ_64K, SZ_1M, 2 * SZ_4K, RW,
					GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, iommu_map(e.domain, SZ_64K + 3 * SZ_4K,
					SZ_2M, SZ_4K, RW, GFP_KERNEL), 0);

	KUNIT_EXPECT_EQ(test, iommu_unmap(e.domain, SZ_64K, 4 * SZ_4K),
			(size_t)(2 * SZ_4K));
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(e.domain, SZ_64K + 3 * SZ_4K),
			(phys_addr_t)SZ_2M);
}

static void unmap_syncs_iotlb_once(struct kunit *test)
{
	struct iommu_mock_event ev[2];
	struct map_env e;

	make_map_env(test, &e, 0);
	KUNIT_ASSERT_EQ(test, iommu_map(e.domain, SZ_64K, SZ_1M, 2 * SZ_4K, RW,
					GFP_KERNEL), 0);
	iommu_mock_clear_log(e.mock);

	KUNIT_ASSERT_EQ(test, iommu_unmap(e.domain, SZ_64K, 2 * SZ_4K),
			(size_t)(2 * SZ_4K));
	KUNIT_ASSERT_EQ(test, iommu_mock_events(e.mock, IOMMU_MOCK_EV_IOTLB_SYNC,
						ev, ARRAY_SIZE(ev)), 1);
	/* ... covering what the driver gathered while unmapping */
	KUNIT_EXPECT_EQ(test, ev[0].iova, SZ_64K);
	KUNIT_EXPECT_EQ(test, ev[0].pgsize, (size_t)(2 * SZ_4K));
}

static void unmap_fast_defers_iotlb_sync(struct kunit *test)
{
	struct iommu_iotlb_gather gather;
	struct iommu_mock_event ev[2];
	struct map_env e;

	make_map_env(test, &e, 0);
	KUNIT_ASSERT_EQ(test, iommu_map(e.domain, SZ_64K, SZ_1M, 2 * SZ_4K, RW,
					GFP_KERNEL), 0);
	iommu_mock_clear_log(e.mock);

	iommu_iotlb_gather_init(&gather);
	KUNIT_EXPECT_EQ(test, iommu_unmap_fast(e.domain, SZ_64K, 2 * SZ_4K,
					       &gather), (size_t)(2 * SZ_4K));
	KUNIT_EXPECT_EQ(test, iommu_mock_count(e.mock, IOMMU_MOCK_EV_IOTLB_SYNC,
					       NULL, NULL), 0);

	iommu_iotlb_sync(e.domain, &gather);
	KUNIT_ASSERT_EQ(test, iommu_mock_events(e.mock, IOMMU_MOCK_EV_IOTLB_SYNC,
						ev, ARRAY_SIZE(ev)), 1);
	KUNIT_EXPECT_EQ(test, ev[0].iova, SZ_64K);
	KUNIT_EXPECT_EQ(test, ev[0].pgsize, (size_t)(2 * SZ_4K));
}

static void map_syncs_new_mapping_once(struct kunit *test)
{
	struct iommu_mock_event ev[2];
	struct map_env e;

	make_map_env(test, &e, 0);
	KUNIT_ASSERT_EQ(test, iommu_map(e.domain, SZ_2M, SZ_1G, SZ_2M + SZ_4K,
					RW, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, iommu_mock_events(e.mock, IOMMU_MOCK_EV_SYNC_MAP,
						ev, ARRAY_SIZE(ev)), 1);
	KUNIT_EXPECT_EQ(test, ev[0].iova, SZ_2M);
	KUNIT_EXPECT_EQ(test, ev[0].pgsize, (size_t)(SZ_2M + SZ_4K));
}

static void map_failure_unwinds_partial_mapping(struct kunit *test)
{
	struct iommu_mock_domain *mdom;
	struct map_env e;

	make_map_env(test, &e, 0);
	mdom = to_iommu_mock_domain(e.domain);
	/* The driver maps the first 2M page, then fails on the second */
	mdom->fail_map = true;
	mdom->fail_map_iova = SZ_4M + SZ_2M;

	KUNIT_EXPECT_EQ(test, iommu_map(e.domain, SZ_4M, SZ_1G, SZ_4M, RW,
					GFP_KERNEL), -ENOSPC);
	KUNIT_EXPECT_GE(test, iommu_mock_count(e.mock, IOMMU_MOCK_EV_MAP, NULL,
					       NULL), 1);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e.domain), 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(e.domain, SZ_4M), 0);
}

static void map_sync_failure_unwinds_mapping(struct kunit *test)
{
	struct map_env e;

	make_map_env(test, &e, 0);
	to_iommu_mock_domain(e.domain)->fail_sync_map = -EIO;

	KUNIT_EXPECT_EQ(test, iommu_map(e.domain, SZ_2M, SZ_1G, SZ_2M, RW,
					GFP_KERNEL), -EIO);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e.domain), 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(e.domain, SZ_2M), 0);
}

static void map_rejects_unaligned_iova(struct kunit *test)
{
	struct map_env e;

	make_map_env(test, &e, 0);
	KUNIT_EXPECT_EQ(test, iommu_map(e.domain, SZ_64K + SZ_2K, SZ_1M, SZ_4K,
					RW, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(e.mock, IOMMU_MOCK_EV_MAP, NULL,
					       NULL), 0);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e.domain), 0);
}

static void map_rejects_unaligned_paddr(struct kunit *test)
{
	struct map_env e;

	make_map_env(test, &e, 0);
	KUNIT_EXPECT_EQ(test, iommu_map(e.domain, SZ_64K, SZ_1M + SZ_2K, SZ_4K,
					RW, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(e.mock, IOMMU_MOCK_EV_MAP, NULL,
					       NULL), 0);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e.domain), 0);
}

static void map_rejects_unaligned_size(struct kunit *test)
{
	struct map_env e;

	make_map_env(test, &e, 0);
	KUNIT_EXPECT_EQ(test, iommu_map(e.domain, SZ_64K, SZ_1M, SZ_4K + SZ_2K,
					RW, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(e.mock, IOMMU_MOCK_EV_MAP, NULL,
					       NULL), 0);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e.domain), 0);
}

/*
 * Upstream's 6.12.y __iommu_map() checks alignment only: a range running
 * past the end of the IOVA or the physical address space goes to the
 * driver, which maps its tail at the bottom of the space.
 */
#define GAP_MAP_WRAP \
	"map of a range that wraps around is not refused, see __iommu_map()"

/* A two-page map at @iova of @paddr, one of which wraps around */
static void expect_wrapping_map_refused(struct kunit *test, unsigned long iova,
					phys_addr_t paddr)
{
	struct map_env e;
	int ret;

	make_map_env(test, &e, 0);
	ret = iommu_map(e.domain, iova, paddr, 2 * SZ_4K, RW, GFP_KERNEL);
	iommu_kunit_expect_gap(test,
			       ret == -EINVAL &&
			       !iommu_mock_count(e.mock, IOMMU_MOCK_EV_MAP, NULL,
						 NULL) &&
			       !iommu_mock_mapped_bytes(e.domain),
			       GAP_MAP_WRAP);
}

static void map_rejects_wrapping_iova(struct kunit *test)
{
	/* The last page of the IOVA space, and one more */
	expect_wrapping_map_refused(test, ULONG_MAX - SZ_4K + 1, SZ_1M);
}

static void map_rejects_wrapping_paddr(struct kunit *test)
{
	/* The last page of the physical address space, and one more */
	expect_wrapping_map_refused(test, SZ_64K, PHYS_ADDR_MAX - SZ_4K + 1);
}

static void unmap_rejects_unaligned_range(struct kunit *test)
{
	struct map_env e;

	make_map_env(test, &e, 0);
	KUNIT_ASSERT_EQ(test, iommu_map(e.domain, SZ_64K, SZ_1M, 2 * SZ_4K, RW,
					GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iommu_unmap(e.domain, SZ_64K + SZ_2K, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, iommu_unmap(e.domain, SZ_64K, SZ_2K), 0);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e.domain),
			(size_t)(2 * SZ_4K));
}

static void map_over_existing_mapping_keeps_it(struct kunit *test)
{
	struct map_env e;

	make_map_env(test, &e, 0);
	KUNIT_ASSERT_EQ(test, iommu_map(e.domain, SZ_64K + 2 * SZ_4K, SZ_2M,
					SZ_4K, RW, GFP_KERNEL), 0);

	/* The driver refuses the third page; the first two are unwound */
	KUNIT_EXPECT_EQ(test, iommu_map(e.domain, SZ_64K, SZ_1M, 4 * SZ_4K, RW,
					GFP_KERNEL), -EEXIST);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(e.domain, SZ_64K + 2 * SZ_4K),
			(phys_addr_t)SZ_2M);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(e.domain, SZ_64K), 0);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e.domain),
			(size_t)SZ_4K);
}

struct test_pages {
	struct page *page;
	unsigned int order;
};

static void free_test_pages(void *data)
{
	struct test_pages *tp = data;

	__free_pages(tp->page, tp->order);
}

static struct page *alloc_test_pages(struct kunit *test, unsigned int order)
{
	struct test_pages *tp = kunit_kzalloc(test, sizeof(*tp), GFP_KERNEL);
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, tp);
	tp->order = order;
	tp->page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);
	KUNIT_ASSERT_NOT_NULL(test, tp->page);
	ret = kunit_add_action_or_reset(test, free_test_pages, tp);
	KUNIT_ASSERT_EQ(test, ret, 0);
	return tp->page;
}

static struct scatterlist *make_sg(struct kunit *test, struct page **pages,
				   unsigned int n)
{
	struct scatterlist *sg = kunit_kcalloc(test, n, sizeof(*sg), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, sg);
	sg_init_table(sg, n);
	for (i = 0; i < n; i++) {
		pages[i] = alloc_test_pages(test, 0);
		sg_set_page(&sg[i], pages[i], PAGE_SIZE, 0);
	}
	return sg;
}

static void map_sg_maps_every_segment(struct kunit *test)
{
	struct page *pages[3];
	struct scatterlist *sg;
	struct map_env e;
	unsigned int i;

	make_map_env(test, &e, 0);
	sg = make_sg(test, pages, ARRAY_SIZE(pages));

	KUNIT_ASSERT_EQ(test, iommu_map_sg(e.domain, SZ_8M, sg, ARRAY_SIZE(pages),
					   RW, GFP_KERNEL),
			(ssize_t)(ARRAY_SIZE(pages) * PAGE_SIZE));
	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		phys_addr_t phys = iommu_iova_to_phys(e.domain,
						      SZ_8M + i * PAGE_SIZE);

		KUNIT_EXPECT_EQ_MSG(test, phys, page_to_phys(pages[i]),
				    "segment %u", i);
	}
}

static void map_sg_merges_contiguous_segments(struct kunit *test)
{
	const struct page_rec *want;
	struct page_rec rec;
	struct scatterlist sg[2];
	struct map_env e;
	struct page *page;

	make_map_env(test, &e, 0);
	/* A naturally aligned 2M block, handed over as two 1M segments */
	page = alloc_test_pages(test, get_order(SZ_2M));
	sg_init_table(sg, 2);
	sg_set_page(&sg[0], page, SZ_1M, 0);
	sg_set_page(&sg[1], nth_page(page, SZ_1M / PAGE_SIZE), SZ_1M, 0);

	KUNIT_ASSERT_EQ(test, iommu_map_sg(e.domain, SZ_8M, sg, 2, RW,
					   GFP_KERNEL), (ssize_t)SZ_2M);
	rec.iova = SZ_8M;
	rec.paddr = page_to_phys(page);
	rec.size = SZ_2M;
	want = &rec;
	expect_pages(test, e.mock, want, 1);
}

static void map_sg_failure_unmaps_everything(struct kunit *test)
{
	struct iommu_mock_domain *mdom;
	struct page *pages[4];
	struct scatterlist *sg;
	struct map_env e;
	unsigned int i;

	make_map_env(test, &e, 0);
	sg = make_sg(test, pages, ARRAY_SIZE(pages));
	mdom = to_iommu_mock_domain(e.domain);
	mdom->fail_map = true;
	mdom->fail_map_iova = SZ_8M + 2 * PAGE_SIZE;

	KUNIT_EXPECT_EQ(test, iommu_map_sg(e.domain, SZ_8M, sg, ARRAY_SIZE(pages),
					   RW, GFP_KERNEL), (ssize_t)-ENOSPC);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(e.domain), 0);
	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		phys_addr_t phys = iommu_iova_to_phys(e.domain,
						      SZ_8M + i * PAGE_SIZE);

		KUNIT_EXPECT_EQ_MSG(test, phys, 0, "segment %u", i);
	}
}

static void map_sg_syncs_once(struct kunit *test)
{
	struct iommu_mock_event ev[2];
	struct page *pages[3];
	struct scatterlist *sg;
	struct map_env e;

	make_map_env(test, &e, 0);
	sg = make_sg(test, pages, ARRAY_SIZE(pages));

	KUNIT_ASSERT_EQ(test, iommu_map_sg(e.domain, SZ_8M, sg, ARRAY_SIZE(pages),
					   RW, GFP_KERNEL),
			(ssize_t)(ARRAY_SIZE(pages) * PAGE_SIZE));
	KUNIT_ASSERT_EQ(test, iommu_mock_events(e.mock, IOMMU_MOCK_EV_SYNC_MAP,
						ev, ARRAY_SIZE(ev)), 1);
	KUNIT_EXPECT_EQ(test, ev[0].iova, SZ_8M);
	KUNIT_EXPECT_EQ(test, ev[0].pgsize, ARRAY_SIZE(pages) * PAGE_SIZE);
}

static void map_on_identity_domain_rejected(struct kunit *test)
{
	struct map_env e;

	make_map_env(test, &e, 0);
	KUNIT_EXPECT_EQ(test, iommu_map(&e.mock->identity, SZ_64K, SZ_64K,
					SZ_4K, RW, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(e.mock, IOMMU_MOCK_EV_MAP, NULL,
					       NULL), 0);
	/* An identity domain translates everything to itself */
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(&e.mock->identity, 0x123456),
			(phys_addr_t)0x123456);
}

static void iova_to_phys_of_blocked_domain_is_zero(struct kunit *test)
{
	struct map_env e;

	make_map_env(test, &e, 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(&e.mock->blocked, 0x123456),
			0);
}

static DEFINE_SPINLOCK(atomic_map_lock);

static void map_passes_prot_and_gfp_through(struct kunit *test)
{
	const int prot = IOMMU_READ | IOMMU_CACHE;
	struct iommu_mock_event ev[2];
	struct map_env e;
	size_t unmapped;
	int ret;

	make_map_env(test, &e, 0);
	/* GFP_ATOMIC callers may hold a spinlock: nothing may sleep */
	spin_lock(&atomic_map_lock);
	ret = iommu_map(e.domain, SZ_64K, SZ_1M, SZ_4K, prot, GFP_ATOMIC);
	unmapped = iommu_unmap(e.domain, SZ_64K, SZ_4K);
	spin_unlock(&atomic_map_lock);

	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, unmapped, (size_t)SZ_4K);
	KUNIT_ASSERT_EQ(test, iommu_mock_events(e.mock, IOMMU_MOCK_EV_MAP, ev,
						ARRAY_SIZE(ev)), 1);
	KUNIT_EXPECT_EQ(test, ev[0].prot, prot);
	KUNIT_EXPECT_EQ(test, (__force unsigned int)ev[0].gfp,
			(__force unsigned int)GFP_ATOMIC);
}

static struct kunit_case iommu_map_test_cases[] = {
	KUNIT_CASE(map_splits_into_largest_pages),
	KUNIT_CASE(map_uses_small_pages_when_misaligned),
	KUNIT_CASE(map_uses_gigabyte_pages),
	KUNIT_CASE(map_only_uses_advertised_page_sizes),
	KUNIT_CASE(iova_to_phys_translates_within_pages),
	KUNIT_CASE(iova_to_phys_of_unmapped_iova_is_zero),
	KUNIT_CASE(unmap_returns_unmapped_size),
	KUNIT_CASE(unmap_of_unmapped_range_returns_zero),
	KUNIT_CASE(unmap_stops_at_first_hole),
	KUNIT_CASE(unmap_syncs_iotlb_once),
	KUNIT_CASE(unmap_fast_defers_iotlb_sync),
	KUNIT_CASE(map_syncs_new_mapping_once),
	KUNIT_CASE(map_failure_unwinds_partial_mapping),
	KUNIT_CASE(map_sync_failure_unwinds_mapping),
	KUNIT_CASE(map_rejects_unaligned_iova),
	KUNIT_CASE(map_rejects_unaligned_paddr),
	KUNIT_CASE(map_rejects_unaligned_size),
	KUNIT_CASE(map_rejects_wrapping_iova),
	KUNIT_CASE(map_rejects_wrapping_paddr),
	KUNIT_CASE(unmap_rejects_unaligned_range),
	KUNIT_CASE(map_over_existing_mapping_keeps_it),
	KUNIT_CASE(map_sg_maps_every_segment),
	KUNIT_CASE(map_sg_merges_contiguous_segments),
	KUNIT_CASE(map_sg_failure_unmaps_everything),
	KUNIT_CASE(map_sg_syncs_once),
	KUNIT_CASE(map_on_identity_domain_rejected),
	KUNIT_CASE(iova_to_phys_of_blocked_domain_is_zero),
	KUNIT_CASE(map_passes_prot_and_gfp_through),
	{}
};

static struct kunit_suite iommu_map_test_suite = {
	.name = "iommu_core_map",
	.init = iommu_mock_test_init,
	.test_cases = iommu_map_test_cases,
};

kunit_test_suites(&iommu_map_test_suite);
