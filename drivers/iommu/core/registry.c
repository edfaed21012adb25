// SPDX-License-Identifier: GPL-2.0-only
/*
 * The registry of IOMMU instances, and the choice of the instance that
 * translates a device.
 *
 * Several IOMMU drivers may be registered at once (a real one beside the
 * iommufd and KUnit mocks, or two kinds of hardware on one machine).  A
 * device described by firmware (fwspec) belongs to the instance its fwspec
 * names and to nobody else.  A device without a fwspec is offered to the
 * instances registered without a firmware node, one driver (one distinct
 * iommu_ops) at a time; a driver that only works from a fwspec registers
 * with a fwnode and is never asked about such a device.
 */
#define pr_fmt(fmt) "iommu: " fmt

#include <linux/amba/bus.h>
#include <linux/cdx/cdx_bus.h>
#include <linux/device.h>
#include <linux/fsl/mc.h>
#include <linux/host1x_context_bus.h>
#include <linux/init.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "core.h"

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

/*
 * The buses whose devices an IOMMU may translate, in the order a new
 * instance probes them.  NULL for a bus this kernel does not have; the
 * buses whose type is only declared when built are left out instead.
 */
static const struct bus_type *const iommu_client_buses[] = {
	&platform_bus_type,
#ifdef CONFIG_PCI
	&pci_bus_type,
#endif
	IS_ENABLED(CONFIG_ARM_AMBA) ? &amba_bustype : NULL,
	IS_ENABLED(CONFIG_FSL_MC_BUS) ? &fsl_mc_bus_type : NULL,
#ifdef CONFIG_TEGRA_HOST1X_CONTEXT_BUS
	&host1x_context_device_bus_type,
#endif
	IS_ENABLED(CONFIG_CDX_BUS) ? &cdx_bus_type : NULL,
};

static void __init iommu_reg_watch_bus(const struct bus_type *bus)
{
	struct notifier_block *nb = kzalloc(sizeof(*nb), GFP_KERNEL);
	int ret = -ENOMEM;

	if (nb) {
		nb->notifier_call = iommu_dev_bus_notifier;
		ret = bus_register_notifier(bus, nb);
	}
	if (ret) {
		kfree(nb);
		pr_warn("devices of bus %s will not be probed (%pe)\n",
			bus->name, ERR_PTR(ret));
	}
}

/*
 * Devices that come and go on the client buses are probed and released by
 * iommu_dev_bus_notifier(), whether or not an instance is registered yet.
 * A bus that cannot be watched does not keep the others from being.
 */
static int __init iommu_reg_watch_buses(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(iommu_client_buses); i++) {
		if (iommu_client_buses[i])
			iommu_reg_watch_bus(iommu_client_buses[i]);
	}
	return 0;
}
subsys_initcall(iommu_reg_watch_buses);

static bool iommu_reg_is_client_bus(const struct bus_type *bus)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(iommu_client_buses); i++) {
		if (bus && iommu_client_buses[i] == bus)
			return true;
	}
	return false;
}

/* Put @iommu on the registry with @ops; a probe may pick it from now on. */
static int iommu_reg_add(struct iommu_device *iommu,
			 const struct iommu_ops *ops)
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

