// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the core keeps per device: dev->iommu, the firmware description of
 * the device (fwspec) that of_iommu, ACPI and drivers' of_xlate() build
 * before the device is probed, and the per-device queries drivers make
 * (features, capabilities).
 *
 * dev->iommu and its fwspec change only under iommu_probe_device_lock
 * (instance.c); the queries read what a probe left there.
 */
#define pr_fmt(fmt) "iommu: " fmt

#include <linux/device.h>
#include <linux/export.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/property.h>
#include <linux/slab.h>

#include "core.h"

struct dev_iommu *iommu_dev_get_param(struct device *dev)
{
	lockdep_assert_held(&iommu_probe_device_lock);

	if (!dev->iommu) {
		struct dev_iommu *fresh = kzalloc(sizeof(*fresh), GFP_KERNEL);

		if (fresh) {
			mutex_init(&fresh->lock);
			dev->iommu = fresh;
		}
	}
	return dev->iommu;
}

/* Drop dev->iommu with the fwspec in it.  Probe lock held. */
void dev_iommu_free(struct device *dev)
{
	struct dev_iommu *param = dev->iommu;

	iommu_fwspec_free(dev);
	dev->iommu = NULL;
	mutex_destroy(&param->lock);
	kfree(param);
}

/**
 * dev_iommu_priv_set() - attach IOMMU driver data to a device
 * @dev: a device whose dev->iommu exists
 * @priv: the driver's data, read back with dev_iommu_priv_get()
 *
 * Context: from the driver's probe_device(), release_device() or
 * of_xlate(), under iommu_probe_device_lock.  FSL PAMU alone sets it from
 * its attach path, and is let off the check.
 */
void dev_iommu_priv_set(struct device *dev, void *priv)
{
	if (!IS_ENABLED(CONFIG_FSL_PAMU))
		lockdep_assert_held(&iommu_probe_device_lock);
	dev->iommu->priv = priv;
}
EXPORT_SYMBOL_GPL(dev_iommu_priv_set);

/**
 * iommu_fwspec_init() - start the firmware description of a device
 * @dev: the client device
 * @iommu_fwnode: firmware node of the IOMMU instance behind @dev; NULL for
 *                the legacy arm-smmu binding (the instance registered
 *                without a node)
 *
 * Context: Process context, under iommu_probe_device_lock.
 * Return: 0 when @dev now has a fwspec for that IOMMU driver, or already had
 * one; -EPROBE_DEFER while no instance is registered with @iommu_fwnode;
 * -EINVAL if @dev already has a fwspec for another IOMMU driver; -ENOMEM.
 */
int iommu_fwspec_init(struct device *dev, struct fwnode_handle *iommu_fwnode)
{
	const struct iommu_ops *ops = iommu_ops_from_fwnode(iommu_fwnode);
	struct iommu_fwspec *fwspec = dev_iommu_fwspec_get(dev);
	bool had_param = dev->iommu;

	lockdep_assert_held(&iommu_probe_device_lock);

	if (!ops)
		return -EPROBE_DEFER;
	/*
	 * A device may list several instances of one driver (Apple DART):
	 * the first one's node stays in the fwspec.
	 */
	if (fwspec)
		return iommu_fwspec_ops(fwspec) == ops ? 0 : -EINVAL;

	if (!iommu_dev_get_param(dev))
		return -ENOMEM;
	fwspec = kzalloc(sizeof(*fwspec), GFP_KERNEL);
	if (!fwspec) {
		if (!had_param)
			dev_iommu_free(dev);
		return -ENOMEM;
	}
	fwspec->iommu_fwnode = fwnode_handle_get(iommu_fwnode);
	dev_iommu_fwspec_set(dev, fwspec);
	return 0;
}
EXPORT_SYMBOL_GPL(iommu_fwspec_init);

/**
 * iommu_fwspec_free() - drop the firmware description of a device
 * @dev: the client device; dev->iommu itself stays
 *
 * Context: Process context, under iommu_probe_device_lock.
 */
void iommu_fwspec_free(struct device *dev)
{
	struct iommu_fwspec *fwspec = dev_iommu_fwspec_get(dev);

	lockdep_assert_held(&iommu_probe_device_lock);

	if (!fwspec)
		return;
	dev_iommu_fwspec_set(dev, NULL);
	fwnode_handle_put(fwspec->iommu_fwnode);
	kfree(fwspec);
}
EXPORT_SYMBOL_GPL(iommu_fwspec_free);

/**
 * iommu_fwspec_add_ids() - append IOMMU master IDs to a device's fwspec
 * @dev: a device set up with iommu_fwspec_init()
 * @ids: the IDs (stream IDs, requester IDs...) the IOMMU knows it by
 * @num_ids: how many
 *
 * Context: Process context, under iommu_probe_device_lock.
 * Return: 0 on success, -EINVAL without a fwspec, -ENOMEM.
 */
int iommu_fwspec_add_ids(struct device *dev, const u32 *ids, int num_ids)
{
	struct iommu_fwspec *fwspec = dev_iommu_fwspec_get(dev);
	struct iommu_fwspec *grown;
	unsigned int total;

	lockdep_assert_held(&iommu_probe_device_lock);

	if (!fwspec || num_ids < 0)
		return -EINVAL;

	total = fwspec->num_ids + num_ids;
	grown = krealloc(fwspec, struct_size(grown, ids, total), GFP_KERNEL);
	if (!grown)
		return -ENOMEM;
	memcpy(&grown->ids[grown->num_ids], ids, num_ids * sizeof(*ids));
	grown->num_ids = total;
	dev_iommu_fwspec_set(dev, grown);
	return 0;
}
EXPORT_SYMBOL_GPL(iommu_fwspec_add_ids);

static int iommu_dev_switch_feature(struct device *dev,
				    enum iommu_dev_features feat, bool on)
{
	const struct iommu_ops *ops = iommu_dev_probed_ops(dev);
	int (*op)(struct device *dev, enum iommu_dev_features feat);

	if (!ops)
		return -ENODEV;
	op = on ? ops->dev_enable_feat : ops->dev_disable_feat;
	return op ? op(dev, feat) : -ENODEV;
}

/**
 * iommu_dev_enable_feature() - turn on a per-device IOMMU feature
 * @dev: the device
 * @feat: the feature (IOPF, SVA...)
 *
 * Return: the driver's answer; -ENODEV if no IOMMU driver probed @dev or
 * the driver has no per-device features.
 */
int iommu_dev_enable_feature(struct device *dev, enum iommu_dev_features feat)
{
	return iommu_dev_switch_feature(dev, feat, true);
}
EXPORT_SYMBOL_GPL(iommu_dev_enable_feature);

/**
 * iommu_dev_disable_feature() - turn off a per-device IOMMU feature
 * @dev: the device; whatever used the feature must have stopped
 * @feat: the feature
 *
 * Return: as iommu_dev_enable_feature().
 */
int iommu_dev_disable_feature(struct device *dev, enum iommu_dev_features feat)
{
	return iommu_dev_switch_feature(dev, feat, false);
}
EXPORT_SYMBOL_GPL(iommu_dev_disable_feature);

/**
 * device_iommu_capable() - ask the IOMMU driver of a device about a capability
 * @dev: the device
 * @cap: the capability
 *
 * Return: true if an IOMMU driver probed @dev and reports @cap for it.
 */
bool device_iommu_capable(struct device *dev, enum iommu_cap cap)
{
	const struct iommu_ops *ops = iommu_dev_probed_ops(dev);

	return ops && ops->capable && ops->capable(dev, cap);
}
EXPORT_SYMBOL_GPL(device_iommu_capable);
