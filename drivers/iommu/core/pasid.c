// SPDX-License-Identifier: GPL-2.0-only
/*
 * PASIDs: domains attached to PASIDs of a device, the attach handles the
 * fault path finds them by, and the allocator of system-wide PASIDs.
 *
 * iommu_group::pasids maps an index to what is attached there: a PASID of
 * the group at indices above IOMMU_NO_PASID, and at
 * IOMMU_NO_PASID the handle of the RID domain a private owner attached with
 * iommu_attach_group_handle() or iommu_replace_group_handle().  An entry is
 * the caller's struct iommu_attach_handle, its ->domain set before the
 * entry is stored.  A PASID attach without a handle stores the domain
 * itself, tagged PASID_ENTRY_BARE, so that detach and device release still
 * know what to tear down while iommu_attach_handle_get() reports no handle
 * for it.  A RID attach without a handle stores nothing: the group's domain
 * says what is attached, and plain iommu_detach_group() undoes it.
 *
 * A PASID belongs to the group, as the RID domain does: the IOMMU cannot
 * tell the members apart, so a PASID attached through one member is set up
 * on every member that supports PASIDs (max_pasids > 0), including members
 * that join later, and torn down on all of them.  Members without PASID
 * support cannot issue PASID traffic and are left alone (real topologies
 * mix them in one group behind a bridge without ACS).
 *
 * The fault path (io-pgfault.c, iommufd) looks entries up with
 * iommu_attach_handle_get() without the group mutex, and must: a detach
 * holds the mutex while the driver's remove_dev_pasid() drains the faults
 * still queued for the PASID (seed 004).  That is safe because:
 *  - writers hold the group mutex and change the table only through xa_*()
 *    calls, each under the xarray lock; the reader holds the xarray lock,
 *    so it sees a change wholly or not at all, and a detach cannot finish
 *    erasing an entry while a reader still looks at its handle's domain;
 *  - an entry is stored only once the driver's set_dev_pasid() (or the RID
 *    attach) has succeeded and handle->domain is set, and is erased before
 *    the driver tears the PASID down: a reader never finds a handle whose
 *    domain is half set up or already gone.  While an attach is under way
 *    its index holds a reserved entry, which reads as empty;
 *  - what a reader found stays valid after it dropped the lock because the
 *    handle's owner flushes the faults that may use it before freeing it:
 *    the driver's remove_dev_pasid() drains them (iopf_queue_flush_dev()),
 *    iopf_queue_remove_device() on the way out, iommufd's answering of
 *    pending faults after a RID detach or replace.
 */
#include <linux/bug.h>
#include <linux/cleanup.h>
#include <linux/device.h>
#include <linux/export.h>
#include <linux/idr.h>
#include <linux/iommu.h>
#include <linux/mutex.h>
#include <linux/xarray.h>

#include "core.h"
#include "trace.h"

/* XArray pointer tag of an entry that is a domain, not a handle */
#define PASID_ENTRY_BARE	1

/* System-wide PASIDs, for devices that must share one PASID space */
static DEFINE_IDA(iommu_global_pasids);

/* What a successful attach publishes; sets the handle's domain. */
static void *pasid_make_entry(struct iommu_domain *domain,
			      struct iommu_attach_handle *handle)
{
	if (!handle)
		return xa_tag_pointer(domain, PASID_ENTRY_BARE);
	handle->domain = domain;
	return handle;
}

static struct iommu_domain *pasid_entry_domain(void *entry)
{
	struct iommu_attach_handle *handle = entry;

	if (xa_pointer_tag(entry) == PASID_ENTRY_BARE)
		return xa_untag_pointer(entry);
	return handle->domain;
}

/*
 * Store the entry of a finished attach at @index, whose slot the caller
 * reserved or already filled under the group mutex: storing into an
 * existing slot allocates nothing, so it cannot fail.
 */
static void pasid_publish(struct iommu_group *group, unsigned long index,
			  struct iommu_domain *domain,
			  struct iommu_attach_handle *handle)
{
	void *old;

	iommu_grp_assert_locked(group);
	old = xa_store(&group->pasids, index, pasid_make_entry(domain, handle),
		       GFP_KERNEL);
	WARN_ON_ONCE(xa_is_err(old));
	trace_iommu_core_pasid(group->id, index, true);
}

