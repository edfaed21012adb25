// SPDX-License-Identifier: GPL-2.0-only
/*
 * Streaming DMA on IOVAs: map_page, map_sg, map_resource and sync_*,
 * called by kernel/dma/mapping.c for devices with dev->dma_iommu.
 *
 * Map and unmap may run in any context, hardirq included: nothing here
 * sleeps, and page tables are allocated with GFP_ATOMIC.
 *
 * Which calls touch the page table beyond map and unmap: a trusted,
 * coherent device never has its mappings looked up.  Its handles point at
 * the caller's own memory (only untrusted devices bounce, see
 * iommu_dma_may_bounce()), and its CPU caches need no maintenance, so
 * unmap has nothing to do with the physical address and sync has nothing
 * to do at all.  A non-coherent device's unmap and sync look the address
 * up to maintain the caches (sg lists use sg_phys() instead); an untrusted
 * device's always do, since only the page table tells whether its buffer
 * went to swiotlb: a bounce slot keeps just the min_align_mask bits of the
 * buffer's offset, so the handle and size alone cannot tell.
 *
 * Scatterlists of devices that do not bounce take one IOVA range, laid out
 * granule by granule, and are mapped in as few iommu_map_sg() calls as the
 * segment boundary allows; see iommu_dma_sg_layout().  Those of untrusted
 * devices are mapped entry by entry, each like a page.
 */

#include <linux/align.h>
#include <linux/dma-map-ops.h>
#include <linux/iommu-dma.h>
#include <linux/iommu.h>
#include <linux/memremap.h>
#include <linux/overflow.h>
#include <linux/scatterlist.h>
#include <linux/swiotlb.h>

#include "dma.h"

/* The IOVA granule of a device's domain; only after its set-up */
static size_t iommu_dma_dev_granule(struct device *dev)
{
	return iommu_dma_granule(iommu_dma_cookie(iommu_get_dma_domain(dev)));
}

static bool iommu_dma_skip_sync(struct device *dev, unsigned long attrs)
{
	return dev_is_dma_coherent(dev) || (attrs & DMA_ATTR_SKIP_CPU_SYNC);
}

/* Whether [@addr, @addr + @len) crosses a multiple of @boundary + 1 */
static bool iommu_dma_crosses(u64 addr, u64 len, unsigned long boundary)
{
	return (addr ^ (addr + len - 1)) & ~(u64)boundary;
}

static void iommu_dma_sync_phys_for_cpu(struct device *dev, phys_addr_t phys,
					size_t size,
					enum dma_data_direction dir)
{
	if (!dev_is_dma_coherent(dev))
		arch_sync_dma_for_cpu(phys, size, dir);
	if (iommu_dma_may_bounce(dev))
		swiotlb_sync_single_for_cpu(dev, phys, size, dir);
}

static void iommu_dma_sync_phys_for_device(struct device *dev,
					   phys_addr_t phys, size_t size,
					   enum dma_data_direction dir)
{
	if (iommu_dma_may_bounce(dev))
		swiotlb_sync_single_for_device(dev, phys, size, dir);
	if (!dev_is_dma_coherent(dev))
		arch_sync_dma_for_device(phys, size, dir);
}

/*
 * The map of an untrusted device: bounce what does not fill whole
 * granules, then map the copy.  Cache maintenance is on what the device
 * will read, the copy if there is one.
 */
static dma_addr_t iommu_dma_map_untrusted(struct device *dev, phys_addr_t phys,
					  size_t size,
					  enum dma_data_direction dir,
					  unsigned long attrs)
{
	int prot = iommu_dma_prot(dir, dev_is_dma_coherent(dev), attrs);
	size_t granule = iommu_dma_dev_granule(dev);
	bool bounced = iommu_dma_bounces(dev, phys, size, granule);
	dma_addr_t handle;

	if (bounced) {
		phys = iommu_dma_bounce_map(dev, phys, size, granule, dir,
					    attrs);
		if (phys == (phys_addr_t)DMA_MAPPING_ERROR)
			return DMA_MAPPING_ERROR;
	}
	if (!iommu_dma_skip_sync(dev, attrs))
		arch_sync_dma_for_device(phys, size, dir);

	handle = iommu_dma_map_range(dev, phys, size, prot, dma_get_mask(dev));
	if (handle == DMA_MAPPING_ERROR && bounced)
		iommu_dma_bounce_unmap(dev, phys, size, dir,
				       attrs | DMA_ATTR_SKIP_CPU_SYNC);
	return handle;
}

