/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private structures of the DMA-IOMMU layer: the DMA API on IOVAs.
 *
 * Every DMA API call of a device whose default domain translates
 * (dev->dma_iommu) lands here.  The layer is split by concern, and each
 * file calls only the ones below it:
 *
 *   map.c    streaming maps: map_page, map_sg, map_resource, sync_*
 *   alloc.c  coherent and noncontiguous allocations, mmap, get_sgtable
 *   msi.c    MSI doorbells mapped for IOMMUs that translate MSIs
 *     |
 *   cookie.c cookies, domain set-up, reserved ranges, and the IOVA policy
 *            every mapping goes through: iommu_dma_map_range() and
 *            iommu_dma_unmap_range()
 *     |
 *   fq.c     the flush queue of lazy (DMA-FQ) domains
 *     |
 *   iova.c   the IOVA allocator behind include/linux/iova.h, with its
 *            per-CPU caches; also used directly by vDPA, host1x, Tegra
 *
 *   bounce.c swiotlb bouncing for untrusted devices, called by map.c only
 *
 * The hot path, map_page and unmap_page of a trusted, coherent device:
 *   map:   alloc_iova_fast() from this CPU's cache (irqs off, no atomic
 *          instruction, no shared cache line), then iommu_map();
 *   unmap: no page-table walk, iommu_unmap_fast(), then either one ranged
 *          IOTLB invalidation and the IOVA back to this CPU's cache
 *          (strict), or the IOVA onto this CPU's flush queue (lazy).
 *
 * Locks, outermost first:
 *  1. iommu_dma_cookie::lock (mutex): set-up of the cookie's IOVA domain,
 *     its reservations, its flush queue and its MSI pages.  Never taken on
 *     the map/unmap path.
 *  2. The IOVA allocator's tree lock (iova_domain::iova_rbtree_lock) and
 *     its depot lock (iova.c): spinlocks, irq-saving, taken only when a
 *     CPU's cache runs empty or full.
 * Per-CPU caches and per-CPU flush queues are protected by local_lock
 * (interrupts off on their own CPU); see iova.c and fq.c.
 */
#ifndef __IOMMU_DMA_PRIV_H
#define __IOMMU_DMA_PRIV_H

#include <linux/dma-map-ops.h>
#include <linux/iommu.h>
#include <linux/iova.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/workqueue.h>

#include "../dma-iommu.h"

enum iommu_dma_cookie_type {
	/* a DMA API domain: IOVAs come from @iovad */
	IOMMU_DMA_IOVA_COOKIE,
	/* a caller-managed domain (VFIO, iommufd) with an MSI window only */
	IOMMU_DMA_MSI_COOKIE,
};

/* One MSI doorbell page mapped into a domain, see msi.c */
struct iommu_dma_msi_page {
	struct list_head node;
	phys_addr_t phys;
	dma_addr_t iova;
};

struct iommu_dma_fq;

/**
 * struct iommu_dma_cookie - the DMA layer's state of one domain
 * @type: see enum iommu_dma_cookie_type; fixed at creation
 * @domain: the domain this cookie belongs to (domain->iova_cookie)
 * @lock: serialises set-up: the first initialisation of @iovad, its
 *        reservations, @fq's creation and @msi_pages
 * @iovad: IOVA cookies: the IOVA space.  @iovad.granule is 0 until the
 *         first device's iommu_setup_dma_ops(); after that its geometry
 *         never changes, and the map/unmap paths read it without @lock
 *         (they only run for devices whose set-up finished)
 * @fq: the flush queue of a lazy domain, NULL while the domain is strict.
 *      Published once with smp_store_release() after it is complete and
 *      read with smp_load_acquire() by unmap: a domain goes from strict to
 *      lazy in place (sysfs "DMA-FQ"), never back
 * @reclaim_work: frees IOVAs held in every CPU's flush queue and cache
 *                after an allocation found the space exhausted, since
 *                another CPU's per-CPU state is only reachable from that
 *                CPU (see iommu_dma_iova_alloc())
 * @dac_only: PCI devices first try IOVAs below 4 GiB (32-bit addresses
 *            are single-cycle on a conventional PCI bus, and some devices
 *            mishandle 64-bit ones); set once the 32-bit space of this
 *            domain ran out, so later allocations stop trying it.  Written
 *            with WRITE_ONCE() on the map path, read locklessly: a stale
 *            read costs one failed attempt
 * @msi_iova: MSI cookies: the next free IOVA of the MSI window, under @lock
 * @msi_pages: struct iommu_dma_msi_page list, under @lock
 */
struct iommu_dma_cookie {
	enum iommu_dma_cookie_type type;
	struct iommu_domain *domain;
	struct mutex lock;	/* see @lock above */
	struct iova_domain iovad;
	struct iommu_dma_fq *fq;
	struct work_struct reclaim_work;
	bool dac_only;
	dma_addr_t msi_iova;
	struct list_head msi_pages;
};

static inline struct iommu_dma_cookie *
iommu_dma_cookie(struct iommu_domain *domain)
{
	return domain->iova_cookie;
}

