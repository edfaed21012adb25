// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mock IOMMU drivers and a private test bus for the IOMMU core conformance
 * suite.  See iommu-test-mock.h.
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/property.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "iommu-test-mock.h"

/*
 * Our own bus: the core only learns about its devices through the notifier
 * that iommu_device_register_bus() installs, so no real IOMMU driver ever
 * sees them unless the core hands them over.
 */
static const struct bus_type iommu_mock_bus = {
	.name = "iommu-kunit",
};

static atomic_t iommu_mock_ids = ATOMIC_INIT(0);
static atomic_t iommu_mock_dev_ids = ATOMIC_INIT(0);

#define IOMMU_MOCK_DEFAULT_PGSIZES	(SZ_4K | SZ_2M | SZ_1G)

/* Mapping entries: the pfn of the output address and the page order */
#define IOMMU_MOCK_PTE_ORDER_BITS	6

KUNIT_DEFINE_ACTION_WRAPPER(iommu_mock_group_put, iommu_group_put,
			    struct iommu_group *);
KUNIT_DEFINE_ACTION_WRAPPER(iommu_mock_domain_free, iommu_domain_free,
			    struct iommu_domain *);

/* ---- race gates ---- */

void iommu_mock_gate_arm(struct iommu_mock *mock,
			 enum iommu_mock_gate_type type)
{
	mock->gate_type = type;
	reinit_completion(&mock->gate_entered);
	reinit_completion(&mock->gate_open);
	atomic_set(&mock->gate_armed, 1);
}

bool iommu_mock_gate_wait_entered(struct iommu_mock *mock)
{
	return wait_for_completion_timeout(&mock->gate_entered,
					   IOMMU_MOCK_GATE_TIMEOUT);
}

void iommu_mock_gate_open(struct iommu_mock *mock)
{
	atomic_set(&mock->gate_armed, 0);
	complete_all(&mock->gate_open);
}

/* Called by the callbacks a gate can hold; sleeps, as those may */
static void mock_gate(struct iommu_mock *mock, enum iommu_mock_gate_type type)
{
	if (mock->gate_type != type || !atomic_cmpxchg(&mock->gate_armed, 1, 0))
		return;
	complete(&mock->gate_entered);
	wait_for_completion_timeout(&mock->gate_open, IOMMU_MOCK_GATE_TIMEOUT);
}

/* ---- event log ---- */

static void mock_log(struct iommu_mock *mock, const struct iommu_mock_event *ev)
{
	struct iommu_mock_event *slot;
	unsigned long flags;

	atomic_inc(&mock->counts[ev->type]);
	spin_lock_irqsave(&mock->lock, flags);
	if (mock->nr_events < IOMMU_MOCK_MAX_EVENTS) {
		slot = &mock->log[mock->nr_events++];
		*slot = *ev;
		slot->task = in_task() ? current : NULL;
	} else {
		mock->lost_events++;
	}
	spin_unlock_irqrestore(&mock->lock, flags);
}

static bool mock_event_match(const struct iommu_mock_event *ev,
			     enum iommu_mock_event_type type,
			     struct device *dev, struct iommu_domain *domain)
{
	return ev->type == type && (!dev || ev->dev == dev) &&
	       (!domain || ev->domain == domain);
}

static void mock_check_lost(struct iommu_mock *mock)
{
	if (mock->lost_events)
		KUNIT_FAIL(mock->test, "mock %u lost %u events, log too small",
			   mock->id, mock->lost_events);
}

unsigned int iommu_mock_count(struct iommu_mock *mock,
			      enum iommu_mock_event_type type,
			      struct device *dev, struct iommu_domain *domain)
{
	unsigned int i, n = 0;
	unsigned long flags;

	mock_check_lost(mock);
	spin_lock_irqsave(&mock->lock, flags);
	for (i = 0; i < mock->nr_events; i++)
		n += mock_event_match(&mock->log[i], type, dev, domain);
	spin_unlock_irqrestore(&mock->lock, flags);
	return n;
}

int iommu_mock_find(struct iommu_mock *mock, int from,
		    enum iommu_mock_event_type type,
		    struct device *dev, struct iommu_domain *domain)
{
	unsigned long flags;
	int i, found = -1;

	spin_lock_irqsave(&mock->lock, flags);
	for (i = max(from, 0); i < mock->nr_events; i++) {
		if (mock_event_match(&mock->log[i], type, dev, domain)) {
			found = i;
			break;
		}
	}
	spin_unlock_irqrestore(&mock->lock, flags);
	return found;
}

unsigned int iommu_mock_events(struct iommu_mock *mock,
			       enum iommu_mock_event_type type,
			       struct iommu_mock_event *out, unsigned int max)
{
	unsigned int i, n = 0;
	unsigned long flags;

	mock_check_lost(mock);
	spin_lock_irqsave(&mock->lock, flags);
	for (i = 0; i < mock->nr_events; i++) {
		if (mock->log[i].type != type)
			continue;
		if (n < max)
			out[n] = mock->log[i];
		n++;
	}
	spin_unlock_irqrestore(&mock->lock, flags);
	return n;
}

struct iommu_domain *iommu_mock_last_attached(struct iommu_mock *mock,
					      struct device *dev)
{
	struct iommu_domain *domain = NULL;
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&mock->lock, flags);
	for (i = 0; i < mock->nr_events; i++) {
		const struct iommu_mock_event *ev = &mock->log[i];

		if (ev->type != IOMMU_MOCK_EV_ATTACH || ev->dev != dev)
			continue;
		if (!ev->ret)
			domain = ev->domain;
		else if (ev->torn_down)
			domain = NULL;
	}
	spin_unlock_irqrestore(&mock->lock, flags);
	return domain;
}

void iommu_mock_clear_log(struct iommu_mock *mock)
{
	unsigned long flags;

	spin_lock_irqsave(&mock->lock, flags);
	mock->nr_events = 0;
	mock->lost_events = 0;
	spin_unlock_irqrestore(&mock->lock, flags);
}

