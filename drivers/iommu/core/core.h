/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private structures of the IOMMU core.
 *
 * The core is split by object, in layers.  A file calls only into files
 * below it, so data flows one way (make gates checks this from the symbol
 * references of the objects):
 *
 *   registry.c  registration of instances, and the buses the core watches
 *   probe.c     probe and release of devices
 *   group.c     groups: lifetime, ids, members (topology.c holds the
 *               device_group() helpers that drivers call to find one)
 *   sysfs.c     a group's sysfs attributes (debugfs.c: its debugfs file)
 *   policy.c    which default domain a group gets, and setting it up
 *   owner.c     DMA ownership, above pasid.c: the PASIDs of a group
 *   attach.c    the one function that moves a group between domains
 *   domain.c    allocation, blocking domains, firmware's direct mappings
 *   dev.c       dev->iommu, fwspecs, per-device queries
 *   instance.c  the list of instances, and which one serves a device
 *   map.c, resv.c  map/unmap and reserved regions, beside the layers
 *
 * Locks, outermost first:
 *
 *  1. iommu_probe_device_lock (global mutex, declared in iommu.h because
 *     the ACPI and OF code take it around fwspec set-up).  Serialises the
 *     probe and release of every device, and the insertion and removal of
 *     registry entries, so a probe never sees an instance half-registered
 *     or half-unregistered.
 *  2. iommu_group::mutex.  Everything a group owns: its member list, its
 *     domains, its owner state, and the writers of its PASID table.  Never
 *     held across a call that may take the probe lock.
 *  3. iommu_registry_lock (spinlock, instance.c).  The list of registered
 *     instances; taken for list walks only, never across a driver callback.
 *
 * Paths that run without the group mutex, by design:
 *  - iommu_get_domain_for_dev() and the DMA API fast path read
 *    iommu_group::domain with READ_ONCE(); writers publish with
 *    WRITE_ONCE() under the mutex after the hardware switched.
 *  - The page-fault path looks a PASID up with iommu_attach_handle_get(),
 *    under the xarray's own lock (see iommu_group::pasids).
 */
#ifndef __IOMMU_CORE_H
#define __IOMMU_CORE_H

#include <linux/iommu.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/xarray.h>

#include "../iommu-priv.h"

/*
 * Who may use a group's DMA, the one piece of state every ownership rule
 * is decided on (owner.c is the only writer).
 *
 *  FREE     nobody: no kernel driver bound, nobody claimed the group.
 *  DMA_API  owner_users kernel drivers are bound and use the group's default
 *           domain through the DMA API (iommu_device_use_default_domain()).
 *  CLAIMED  a private owner (VFIO, iommufd, a driver with its own domains)
 *           holds the group under the cookie iommu_group::owner; owner_users
 *           counts nested iommu_device_claim_dma_owner() calls with it.
 *
 *            use (n++)                      claim(cookie)
 *   DMA_API <----------- FREE / DMA_API(0) -------------> CLAIMED
 *           -----------> FREE              <-------------
 *            unuse (n--)                    release
 *
 * Entering CLAIMED moves the group to its blocking domain; leaving it moves
 * the group back to the default domain.  A kernel driver of a singleton
 * group may still attach its own domain with iommu_attach_device() while in
 * DMA_API: that changes the domain, not the owner.
 */
enum iommu_owner_state {
	IOMMU_OWNER_FREE = 0,	/* a new, zeroed group */
	IOMMU_OWNER_DMA_API,
	IOMMU_OWNER_CLAIMED,
};

