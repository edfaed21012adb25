// SPDX-License-Identifier: GPL-2.0-only
/*
 * Registration of IOMMU instances, and the buses the core watches.
 *
 * This is the top of the core: registering an instance puts it on the list
 * (instance.c) and then probes every device of the client buses
 * (probe.c); unregistering takes it off and releases its devices.  The bus
 * notifiers installed here probe and release devices as they come and go.
 */
#define pr_fmt(fmt) "iommu: " fmt

#include <linux/amba/bus.h>
#include <linux/cdx/cdx_bus.h>
#include <linux/device.h>
#include <linux/fsl/mc.h>
#include <linux/host1x_context_bus.h>
#include <linux/init.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/slab.h>

#include "core.h"

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
	ret = iommu_inst_add(iommu, ops);
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
	iommu_inst_del(iommu);

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
	int ret = iommu_inst_add(iommu, ops);

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
	return iommu_reg_is_client_bus(bus) && iommu_inst_any();
}
EXPORT_SYMBOL_GPL(iommu_present);