unsigned int iommu_mock_take_events(struct iommu_mock *mock,
				    struct iommu_mock_event *out,
				    unsigned int max)
{
	unsigned long flags;
	unsigned int n;

	mock_check_lost(mock);
	spin_lock_irqsave(&mock->lock, flags);
	n = min(mock->nr_events, max);
	memcpy(out, mock->log, n * sizeof(*out));
	mock->nr_events -= n;
	memmove(mock->log, mock->log + n, mock->nr_events * sizeof(*out));
	spin_unlock_irqrestore(&mock->lock, flags);
	return n;
}

/* ---- mock devices: which is which ---- */

static void iommu_mock_dev_release(struct device *dev);
static void iommu_mock_pci_dev_release(struct device *dev);

/* A device of ours: on our bus, or one of our PCI devices lent to PCI */
static bool mock_owns_dev(struct device *dev)
{
	return dev->bus == &iommu_mock_bus ||
	       dev->release == iommu_mock_pci_dev_release;
}

struct iommu_mock_dev *to_iommu_mock_dev(struct device *dev)
{
	if (dev->release == iommu_mock_pci_dev_release)
		return &container_of(to_pci_dev(dev), struct iommu_mock_pci_dev,
				     pdev)->md;
	return container_of(dev, struct iommu_mock_dev, dev);
}

/* ---- iommu_ops ---- */

static struct iommu_mock *dev_to_mock(struct device *dev)
{
	return iommu_get_iommu_dev(dev, struct iommu_mock, iommu);
}

/*
 * Whether the core may offer @mock devices: what the driver publishes before
 * registering (the sysfs device) and what registering publishes (the ops and
 * the fwnode the instance is found by) are all in place.
 */
static bool mock_published(struct iommu_mock *mock)
{
	struct device *hw = READ_ONCE(mock->iommu.dev);

	return hw && device_is_registered(hw) &&
	       READ_ONCE(mock->iommu.ops) == mock->reg_ops &&
	       READ_ONCE(mock->iommu.fwnode) ==
	       (mock->cfg.no_fwnode ? NULL : &mock->fwnode);
}

static struct iommu_device *mock_probe(struct iommu_mock *mock,
				       struct iommu_mock_dev *md)
{
	struct iommu_mock_event ev = {
		.type = IOMMU_MOCK_EV_PROBE,
		.dev = iommu_mock_core_dev(md),
		.ret = md->cfg.probe_errno,
	};

	if (!mock_published(mock))
		atomic_inc(&mock->unpublished_probes);
	mock_log(mock, &ev);
	if (md->cfg.probe_errno)
		return ERR_PTR(md->cfg.probe_errno);
	return &mock->iommu;
}

static void mock_log_refused_probe(struct iommu_mock *mock, struct device *dev)
{
	struct iommu_mock_event ev = {
		.type = IOMMU_MOCK_EV_PROBE,
		.dev = dev,
		.ret = -ENODEV,
	};

	mock_log(mock, &ev);
}

/*
 * probe_device() of the instances that need a fwspec.  A device is theirs
 * only when its fwspec names their fwnode.  Being asked about any other
 * device of our bus is a core bug the probe cases look for; the callback
 * cannot tell through which instance's ops it was called, so the question
 * is logged against every instance of this kind.
 */
static struct iommu_device *mock_probe_device_fwspec(struct device *dev)
{
	struct iommu_fwspec *fwspec = dev_iommu_fwspec_get(dev);
	struct iommu_mock_dev *md;
	struct iommu_mock *mock;

	if (!mock_owns_dev(dev))
		return ERR_PTR(-ENODEV);
	md = to_iommu_mock_dev(dev);

	list_for_each_entry(mock, &md->env->mocks, node) {
		if (!mock->cfg.no_fwnode && fwspec &&
		    fwspec->iommu_fwnode == &mock->fwnode)
			return mock_probe(mock, md);
	}
	list_for_each_entry(mock, &md->env->mocks, node) {
		if (!mock->cfg.no_fwnode)
			mock_log_refused_probe(mock, dev);
	}
	return ERR_PTR(-ENODEV);
}

/*
 * probe_device() of the instances without a fwnode.  A case registers at
 * most one such driver (possibly as several instances sharing its ops), so
 * every question is that driver's, logged against its first instance.  It
 * refuses devices whose fwspec names another IOMMU.
 */
static struct iommu_device *mock_probe_device_plain(struct device *dev)
{
	struct iommu_mock_dev *md;
	struct iommu_mock *mock;

	if (!mock_owns_dev(dev))
		return ERR_PTR(-ENODEV);
	md = to_iommu_mock_dev(dev);

	list_for_each_entry(mock, &md->env->mocks, node) {
		if (!mock->cfg.no_fwnode || mock->cfg.share_ops)
			continue;
		if (dev_iommu_fwspec_get(dev)) {
			mock_log_refused_probe(mock, dev);
			return ERR_PTR(-ENODEV);
		}
		return mock_probe(mock, md);
	}
	return ERR_PTR(-ENODEV);
}

static void mock_release_device(struct device *dev)
{
	struct iommu_mock_event ev = {
		.type = IOMMU_MOCK_EV_RELEASE,
		.dev = dev,
	};

	mock_log(dev_to_mock(dev), &ev);
}

static void mock_group_released(void *data)
{
	struct iommu_mock *mock = data;

	atomic_inc(&mock->groups_released);
}

static struct iommu_group *mock_group_by_key(struct iommu_mock *mock,
					     struct iommu_mock_dev *md)
{
	struct iommu_mock_dev *other;
	struct iommu_group *group;

	/* Join the group of an already probed device with the same key */
	list_for_each_entry(other, &md->env->devs, node) {
		if (other == md || other->fwspec_mock != md->fwspec_mock ||
		    other->cfg.group_key != md->cfg.group_key)
			continue;
		group = iommu_group_get(iommu_mock_core_dev(other));
		if (group)
			return group;
	}

	group = iommu_group_alloc();
	if (!IS_ERR(group))
		iommu_group_set_iommudata(group, mock, mock_group_released);
	return group;
}

static struct iommu_group *mock_device_group(struct device *dev)
{
	struct iommu_mock_dev *md = to_iommu_mock_dev(dev);
	struct iommu_mock *mock = dev_to_mock(dev);
	struct iommu_mock_event ev = {
		.type = IOMMU_MOCK_EV_DEVICE_GROUP,
		.dev = dev,
		.ret = md->cfg.group_errno,
	};