/**
 * struct iommu_group - devices the IOMMU cannot isolate from each other
 * @kobj: sysfs object, /sys/kernel/iommu_groups/<id>; its release frees the
 *        group, so the last iommu_group_put() may come from anywhere
 * @devices_kobj: the "devices" directory of the group
 * @id: index in the global group table, also the sysfs name
 * @name: optional name set by the driver (iommu_group_set_name())
 * @iommu_data: driver data, released by @iommu_data_release with the group
 * @iommu_data_release: see @iommu_data
 * @mutex: protects every field below, see the lock order above
 * @devices: struct group_device list, in probe order
 * @default_domain: the domain the DMA API and unowned devices use; NULL
 *                  only while the group is being set up and once its last
 *                  member left (a driver without default domains of its own
 *                  gives a static one, e.g. IOMMU_DOMAIN_PLATFORM on ARM32)
 * @blocking_domain: lazily allocated domain that blocks all DMA; the driver's
 *                   static blocked domain or, failing that, an empty paging
 *                   domain
 * @domain: the domain every device of the group is attached to, except
 *          devices whose attach is deferred (dev_iommu::attach_deferred)
 *          while @domain is @default_domain.  Written with WRITE_ONCE()
 *          under @mutex; read locklessly by iommu_get_domain_for_dev()
 * @owner_state: see enum iommu_owner_state
 * @owner_users: DMA API users in DMA_API, nested claims in CLAIMED
 * @owner: the cookie of the private owner in CLAIMED, else NULL
 * @pasids: PASID -> struct iommu_attach_handle; a PASID is set up on every
 *          member with PASID support (pasid.c).  Writers hold @mutex and
 *          the xarray lock; readers (the fault path) hold only the xarray
 *          lock.  An entry is stored only once the domain is attached to
 *          every such member, and erased before the domain is torn down, so a
 *          reader never sees a half-formed domain.  Keeping the handle
 *          alive while faults on it are in flight is the caller's job
 *          (iopf_queue_remove_device() and friends flush them).
 * @debugfs: its file in /sys/kernel/debug/iommu/groups, or NULL (debugfs.c)
 * @setup_node: on the list of groups whose default domain bus_iommu_probe()
 *              still has to set up, under the probe lock
 * @resetting: how many members are inside a PCI reset (group_device::
 *             reset_depth > 0, reset.c).  Under @mutex, like the depths it
 *             counts.  While non-zero, iommu_grp_set_domain() refuses every
 *             change that may fail with -EBUSY and moves no resetting
 *             member, pasid.c refuses PASID attaches, and
 *             iommu_deferred_attach() refuses every member: @domain and
 *             @pasids stay what the resetting members return to.
 */
struct iommu_group {
	struct kobject kobj;
	struct kobject *devices_kobj;
	int id;
	const char *name;
	void *iommu_data;
	void (*iommu_data_release)(void *iommu_data);

	struct mutex mutex;	/* see "Locks" at the top of this file */
	struct list_head devices;
	struct iommu_domain *default_domain;
	struct iommu_domain *blocking_domain;
	struct iommu_domain *domain;
	enum iommu_owner_state owner_state;
	unsigned int owner_users;
	void *owner;
	struct xarray pasids;
	struct dentry *debugfs;
	struct list_head setup_node;
	unsigned int resetting;
};

/**
 * struct group_device - a device's membership of a group
 * @node: entry in iommu_group::devices, under the group mutex
 * @dev: the member; the group holds no reference on it, the device's
 *       removal (bus notifier) takes it out of the group first
 * @link_name: name of its link in the group's "devices" directory
 * @reset_depth: how many PCI resets of @dev are under way, nested (a bus
 *               reset inside a device-specific one); 0 outside any.  Under
 *               the group mutex.  Only reset.c changes it, from 0 to 1 once
 *               @dev is on the group's blocking domain with its PASIDs torn
 *               down, and back to 0 just before @dev returns to the group's
 *               domain of then.  While non-zero, iommu_grp_set_domain() and
 *               the PASID teardowns of pasid.c skip @dev, which is on
 *               neither the group's domain nor its PASIDs.  It lives and dies
 *               with the membership: a member leaving mid-reset takes its
 *               count out of iommu_group::resetting.
 */
struct group_device {
	struct list_head node;
	struct device *dev;
	char *link_name;
	unsigned int reset_depth;
};

#define for_each_group_device(group, gdev) \
	list_for_each_entry(gdev, &(group)->devices, node)

/*
 * ACS features without which a PCI device is not isolated from its peers:
 * Source Validation (no requester ID spoofing), Request and Completion
 * Redirect (peer-to-peer traffic is sent upstream) and Upstream Forwarding
 * (what is sent upstream really leaves the switch).  pci_device_group()
 * groups by them, and the debugfs explanation names them.
 */
#define IOMMU_PCI_ACS_ISOLATED	(PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF)

/* Lock held by every caller of the functions taking a group below. */
static inline void iommu_grp_assert_locked(struct iommu_group *group)
{
	lockdep_assert_held(&group->mutex);
}

