/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Mock IOMMU drivers and a private test bus for the IOMMU core conformance
 * suite.
 *
 * Every case builds its own small world: one or more mock IOMMU instances
 * registered with iommu_device_register_bus() on our bus, and mock devices
 * added to that bus, optionally with a fwspec naming one of the instances.
 * The mock drivers record every callback the core makes, so that the cases
 * assert on the calls the core really issued rather than on its private
 * state, which they never look at.  Everything a case creates is torn down
 * by KUnit deferred actions, in reverse order, even when the case fails
 * half-way, so that the core is never left with an owned group or an
 * attached domain when a device goes away.
 */
#ifndef __IOMMU_TEST_MOCK_H
#define __IOMMU_TEST_MOCK_H

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/fwnode.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>

#include "../iommu-priv.h"

/* How a mock driver's device_group() callback forms groups. */
enum iommu_mock_group_mode {
	/* generic_device_group(): one group per device */
	IOMMU_MOCK_GROUP_PER_DEVICE,
	/* generic_single_device_group(): one group per IOMMU instance */
	IOMMU_MOCK_GROUP_PER_INSTANCE,
	/* devices with the same group_key share a group, as PCI aliases do */
	IOMMU_MOCK_GROUP_BY_KEY,
};

/* What a mock driver declares as its global static ops->default_domain. */
enum iommu_mock_static_default {
	IOMMU_MOCK_STATIC_DEFAULT_NONE,
	IOMMU_MOCK_STATIC_DEFAULT_IDENTITY,
	IOMMU_MOCK_STATIC_DEFAULT_BLOCKED,
	/*
	 * The legacy 32-bit ARM path (seed 003): the driver has no default
	 * domain of its own, and "attaching" its static platform domain
	 * hands the device back to the platform's DMA ops.
	 */
	IOMMU_MOCK_STATIC_DEFAULT_PLATFORM,
};

struct iommu_mock;

/* Callbacks a mock can be made to block in, see iommu_mock::gate_type */
enum iommu_mock_gate_type {
	IOMMU_MOCK_GATE_ATTACH,
	IOMMU_MOCK_GATE_RESV_REGIONS,
};

#define IOMMU_MOCK_GATE_TIMEOUT	(5 * HZ)

struct iommu_mock_config {
	/*
	 * Without a fwnode the instance registers like Intel VT-d or AMD-Vi
	 * do, and its devices carry no fwspec; with one (the default) it
	 * registers like an OF/IORT IOMMU and only devices whose fwspec
	 * names it are its own.
	 */
	bool no_fwnode;
	/* Share the iommu_ops of an earlier instance: one driver, two IOMMUs */
	struct iommu_mock *share_ops;
	/* ops->is_attach_deferred() answer */
	bool attach_deferred;
	/* ops->def_domain_type() answer, 0 for no preference */
	int def_domain_type;
	/* Provide static ops->identity_domain / ops->blocked_domain */
	bool identity_domain;
	bool blocked_domain;
	/* ops->release_domain is the blocked domain (needs blocked_domain) */
	bool release_domain;
	enum iommu_mock_static_default static_default;
	/* device_iommu_capable(dev, IOMMU_CAP_DEFERRED_FLUSH) */
	bool deferred_flush;
	/* iommu_device::max_pasids */
	u32 max_pasids;
	/* ops->pgsize_bitmap, 0 for SZ_4K | SZ_2M | SZ_1G */
	unsigned long pgsize_bitmap;
	/*
	 * geometry.aperture_end of the paging domains the instance allocates,
	 * 0 for 48 bits: a small one makes the DMA layer run out of IOVAs
	 */
	dma_addr_t aperture_end;
	enum iommu_mock_group_mode group_mode;
};