	mock_log(mock, &ev);
	if (md->cfg.group_errno)
		return ERR_PTR(md->cfg.group_errno);

	switch (mock->cfg.group_mode) {
	case IOMMU_MOCK_GROUP_PER_INSTANCE:
		return generic_single_device_group(dev);
	case IOMMU_MOCK_GROUP_BY_KEY:
		return mock_group_by_key(mock, md);
	case IOMMU_MOCK_GROUP_PER_DEVICE:
	default:
		return generic_device_group(dev);
	}
}

static bool mock_capable(struct device *dev, enum iommu_cap cap)
{
	switch (cap) {
	case IOMMU_CAP_CACHE_COHERENCY:
		return true;
	case IOMMU_CAP_DEFERRED_FLUSH:
		return dev_to_mock(dev)->cfg.deferred_flush;
	default:
		return false;
	}
}

static void mock_get_resv_regions(struct device *dev, struct list_head *head)
{
	struct iommu_mock_dev *md = to_iommu_mock_dev(dev);
	struct iommu_resv_region *region;

	mock_gate(dev_to_mock(dev), IOMMU_MOCK_GATE_RESV_REGIONS);
	if (!md->cfg.resv_size)
		return;
	region = iommu_alloc_resv_region(md->cfg.resv_start, md->cfg.resv_size,
					 md->cfg.resv_direct ?
					 IOMMU_READ | IOMMU_WRITE : 0,
					 md->cfg.resv_direct ? IOMMU_RESV_DIRECT :
							       IOMMU_RESV_RESERVED,
					 GFP_KERNEL);
	if (region)
		list_add_tail(&region->list, head);
}

static bool mock_is_attach_deferred(struct device *dev)
{
	return dev_to_mock(dev)->cfg.attach_deferred;
}

static int mock_def_domain_type(struct device *dev)
{
	return to_iommu_mock_dev(dev)->cfg.def_domain_type ?:
	       dev_to_mock(dev)->cfg.def_domain_type;
}

static void mock_remove_dev_pasid(struct device *dev, ioasid_t pasid,
				  struct iommu_domain *domain)
{
	struct iommu_mock_event ev = {
		.type = IOMMU_MOCK_EV_REMOVE_PASID,
		.dev = dev,
		.domain = domain,
		.pasid = pasid,
	};

	mock_log(dev_to_mock(dev), &ev);
}

/* ---- domains ---- */

static int mock_attach_dev(struct iommu_domain *domain, struct device *dev)
{
	struct iommu_mock *mock = dev_to_mock(dev);
	struct iommu_mock_event ev = {
		.type = IOMMU_MOCK_EV_ATTACH,
		.dev = dev,
		.domain = domain,
	};

	mock_gate(mock, IOMMU_MOCK_GATE_ATTACH);
	if (mock->fail_attach && mock->fail_attach_domain == domain &&
	    (!mock->fail_attach_dev || mock->fail_attach_dev == dev)) {
		ev.ret = mock->fail_attach;
		ev.torn_down = true;
	}
	mock_log(mock, &ev);
	return ev.ret;
}

static int mock_set_dev_pasid(struct iommu_domain *domain, struct device *dev,
			      ioasid_t pasid, struct iommu_domain *old)
{
	struct iommu_mock *mock = dev_to_mock(dev);
	struct iommu_mock_event ev = {
		.type = IOMMU_MOCK_EV_SET_PASID,
		.dev = dev,
		.domain = domain,
		.old = old,
		.pasid = pasid,
	};

	if (!mock->fail_set_pasid_dev || mock->fail_set_pasid_dev == dev)
		ev.ret = mock->fail_set_pasid;

	mock_log(mock, &ev);
	return ev.ret;
}

static unsigned long mock_pte_value(phys_addr_t paddr, size_t pgsize)
{
	return (unsigned long)(paddr >> PAGE_SHIFT) << IOMMU_MOCK_PTE_ORDER_BITS |
	       ilog2(pgsize);
}

static size_t mock_pte_size(void *entry)
{
	return 1UL << (xa_to_value(entry) &
		       ((1UL << IOMMU_MOCK_PTE_ORDER_BITS) - 1));
}

static phys_addr_t mock_pte_phys(void *entry)
{
	return (phys_addr_t)(xa_to_value(entry) >> IOMMU_MOCK_PTE_ORDER_BITS)
		<< PAGE_SHIFT;
}

/*
 * Find the mapping covering @iova.  Mappings are naturally aligned to their
 * page size, so a mapping of size S covering @iova starts at
 * ALIGN_DOWN(iova, S); try every supported size.
 */
static void *mock_lookup(struct iommu_mock_domain *md, unsigned long iova,
			 unsigned long *base)
{
	unsigned long sizes = md->domain.pgsize_bitmap;
	unsigned int bit;

	for_each_set_bit(bit, &sizes, BITS_PER_LONG) {
		unsigned long start = ALIGN_DOWN(iova, 1UL << bit);
		void *entry = xa_load(&md->ptes, start >> PAGE_SHIFT);

		if (entry && mock_pte_size(entry) == 1UL << bit) {
			if (base)
				*base = start;
			return entry;
		}
	}
	return NULL;
}

static bool mock_range_busy(struct iommu_mock_domain *md, unsigned long iova,
			    size_t size)
{
	unsigned long first = iova >> PAGE_SHIFT;
	unsigned long last = (iova + size - 1) >> PAGE_SHIFT;

	if (xa_find(&md->ptes, &first, last, XA_PRESENT))
		return true;
	return mock_lookup(md, iova, NULL);
}

