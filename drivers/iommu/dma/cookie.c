// SPDX-License-Identifier: GPL-2.0-only
/*
 * DMA cookies, the set-up of a DMA domain for its devices, and the IOVA
 * policy every mapping of the layer goes through.
 *
 * A cookie is created with its domain (iommu_get_dma_cookie(), called by
 * the core for DMA API domains) and dies with it (iommu_put_dma_cookie()).
 * Its IOVA space is laid out by the first device set up on the domain
 * (iommu_setup_dma_ops()): the granule is the smallest page size of the
 * domain, the space starts at the aperture, and every device adds its
 * reserved regions and, for PCI, its host bridge's windows.
 */

#include <linux/acpi_iort.h>
#include <linux/iommu.h>
#include <linux/iova.h>
#include <linux/of_iommu.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "dma.h"

/*
 * iommu.forcedac=1: no 32-bit first attempt for PCI devices.  The Intel
 * driver also sets it when its "forcedac" option is given.
 */
bool iommu_dma_forcedac __read_mostly;

static int __init iommu_dma_parse_forcedac(char *arg)
{
	int err = kstrtobool(arg, &iommu_dma_forcedac);

	if (err)
		return err;
	if (iommu_dma_forcedac)
		pr_info("iommu: PCI devices get 64-bit IOVAs from the start\n");
	return 0;
}
early_param("iommu.forcedac", iommu_dma_parse_forcedac);

static void iommu_dma_reclaim_fn(struct work_struct *work);

/**
 * iommu_dma_cookie_alloc() - create the DMA layer's state of a domain
 * @domain: the domain; its iova_cookie is left to the caller to set
 * @type: IOVA space for the DMA API, or an MSI window only
 *
 * Return: the cookie, or NULL if out of memory.
 */
struct iommu_dma_cookie *iommu_dma_cookie_alloc(struct iommu_domain *domain,
						enum iommu_dma_cookie_type type)
{
	struct iommu_dma_cookie *cookie;

	cookie = kzalloc(sizeof(*cookie), GFP_KERNEL);
	if (!cookie)
		return NULL;
	cookie->type = type;
	cookie->domain = domain;
	mutex_init(&cookie->lock);
	INIT_WORK(&cookie->reclaim_work, iommu_dma_reclaim_fn);
	INIT_LIST_HEAD(&cookie->msi_pages);
	return cookie;
}

/**
 * iommu_get_dma_cookie() - give a DMA API domain its IOVA cookie
 * @domain: a domain of type IOMMU_DOMAIN_DMA or IOMMU_DOMAIN_DMA_FQ,
 *          without a cookie yet
 *
 * The IOVA space itself is laid out later, when the first device is set
 * up on the domain (iommu_setup_dma_ops()).
 *
 * Return: 0, -EEXIST if @domain already has a cookie, -ENOMEM.
 */
int iommu_get_dma_cookie(struct iommu_domain *domain)
{
	struct iommu_dma_cookie *cookie;

	if (domain->iova_cookie)
		return -EEXIST;
	cookie = iommu_dma_cookie_alloc(domain, IOMMU_DMA_IOVA_COOKIE);
	if (!cookie)
		return -ENOMEM;
	domain->iova_cookie = cookie;
	return 0;
}

/**
 * iommu_put_dma_cookie() - free a domain's cookie, with the domain
 * @domain: a domain nobody maps through any more; may have no cookie
 *
 * Everything the cookie holds goes: queued IOVAs and page-table pages,
 * cached IOVAs, the IOVA tree and the MSI page records.  The mappings
 * themselves die with the domain's page table.
 */
void iommu_put_dma_cookie(struct iommu_domain *domain)
{
	struct iommu_dma_cookie *cookie = domain->iova_cookie;
	struct iommu_dma_msi_page *msi, *next;

	if (!cookie)
		return;
	if (cookie->type == IOMMU_DMA_IOVA_COOKIE) {
		cancel_work_sync(&cookie->reclaim_work);
		if (cookie->fq)
			iommu_dma_fq_destroy(cookie);
		if (cookie->iovad.granule)
			put_iova_domain(&cookie->iovad);
	}
	list_for_each_entry_safe(msi, next, &cookie->msi_pages, node)
		kfree(msi);
	kfree(cookie);
	domain->iova_cookie = NULL;
}

