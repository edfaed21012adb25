// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one place a group changes domain.
 *
 * grp_dev_attach_now() is the only caller of a driver's attach_dev(), for
 * iommu_grp_set_domain(), which moves a group's members, for
 * iommu_deferred_attach(), which completes an attach that set_domain() held
 * back, for iommu_grp_release_attach(), which moves a leaving device to
 * its driver's release_domain, and for iommu_grp_reset_{block,unblock}(),
 * which move one member in and out of a PCI reset (reset.c)
 * (tools/testing/iommu/cocci checks this).  Everything
 * else here is a policy check in front of it.  There is no detach: leaving
 * a domain is attaching another one, the core's default or blocking domain
 * when nobody chose any.
 *
 * Invariants, under the group mutex:
 *  - Every member of a group is attached to iommu_group::domain, except
 *    members whose attach is deferred (dev_iommu::attach_deferred) and
 *    members inside a PCI reset (group_device::reset_depth), which are on
 *    the blocking domain.
 *  - A member is only ever deferred while the group's domain is its default
 *    domain.  Its first real attach, to whatever domain, ends the deferral
 *    for good: the hardware then follows our tables (seed 000).
 *  - iommu_group::domain changes only once every member followed it, and a
 *    failed change leaves every member where it was.
 */

#include <linux/bug.h>
#include <linux/cleanup.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <trace/events/iommu.h>

#include "core.h"
#include "trace.h"

/* The one place a deferred attach ends (seed 000) */
static void grp_dev_end_deferral(struct device *dev)
{
	if (!dev->iommu->attach_deferred)
		return;
	dev->iommu->attach_deferred = 0;
	trace_iommu_core_deferred_done(dev, dev->iommu_group->id);
}

/*
 * Attach @dev to @domain in the hardware, deferred or not.  The attach may
 * fail: -EINVAL tells the caller the domain does not suit the device.
 */
static int grp_dev_attach_now(struct device *dev, struct iommu_domain *domain)
{
	const struct iommu_domain_ops *ops = domain->ops;
	int ret = ops->attach_dev ? ops->attach_dev(domain, dev) : -ENODEV;

	if (!ret) {
		trace_attach_device_to_domain(dev);
		/* The hardware follows our tables now: nothing left to defer */
		grp_dev_end_deferral(dev);
	}
	return ret;
}

static bool grp_domain_blocks_all(struct iommu_group *group,
				  struct iommu_domain *domain)
{
	return domain->type == IOMMU_DOMAIN_BLOCKED ||
	       domain == group->blocking_domain;
}

/* Whether member @dev of @group may move to @domain; touches no hardware */
static int grp_dev_may_move(struct iommu_group *group, struct device *dev,
			    struct iommu_domain *domain)
{
	if (!iommu_dev_has_iommu(dev))
		return -ENODEV;

	/*
	 * Firmware DMA into an IOMMU_RESV_DIRECT region may go on at any time:
	 * a domain without the 1:1 mapping would break the platform.  This
	 * keeps such devices away from VFIO and iommufd as well.
	 */
	if (dev->iommu->require_direct && grp_domain_blocks_all(group, domain)) {
		dev_warn(dev,
			 "Firmware has requested this device have a 1:1 IOMMU mapping, rejecting configuring the device without a 1:1 mapping. Contact your platform vendor.\n");
		return -EINVAL;
	}
	return 0;
}

/* Move member @dev of @group to @domain, or leave it deferred */
static int grp_dev_move(struct iommu_group *group, struct device *dev,
			struct iommu_domain *domain)
{
	/*
	 * Seed 000: the DMA that a previous kernel left running goes through
	 * its tables until the driver takes over, so only the default domain
	 * waits; any other domain is a deliberate choice and attaches at once.
	 */
	if (dev->iommu->attach_deferred) {
		if (domain == group->default_domain)
			return 0;
		/*
		 * 6.12's drivers tear the old translation down before they
		 * may refuse a domain (Intel's device_block_translation(),
		 * AMD's detach): even a refused attach ends the deferral, and
		 * the undo of a failed switch attaches this device for real.
		 */
		grp_dev_end_deferral(dev);
	}
	return grp_dev_attach_now(dev, domain);
}