/* Whether @dev's PASIDs follow its group's PASID table */
static bool pasid_dev_capable(struct device *dev)
{
	return iommu_dev_has_iommu(dev) && dev->iommu->max_pasids;
}

static void pasid_dev_remove(struct device *dev, ioasid_t pasid,
			     struct iommu_domain *domain)
{
	dev_iommu_ops(dev)->remove_dev_pasid(dev, pasid, domain);
}

/*
 * Tear @pasid down on the PASID-capable members of @group, from the first
 * one up to @last included (all of them for NULL).  A member inside a PCI
 * reset had it torn down at the start of the reset.
 */
static void pasid_remove_members(struct iommu_group *group, ioasid_t pasid,
				 struct iommu_domain *domain,
				 struct group_device *last)
{
	struct group_device *gdev;

	for_each_group_device(group, gdev) {
		if (pasid_dev_capable(gdev->dev) && !gdev->reset_depth)
			pasid_dev_remove(gdev->dev, pasid, domain);
		if (gdev == last)
			break;
	}
}

/*
 * Set @pasid up for @domain on every PASID-capable member of @group, all or
 * nothing: when a driver refuses, the members set up already are torn down.
 */
static int pasid_set_members(struct iommu_group *group, ioasid_t pasid,
			     struct iommu_domain *domain)
{
	struct group_device *gdev, *done = NULL;
	int ret;

	iommu_grp_assert_locked(group);
	for_each_group_device(group, gdev) {
		if (!pasid_dev_capable(gdev->dev))
			continue;
		/* Nothing was attached to the PASID: no old domain */
		ret = domain->ops->set_dev_pasid(domain, gdev->dev, pasid, NULL);
		if (ret)
			goto err_undo;
		done = gdev;
	}
	return 0;

err_undo:
	if (done)
		pasid_remove_members(group, pasid, domain, done);
	return ret;
}

/*
 * Unpublish @pasid of @group, then let the drivers tear it down: once
 * erased, the entry cannot be found by the fault path, and
 * remove_dev_pasid() drains the faults that found it before.
 */
static void pasid_teardown(struct iommu_group *group, ioasid_t pasid,
			   struct iommu_domain *domain)
{
	iommu_grp_assert_locked(group);
	xa_erase(&group->pasids, pasid);
	pasid_remove_members(group, pasid, domain, NULL);
	trace_iommu_core_pasid(group->id, pasid, false);
}

/**
 * iommu_detach_device_pasid() - detach a domain from a PASID of a device
 * @domain: the domain attached with iommu_attach_device_pasid()
 * @dev: the device
 * @pasid: the PASID
 *
 * The PASID's handle is unpublished first, then the driver removes the
 * PASID, draining the faults queued for it.  Once this returns, the fault
 * path no longer uses the handle and the caller may free it.  Detaching a
 * domain that is not attached to @pasid is a caller bug and warns.
 */
void iommu_detach_device_pasid(struct iommu_domain *domain, struct device *dev,
			       ioasid_t pasid)
{
	struct iommu_group *group = dev->iommu_group;
	void *entry;

	if (WARN_ON(!group))
		return;

	guard(mutex)(&group->mutex);
	entry = xa_load(&group->pasids, pasid);
	if (!WARN_ON(pasid == IOMMU_NO_PASID || !entry ||
		     pasid_entry_domain(entry) != domain))
		pasid_teardown(group, pasid, domain);
}
EXPORT_SYMBOL_GPL(iommu_detach_device_pasid);

/* Whether a member of @group other than @dev supports PASIDs */
static bool pasid_others_capable(struct iommu_group *group, struct device *dev)
{
	struct group_device *gdev;

	for_each_group_device(group, gdev)
		if (gdev->dev != dev && pasid_dev_capable(gdev->dev))
			return true;
	return false;
}

/**
 * iommu_pasid_release_device() - drop the PASIDs of a leaving device
 * @group: the device's group
 * @dev: the device, still a member of @group
 *
 * The group's PASIDs are torn down on @dev and stay with the other members.
 * If no other member can use them, a driver forgot to detach them before
 * it unbound: they are unpublished and torn down, with a warning.  The
 * IOMMU_NO_PASID entry is the group owner's and stays.
 */