static int iommu_dma_reserve(struct iova_domain *iovad, phys_addr_t start,
			     phys_addr_t end)
{
	unsigned long lo = iova_pfn(iovad, start);
	unsigned long hi = iova_pfn(iovad, end);

	/* Below the start of the space there is nothing to hand out anyway */
	if (hi < iovad->start_pfn)
		return 0;
	return reserve_iova(iovad, lo, hi) ? 0 : -ENOMEM;
}

/*
 * A PCI device must not be given IOVAs that its host bridge routes
 * elsewhere: its outbound memory windows (a DMA there would reach a peer,
 * not memory) and, where the bridge declares inbound DMA ranges, every
 * address outside them.
 */
static int iommu_dma_reserve_bridge(struct iova_domain *iovad,
				    struct pci_host_bridge *bridge)
{
	struct resource_entry *win;
	phys_addr_t next = 0;
	int ret;

	resource_list_for_each_entry(win, &bridge->windows) {
		if (resource_type(win->res) != IORESOURCE_MEM)
			continue;
		ret = iommu_dma_reserve(iovad, win->res->start - win->offset,
					win->res->end - win->offset);
		if (ret)
			return ret;
	}

	/* dma_ranges is sorted by address (pci_parse_request_of_pci_ranges) */
	resource_list_for_each_entry(win, &bridge->dma_ranges) {
		phys_addr_t start = win->res->start - win->offset;

		if (start > next) {
			ret = iommu_dma_reserve(iovad, next, start - 1);
			if (ret)
				return ret;
		}
		next = max(next, win->res->end - win->offset + 1);
	}
	if (next && !list_empty(&bridge->dma_ranges) &&
	    next - 1 < (phys_addr_t)DMA_BIT_MASK(64))
		return iommu_dma_reserve(iovad, next, DMA_BIT_MASK(64));
	return 0;
}

static int iommu_dma_reserve_dev(struct iommu_dma_cookie *cookie,
				 struct device *dev)
{
	struct iova_domain *iovad = &cookie->iovad;
	struct iommu_resv_region *region;
	LIST_HEAD(regions);
	int ret = 0;

	lockdep_assert_held(&cookie->lock);

	if (dev_is_pci(dev)) {
		struct pci_dev *pdev = to_pci_dev(dev);

		ret = iommu_dma_reserve_bridge(iovad,
					       pci_find_host_bridge(pdev->bus));
		if (ret)
			return ret;
	}

	/*
	 * Every kind of region is kept out of the IOVA space: direct ones are
	 * mapped 1:1 by the core, MSI windows are the interrupt controller's,
	 * and a software MSI window only matters to unmanaged domains, where
	 * reserving it here costs nothing.
	 */
	iommu_get_resv_regions(dev, &regions);
	list_for_each_entry(region, &regions, list) {
		ret = iommu_dma_reserve(iovad, region->start,
					region->start + region->length - 1);
		if (ret)
			break;
	}
	iommu_put_resv_regions(dev, &regions);
	return ret;
}

/*
 * Lay out the IOVA space on the first device and add @dev's reservations.
 * On failure for the first device the space is left unlaid, so that the
 * next device starts again; reservations that a later device managed to
 * add before failing stay, as they only narrow the space.
 */
static int iommu_dma_cookie_setup(struct iommu_dma_cookie *cookie,
				  struct device *dev)
{
	struct iommu_domain *domain = cookie->domain;
	struct iova_domain *iovad = &cookie->iovad;
	unsigned long order, base_pfn;
	bool first;
	int ret;

	if (cookie->type != IOMMU_DMA_IOVA_COOKIE || !domain->pgsize_bitmap)
		return -EINVAL;
	order = __ffs(domain->pgsize_bitmap);
	/* IOVA 0 would read as "no address" to too many callers */
	base_pfn = max_t(unsigned long, 1,
			 domain->geometry.aperture_start >> order);
	if (domain->geometry.force_aperture &&
	    domain->geometry.aperture_end < (base_pfn << order))
		return -EINVAL;

	mutex_lock(&cookie->lock);
	first = !iovad->granule;
	if (first) {
		init_iova_domain(iovad, 1UL << order, base_pfn);
		ret = iova_domain_init_rcaches(iovad);
		if (ret)
			goto err_put;
	} else if (iovad->granule != 1UL << order ||
		   iovad->start_pfn != base_pfn) {
		dev_err(dev, "IOVA space of the domain does not fit the device\n");
		ret = -EFAULT;
		goto out_unlock;
	}

	ret = iommu_dma_reserve_dev(cookie, dev);
	if (ret && first)
		goto err_put;
	goto out_unlock;

err_put:
	put_iova_domain(iovad);
	memset(iovad, 0, sizeof(*iovad));
out_unlock:
	mutex_unlock(&cookie->lock);
	return ret;
}