static int mock_map_pages(struct iommu_domain *domain, unsigned long iova,
			  phys_addr_t paddr, size_t pgsize, size_t pgcount,
			  int prot, gfp_t gfp, size_t *mapped)
{
	struct iommu_mock_domain *md = to_iommu_mock_domain(domain);
	struct iommu_mock_event ev = {
		.type = IOMMU_MOCK_EV_MAP,
		.domain = domain,
		.iova = iova,
		.paddr = paddr,
		.pgsize = pgsize,
		.pgcount = pgcount,
		.prot = prot,
		.gfp = gfp,
	};
	size_t i;
	int ret = 0;

	/* The core must only hand us sizes and alignments we advertised */
	if (!(pgsize & domain->pgsize_bitmap) || !is_power_of_2(pgsize) ||
	    !IS_ALIGNED(iova | paddr, pgsize)) {
		ret = -EINVAL;
		goto out;
	}

	for (i = 0; i < pgcount; i++) {
		unsigned long va = iova + i * pgsize;

		if (md->fail_map && md->fail_map_iova >= va &&
		    md->fail_map_iova - va < pgsize) {
			ret = -ENOSPC;
			break;
		}
		if (mock_range_busy(md, va, pgsize)) {
			ret = -EEXIST;
			break;
		}
		if (md->fail_map_after) {
			if (!md->fail_map_pages) {
				ret = -ENOSPC;
				break;
			}
			md->fail_map_pages--;
		}
		ret = xa_err(xa_store(&md->ptes, va >> PAGE_SHIFT,
				      xa_mk_value(mock_pte_value(paddr + i * pgsize,
								 pgsize)),
				      gfp));
		if (ret)
			break;
		*mapped += pgsize;
	}
out:
	ev.ret = ret;
	mock_log(md->mock, &ev);
	return ret;
}

static size_t mock_unmap_pages(struct iommu_domain *domain, unsigned long iova,
			       size_t pgsize, size_t pgcount,
			       struct iommu_iotlb_gather *gather)
{
	struct iommu_mock_domain *md = to_iommu_mock_domain(domain);
	struct iommu_mock_event ev = {
		.type = IOMMU_MOCK_EV_UNMAP,
		.domain = domain,
		.iova = iova,
		.pgsize = pgsize,
		.pgcount = pgcount,
	};
	size_t done = 0;

	/*
	 * Like most drivers, unmapping the start of a larger page removes the
	 * whole page (and reports its size); we stop at the first hole.
	 */
	while (done < pgsize * pgcount) {
		unsigned long va = iova + done;
		void *entry = xa_erase(&md->ptes, va >> PAGE_SHIFT);

		if (!entry)
			break;
		if (gather)
			iommu_iotlb_gather_add_range(gather, va,
						     mock_pte_size(entry));
		done += mock_pte_size(entry);
	}
	ev.ret = done;
	mock_log(md->mock, &ev);
	return done;
}

static int mock_iotlb_sync_map(struct iommu_domain *domain, unsigned long iova,
			       size_t size)
{
	struct iommu_mock_domain *md = to_iommu_mock_domain(domain);
	struct iommu_mock_event ev = {
		.type = IOMMU_MOCK_EV_SYNC_MAP,
		.domain = domain,
		.iova = iova,
		.pgsize = size,
		.ret = md->fail_sync_map,
	};

	mock_log(md->mock, &ev);
	return ev.ret;
}

static void mock_iotlb_sync(struct iommu_domain *domain,
			    struct iommu_iotlb_gather *gather)
{
	struct iommu_mock_domain *md = to_iommu_mock_domain(domain);
	struct iommu_mock_event ev = {
		.type = IOMMU_MOCK_EV_IOTLB_SYNC,
		.domain = domain,
	};

	if (gather && gather->end >= gather->start) {
		ev.iova = gather->start;
		ev.pgsize = gather->end - gather->start + 1;
	}
	mock_log(md->mock, &ev);
}

static void mock_flush_iotlb_all(struct iommu_domain *domain)
{
	struct iommu_mock_domain *md = to_iommu_mock_domain(domain);
	struct iommu_mock_event ev = {
		.type = IOMMU_MOCK_EV_FLUSH_ALL,
		.domain = domain,
	};

	mock_log(md->mock, &ev);
}

static phys_addr_t mock_iova_to_phys(struct iommu_domain *domain,
				     dma_addr_t iova)
{
	struct iommu_mock_domain *md = to_iommu_mock_domain(domain);
	unsigned long base;
	void *entry;

	atomic_inc(&md->iova_to_phys_calls);
	entry = mock_lookup(md, iova, &base);
	if (!entry)
		return 0;
	return mock_pte_phys(entry) + (iova - base);
}

static void mock_domain_free(struct iommu_domain *domain)
{
	struct iommu_mock_domain *md = to_iommu_mock_domain(domain);
	struct iommu_mock_event ev = {
		.type = IOMMU_MOCK_EV_DOMAIN_FREE,
		.domain = domain,
	};

	mock_log(md->mock, &ev);
	atomic_dec(&md->mock->live_domains);
	xa_destroy(&md->ptes);
	kfree(md);
}

static const struct iommu_domain_ops mock_paging_ops = {
	.attach_dev = mock_attach_dev,
	.set_dev_pasid = mock_set_dev_pasid,
	.map_pages = mock_map_pages,
	.unmap_pages = mock_unmap_pages,
	.iotlb_sync_map = mock_iotlb_sync_map,
	.iotlb_sync = mock_iotlb_sync,
	.flush_iotlb_all = mock_flush_iotlb_all,
	.iova_to_phys = mock_iova_to_phys,
	.free = mock_domain_free,
};

/* The static identity and blocked domains only ever get attached. */
static const struct iommu_domain_ops mock_static_ops = {
	.attach_dev = mock_attach_dev,
};

static struct iommu_domain *mock_domain_alloc_paging(struct device *dev)
{
	struct iommu_mock *mock = dev_to_mock(dev);
	struct iommu_mock_event ev = {
		.type = IOMMU_MOCK_EV_DOMAIN_ALLOC,
		.dev = dev,
		.ret = mock->fail_domain_alloc,
	};
	struct iommu_mock_domain *md;

	if (mock->fail_domain_alloc) {
		mock_log(mock, &ev);
		return ERR_PTR(mock->fail_domain_alloc);
	}

	md = kzalloc(sizeof(*md), GFP_KERNEL);
	if (!md)
		return ERR_PTR(-ENOMEM);
	md->mock = mock;
	xa_init(&md->ptes);
	md->domain.ops = &mock_paging_ops;
	md->domain.pgsize_bitmap = mock->reg_ops->pgsize_bitmap;
	md->domain.geometry.aperture_start = 0;
	/*
	 * The configured end, else 48 bits or what the unsigned long IOVA of
	 * iommu_map() reaches
	 */
	md->domain.geometry.aperture_end = mock->cfg.aperture_end ?:
		DMA_BIT_MASK(min(48, BITS_PER_LONG));
	md->domain.geometry.force_aperture = true;

