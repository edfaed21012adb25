// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOMMU groups: their lifetime, their ids and their members.  Which
 * devices share a group is the driver's device_group() answer (topology.c
 * has the standard ones).
 *
 * A group's lifetime is its sysfs presence.  iommu_group_alloc() makes
 * /sys/kernel/iommu_groups/<id>/ with its "devices" directory; the group's
 * reference count is the reference count of that "devices" kobject, whose
 * parent reference in turn pins the group's own kobject.  When the last
 * reference goes, kobject_cleanup() removes "devices", then drops the
 * parent reference, which removes the group's directory (waiting for any
 * sysfs reader or writer still inside an attribute) and only then calls
 * iommu_grp_release().  No sysfs callback can therefore run on a group
 * that is being freed.
 */

#define pr_fmt(fmt) "iommu: " fmt

#include <linux/device.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/init.h>
#include <linux/iommu.h>
#include <linux/kobject.h>
#include <linux/lockdep.h>
#include <linux/msi.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/xarray.h>
#include <trace/events/iommu.h>

#include "core.h"

/*
 * A group is allocated together with the kobject of its "devices"
 * directory, so that the memory behind iommu_group::devices_kobj lives
 * exactly as long as the group does (see iommu_grp_get_next()).
 */
struct iommu_grp_alloc {
	struct iommu_group group;
	struct kobject devices;
};

/* /sys/kernel/iommu_groups, created by iommu_grp_init() */
static struct kset *iommu_groups_kset;

/*
 * Serialises iommu_group_set_name() calls, which write iommu_group::name.
 * Innermost but for kernfs: drivers may hold their own locks around it.
 */
static DEFINE_MUTEX(iommu_grp_name_lock);

/*
 * Every group by id, ids handed out from 0 upwards (they are also the
 * sysfs names).  iommu_group_alloc() reserves a slot first and stores the
 * group in it only once the group is fully formed; iommu_grp_release()
 * erases the slot before freeing the group.  So under the xarray lock an
 * entry always points to allocated memory, but possibly to a group whose
 * last reference is already gone: a reader takes a reference under the
 * xarray lock, and only with kobject_get_unless_zero().
 */
static DEFINE_XARRAY_ALLOC(iommu_groups);

/**
 * iommu_group_set_iommudata() - attach IOMMU driver data to a group
 * @group: the group, on which the caller holds a reference
 * @iommu_data: the data
 * @release: called with @iommu_data when the group is freed, may be NULL
 *
 * Drivers set this while creating the group in their device_group()
 * callback, before anybody else can look at it.
 */
void iommu_group_set_iommudata(struct iommu_group *group, void *iommu_data,
			       void (*release)(void *iommu_data))
{
	group->iommu_data = iommu_data;
	group->iommu_data_release = release;
}
EXPORT_SYMBOL_GPL(iommu_group_set_iommudata);

/**
 * iommu_group_get_iommudata() - the IOMMU driver's private data of a group
 * @group: the group, on which the caller holds a reference
 *
 * Return: what iommu_group_set_iommudata() stored, NULL if nothing.
 */
void *iommu_group_get_iommudata(struct iommu_group *group)
{
	return group->iommu_data;
}
EXPORT_SYMBOL_GPL(iommu_group_get_iommudata);

/*
 * Domains of a group nobody can reach any more: no member is left, so no
 * device is attached to them and no driver callback can be using them.
 * A driver's static domains (ops without ->free) are left alone by
 * iommu_domain_free(); the blocking domain may be the very same static
 * domain as the default one and is then not handed over twice.
 */
static void iommu_grp_drop_domains(struct iommu_group *group)
{
	struct iommu_domain *def = group->default_domain;
	struct iommu_domain *blocking = group->blocking_domain;

	group->default_domain = NULL;
	group->blocking_domain = NULL;

	if (blocking && blocking != def)
		iommu_domain_free(blocking);
	if (def)
		iommu_domain_free(def);
}

/**
 * iommu_grp_free_domains() - free the domains of a group that became empty
 * @group: the group, which has no member left
 *
 * Domain ops live in the IOMMU driver's module: they must be freed after
 * the last member's release_device() and before the module reference that
 * member held is dropped, not whenever the last group reference goes (VFIO
 * may hold one long after).  A member joining later gets a new default
 * domain, as for a new group.  Group mutex held.
 */
