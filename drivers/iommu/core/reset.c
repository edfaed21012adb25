// SPDX-License-Identifier: GPL-2.0-only
/*
 * PCI functions blocked while they reset.
 *
 * A function that resets may ignore ATS invalidations until it is back, and
 * whatever DMA it issues meanwhile has nothing to do with the translation
 * its driver set up.  The PCI core brackets each reset method with
 * pci_dev_reset_iommu_prepare() and pci_dev_reset_iommu_done() (glue in
 * drivers/pci/), and in between the function's RID is on its group's
 * blocking domain and its PASIDs are torn down, so the IOMMU translates
 * nothing for it and its driver sends it no invalidation.
 *
 * Only the resetting member moves.  Its group keeps its domain and its
 * PASID table, the other members stay on them, and iommu_get_domain_for_dev()
 * still answers the group's domain: that is where the member returns.  While
 * any member resets, the group refuses what could change either and might
 * fail (an attach, a replace, a claim, a default domain change, a PASID
 * attach, a deferred attach) with -EBUSY, changing nothing.  What has no
 * failure path goes on: a release of the group to its default or blocking
 * domain (IOMMU_SET_MUST_SUCCEED) and a PASID detach, both of which leave
 * the resetting member alone.  So done() cannot use anything remembered
 * from prepare(): it returns the member to the group's domain and PASIDs
 * as they are when it runs, and a domain released and freed in between is
 * never seen again.
 *
 * Resets nest: a device-specific reset may run an FLR, CXL's bus reset runs
 * the ordinary one.  group_device::reset_depth counts them; the outermost
 * prepare() blocks and the outermost done() returns.
 *
 * Everything here runs under the group mutex; core.h says who reads what.
 */
#include <linux/bug.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/limits.h>
#include <linux/mutex.h>
#include <linux/pci.h>

#include "../../pci/pci.h"
#include "core.h"

/* Enter a reset of member @dev; group mutex held */
static int reset_enter(struct iommu_group *group, struct device *dev)
{
	struct group_device *gdev = iommu_grp_find_member(group, dev);
	int ret;

	/* Grouped by hand, without an IOMMU: nothing translates its DMA */
	if (!gdev || !iommu_dev_has_iommu(dev))
		return 0;

	if (gdev->reset_depth) {
		/* A reset inside a reset: it is blocked already */
		if (WARN_ON(gdev->reset_depth == UINT_MAX))
			return -EOVERFLOW;
		gdev->reset_depth++;
		return 0;
	}

	ret = iommu_grp_reset_block(group, dev);
	if (ret)
		return ret;
	iommu_pasid_reset_block(group, dev);
	gdev->reset_depth = 1;
	group->resetting++;
	return 0;
}

/* Leave a reset of member @dev; group mutex held */
static void reset_leave(struct iommu_group *group, struct device *dev)
{
	struct group_device *gdev = iommu_grp_find_member(group, dev);

	/*
	 * Not blocked by prepare(): no IOMMU, a prepare() that failed, or a
	 * device that left its group mid-reset (and maybe joined another).
	 */
	if (!gdev || !gdev->reset_depth)
		return;
	if (--gdev->reset_depth)
		return;

	/* No longer skipped by the group's moves: it takes part again */
	group->resetting--;
	iommu_grp_reset_unblock(group, dev);
	iommu_pasid_reset_unblock(group, dev);
}

/**
 * pci_dev_reset_iommu_prepare() - block a PCI function's DMA for a reset
 * @pdev: the function about to be reset
 *
 * Puts @pdev on its group's blocking domain and tears its PASIDs down, the
 * group's domain and PASIDs staying as they are for the other members and
 * for pci_dev_reset_iommu_done().  Until then the group refuses attaches
 * with -EBUSY.  A nested call (a reset inside a reset of @pdev) only counts.
 * A function no IOMMU driver translates needs nothing.
 *
 * Context: process context, from the PCI core's reset methods, each paired
 * with pci_dev_reset_iommu_done(); takes the group mutex.
 * Return: 0, also when there is nothing to block; otherwise the errno of the
 * blocking domain's allocation or attach, with @pdev left translated as
 * before and no done() expected: the caller should not reset it.
 */
int pci_dev_reset_iommu_prepare(struct pci_dev *pdev)
{
	struct iommu_group *group = iommu_group_get(&pdev->dev);
	int ret;

	if (!group)
		return 0;
	mutex_lock(&group->mutex);
	ret = reset_enter(group, &pdev->dev);
	mutex_unlock(&group->mutex);
	iommu_group_put(group);
	return ret;
}

/**
 * pci_dev_reset_iommu_done() - return a PCI function from its reset
 * @pdev: the function whose reset is over
 *
 * Ends what the matching pci_dev_reset_iommu_prepare() began.  The outermost
 * call attaches @pdev to the domain its group is on now, and sets up on it
 * the PASIDs the group has now; both may differ from those at the prepare,
 * if the group was released meanwhile.  A group that still has no domain
 * leaves @pdev blocked until it gets one.  Inner calls, and calls with
 * nothing to end, change nothing.
 *
 * Context: process context, after a successful prepare of the same
 * function; takes the group mutex.
 */
void pci_dev_reset_iommu_done(struct pci_dev *pdev)
{
	struct iommu_group *group = iommu_group_get(&pdev->dev);

	if (!group)
		return;
	mutex_lock(&group->mutex);
	reset_leave(group, &pdev->dev);
	mutex_unlock(&group->mutex);
	iommu_group_put(group);
}
