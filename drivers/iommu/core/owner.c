// SPDX-License-Identifier: GPL-2.0-only
/*
 * DMA ownership of groups (seed 001).
 *
 * The devices of a group cannot be isolated from each other, so the group
 * as a whole either serves kernel drivers through the DMA API, on its
 * default domain, or belongs to one private owner (VFIO, iommufd), which
 * starts from the blocking domain and attaches what it likes.  Never both:
 * a user-space owner could otherwise reach the memory a kernel driver maps
 * for a device of the same group.
 *
 * own_transition() below is the only writer of iommu_group::owner_state,
 * ::owner_users and ::owner, and the only code that moves a group for its
 * owner; see enum iommu_owner_state for the states.
 */

#include <linux/bug.h>
#include <linux/cleanup.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/xarray.h>

#include "core.h"
#include "trace.h"

enum own_event {
	/* A kernel driver binds to a member and will use the DMA API */
	OWN_USE,
	/* ... and unbinds */
	OWN_UNUSE,
	/* A private owner claims the group, exclusively */
	OWN_CLAIM_GROUP,
	/* A private owner claims a member; claims by one cookie nest */
	OWN_CLAIM_DEVICE,
	/* The group's owner lets go of it, however deep its claims nest */
	OWN_RELEASE_GROUP,
	/* The owner lets go of a member: the last release frees the group */
	OWN_RELEASE_DEVICE,
};

/*
 * Whether another kernel driver may join the DMA API users of @group.  The
 * users that came first may have taken their (singleton) group off the
 * default domain with iommu_attach_device(), or attached PASIDs: a newcomer
 * would then do DMA through a domain it knows nothing about.  The first user
 * is let in whatever the domain: on ARM32 the arch DMA ops attach their own
 * domain before any driver binds, and the driver must still bind.
 */
static bool own_dma_api_shareable(struct iommu_group *group)
{
	return group->domain == group->default_domain &&
	       !iommu_pasid_group_busy(group);
}

/*
 * Whether a private owner may take @group now that nobody uses it: it must
 * be on its default domain (not on one a driver attached and left there),
 * with no PASID attached.
 */
static int own_may_claim(struct iommu_group *group)
{
	if (!group->default_domain || group->domain != group->default_domain ||
	    iommu_pasid_group_busy(group))
		return -EBUSY;
	return 0;
}

/* Whether @group is an IOMMU's (not one of VFIO's groups for others) */
static bool own_translated(struct iommu_group *group)
{
	return !list_empty(&group->devices) &&
	       iommu_dev_has_iommu(iommu_grp_first_dev(group));
}

/*
 * The state machine.  Each event is checked against the current state, the
 * group moves to the domain the new state stands for, and only then is the
 * new state recorded, so that a failed move changes nothing.  Entering
 * CLAIMED may fail; leaving it may not (the owner has nothing to fall back
 * to), so the group then goes to its default domain whatever happens.
 */
static int own_transition(struct iommu_group *group, enum own_event event,
			  void *cookie)
{
	enum iommu_owner_state state = group->owner_state;
	unsigned int users = group->owner_users;
	struct iommu_domain *target = NULL;
	void *owner = group->owner;
	int ret;

	iommu_grp_assert_locked(group);

	switch (event) {
	case OWN_USE:
		/* bus_iommu_probe() adds members first, sets the domain up later */
		if (!group->default_domain && own_translated(group))
			return -EPROBE_DEFER;
		if (state == IOMMU_OWNER_CLAIMED)
			return -EBUSY;
		if (state == IOMMU_OWNER_DMA_API && !own_dma_api_shareable(group))
			return -EBUSY;
		state = IOMMU_OWNER_DMA_API;
		users++;
		break;

	case OWN_UNUSE:
		/* A driver leaving PASIDs behind keeps the group, safely, busy */
		if (WARN_ON(state != IOMMU_OWNER_DMA_API) ||
		    WARN_ON(iommu_pasid_group_busy(group)))
			return -EINVAL;
		if (!--users)
			state = IOMMU_OWNER_FREE;
		break;

	case OWN_CLAIM_DEVICE:
		if (state == IOMMU_OWNER_CLAIMED && owner == cookie) {
			users++;
			break;
		}
		fallthrough;
	case OWN_CLAIM_GROUP:
		/* VFIO reports this errno to user space: it stays -EPERM */
		if (state != IOMMU_OWNER_FREE)
			return -EPERM;
		ret = own_may_claim(group);
		if (ret)
			return ret;
		target = iommu_dom_get_blocking(group);
		if (IS_ERR(target))
			return PTR_ERR(target);
		state = IOMMU_OWNER_CLAIMED;
		users = 1;
		owner = cookie;
		break;

	case OWN_RELEASE_DEVICE:
		if (state == IOMMU_OWNER_CLAIMED && users > 1) {
			users--;
			break;
		}
		fallthrough;
	case OWN_RELEASE_GROUP:
		/*
		 * PASIDs or an attach handle outliving the claim are the
		 * owner's bug.  Keeping the claim lets it detach them and
		 * release again; handing the group to the DMA API with them
		 * still in the table would not be safe.
		 */
		if (WARN_ON(state != IOMMU_OWNER_CLAIMED) ||
		    WARN_ON(!xa_empty(&group->pasids)))
			return -EINVAL;
		target = group->default_domain;
		state = IOMMU_OWNER_FREE;
		users = 0;
		owner = NULL;
		break;
	}

	if (target && state == IOMMU_OWNER_CLAIMED) {
		ret = iommu_grp_set_domain(group, target, 0);
		if (ret)
			return ret;
	} else if (target) {
		iommu_grp_set_domain(group, target, IOMMU_SET_MUST_SUCCEED);
	}

	trace_iommu_core_owner(group->id, group->owner_state, state, users);
	group->owner_state = state;
	group->owner_users = users;
	group->owner = owner;
	return 0;
}