enum iommu_mock_event_type {
	IOMMU_MOCK_EV_PROBE,
	IOMMU_MOCK_EV_RELEASE,
	IOMMU_MOCK_EV_DEVICE_GROUP,
	IOMMU_MOCK_EV_ATTACH,
	IOMMU_MOCK_EV_SET_PASID,
	IOMMU_MOCK_EV_REMOVE_PASID,
	IOMMU_MOCK_EV_DOMAIN_ALLOC,
	IOMMU_MOCK_EV_DOMAIN_FREE,
	IOMMU_MOCK_EV_MAP,
	IOMMU_MOCK_EV_UNMAP,
	IOMMU_MOCK_EV_SYNC_MAP,
	IOMMU_MOCK_EV_IOTLB_SYNC,
	IOMMU_MOCK_EV_FLUSH_ALL,
	IOMMU_MOCK_EV_NR,
};

/* One callback the core made into a mock driver. */
struct iommu_mock_event {
	enum iommu_mock_event_type type;
	struct device *dev;
	struct iommu_domain *domain;
	/* set_dev_pasid(): the old domain argument */
	struct iommu_domain *old;
	ioasid_t pasid;
	/* map/unmap/sync: the range; iotlb_sync: the gathered range */
	unsigned long iova;
	phys_addr_t paddr;
	size_t pgsize;
	size_t pgcount;
	int prot;
	gfp_t gfp;
	/* What the mock answered (errno, or bytes for map/unmap) */
	long ret;
	/* attach: refused after the device's translation was torn down */
	bool torn_down;
	/*
	 * The task the callback ran in, NULL in interrupt context: tells
	 * what a DMA API call did itself from what a timer or a worker did
	 */
	struct task_struct *task;
};

#define IOMMU_MOCK_MAX_EVENTS	1024

struct iommu_mock_env;

struct iommu_mock {
	struct kunit *test;
	struct iommu_mock_env *env;
	struct list_head node;
	struct iommu_mock_config cfg;
	unsigned int id;

	struct iommu_device iommu;
	struct iommu_ops ops;
	/* The ops the core is given: ours, or those of cfg.share_ops */
	const struct iommu_ops *reg_ops;
	struct fwnode_handle fwnode;
	struct notifier_block nb;
	bool registered;

	/* Static domains, handed out through ops->{identity,blocked}_domain */
	struct iommu_domain identity;
	struct iommu_domain blocked;
	/* ... and through ops->default_domain (IOMMU_MOCK_STATIC_DEFAULT_*) */
	struct iommu_domain platform;

	/* Failure injection */
	int fail_domain_alloc;
	/*
	 * attach_dev() of @fail_attach_domain (to @fail_attach_dev only, if
	 * set) fails with @fail_attach, the way 6.12's Intel and AMD drivers
	 * refuse a domain: the device's translation is torn down first, so
	 * that it is blocked until the core attaches it again.
	 */
	struct iommu_domain *fail_attach_domain;
	struct device *fail_attach_dev;
	int fail_attach;
	/* set_dev_pasid() fails (for @fail_set_pasid_dev only, if set) */
	int fail_set_pasid;
	struct device *fail_set_pasid_dev;

	/*
	 * A gate for races: while armed (iommu_mock_gate_arm()), the next
	 * callback of @gate_type (attach_dev() or get_resv_regions()) says it
	 * entered and waits, with the core's locks held, until the gate opens
	 * (at most IOMMU_MOCK_GATE_TIMEOUT, so that a broken core cannot hang
	 * the suite).
	 */
	enum iommu_mock_gate_type gate_type;
	atomic_t gate_armed;
	struct completion gate_entered;
	struct completion gate_open;

	/*
	 * probe_device() calls that found the instance not fully published
	 * yet: its sysfs device, or the ops and fwnode it registers with
	 */
	atomic_t unpublished_probes;
	/* BY_KEY groups that the core has released */
	atomic_t groups_released;
	/* Paging domains allocated and not yet freed */
	atomic_t live_domains;