	ev.domain = &md->domain;
	mock_log(mock, &ev);
	atomic_inc(&mock->live_domains);
	return &md->domain;
}

size_t iommu_mock_mapped_bytes(struct iommu_domain *domain)
{
	struct iommu_mock_domain *md = to_iommu_mock_domain(domain);
	unsigned long index;
	size_t bytes = 0;
	void *entry;

	xa_for_each(&md->ptes, index, entry)
		bytes += mock_pte_size(entry);
	return bytes;
}

struct iommu_domain *iommu_mock_paging_domain(struct kunit *test,
					      struct device *dev)
{
	struct iommu_domain *domain = iommu_paging_domain_alloc(dev);
	int ret;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, domain);
	ret = kunit_add_action_or_reset(test, iommu_mock_domain_free, domain);
	KUNIT_ASSERT_EQ(test, ret, 0);
	return domain;
}

/* ---- mock IOMMU instances ---- */

static void iommu_mock_init_ops(struct iommu_mock *mock)
{
	const struct iommu_mock_config *cfg = &mock->cfg;
	struct iommu_ops *ops = &mock->ops;

	ops->capable = mock_capable;
	ops->domain_alloc_paging = mock_domain_alloc_paging;
	ops->probe_device = cfg->no_fwnode ? mock_probe_device_plain :
					     mock_probe_device_fwspec;
	ops->release_device = mock_release_device;
	ops->device_group = mock_device_group;
	ops->get_resv_regions = mock_get_resv_regions;
	ops->is_attach_deferred = mock_is_attach_deferred;
	ops->def_domain_type = mock_def_domain_type;
	ops->remove_dev_pasid = mock_remove_dev_pasid;
	ops->default_domain_ops = &mock_paging_ops;
	ops->pgsize_bitmap = cfg->pgsize_bitmap ?: IOMMU_MOCK_DEFAULT_PGSIZES;
	ops->owner = THIS_MODULE;

	mock->identity.type = IOMMU_DOMAIN_IDENTITY;
	mock->identity.ops = &mock_static_ops;
	mock->blocked.type = IOMMU_DOMAIN_BLOCKED;
	mock->blocked.ops = &mock_static_ops;
	mock->platform.type = IOMMU_DOMAIN_PLATFORM;
	mock->platform.ops = &mock_static_ops;

	if (cfg->identity_domain)
		ops->identity_domain = &mock->identity;
	if (cfg->blocked_domain)
		ops->blocked_domain = &mock->blocked;
	if (cfg->release_domain)
		ops->release_domain = &mock->blocked;
	if (cfg->static_default == IOMMU_MOCK_STATIC_DEFAULT_IDENTITY)
		ops->default_domain = &mock->identity;
	else if (cfg->static_default == IOMMU_MOCK_STATIC_DEFAULT_BLOCKED)
		ops->default_domain = &mock->blocked;
	else if (cfg->static_default == IOMMU_MOCK_STATIC_DEFAULT_PLATFORM)
		ops->default_domain = &mock->platform;
}

static void iommu_mock_remove(void *data)
{
	struct iommu_mock *mock = data;

	/*
	 * Every device of the case is gone by now (they were added after
	 * the instance, so their actions ran first): the core must have
	 * freed every domain it allocated from us.
	 */
	if (mock->registered)
		iommu_device_unregister_bus(&mock->iommu, &iommu_mock_bus,
					    &mock->nb);
	iommu_device_sysfs_remove(&mock->iommu);
	KUNIT_EXPECT_EQ_MSG(mock->test, atomic_read(&mock->live_domains), 0,
			    "domains of mock %u never freed", mock->id);
	list_del(&mock->node);
	kvfree(mock->log);
	kfree(mock);
}

struct iommu_mock *iommu_mock_add(struct kunit *test,
				  const struct iommu_mock_config *cfg)
{
	static const struct iommu_mock_config no_cfg;
	struct iommu_mock_env *env = test->priv;
	struct iommu_mock *mock;
	int ret;

	mock = kzalloc(sizeof(*mock), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mock);
	mock->log = kvcalloc(IOMMU_MOCK_MAX_EVENTS, sizeof(*mock->log),
			     GFP_KERNEL);
	if (!mock->log) {
		kfree(mock);
		KUNIT_FAIL_AND_ABORT(test, "no memory for the event log");
	}
	mock->test = test;
	mock->env = env;
	mock->cfg = cfg ? *cfg : no_cfg;
	mock->id = atomic_inc_return(&iommu_mock_ids);
	spin_lock_init(&mock->lock);
	init_completion(&mock->gate_entered);
	init_completion(&mock->gate_open);
	iommu_mock_init_ops(mock);
	mock->reg_ops = mock->cfg.share_ops ? mock->cfg.share_ops->reg_ops :
					      &mock->ops;
	fwnode_init(&mock->fwnode, NULL);
	list_add_tail(&mock->node, &env->mocks);

	ret = iommu_device_sysfs_add(&mock->iommu, NULL, NULL, "kunit-iommu%u",
				     mock->id);
	if (ret) {
		list_del(&mock->node);
		kvfree(mock->log);
		kfree(mock);
		KUNIT_FAIL_AND_ABORT(test, "iommu_device_sysfs_add: %d", ret);
	}
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, iommu_mock_remove, mock));

	mock->iommu.fwnode = mock->cfg.no_fwnode ? NULL : &mock->fwnode;
	mock->iommu.max_pasids = mock->cfg.max_pasids;
	ret = iommu_mock_register(mock);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "iommu_device_register_bus");
	return mock;
}

int iommu_mock_register(struct iommu_mock *mock)
{
	int ret;

	if (mock->registered)
		return 0;
	ret = iommu_device_register_bus(&mock->iommu, mock->reg_ops,
					&iommu_mock_bus, &mock->nb);
	if (!ret)
		mock->registered = true;
	return ret;
}

