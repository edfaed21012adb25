// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mapping and unmapping IOVA ranges of paging domains.
 *
 * The core never walks page tables itself.  It checks a request against the
 * domain (a paging domain, every address and the size aligned to the
 * smallest page size the driver supports), cuts it into runs of equal-sized
 * pages that the driver installs or removes with one map_pages() or
 * unmap_pages() call each, and undoes its own partial work when a driver
 * call fails, so that a failed iommu_map() or iommu_map_sg() leaves the
 * domain as it found it.
 *
 * IOTLB maintenance: new mappings are made visible to the hardware with one
 * iotlb_sync_map() per request; unmapping gathers the invalidated range,
 * which iommu_unmap() flushes before it returns and iommu_unmap_fast()
 * leaves to its caller.
 *
 * Nothing here takes a lock.  Callers own the IOVA ranges they map and
 * unmap and serialise requests on overlapping ranges; drivers make requests
 * on disjoint ranges of one domain safe against each other.  GFP_ATOMIC
 * requests therefore never sleep here.
 */
#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/export.h>
#include <linux/gfp.h>
#include <linux/iommu.h>
#include <linux/kernel.h>
#include <linux/overflow.h>
#include <linux/printk.h>
#include <linux/scatterlist.h>

#include <trace/events/iommu.h>

#include "core.h"

/*
 * Allocation flags a caller may not pass down to the driver's page-table
 * allocator: the tables must live in directly mapped memory (no highmem),
 * need no DMA zone, and are freed page by page (no compound pages).
 */
#define MAP_REFUSED_GFP	(__GFP_HIGHMEM | __GFP_DMA | __GFP_DMA32 | __GFP_COMP)

static int map_check_gfp(gfp_t gfp)
{
	might_sleep_if(gfpflags_allow_blocking(gfp));
	return WARN_ON_ONCE(gfp & MAP_REFUSED_GFP) ? -EINVAL : 0;
}

/*
 * Only paging domains have an IOVA space to map into.  A paging domain
 * without the callback or without any page size is the driver's mistake,
 * reported as -ENODEV rather than a splat since it reaches us from
 * requests that user space can make (VFIO, iommufd).
 */
static int map_domain_check(struct iommu_domain *domain, bool unmap)
{
	const struct iommu_domain_ops *ops = domain->ops;

	if (!(domain->type & __IOMMU_DOMAIN_PAGING))
		return -EINVAL;
	if (!domain->pgsize_bitmap)
		return -ENODEV;
	if (unmap ? !ops->unmap_pages : !ops->map_pages)
		return -ENODEV;
	return 0;
}

static unsigned long map_granule(struct iommu_domain *domain)
{
	return 1UL << __ffs(domain->pgsize_bitmap);
}

/*
 * Pick the pages for the head of a request of @len bytes at @iova -> @paddr:
 * returns the page size and stores in *@count how many pages of that size
 * to install with one driver call.
 *
 * The size is the largest supported one that fits in @len and to which both
 * @iova and @paddr are aligned.  The run of such pages stops early where a
 * larger supported size becomes usable, so that the next call switches to
 * it: that is the next boundary of the smallest larger size, provided @iova
 * and @paddr sit at the same offset from such boundaries (otherwise no
 * boundary ever aligns both) and a whole larger page still fits after it.
 * Still larger sizes need no look: their boundaries are boundaries of the
 * smallest larger size too, and their offset condition implies its own.
 *
 * The caller has checked that @len (non-zero), @iova and @paddr are
 * multiples of the smallest supported size, which therefore always
 * qualifies.
 */
static size_t map_pick_pages(unsigned long pgsizes, unsigned long iova,
			     phys_addr_t paddr, size_t len, size_t *count)
{
	unsigned long misalign = iova | (unsigned long)paddr;
	unsigned long fitting = pgsizes & GENMASK(__fls(len), 0);
	unsigned long larger;
	size_t pgsize, run = len;

	if (misalign)
		fitting &= GENMASK(__ffs(misalign), 0);
	pgsize = BIT(__fls(fitting));

	larger = pgsizes & ~GENMASK(__fls(fitting), 0);
	if (larger) {
		unsigned long next = BIT(__ffs(larger));
		unsigned long into = iova & (next - 1);
		size_t to_boundary = next - into;

		if (into && !((iova ^ paddr) & (next - 1)) &&
		    len > to_boundary && len - to_boundary >= next)
			run = to_boundary;
	}

	*count = run / pgsize;
	return pgsize;
}

/*
 * Check a mapping request and install it, without the final IOTLB sync.
 * On failure, whatever this call installed has been removed again; what
 * was mapped in the range before is left alone.
 */