	/* Protects the event log; callbacks may run in atomic context */
	spinlock_t lock;
	struct iommu_mock_event *log;
	unsigned int nr_events;
	unsigned int lost_events;
	atomic_t counts[IOMMU_MOCK_EV_NR];
};

/* A paging domain of a mock driver, with a real (if simple) page table. */
struct iommu_mock_domain {
	struct iommu_domain domain;
	struct iommu_mock *mock;
	/* iova >> PAGE_SHIFT of a mapping's start -> xa_mk_value(pfn, order) */
	struct xarray ptes;
	/* Failure injection: map_pages() fails on the page holding this iova */
	bool fail_map;
	unsigned long fail_map_iova;
	/*
	 * Failure injection for callers that do not pick the IOVA (the DMA
	 * API does): while @fail_map_after is set, map_pages() maps
	 * @fail_map_pages more pages, then fails with -ENOSPC on the next.
	 * Not atomic: for cases that map from one thread.
	 */
	bool fail_map_after;
	unsigned int fail_map_pages;
	int fail_sync_map;
	/* Calls of iova_to_phys(), which a DMA unmap path may avoid */
	atomic_t iova_to_phys_calls;
};

struct iommu_mock_dev_config {
	/* def_domain_type() answer for this device, over the driver's */
	int def_domain_type;
	/* probe_device() fails with this errno */
	int probe_errno;
	/* device_group() fails with this errno */
	int group_errno;
	/* IOMMU_MOCK_GROUP_BY_KEY: devices with the same key share a group */
	int group_key;
	/* "pasid-num-bits" device property, 0 for none */
	u32 pasid_bits;
	/*
	 * A region reported by get_resv_regions(): IOMMU_RESV_RESERVED, or
	 * IOMMU_RESV_DIRECT (firmware DMA, mapped 1:1) with @resv_direct
	 */
	phys_addr_t resv_start;
	size_t resv_size;
	bool resv_direct;
};

struct iommu_mock_dev {
	struct device dev;
	/* The PCI device the core sees instead of @dev, see iommu_mock_pci_dev */
	struct pci_dev *pdev;
	struct iommu_mock_env *env;
	struct list_head node;
	/* The instance named by the fwspec, NULL for a device without one */
	struct iommu_mock *fwspec_mock;
	struct iommu_mock_dev_config cfg;
	bool registered;
};

struct iommu_mock_env {
	struct kunit *test;
	struct list_head mocks;
	struct list_head devs;
	struct list_head undo;
};

/*
 * A mock device that is a struct pci_dev, for the core's rules on PCI
 * devices (untrusted ones).  Its pdev.dev sits on the mock bus like every
 * mock device (md.dev is unused), so that only the mocks ever probe it;
 * iommu_mock_pci_dev_set_pci() puts it on pci_bus_type for the core's
 * dev_is_pci() while a case needs that, and the end of the case takes it
 * back first.  Its bus is a root bus of its own with an empty host bridge,
 * which is all dma-iommu looks at.
 */
struct iommu_mock_pci_dev {
	struct pci_dev pdev;
	struct pci_bus bus;
	struct pci_host_bridge *bridge;
	struct iommu_mock_dev md;
};

/* The mock device of a device the mocks created */
struct iommu_mock_dev *to_iommu_mock_dev(struct device *dev);

/* The device the core sees for @md */
static inline struct device *iommu_mock_core_dev(struct iommu_mock_dev *md)
{
	return md->pdev ? &md->pdev->dev : &md->dev;
}

static inline struct iommu_mock_domain *
to_iommu_mock_domain(struct iommu_domain *domain)
{
	return container_of(domain, struct iommu_mock_domain, domain);
}

/* Suite .init for every suite using the mocks */
int iommu_mock_test_init(struct kunit *test);

struct iommu_mock *iommu_mock_add(struct kunit *test,
				  const struct iommu_mock_config *cfg);
/*
 * Withdraw an instance from the core before the end of the case
 * (iommu_device_unregister_bus()), and register it again; the end of the
 * case unregisters it only if it is registered then.
 */