void iommu_mock_unregister(struct iommu_mock *mock)
{
	if (!mock->registered)
		return;
	iommu_device_unregister_bus(&mock->iommu, &iommu_mock_bus, &mock->nb);
	mock->registered = false;
}

/* ---- mock devices ---- */

static void iommu_mock_dev_release(struct device *dev)
{
	kfree(to_iommu_mock_dev(dev));
}

static void iommu_mock_pci_dev_release(struct device *dev)
{
	struct iommu_mock_pci_dev *pmd =
		container_of(to_pci_dev(dev), struct iommu_mock_pci_dev, pdev);

#ifdef CONFIG_PCI
	if (pmd->bridge)
		pci_free_host_bridge(pmd->bridge);
#endif
	kfree(pmd);
}

static void iommu_mock_dev_destroy(void *data)
{
	struct iommu_mock_dev *md = data;

	if (md->registered)
		device_del(iommu_mock_core_dev(md));
	list_del(&md->node);
	put_device(iommu_mock_core_dev(md));
}

int iommu_mock_set_fwspec(struct device *dev, struct fwnode_handle *fwnode)
{
	int ret;

	/* The core expects fwspecs to be set up under its probe lock */
	mutex_lock(&iommu_probe_device_lock);
	ret = iommu_fwspec_init(dev, fwnode);
	mutex_unlock(&iommu_probe_device_lock);
	return ret;
}

int iommu_mock_dev_probe(struct iommu_mock_dev *md)
{
	int ret;

	/* A failed probe may have dropped the fwspec with dev->iommu */
	if (md->fwspec_mock) {
		ret = iommu_mock_set_fwspec(iommu_mock_core_dev(md),
					    &md->fwspec_mock->fwnode);
		if (ret)
			return ret;
	}
	return iommu_probe_device(iommu_mock_core_dev(md));
}

/*
 * Register @md, whose device the caller initialised; unless @probe, without
 * its fwspec, so that no mock claims it until iommu_mock_dev_probe().
 */
static void mock_dev_register(struct kunit *test, struct iommu_mock_dev *md,
			      struct iommu_mock *mock, bool probe)
{
	struct iommu_mock_env *env = test->priv;
	struct device *dev = iommu_mock_core_dev(md);
	int ret;

	md->env = env;
	if (mock && !mock->cfg.no_fwnode)
		md->fwspec_mock = mock;
	dev->bus = &iommu_mock_bus;
	list_add_tail(&md->node, &env->devs);
	ret = kunit_add_action_or_reset(test, iommu_mock_dev_destroy, md);
	KUNIT_ASSERT_EQ(test, ret, 0);
	ret = dev_set_name(dev, "kmock%u",
			   atomic_inc_return(&iommu_mock_dev_ids));
	KUNIT_ASSERT_EQ(test, ret, 0);

	if (md->cfg.pasid_bits) {
		const struct property_entry props[] = {
			PROPERTY_ENTRY_U32("pasid-num-bits", md->cfg.pasid_bits),
			{ }
		};

		/* Copied, and dropped by the driver core in device_del() */
		ret = device_create_managed_software_node(dev, props, NULL);
		KUNIT_ASSERT_EQ(test, ret, 0);
	}
	if (md->fwspec_mock && probe) {
		ret = iommu_mock_set_fwspec(dev, &mock->fwnode);
		KUNIT_ASSERT_EQ_MSG(test, ret, 0, "iommu_fwspec_init");
	}

	/* The core probes the device from its bus notifier, right here */
	ret = device_add(dev);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "device_add");
	md->registered = true;
}

struct iommu_mock_dev *iommu_mock_dev_add(struct kunit *test,
					  struct iommu_mock *mock,
					  const struct iommu_mock_dev_config *cfg)
{
	struct iommu_mock_dev *md;

	md = kzalloc(sizeof(*md), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, md);
	if (cfg)
		md->cfg = *cfg;
	device_initialize(&md->dev);
	md->dev.release = iommu_mock_dev_release;
	mock_dev_register(test, md, mock, true);
	return md;
}

#ifdef CONFIG_PCI
void iommu_mock_pci_dev_set_pci(struct iommu_mock_pci_dev *pmd, bool pci)
{
	pmd->pdev.dev.bus = pci ? &pci_bus_type : &iommu_mock_bus;
}

static void mock_pci_dev_unset_pci(void *data)
{
	iommu_mock_pci_dev_set_pci(data, false);
}

struct iommu_mock_pci_dev *
iommu_mock_pci_dev_add(struct kunit *test, struct iommu_mock *mock,
		       const struct iommu_mock_dev_config *cfg, bool untrusted)
{
	struct iommu_mock_pci_dev *pmd;
	int ret;

	pmd = kzalloc(sizeof(*pmd), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pmd);
	device_initialize(&pmd->pdev.dev);
	pmd->pdev.dev.release = iommu_mock_pci_dev_release;
	pmd->md.pdev = &pmd->pdev;
	if (cfg)
		pmd->md.cfg = *cfg;

	pmd->bridge = pci_alloc_host_bridge(0);
	if (!pmd->bridge) {
		put_device(&pmd->pdev.dev);
		KUNIT_FAIL_AND_ABORT(test, "pci_alloc_host_bridge");
	}
	pmd->bridge->bus = &pmd->bus;
	pmd->bus.bridge = &pmd->bridge->dev;
	pmd->pdev.bus = &pmd->bus;
	pmd->pdev.untrusted = untrusted;

	mock_dev_register(test, &pmd->md, mock, false);
	/* Back on our bus before it goes: only ours may see it leave */
	ret = kunit_add_action_or_reset(test, mock_pci_dev_unset_pci, pmd);
	KUNIT_ASSERT_EQ(test, ret, 0);
	return pmd;
}
#endif /* CONFIG_PCI */

void iommu_mock_dev_remove(struct kunit *test, struct iommu_mock_dev *md)
{
	kunit_release_action(test, iommu_mock_dev_destroy, md);
}

/* ---- core operations with queued undo ---- */