void iommu_grp_free_domains(struct iommu_group *group)
{
	iommu_grp_assert_locked(group);
	if (WARN_ON(!list_empty(&group->devices)))
		return;
	WRITE_ONCE(group->domain, NULL);
	iommu_grp_drop_domains(group);
}

static void iommu_grp_release(struct kobject *kobj)
{
	struct iommu_group *group = container_of(kobj, struct iommu_group, kobj);

	pr_debug("releasing group %d\n", group->id);
	iommu_grp_debugfs_remove(group);

	/* Every member holds a reference: nobody can still be in the group */
	WARN_ON(!list_empty(&group->devices));
	iommu_grp_drop_domains(group);

	if (group->iommu_data_release)
		group->iommu_data_release(group->iommu_data);

	/* Each PASID attach is undone, and its entry erased, before its device leaves */
	WARN_ON(!xa_empty(&group->pasids));
	xa_destroy(&group->pasids);
	mutex_destroy(&group->mutex);

	xa_erase(&iommu_groups, group->id);
	kfree(group->name);
	kfree(container_of(group, struct iommu_grp_alloc, group));
}

static const struct kobj_type iommu_grp_ktype = {
	.sysfs_ops = &kobj_sysfs_ops,
	.release = iommu_grp_release,
};

/*
 * The "devices" kobject is part of the group's allocation (struct
 * iommu_grp_alloc): there is nothing to free here.  kobject_cleanup()
 * drops its reference on the group's kobject after this returns, and that
 * is what frees the memory, in iommu_grp_release().
 */
static void iommu_grp_devices_release(struct kobject *kobj)
{
}

static const struct kobj_type iommu_grp_devices_ktype = {
	.release = iommu_grp_devices_release,
};

/**
 * iommu_group_alloc() - create a new, empty IOMMU group
 *
 * The group appears in sysfs as /sys/kernel/iommu_groups/<id>.  IOMMU
 * drivers call this from their device_group() callback, VFIO for the
 * groups it makes up for devices without an IOMMU.
 *
 * Return: the group, holding one reference for the caller (dropped with
 * iommu_group_put(); every member holds its own), or an ERR_PTR().
 */
struct iommu_group *iommu_group_alloc(void)
{
	struct iommu_grp_alloc *alloc;
	struct iommu_group *group;
	u32 id;
	int ret;

	if (WARN_ON(!iommu_groups_kset))
		return ERR_PTR(-ENODEV);

	alloc = kzalloc(sizeof(*alloc), GFP_KERNEL);
	if (!alloc)
		return ERR_PTR(-ENOMEM);
	group = &alloc->group;

	/* A NULL entry reserves the id without publishing the group */
	ret = xa_alloc(&iommu_groups, &id, NULL, xa_limit_31b, GFP_KERNEL);
	if (ret) {
		kfree(alloc);
		return ERR_PTR(ret);
	}
	group->id = id;
	mutex_init(&group->mutex);
	INIT_LIST_HEAD(&group->devices);
	INIT_LIST_HEAD(&group->setup_node);
	/* owner_state is IOMMU_OWNER_FREE (0): only owner.c changes it */
	xa_init(&group->pasids);
	group->devices_kobj = &alloc->devices;

	/* From here on, the kobject's release undoes everything above */
	group->kobj.kset = iommu_groups_kset;
	ret = kobject_init_and_add(&group->kobj, &iommu_grp_ktype, NULL, "%d",
				   group->id);
	if (ret)
		goto err_put_group;

	ret = kobject_init_and_add(group->devices_kobj, &iommu_grp_devices_ktype,
				   &group->kobj, "devices");
	if (!ret)
		ret = iommu_grp_sysfs_update(group, true);
	if (ret) {
		/* Initialised even on failure: the put is what undoes it */
		kobject_put(group->devices_kobj);
		goto err_put_group;
	}

	/*
	 * Hand the group's lifetime over to the "devices" kobject: its parent
	 * reference now keeps the group alive, and its own count, which the
	 * caller owns from here, is the group's reference count.
	 */
	kobject_put(&group->kobj);

	iommu_grp_debugfs_add(group);
	/* The slot exists since xa_alloc(): replacing its entry cannot fail */
	xa_store(&iommu_groups, group->id, group, GFP_KERNEL);

