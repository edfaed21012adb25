// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reserved regions: IOVA ranges a device's IOMMU driver says are special,
 * because they must be mapped 1:1 (IOMMU_RESV_DIRECT), may be mapped 1:1
 * (IOMMU_RESV_DIRECT_RELAXABLE), must never be mapped (IOMMU_RESV_RESERVED)
 * or are an MSI doorbell (IOMMU_RESV_MSI) or the window software maps the
 * doorbell into (IOMMU_RESV_SW_MSI).
 *
 * A device's list comes from its driver and may hold regions the driver
 * frees itself (->free).  A group's list is the core's own: copies of every
 * member's regions, freed with kfree() by callers such as VFIO, sorted by
 * start address and then type, with regions of one type that overlap or
 * touch merged into one.
 *
 * Regions of different types never merge, even where they overlap, since
 * their users tell them apart: VFIO and iommufd let user space map over a
 * DIRECT_RELAXABLE region (firmware mappings a device may lose once it is
 * assigned) but never over a DIRECT or RESERVED one, so an overlapping
 * DIRECT and DIRECT_RELAXABLE pair stays two regions and the strict one is
 * honoured over its whole range; and they use the SW_MSI window for their
 * MSI cookie only when no hardware MSI region is listed at all, so both MSI
 * types must come through as the drivers gave them.
 */
#include <linux/cleanup.h>
#include <linux/device.h>
#include <linux/export.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include "core.h"

/**
 * iommu_get_resv_regions() - get the reserved regions of a device
 * @dev: the device
 * @list: list the regions are added to
 *
 * The regions come from @dev's IOMMU driver; a device without an IOMMU has
 * none.  Release them with iommu_put_resv_regions().
 */
void iommu_get_resv_regions(struct device *dev, struct list_head *list)
{
	const struct iommu_ops *ops;

	if (!iommu_dev_has_iommu(dev))
		return;
	ops = dev_iommu_ops(dev);
	if (ops->get_resv_regions)
		ops->get_resv_regions(dev, list);
}
EXPORT_SYMBOL_GPL(iommu_get_resv_regions);

/**
 * iommu_put_resv_regions() - release a list of reserved regions
 * @dev: the device the list was got for
 * @list: the list from iommu_get_resv_regions(); empty on return
 *
 * A region with a ->free callback belongs to its driver, which frees it;
 * the others are freed here.
 */
void iommu_put_resv_regions(struct device *dev, struct list_head *list)
{
	while (!list_empty(list)) {
		struct iommu_resv_region *region =
			list_first_entry(list, struct iommu_resv_region, list);

		list_del(&region->list);
		if (!region->free)
			kfree(region);
		else
			region->free(dev, region);
	}
}
EXPORT_SYMBOL(iommu_put_resv_regions);

/**
 * iommu_alloc_resv_region() - allocate a reserved region descriptor
 * @start: first address of the region
 * @length: length of the region in bytes
 * @prot: IOMMU_* protection flags for mapping it (DIRECT regions)
 * @type: what the region is
 * @gfp: allocation flags
 *
 * Return: the region, on no list and without a ->free callback, or NULL
 * when out of memory.
 */
struct iommu_resv_region *iommu_alloc_resv_region(phys_addr_t start,
						  size_t length, int prot,
						  enum iommu_resv_type type,
						  gfp_t gfp)
{
	struct iommu_resv_region *region = kmalloc(sizeof(*region), gfp);

	if (!region)
		return NULL;

	*region = (struct iommu_resv_region) {
		.list = LIST_HEAD_INIT(region->list),
		.start = start,
		.length = length,
		.prot = prot,
		.type = type,
	};
	return region;
}
EXPORT_SYMBOL_GPL(iommu_alloc_resv_region);

static phys_addr_t resv_last(const struct iommu_resv_region *region)
{
	return region->start + region->length - 1;
}

/* Whether @a and @b share an address or are adjacent, without overflow */
static bool resv_touch(const struct iommu_resv_region *a,
		       const struct iommu_resv_region *b)
{
	if (a->start > b->start)
		swap(a, b);
	return b->start - a->start <= a->length;
}