void iommu_mock_unregister(struct iommu_mock *mock);
int iommu_mock_register(struct iommu_mock *mock);
struct iommu_mock_dev *iommu_mock_dev_add(struct kunit *test,
					  struct iommu_mock *mock,
					  const struct iommu_mock_dev_config *cfg);
void iommu_mock_dev_remove(struct kunit *test, struct iommu_mock_dev *md);
/*
 * A PCI mock device (see struct iommu_mock_pci_dev), registered but not
 * yet probed: iommu_mock_dev_probe() does that, after
 * iommu_mock_pci_dev_set_pci() if the core is to see a PCI device then.
 */
struct iommu_mock_pci_dev *
iommu_mock_pci_dev_add(struct kunit *test, struct iommu_mock *mock,
		       const struct iommu_mock_dev_config *cfg, bool untrusted);
void iommu_mock_pci_dev_set_pci(struct iommu_mock_pci_dev *pmd, bool pci);
int iommu_mock_dev_probe(struct iommu_mock_dev *md);
int iommu_mock_set_fwspec(struct device *dev, struct fwnode_handle *fwnode);

/* Log queries; a NULL dev or domain matches any */
unsigned int iommu_mock_count(struct iommu_mock *mock,
			      enum iommu_mock_event_type type,
			      struct device *dev, struct iommu_domain *domain);
int iommu_mock_find(struct iommu_mock *mock, int from,
		    enum iommu_mock_event_type type,
		    struct device *dev, struct iommu_domain *domain);
unsigned int iommu_mock_events(struct iommu_mock *mock,
			       enum iommu_mock_event_type type,
			       struct iommu_mock_event *out, unsigned int max);
/*
 * The domain @dev's hardware is on after its last attach_dev(): the domain
 * of the last successful one, or NULL if a refused attach tore it down
 * after that (the device is blocked) or none happened.
 */
struct iommu_domain *iommu_mock_last_attached(struct iommu_mock *mock,
					      struct device *dev);
void iommu_mock_clear_log(struct iommu_mock *mock);
/*
 * Move the @max oldest events out of the log into @out and return how many
 * moved, in one step under the log's lock: an event logged meanwhile stays
 * for the next call.  Lets a case follow a long run in order without the
 * log filling up.
 */
unsigned int iommu_mock_take_events(struct iommu_mock *mock,
				    struct iommu_mock_event *out,
				    unsigned int max);

/*
 * Race gates: arm one, start the racing thread, wait until the mock is
 * blocked inside the callback (false after IOMMU_MOCK_GATE_TIMEOUT), do the
 * racing call, open the gate.
 */
void iommu_mock_gate_arm(struct iommu_mock *mock,
			 enum iommu_mock_gate_type type);
bool iommu_mock_gate_wait_entered(struct iommu_mock *mock);
void iommu_mock_gate_open(struct iommu_mock *mock);

/* Domains */
struct iommu_domain *iommu_mock_paging_domain(struct kunit *test,
					      struct device *dev);
size_t iommu_mock_mapped_bytes(struct iommu_domain *domain);

/*
 * Core operations whose undo is queued as a deferred action, so that a
 * failing case still hands the core back a clean group.  The explicit
 * undo helpers run the queued action early.
 */
int iommu_mock_use_default_domain(struct kunit *test, struct device *dev);
void iommu_mock_unuse_default_domain(struct kunit *test, struct device *dev);
int iommu_mock_claim_group(struct kunit *test, struct iommu_group *group,
			   void *owner);
void iommu_mock_release_group(struct kunit *test, struct iommu_group *group);
int iommu_mock_claim_device(struct kunit *test, struct device *dev,
			    void *owner);
void iommu_mock_release_device(struct kunit *test, struct device *dev);
int iommu_mock_attach_device(struct kunit *test, struct iommu_domain *domain,
			     struct device *dev);
