// SPDX-License-Identifier: GPL-2.0-only
/*
 * Probe and release of the devices an IOMMU translates.
 *
 * A device is probed when it appears on a bus the core watches, when an
 * IOMMU instance is registered (every device of those buses), and again
 * from of_iommu/ACPI once its fwspec exists.  A probe is all or nothing:
 * either the device ends up with its instance, its group and the group's
 * domain, or everything it touched is as it was and dev->iommu is gone, so
 * that a later attempt starts from scratch (firmware code rebuilds the
 * fwspec then).  A release is the exact reverse of a probe.
 */
#define pr_fmt(fmt) "iommu: " fmt

#include <linux/device.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/pci-ats.h>
#include <linux/property.h>
#include <linux/slab.h>

#include "../dma-iommu.h"
#include "core.h"

/*
 * How many PASIDs @dev can issue: the PCI PASID capability, or the
 * "pasid-num-bits" firmware property of other devices.
 */
static u32 iommu_dev_pasid_capacity(struct device *dev)
{
	u32 bits;
	int n;

	if (dev_is_pci(dev)) {
		n = pci_max_pasids(to_pci_dev(dev));
		return n > 0 ? n : 0;
	}
	if (device_property_read_u32(dev, "pasid-num-bits", &bits))
		return 0;
	return bits < 32 ? BIT(bits) : U32_MAX;
}

/*
 * The driver lets go of @dev.  Until release_device() returns, the domain
 * the device is attached to stays allocated; with a release_domain the
 * device is moved there first, unless it was never attached (deferred
 * attach still pending), in which case the hardware is not touched at all.
 * With @group (mutex held, @dev no longer listed in it), a group left
 * empty loses its domains afterwards.
 */
static void iommu_dev_unbind_driver(struct device *dev,
				    struct iommu_group *group)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);
	struct iommu_domain *rd = ops->release_domain;

	if (group && rd)
		iommu_grp_release_attach(group, dev, rd);

	if (ops->release_device)
		ops->release_device(dev);

	if (group && list_empty(&group->devices))
		iommu_grp_free_domains(group);
}

/*
 * Set up @group's default domain now that its members are in, and point
 * their DMA API at it.  Group mutex held.
 */
static int iommu_grp_setup_default(struct iommu_group *group)
{
	struct group_device *gdev;
	int ret;

	iommu_grp_assert_locked(group);

	ret = iommu_dom_setup_default(group, 0);
	if (ret)
		return ret;
	if (group->default_domain) {
		for_each_group_device(group, gdev)
			iommu_setup_dma_ops(gdev->dev);
	}
	return 0;
}

/*
 * Put a new member of @group in the domain the group is in.  A group still
 * forming has none: a bus walk (@pending) sets it up once every member is
 * in, so that the domain type suits the whole group; a single probe sets it
 * up at once.  Group mutex held.
 */
static int iommu_dev_take_domain(struct iommu_group *group, struct device *dev,
				 struct list_head *pending)
{
	int ret;

	iommu_grp_assert_locked(group);

	if (!group->domain) {
		if (!pending)
			return iommu_grp_setup_default(group);
		if (list_empty(&group->setup_node)) {
			iommu_group_ref_get(group);
			list_add_tail(&group->setup_node, pending);
		}
		return 0;
	}

	ret = iommu_dom_check_member(group, dev) ?:
	      iommu_grp_attach_new_member(group, dev);
	if (ret)
		return ret;
	if (group->default_domain)
		iommu_setup_dma_ops(dev);
	return 0;
}

/* Link, list and attach @dev in @group, all or nothing.  Group mutex held. */
static int iommu_dev_enter_group(struct iommu_group *group, struct device *dev,
				 struct list_head *pending)
{
	struct iommu_device *iommu = dev->iommu->iommu_dev;
	int ret;

	iommu_grp_assert_locked(group);

	ret = iommu_device_link(iommu, dev);
	if (ret)
		return ret;
	ret = iommu_grp_add_member(group, dev);
	if (ret)
		goto err_unlink;
	ret = iommu_dev_take_domain(group, dev, pending);
	if (ret)
		goto err_del_member;
	/* Its DMA can reach the group's PASIDs: it must carry them too */
	ret = iommu_pasid_add_member(group, dev);
	if (ret)
		goto err_del_member;
	return 0;

err_del_member:
	iommu_grp_del_member(group, dev);
err_unlink:
	iommu_device_unlink(iommu, dev);
	return ret;
}

/*
 * Probe @dev unless it is in a group already.  With @pending, a new group
 * is queued there (referenced) instead of getting its default domain.
 */
