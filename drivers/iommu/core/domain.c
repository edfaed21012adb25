// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOMMU domains: allocation, freeing, a group's blocking domain, and the
 * 1:1 mappings firmware needs in a default domain.
 *
 * Domains come back from the allocators below as ERR_PTR() on failure, never
 * NULL, except from the legacy iommu_domain_alloc() whose callers test NULL.
 * Which default domain a group gets is policy.c's business.
 */

#define pr_fmt(fmt)	"iommu: " fmt

#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <trace/events/iommu.h>

#include "../dma-iommu.h"
#include "core.h"

/*
 * Fill in what the core owns in a domain a driver just allocated: what it is
 * for, whose it is, and the defaults the driver may leave out.
 */
static struct iommu_domain *dom_adopt(const struct iommu_ops *ops,
				      struct iommu_domain *domain,
				      unsigned int type)
{
	int ret;

	domain->owner = ops;
	domain->type = type;
	domain->pgsize_bitmap = domain->pgsize_bitmap ?: ops->pgsize_bitmap;
	domain->ops = domain->ops ?: ops->default_domain_ops;
	if (!iommu_is_dma_domain(domain))
		return domain;

	ret = iommu_get_dma_cookie(domain);
	if (!ret)
		return domain;
	iommu_domain_free(domain);
	return ERR_PTR(ret);
}

/*
 * Allocate a domain of @type from @ops.  @dev may be NULL for the legacy
 * bus-wide allocation, in which case the driver finalises the domain at its
 * first attach.
 */
static struct iommu_domain *dom_alloc(const struct iommu_ops *ops,
				      struct device *dev, unsigned int type)
{
	struct iommu_domain *shared = NULL;
	struct iommu_domain *domain;

	switch (type) {
	case IOMMU_DOMAIN_IDENTITY:
		shared = ops->identity_domain;
		break;
	case IOMMU_DOMAIN_BLOCKED:
		shared = ops->blocked_domain;
		break;
	case IOMMU_DOMAIN_UNMANAGED:
	case IOMMU_DOMAIN_DMA:
	case IOMMU_DOMAIN_DMA_FQ:
		break;
	default:
		return ERR_PTR(-EINVAL);
	}
	/* A driver's static domain serves every device: never write to it */
	if (shared)
		return shared;

	if (ops->domain_alloc_paging && (type & __IOMMU_DOMAIN_PAGING))
		domain = ops->domain_alloc_paging(dev);
	else if (ops->domain_alloc)
		domain = ops->domain_alloc(type & IOMMU_DOMAIN_ALLOC_FLAGS);
	else
		domain = ERR_PTR(-EOPNOTSUPP);
	/* Old domain_alloc() callbacks say "no" with NULL, newer ones ERR_PTR */
	if (IS_ERR_OR_NULL(domain))
		return domain ?: ERR_PTR(-ENOMEM);
	return dom_adopt(ops, domain, type);
}

/**
 * iommu_dom_alloc_for_dev() - allocate a domain for a device's IOMMU
 * @dev: a device probed by an IOMMU driver
 * @type: IOMMU_DOMAIN_IDENTITY, _BLOCKED, _UNMANAGED, _DMA or _DMA_FQ
 *
 * Identity and blocked domains are the driver's static ones when it has
 * them.  Paging domains come from domain_alloc_paging(), or the legacy
 * domain_alloc(); the core sets their type and owner, fills in the ops and
 * page sizes the driver left out, and gives DMA domains their DMA cookie.
 * The flush queue of a DMA_FQ domain is set up later, by dma-iommu, when
 * the first device's DMA ops are configured; it falls back to DMA there if
 * the queue cannot be allocated.
 *
 * Return: the domain, or an ERR_PTR(); never NULL.
 */
struct iommu_domain *iommu_dom_alloc_for_dev(struct device *dev,
					     unsigned int type)
{
	if (!iommu_dev_has_iommu(dev))
		return ERR_PTR(-ENODEV);
	return dom_alloc(dev_iommu_ops(dev), dev, type);
}