/*
 * Add @fresh to @head, a group list: sorted by start address, then type,
 * and no two regions of one type overlapping or touching.  Every region of
 * @fresh's type that touches it is folded into it and freed, then @fresh
 * goes in at its place.  One pass is enough: a region touching the grown
 * @fresh touches @fresh or a region folded into it, and the latter would
 * have broken the invariant before.
 *
 * Merged regions keep every protection flag any of them asked for, so a
 * merged DIRECT region is mapped with the access each member needs.
 */
static void resv_merge(struct iommu_resv_region *fresh, struct list_head *head)
{
	struct iommu_resv_region *region, *tmp;

	list_for_each_entry_safe(region, tmp, head, list) {
		phys_addr_t last;

		if (region->type != fresh->type || !resv_touch(region, fresh))
			continue;
		last = max(resv_last(region), resv_last(fresh));
		fresh->start = min(region->start, fresh->start);
		fresh->length = last - fresh->start + 1;
		fresh->prot |= region->prot;
		list_del(&region->list);
		kfree(region);
	}

	list_for_each_entry(region, head, list) {
		if (region->start > fresh->start ||
		    (region->start == fresh->start && region->type >= fresh->type))
			break;
	}
	/* Before @region, or at the tail when the walk found no later one */
	list_add_tail(&fresh->list, &region->list);
}

/*
 * Append to @out core-owned copies of @dev's regions: the driver's own
 * may carry a ->free that the callers of a group list never call.  Empty
 * regions say nothing and are left out.
 */
static int resv_copy_device(struct device *dev, struct list_head *out)
{
	struct iommu_resv_region *region, *copy;
	LIST_HEAD(regions);
	int ret = 0;

	iommu_get_resv_regions(dev, &regions);
	list_for_each_entry(region, &regions, list) {
		if (!region->length)
			continue;
		copy = iommu_alloc_resv_region(region->start, region->length,
					       region->prot, region->type,
					       GFP_KERNEL);
		if (!copy) {
			ret = -ENOMEM;
			break;
		}
		list_add_tail(&copy->list, out);
	}
	iommu_put_resv_regions(dev, &regions);
	return ret;
}

/**
 * iommu_resv_group_regions() - merge the reserved regions of a group
 * @group: the group
 * @head: the list to merge them into, possibly holding regions of other
 *        groups
 *
 * iommu_get_group_resv_regions() for callers that hold the group mutex.
 * Every region is copied before any is merged: merging cannot fail, so on
 * failure @head is exactly as it was.
 *
 * Return: 0, or -ENOMEM.
 */
int iommu_resv_group_regions(struct iommu_group *group, struct list_head *head)
{
	struct iommu_resv_region *region, *tmp;
	struct group_device *gdev;
	LIST_HEAD(fresh);
	int ret = 0;

	iommu_grp_assert_locked(group);

	for_each_group_device(group, gdev) {
		ret = resv_copy_device(gdev->dev, &fresh);
		if (ret)
			break;
	}
	if (ret) {
		/* Copies have no ->free: no device needed to release them */
		iommu_put_resv_regions(NULL, &fresh);
		return ret;
	}

	list_for_each_entry_safe(region, tmp, &fresh, list) {
		list_del(&region->list);
		resv_merge(region, head);
	}
	return 0;
}

/**
 * iommu_get_group_resv_regions() - get the reserved regions of a group
 * @group: the group
 * @head: the list to merge them into, possibly holding regions of other
 *        groups (VFIO gathers those of every group of a container)
 *
 * The regions of every member, merged: the list stays sorted by start
 * address, then type, and regions of one type that overlap or touch become
 * one.  Regions of different types are kept apart.  The regions are the
 * caller's, to be freed with kfree() or iommu_put_resv_regions().
 *
 * Return: 0, or -ENOMEM with @head unchanged.
 */
int iommu_get_group_resv_regions(struct iommu_group *group,
				 struct list_head *head)
{
	guard(mutex)(&group->mutex);
	return iommu_resv_group_regions(group, head);
}
EXPORT_SYMBOL_GPL(iommu_get_group_resv_regions);