static int map_range(struct iommu_domain *domain, unsigned long iova,
		     phys_addr_t paddr, size_t size, int prot, gfp_t gfp)
{
	const struct iommu_domain_ops *ops = domain->ops;
	unsigned long iova_last;
	phys_addr_t paddr_last;
	size_t done = 0;
	int ret;

	ret = map_domain_check(domain, false);
	if (ret)
		return ret;

	if (!IS_ALIGNED(iova | paddr | size, map_granule(domain))) {
		pr_err_ratelimited("iommu: unaligned map of %#zx bytes at iova %#lx to %pa, granule %#lx\n",
				   size, iova, &paddr, map_granule(domain));
		return -EINVAL;
	}
	if (!size)
		return 0;
	if (check_add_overflow(iova, size - 1, &iova_last) ||
	    check_add_overflow(paddr, (phys_addr_t)(size - 1), &paddr_last))
		return -EINVAL;

	while (done < size) {
		size_t pgsize, count, mapped = 0;

		pgsize = map_pick_pages(domain->pgsize_bitmap, iova + done,
					paddr + done, size - done, &count);
		ret = ops->map_pages(domain, iova + done, paddr + done, pgsize,
				     count, prot, gfp, &mapped);
		/* A driver may install part of the run before it fails */
		done += mapped;
		if (ret)
			goto undo;
		/* Success without progress would loop forever */
		if (WARN_ON_ONCE(!mapped)) {
			ret = -EIO;
			goto undo;
		}
	}

	trace_map(iova, paddr, size);
	return 0;

undo:
	if (done)
		iommu_unmap(domain, iova, done);
	return ret;
}

static int map_sync(struct iommu_domain *domain, unsigned long iova,
		    size_t size)
{
	if (!domain->ops->iotlb_sync_map)
		return 0;
	return domain->ops->iotlb_sync_map(domain, iova, size);
}

/**
 * iommu_map() - map a physically contiguous range into a paging domain
 * @domain: the paging domain
 * @iova: first IOVA of the range
 * @paddr: first physical address it translates to
 * @size: length of the range in bytes
 * @prot: IOMMU_READ, IOMMU_WRITE and the other IOMMU_* protection flags
 * @gfp: allocation flags for the driver's page tables; GFP_ATOMIC callers
 *       may hold spinlocks
 *
 * @iova, @paddr and @size must be multiples of the domain's smallest page
 * size.  The range is installed with the largest page sizes the domain
 * supports and the alignment of @iova and @paddr allows, then synced to
 * the hardware once.
 *
 * Return: 0 on success.  On failure nothing of the range stays mapped by
 * this call: -EINVAL for a domain that is not a paging domain, unaligned or
 * wrapping input, or refused @gfp flags; -ENODEV for a paging domain whose
 * driver cannot map; otherwise the driver's error.
 */
int iommu_map(struct iommu_domain *domain, unsigned long iova,
	      phys_addr_t paddr, size_t size, int prot, gfp_t gfp)
{
	int ret;

	ret = map_check_gfp(gfp);
	if (!ret)
		ret = map_range(domain, iova, paddr, size, prot, gfp);
	if (ret || !size)
		return ret;

	ret = map_sync(domain, iova, size);
	if (ret)
		iommu_unmap(domain, iova, size);
	return ret;
}
EXPORT_SYMBOL_GPL(iommu_map);

/*
 * Remove the mappings of [@iova, @iova + @size), adding what the driver
 * invalidates to @gather.  Stops at the first IOVA with nothing mapped.
 * Returns the bytes unmapped, which exceed @size when the range ends inside
 * a larger page: drivers remove whole pages.
 */
static size_t unmap_range(struct iommu_domain *domain, unsigned long iova,
			  size_t size, struct iommu_iotlb_gather *gather)
{
	const struct iommu_domain_ops *ops = domain->ops;
	size_t done = 0;

	if (map_domain_check(domain, true))
		return 0;

	if (!IS_ALIGNED(iova | size, map_granule(domain))) {
		pr_err_ratelimited("iommu: unaligned unmap of %#zx bytes at iova %#lx, granule %#lx\n",
				   size, iova, map_granule(domain));
		return 0;
	}

	while (done < size) {
		size_t pgsize, count, unmapped;

		/* An IOVA is its own "physical" address for alignment here */
		pgsize = map_pick_pages(domain->pgsize_bitmap, iova + done,
					iova + done, size - done, &count);
		unmapped = ops->unmap_pages(domain, iova + done, pgsize, count,
					    gather);
		if (!unmapped)
			break;
		done += unmapped;
	}

	trace_unmap(iova, size, done);
	return done;
}

/**
 * iommu_unmap() - unmap a range of a paging domain and flush the IOTLB
 * @domain: the paging domain
 * @iova: first IOVA of the range
 * @size: length of the range in bytes
 *
 * @iova and @size must be multiples of the domain's smallest page size.
 * Unmapping stops at the first IOVA of the range with nothing mapped.
 * When it returns, the hardware no longer uses the removed translations.
 *
 * Return: the number of bytes unmapped; 0 for unaligned input or a domain
 * that is not a paging domain.  It can exceed @size when the range ends
 * inside a larger page, which is removed whole.
 */
