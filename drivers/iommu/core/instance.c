// SPDX-License-Identifier: GPL-2.0-only
/*
 * The list of registered IOMMU instances, and the choice of the instance
 * that translates a device.
 *
 * Several IOMMU drivers may be registered at once (a real one beside the
 * iommufd and KUnit mocks, or two kinds of hardware on one machine).  A
 * device described by firmware (fwspec) belongs to the instance its fwspec
 * names and to nobody else.  A device without a fwspec is offered to the
 * instances registered without a firmware node, one driver (one distinct
 * iommu_ops) at a time; a driver that only works from a fwspec registers
 * with a fwnode and is never asked about such a device.
 *
 * This is the bottom of the core: it calls into drivers only.  Registration
 * (registry.c) adds instances here and then probes; probe.c asks here which
 * instance a device belongs to.
 */
#define pr_fmt(fmt) "iommu: " fmt

#include <linux/device.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>

#include "core.h"

/*
 * Serialises the probe and release of every device with each other, with
 * the firmware code that builds fwspecs (of_iommu, ACPI IORT/VIOT, drivers'
 * of_xlate()) and with registry changes.  dev->iommu, its fwspec and
 * dev->iommu_group of a device that has an IOMMU only change under it, and
 * so does the list of instances below.  Taken before any group mutex.
 */
DEFINE_MUTEX(iommu_probe_device_lock);

/*
 * Registered instances (struct iommu_device::list), in registration order.
 *
 * Writers hold iommu_probe_device_lock and then iommu_registry_lock; a
 * reader holds either.  A probe or release runs under the probe lock, so it
 * walks a list nobody can change under it and may call into drivers (which
 * sleep, and may look the registry up themselves through
 * iommu_ops_from_fwnode()) without the spinlock.  Readers outside the probe
 * lock take the spinlock and never call out while holding it.  An instance
 * off the list has no device left pointing at it: unregistering releases
 * them before the probe lock is dropped.
 */
static LIST_HEAD(iommu_registry);
static DEFINE_SPINLOCK(iommu_registry_lock);

/* Put @iommu on the registry with @ops; a probe may pick it from now on. */
int iommu_inst_add(struct iommu_device *iommu, const struct iommu_ops *ops)
{
	/*
	 * A probed device pins the module of its driver's ops; a module
	 * that does not name itself in them could go away under it.
	 */
	if (WARN_ON(is_module_address((unsigned long)ops) && !ops->owner))
		return -EINVAL;

	mutex_lock(&iommu_probe_device_lock);
	/*
	 * Drivers (Intel, AMD) treat iommu->ops as "this instance is live"
	 * when a device is probed: set it where probes are excluded.
	 */
	iommu->ops = ops;
	spin_lock(&iommu_registry_lock);
	list_add_tail(&iommu->list, &iommu_registry);
	spin_unlock(&iommu_registry_lock);
	mutex_unlock(&iommu_probe_device_lock);
	return 0;
}

/*
 * Take @iommu off the list: no probe picks it from now on.  Probe lock held,
 * and kept until the instance's devices are released.
 */
void iommu_inst_del(struct iommu_device *iommu)
{
	lockdep_assert_held(&iommu_probe_device_lock);
	spin_lock(&iommu_registry_lock);
	list_del(&iommu->list);
	spin_unlock(&iommu_registry_lock);
}

/* Whether any instance is registered, for the legacy iommu_present() */
bool iommu_inst_any(void)
{
	bool any;

	spin_lock(&iommu_registry_lock);
	any = !list_empty(&iommu_registry);
	spin_unlock(&iommu_registry_lock);
	return any;
}

/*
 * The ops of the first instance registered with @fwnode.  A NULL @fwnode
 * finds the first instance registered without one: of_iommu, ACPI and the
 * legacy arm-smmu binding rely on that, through iommu_fwspec_ops() and
 * iommu_fwspec_init(dev, NULL).  The probe itself does not (see
 * iommu_inst_probe_device()).
 */
const struct iommu_ops *iommu_ops_from_fwnode(const struct fwnode_handle *fwnode)
{
	const struct iommu_ops *found = NULL;
	struct iommu_device *iter;

	spin_lock(&iommu_registry_lock);
	list_for_each_entry(iter, &iommu_registry, list) {
		if (iter->fwnode != fwnode)
			continue;
		found = iter->ops;
		break;
	}
	spin_unlock(&iommu_registry_lock);
	return found;
}

/* Did an instance registered before @iommu, without a fwnode, share its ops? */
static bool iommu_inst_ops_seen(struct iommu_device *iommu)
{
	struct iommu_device *prev;

	list_for_each_entry(prev, &iommu_registry, list) {
		if (prev == iommu)
			break;
		if (!prev->fwnode && prev->ops == iommu->ops)
			return true;
	}
	return false;
}

static bool iommu_inst_is_listed(struct iommu_device *iommu)
{
	struct iommu_device *iter;

	list_for_each_entry(iter, &iommu_registry, list) {
		if (iter == iommu)
			return true;
	}
	return false;
}

/*
 * Offer @dev to the driver of @iommu.  On success the driver's module is
 * pinned and dev->iommu names the instance the driver chose, which must be
 * a registered one of the same driver.  Probe lock held.
 */
static int iommu_inst_offer(struct iommu_device *iommu, struct device *dev)
{
	const struct iommu_ops *ops = iommu->ops;
	struct iommu_device *chosen;

	/* The driver is being unloaded: it takes no new devices */
	if (!try_module_get(ops->owner))
		return -ENODEV;

	chosen = ops->probe_device(dev);
	if (IS_ERR_OR_NULL(chosen)) {
		module_put(ops->owner);
		return chosen ? PTR_ERR(chosen) : -ENODEV;
	}
	dev->iommu->iommu_dev = chosen;

	/*
	 * Unregistering only releases the devices of listed instances, so a
	 * device must never point at one that is not (or no longer) listed.
	 */
	if (chosen->ops != ops || !iommu_inst_is_listed(chosen)) {
		dev_warn(dev, "IOMMU driver chose an unregistered instance\n");
		if (ops->release_device)
			ops->release_device(dev);
		dev->iommu->iommu_dev = NULL;
		module_put(ops->owner);
		return -ENODEV;
	}
	return 0;
}

int iommu_inst_probe_device(struct device *dev)
{
	struct iommu_fwspec *fwspec = dev_iommu_fwspec_get(dev);
	struct iommu_device *iommu;
	int ret = -ENODEV;
	int err;

	lockdep_assert_held(&iommu_probe_device_lock);

	if (fwspec && fwspec->iommu_fwnode) {
		list_for_each_entry(iommu, &iommu_registry, list) {
			if (iommu->fwnode == fwspec->iommu_fwnode)
				return iommu_inst_offer(iommu, dev);
		}
		/*
		 * Its instance went away after the fwspec was made; firmware
		 * code defers on its own while it is not there yet.
		 */
		return -ENODEV;
	}

	list_for_each_entry(iommu, &iommu_registry, list) {
		if (iommu->fwnode || iommu_inst_ops_seen(iommu))
			continue;
		err = iommu_inst_offer(iommu, dev);
		if (!err)
			return 0;
		/* A refusal is not news; a real failure is, if nobody accepts */
		if (ret == -ENODEV)
			ret = err;
	}
	return ret;
}

void iommu_inst_release_device(struct device *dev)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);

	lockdep_assert_held(&iommu_probe_device_lock);

	dev->iommu->iommu_dev = NULL;
	module_put(ops->owner);
}