/*
 * Last resort after a driver refused a domain the core cannot do without:
 * leaving @dev on a domain that is about to be freed would be worse than
 * blocking its DMA.
 */
static void grp_dev_block(struct iommu_group *group, struct device *dev,
			  struct iommu_domain *refused)
{
	struct iommu_domain *blocking = iommu_dom_get_blocking(group);

	if (IS_ERR(blocking) || blocking == refused ||
	    grp_dev_attach_now(dev, blocking))
		dev_err(dev, "IOMMU driver refused the blocking domain as well\n");
}

/*
 * Undo the move of @dev during a failed switch away from @prev.  The member
 * that refused the new domain is undone too: the drivers of 6.12 may have
 * blocked it before refusing, while the group still names @prev.
 */
static void grp_dev_restore(struct iommu_group *group, struct device *dev,
			    struct iommu_domain *prev)
{
	int ret;

	/* The switch left it deferred: its hardware was never touched */
	if (dev->iommu->attach_deferred)
		return;
	if (prev) {
		ret = grp_dev_attach_now(dev, prev);
		if (!ret)
			return;
		/* A well behaved driver takes back a domain it just held */
		dev_WARN(dev, "IOMMU driver refused to return to its domain: %d\n",
			 ret);
	}
	grp_dev_block(group, dev, prev);
}

/**
 * iommu_grp_set_domain() - move every device of a group to a domain
 * @group: the group
 * @domain: the domain to move to
 * @flags: IOMMU_SET_MUST_SUCCEED for a return to a core domain
 *
 * Members move one at a time: meanwhile DMA may be translated by either the
 * old or the new domain, or dropped, never anything else.  A member whose
 * attach is deferred stays so when @domain is the default domain.
 *
 * While a member is inside a PCI reset only IOMMU_SET_MUST_SUCCEED moves
 * happen, and they leave that member on the blocking domain: it joins
 * @domain when its reset is done (reset.c).
 *
 * When a member refuses @domain, it and the members moved already go back
 * to the group's current domain and the group stays there.  With
 * IOMMU_SET_MUST_SUCCEED there is nothing to go back to: the member that
 * refused is put on the blocking domain, with a warning, and the others
 * move on.
 *
 * Context: group mutex held.
 * Return: 0 once the group is on @domain; -EBUSY, nothing changed, while a
 * member resets (unless IOMMU_SET_MUST_SUCCEED); otherwise the first errno,
 * the group being on its previous domain, or on @domain (with the refusing
 * members blocked) for IOMMU_SET_MUST_SUCCEED.
 */
int iommu_grp_set_domain(struct iommu_group *group, struct iommu_domain *domain,
			 unsigned int flags)
{
	struct iommu_domain *prev = group->domain;
	struct group_device *gdev, *asked = NULL;
	int first_err = 0;
	int ret;

	iommu_grp_assert_locked(group);
	if (WARN_ON(!domain))
		return -EINVAL;
	/* The domain a resetting member returns to must stay (reset.c) */
	if (group->resetting && !(flags & IOMMU_SET_MUST_SUCCEED))
		return -EBUSY;
	if (domain == prev)
		return 0;

	for_each_group_device(group, gdev) {
		/* Blocked for its reset; it follows the group when that ends */
		if (gdev->reset_depth)
			continue;
		ret = grp_dev_may_move(group, gdev->dev, domain);
		if (!ret) {
			asked = gdev;
			ret = grp_dev_move(group, gdev->dev, domain);
		}
		if (!ret)
			continue;
		if (!(flags & IOMMU_SET_MUST_SUCCEED))
			goto err_undo;
		dev_WARN(gdev->dev, "IOMMU driver refused a core domain: %d\n",
			 ret);
		grp_dev_block(group, gdev->dev, domain);
		first_err = first_err ?: ret;
	}

	/* Lockless readers see the new domain only once it is in place */
	WRITE_ONCE(group->domain, domain);
	trace_iommu_core_domain(group->id, prev ? prev->type : 0, domain->type);
	return first_err;

err_undo:
	/* Every member up to the last one its driver was asked about */
	if (!asked)
		return ret;
	for_each_group_device(group, gdev) {
		grp_dev_restore(group, gdev->dev, prev);
		if (gdev == asked)
			break;
	}
	return ret;
}