/**
 * iommu_setup_dma_ops() - route a device's DMA API through its domain
 * @dev: a device whose group is on its default domain
 *
 * Called by the core after the device joined its default domain and
 * whenever that domain changed type.  A device whose domain does not
 * translate for the DMA API (identity, a platform domain) goes to
 * dma-direct; so does one whose domain could not be set up, with a
 * warning, since that is still a working (if untranslated) device.
 */
void iommu_setup_dma_ops(struct device *dev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);
	struct iommu_dma_cookie *cookie;
	int ret;

	dev->dma_iommu = false;
	if (!domain || !iommu_is_dma_domain(domain))
		return;
	cookie = iommu_dma_cookie(domain);
	if (!cookie) {
		ret = -ENODEV;
		goto err;
	}
	ret = iommu_dma_cookie_setup(cookie, dev);
	if (ret)
		goto err;
	/* A lazy domain that cannot have a flush queue is strict instead */
	if (domain->type == IOMMU_DOMAIN_DMA_FQ && iommu_dma_init_fq(domain)) {
		dev_warn(dev, "no flush queue, invalidating strictly\n");
		domain->type = IOMMU_DOMAIN_DMA;
	}
	dev->dma_iommu = true;
	return;
err:
	dev_warn(dev, "DMA API without IOMMU translation: set-up failed (%d)\n",
		 ret);
}

/**
 * iommu_dma_get_resv_regions() - reserved regions firmware gives a device
 * @dev: the device
 * @list: where to add them, as struct iommu_resv_region
 *
 * For IOMMU drivers' get_resv_regions(): the regions ACPI IORT (for
 * devices whose IOMMU is not described by devicetree) and the devicetree
 * describe, e.g. the ITS doorbells and firmware-owned memory.
 */
void iommu_dma_get_resv_regions(struct device *dev, struct list_head *list)
{
	struct iommu_fwspec *fwspec = dev_iommu_fwspec_get(dev);

	if (fwspec && !is_of_node(fwspec->iommu_fwnode))
		iort_iommu_get_resv_regions(dev, list);
	if (dev->of_node)
		of_iommu_get_resv_regions(dev, list);
}
EXPORT_SYMBOL(iommu_dma_get_resv_regions);

/**
 * iommu_dma_domain() - the domain a DMA API call of a device maps into
 * @dev: a device with dev->dma_iommu set
 *
 * Finishes the attach of a device whose attach the IOMMU driver deferred
 * (a kdump kernel keeps the crashed kernel's translation until the
 * device's driver first uses DMA).  The check is a plain read of the
 * device's flag, so any driver may defer, not only in kdump kernels.
 *
 * Return: the device's default domain, NULL if the deferred attach failed.
 */
struct iommu_domain *iommu_dma_domain(struct device *dev)
{
	struct iommu_domain *domain = iommu_get_dma_domain(dev);

	if (unlikely(dev->iommu->attach_deferred) &&
	    iommu_deferred_attach(dev, domain))
		return NULL;
	return domain;
}

static void iommu_dma_reclaim_local(void *data)
{
	iommu_dma_fq_reclaim_local(data);
}

/*
 * Runs after an allocation found no room: every CPU invalidates and frees
 * what its flush queue holds, then every CPU's cached IOVAs go back to
 * the tree, so that the next allocation sees all the space that is free.
 */
static void iommu_dma_reclaim_fn(struct work_struct *work)
{
	struct iommu_dma_cookie *cookie =
		container_of(work, struct iommu_dma_cookie, reclaim_work);

	if (cookie->fq)
		on_each_cpu(iommu_dma_reclaim_local, cookie, true);
	iova_domain_drain_caches(&cookie->iovad);
}

/*
 * The slow path of an allocation: the space looks full from this CPU.
 * What this CPU holds can be given back at once; what other CPUs hold is
 * theirs to give back, so the reclaim work asks them, and this call fails
 * rather than wait (it may run in interrupt context).
 */
static unsigned long iommu_dma_iova_alloc_slow(struct iommu_dma_cookie *cookie,
					       unsigned long npages,
					       unsigned long limit_pfn)
{
	struct iova_domain *iovad = &cookie->iovad;
	unsigned long pfn;

	if (cookie->fq)
		iommu_dma_fq_reclaim_local(cookie);
	pfn = alloc_iova_fast(iovad, npages, limit_pfn, true);
	if (!pfn)
		schedule_work(&cookie->reclaim_work);
	return pfn;
}