/* Settle on the one IOMMU driver of a bus, for the legacy allocation */
static int dom_bus_pick_ops(struct device *dev, void *data)
{
	const struct iommu_ops **picked = data;
	const struct iommu_ops *ops;

	if (!iommu_dev_has_iommu(dev))
		return 0;
	ops = dev_iommu_ops(dev);
	if (!*picked)
		*picked = ops;
	/* A device of another driver makes the bus ambiguous: stop there */
	return *picked == ops ? 0 : -EBUSY;
}

/**
 * iommu_domain_alloc() - allocate an unmanaged domain for a bus (legacy)
 * @bus: the bus whose devices the domain is meant for
 *
 * Do not use in new code: iommu_paging_domain_alloc() allocates for the
 * IOMMU of the device that is going to use the domain.  This picks the
 * IOMMU driver from the devices on @bus that have one, and cannot choose
 * when several drivers serve the bus.
 *
 * Return: the domain, or NULL.
 */
struct iommu_domain *iommu_domain_alloc(const struct bus_type *bus)
{
	const struct iommu_ops *ops = NULL;
	struct iommu_domain *domain = NULL;
	int ret;

	/* Keeps the driver we pick registered until it has allocated */
	mutex_lock(&iommu_probe_device_lock);
	ret = bus_for_each_dev(bus, NULL, &ops, dom_bus_pick_ops);
	if (ret)
		pr_warn("%s: several IOMMU drivers serve this bus, use iommu_paging_domain_alloc()\n",
			bus->name);
	else if (ops)
		domain = dom_alloc(ops, NULL, IOMMU_DOMAIN_UNMANAGED);
	mutex_unlock(&iommu_probe_device_lock);

	return IS_ERR(domain) ? NULL : domain;
}
EXPORT_SYMBOL_GPL(iommu_domain_alloc);

/**
 * iommu_paging_domain_alloc() - allocate a paging domain for a device
 * @dev: the device whose driver will attach and manage the domain
 *
 * The domain is an IOMMU_DOMAIN_UNMANAGED domain of @dev's IOMMU, for
 * iommu_attach_device() or iommu_attach_group().
 *
 * Return: the domain, ERR_PTR(-ENODEV) if no IOMMU driver probed @dev, or
 * another ERR_PTR() from the driver.
 */
struct iommu_domain *iommu_paging_domain_alloc(struct device *dev)
{
	return iommu_dom_alloc_for_dev(dev, IOMMU_DOMAIN_UNMANAGED);
}
EXPORT_SYMBOL_GPL(iommu_paging_domain_alloc);

/**
 * iommu_domain_free() - free a domain
 * @domain: a domain no device or PASID is attached to any longer
 *
 * Static domains of a driver (no free callback) are left alone, so the core
 * may hand any domain it got from an allocator back here.
 */
void iommu_domain_free(struct iommu_domain *domain)
{
	void (*free_fn)(struct iommu_domain *domain) = domain->ops->free;

	/* iommu-sva.c took a reference on the mm when binding it */
	if (domain->type == IOMMU_DOMAIN_SVA)
		mmdrop(domain->mm);
	/* The cookie may still flush through the domain: drop it first */
	iommu_put_dma_cookie(domain);
	if (free_fn)
		free_fn(domain);
}
EXPORT_SYMBOL_GPL(iommu_domain_free);

/**
 * iommu_set_fault_handler() - install a handler for a domain's faults
 * @domain: the domain
 * @handler: called by report_iommu_fault(), may be NULL to remove it
 * @token: passed back to @handler
 *
 * The handler returns 0 once it dealt with the fault, or an errno to let
 * the IOMMU driver apply its own default behaviour.
 */