/**
 * iommu_grp_reset_block() - put one member on the blocking domain for a reset
 * @group: the group
 * @dev: a member with an IOMMU, about to be reset (reset.c)
 *
 * Only @dev moves: the group's domain and its other members stay where they
 * are.  This is a real attach, so a deferred attach of @dev ends here (the
 * reset ends whatever DMA a previous kernel left running anyway), as it does
 * in grp_dev_move() even when the driver refuses.
 *
 * Context: group mutex held.
 * Return: 0, or the errno of the blocking domain's allocation or attach; @dev
 * is then back on the group's domain (blocked if its driver refuses that too).
 */
int iommu_grp_reset_block(struct iommu_group *group, struct device *dev)
{
	struct iommu_domain *blocking;
	int ret;

	iommu_grp_assert_locked(group);
	blocking = iommu_dom_get_blocking(group);
	if (IS_ERR(blocking))
		return PTR_ERR(blocking);

	grp_dev_end_deferral(dev);
	ret = grp_dev_attach_now(dev, blocking);
	if (ret)
		grp_dev_restore(group, dev, group->domain);
	return ret;
}

/**
 * iommu_grp_reset_unblock() - return a member from its reset to its group
 * @group: the group
 * @dev: a member that iommu_grp_reset_block() blocked
 *
 * @dev joins the domain the group is on now, which a release of the group
 * (IOMMU_SET_MUST_SUCCEED) may have changed during the reset.  A group with
 * no domain yet (its default domain not set up) leaves @dev blocked: its
 * set-up attaches every member.
 *
 * Context: group mutex held.
 */
void iommu_grp_reset_unblock(struct iommu_group *group, struct device *dev)
{
	struct iommu_domain *domain = group->domain;

	iommu_grp_assert_locked(group);
	if (!domain || domain == group->blocking_domain)
		return;
	/* Blocked, with a warning, if its driver refuses its group's domain */
	grp_dev_restore(group, dev, domain);
}

/**
 * iommu_grp_attach_new_member() - bring a new member onto the group's domain
 * @group: the group @dev has just been added to
 * @dev: the new member
 *
 * The member's direct regions are mapped into the group's default domain
 * first, then it is attached to the group's current domain (or left deferred
 * if that is the default domain and its driver asked for it).  Nothing is
 * attached while the group has no domain yet: its default domain is then set
 * up with the member already in, by iommu_dom_setup_default().
 *
 * Context: group mutex held, @dev on the group's member list.
 * Return: 0, or the errno of the attach; the caller takes @dev out again.
 */
int iommu_grp_attach_new_member(struct iommu_group *group, struct device *dev)
{
	iommu_grp_assert_locked(group);

	/* A failure here only costs firmware DMA continuity: go on */
	if (group->default_domain &&
	    iommu_dom_map_direct(group->default_domain, dev))
		dev_warn(dev, "IOMMU driver could not map the firmware's direct regions\n");

	if (!group->domain)
		return 0;
	return grp_dev_may_move(group, dev, group->domain) ?:
	       grp_dev_move(group, dev, group->domain);
}

/**
 * iommu_grp_release_attach() - move a leaving device to its release domain
 * @group: the group @dev is leaving
 * @dev: the device, no longer on the group's member list
 * @rd: its driver's release_domain
 *
 * The driver may then tear the device down while it translates nothing
 * of the group's.  A device whose attach is still deferred was never
 * attached: its hardware is not touched.  A device whose firmware DMAs
 * into a direct region (dev_iommu::require_direct, Arm RMR) goes to the
 * driver's identity domain instead of a blocking release domain, which
 * would cut the firmware off (as later mainline kernels do).
 *
 * Context: group mutex held.
 */
void iommu_grp_release_attach(struct iommu_group *group, struct device *dev,
			      struct iommu_domain *rd)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);

	iommu_grp_assert_locked(group);
	if (dev->iommu->attach_deferred)
		return;
	if (dev->iommu->require_direct && ops->identity_domain &&
	    rd->type == IOMMU_DOMAIN_BLOCKED)
		rd = ops->identity_domain;
	if (grp_dev_attach_now(dev, rd))
		dev_warn(dev, "IOMMU release domain refused the device\n");
}