enum iommu_mock_undo_kind {
	IOMMU_MOCK_UNDO_USE,
	IOMMU_MOCK_UNDO_GROUP_OWNER,
	IOMMU_MOCK_UNDO_DEVICE_OWNER,
	IOMMU_MOCK_UNDO_ATTACH_DEVICE,
	IOMMU_MOCK_UNDO_ATTACH_GROUP,
	IOMMU_MOCK_UNDO_PASID,
};

struct iommu_mock_undo {
	struct list_head node;
	enum iommu_mock_undo_kind kind;
	struct device *dev;
	struct iommu_group *group;
	struct iommu_domain *domain;
	ioasid_t pasid;
};

static void iommu_mock_undo_run(void *data)
{
	struct iommu_mock_undo *undo = data;

	switch (undo->kind) {
	case IOMMU_MOCK_UNDO_USE:
		iommu_device_unuse_default_domain(undo->dev);
		break;
	case IOMMU_MOCK_UNDO_GROUP_OWNER:
		iommu_group_release_dma_owner(undo->group);
		break;
	case IOMMU_MOCK_UNDO_DEVICE_OWNER:
		iommu_device_release_dma_owner(undo->dev);
		break;
	case IOMMU_MOCK_UNDO_ATTACH_DEVICE:
		iommu_detach_device(undo->domain, undo->dev);
		break;
	case IOMMU_MOCK_UNDO_ATTACH_GROUP:
		iommu_detach_group(undo->domain, undo->group);
		break;
	case IOMMU_MOCK_UNDO_PASID:
		iommu_detach_device_pasid(undo->domain, undo->dev, undo->pasid);
		break;
	}
	list_del(&undo->node);
	kfree(undo);
}

static void iommu_mock_push_undo(struct kunit *test,
				 const struct iommu_mock_undo *tmpl)
{
	struct iommu_mock_env *env = test->priv;
	struct iommu_mock_undo *undo;
	int ret;

	/* Small, and an undo we could not queue would leave the core dirty */
	undo = kmemdup(tmpl, sizeof(*tmpl), GFP_KERNEL | __GFP_NOFAIL);
	list_add_tail(&undo->node, &env->undo);
	ret = kunit_add_action_or_reset(test, iommu_mock_undo_run, undo);
	KUNIT_ASSERT_EQ(test, ret, 0);
}

static struct iommu_mock_undo *
iommu_mock_find_undo(struct kunit *test, const struct iommu_mock_undo *tmpl)
{
	struct iommu_mock_env *env = test->priv;
	struct iommu_mock_undo *undo;

	list_for_each_entry_reverse(undo, &env->undo, node) {
		if (undo->kind == tmpl->kind && undo->dev == tmpl->dev &&
		    undo->group == tmpl->group &&
		    (!tmpl->domain || undo->domain == tmpl->domain) &&
		    undo->pasid == tmpl->pasid)
			return undo;
	}
	return NULL;
}

static void iommu_mock_pop_undo(struct kunit *test,
				const struct iommu_mock_undo *tmpl)
{
	struct iommu_mock_undo *undo = iommu_mock_find_undo(test, tmpl);

	KUNIT_ASSERT_NOT_NULL_MSG(test, undo, "undoing what was never done");
	kunit_release_action(test, iommu_mock_undo_run, undo);
}

int iommu_mock_use_default_domain(struct kunit *test, struct device *dev)
{
	struct iommu_mock_undo undo = {
		.kind = IOMMU_MOCK_UNDO_USE,
		.dev = dev,
	};
	int ret = iommu_device_use_default_domain(dev);

	if (!ret)
		iommu_mock_push_undo(test, &undo);
	return ret;
}

void iommu_mock_unuse_default_domain(struct kunit *test, struct device *dev)
{
	struct iommu_mock_undo undo = {
		.kind = IOMMU_MOCK_UNDO_USE,
		.dev = dev,
	};

	iommu_mock_pop_undo(test, &undo);
}

int iommu_mock_claim_group(struct kunit *test, struct iommu_group *group,
			   void *owner)
{
	struct iommu_mock_undo undo = {
		.kind = IOMMU_MOCK_UNDO_GROUP_OWNER,
		.group = group,
	};
	int ret = iommu_group_claim_dma_owner(group, owner);

	if (!ret)
		iommu_mock_push_undo(test, &undo);
	return ret;
}

void iommu_mock_release_group(struct kunit *test, struct iommu_group *group)
{
	struct iommu_mock_undo undo = {
		.kind = IOMMU_MOCK_UNDO_GROUP_OWNER,
		.group = group,
	};

	iommu_mock_pop_undo(test, &undo);
}

int iommu_mock_claim_device(struct kunit *test, struct device *dev,
			    void *owner)
{
	struct iommu_mock_undo undo = {
		.kind = IOMMU_MOCK_UNDO_DEVICE_OWNER,
		.dev = dev,
	};
	int ret = iommu_device_claim_dma_owner(dev, owner);

	if (!ret)
		iommu_mock_push_undo(test, &undo);
	return ret;
}

void iommu_mock_release_device(struct kunit *test, struct device *dev)
{
	struct iommu_mock_undo undo = {
		.kind = IOMMU_MOCK_UNDO_DEVICE_OWNER,
		.dev = dev,
	};

	iommu_mock_pop_undo(test, &undo);
}

int iommu_mock_attach_device(struct kunit *test, struct iommu_domain *domain,
			     struct device *dev)
{
	struct iommu_mock_undo undo = {
		.kind = IOMMU_MOCK_UNDO_ATTACH_DEVICE,
		.dev = dev,
		.domain = domain,
	};
	int ret = iommu_attach_device(domain, dev);

	if (!ret)
		iommu_mock_push_undo(test, &undo);
	return ret;
}

void iommu_mock_detach_device(struct kunit *test, struct iommu_domain *domain,
			      struct device *dev)
{
	struct iommu_mock_undo undo = {
		.kind = IOMMU_MOCK_UNDO_ATTACH_DEVICE,
		.dev = dev,
		.domain = domain,
	};

	iommu_mock_pop_undo(test, &undo);
}

int iommu_mock_attach_group(struct kunit *test, struct iommu_domain *domain,
			    struct iommu_group *group)
{
	struct iommu_mock_undo undo = {
		.kind = IOMMU_MOCK_UNDO_ATTACH_GROUP,
		.group = group,
		.domain = domain,
	};
	int ret = iommu_attach_group(domain, group);