void iommu_set_fault_handler(struct iommu_domain *domain,
			     iommu_fault_handler_t handler, void *token)
{
	if (WARN_ON(!domain))
		return;
	domain->handler_token = token;
	domain->handler = handler;
}
EXPORT_SYMBOL_GPL(iommu_set_fault_handler);

/**
 * report_iommu_fault() - report a fault to a domain's user
 * @domain: the domain the faulting device is attached to
 * @dev: the faulting device
 * @iova: the faulting address
 * @flags: IOMMU_FAULT_READ or IOMMU_FAULT_WRITE
 *
 * For IOMMU drivers, from their fault handling (which may be an interrupt
 * handler, so the domain's handler must not sleep).
 *
 * Return: what the domain's handler returned, or -ENOSYS if it has none.
 */
int report_iommu_fault(struct iommu_domain *domain, struct device *dev,
		       unsigned long iova, int flags)
{
	iommu_fault_handler_t handler = domain->handler;
	/* Drivers (arm-smmu) test for this errno to log unhandled faults */
	int ret = -ENOSYS;

	if (handler)
		ret = handler(domain, dev, iova, flags, domain->handler_token);
	trace_io_page_fault(dev, iova, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(report_iommu_fault);

/**
 * iommu_enable_nesting() - make an unmanaged domain a nesting parent
 * @domain: an IOMMU_DOMAIN_UNMANAGED domain, not attached yet
 *
 * Return: 0, or -EINVAL if the domain or its driver cannot nest.
 */
int iommu_enable_nesting(struct iommu_domain *domain)
{
	int (*enable)(struct iommu_domain *domain) =
		domain->ops->enable_nesting;

	return domain->type == IOMMU_DOMAIN_UNMANAGED && enable ?
	       enable(domain) : -EINVAL;
}
EXPORT_SYMBOL_GPL(iommu_enable_nesting);

/**
 * iommu_set_pgtable_quirks() - ask for io-pgtable quirks on a domain
 * @domain: an IOMMU_DOMAIN_UNMANAGED domain, not attached yet
 * @quirk: IO_PGTABLE_QUIRK_* flags
 *
 * Return: 0, or -EINVAL if the domain or its driver takes no quirks.
 */
int iommu_set_pgtable_quirks(struct iommu_domain *domain, unsigned long quirk)
{
	const struct iommu_domain_ops *ops = domain->ops;

	if (domain->type != IOMMU_DOMAIN_UNMANAGED || !ops->set_pgtable_quirks)
		return -EINVAL;
	return ops->set_pgtable_quirks(domain, quirk);
}
EXPORT_SYMBOL_GPL(iommu_set_pgtable_quirks);

/**
 * iommu_group_default_domain() - the default domain of a group
 * @group: the group
 *
 * Return: the domain, or NULL before the group's default domain is set up.
 */
struct iommu_domain *iommu_group_default_domain(struct iommu_group *group)
{
	return READ_ONCE(group->default_domain);
}

/**
 * iommu_get_dma_domain() - the domain the DMA API of a device maps into
 * @dev: a device in a group, whose driver uses the DMA API
 *
 * No lock: the DMA API fast path calls this, and the default domain of a
 * group with a bound DMA API user is not replaced.
 *
 * Return: the default domain of @dev's group.
 */
struct iommu_domain *iommu_get_dma_domain(struct device *dev)
{
	return READ_ONCE(dev->iommu_group->default_domain);
}

/* One run of pages [@start, @end) of a direct region that are not mapped */
static int dom_map_hole(struct iommu_domain *domain, dma_addr_t start,
			dma_addr_t end, int prot, bool *mapped)
{
	int ret;

	if (start >= end)
		return 0;
	ret = iommu_map(domain, start, start, end - start, prot, GFP_KERNEL);
	if (!ret)
		*mapped = true;
	return ret;
}

/*
 * Map @region 1:1 in pages of @granule.  Members of a group often share
 * direct regions, so pages mapped already are stepped over.
 */
static int dom_map_region(struct iommu_domain *domain,
			  struct iommu_resv_region *region,
			  unsigned long granule, bool *mapped)
{
	dma_addr_t end = ALIGN(region->start + region->length, granule);
	dma_addr_t hole = ALIGN_DOWN(region->start, granule);
	dma_addr_t addr;
	int ret;

	for (addr = hole; addr < end; addr += granule) {
		if (!iommu_iova_to_phys(domain, addr))
			continue;
		ret = dom_map_hole(domain, hole, addr, region->prot, mapped);
		if (ret)
			return ret;
		hole = addr + granule;
	}
	return dom_map_hole(domain, hole, end, region->prot, mapped);
}

/**
 * iommu_dom_map_direct() - map a device's direct regions into a domain
 * @domain: a default domain of @dev's group
 * @dev: a member of the group
 *
 * Firmware may keep DMA going across the handover to the kernel (an
 * IOMMU_RESV_DIRECT region: it must stay mapped 1:1 for the device's life;
 * IOMMU_RESV_DIRECT_RELAXABLE: until its driver takes over).  DMA API
 * domains get those mappings before the device is attached to them; other
 * domains are left alone (identity needs none, and owners of unmanaged
 * domains lay out their IOVA space themselves).  Whatever @domain, a device
 * with a DIRECT region is marked dev_iommu::require_direct, which keeps it
 * out of blocking domains.
 *
 * Context: the group mutex of @dev held.
 * Return: 0, or the errno of the mapping that failed.
 */
int iommu_dom_map_direct(struct iommu_domain *domain, struct device *dev)
{
	struct iommu_resv_region *region;
	unsigned long granule;
	LIST_HEAD(regions);
	bool mapped = false;
	int ret = 0;

	iommu_grp_assert_locked(dev->iommu_group);

	iommu_get_resv_regions(dev, &regions);
	list_for_each_entry(region, &regions, list)
		if (region->type == IOMMU_RESV_DIRECT)
			dev->iommu->require_direct = 1;

	if (!iommu_is_dma_domain(domain))
		goto out_put;
	if (WARN_ON_ONCE(!domain->pgsize_bitmap)) {
		ret = -EINVAL;
		goto out_put;
	}
	granule = 1UL << __ffs(domain->pgsize_bitmap);

	list_for_each_entry(region, &regions, list) {
		if (region->type != IOMMU_RESV_DIRECT &&
		    region->type != IOMMU_RESV_DIRECT_RELAXABLE)
			continue;
		ret = dom_map_region(domain, region, granule, &mapped);
		if (ret)
			break;
	}
	if (mapped)
		iommu_flush_iotlb_all(domain);
out_put:
	iommu_put_resv_regions(dev, &regions);
	return ret;
}

/**
 * iommu_dom_get_blocking() - the domain that blocks a group's DMA
 * @group: a group with at least one member
 *
 * The driver's static blocked domain, or one its domain_alloc() gives, or
 * failing both an unmanaged domain nothing is ever mapped into.  Allocated
 * once, and kept until the group's last member leaves.
 *
 * Context: group mutex held.
 * Return: the domain, or an ERR_PTR(); never NULL.
 */
struct iommu_domain *iommu_dom_get_blocking(struct iommu_group *group)
{
	struct iommu_domain *domain = group->blocking_domain;
	struct device *dev;

	iommu_grp_assert_locked(group);
	if (domain)
		return domain;
	if (list_empty(&group->devices))
		return ERR_PTR(-ENODEV);

	dev = iommu_grp_first_dev(group);
	domain = iommu_dom_alloc_for_dev(dev, IOMMU_DOMAIN_BLOCKED);
	if (IS_ERR(domain))
		domain = iommu_dom_alloc_for_dev(dev, IOMMU_DOMAIN_UNMANAGED);
	if (!IS_ERR(domain))
		group->blocking_domain = domain;
	return domain;
}