/**
 * iommu_grp_core_domain() - where the core puts a group nobody chose for
 * @group: the group
 *
 * Context: group mutex held.
 * Return: the blocking domain while a private owner holds the group, the
 * default domain otherwise.
 */
struct iommu_domain *iommu_grp_core_domain(struct iommu_group *group)
{
	iommu_grp_assert_locked(group);
	if (group->owner_state == IOMMU_OWNER_CLAIMED)
		return group->blocking_domain;
	return group->default_domain;
}

/*
 * Attach @domain, a domain of the caller's own, to @group.  One such domain
 * at a time: swapping it for another is iommu_group_replace_domain()'s job.
 */
static int grp_attach_private(struct iommu_group *group,
			      struct iommu_domain *domain)
{
	struct iommu_domain *cur = group->domain;
	struct device *dev;

	iommu_grp_assert_locked(group);
	if (cur && cur != group->default_domain && cur != group->blocking_domain)
		return -EBUSY;
	if (list_empty(&group->devices))
		return -ENODEV;

	/* Domains of another IOMMU driver mean nothing to ours */
	dev = iommu_grp_first_dev(group);
	if (!iommu_dev_has_iommu(dev) || domain->owner != dev_iommu_ops(dev))
		return -EINVAL;
	return iommu_grp_set_domain(group, domain, 0);
}

/*
 * Back to the core's domain, from @domain which the caller believes current.
 * A caller naming another domain is not moved: that could pull a domain from
 * under somebody else.  Return: whether the group was on @domain.
 */
static bool grp_detach_private(struct iommu_group *group,
			       struct iommu_domain *domain)
{
	iommu_grp_assert_locked(group);
	if (domain != group->domain)
		return false;
	iommu_grp_set_domain(group, iommu_grp_core_domain(group),
			     IOMMU_SET_MUST_SUCCEED);
	return true;
}

/**
 * iommu_attach_device() - attach a domain of the caller's own to a device
 * @domain: a paging domain allocated for @dev's IOMMU
 * @dev: a device alone in its IOMMU group
 *
 * For a device's driver that manages its IOVA space itself.  Drivers do not
 * deal with groups, so a device sharing its group with others cannot be
 * attached this way.  This does not claim DMA ownership: a bound driver may
 * use it.
 *
 * Return: 0; -ENODEV if @dev has no group; -EINVAL if it shares its group,
 * or @domain belongs to another IOMMU driver, or the driver found @domain
 * unsuitable (another domain may then work); -EBUSY if the group is on a
 * domain of somebody else's.
 */
int iommu_attach_device(struct iommu_domain *domain, struct device *dev)
{
	struct iommu_group *group = dev->iommu_group;

	if (!group)
		return -ENODEV;

	guard(mutex)(&group->mutex);
	return iommu_grp_is_singleton(group) ?
	       grp_attach_private(group, domain) : -EINVAL;
}
EXPORT_SYMBOL_GPL(iommu_attach_device);

/**
 * iommu_detach_device() - return a device from its driver's own domain
 * @domain: the domain iommu_attach_device() attached
 * @dev: the device
 *
 * The device goes back to the domain the core keeps it in: its default
 * domain, or the blocking domain while the group is claimed.
 */
void iommu_detach_device(struct iommu_domain *domain, struct device *dev)
{
	struct iommu_group *group = dev->iommu_group;

	if (group) {
		guard(mutex)(&group->mutex);
		/*
		 * A shared group never took the domain in the first place; a
		 * driver detaching another domain lost track of its own.
		 */
		if (!WARN_ON(!iommu_grp_is_singleton(group)))
			WARN_ON(!grp_detach_private(group, domain));
	}
}
EXPORT_SYMBOL_GPL(iommu_detach_device);

/**
 * iommu_get_domain_for_dev() - the domain a device is attached to
 * @dev: a device probed by an IOMMU driver, or any other device
 *
 * Lockless: the answer may be stale unless the caller keeps the group from
 * changing domain (as a bound driver does for its own device).
 *
 * Return: the current domain of @dev's group, NULL without one.
 */
struct iommu_domain *iommu_get_domain_for_dev(struct device *dev)
{
	struct iommu_group *group = dev->iommu_group;

	return group ? READ_ONCE(group->domain) : NULL;
}
EXPORT_SYMBOL_GPL(iommu_get_domain_for_dev);