/* Offer the devices of every client bus to the instances; stop at an error */
static int iommu_reg_probe_buses(void)
{
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(iommu_client_buses); i++) {
		if (!iommu_client_buses[i])
			continue;
		ret = bus_iommu_probe(iommu_client_buses[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * iommu_device_register() - make an IOMMU instance available to devices
 * @iommu: the instance, owned by the driver until iommu_device_unregister()
 * @ops: the driver's callbacks for devices and domains of this instance
 * @hwdev: the instance's own device, or NULL; its firmware node is what
 *         client fwspecs name, and an instance registered without one is
 *         only offered devices that have no fwspec
 *
 * Every device already present on a bus that can carry IOMMU clients, and
 * not yet translated, is offered to the instance before this returns.
 *
 * Context: Process context; takes iommu_probe_device_lock.
 * Return: 0 on success; on error the instance is not registered.
 */
int iommu_device_register(struct iommu_device *iommu,
			  const struct iommu_ops *ops, struct device *hwdev)
{
	int ret;

	if (hwdev)
		iommu->fwnode = dev_fwnode(hwdev);
	ret = iommu_reg_add(iommu, ops);
	if (ret)
		return ret;

	ret = iommu_reg_probe_buses();
	if (ret)
		iommu_device_unregister(iommu);
	return ret;
}
EXPORT_SYMBOL_GPL(iommu_device_register);

/**
 * iommu_device_unregister() - withdraw an IOMMU instance
 * @iommu: an instance registered with iommu_device_register() or
 *         iommu_device_register_bus()
 *
 * Once this returns no probe can pick @iommu any more, and every device it
 * translated, whatever its bus, has been released: its driver's
 * release_device() ran and the device holds no reference to @iommu.
 *
 * Context: Process context; takes iommu_probe_device_lock.
 */
void iommu_device_unregister(struct iommu_device *iommu)
{
	mutex_lock(&iommu_probe_device_lock);
	spin_lock(&iommu_registry_lock);
	list_del(&iommu->list);
	spin_unlock(&iommu_registry_lock);

	iommu_dev_release_all(iommu);

	/* The reference generic_single_device_group() keeps for the driver */
	iommu_group_put(iommu->singleton_group);
	iommu->singleton_group = NULL;
	mutex_unlock(&iommu_probe_device_lock);
}
EXPORT_SYMBOL_GPL(iommu_device_unregister);

#if IS_ENABLED(CONFIG_IOMMUFD_TEST)
/**
 * iommu_device_register_bus() - register an IOMMU instance for one bus
 * @iommu: the instance; its fwnode is used as the caller left it
 * @ops: the driver's callbacks for devices and domains of this instance
 * @bus: the bus whose devices the instance serves
 * @nb: caller-provided notifier block, in use until
 *      iommu_device_unregister_bus()
 *
 * For the mock IOMMUs of the iommufd selftest and the KUnit suite, whose
 * private buses the core does not watch by itself: @nb makes the core
 * probe and release the devices of @bus as they come and go, and those
 * already present are probed before this returns.
 *
 * Context: Process context; takes iommu_probe_device_lock.
 * Return: 0 on success; on error nothing stays registered.
 */
int iommu_device_register_bus(struct iommu_device *iommu, const struct iommu_ops *ops,
			      const struct bus_type *bus, struct notifier_block *nb)
{
	int ret = iommu_reg_add(iommu, ops);

	if (ret)
		return ret;

	/* Devices added from here on are probed by the notifier... */
	nb->notifier_call = iommu_dev_bus_notifier;
	ret = bus_register_notifier(bus, nb);
	if (ret) {
		iommu_device_unregister(iommu);
		return ret;
	}
	/* ...and those already there by the walk */
	ret = bus_iommu_probe(bus);
	if (ret)
		iommu_device_unregister_bus(iommu, bus, nb);
	return ret;
}
EXPORT_SYMBOL_GPL(iommu_device_register_bus);

/**
 * iommu_device_unregister_bus() - withdraw an instance of
 *                                 iommu_device_register_bus()
 * @iommu: the instance
 * @bus: the bus it was registered for
 * @nb: the notifier block given at registration, free again on return
 *
 * Context: Process context; takes iommu_probe_device_lock.
 */
void iommu_device_unregister_bus(struct iommu_device *iommu, const struct bus_type *bus,
				 struct notifier_block *nb)
{
	bus_unregister_notifier(bus, nb);
	iommu_device_unregister(iommu);
}
EXPORT_SYMBOL_GPL(iommu_device_unregister_bus);
#endif

/**
 * iommu_present() - tell whether some IOMMU serves a bus
 * @bus: the bus
 *
 * A legacy question: prefer device_iommu_mapped(), which answers it for the
 * device at hand.  This only says that @bus is one the core watches and
 * that at least one IOMMU instance is registered, not that it translates
 * any device of @bus.
 *
 * Return: true if @bus can carry IOMMU clients and an instance exists.
 */
bool iommu_present(const struct bus_type *bus)
{
	bool any;

	if (!iommu_reg_is_client_bus(bus))
		return false;

	spin_lock(&iommu_registry_lock);
	any = !list_empty(&iommu_registry);
	spin_unlock(&iommu_registry_lock);
	return any;
}
EXPORT_SYMBOL_GPL(iommu_present);

/*
 * The ops of the first instance registered with @fwnode.  A NULL @fwnode
 * finds the first instance registered without one: of_iommu, ACPI and the
 * legacy arm-smmu binding rely on that, through iommu_fwspec_ops() and
 * iommu_fwspec_init(dev, NULL).  The probe itself does not (see
 * iommu_reg_probe_device()).
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
static bool iommu_reg_ops_seen(struct iommu_device *iommu)
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

static bool iommu_reg_is_listed(struct iommu_device *iommu)
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
static int iommu_reg_offer(struct iommu_device *iommu, struct device *dev)
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
	if (chosen->ops != ops || !iommu_reg_is_listed(chosen)) {
		dev_warn(dev, "IOMMU driver chose an unregistered instance\n");
		if (ops->release_device)
			ops->release_device(dev);
		dev->iommu->iommu_dev = NULL;
		module_put(ops->owner);
		return -ENODEV;
	}
	return 0;
}

int iommu_reg_probe_device(struct device *dev)
{
	struct iommu_fwspec *fwspec = dev_iommu_fwspec_get(dev);
	struct iommu_device *iommu;
	int ret = -ENODEV;
	int err;

	lockdep_assert_held(&iommu_probe_device_lock);

	if (fwspec && fwspec->iommu_fwnode) {
		list_for_each_entry(iommu, &iommu_registry, list) {
			if (iommu->fwnode == fwspec->iommu_fwnode)
				return iommu_reg_offer(iommu, dev);
		}
		/*
		 * Its instance went away after the fwspec was made; firmware
		 * code defers on its own while it is not there yet.
		 */
		return -ENODEV;
	}

	list_for_each_entry(iommu, &iommu_registry, list) {
		if (iommu->fwnode || iommu_reg_ops_seen(iommu))
			continue;
		err = iommu_reg_offer(iommu, dev);
		if (!err)
			return 0;
		/* A refusal is not news; a real failure is, if nobody accepts */
		if (ret == -ENODEV)
			ret = err;
	}
	return ret;
}

void iommu_reg_release_device(struct device *dev)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);

	lockdep_assert_held(&iommu_probe_device_lock);

	dev->iommu->iommu_dev = NULL;
	module_put(ops->owner);
}