void iommu_mock_detach_device(struct kunit *test, struct iommu_domain *domain,
			      struct device *dev);
int iommu_mock_attach_group(struct kunit *test, struct iommu_domain *domain,
			    struct iommu_group *group);
int iommu_mock_replace_group(struct kunit *test, struct iommu_group *group,
			     struct iommu_domain *domain);
void iommu_mock_detach_group(struct kunit *test, struct iommu_group *group);
int iommu_mock_attach_pasid(struct kunit *test, struct iommu_domain *domain,
			    struct device *dev, ioasid_t pasid,
			    struct iommu_attach_handle *handle);
void iommu_mock_detach_pasid(struct kunit *test, struct iommu_domain *domain,
			     struct device *dev, ioasid_t pasid);

/* The group of a device, with the reference dropped at the end of the case */
struct iommu_group *iommu_mock_group(struct kunit *test, struct device *dev);
void iommu_mock_put_group(struct kunit *test, struct iommu_group *group);

/* sysfs, through a private kernel mount: no userspace is running yet */
ssize_t iommu_mock_sysfs_read(const char *path, char *buf, size_t len);
ssize_t iommu_mock_sysfs_write(const char *path, const char *buf);
/* debugfs, the same way */
ssize_t iommu_mock_debugfs_read(const char *path, char *buf, size_t len);

/*
 * The DMA domain type (IOMMU_DOMAIN_DMA or IOMMU_DOMAIN_DMA_FQ) that the
 * system policy gives a driver which supports flush queues, read from the
 * default domains the real IOMMU driver got for its PCI devices; 0 if no
 * such device exists.
 */
unsigned int iommu_mock_policy_dma_type(void);

/*
 * iommu_kunit_expect_gap() - check a seed's behaviour that upstream's core
 * is known to lack.
 *
 * The suite runs on upstream's 6.12 core until our core replaces it.  On our
 * core (CONFIG_IOMMU_CORE_OURS) this is a plain expectation.  On upstream's
 * the case is marked skipped with a reason starting with "XFAIL", which the
 * summary counts as an expected failure, unless the case already failed for
 * another reason (a skip must not hide that); and if upstream unexpectedly
 * behaves as the seed wants, the case fails with "XPASS" so that the stale
 * mark gets looked at.  Use it once per case, only for genuine seed gaps.
 */
static inline void __iommu_kunit_expect_gap(struct kunit *test, bool ok,
					    bool ours, const char *side,
					    const char *reason)
{
	if (ours) {
		KUNIT_EXPECT_TRUE_MSG(test, ok, "%s", reason);
		return;
	}
	if (ok)
		KUNIT_FAIL(test, "XPASS %s: %s", side, reason);
	else if (READ_ONCE(test->status) != KUNIT_FAILURE)
		kunit_mark_skipped(test, "XFAIL %s: %s", side, reason);
}

static inline void iommu_kunit_expect_gap(struct kunit *test, bool ok,
					  const char *reason)
{
	__iommu_kunit_expect_gap(test, ok, IS_ENABLED(CONFIG_IOMMU_CORE_OURS),
				 "upstream", reason);
}

/*
 * iommu_dma_kunit_expect_gap() - the same for a promise of our DMA-IOMMU
 * layer (drivers/iommu/dma/) that upstream's dma-iommu.c and iova.c are
 * known to miss: a plain expectation with CONFIG_IOMMU_DMA_LAYER_OURS,
 * "XFAIL" (or "XPASS") on upstream's layer, whichever core runs.
 */
static inline void iommu_dma_kunit_expect_gap(struct kunit *test, bool ok,
					      const char *reason)
{
	__iommu_kunit_expect_gap(test, ok,
				 IS_ENABLED(CONFIG_IOMMU_DMA_LAYER_OURS),
				 "upstream DMA layer", reason);
}

#endif /* __IOMMU_TEST_MOCK_H */