/**
 * iommu_dma_iova_alloc() - allocate an IOVA range for a mapping
 * @domain: a DMA API domain that has been set up
 * @dev: the device the mapping is for
 * @size: bytes, a multiple of the domain's granule
 * @dma_limit: the highest address the device can reach
 *
 * PCI devices are given addresses below 4 GiB first (unless
 * iommu.forcedac), until that part of the space is used up.  The range
 * never leaves the domain's aperture, and is aligned to its size rounded
 * up to a power of two (map_sg's layout relies on it).
 *
 * Return: the IOVA, or 0 if no range is free.
 */
dma_addr_t iommu_dma_iova_alloc(struct iommu_domain *domain,
				struct device *dev, size_t size, u64 dma_limit)
{
	struct iommu_dma_cookie *cookie = iommu_dma_cookie(domain);
	struct iova_domain *iovad = &cookie->iovad;
	unsigned long shift = iova_shift(iovad);
	unsigned long npages = size >> shift;
	unsigned long pfn;

	/* The device's bus may reach less than the device (bus_dma_limit) */
	dma_limit = min_not_zero(dma_limit, dev->bus_dma_limit);
	if (domain->geometry.force_aperture)
		dma_limit = min_t(u64, dma_limit, domain->geometry.aperture_end);

	if (dma_limit > DMA_BIT_MASK(32) && dev_is_pci(dev) &&
	    !iommu_dma_forcedac && !READ_ONCE(cookie->dac_only)) {
		pfn = alloc_iova_fast(iovad, npages, DMA_BIT_MASK(32) >> shift,
				      false);
		if (pfn)
			return (dma_addr_t)pfn << shift;
		WRITE_ONCE(cookie->dac_only, true);
	}

	pfn = alloc_iova_fast(iovad, npages, dma_limit >> shift, false);
	if (unlikely(!pfn))
		pfn = iommu_dma_iova_alloc_slow(cookie, npages,
						dma_limit >> shift);
	return (dma_addr_t)pfn << shift;
}

/**
 * iommu_dma_iova_free() - give back an IOVA range at once
 * @cookie: the domain's cookie
 * @iova: from iommu_dma_iova_alloc()
 * @size: as allocated
 *
 * Only for ranges that nothing was mapped at, or whose unmap has been
 * invalidated: the range may be handed out again right away.
 */
void iommu_dma_iova_free(struct iommu_dma_cookie *cookie, dma_addr_t iova,
			 size_t size)
{
	struct iova_domain *iovad = &cookie->iovad;

	free_iova_fast(iovad, iova_pfn(iovad, iova), size >> iova_shift(iovad));
}

/**
 * iommu_dma_map_range() - map physical memory at a new IOVA
 * @dev: the device
 * @phys: start of the memory, any alignment
 * @size: bytes
 * @prot: IOMMU_READ, IOMMU_WRITE, ... for iommu_map()
 * @dma_limit: the highest address the device can reach
 *
 * The whole granules around [@phys, @phys + @size) are mapped; the handle
 * keeps @phys's offset within its granule.  May run in atomic context.
 *
 * Return: the DMA handle, or DMA_MAPPING_ERROR with nothing allocated or
 * mapped.
 */
dma_addr_t iommu_dma_map_range(struct device *dev, phys_addr_t phys,
			       size_t size, int prot, u64 dma_limit)
{
	struct iommu_domain *domain = iommu_dma_domain(dev);
	struct iommu_dma_cookie *cookie;
	struct iova_domain *iovad;
	size_t offset, len;
	dma_addr_t iova;

	if (unlikely(!domain))
		return DMA_MAPPING_ERROR;
	cookie = iommu_dma_cookie(domain);
	iovad = &cookie->iovad;
	offset = iova_offset(iovad, phys);
	len = iova_align(iovad, size + offset);

	iova = iommu_dma_iova_alloc(domain, dev, len, dma_limit);
	if (unlikely(!iova))
		return DMA_MAPPING_ERROR;
	if (unlikely(iommu_map(domain, iova, phys - offset, len, prot,
			       GFP_ATOMIC))) {
		iommu_dma_iova_free(cookie, iova, len);
		return DMA_MAPPING_ERROR;
	}
	return iova + offset;
}

/*
 * Every unmap of the layer goes through these three steps: a gather that
 * says whether the domain queues its invalidations, iommu_unmap_fast() of
 * the mapped pieces of one IOVA range into that gather, and one commit of
 * the whole range.  A strict domain invalidates once per range, after the
 * last piece, and only then frees the IOVA; a lazy one queues the range,
 * whose IOVA is free again once an invalidation that started after this
 * unmap completed.
 */