static int iommu_probe_locked(struct device *dev, struct list_head *pending)
{
	const struct iommu_ops *ops;
	struct iommu_group *group;
	int ret;

	lockdep_assert_held(&iommu_probe_device_lock);

	/* Probed before, or grouped by iommu_group_add_device() */
	if (dev->iommu_group)
		return 0;

	if (!iommu_dev_get_param(dev))
		return -ENOMEM;
	ret = iommu_inst_probe_device(dev);
	if (ret)
		goto err_free;
	ops = dev_iommu_ops(dev);

	/* The driver hands over a reference, which dev->iommu_group keeps */
	group = ops->device_group(dev);
	if (WARN_ON_ONCE(!group))
		group = ERR_PTR(-EINVAL);
	if (IS_ERR(group)) {
		ret = PTR_ERR(group);
		iommu_dev_unbind_driver(dev, NULL);
		goto err_put_driver;
	}
	dev->iommu_group = group;
	dev->iommu->max_pasids = min(iommu_dev_pasid_capacity(dev),
				     dev->iommu->iommu_dev->max_pasids);
	if (ops->is_attach_deferred)
		dev->iommu->attach_deferred = ops->is_attach_deferred(dev);

	mutex_lock(&group->mutex);
	ret = iommu_dev_enter_group(group, dev, pending);
	if (ret)
		iommu_dev_unbind_driver(dev, group);
	mutex_unlock(&group->mutex);
	if (!ret)
		return 0;

	dev->iommu_group = NULL;
	iommu_group_put(group);
err_put_driver:
	iommu_inst_release_device(dev);
err_free:
	/* Firmware code makes the fwspec again for the next attempt */
	dev_iommu_free(dev);
	return ret;
}

/*
 * Reverse of a successful iommu_probe_locked(); also takes out of its
 * group a device put there by iommu_group_add_device(), and drops a
 * fwspec no driver ever used.
 */
static void iommu_dev_release_locked(struct device *dev)
{
	struct iommu_group *group = dev->iommu_group;
	bool probed = iommu_dev_has_iommu(dev);

	lockdep_assert_held(&iommu_probe_device_lock);

	if (group) {
		mutex_lock(&group->mutex);
		if (probed)
			iommu_pasid_release_device(group, dev);
		iommu_grp_del_member(group, dev);
		if (probed) {
			iommu_device_unlink(dev->iommu->iommu_dev, dev);
			iommu_dev_unbind_driver(dev, group);
		}
		mutex_unlock(&group->mutex);
		dev->iommu_group = NULL;
		/* May free the group: its iommu_data may still need the driver */
		iommu_group_put(group);
	}
	if (probed)
		iommu_inst_release_device(dev);
	if (dev->iommu)
		dev_iommu_free(dev);
#ifdef CONFIG_IOMMU_DMA
	dev->dma_iommu = false;
#endif
}

/**
 * iommu_probe_device() - have a device translated by its IOMMU, if any
 * @dev: the device
 *
 * Finds the IOMMU instance of @dev, puts @dev in its group and attaches it
 * to the group's domain, then lets the driver finalize.  Calling it again
 * for a probed device changes nothing but finalizes again, as firmware
 * code replays it each time a driver binds.
 *
 * Context: Process context; takes iommu_probe_device_lock.
 * Return: 0 if @dev is translated (or grouped without an IOMMU driver),
 * -ENODEV if no IOMMU claims it, another errno if the probe failed; on
 * error dev->iommu, fwspec included, is gone.
 */
int iommu_probe_device(struct device *dev)
{
	const struct iommu_ops *ops = NULL;
	int ret;

	mutex_lock(&iommu_probe_device_lock);
	ret = iommu_probe_locked(dev, NULL);
	if (!ret)
		ops = iommu_dev_probed_ops(dev);
	mutex_unlock(&iommu_probe_device_lock);

	/* Outside the locks: ARM32 drivers attach their own domain here */
	if (ops && ops->probe_finalize)
		ops->probe_finalize(dev);
	return ret;
}

static void iommu_note_probe_failure(struct device *dev, int err)
{
	if (err == -ENODEV)
		return;
	if (err == -EPROBE_DEFER)
		dev_dbg(dev, "IOMMU probe deferred\n");
	else
		dev_warn(dev, "IOMMU probe failed (%pe), not translated\n",
			 ERR_PTR(err));
}

/* A device a bus walk probed, to finalize once the locks are dropped */
struct iommu_walked_dev {
	struct list_head node;
	struct device *dev;
	const struct iommu_ops *ops;
};

struct iommu_bus_walk {
	/* New groups, on iommu_group::setup_node, one reference each */
	struct list_head pending;
	/* struct iommu_walked_dev, each holding a device reference */
	struct list_head probed;
};

static int iommu_bus_walk_dev(struct device *dev, void *data)
{
	struct iommu_bus_walk *walk = data;
	struct iommu_walked_dev *wd;
	int ret;

	/* Finalizing is for the devices this walk probes, not the others */
	if (dev->iommu_group)
		return 0;

	wd = kzalloc(sizeof(*wd), GFP_KERNEL);
	ret = wd ? iommu_probe_locked(dev, &walk->pending) : -ENOMEM;
	if (ret) {
		kfree(wd);
		/* One device going without an IOMMU does not fail the bus */
		iommu_note_probe_failure(dev, ret);
		return 0;
	}
	wd->dev = get_device(dev);
	wd->ops = dev_iommu_ops(dev);
	list_add_tail(&wd->node, &walk->probed);
	return 0;
}