/* Run @event on @group under its mutex */
static int own_run(struct iommu_group *group, enum own_event event,
		   void *cookie)
{
	guard(mutex)(&group->mutex);
	return own_transition(group, event, cookie);
}

/**
 * iommu_device_use_default_domain() - a driver will use the DMA API
 * @dev: the device the driver is about to bind to
 *
 * Called by the driver core before a driver without driver_managed_dma
 * probes.  The device's group serves the DMA API from then on, until
 * iommu_device_unuse_default_domain().
 *
 * Return: 0 (also for a device without a group); -EBUSY if a private owner
 * holds the group, or the group's users moved it off its default domain or
 * attached PASIDs; -EPROBE_DEFER while the group's default domain is still
 * being set up.
 */
int iommu_device_use_default_domain(struct device *dev)
{
	return dev->iommu_group ? own_run(dev->iommu_group, OWN_USE, NULL) : 0;
}

/**
 * iommu_device_unuse_default_domain() - a driver no longer uses the DMA API
 * @dev: the device its driver was unbound from
 *
 * Undoes a successful iommu_device_use_default_domain().
 */
void iommu_device_unuse_default_domain(struct device *dev)
{
	if (dev->iommu_group)
		own_run(dev->iommu_group, OWN_UNUSE, NULL);
}

/**
 * iommu_group_claim_dma_owner() - take a group for exclusive use
 * @group: the group
 * @owner: the caller's cookie, not NULL
 *
 * For VFIO, which owns whole groups.  The group moves to its blocking
 * domain: the owner may let user space at the devices before it attached a
 * domain of its own.  Unlike device claims, group claims do not nest.
 *
 * Return: 0; -EINVAL for a NULL @owner; -EPERM if kernel drivers use the
 * group or it is claimed already; -EBUSY if it is not on its default domain
 * or has PASIDs attached; another errno if the blocking domain could not be
 * set up.  On failure nothing changed.
 */
int iommu_group_claim_dma_owner(struct iommu_group *group, void *owner)
{
	if (WARN_ON(!owner))
		return -EINVAL;
	return own_run(group, OWN_CLAIM_GROUP, owner);
}
EXPORT_SYMBOL_GPL(iommu_group_claim_dma_owner);

/**
 * iommu_device_claim_dma_owner() - take a device's group for exclusive use
 * @dev: the device
 * @owner: the caller's cookie, not NULL
 *
 * As iommu_group_claim_dma_owner(), for owners that deal with devices
 * (iommufd): the devices of a group may all be claimed with the same
 * cookie, each claim to be released with iommu_device_release_dma_owner().
 *
 * Return: 0; -EINVAL for a NULL @owner; -ENODEV if @dev has no group;
 * -EPERM if kernel drivers use the group or another cookie holds it;
 * otherwise as iommu_group_claim_dma_owner().
 */
int iommu_device_claim_dma_owner(struct device *dev, void *owner)
{
	if (WARN_ON(!owner))
		return -EINVAL;
	if (!dev->iommu_group)
		return -ENODEV;
	return own_run(dev->iommu_group, OWN_CLAIM_DEVICE, owner);
}
EXPORT_SYMBOL_GPL(iommu_device_claim_dma_owner);

/**
 * iommu_group_release_dma_owner() - give a claimed group back
 * @group: the group
 *
 * The group returns to its default domain, from whatever domain its owner
 * left it on; its PASIDs must have been detached.
 */
void iommu_group_release_dma_owner(struct iommu_group *group)
{
	own_run(group, OWN_RELEASE_GROUP, NULL);
}
EXPORT_SYMBOL_GPL(iommu_group_release_dma_owner);

/**
 * iommu_device_release_dma_owner() - give back a device claim
 * @dev: the device
 *
 * Undoes one iommu_device_claim_dma_owner(); the last one returns the group
 * to its default domain, as iommu_group_release_dma_owner() does.
 */
void iommu_device_release_dma_owner(struct device *dev)
{
	if (!WARN_ON(!dev->iommu_group))
		own_run(dev->iommu_group, OWN_RELEASE_DEVICE, NULL);
}
EXPORT_SYMBOL_GPL(iommu_device_release_dma_owner);

/**
 * iommu_group_dma_owner_claimed() - whether anybody uses a group's DMA
 * @group: the group
 *
 * A snapshot, for reporting only: the answer may be stale on return.
 *
 * Return: true if kernel drivers use the group through the DMA API or a
 * private owner holds it.
 */
bool iommu_group_dma_owner_claimed(struct iommu_group *group)
{
	guard(mutex)(&group->mutex);
	return iommu_own_is_claimed(group);
}
EXPORT_SYMBOL_GPL(iommu_group_dma_owner_claimed);

/**
 * iommu_own_is_claimed() - whether a group is in use
 * @group: the group
 *
 * A private owner may not take @group, nor may its default domain be
 * replaced, while this holds.
 *
 * Context: group mutex held.
 * Return: true unless the group is IOMMU_OWNER_FREE.
 */
bool iommu_own_is_claimed(struct iommu_group *group)
{
	iommu_grp_assert_locked(group);
	return group->owner_state != IOMMU_OWNER_FREE;
}