	if (!ret)
		iommu_mock_push_undo(test, &undo);
	return ret;
}

int iommu_mock_replace_group(struct kunit *test, struct iommu_group *group,
			     struct iommu_domain *domain)
{
	struct iommu_mock_undo tmpl = {
		.kind = IOMMU_MOCK_UNDO_ATTACH_GROUP,
		.group = group,
	};
	struct iommu_mock_undo *undo;
	int ret;

	ret = iommu_group_replace_domain(group, domain);
	if (ret)
		return ret;
	/* Detaching must now name the new domain */
	undo = iommu_mock_find_undo(test, &tmpl);
	if (undo) {
		undo->domain = domain;
	} else {
		tmpl.domain = domain;
		iommu_mock_push_undo(test, &tmpl);
	}
	return 0;
}

void iommu_mock_detach_group(struct kunit *test, struct iommu_group *group)
{
	struct iommu_mock_undo undo = {
		.kind = IOMMU_MOCK_UNDO_ATTACH_GROUP,
		.group = group,
	};

	iommu_mock_pop_undo(test, &undo);
}

int iommu_mock_attach_pasid(struct kunit *test, struct iommu_domain *domain,
			    struct device *dev, ioasid_t pasid,
			    struct iommu_attach_handle *handle)
{
	struct iommu_mock_undo undo = {
		.kind = IOMMU_MOCK_UNDO_PASID,
		.dev = dev,
		.domain = domain,
		.pasid = pasid,
	};
	int ret = iommu_attach_device_pasid(domain, dev, pasid, handle);

	if (!ret)
		iommu_mock_push_undo(test, &undo);
	return ret;
}

void iommu_mock_detach_pasid(struct kunit *test, struct iommu_domain *domain,
			     struct device *dev, ioasid_t pasid)
{
	struct iommu_mock_undo undo = {
		.kind = IOMMU_MOCK_UNDO_PASID,
		.dev = dev,
		.domain = domain,
		.pasid = pasid,
	};

	iommu_mock_pop_undo(test, &undo);
}

struct iommu_group *iommu_mock_group(struct kunit *test, struct device *dev)
{
	struct iommu_group *group = iommu_group_get(dev);
	int ret;

	if (!group)
		return NULL;
	ret = kunit_add_action_or_reset(test, iommu_mock_group_put, group);
	KUNIT_ASSERT_EQ(test, ret, 0);
	return group;
}

void iommu_mock_put_group(struct kunit *test, struct iommu_group *group)
{
	kunit_release_action(test, iommu_mock_group_put, group);
}

/* ---- sysfs ---- */

static struct vfsmount *iommu_mock_kern_mount(const char *fs)
{
	struct file_system_type *type = get_fs_type(fs);

	if (!type)
		return ERR_PTR(-ENODEV);
	/*
	 * A kernel-internal mount: nothing has mounted /sys yet when the
	 * suite runs built in.  sysfs and debugfs are never modular, so the
	 * reference get_fs_type() took on their (NULL) module needs no
	 * dropping.
	 */
	return vfs_kern_mount(type, SB_KERNMOUNT, type->name, NULL);
}

static ssize_t iommu_mock_fs_io(const char *fs, const char *path, char *buf,
				size_t len, bool write)
{
	struct vfsmount *mnt = iommu_mock_kern_mount(fs);
	struct file *file;
	loff_t pos = 0;
	ssize_t ret;

	if (IS_ERR(mnt))
		return PTR_ERR(mnt);
	file = file_open_root_mnt(mnt, path, write ? O_WRONLY : O_RDONLY, 0);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto out_mnt;
	}
	if (write)
		ret = kernel_write(file, buf, len, &pos);
	else
		ret = kernel_read(file, buf, len - 1, &pos);
	if (!write)
		buf[ret > 0 ? ret : 0] = '\0';
	fput(file);
out_mnt:
	mntput(mnt);
	return ret;
}

ssize_t iommu_mock_sysfs_read(const char *path, char *buf, size_t len)
{
	return iommu_mock_fs_io("sysfs", path, buf, len, false);
}

ssize_t iommu_mock_sysfs_write(const char *path, const char *buf)
{
	return iommu_mock_fs_io("sysfs", path, (char *)buf, strlen(buf), true);
}

ssize_t iommu_mock_debugfs_read(const char *path, char *buf, size_t len)
{
	return iommu_mock_fs_io("debugfs", path, buf, len, false);
}

/* ---- system policy ---- */

unsigned int iommu_mock_policy_dma_type(void)
{
	struct pci_dev *pdev = NULL;
	unsigned int type = 0;

	/*
	 * A flush queue only ever comes from the lazy policy, so one DMA-FQ
	 * default domain anywhere settles it; plain DMA alone means strict.
	 */
	for_each_pci_dev(pdev) {
		struct iommu_group *group = iommu_group_get(&pdev->dev);
		struct iommu_domain *domain;

		if (!group)
			continue;
		domain = iommu_group_default_domain(group);
		if (domain && iommu_is_dma_domain(domain) &&
		    type != IOMMU_DOMAIN_DMA_FQ)
			type = domain->type;
		iommu_group_put(group);
	}
	return type;
}

/* ---- setup ---- */

int iommu_mock_test_init(struct kunit *test)
{
	struct iommu_mock_env *env;

	env = kunit_kzalloc(test, sizeof(*env), GFP_KERNEL);
	if (!env)
		return -ENOMEM;
	env->test = test;
	INIT_LIST_HEAD(&env->mocks);
	INIT_LIST_HEAD(&env->devs);
	INIT_LIST_HEAD(&env->undo);
	test->priv = env;
	return 0;
}

static int __init iommu_mock_bus_init(void)
{
	return bus_register(&iommu_mock_bus);
}

static void __exit iommu_mock_bus_exit(void)
{
	bus_unregister(&iommu_mock_bus);
}

module_init(iommu_mock_bus_init);
module_exit(iommu_mock_bus_exit);

MODULE_DESCRIPTION("KUnit conformance suite for the IOMMU core");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IOMMUFD_INTERNAL);