/* The IOVA granule of an IOVA cookie whose set-up finished */
static inline size_t iommu_dma_granule(struct iommu_dma_cookie *cookie)
{
	return cookie->iovad.granule;
}

/* IOMMU protection bits for a DMA direction and attributes */
static inline int iommu_dma_prot(enum dma_data_direction dir, bool coherent,
				 unsigned long attrs)
{
	int prot = coherent ? IOMMU_CACHE : 0;

	if (attrs & DMA_ATTR_PRIVILEGED)
		prot |= IOMMU_PRIV;
	if (dir == DMA_TO_DEVICE || dir == DMA_BIDIRECTIONAL)
		prot |= IOMMU_READ;
	if (dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL)
		prot |= IOMMU_WRITE;
	return prot;
}

/*
 * The domain a DMA API call of @dev works on, after finishing a deferred
 * attach (a kdump kernel keeps the old kernel's translation until the
 * device's driver first maps, seed 000).  NULL if the attach failed.
 */
struct iommu_domain *iommu_dma_domain(struct device *dev);

/* cookie.c: a new cookie of @type for @domain, not yet set up */
struct iommu_dma_cookie *iommu_dma_cookie_alloc(struct iommu_domain *domain,
						enum iommu_dma_cookie_type type);

/* cookie.c: the IOVA policy (limits, 32-bit first, reclaim on exhaustion) */
dma_addr_t iommu_dma_iova_alloc(struct iommu_domain *domain,
				struct device *dev, size_t size, u64 dma_limit);
void iommu_dma_iova_free(struct iommu_dma_cookie *cookie, dma_addr_t iova,
			 size_t size);
/*
 * Map [phys, phys + size) at a new IOVA: the returned handle has phys's
 * offset within the granule; DMA_MAPPING_ERROR if no IOVA or the map
 * failed, with nothing left allocated or mapped.
 */
dma_addr_t iommu_dma_map_range(struct device *dev, phys_addr_t phys,
			       size_t size, int prot, u64 dma_limit);
/*
 * Unmap and release the IOVA range of a handle from iommu_dma_map_range()
 * or iommu_dma_iova_alloc() (any offset within the granule): in strict
 * mode invalidated before the IOVA is free again, in lazy mode queued.
 */
void iommu_dma_unmap_range(struct device *dev, dma_addr_t handle,
			   size_t size);

/*
 * cookie.c: one unmap of a range with unmapped holes in it, a padded
 * scatterlist: begin, one piece per mapped run, end.  Invalidated or
 * queued once, as a whole, like iommu_dma_unmap_range().  Lives on the
 * caller's stack; any context.
 */
struct iommu_dma_unmap {
	struct iommu_domain *domain;
	struct iommu_dma_cookie *cookie;
	struct iommu_dma_fq *fq;
	struct iommu_iotlb_gather gather;
};

void iommu_dma_unmap_begin(struct device *dev, struct iommu_dma_unmap *u);
void iommu_dma_unmap_piece(struct iommu_dma_unmap *u, dma_addr_t iova,
			   size_t len);
void iommu_dma_unmap_end(struct iommu_dma_unmap *u, dma_addr_t iova,
			 size_t len);

/* fq.c */
/*
 * Queue an unmapped, not yet invalidated IOVA range and the page-table
 * pages @freelist that the unmap released; any context.
 */
void iommu_dma_fq_add(struct iommu_dma_cookie *cookie, unsigned long pfn,
		      unsigned long npages, struct list_head *freelist);
/* Invalidate and free what this CPU's queue holds; any context */
void iommu_dma_fq_reclaim_local(struct iommu_dma_cookie *cookie);
/* The domain dies: flush and free everything queued; may sleep */
void iommu_dma_fq_destroy(struct iommu_dma_cookie *cookie);

/* iova.c: for the reclaim work and the tests; sleeps */
void iova_domain_drain_caches(struct iova_domain *iovad);

/*
 * bounce.c: the devices whose buffers may go through swiotlb, untrusted
 * ones (external PCI ports), which must see nothing beyond their buffers.
 * map.c walks the page table on unmap and sync only for these (and for
 * CPU cache maintenance): nothing else ever points into a bounce buffer.
 */
static inline bool iommu_dma_may_bounce(struct device *dev)
{
	return IS_ENABLED(CONFIG_SWIOTLB) && dev_is_pci(dev) &&
	       to_pci_dev(dev)->untrusted;
}

bool iommu_dma_bounces(struct device *dev, phys_addr_t phys, size_t size,
		       size_t granule);
phys_addr_t iommu_dma_bounce_map(struct device *dev, phys_addr_t phys,
				 size_t size, size_t granule,
				 enum dma_data_direction dir,
				 unsigned long attrs);
void iommu_dma_bounce_unmap(struct device *dev, phys_addr_t phys, size_t size,
			    enum dma_data_direction dir, unsigned long attrs);

#endif /* __IOMMU_DMA_PRIV_H */