	pr_debug("allocated group %d\n", group->id);
	return group;

err_put_group:
	kobject_put(&group->kobj);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(iommu_group_alloc);

/**
 * iommu_group_id() - the id of a group
 * @group: the group
 *
 * Return: the id, which is also the group's directory name in
 * /sys/kernel/iommu_groups.
 */
int iommu_group_id(struct iommu_group *group)
{
	return group->id;
}
EXPORT_SYMBOL_GPL(iommu_group_id);

/**
 * iommu_group_ref_get() - take one more reference on a group
 * @group: the group, not NULL, on which the caller holds a reference
 *
 * Return: @group.
 */
struct iommu_group *iommu_group_ref_get(struct iommu_group *group)
{
	kobject_get(group->devices_kobj);
	return group;
}
EXPORT_SYMBOL_GPL(iommu_group_ref_get);

/**
 * iommu_group_get() - the group of a device, with a reference
 * @dev: the device
 *
 * Return: the group, to be released with iommu_group_put(), or NULL when
 * @dev is in no group.
 */
struct iommu_group *iommu_group_get(struct device *dev)
{
	struct iommu_group *group = dev->iommu_group;

	return group ? iommu_group_ref_get(group) : NULL;
}
EXPORT_SYMBOL_GPL(iommu_group_get);

/**
 * iommu_group_put() - drop a reference on a group
 * @group: the group, or NULL
 *
 * The last reference frees the group, which removes its sysfs directory
 * and waits for the readers and writers of its attributes: it must not be
 * dropped under any group mutex.
 */
void iommu_group_put(struct iommu_group *group)
{
	if (group)
		kobject_put(group->devices_kobj);
}
EXPORT_SYMBOL_GPL(iommu_group_put);

/*
 * The first group at or after *@id that is not being released, with a
 * reference, and its id in *@id; NULL past the last group.
 */
static struct iommu_group *iommu_grp_get_next(unsigned long *id)
{
	struct iommu_group *group;
	unsigned long index;

	xa_lock(&iommu_groups);
	xa_for_each_start(&iommu_groups, index, group, *id) {
		if (kobject_get_unless_zero(group->devices_kobj))
			break;
	}
	xa_unlock(&iommu_groups);

	*id = index;
	return group;
}

/*
 * Call @fn on every group, in id order, holding a reference on the group
 * but no lock: @fn may sleep and take the group mutex.  Groups created
 * during the walk may or may not be visited.
 */
void iommu_grp_for_each(void (*fn)(struct iommu_group *group, void *data),
			void *data)
{
	struct iommu_group *group;
	unsigned long id = 0;

	while ((group = iommu_grp_get_next(&id))) {
		fn(group, data);
		iommu_group_put(group);
		id++;
	}
}

/*
 * Link @gdev's device into the group's "devices" directory under its own
 * name or, when a device of the same name from another bus is there
 * already, under "<name>.<n>".  The group has fewer members than the
 * number of names tried, so one of them is free.
 */
static int iommu_grp_link_member(struct iommu_group *group,
				 struct group_device *gdev)
{
	const char *base = kobject_name(&gdev->dev->kobj);
	size_t members = list_count_nodes(&group->devices);
	int n, ret = -EEXIST;