/**
 * iommu_attach_group() - attach a domain to every device of a group
 * @domain: a paging domain allocated for the group's IOMMU
 * @group: the group, claimed by the caller (iommu_group_claim_dma_owner())
 *
 * For VFIO, which owns whole groups.
 *
 * Return: 0; -EBUSY if the group is on another private domain; -EINVAL if
 * @domain belongs to another IOMMU driver or a device refused it; another
 * errno from the driver.  On failure the group stays where it was.
 */
int iommu_attach_group(struct iommu_domain *domain, struct iommu_group *group)
{
	guard(mutex)(&group->mutex);
	return grp_attach_private(group, domain);
}
EXPORT_SYMBOL_GPL(iommu_attach_group);

/**
 * iommu_detach_group() - take a group off its private domain
 * @domain: the domain iommu_attach_group() attached
 * @group: the group
 *
 * The group returns to the blocking domain while still claimed, to its
 * default domain otherwise.  A group that is no longer on @domain stays
 * where it is, quietly: drivers of several devices sharing one group (Tegra
 * DRM) detach it once per device.
 */
void iommu_detach_group(struct iommu_domain *domain, struct iommu_group *group)
{
	guard(mutex)(&group->mutex);
	grp_detach_private(group, domain);
}
EXPORT_SYMBOL_GPL(iommu_detach_group);

/**
 * iommu_group_replace_domain() - switch a group straight to another domain
 * @group: a group claimed by the caller
 * @new_domain: the domain to switch to
 *
 * For iommufd: the group goes from its current domain to @new_domain
 * without passing through the blocking domain.  From a core domain this is
 * iommu_attach_group() without its checks.
 *
 * Return: 0, -EINVAL for a NULL @new_domain, or the errno of the attach, the
 * group then staying on its current domain.
 */
int iommu_group_replace_domain(struct iommu_group *group,
			       struct iommu_domain *new_domain)
{
	if (!new_domain)
		return -EINVAL;

	guard(mutex)(&group->mutex);
	return iommu_grp_set_domain(group, new_domain, 0);
}
EXPORT_SYMBOL_NS_GPL(iommu_group_replace_domain, IOMMUFD_INTERNAL);

/**
 * iommu_deferred_attach() - complete the deferred attach of a device
 * @dev: a device using the DMA API
 * @domain: its DMA domain, the group's current (default) domain
 *
 * The DMA API calls this before it maps anything for @dev: the driver has
 * taken over the device by then, so the default domain may replace the
 * tables a previous kernel left in use.  The attach happens once, under the
 * group mutex like every other attach, so that it cannot interleave with a
 * switch of the group or with the first mapping of another member.
 *
 * Context: once @dev is attached, any context: the call reads one flag and
 * returns, taking no lock, so mappings from atomic context never wait for
 * the group mutex, whoever holds it.  The one call that attaches may sleep,
 * in the group mutex and in the driver's attach_dev() (6.12's Intel, AMD
 * and SMMUv3 drivers allocate or take mutexes there): a driver whose device
 * may be deferred (translation left on by a previous kernel) makes its
 * first mapping from process context, as drivers do from probe.  A lock
 * that cannot sleep is no answer, as attach_dev() may sleep; and attaching
 * without the mutex would race with owner claims and domain switches.
 *
 * Return: 0; -EBUSY while a member of the group is inside a PCI reset; or
 * the errno of the attach; @dev then staying deferred.
 */
int iommu_deferred_attach(struct device *dev, struct iommu_domain *domain)
{
	struct iommu_group *group = dev->iommu_group;

	/*
	 * Unlocked peek: once @dev is in its group the flag only goes from set
	 * to clear, under the group mutex, and it is checked again below.
	 */
	if (!group || !dev->iommu || !dev->iommu->attach_deferred)
		return 0;

	guard(mutex)(&group->mutex);
	if (!dev->iommu->attach_deferred)
		return 0;
	/* A member resets: the group stays as it is, the next mapping retries */
	if (group->resetting)
		return -EBUSY;
	/* Deferred devices only exist in a group on its default domain */
	if (WARN_ON(domain != group->domain))
		return -EINVAL;
	return grp_dev_attach_now(dev, domain);
}