void iommu_pasid_release_device(struct iommu_group *group, struct device *dev)
{
	struct group_device *gdev = iommu_grp_find_member(group, dev);
	unsigned long pasid;
	void *entry;

	iommu_grp_assert_locked(group);

	if (!pasid_dev_capable(dev))
		return;

	xa_for_each_start(&group->pasids, pasid, entry, IOMMU_NO_PASID + 1) {
		if (!pasid_others_capable(group, dev)) {
			dev_warn(dev, "PASID %lu still attached on release, detaching it\n",
				 pasid);
			xa_erase(&group->pasids, pasid);
			trace_iommu_core_pasid(group->id, pasid, false);
		}
		/* A device leaving mid-reset had its PASIDs torn down already */
		if (!gdev || !gdev->reset_depth)
			pasid_dev_remove(dev, pasid, pasid_entry_domain(entry));
	}
}

/**
 * iommu_pasid_reset_block() - block the PASIDs of a member for its reset
 * @group: the group
 * @dev: a member that reset.c has just put on the blocking domain
 *
 * Every PASID of the group is torn down on @dev, which leaves its PASID
 * traffic untranslated, as the blocking domain leaves its RID traffic.  The
 * table keeps the entries, for the other members, for the fault path and
 * for iommu_pasid_reset_unblock().
 *
 * Context: group mutex held.
 */
void iommu_pasid_reset_block(struct iommu_group *group, struct device *dev)
{
	unsigned long pasid;
	void *entry;

	iommu_grp_assert_locked(group);
	if (!pasid_dev_capable(dev))
		return;
	xa_for_each_start(&group->pasids, pasid, entry, IOMMU_NO_PASID + 1)
		pasid_dev_remove(dev, pasid, pasid_entry_domain(entry));
}

/**
 * iommu_pasid_reset_unblock() - give a member back its group's PASIDs
 * @group: the group
 * @dev: a member whose reset is done, back on the group's RID domain
 *
 * The PASIDs set up are those the table holds now: the ones detached during
 * the reset are gone from it (no attach could add any).  A PASID the driver
 * refuses stays torn down on @dev, with a warning: its DMA on that PASID is
 * then blocked, never translated by a domain the core does not know of.
 *
 * Context: group mutex held.
 */
void iommu_pasid_reset_unblock(struct iommu_group *group, struct device *dev)
{
	struct iommu_domain *domain;
	unsigned long pasid;
	void *entry;
	int ret;

	iommu_grp_assert_locked(group);
	if (!pasid_dev_capable(dev))
		return;
	xa_for_each_start(&group->pasids, pasid, entry, IOMMU_NO_PASID + 1) {
		domain = pasid_entry_domain(entry);
		/* Torn down at the start of the reset: no old domain */
		ret = domain->ops->set_dev_pasid(domain, dev, pasid, NULL);
		if (ret)
			dev_warn(dev, "PASID %lu not set up again after reset: %d\n",
				 pasid, ret);
	}
}

/**
 * iommu_pasid_add_member() - give a new member the PASIDs of its group
 * @group: the group
 * @dev: its new member, attached to the group's RID domain already
 *
 * A member that supports PASIDs gets every PASID the group has; one that
 * cannot take them all (a PASID beyond its range, or its driver refuses)
 * is refused, as its DMA would reach those PASIDs' address spaces without
 * the driver knowing.  A member without PASID support joins as it is.
 *
 * Context: group mutex held.
 * Return: 0, or an errno with nothing set up on @dev.
 */
int iommu_pasid_add_member(struct iommu_group *group, struct device *dev)
{
	unsigned long pasid, done;
	void *entry;
	int ret = 0;

	iommu_grp_assert_locked(group);

	if (!pasid_dev_capable(dev))
		return 0;

	xa_for_each_start(&group->pasids, pasid, entry, IOMMU_NO_PASID + 1) {
		struct iommu_domain *domain = pasid_entry_domain(entry);

		if (pasid >= dev->iommu->max_pasids)
			ret = -EBUSY;
		else
			ret = domain->ops->set_dev_pasid(domain, dev, pasid, NULL);
		if (ret)
			goto err_undo;
	}
	return 0;

err_undo:
	dev_warn(dev, "cannot take PASID %lu of group %d: %d\n", pasid,
		 group->id, ret);
	xa_for_each_range(&group->pasids, done, entry, IOMMU_NO_PASID + 1,
			  pasid - 1)
		pasid_dev_remove(dev, done, pasid_entry_domain(entry));
	return ret;
}

