// SPDX-License-Identifier: GPL-2.0-only
/*
 * The standard device_group() callbacks: which devices an IOMMU cannot
 * tell apart, and so must share a group.  Drivers call these from their
 * device_group(); the core itself never does, so nothing here is below
 * group.c.
 */

#define pr_fmt(fmt) "iommu: " fmt

#include <linux/bitmap.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/fsl/mc.h>
#include <linux/iommu.h>
#include <linux/lockdep.h>
#include <linux/pci.h>

#include "core.h"

/* The devfn space of one PCI bus */
#define IOMMU_PCI_NR_DEVFNS	256

/**
 * generic_device_group() - device_group() callback: a group per device
 * @dev: the device being probed
 *
 * Return: a new group, or an ERR_PTR().
 */
struct iommu_group *generic_device_group(struct device *dev)
{
	return iommu_group_alloc();
}
EXPORT_SYMBOL_GPL(generic_device_group);

/**
 * generic_single_device_group() - device_group() callback: a group per IOMMU
 * @dev: the device being probed, whose IOMMU instance is known
 *
 * For IOMMUs that cannot isolate their devices from each other: all of
 * them share the instance's iommu_device::singleton_group, created on
 * first use.  The instance keeps a reference on it until it unregisters.
 *
 * Return: the group with a new reference, or an ERR_PTR().
 */
struct iommu_group *generic_single_device_group(struct device *dev)
{
	struct iommu_device *iommu = dev->iommu->iommu_dev;
	struct iommu_group *group = iommu->singleton_group;

	/* Device probe is serialised: the group is created only once */
	lockdep_assert_held(&iommu_probe_device_lock);

	if (group)
		return iommu_group_ref_get(group);

	/* The caller gets the allocation's reference, the instance one more */
	group = iommu_group_alloc();
	if (!IS_ERR(group))
		iommu->singleton_group = iommu_group_ref_get(group);
	return group;
}
EXPORT_SYMBOL_GPL(generic_single_device_group);

/*
 * PCI grouping.  The IOMMU tells devices apart by requester ID only, and a
 * device can reach another without the IOMMU seeing it unless ACS sends
 * the transaction upstream.  So a device shares its group with:
 *  - every device whose requester ID it may use: its own DMA aliases and
 *    the ID a PCIe-to-PCI bridge above it uses on behalf of its subtree;
 *  - everything below the highest bridge above it whose path to the root
 *    complex does not isolate with ACS;
 *  - on the bus it ends up on, devices aliasing it (or aliased by it) and
 *    the other functions of its slot when neither has ACS, transitively.
 * Groups are found, never merged: a device joins the group of the first
 * such device that already has one, which works because parents are
 * probed before their children.
 */

/* State of the search for the group of one PCI device */
struct iommu_pci_search {
	/* The last device whose requester ID the alias walk met */
	struct pci_dev *top;
	/* The result, with a reference */
	struct iommu_group *group;
	/* Devfns on the bus of the isolation root: seen, and still to visit */
	DECLARE_BITMAP(reached, IOMMU_PCI_NR_DEVFNS);
	DECLARE_BITMAP(pending, IOMMU_PCI_NR_DEVFNS);
};

/* Make @pdev's group, if it has one, the result of @search */
static bool iommu_pci_found(struct iommu_pci_search *search,
			    struct pci_dev *pdev)
{
	search->group = iommu_group_get(&pdev->dev);
	return !!search->group;
}

/* pci_for_each_dma_alias() callback: stop at the first alias with a group */
static int iommu_pci_alias_step(struct pci_dev *pdev, u16 alias, void *opaque)
{
	struct iommu_pci_search *search = opaque;

	search->top = pdev;
	return iommu_pci_found(search, pdev);
}

/*
 * Climb from the top of the alias walk to the highest bridge that is not
 * isolated by ACS from the root complex, and return it (the top device
 * itself if the bridge right above it isolates).  A bridge met on the way
 * that already has a group ends the search.
 */
static struct pci_dev *iommu_pci_isolation_root(struct iommu_pci_search *search)
{
	struct pci_dev *root = search->top;
	struct pci_bus *bus;