	for (n = -1; n < (int)members; n++) {
		if (n < 0)
			gdev->link_name = kstrdup(base, GFP_KERNEL);
		else
			gdev->link_name = kasprintf(GFP_KERNEL, "%s.%d",
						    base, n);
		if (!gdev->link_name)
			return -ENOMEM;

		ret = sysfs_create_link_nowarn(group->devices_kobj,
					       &gdev->dev->kobj,
					       gdev->link_name);
		if (ret != -EEXIST)
			break;
		kfree(gdev->link_name);
		gdev->link_name = NULL;
	}
	if (ret) {
		kfree(gdev->link_name);
		gdev->link_name = NULL;
	}
	return ret;
}

/*
 * Make @dev a member of @group: its "iommu_group" link, its link in the
 * group's "devices" directory, and its entry in the member list.  The
 * caller has set dev->iommu_group, which holds a group reference, and
 * attaches no domain here.  Group mutex held.
 */
int iommu_grp_add_member(struct iommu_group *group, struct device *dev)
{
	struct group_device *gdev;
	int ret;

	iommu_grp_assert_locked(group);

	gdev = kzalloc(sizeof(*gdev), GFP_KERNEL);
	if (!gdev)
		return -ENOMEM;
	gdev->dev = dev;

	ret = sysfs_create_link(&dev->kobj, &group->kobj, "iommu_group");
	if (ret)
		goto err_free;

	ret = iommu_grp_link_member(group, gdev);
	if (ret)
		goto err_unlink;

	list_add_tail(&gdev->node, &group->devices);
	trace_add_device_to_group(group->id, dev);
	dev_info(dev, "Adding to iommu group %d\n", iommu_group_id(group));
	return 0;

err_unlink:
	sysfs_remove_link(&dev->kobj, "iommu_group");
err_free:
	kfree(gdev);
	dev_err(dev, "cannot join iommu group %d: %d\n", group->id, ret);
	return ret;
}

/*
 * Undo iommu_grp_add_member().  The caller drops the reference of
 * dev->iommu_group afterwards, outside the group mutex.  Group mutex held.
 */
void iommu_grp_del_member(struct iommu_group *group, struct device *dev)
{
	struct group_device *gdev;

	iommu_grp_assert_locked(group);

	gdev = iommu_grp_find_member(group, dev);
	if (WARN_ON(!gdev))
		return;

	/* Its reset ends here for the group: pci_dev_reset_iommu_done() finds no member */
	if (gdev->reset_depth)
		group->resetting--;
	list_del(&gdev->node);
	sysfs_remove_link(group->devices_kobj, gdev->link_name);
	sysfs_remove_link(&dev->kobj, "iommu_group");
	trace_remove_device_from_group(group->id, dev);
	kfree(gdev->link_name);
	kfree(gdev);

	/*
	 * The last member takes every owner with it: drivers unbind (and
	 * drop their DMA API use) and VFIO releases the group before a device
	 * is removed, and whoever attached its own domain detached it.  An
	 * empty group is therefore unowned and on its default domain (NULL
	 * for groups without one).  Anything else is a caller bug.
	 */
	if (list_empty(&group->devices))
		WARN_ON(group->owner_state == IOMMU_OWNER_CLAIMED ||
			group->owner_users ||
			group->domain != group->default_domain);
}

/**
 * iommu_group_set_name() - name a group
 * @group: the group, on which the caller holds a reference
 * @name: the name, copied; NULL removes it
 *
 * The name is shown in the group's "name" sysfs file, which exists only
 * while the group has a name.  Drivers call this from their device_group()
 * callback, possibly under their own locks: it takes neither the group
 * mutex nor anything a sysfs callback of the group takes.
 *
 * Return: 0, or a negative errno, in which case the group has no name.
 */
int iommu_group_set_name(struct iommu_group *group, const char *name)
{
	const char *new = NULL;
	int ret = 0;

	if (name) {
		new = kstrdup(name, GFP_KERNEL);
		if (!new)
			return -ENOMEM;
	}

	mutex_lock(&iommu_grp_name_lock);
	/*
	 * "name" reads the string without a lock: hiding the file first
	 * waits for its readers, after which the old string can go.
	 */
	if (group->name) {
		const char *old = group->name;

		WRITE_ONCE(group->name, NULL);
		iommu_grp_sysfs_update(group, false);
		kfree(old);
	}
	if (new) {
		WRITE_ONCE(group->name, new);
		ret = iommu_grp_sysfs_update(group, false);
		if (ret) {
			WRITE_ONCE(group->name, NULL);
			kfree(new);
		}
	}
	mutex_unlock(&iommu_grp_name_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(iommu_group_set_name);

/**
 * iommu_group_add_device() - put a device into a group made by hand
 * @group: the group, on which the caller holds a reference
 * @dev: the device, not in any group yet
 *
 * For groups that are not built by IOMMU probe: VFIO's groups for devices
 * without an IOMMU and drivers forming groups themselves.  The device gets
 * the sysfs links of a member and holds a reference on @group until
 * iommu_group_remove_device(); no domain is attached to it.
 *
 * Return: 0 or a negative errno.
 */
int iommu_group_add_device(struct iommu_group *group, struct device *dev)
{
	int ret;

	if (dev->iommu_group)
		return -EBUSY;

	dev->iommu_group = iommu_group_ref_get(group);
	mutex_lock(&group->mutex);
	ret = iommu_grp_add_member(group, dev);
	if (ret)
		dev->iommu_group = NULL;
	mutex_unlock(&group->mutex);

	if (ret)
		iommu_group_put(group);
	return ret;
}
EXPORT_SYMBOL_GPL(iommu_group_add_device);

/**
 * iommu_group_remove_device() - take a device out of a group made by hand
 * @dev: a device added with iommu_group_add_device()
 *
 * Drops the reference the device held on its group, which may free it.
 * Devices probed by an IOMMU driver leave their group when they are
 * released by the IOMMU core, not through this call.
 */
void iommu_group_remove_device(struct device *dev)
{
	struct iommu_group *group = dev->iommu_group;

	if (!group)
		return;
	if (WARN_ON(iommu_dev_has_iommu(dev)))
		return;

	dev_info(dev, "Removing from iommu group %d\n", iommu_group_id(group));

	mutex_lock(&group->mutex);
	iommu_grp_del_member(group, dev);
	dev->iommu_group = NULL;
	mutex_unlock(&group->mutex);

	iommu_group_put(group);
}
EXPORT_SYMBOL_GPL(iommu_group_remove_device);

#if IS_ENABLED(CONFIG_LOCKDEP)
/**
 * iommu_group_mutex_assert() - assert that the mutex of a device's group is held
 * @dev: a device in a group
 *
 * For IOMMU drivers whose callbacks rely on the core's serialisation of
 * the calls made for one group.
 */
void iommu_group_mutex_assert(struct device *dev)
{
	iommu_grp_assert_locked(dev->iommu_group);
}
EXPORT_SYMBOL_GPL(iommu_group_mutex_assert);
#endif

/* Call @fn on each member in turn until it returns non-zero. Group mutex held. */
static int iommu_grp_walk_members(struct iommu_group *group,
				  int (*fn)(struct device *dev, void *data),
				  void *data)
{
	struct group_device *gdev;

	iommu_grp_assert_locked(group);
	for_each_group_device(group, gdev) {
		int ret = fn(gdev->dev, data);

		if (ret)
			return ret;
	}
	return 0;
}

/**
 * iommu_group_for_each_dev() - call a function on every member of a group
 * @group: the group, on which the caller holds a reference
 * @data: passed to @fn
 * @fn: called for each member; a non-zero return ends the walk
 *
 * @fn runs under the group mutex: members can neither join nor leave
 * meanwhile, and @fn must not call back into the core for this group.
 *
 * Return: 0, or the first non-zero value @fn returned.
 */
int iommu_group_for_each_dev(struct iommu_group *group, void *data,
			     int (*fn)(struct device *dev, void *data))
{
	int ret;

	mutex_lock(&group->mutex);
	ret = iommu_grp_walk_members(group, fn, data);
	mutex_unlock(&group->mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(iommu_group_for_each_dev);

/* iommu_grp_walk_members() callback: stop at a device without MSI isolation */
static int iommu_grp_msi_exposed(struct device *dev, void *unused)
{
	return !msi_device_has_isolated_msi(dev);
}

/**
 * iommu_group_has_isolated_msi() - whether every member's MSIs are isolated
 * @group: the group
 *
 * The devices of a group should all agree on msi_device_has_isolated_msi(),
 * but nothing enforces it: the group only counts as isolated if all of
 * them are.  An empty group trivially is.
 *
 * Return: true if no member can raise another's MSIs.
 */
bool iommu_group_has_isolated_msi(struct iommu_group *group)
{
	int exposed;

	mutex_lock(&group->mutex);
	exposed = iommu_grp_walk_members(group, iommu_grp_msi_exposed, NULL);
	mutex_unlock(&group->mutex);
	return !exposed;
}
EXPORT_SYMBOL_GPL(iommu_group_has_isolated_msi);

static int __init iommu_grp_init(void)
{
	iommu_debugfs_setup();
	iommu_grp_debugfs_init();

	iommu_groups_kset = kset_create_and_add("iommu_groups", NULL,
						kernel_kobj);
	if (!iommu_groups_kset) {
		pr_err("cannot create /sys/kernel/iommu_groups\n");
		return -ENOMEM;
	}
	return 0;
}
core_initcall(iommu_grp_init);