/*
 * Whether a PASID of @group's device has a domain.  The IOMMU_NO_PASID
 * entry does not count: it is the RID attach of the group's private owner.
 */
bool iommu_pasid_group_busy(struct iommu_group *group)
{
	unsigned long index = IOMMU_NO_PASID + 1;

	iommu_grp_assert_locked(group);
	return xa_find(&group->pasids, &index, ULONG_MAX, XA_PRESENT);
}

/* The checks of a PASID attach that need no lock */
static int pasid_attach_check(struct iommu_domain *domain, struct device *dev,
			      ioasid_t pasid)
{
	const struct iommu_ops *ops;

	if (!domain->ops->set_dev_pasid)
		return -EOPNOTSUPP;
	if (!iommu_dev_has_iommu(dev))
		return -ENODEV;

	ops = dev_iommu_ops(dev);
	if (domain->owner != ops)
		return -EINVAL;
	/* An attach the core could not undo is no attach */
	if (!ops->remove_dev_pasid)
		return -EOPNOTSUPP;

	/*
	 * IOMMU_NO_PASID is the untagged traffic, which follows the group's
	 * domain.  max_pasids is 0 for a device without PASID support, so that
	 * one is refused every PASID.
	 */
	if (pasid == IOMMU_NO_PASID || pasid >= dev->iommu->max_pasids)
		return -EINVAL;
	return 0;
}

/*
 * Attach @domain to @pasid of every PASID-capable member of @group and
 * publish the entry once all of them have it set up.
 */
static int pasid_attach_locked(struct iommu_group *group,
			       struct iommu_domain *domain, ioasid_t pasid,
			       struct iommu_attach_handle *handle)
{
	struct group_device *gdev;
	int ret;

	iommu_grp_assert_locked(group);

	/* A resetting member must find the table as it left it (reset.c) */
	if (group->resetting)
		return -EBUSY;

	/* The PASID must exist on every member that will carry it */
	for_each_group_device(group, gdev)
		if (pasid_dev_capable(gdev->dev) &&
		    pasid >= gdev->dev->iommu->max_pasids)
			return -EINVAL;

	/*
	 * Claim the index with a reserved entry, which the fault path reads
	 * as empty (-EBUSY if the PASID is taken), then set the members up.
	 * Either failing, the reservation goes; xa_release() leaves alone the
	 * entry of a PASID that was taken.
	 */
	ret = xa_insert(&group->pasids, pasid, NULL, GFP_KERNEL) ?:
	      pasid_set_members(group, pasid, domain);
	if (!ret) {
		pasid_publish(group, pasid, domain, handle);
		return 0;
	}
	xa_release(&group->pasids, pasid);
	return ret;
}

/**
 * iommu_attach_device_pasid() - attach a domain to a PASID of a device
 * @domain: the domain; its driver must be @dev's and implement
 *          set_dev_pasid()
 * @dev: the device, bound to the caller's driver
 * @pasid: the PASID, from IOMMU_NO_PASID + 1 to @dev's max_pasids - 1
 * @handle: the attach handle iommu_attach_handle_get() will return for the
 *          PASID, with its domain set to @domain; or NULL for none
 *
 * The PASID is the group's: it is set up on every member of @dev's group
 * that supports PASIDs.  @dev itself must support it.
 *
 * Return: 0 on success; -ENODEV if @dev has no IOMMU group or IOMMU;
 * -EOPNOTSUPP if the domain or the driver cannot attach PASIDs; -EINVAL for
 * an invalid @pasid or one out of the range of @dev or of another member
 * with PASIDs, or a domain of another driver; -EBUSY if @pasid already has
 * a domain or a member of the group is inside a PCI reset; or the driver's
 * error.  On failure nothing changed, @handle
 * included.
 */