size_t iommu_unmap(struct iommu_domain *domain, unsigned long iova,
		   size_t size)
{
	struct iommu_iotlb_gather gather;
	size_t unmapped;

	iommu_iotlb_gather_init(&gather);
	unmapped = unmap_range(domain, iova, size, &gather);
	/* Nothing unmapped, nothing gathered to invalidate */
	if (unmapped)
		iommu_iotlb_sync(domain, &gather);
	return unmapped;
}
EXPORT_SYMBOL_GPL(iommu_unmap);

/**
 * iommu_unmap_fast() - unmap a range of a paging domain, deferring the flush
 * @domain: the paging domain
 * @iova: first IOVA of the range
 * @size: length of the range in bytes
 * @iotlb_gather: collects the range to invalidate
 *
 * Like iommu_unmap(), but the IOTLB is not flushed: the removed
 * translations may stay in use by the hardware until the caller passes
 * @iotlb_gather to iommu_iotlb_sync().
 *
 * Return: the number of bytes unmapped, as for iommu_unmap().
 */
size_t iommu_unmap_fast(struct iommu_domain *domain, unsigned long iova,
			size_t size, struct iommu_iotlb_gather *iotlb_gather)
{
	return unmap_range(domain, iova, size, iotlb_gather);
}
EXPORT_SYMBOL_GPL(iommu_unmap_fast);

/* Map one run of physically contiguous segments after the @*mapped bytes */
static int map_sg_run(struct iommu_domain *domain, unsigned long iova,
		      size_t *mapped, phys_addr_t start, size_t len, int prot,
		      gfp_t gfp)
{
	int ret;

	if (!len)
		return 0;
	ret = map_range(domain, iova + *mapped, start, len, prot, gfp);
	if (!ret)
		*mapped += len;
	return ret;
}

/**
 * iommu_map_sg() - map a scatterlist at consecutive IOVAs of a paging domain
 * @domain: the paging domain
 * @iova: IOVA of the first segment
 * @sg: the scatterlist
 * @nents: number of its entries
 * @prot: IOMMU_* protection flags
 * @gfp: allocation flags for the driver's page tables
 *
 * The segments are laid out back to back from @iova.  Physically contiguous
 * segments are mapped together, so that they can use larger pages; every
 * run must meet the alignment rules of iommu_map().  Segments marked as
 * PCI bus addresses (peer-to-peer DMA the caller routes itself) take no
 * IOVA and are skipped.  The new mappings are synced to the hardware once,
 * at the end.
 *
 * Return: the number of bytes mapped, or a negative errno with nothing of
 * the list left mapped.
 */
ssize_t iommu_map_sg(struct iommu_domain *domain, unsigned long iova,
		     struct scatterlist *sg, unsigned int nents, int prot,
		     gfp_t gfp)
{
	size_t run_len = 0, mapped = 0;
	phys_addr_t run_start = 0;
	struct scatterlist *s;
	unsigned int i;
	int ret;

	ret = map_check_gfp(gfp);
	if (ret)
		return ret;

	for_each_sg(sg, s, nents, i) {
		phys_addr_t phys;

		if (sg_dma_is_bus_address(s))
			continue;

		phys = sg_phys(s);
		if (run_len && phys == run_start + run_len) {
			run_len += s->length;
			continue;
		}

		ret = map_sg_run(domain, iova, &mapped, run_start, run_len,
				 prot, gfp);
		if (ret)
			goto undo;
		run_start = phys;
		run_len = s->length;
	}

	ret = map_sg_run(domain, iova, &mapped, run_start, run_len, prot, gfp);
	if (ret)
		goto undo;

	if (mapped) {
		ret = map_sync(domain, iova, mapped);
		if (ret)
			goto undo;
	}
	return mapped;

undo:
	if (mapped)
		iommu_unmap(domain, iova, mapped);
	return ret;
}
EXPORT_SYMBOL_GPL(iommu_map_sg);

/**
 * iommu_iova_to_phys() - translate an IOVA through a domain
 * @domain: the domain
 * @iova: the IOVA
 *
 * Return: the physical address @iova translates to; @iova itself for an
 * identity domain; 0 if nothing is mapped at @iova, for a blocking domain
 * and for a domain whose driver cannot translate.
 */
phys_addr_t iommu_iova_to_phys(struct iommu_domain *domain, dma_addr_t iova)
{
	switch (domain->type) {
	case IOMMU_DOMAIN_IDENTITY:
		/* Every address is its own translation */
		return iova;
	case IOMMU_DOMAIN_BLOCKED:
		/* Nothing is reachable through it */
		return 0;
	default:
		if (!domain->ops->iova_to_phys)
			return 0;
		return domain->ops->iova_to_phys(domain, iova);
	}
}
EXPORT_SYMBOL_GPL(iommu_iova_to_phys);