static dma_addr_t iommu_dma_map_phys(struct device *dev, phys_addr_t phys,
				     size_t size, enum dma_data_direction dir,
				     unsigned long attrs)
{
	bool coherent = dev_is_dma_coherent(dev);

	if (unlikely(iommu_dma_may_bounce(dev)))
		return iommu_dma_map_untrusted(dev, phys, size, dir, attrs);
	if (!coherent && !(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		arch_sync_dma_for_device(phys, size, dir);
	return iommu_dma_map_range(dev, phys, size,
				   iommu_dma_prot(dir, coherent, attrs),
				   dma_get_mask(dev));
}

/**
 * iommu_dma_map_page() - map a buffer for streaming DMA
 * @dev: the device
 * @page: the buffer's first page
 * @offset: the buffer's offset from @page
 * @size: its length in bytes
 * @dir: DMA direction
 * @attrs: DMA_ATTR_*
 *
 * For an untrusted device a buffer that does not fill whole granules is
 * bounced through swiotlb.  Any context.
 *
 * Return: the DMA address, or DMA_MAPPING_ERROR with nothing left
 * allocated or mapped.
 */
dma_addr_t iommu_dma_map_page(struct device *dev, struct page *page,
			      unsigned long offset, size_t size,
			      enum dma_data_direction dir, unsigned long attrs)
{
	return iommu_dma_map_phys(dev, page_to_phys(page) + offset, size, dir,
				  attrs);
}

/*
 * The unmap that needs the physical address.  It is looked up first, as
 * the unmap removes it.  The bounce slot goes last: the device must not
 * reach it any more when it is copied back and freed, which holds since
 * untrusted devices sit on strict domains (the core gives them no flush
 * queue), whose unmap returns with the IOTLB invalidated.
 */
static void iommu_dma_unmap_walked(struct device *dev, dma_addr_t handle,
				   size_t size, enum dma_data_direction dir,
				   unsigned long attrs)
{
	phys_addr_t phys = iommu_iova_to_phys(iommu_get_dma_domain(dev),
					      handle);

	iommu_dma_unmap_range(dev, handle, size);
	if (!iommu_dma_skip_sync(dev, attrs))
		arch_sync_dma_for_cpu(phys, size, dir);
	if (iommu_dma_may_bounce(dev))
		iommu_dma_bounce_unmap(dev, phys, size, dir, attrs);
}

/**
 * iommu_dma_unmap_page() - end a streaming mapping
 * @dev: the device
 * @dma_handle: from iommu_dma_map_page()
 * @size: as mapped
 * @dir: as mapped
 * @attrs: DMA_ATTR_*; DMA_ATTR_SKIP_CPU_SYNC skips the cache maintenance
 *         and the copy back from a bounce buffer
 *
 * Walks the page table only for an untrusted device, or for a
 * non-coherent one whose caches need maintenance.  Any context.
 */
void iommu_dma_unmap_page(struct device *dev, dma_addr_t dma_handle,
			  size_t size, enum dma_data_direction dir,
			  unsigned long attrs)
{
	if (unlikely(iommu_dma_may_bounce(dev) ||
		     !iommu_dma_skip_sync(dev, attrs))) {
		iommu_dma_unmap_walked(dev, dma_handle, size, dir, attrs);
		return;
	}
	iommu_dma_unmap_range(dev, dma_handle, size);
}

/*
 * Untrusted devices: every entry is its own DMA segment, mapped like a
 * page (output entry i is input entry i).  Peer memory reached through the
 * host bridge cannot be bounced, so only whole granules of it map.
 */
static void iommu_dma_unmap_sg_entries(struct device *dev,
				       struct scatterlist *sg, int nents,
				       enum dma_data_direction dir,
				       unsigned long attrs)
{
	struct scatterlist *s;
	int i;

	for_each_sg(sg, s, nents, i) {
		if (sg_dma_is_bus_address(s)) {
			sg_dma_unmark_bus_address(s);
			continue;
		}
		iommu_dma_unmap_page(dev, sg_dma_address(s), sg_dma_len(s), dir,
				     is_pci_p2pdma_page(sg_page(s)) ?
				     attrs | DMA_ATTR_SKIP_CPU_SYNC : attrs);
	}
}

static int iommu_dma_sg_set(struct scatterlist *s, dma_addr_t addr)
{
	if (addr == DMA_MAPPING_ERROR)
		return -EIO;
	sg_dma_address(s) = addr;
	sg_dma_len(s) = s->length;
	return 0;
}

static int iommu_dma_map_sg_p2p(struct device *dev,
				struct pci_p2pdma_map_state *p2p,
				struct scatterlist *s, size_t granule, int prot)
{
	phys_addr_t phys = sg_phys(s);

	switch (pci_p2pdma_map_segment(p2p, dev, s)) {
	case PCI_P2PDMA_MAP_BUS_ADDR:
		return 0;
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		if (iommu_dma_bounces(dev, phys, s->length, granule))
			return -EREMOTEIO;
		return iommu_dma_sg_set(s, iommu_dma_map_range(dev, phys,
				s->length, prot, dma_get_mask(dev)));
	default:
		return -EREMOTEIO;
	}
}

static int iommu_dma_map_sg_entries(struct device *dev, struct scatterlist *sg,
				    int nents, enum dma_data_direction dir,
				    unsigned long attrs)
{
	int prot = iommu_dma_prot(dir, dev_is_dma_coherent(dev), attrs);
	size_t granule = iommu_dma_dev_granule(dev);
	struct pci_p2pdma_map_state p2p = {};
	struct scatterlist *s;
	dma_addr_t addr;
	int i, ret;

	for_each_sg(sg, s, nents, i) {
		if (is_pci_p2pdma_page(sg_page(s))) {
			ret = iommu_dma_map_sg_p2p(dev, &p2p, s, granule, prot);
		} else {
			addr = iommu_dma_map_phys(dev, sg_phys(s), s->length,
						  dir, attrs);
			ret = iommu_dma_sg_set(s, addr);
		}
		if (ret)
			goto err_unmap;
	}
	return nents;

err_unmap:
	iommu_dma_unmap_sg_entries(dev, sg, i, dir,
				   attrs | DMA_ATTR_SKIP_CPU_SYNC);
	return ret;
}

/*
 * Scatterlists of devices that do not bounce.
 *
 * Layout.  The list gets one IOVA range.  Every memory entry takes the
 * granules its bytes touch, in list order, so its IOVA keeps its offset
 * within the granule; peer memory addressed by PCI bus address takes none.
 * An entry whose bytes would cross the device's segment boundary moves to
 * the next boundary, leaving an unmapped hole of padding in front of it;
 * the first entry never moves (the range starts on a boundary, so an entry
 * that crosses there crosses everywhere).  The layout is computed from
 * offset 0, and holds at the range's real IOVA because
 * iommu_dma_iova_alloc() aligns a range to its size rounded up to a power
 * of two (iova.c's alloc_iova_fast()): a range no longer than a boundary
 * window sits inside one window, and a longer one starts on a boundary.
 *
 * Between iommu_dma_sg_layout() and iommu_dma_sg_finish() every memory
 * entry s is rewritten so that iommu_map_sg() maps its whole granules:
 * s->offset and s->length cover them, and s's own DMA fields, not yet in
 * use, keep what is needed to restore it and place it:
 *   sg_dma_address(s)  offset of its first byte in the IOVA range; its low
 *                      bits are the bytes s->offset was moved back by
 *   sg_dma_len(s)      its original length
 * Bus-address entries keep what pci_p2pdma_map_segment() wrote there, and
 * iommu_map_sg() skips them.
 *
 * Mapping.  A run is a sequence of entries whose granules follow each other
 * in the range, i.e. without padding between them: iommu_map_sg() maps
 * each run in one call.
 *
 * Output.  iommu_dma_sg_finish() restores each entry and, in the same pass,
 * writes the DMA segments into the list's DMA fields from the first entry
 * on.  Output entry k is written only after input entries 0..k have been
 * read, so nothing is overwritten before it is used.  Two IOVA-contiguous
 * pieces merge when the join is on a granule boundary and the result stays
 * within the device's max_seg_size and segment boundary.  Entries after
 * the last DMA segment get sg_dma_len() 0.
 *
 * Unmap walks the DMA segments: their granules are exactly what was
 * mapped, padding being the gaps between them.  Without padding the range
 * goes in one iommu_dma_unmap_range(); with it, run by run, since the
 * core's unmap stops at the first hole, and is invalidated or queued once
 * as a whole (iommu_dma_unmap_sg_padded()).
 */
struct iommu_dma_sg_run {
	struct scatterlist *first;
	unsigned int nents;
	size_t start;
	size_t len;
};

/* Put entries back as the caller gave them (before any DMA segment) */
static void iommu_dma_sg_restore(struct scatterlist *sg, int nents,
				 size_t granule)
{
	struct scatterlist *s;
	int i;

	for_each_sg(sg, s, nents, i) {
		if (sg_dma_is_bus_address(s)) {
			sg_dma_unmark_bus_address(s);
			continue;
		}
		s->offset += sg_dma_address(s) & (granule - 1);
		s->length = sg_dma_len(s);
	}
}

/*
 * A peer-to-peer entry either stays on the PCI fabric, its DMA address the
 * bus address pci_p2pdma_map_segment() wrote (1: no IOVA for it), or goes
 * through the host bridge and so through the IOMMU like memory (0);
 * -EREMOTEIO if @dev cannot reach the peer at all.
 */
static int iommu_dma_sg_p2p_on_bus(struct pci_p2pdma_map_state *p2p,
				   struct device *dev, struct scatterlist *s)
{
	enum pci_p2pdma_map_type how = pci_p2pdma_map_segment(p2p, dev, s);

	if (how == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE)
		return 0;
	return how == PCI_P2PDMA_MAP_BUS_ADDR ? 1 : -EREMOTEIO;
}

/*
 * Lay the list out (see above); *@total is the IOVA range's length and
 * *@padded whether any entry moved to a segment boundary.
 */
static int iommu_dma_sg_layout(struct device *dev, struct scatterlist *sg,
			       int nents, size_t granule, bool sync,
			       enum dma_data_direction dir, size_t *total,
			       bool *padded)
{
	unsigned long boundary = dma_get_seg_boundary(dev);
	struct pci_p2pdma_map_state p2p = {};
	struct scatterlist *s;
	size_t pos = 0, end;
	int i, ret;

	*padded = false;
	for_each_sg(sg, s, nents, i) {
		size_t off = sg_phys(s) & (granule - 1);
		u64 span;

		if (is_pci_p2pdma_page(sg_page(s))) {
			ret = iommu_dma_sg_p2p_on_bus(&p2p, dev, s);
			if (ret < 0)
				goto err_restore;
			if (ret)
				continue;
		} else if (sync) {
			arch_sync_dma_for_device(sg_phys(s), s->length, dir);
		}

		/*
		 * The granule's start must be expressible from the entry's
		 * page, which fails only for granules beyond PAGE_SIZE.
		 */
		ret = -EINVAL;
		if (!s->length || off > s->offset)
			goto err_restore;
		if (iommu_dma_crosses(pos + off, s->length, boundary)) {
			size_t next = ALIGN(((pos + off) | boundary) + 1,
					    granule);

			if (next <= pos ||
			    iommu_dma_crosses(next + off, s->length, boundary))
				goto err_restore;
			pos = next;
			*padded = true;
		}
		span = ALIGN((u64)off + s->length, granule);
		if (span > UINT_MAX || check_add_overflow(pos, span, &end))
			goto err_restore;

		sg_dma_address(s) = pos + off;
		sg_dma_len(s) = s->length;
		s->offset -= off;
		s->length = span;
		pos = end;
	}
	*total = pos;
	return 0;

err_restore:
	iommu_dma_sg_restore(sg, i, granule);
	return ret;
}

/*
 * The next run from *@sp on, among the *@left entries left; leading
 * bus-address entries are skipped, those inside a run are counted in it
 * (iommu_map_sg() skips them).  Return: false if no memory entry is left.
 */
static bool iommu_dma_sg_next_run(struct scatterlist **sp, int *left,
				  size_t granule, struct iommu_dma_sg_run *run)
{
	struct scatterlist *s = *sp;
	int n = *left;
	size_t end;

	for (; n && sg_dma_is_bus_address(s); n--)
		s = sg_next(s);
	if (!n)
		return false;

	run->first = s;
	run->nents = 0;
	run->start = ALIGN_DOWN(sg_dma_address(s), granule);
	end = run->start;
	for (; n; n--, run->nents++, s = sg_next(s)) {
		if (sg_dma_is_bus_address(s))
			continue;
		if (ALIGN_DOWN(sg_dma_address(s), granule) != end)
			break;
		end += s->length;
	}
	run->len = end - run->start;
	*sp = s;
	*left = n;
	return true;
}

/* The errors dma_map_sgtable() documents, see __dma_map_sg_attrs() */
static int iommu_dma_sg_errno(int err)
{
	return err == -ENOMEM || err == -EINVAL ? err : -EIO;
}

/*
 * Map every run at @base; on failure unmap the runs already mapped (each
 * on its own, iommu_unmap() stops at a hole), so that the caller can free
 * the IOVA range at once.  Without padding the list is one run, which
 * needs no pass to find it, and iommu_map_sg() undoes its own failure.
 */
static int iommu_dma_sg_map_runs(struct iommu_domain *domain, dma_addr_t base,
				 struct scatterlist *sg, int nents,
				 size_t granule, int prot, bool padded)
{
	struct iommu_dma_sg_run run;
	struct scatterlist *s = sg;
	int left = nents;
	size_t failed;
	ssize_t ret;

	if (!padded) {
		ret = iommu_map_sg(domain, base, sg, nents, prot, GFP_ATOMIC);
		return ret < 0 ? iommu_dma_sg_errno(ret) : 0;
	}
	while (iommu_dma_sg_next_run(&s, &left, granule, &run)) {
		ret = iommu_map_sg(domain, base + run.start, run.first,
				   run.nents, prot, GFP_ATOMIC);
		if (ret < 0)
			goto err_unmap;
	}
	return 0;

err_unmap:
	failed = run.start;
	s = sg;
	left = nents;
	while (iommu_dma_sg_next_run(&s, &left, granule, &run) &&
	       run.start < failed)
		iommu_unmap(domain, base + run.start, run.len);
	return iommu_dma_sg_errno(ret);
}

static void iommu_dma_sg_emit(struct scatterlist *out, dma_addr_t addr,
			      size_t len, bool bus)
{
	sg_dma_address(out) = addr;
	sg_dma_len(out) = len;
	if (bus)
		sg_dma_mark_bus_address(out);
	else
		sg_dma_unmark_bus_address(out);
}

/* Restore the entries and write the DMA segments; returns their count */
static int iommu_dma_sg_finish(struct device *dev, struct scatterlist *sg,
			       int nents, dma_addr_t base, size_t granule)
{
	unsigned long boundary = dma_get_seg_boundary(dev);
	size_t max_len = dma_get_max_seg_size(dev);
	struct scatterlist *s, *out = sg;
	bool open = false, bus = false;
	dma_addr_t addr = 0;
	size_t len = 0;
	int i, count = 0;

	for_each_sg(sg, s, nents, i) {
		bool s_bus = sg_dma_is_bus_address(s);
		size_t s_len = sg_dma_len(s);
		dma_addr_t s_addr = sg_dma_address(s);

		/*
		 * s is read: blank it in this pass rather than in another
		 * after it.  The DMA segment that goes into s, if any, is
		 * written over the blank later, as out never passes s.
		 */
		iommu_dma_sg_emit(s, 0, 0, false);
		if (!s_bus) {
			s->offset += s_addr & (granule - 1);
			s->length = s_len;
			s_addr += base;
			if (open && !bus && addr + len == s_addr &&
			    IS_ALIGNED(s_addr, granule) &&
			    len + s_len <= max_len &&
			    !iommu_dma_crosses(addr, len + s_len, boundary)) {
				len += s_len;
				continue;
			}
		}
		if (open) {
			iommu_dma_sg_emit(out, addr, len, bus);
			out = sg_next(out);
			count++;
		}
		open = true;
		addr = s_addr;
		len = s_len;
		bus = s_bus;
	}
	if (open) {
		iommu_dma_sg_emit(out, addr, len, bus);
		count++;
	}
	return count;
}

static int iommu_dma_map_sg_range(struct device *dev, struct scatterlist *sg,
				  int nents, enum dma_data_direction dir,
				  unsigned long attrs)
{
	bool coherent = dev_is_dma_coherent(dev);
	struct iommu_domain *domain = iommu_dma_domain(dev);
	struct iommu_dma_cookie *cookie;
	dma_addr_t base = 0;
	size_t granule, total;
	bool padded;
	int ret;

	if (unlikely(!domain))
		return -EIO;
	cookie = iommu_dma_cookie(domain);
	granule = iommu_dma_granule(cookie);

	ret = iommu_dma_sg_layout(dev, sg, nents, granule,
				  !iommu_dma_skip_sync(dev, attrs), dir, &total,
				  &padded);
	if (ret)
		return ret;
	/* A list of bus addresses only needs no IOVA */
	if (total) {
		ret = -ENOMEM;
		base = iommu_dma_iova_alloc(domain, dev, total,
					    dma_get_mask(dev));
		if (!base)
			goto err_restore;
		ret = iommu_dma_sg_map_runs(domain, base, sg, nents, granule,
					    iommu_dma_prot(dir, coherent,
							   attrs), padded);
		if (ret)
			goto err_free;
	}
	return iommu_dma_sg_finish(dev, sg, nents, base, granule);

err_free:
	iommu_dma_iova_free(cookie, base, total);
err_restore:
	iommu_dma_sg_restore(sg, nents, granule);
	return ret;
}

/**
 * iommu_dma_map_sg() - map a scatterlist for streaming DMA
 * @dev: the device
 * @sg: the list
 * @nents: its number of entries
 * @dir: DMA direction
 * @attrs: DMA_ATTR_*
 *
 * A device that does not bounce gets one IOVA range for the whole list,
 * and IOVA-contiguous entries are merged into one DMA segment where the
 * device's max_seg_size and segment boundary allow.  An untrusted device
 * gets each entry mapped (and bounced if needed) on its own.  PCI peer
 * memory is addressed by bus address where the peers talk directly, and
 * mapped like memory where the host bridge routes between them.  Any
 * context.
 *
 * Return: the number of DMA segments, written from @sg on; or, with
 * nothing left mapped and @sg as it was, -EINVAL for an entry that cannot
 * be mapped (empty, or crossing the segment boundary however placed),
 * -ENOMEM for lack of IOVA space or page-table memory, -EREMOTEIO for peer
 * memory the device cannot reach, -EIO for other failures.
 */
int iommu_dma_map_sg(struct device *dev, struct scatterlist *sg, int nents,
		     enum dma_data_direction dir, unsigned long attrs)
{
	if (iommu_dma_may_bounce(dev))
		return iommu_dma_map_sg_entries(dev, sg, nents, dir, attrs);
	return iommu_dma_map_sg_range(dev, sg, nents, dir, attrs);
}

/*
 * A list whose layout needed padding: the core's unmap stops at a hole, so
 * each run of DMA segments without padding between them is unmapped on
 * its own, and the whole range is then invalidated (strict) or queued
 * (lazy) once, as for a list without padding.
 */
static void iommu_dma_unmap_sg_padded(struct device *dev,
				      struct scatterlist *sg, int nents,
				      dma_addr_t start, dma_addr_t end)
{
	size_t granule = iommu_dma_dev_granule(dev);
	struct iommu_dma_unmap u;
	dma_addr_t lo = 0, hi = 0;
	struct scatterlist *s;
	int i;

	iommu_dma_unmap_begin(dev, &u);
	/* No range starts at IOVA 0 (cookie.c), so hi == 0 means "no run" */
	for_each_sg(sg, s, nents, i) {
		dma_addr_t first;

		if (sg_dma_is_bus_address(s))
			continue;
		if (!sg_dma_len(s))
			break;
		first = ALIGN_DOWN(sg_dma_address(s), granule);
		if (first != hi) {
			if (hi)
				iommu_dma_unmap_piece(&u, lo, hi - lo);
			lo = first;
		}
		hi = ALIGN(sg_dma_address(s) + sg_dma_len(s), granule);
	}
	iommu_dma_unmap_piece(&u, lo, hi - lo);
	start = ALIGN_DOWN(start, granule);
	iommu_dma_unmap_end(&u, start, ALIGN(end, granule) - start);
}

static void iommu_dma_unmap_sg_range(struct device *dev, struct scatterlist *sg,
				     int nents)
{
	size_t granule = iommu_dma_dev_granule(dev);
	bool mapped = false, padded = false, p2p = false;
	dma_addr_t start = 0, end = 0;
	struct scatterlist *s;
	int i;

	for_each_sg(sg, s, nents, i) {
		if (sg_dma_is_bus_address(s)) {
			p2p = true;
			continue;
		}
		if (!sg_dma_len(s))
			break;
		if (!mapped)
			start = sg_dma_address(s);
		else if (ALIGN_DOWN(sg_dma_address(s), granule) !=
			 ALIGN(end, granule))
			padded = true;
		mapped = true;
		end = sg_dma_address(s) + sg_dma_len(s);
	}

	if (likely(mapped && !padded))
		iommu_dma_unmap_range(dev, start, end - start);
	else if (mapped)
		iommu_dma_unmap_sg_padded(dev, sg, nents, start, end);

	if (unlikely(p2p))
		for_each_sg(sg, s, nents, i)
			sg_dma_unmark_bus_address(s);
}

static void iommu_dma_sync_sg_phys_for_cpu(struct scatterlist *sg, int nents,
					   enum dma_data_direction dir)
{
	struct scatterlist *s;
	int i;

	for_each_sg(sg, s, nents, i)
		if (!is_pci_p2pdma_page(sg_page(s)))
			arch_sync_dma_for_cpu(sg_phys(s), s->length, dir);
}

/**
 * iommu_dma_unmap_sg() - end a scatterlist's streaming mapping
 * @dev: the device
 * @sg: the list, as given to iommu_dma_map_sg()
 * @nents: the number of entries given to iommu_dma_map_sg()
 * @dir: as mapped
 * @attrs: DMA_ATTR_*
 *
 * For a device that does not bounce, the one IOVA range from the first
 * DMA segment to the end of the last is unmapped; no page-table walk.
 * Any context.
 */
void iommu_dma_unmap_sg(struct device *dev, struct scatterlist *sg, int nents,
			enum dma_data_direction dir, unsigned long attrs)
{
	if (iommu_dma_may_bounce(dev)) {
		iommu_dma_unmap_sg_entries(dev, sg, nents, dir, attrs);
		return;
	}
	if (!iommu_dma_skip_sync(dev, attrs))
		iommu_dma_sync_sg_phys_for_cpu(sg, nents, dir);
	iommu_dma_unmap_sg_range(dev, sg, nents);
}

/**
 * iommu_dma_map_resource() - map MMIO for a device, e.g. a peer's FIFO
 * @dev: the device
 * @phys: the MMIO's physical address
 * @size: its length in bytes
 * @dir: DMA direction
 * @attrs: DMA_ATTR_*
 *
 * Never bounced and never cache-maintained: MMIO is not memory.
 *
 * Return: the DMA address, or DMA_MAPPING_ERROR.
 */
dma_addr_t iommu_dma_map_resource(struct device *dev, phys_addr_t phys,
				  size_t size, enum dma_data_direction dir,
				  unsigned long attrs)
{
	int prot = iommu_dma_prot(dir, dev_is_dma_coherent(dev), attrs);

	return iommu_dma_map_range(dev, phys, size, prot | IOMMU_MMIO,
				   dma_get_mask(dev));
}

/**
 * iommu_dma_unmap_resource() - end a mapping of iommu_dma_map_resource()
 * @dev: the device
 * @handle: the DMA address
 * @size: as mapped
 * @dir: as mapped
 * @attrs: DMA_ATTR_*
 */
void iommu_dma_unmap_resource(struct device *dev, dma_addr_t handle,
			      size_t size, enum dma_data_direction dir,
			      unsigned long attrs)
{
	iommu_dma_unmap_range(dev, handle, size);
}

/**
 * iommu_dma_sync_single_for_cpu() - give a streaming buffer to the CPU
 * @dev: the device
 * @dma_handle: a DMA address within a mapping of iommu_dma_map_page()
 * @size: bytes from @dma_handle
 * @dir: as mapped
 *
 * Nothing to do for a coherent device that does not bounce.
 */
void iommu_dma_sync_single_for_cpu(struct device *dev, dma_addr_t dma_handle,
				   size_t size, enum dma_data_direction dir)
{
	phys_addr_t phys;

	if (dev_is_dma_coherent(dev) && !iommu_dma_may_bounce(dev))
		return;
	phys = iommu_iova_to_phys(iommu_get_dma_domain(dev), dma_handle);
	iommu_dma_sync_phys_for_cpu(dev, phys, size, dir);
}

/**
 * iommu_dma_sync_single_for_device() - give a streaming buffer back
 * @dev: the device
 * @dma_handle: a DMA address within a mapping of iommu_dma_map_page()
 * @size: bytes from @dma_handle
 * @dir: as mapped
 *
 * Nothing to do for a coherent device that does not bounce.
 */
void iommu_dma_sync_single_for_device(struct device *dev,
				      dma_addr_t dma_handle, size_t size,
				      enum dma_data_direction dir)
{
	phys_addr_t phys;

	if (dev_is_dma_coherent(dev) && !iommu_dma_may_bounce(dev))
		return;
	phys = iommu_iova_to_phys(iommu_get_dma_domain(dev), dma_handle);
	iommu_dma_sync_phys_for_device(dev, phys, size, dir);
}

/**
 * iommu_dma_sync_sg_for_cpu() - give a mapped scatterlist to the CPU
 * @dev: the device
 * @sgl: the list, as mapped
 * @nelems: the number of entries given to iommu_dma_map_sg()
 * @dir: as mapped
 *
 * An untrusted device's entries are synced through their DMA addresses
 * (each entry is its own mapping); a trusted device's through sg_phys().
 * PCI peer memory needs no sync.
 */
void iommu_dma_sync_sg_for_cpu(struct device *dev, struct scatterlist *sgl,
			       int nelems, enum dma_data_direction dir)
{
	struct scatterlist *s;
	int i;

	if (!iommu_dma_may_bounce(dev)) {
		if (!dev_is_dma_coherent(dev))
			iommu_dma_sync_sg_phys_for_cpu(sgl, nelems, dir);
		return;
	}
	for_each_sg(sgl, s, nelems, i)
		if (!is_pci_p2pdma_page(sg_page(s)))
			iommu_dma_sync_single_for_cpu(dev, sg_dma_address(s),
						      sg_dma_len(s), dir);
}

/**
 * iommu_dma_sync_sg_for_device() - give a mapped scatterlist back
 * @dev: the device
 * @sgl: the list, as mapped
 * @nelems: the number of entries given to iommu_dma_map_sg()
 * @dir: as mapped
 *
 * As iommu_dma_sync_sg_for_cpu(), towards the device.
 */
void iommu_dma_sync_sg_for_device(struct device *dev, struct scatterlist *sgl,
				  int nelems, enum dma_data_direction dir)
{
	struct scatterlist *s;
	int i;

	if (dev_is_dma_coherent(dev) && !iommu_dma_may_bounce(dev))
		return;
	for_each_sg(sgl, s, nelems, i) {
		if (is_pci_p2pdma_page(sg_page(s)))
			continue;
		if (iommu_dma_may_bounce(dev))
			iommu_dma_sync_single_for_device(dev,
							 sg_dma_address(s),
							 sg_dma_len(s), dir);
		else
			arch_sync_dma_for_device(sg_phys(s), s->length, dir);
	}
}

/**
 * iommu_dma_get_merge_boundary() - what map_sg can merge across
 * @dev: the device
 *
 * Return: the granule mask of the device's domain: entries that end and
 * start on a granule boundary become one DMA segment.  0 for a device that
 * bounces, whose entries are mapped one by one and never merged.
 */
unsigned long iommu_dma_get_merge_boundary(struct device *dev)
{
	if (iommu_dma_may_bounce(dev))
		return 0;
	return iommu_dma_dev_granule(dev) - 1;
}

/**
 * iommu_dma_max_mapping_size() - the largest single mapping
 * @dev: the device
 *
 * Return: SIZE_MAX, but for a device that bounces: one swiotlb slot.
 */
size_t iommu_dma_max_mapping_size(struct device *dev)
{
	return iommu_dma_may_bounce(dev) ? swiotlb_max_mapping_size(dev) :
					   SIZE_MAX;
}

/**
 * iommu_dma_opt_mapping_size() - the largest mapping on the fast path
 *
 * Return: the largest size the per-CPU IOVA caches hold.
 */
size_t iommu_dma_opt_mapping_size(void)
{
	return iova_rcache_range();
}