int iommu_attach_device_pasid(struct iommu_domain *domain, struct device *dev,
			      ioasid_t pasid, struct iommu_attach_handle *handle)
{
	struct iommu_group *group = dev->iommu_group;
	int ret;

	if (!group)
		return -ENODEV;

	ret = pasid_attach_check(domain, dev, pasid);
	if (ret)
		return ret;

	guard(mutex)(&group->mutex);
	return pasid_attach_locked(group, domain, pasid, handle);
}
EXPORT_SYMBOL_GPL(iommu_attach_device_pasid);

/**
 * iommu_attach_handle_get() - find the attach handle of a PASID
 * @group: the group
 * @pasid: the PASID, IOMMU_NO_PASID for the group's RID attach
 * @type: the IOMMU_DOMAIN_* type the handle's domain must have, 0 for any
 *
 * Callable from the fault path: it takes only the xarray lock, never the
 * group mutex (see the top of this file).  The handle stays valid for as
 * long as its owner keeps it attached; owners flush the faults that may
 * use it before they free it.
 *
 * Return: the handle; ERR_PTR(-ENOENT) if the PASID has no domain, or one
 * attached without a handle; ERR_PTR(-EBUSY) if its domain is not of @type.
 */
struct iommu_attach_handle *
iommu_attach_handle_get(struct iommu_group *group, ioasid_t pasid,
			unsigned int type)
{
	struct iommu_attach_handle *found = ERR_PTR(-ENOENT);
	void *entry;

	xa_lock(&group->pasids);
	entry = xa_load(&group->pasids, pasid);
	if (entry && xa_pointer_tag(entry) != PASID_ENTRY_BARE) {
		found = entry;
		/* Under the lock: a detach cannot free the domain meanwhile */
		if (type && found->domain->type != type)
			found = ERR_PTR(-EBUSY);
	}
	xa_unlock(&group->pasids);
	return found;
}
EXPORT_SYMBOL_NS_GPL(iommu_attach_handle_get, IOMMUFD_INTERNAL);

/*
 * Move @group to @domain and publish @handle for its RID, under the rules of
 * iommu_attach_group() (@replace false: the group must be in a core domain
 * and have no RID entry) or iommu_group_replace_domain() (@replace true: any
 * domain, the previous entry replaced).  Either way @domain must come from
 * the group's driver.  On failure the group and its entry are unchanged.
 */
static int pasid_rid_switch(struct iommu_group *group,
			    struct iommu_domain *domain,
			    struct iommu_attach_handle *handle, bool replace)
{
	struct device *dev;
	int ret;

	iommu_grp_assert_locked(group);

	if (!domain)
		return -EINVAL;
	if (list_empty(&group->devices))
		return -ENODEV;
	if (!replace && group->domain &&
	    group->domain != group->default_domain &&
	    group->domain != group->blocking_domain)
		return -EBUSY;
	dev = iommu_grp_first_dev(group);
	if (!iommu_dev_has_iommu(dev) || dev_iommu_ops(dev) != domain->owner)
		return -EINVAL;

	/*
	 * Have the slot exist before the switch, so that publishing after it
	 * cannot fail.  An attach claims it, -EBUSY if taken; a replace keeps
	 * the previous entry there until the new one overwrites it.
	 */
	if (replace)
		ret = xa_reserve(&group->pasids, IOMMU_NO_PASID, GFP_KERNEL);
	else
		ret = xa_insert(&group->pasids, IOMMU_NO_PASID, NULL, GFP_KERNEL);
	if (ret)
		return ret;

	ret = iommu_grp_set_domain(group, domain, 0);
	if (ret) {
		/* Drops a reservation only, never a previous entry */
		xa_release(&group->pasids, IOMMU_NO_PASID);
		return ret;
	}
	if (handle)
		pasid_publish(group, IOMMU_NO_PASID, domain, handle);
	else
		xa_erase(&group->pasids, IOMMU_NO_PASID);
	return 0;
}

/**
 * iommu_attach_group_handle() - attach a domain to a group, with a handle
 * @domain: the domain
 * @group: the group, claimed by the caller
 * @handle: the handle iommu_attach_handle_get() returns for IOMMU_NO_PASID
 *          while @domain is attached, its domain set to @domain; or NULL
 *
 * iommu_attach_group() that also publishes @handle, so that the faults of
 * untagged DMA reach the caller (iommufd).  As there, the group must be in
 * a core domain (default or blocking).
 *
 * Return: 0 on success; -EBUSY if the group is in a domain of its owner's
 * or already has a handle; -EINVAL for a domain of another driver; or the
 * attach's error.  On failure nothing changed.
 */