static void iommu_walked_dev_free(struct iommu_walked_dev *wd)
{
	list_del(&wd->node);
	put_device(wd->dev);
	kfree(wd);
}

/* Undo the probes by this walk of the members of @group, which failed */
static void iommu_bus_walk_undo_group(struct iommu_bus_walk *walk,
				      struct iommu_group *group, int err)
{
	struct iommu_walked_dev *wd, *next;

	list_for_each_entry_safe(wd, next, &walk->probed, node) {
		if (wd->dev->iommu_group != group)
			continue;
		dev_warn(wd->dev, "no default domain for IOMMU group %d (%pe), not translated\n",
			 group->id, ERR_PTR(err));
		iommu_dev_release_locked(wd->dev);
		iommu_walked_dev_free(wd);
	}
}

/* Give every group the walk queued its default domain. */
static void iommu_bus_walk_setup(struct iommu_bus_walk *walk)
{
	struct iommu_group *group, *next;
	int ret;

	lockdep_assert_held(&iommu_probe_device_lock);

	list_for_each_entry_safe(group, next, &walk->pending, setup_node) {
		mutex_lock(&group->mutex);
		list_del_init(&group->setup_node);
		ret = iommu_grp_setup_default(group);
		mutex_unlock(&group->mutex);
		if (ret)
			iommu_bus_walk_undo_group(walk, group, ret);
		/* The walk's reference kept @group valid for the comparison */
		iommu_group_put(group);
	}
}

/*
 * Probe every device of @bus that is not translated yet.  The default
 * domains of new groups are set up once the whole bus is walked, so a group
 * gets a domain type that suits all its members, and the direct mappings
 * of them all; drivers finalize after the locks are dropped.  A device
 * that fails is left untranslated and logged, the rest carry on.
 */
int bus_iommu_probe(const struct bus_type *bus)
{
	struct iommu_bus_walk walk = {
		.pending = LIST_HEAD_INIT(walk.pending),
		.probed = LIST_HEAD_INIT(walk.probed),
	};
	struct iommu_walked_dev *wd, *next;
	int ret;

	mutex_lock(&iommu_probe_device_lock);
	ret = bus_for_each_dev(bus, NULL, &walk, iommu_bus_walk_dev);
	iommu_bus_walk_setup(&walk);
	mutex_unlock(&iommu_probe_device_lock);

	list_for_each_entry_safe(wd, next, &walk.probed, node) {
		if (wd->ops->probe_finalize)
			wd->ops->probe_finalize(wd->dev);
		iommu_walked_dev_free(wd);
	}
	return ret;
}

/*
 * A member of @group translated by @iommu, referenced, or NULL.  The probe
 * lock held by the caller keeps members from being probed or released.
 */
static struct device *iommu_grp_member_of(struct iommu_group *group,
					  struct iommu_device *iommu)
{
	struct group_device *gdev;
	struct device *found = NULL;

	mutex_lock(&group->mutex);
	for_each_group_device(group, gdev) {
		if (gdev->dev->iommu && gdev->dev->iommu->iommu_dev == iommu) {
			found = get_device(gdev->dev);
			break;
		}
	}
	mutex_unlock(&group->mutex);
	return found;
}

/*
 * Release the members of @group that @iommu translates, one at a time: the
 * release takes the group mutex itself.  The walk's reference keeps the
 * group alive even once its last member is gone.
 */
static void iommu_grp_release_members_of(struct iommu_group *group, void *data)
{
	struct iommu_device *iommu = data;
	struct device *dev;

	while ((dev = iommu_grp_member_of(group, iommu))) {
		iommu_dev_release_locked(dev);
		put_device(dev);
	}
}

void iommu_dev_release_all(struct iommu_device *iommu)
{
	lockdep_assert_held(&iommu_probe_device_lock);

	/*
	 * Through the groups rather than the buses: a device of any bus
	 * (a test bus, a bus the core does not watch) may point at @iommu.
	 */
	iommu_grp_for_each(iommu_grp_release_members_of, iommu);
}

int iommu_dev_bus_notifier(struct notifier_block *nb, unsigned long action,
			   void *data)
{
	struct device *dev = data;
	int ret;

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
		ret = iommu_probe_device(dev);
		if (ret) {
			iommu_note_probe_failure(dev, ret);
			return NOTIFY_DONE;
		}
		return NOTIFY_OK;
	case BUS_NOTIFY_REMOVED_DEVICE:
		mutex_lock(&iommu_probe_device_lock);
		iommu_dev_release_locked(dev);
		mutex_unlock(&iommu_probe_device_lock);
		return NOTIFY_OK;
	default:
		return NOTIFY_DONE;
	}
}