static inline bool iommu_grp_is_singleton(struct iommu_group *group)
{
	return list_is_singular(&group->devices);
}

static inline struct device *iommu_grp_first_dev(struct iommu_group *group)
{
	return list_first_entry(&group->devices, struct group_device, node)->dev;
}

/* The membership of @dev in @group, NULL if none */
static inline struct group_device *
iommu_grp_find_member(struct iommu_group *group, struct device *dev)
{
	struct group_device *gdev;

	iommu_grp_assert_locked(group);
	for_each_group_device(group, gdev)
		if (gdev->dev == dev)
			return gdev;
	return NULL;
}

static inline bool iommu_dev_has_iommu(struct device *dev)
{
	return dev->iommu && dev->iommu->iommu_dev;
}

/* The ops of the IOMMU driver that probed @dev, NULL if none did */
static inline const struct iommu_ops *iommu_dev_probed_ops(struct device *dev)
{
	return iommu_dev_has_iommu(dev) ? dev_iommu_ops(dev) : NULL;
}

/* instance.c: the registered IOMMU instances */

/*
 * Put @iommu on the list with @ops, where probes may pick it; take it off.
 * iommu_inst_add() takes the probe lock; iommu_inst_del() needs it held.
 */
int iommu_inst_add(struct iommu_device *iommu, const struct iommu_ops *ops);
void iommu_inst_del(struct iommu_device *iommu);
bool iommu_inst_any(void);
/*
 * Try the instances that may own @dev: only the fwspec's instance when @dev
 * has a fwspec, otherwise every instance registered without a fwnode, each
 * distinct iommu_ops once.  On success the device's dev_iommu records the
 * instance and holds a reference on its module.  Caller holds the probe lock
 * and has allocated dev->iommu.
 */
int iommu_inst_probe_device(struct device *dev);
/* Drop what iommu_inst_probe_device() took. Probe lock held. */
void iommu_inst_release_device(struct device *dev);

/* dev.c: per-device data */

/* Allocate dev->iommu if needed; probe lock held. */
struct dev_iommu *iommu_dev_get_param(struct device *dev);

/* probe.c: probe and release of devices */

/* Bus notifier shared by iommu_device_register{,_bus}() */
int iommu_dev_bus_notifier(struct notifier_block *nb, unsigned long action,
			   void *data);
/*
 * bus_iommu_probe() (declared in iommu.h) probes every device of a bus and
 * then sets up the default domain of each new group once all its members
 * are in, so that the domain type is chosen over the whole group.
 */
/* Release every device probed by @iommu, on any bus. Probe lock held. */
void iommu_dev_release_all(struct iommu_device *iommu);

/* group.c: group lifetime and membership */

/*
 * Put @dev, whose driver has been probed and whose dev->iommu_group holds a
 * reference, into its group: sysfs links, member list.  Group mutex held.
 */
int iommu_grp_add_member(struct iommu_group *group, struct device *dev);
/* Reverse of iommu_grp_add_member(); group mutex held. */
void iommu_grp_del_member(struct iommu_group *group, struct device *dev);
/* Call @fn on every group (holding a reference), for registry walks */
void iommu_grp_for_each(void (*fn)(struct iommu_group *group, void *data),
			void *data);
/*
 * Free the domains of @group once its last member is gone: called by the
 * release of that member after the driver's release_device() and before
 * the driver's module reference is dropped, since the domains' ops live in
 * that module.  Group mutex held.
 */
void iommu_grp_free_domains(struct iommu_group *group);

/* debugfs.c: /sys/kernel/debug/iommu/groups/<id>, see there */
#ifdef CONFIG_IOMMU_DEBUGFS
void iommu_grp_debugfs_init(void);
void iommu_grp_debugfs_add(struct iommu_group *group);
void iommu_grp_debugfs_remove(struct iommu_group *group);
#else
static inline void iommu_grp_debugfs_init(void) {}
static inline void iommu_grp_debugfs_add(struct iommu_group *group) {}
static inline void iommu_grp_debugfs_remove(struct iommu_group *group) {}
#endif

/* sysfs.c */

/* A domain type by the name sysfs "type" shows for it */
const char *iommu_grp_type_name(unsigned int type);

/*
 * Create the attributes of a new group (@populate), or show or hide "name"
 * after iommu_group_set_name() changed it.
 */