int iommu_attach_group_handle(struct iommu_domain *domain,
			      struct iommu_group *group,
			      struct iommu_attach_handle *handle)
{
	guard(mutex)(&group->mutex);
	return pasid_rid_switch(group, domain, handle, false);
}
EXPORT_SYMBOL_NS_GPL(iommu_attach_group_handle, IOMMUFD_INTERNAL);

/**
 * iommu_detach_group_handle() - detach a domain attached with a handle
 * @domain: the domain attached with iommu_attach_group_handle() or
 *          iommu_replace_group_handle()
 * @group: the group
 *
 * The handle is unpublished, then the group goes back to its core domain
 * (blocking while claimed), as with iommu_detach_group().  The caller
 * answers the faults still pending on the handle before freeing it.
 */
void iommu_detach_group_handle(struct iommu_domain *domain,
			       struct iommu_group *group)
{
	guard(mutex)(&group->mutex);
	xa_erase(&group->pasids, IOMMU_NO_PASID);
	iommu_grp_set_domain(group, iommu_grp_core_domain(group),
			     IOMMU_SET_MUST_SUCCEED);
}
EXPORT_SYMBOL_NS_GPL(iommu_detach_group_handle, IOMMUFD_INTERNAL);

/**
 * iommu_replace_group_handle() - switch a group to a domain, with a handle
 * @group: the group, claimed by the caller
 * @new_domain: the domain to switch to
 * @handle: the handle to publish for IOMMU_NO_PASID, its domain set to
 *          @new_domain; or NULL for none
 *
 * iommu_group_replace_domain() that also replaces the handle: the group
 * switches without passing through the blocking domain, then @handle
 * replaces the previous one.  A fault taken in between still finds the
 * previous handle, whose owner answers it after this returns.
 *
 * Return: 0 on success; -EINVAL without @new_domain or for a domain of
 * another driver; or the attach's error, the group and its previous handle
 * then being unchanged.
 */
int iommu_replace_group_handle(struct iommu_group *group,
			       struct iommu_domain *new_domain,
			       struct iommu_attach_handle *handle)
{
	guard(mutex)(&group->mutex);
	return pasid_rid_switch(group, new_domain, handle, true);
}
EXPORT_SYMBOL_NS_GPL(iommu_replace_group_handle, IOMMUFD_INTERNAL);

/**
 * iommu_alloc_global_pasid() - allocate a PASID unique in the system
 * @dev: the device that will use it
 *
 * For devices that share one PASID space with the CPU or with each other
 * (ENQCMD, SVA on several devices).  The PASID is below @dev's max_pasids.
 *
 * Return: the PASID, or IOMMU_PASID_INVALID if @dev has no PASIDs or none
 * is free.
 */
ioasid_t iommu_alloc_global_pasid(struct device *dev)
{
	u32 nr = dev->iommu ? dev->iommu->max_pasids : 0;
	int id;

	if (nr <= IOMMU_FIRST_GLOBAL_PASID)
		return IOMMU_PASID_INVALID;

	id = ida_alloc_range(&iommu_global_pasids, IOMMU_FIRST_GLOBAL_PASID,
			     nr - 1, GFP_KERNEL);
	return id < 0 ? IOMMU_PASID_INVALID : id;
}
EXPORT_SYMBOL_GPL(iommu_alloc_global_pasid);

/**
 * iommu_free_global_pasid() - free a PASID from iommu_alloc_global_pasid()
 * @pasid: the PASID
 */
void iommu_free_global_pasid(ioasid_t pasid)
{
	/* Neither can come from the allocator: a caller bug */
	if (WARN_ON_ONCE(pasid == IOMMU_PASID_INVALID ||
			 pasid < IOMMU_FIRST_GLOBAL_PASID))
		return;
	ida_free(&iommu_global_pasids, pasid);
}
EXPORT_SYMBOL_GPL(iommu_free_global_pasid);
