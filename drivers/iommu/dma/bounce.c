// SPDX-License-Identifier: GPL-2.0-only
/*
 * swiotlb bouncing for untrusted devices, called by map.c only.
 *
 * An IOMMU grants access granule by granule.  A buffer that does not fill
 * the granules it touches shares them with whatever else the kernel keeps
 * there, and an untrusted device (iommu_dma_may_bounce()) must not reach
 * that.  Such a buffer is copied into a swiotlb slot that starts and ends
 * on granule boundaries, and the slot is mapped instead: the device sees
 * the buffer's bytes and zeroes around them, nothing else.
 *
 * A buffer that fills whole granules is mapped in place; nothing else
 * lives in those granules, so there is nothing to hide.
 */

#include <linux/align.h>
#include <linux/dma-map-ops.h>
#include <linux/string.h>
#include <linux/swiotlb.h>

#include "dma.h"

#ifdef CONFIG_SWIOTLB
/*
 * Zero @len bytes at @phys of @pool.  The pool's own mapping is used: a
 * pool may be remapped (decrypted for a confidential guest, or carved
 * from the atomic pool), so phys_to_virt() need not reach it.  The zeroes
 * must reach memory before the IOMMU map makes the slot visible, whatever
 * the caller's DMA_ATTR_SKIP_CPU_SYNC: no later sync of the buffer covers
 * the padding.
 */
static void iommu_dma_bounce_zero(struct device *dev, struct io_tlb_pool *pool,
				  phys_addr_t phys, size_t len)
{
	if (!len)
		return;
	memset(pool->vaddr + (phys - pool->start), 0, len);
	if (!dev_is_dma_coherent(dev))
		arch_sync_dma_for_device(phys, len, DMA_TO_DEVICE);
}

/*
 * Clear what the device can see of the slot besides the buffer: the slot
 * last held another mapping's data.  swiotlb_tbl_map_single() allocated
 * the slot from a granule boundary and rounded its size up to whole
 * granules, and @tlb lies less than a granule into it, so the granules
 * around [@tlb, @tlb + @size) are all the slot's.
 */
static void iommu_dma_bounce_clear_padding(struct device *dev, phys_addr_t tlb,
					   size_t size, size_t granule)
{
	struct io_tlb_pool *pool = swiotlb_find_pool(dev, tlb);
	phys_addr_t start = ALIGN_DOWN(tlb, granule);
	phys_addr_t end = ALIGN(tlb + size, granule);

	iommu_dma_bounce_zero(dev, pool, start, tlb - start);
	iommu_dma_bounce_zero(dev, pool, tlb + size, end - (tlb + size));
}
#else
/* Never called: iommu_dma_may_bounce() is false without swiotlb */
static void iommu_dma_bounce_clear_padding(struct device *dev, phys_addr_t tlb,
					   size_t size, size_t granule)
{
}
#endif

/**
 * iommu_dma_bounces() - whether a buffer must be bounced for a device
 * @dev: the device
 * @phys: the buffer's physical address
 * @size: its length in bytes
 * @granule: the IOVA granule of the device's domain
 *
 * Return: true if @dev is untrusted (and swiotlb is built in) and the
 * buffer leaves part of its first or last granule to other data.
 */
bool iommu_dma_bounces(struct device *dev, phys_addr_t phys, size_t size,
		       size_t granule)
{
	return iommu_dma_may_bounce(dev) && ((phys | size) & (granule - 1));
}

/**
 * iommu_dma_bounce_map() - copy a buffer into a slot of whole granules
 * @dev: an untrusted device
 * @phys: the buffer
 * @size: its length in bytes
 * @granule: the IOVA granule of the device's domain
 * @dir: DMA direction
 * @attrs: DMA_ATTR_* of the mapping
 *
 * The slot gets the buffer's contents (whatever @dir, so that a device
 * that writes only part of the buffer leaves the rest as it was) and
 * zeroes in the rest of its granules.  Any context: swiotlb neither
 * sleeps nor allocates here.
 *
 * Return: the physical address of the buffer's copy, with at least the
 * bits of @phys that the device's min_align_mask covers; or
 * (phys_addr_t)DMA_MAPPING_ERROR if no slot is free.
 */
phys_addr_t iommu_dma_bounce_map(struct device *dev, phys_addr_t phys,
				 size_t size, size_t granule,
				 enum dma_data_direction dir,
				 unsigned long attrs)
{
	phys_addr_t tlb;

	if (!IS_ENABLED(CONFIG_SWIOTLB))
		return (phys_addr_t)DMA_MAPPING_ERROR;

	tlb = swiotlb_tbl_map_single(dev, phys, size, granule - 1, dir, attrs);
	if (tlb == (phys_addr_t)DMA_MAPPING_ERROR)
		return tlb;
	iommu_dma_bounce_clear_padding(dev, tlb, size, granule);
	return tlb;
}

/**
 * iommu_dma_bounce_unmap() - release a bounce slot, if it is one
 * @dev: the device
 * @phys: what the mapping's IOVA translated to
 * @size: the buffer's length in bytes
 * @dir: DMA direction
 * @attrs: DMA_ATTR_* of the unmap; without DMA_ATTR_SKIP_CPU_SYNC what
 *         the device wrote is copied back to the original buffer
 *
 * @phys may be a buffer that was mapped in place (it filled whole
 * granules): swiotlb_tbl_unmap_single() looks the address up in the
 * device's swiotlb pools and does nothing for any other memory.  Call it
 * only once the device can no longer reach the slot (untrusted devices sit
 * on strict domains: the IOTLB is invalidated when the unmap returns),
 * since the slot is free for other mappings right after.
 */
void iommu_dma_bounce_unmap(struct device *dev, phys_addr_t phys, size_t size,
			    enum dma_data_direction dir, unsigned long attrs)
{
	swiotlb_tbl_unmap_single(dev, phys, size, dir, attrs);
}