int iommu_grp_sysfs_update(struct iommu_group *group, bool populate);

/* domain.c: allocation, blocking domains, direct mappings */

/*
 * Allocate a domain of @type (IOMMU_DOMAIN_*) from the ops of @dev, using a
 * driver's static identity/blocked domain where it has one; the domain's
 * owner and, for DMA domains, its DMA cookie are set up.
 */
struct iommu_domain *iommu_dom_alloc_for_dev(struct device *dev,
					     unsigned int type);
/* Map @dev's IOMMU_RESV_DIRECT regions into @domain. */
int iommu_dom_map_direct(struct iommu_domain *domain, struct device *dev);
/* The blocking domain of @group, allocated on first use. Group mutex held. */
struct iommu_domain *iommu_dom_get_blocking(struct iommu_group *group);

/* policy.c: the default domain of a group */

/*
 * The default domain type for @group: @req (0 for the policy) reconciled with
 * every member's def_domain_type() and the driver's static default domain.
 * Negative errno when the members disagree or the driver cannot honour it.
 * Group mutex held.
 */
int iommu_dom_pick_default_type(struct iommu_group *group, int req);
/* Whether the default domain of @group may serve @dev, joining it. */
int iommu_dom_check_member(struct iommu_group *group, struct device *dev);
/*
 * Give @group a default domain of type @req (0 for the policy), map the
 * direct regions of every member into it and, if the group is unowned, move
 * the group to it.  Replaces an existing default domain (sysfs "type").
 * Group mutex held.
 */
int iommu_dom_setup_default(struct iommu_group *group, int req);

/* attach.c: the one place a group changes domain */

/* Flags for iommu_grp_set_domain() */
enum {
	/*
	 * The switch is a return to core-owned state (default or blocking
	 * domain) that has no failure path: on error, fall back device by
	 * device to the blocking domain and warn.
	 */
	IOMMU_SET_MUST_SUCCEED = BIT(0),
};

/*
 * Attach every device of @group to @domain, honouring deferred attach for
 * the default domain, and publish it as iommu_group::domain.  On failure
 * every device is back on the previous domain.  Group mutex held.
 */
int iommu_grp_set_domain(struct iommu_group *group, struct iommu_domain *domain,
			 unsigned int flags);
/* Move a device leaving @group to its driver's release_domain. */
void iommu_grp_release_attach(struct iommu_group *group, struct device *dev,
			      struct iommu_domain *rd);
/* Attach the group's current domain to a newly added member. */
int iommu_grp_attach_new_member(struct iommu_group *group, struct device *dev);
/*
 * The domain the core puts the group in when nobody else chose one: the
 * blocking domain when claimed, the default domain otherwise.
 */
struct iommu_domain *iommu_grp_core_domain(struct iommu_group *group);
/*
 * reset.c's two moves of one member, the group's domain left alone: onto
 * the blocking domain (0, or an errno with @dev back where it was), and back
 * to the group's domain of the moment.  Group mutex held.
 */
int iommu_grp_reset_block(struct iommu_group *group, struct device *dev);
void iommu_grp_reset_unblock(struct iommu_group *group, struct device *dev);

/* owner.c */

/* True if a private owner may not take the group now. Group mutex held. */
bool iommu_own_is_claimed(struct iommu_group *group);

/* pasid.c */

/* Drop all PASID state of @dev on release. Group mutex held. */
void iommu_pasid_release_device(struct iommu_group *group, struct device *dev);
/* Set the group's PASIDs up on a new member. Group mutex held. */
int iommu_pasid_add_member(struct iommu_group *group, struct device *dev);
/*
 * True while a PASID other than IOMMU_NO_PASID has a domain: the group may
 * then not change owner.  Group mutex held.
 */
bool iommu_pasid_group_busy(struct iommu_group *group);
/*
 * Tear the group's PASIDs down on @dev for its reset, keeping the table;
 * set up on @dev again those the table holds once the reset is done.
 * Group mutex held.
 */
void iommu_pasid_reset_block(struct iommu_group *group, struct device *dev);
void iommu_pasid_reset_unblock(struct iommu_group *group, struct device *dev);

/* resv.c */

/* Reserved regions of every member, merged. Group mutex held. */
int iommu_resv_group_regions(struct iommu_group *group, struct list_head *head);

#endif /* __IOMMU_CORE_H */