	for (bus = root->bus; !pci_is_root_bus(bus); bus = bus->parent) {
		struct pci_dev *bridge = bus->self;

		/* A virtual bus has no bridge of its own to decide */
		if (!bridge)
			continue;
		if (pci_acs_path_enabled(bridge, NULL, IOMMU_PCI_ACS_ISOLATED))
			break;
		root = bridge;
		if (iommu_pci_found(search, bridge))
			break;
	}
	return root;
}

/* Two devices of one bus that the IOMMU cannot keep apart */
static bool iommu_pci_inseparable(struct pci_dev *a, struct pci_dev *b)
{
	if (pci_devs_are_dma_aliases(a, b))
		return true;

	return a->multifunction && PCI_SLOT(a->devfn) == PCI_SLOT(b->devfn) &&
	       !pci_acs_enabled(a, IOMMU_PCI_ACS_ISOLATED) &&
	       !pci_acs_enabled(b, IOMMU_PCI_ACS_ISOLATED);
}

/*
 * Take @pdev's group if it has one; otherwise queue the devices of its bus
 * that must share a group with it and were not reached before.
 */
static void iommu_pci_visit(struct iommu_pci_search *search,
			    struct pci_dev *pdev)
{
	struct pci_dev *peer = NULL;

	if (iommu_pci_found(search, pdev))
		return;

	for_each_pci_dev(peer) {
		if (peer->bus != pdev->bus ||
		    test_bit(peer->devfn, search->reached) ||
		    !iommu_pci_inseparable(pdev, peer))
			continue;
		__set_bit(peer->devfn, search->reached);
		__set_bit(peer->devfn, search->pending);
	}
}

/*
 * Search the devices of @root's bus that @root cannot be separated from,
 * directly or through each other, for one that has a group.  Aliases only
 * exist within a bus, so one devfn bitmap covers the search.
 */
static void iommu_pci_search_peers(struct iommu_pci_search *search,
				   struct pci_dev *root)
{
	struct pci_dev *peer;
	unsigned int devfn;

	__set_bit(root->devfn, search->reached);
	iommu_pci_visit(search, root);
	while (!search->group) {
		devfn = find_first_bit(search->pending, IOMMU_PCI_NR_DEVFNS);
		if (devfn >= IOMMU_PCI_NR_DEVFNS)
			break;
		__clear_bit(devfn, search->pending);

		peer = pci_get_slot(root->bus, devfn);
		if (!peer)
			continue;
		iommu_pci_visit(search, peer);
		pci_dev_put(peer);
	}
}

/**
 * pci_device_group() - device_group() callback for PCI devices
 * @dev: the PCI device being probed
 *
 * Finds the group @dev must share because of DMA aliases, missing ACS
 * isolation upstream or among the functions of a multifunction device, and
 * quirked DMA aliases; creates a group when none of those devices has one.
 *
 * Return: the group with a new reference, or an ERR_PTR().
 */
struct iommu_group *pci_device_group(struct device *dev)
{
	struct iommu_pci_search search = { };
	struct pci_dev *root;

	if (WARN_ON(!dev_is_pci(dev)))
		return ERR_PTR(-EINVAL);

	if (!pci_for_each_dma_alias(to_pci_dev(dev), iommu_pci_alias_step,
				    &search)) {
		root = iommu_pci_isolation_root(&search);
		if (!search.group)
			iommu_pci_search_peers(&search, root);
	}
	return search.group ?: iommu_group_alloc();
}
EXPORT_SYMBOL_GPL(pci_device_group);

/**
 * fsl_mc_device_group() - device_group() callback for fsl-mc devices
 * @dev: the device being probed
 *
 * The devices of one DPRC container share a group: the container's.
 *
 * Return: the group with a new reference, or an ERR_PTR().
 */
struct iommu_group *fsl_mc_device_group(struct device *dev)
{
	struct iommu_group *group = iommu_group_get(fsl_mc_cont_dev(dev));

	return group ?: iommu_group_alloc();
}
EXPORT_SYMBOL_GPL(fsl_mc_device_group);