static __always_inline struct iommu_dma_fq *
iommu_dma_unmap_prepare(struct iommu_dma_cookie *cookie,
			struct iommu_iotlb_gather *gather)
{
	struct iommu_dma_fq *fq;

	/* Pairs with the release that publishes a new flush queue (fq.c) */
	fq = smp_load_acquire(&cookie->fq);
	iommu_iotlb_gather_init(gather);
	gather->queued = !!fq;
	return fq;
}

/*
 * Inlined, like the preparation, so that iommu_dma_unmap_range(), the
 * unmap_page fast path, keeps the domain, cookie and queue in registers.
 */
static __always_inline void
iommu_dma_unmap_commit(struct iommu_domain *domain,
		       struct iommu_dma_cookie *cookie, struct iommu_dma_fq *fq,
		       struct iommu_iotlb_gather *gather, dma_addr_t iova,
		       size_t len)
{
	struct iova_domain *iovad = &cookie->iovad;

	if (!fq) {
		iommu_iotlb_sync(domain, gather);
		iommu_dma_iova_free(cookie, iova, len);
		return;
	}
	iommu_dma_fq_add(cookie, iova_pfn(iovad, iova),
			 len >> iova_shift(iovad), &gather->freelist);
}

/**
 * iommu_dma_unmap_begin() - start unmapping a range piece by piece
 * @dev: the device whose default domain the range is in
 * @u: the unmap's state, on the caller's stack
 *
 * For ranges with unmapped holes (padded scatterlists): the core's unmap
 * stops at the first hole, so each mapped piece goes to
 * iommu_dma_unmap_piece() and the range to iommu_dma_unmap_end().  May run
 * in atomic context.
 */
void iommu_dma_unmap_begin(struct device *dev, struct iommu_dma_unmap *u)
{
	u->domain = iommu_get_dma_domain(dev);
	u->cookie = iommu_dma_cookie(u->domain);
	u->fq = iommu_dma_unmap_prepare(u->cookie, &u->gather);
}

/**
 * iommu_dma_unmap_piece() - unmap one mapped piece of the range
 * @u: from iommu_dma_unmap_begin()
 * @iova: the piece's first IOVA, aligned to the granule
 * @len: its length, a multiple of the granule
 *
 * Nothing is invalidated yet; see iommu_dma_unmap_end().
 */
void iommu_dma_unmap_piece(struct iommu_dma_unmap *u, dma_addr_t iova,
			   size_t len)
{
	WARN_ON(iommu_unmap_fast(u->domain, iova, len, &u->gather) != len);
}

/**
 * iommu_dma_unmap_end() - invalidate or queue the range, and free it
 * @u: from iommu_dma_unmap_begin(), every piece unmapped
 * @iova: the whole range's first IOVA, as allocated
 * @len: its length, as allocated
 */
void iommu_dma_unmap_end(struct iommu_dma_unmap *u, dma_addr_t iova,
			 size_t len)
{
	iommu_dma_unmap_commit(u->domain, u->cookie, u->fq, &u->gather, iova,
			       len);
}

/**
 * iommu_dma_unmap_range() - unmap an IOVA range and give it back
 * @dev: the device
 * @handle: a handle within the range's first granule
 * @size: bytes from @handle, as mapped
 *
 * Strict domains invalidate the range before this returns and the IOVA is
 * free at once; lazy ones queue it, and it is free once an invalidation
 * that started after this unmap completed.  May run in atomic context.
 */
void iommu_dma_unmap_range(struct device *dev, dma_addr_t handle, size_t size)
{
	struct iommu_domain *domain = iommu_get_dma_domain(dev);
	struct iommu_dma_cookie *cookie = iommu_dma_cookie(domain);
	struct iova_domain *iovad = &cookie->iovad;
	size_t offset = iova_offset(iovad, handle);
	size_t len = iova_align(iovad, size + offset);
	struct iommu_iotlb_gather gather;
	struct iommu_dma_fq *fq;

	fq = iommu_dma_unmap_prepare(cookie, &gather);
	WARN_ON(iommu_unmap_fast(domain, handle - offset, len, &gather) != len);
	iommu_dma_unmap_commit(domain, cookie, fq, &gather, handle - offset,
			       len);
}

static int __init iommu_dma_init(void)
{
	return iova_cache_get();
}
arch_initcall(iommu_dma_init);
