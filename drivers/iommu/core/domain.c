// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOMMU domains: allocation, freeing, and the policy that decides which
 * default domain a group gets.
 *
 * The policy has two inputs that are settled at boot (the command line,
 * Kconfig and a few driver calls): whether kernel DMA is translated at all,
 * and whether translated DMA may flush its IOTLB lazily.  Each group then
 * reconciles that with what its driver wants for every member and with what
 * its IOMMU can do; iommu_dom_setup_default() is the one place that builds a
 * default domain out of the answer.
 *
 * Domains come back from the allocators below as ERR_PTR() on failure, never
 * NULL, except from the legacy iommu_domain_alloc() whose callers test NULL.
 */

#define pr_fmt(fmt)	"iommu: " fmt

#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/cc_platform.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/init.h>
#include <linux/iommu.h>
#include <linux/kstrtox.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/printk.h>
#include <linux/sched/mm.h>
#include <trace/events/iommu.h>

#include "../dma-iommu.h"
#include "core.h"

/*
 * The system policy.  Only IDENTITY or DMA is recorded here: a DMA default
 * domain gets a flush queue when the policy is not strict and the group's
 * IOMMU can defer its flushes, which is decided group by group.
 *
 * A choice made on the command line is final; drivers calling
 * iommu_set_default_{passthrough,translated}(false) only fill in when the
 * user said nothing.  iommu_set_dma_strict() always wins: drivers call it
 * when lazy flushing would be incorrect on their hardware, which no
 * command line can make safe.
 */
static unsigned int dom_policy_type __read_mostly =
	IS_ENABLED(CONFIG_IOMMU_DEFAULT_PASSTHROUGH) ? IOMMU_DOMAIN_IDENTITY :
						       IOMMU_DOMAIN_DMA;
static bool dom_policy_strict __read_mostly =
	IS_ENABLED(CONFIG_IOMMU_DEFAULT_DMA_STRICT);
static bool dom_type_by_cmdline __read_mostly;
static bool dom_strict_by_cmdline __read_mostly;

static const struct {
	unsigned int type;
	const char *name;
} dom_type_names[] = {
	{ IOMMU_DOMAIN_BLOCKED,		"Blocked" },
	{ IOMMU_DOMAIN_IDENTITY,	"Passthrough" },
	{ IOMMU_DOMAIN_UNMANAGED,	"Unmanaged" },
	{ IOMMU_DOMAIN_DMA,		"Translated" },
	{ IOMMU_DOMAIN_DMA_FQ,		"Translated" },
	{ IOMMU_DOMAIN_PLATFORM,	"Platform" },
};

static const char *dom_type_name(unsigned int type)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dom_type_names); i++)
		if (dom_type_names[i].type == type)
			return dom_type_names[i].name;
	return "Unknown";
}

static void dom_policy_set_type(unsigned int type, bool cmd_line)
{
	if (dom_type_by_cmdline && !cmd_line)
		return;
	dom_type_by_cmdline |= cmd_line;
	dom_policy_type = type;
}

/**
 * iommu_set_default_passthrough() - make identity the default domain type
 * @cmd_line: the choice comes from the kernel command line
 *
 * Devices that neither their driver nor the user pinned to a type get an
 * identity default domain.  A driver's call (@cmd_line false) is ignored
 * once the command line chose a type.
 */
void iommu_set_default_passthrough(bool cmd_line)
{
	dom_policy_set_type(IOMMU_DOMAIN_IDENTITY, cmd_line);
}

/**
 * iommu_set_default_translated() - make DMA translation the default
 * @cmd_line: the choice comes from the kernel command line
 *
 * As iommu_set_default_passthrough(), for translated DMA domains (with a
 * flush queue where the strictness policy and the IOMMU allow one).
 */
void iommu_set_default_translated(bool cmd_line)
{
	dom_policy_set_type(IOMMU_DOMAIN_DMA, cmd_line);
}

/**
 * iommu_default_passthrough() - whether kernel DMA bypasses translation
 *
 * Return: true if the system policy gives unpinned devices an identity
 * default domain.
 */
bool iommu_default_passthrough(void)
{
	return dom_policy_type == IOMMU_DOMAIN_IDENTITY;
}
EXPORT_SYMBOL_GPL(iommu_default_passthrough);

/**
 * iommu_set_dma_strict() - forbid lazy IOTLB flushing
 *
 * For IOMMU drivers whose hardware (or its emulation) must see every unmap
 * flushed at once.  Only default domains set up afterwards are affected,
 * which is why drivers call it before registering their instances.
 */
void iommu_set_dma_strict(void)
{
	dom_policy_strict = true;
}

static int __init dom_parse_passthrough(char *arg)
{
	bool identity;
	int ret = kstrtobool(arg, &identity);

	if (ret)
		return ret;
	dom_policy_set_type(identity ? IOMMU_DOMAIN_IDENTITY : IOMMU_DOMAIN_DMA,
			    true);
	return 0;
}
early_param("iommu.passthrough", dom_parse_passthrough);

static int __init dom_parse_strict(char *arg)
{
	bool strict;
	int ret = kstrtobool(arg, &strict);

	if (ret)
		return ret;
	dom_policy_strict = strict;
	dom_strict_by_cmdline = true;
	return 0;
}
early_param("iommu.strict", dom_parse_strict);

/*
 * Settle the policy before the first IOMMU driver registers, and say what
 * it is: tools grep the boot log for these two lines.
 */
static int __init dom_policy_init(void)
{
	static const char by_cmdline[] = " (set via kernel command line)";
	bool identity = iommu_default_passthrough();

	/* Confidential guests must not hand devices their physical memory */
	if (identity && !dom_type_by_cmdline &&
	    cc_platform_has(CC_ATTR_MEM_ENCRYPT)) {
		pr_info("Memory encryption detected - Disabling default IOMMU Passthrough\n");
		dom_policy_type = IOMMU_DOMAIN_DMA;
		identity = false;
	}

	pr_info("Default domain type: %s%s\n", dom_type_name(dom_policy_type),
		dom_type_by_cmdline ? by_cmdline : "");
	if (!identity)
		pr_info("DMA domain TLB invalidation policy: %s mode%s\n",
			dom_policy_strict ? "strict" : "lazy",
			dom_strict_by_cmdline ? by_cmdline : "");
	return 0;
}
subsys_initcall(dom_policy_init);

/*
 * Fill in what the core owns in a domain a driver just allocated: what it is
 * for, whose it is, and the defaults the driver may leave out.
 */
static struct iommu_domain *dom_adopt(const struct iommu_ops *ops,
				      struct iommu_domain *domain,
				      unsigned int type)
{
	int ret;

	domain->owner = ops;
	domain->type = type;
	domain->pgsize_bitmap = domain->pgsize_bitmap ?: ops->pgsize_bitmap;
	domain->ops = domain->ops ?: ops->default_domain_ops;
	if (!iommu_is_dma_domain(domain))
		return domain;

	ret = iommu_get_dma_cookie(domain);
	if (!ret)
		return domain;
	iommu_domain_free(domain);
	return ERR_PTR(ret);
}

/*
 * Allocate a domain of @type from @ops.  @dev may be NULL for the legacy
 * bus-wide allocation, in which case the driver finalises the domain at its
 * first attach.
 */
static struct iommu_domain *dom_alloc(const struct iommu_ops *ops,
				      struct device *dev, unsigned int type)
{
	struct iommu_domain *shared = NULL;
	struct iommu_domain *domain;

	switch (type) {
	case IOMMU_DOMAIN_IDENTITY:
		shared = ops->identity_domain;
		break;
	case IOMMU_DOMAIN_BLOCKED:
		shared = ops->blocked_domain;
		break;
	case IOMMU_DOMAIN_UNMANAGED:
	case IOMMU_DOMAIN_DMA:
	case IOMMU_DOMAIN_DMA_FQ:
		break;
	default:
		return ERR_PTR(-EINVAL);
	}
	/* A driver's static domain serves every device: never write to it */
	if (shared)
		return shared;

	if (ops->domain_alloc_paging && (type & __IOMMU_DOMAIN_PAGING))
		domain = ops->domain_alloc_paging(dev);
	else if (ops->domain_alloc)
		domain = ops->domain_alloc(type & IOMMU_DOMAIN_ALLOC_FLAGS);
	else
		domain = ERR_PTR(-EOPNOTSUPP);
	/* Old domain_alloc() callbacks say "no" with NULL, newer ones ERR_PTR */
	if (IS_ERR_OR_NULL(domain))
		return domain ?: ERR_PTR(-ENOMEM);
	return dom_adopt(ops, domain, type);
}

/**
 * iommu_dom_alloc_for_dev() - allocate a domain for a device's IOMMU
 * @dev: a device probed by an IOMMU driver
 * @type: IOMMU_DOMAIN_IDENTITY, _BLOCKED, _UNMANAGED, _DMA or _DMA_FQ
 *
 * Identity and blocked domains are the driver's static ones when it has
 * them.  Paging domains come from domain_alloc_paging(), or the legacy
 * domain_alloc(); the core sets their type and owner, fills in the ops and
 * page sizes the driver left out, and gives DMA domains their DMA cookie.
 * The flush queue of a DMA_FQ domain is set up later, by dma-iommu, when
 * the first device's DMA ops are configured; it falls back to DMA there if
 * the queue cannot be allocated.
 *
 * Return: the domain, or an ERR_PTR(); never NULL.
 */
struct iommu_domain *iommu_dom_alloc_for_dev(struct device *dev,
					     unsigned int type)
{
	if (!iommu_dev_has_iommu(dev))
		return ERR_PTR(-ENODEV);
	return dom_alloc(dev_iommu_ops(dev), dev, type);
}

/* Settle on the one IOMMU driver of a bus, for the legacy allocation */
static int dom_bus_pick_ops(struct device *dev, void *data)
{
	const struct iommu_ops **picked = data;
	const struct iommu_ops *ops;

	if (!iommu_dev_has_iommu(dev))
		return 0;
	ops = dev_iommu_ops(dev);
	if (!*picked)
		*picked = ops;
	/* A device of another driver makes the bus ambiguous: stop there */
	return *picked == ops ? 0 : -EBUSY;
}

/**
 * iommu_domain_alloc() - allocate an unmanaged domain for a bus (legacy)
 * @bus: the bus whose devices the domain is meant for
 *
 * Do not use in new code: iommu_paging_domain_alloc() allocates for the
 * IOMMU of the device that is going to use the domain.  This picks the
 * IOMMU driver from the devices on @bus that have one, and cannot choose
 * when several drivers serve the bus.
 *
 * Return: the domain, or NULL.
 */
struct iommu_domain *iommu_domain_alloc(const struct bus_type *bus)
{
	const struct iommu_ops *ops = NULL;
	struct iommu_domain *domain = NULL;
	int ret;

	/* Keeps the driver we pick registered until it has allocated */
	mutex_lock(&iommu_probe_device_lock);
	ret = bus_for_each_dev(bus, NULL, &ops, dom_bus_pick_ops);
	if (ret)
		pr_warn("%s: several IOMMU drivers serve this bus, use iommu_paging_domain_alloc()\n",
			bus->name);
	else if (ops)
		domain = dom_alloc(ops, NULL, IOMMU_DOMAIN_UNMANAGED);
	mutex_unlock(&iommu_probe_device_lock);

	return IS_ERR(domain) ? NULL : domain;
}
EXPORT_SYMBOL_GPL(iommu_domain_alloc);

/**
 * iommu_paging_domain_alloc() - allocate a paging domain for a device
 * @dev: the device whose driver will attach and manage the domain
 *
 * The domain is an IOMMU_DOMAIN_UNMANAGED domain of @dev's IOMMU, for
 * iommu_attach_device() or iommu_attach_group().
 *
 * Return: the domain, ERR_PTR(-ENODEV) if no IOMMU driver probed @dev, or
 * another ERR_PTR() from the driver.
 */
struct iommu_domain *iommu_paging_domain_alloc(struct device *dev)
{
	return iommu_dom_alloc_for_dev(dev, IOMMU_DOMAIN_UNMANAGED);
}
EXPORT_SYMBOL_GPL(iommu_paging_domain_alloc);

/**
 * iommu_domain_free() - free a domain
 * @domain: a domain no device or PASID is attached to any longer
 *
 * Static domains of a driver (no free callback) are left alone, so the core
 * may hand any domain it got from an allocator back here.
 */
void iommu_domain_free(struct iommu_domain *domain)
{
	void (*free_fn)(struct iommu_domain *domain) = domain->ops->free;

	/* iommu-sva.c took a reference on the mm when binding it */
	if (domain->type == IOMMU_DOMAIN_SVA)
		mmdrop(domain->mm);
	/* The cookie may still flush through the domain: drop it first */
	iommu_put_dma_cookie(domain);
	if (free_fn)
		free_fn(domain);
}
EXPORT_SYMBOL_GPL(iommu_domain_free);

/**
 * iommu_set_fault_handler() - install a handler for a domain's faults
 * @domain: the domain
 * @handler: called by report_iommu_fault(), may be NULL to remove it
 * @token: passed back to @handler
 *
 * The handler returns 0 once it dealt with the fault, or an errno to let
 * the IOMMU driver apply its own default behaviour.
 */
void iommu_set_fault_handler(struct iommu_domain *domain,
			     iommu_fault_handler_t handler, void *token)
{
	if (WARN_ON(!domain))
		return;
	domain->handler_token = token;
	domain->handler = handler;
}
EXPORT_SYMBOL_GPL(iommu_set_fault_handler);

/**
 * report_iommu_fault() - report a fault to a domain's user
 * @domain: the domain the faulting device is attached to
 * @dev: the faulting device
 * @iova: the faulting address
 * @flags: IOMMU_FAULT_READ or IOMMU_FAULT_WRITE
 *
 * For IOMMU drivers, from their fault handling (which may be an interrupt
 * handler, so the domain's handler must not sleep).
 *
 * Return: what the domain's handler returned, or -ENOSYS if it has none.
 */
int report_iommu_fault(struct iommu_domain *domain, struct device *dev,
		       unsigned long iova, int flags)
{
	iommu_fault_handler_t handler = domain->handler;
	/* Drivers (arm-smmu) test for this errno to log unhandled faults */
	int ret = -ENOSYS;

	if (handler)
		ret = handler(domain, dev, iova, flags, domain->handler_token);
	trace_io_page_fault(dev, iova, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(report_iommu_fault);

/**
 * iommu_enable_nesting() - make an unmanaged domain a nesting parent
 * @domain: an IOMMU_DOMAIN_UNMANAGED domain, not attached yet
 *
 * Return: 0, or -EINVAL if the domain or its driver cannot nest.
 */
int iommu_enable_nesting(struct iommu_domain *domain)
{
	int (*enable)(struct iommu_domain *domain) =
		domain->ops->enable_nesting;

	return domain->type == IOMMU_DOMAIN_UNMANAGED && enable ?
	       enable(domain) : -EINVAL;
}
EXPORT_SYMBOL_GPL(iommu_enable_nesting);

/**
 * iommu_set_pgtable_quirks() - ask for io-pgtable quirks on a domain
 * @domain: an IOMMU_DOMAIN_UNMANAGED domain, not attached yet
 * @quirk: IO_PGTABLE_QUIRK_* flags
 *
 * Return: 0, or -EINVAL if the domain or its driver takes no quirks.
 */
int iommu_set_pgtable_quirks(struct iommu_domain *domain, unsigned long quirk)
{
	const struct iommu_domain_ops *ops = domain->ops;

	if (domain->type != IOMMU_DOMAIN_UNMANAGED || !ops->set_pgtable_quirks)
		return -EINVAL;
	return ops->set_pgtable_quirks(domain, quirk);
}
EXPORT_SYMBOL_GPL(iommu_set_pgtable_quirks);

/**
 * iommu_group_default_domain() - the default domain of a group
 * @group: the group
 *
 * Return: the domain, or NULL before the group's default domain is set up.
 */
struct iommu_domain *iommu_group_default_domain(struct iommu_group *group)
{
	return READ_ONCE(group->default_domain);
}

/**
 * iommu_get_dma_domain() - the domain the DMA API of a device maps into
 * @dev: a device in a group, whose driver uses the DMA API
 *
 * No lock: the DMA API fast path calls this, and the default domain of a
 * group with a bound DMA API user is not replaced.
 *
 * Return: the default domain of @dev's group.
 */
struct iommu_domain *iommu_get_dma_domain(struct device *dev)
{
	return READ_ONCE(dev->iommu_group->default_domain);
}

/* Members are all probed by one IOMMU driver, or the group has none */
static bool dom_group_has_iommu(struct iommu_group *group)
{
	return !list_empty(&group->devices) &&
	       iommu_dev_has_iommu(iommu_grp_first_dev(group));
}

/* A device the platform does not trust with stale IOTLB entries */
static bool dom_dev_untrusted(struct device *dev)
{
	return dev_is_pci(dev) && to_pci_dev(dev)->untrusted;
}

/*
 * Whether a flush queue may serve every member: each one's IOMMU must be
 * able to defer IOTLB flushes, and no member may be untrusted (it could
 * reach freed pages through a stale entry before the queue flushes).
 */
static bool dom_group_flushes_lazily(struct iommu_group *group)
{
	struct group_device *gdev;

	for_each_group_device(group, gdev)
		if (dom_dev_untrusted(gdev->dev) ||
		    !device_iommu_capable(gdev->dev, IOMMU_CAP_DEFERRED_FLUSH))
			return false;
	return true;
}

/*
 * The type @dev needs, 0 for none: its driver's def_domain_type(), and
 * translation for devices the platform does not trust.
 */
static int dom_member_need(struct iommu_group *group, struct device *dev)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);
	int want = ops->def_domain_type ? ops->def_domain_type(dev) : 0;

	if (!dom_dev_untrusted(dev))
		return want;
	if (want && want != IOMMU_DOMAIN_DMA) {
		dev_err_ratelimited(dev,
				    "untrusted device, but its IOMMU driver wants a %s default domain for group %d: refusing\n",
				    dom_type_name(want), group->id);
		return -EINVAL;
	}
	return IOMMU_DOMAIN_DMA;
}

/*
 * The default domain type of @group, see iommu_dom_pick_default_type().
 * *@by_policy tells whether nothing but the system policy chose it, in which
 * case the caller may settle for DMA if the driver cannot provide it.
 */
static int dom_resolve_type(struct iommu_group *group, int req,
			    bool *by_policy)
{
	const struct iommu_ops *ops = dev_iommu_ops(iommu_grp_first_dev(group));
	struct device *untrusted = NULL;
	struct group_device *gdev;
	int need = 0;
	int type;

	*by_policy = false;

	/* A legacy driver's static default domain is the only one it offers */
	if (ops->default_domain) {
		type = ops->default_domain->type;
		return req && req != type ? -EINVAL : type;
	}

	for_each_group_device(group, gdev) {
		type = dom_member_need(group, gdev->dev);
		if (type < 0)
			return type;
		if (dom_dev_untrusted(gdev->dev))
			untrusted = gdev->dev;
		if (!type || type == need)
			continue;
		if (need) {
			/*
			 * A driver bug, but failing the probe would leave the
			 * whole group without its IOMMU: settle on identity,
			 * the type a driver forces for a device that cannot
			 * work translated.
			 */
			dev_err_ratelimited(gdev->dev,
					    "IOMMU driver error: members of group %d want %s and %s default domains, using identity\n",
					    group->id, dom_type_name(need),
					    dom_type_name(type));
			need = IOMMU_DOMAIN_IDENTITY;
			continue;
		}
		need = type;
	}

	/*
	 * An untrusted device shares the group's domain: whatever a trusted
	 * member's driver wants, nothing but translation may serve it.
	 */
	if (untrusted && need != IOMMU_DOMAIN_DMA) {
		dev_err_ratelimited(untrusted,
				    "untrusted device, but another member of group %d wants a %s default domain: refusing\n",
				    group->id, dom_type_name(need));
		return -EINVAL;
	}

	/*
	 * The ARM32 DMA ops attach a domain of their own after probe: all the
	 * core has to offer until then is identity.
	 */
	if (IS_ENABLED(CONFIG_ARM_DMA_USE_IOMMU) && !need)
		need = IOMMU_DOMAIN_IDENTITY;
	/* Without dma-iommu a DMA domain would have nobody to run it */
	if (!IS_ENABLED(CONFIG_IOMMU_DMA)) {
		if ((need | req) & __IOMMU_DOMAIN_DMA_API) {
			pr_warn("group %d needs a DMA domain, but IOMMU_DMA is off\n",
				group->id);
			return -EINVAL;
		}
		if (!need)
			need = IOMMU_DOMAIN_IDENTITY;
	}

	if (req) {
		if (need && need != req)
			return -EINVAL;
		type = req;
	} else if (need) {
		type = need;
	} else {
		*by_policy = true;
		type = dom_policy_type;
		if (type == IOMMU_DOMAIN_DMA && !dom_policy_strict)
			type = IOMMU_DOMAIN_DMA_FQ;
	}

	/* Lazy flushing is worthless, or wrong, where unmap flushes anyway */
	if (type == IOMMU_DOMAIN_DMA_FQ && !dom_group_flushes_lazily(group))
		type = IOMMU_DOMAIN_DMA;
	return type;
}

/**
 * iommu_dom_check_member() - whether a group's default domain may serve @dev
 * @group: the group @dev joins, set up already
 * @dev: the new member
 *
 * The group's default domain was chosen without @dev: an untrusted device
 * must not join a group whose default domain does not translate.
 *
 * Context: group mutex held.
 * Return: 0, or -EINVAL to refuse @dev.
 */
int iommu_dom_check_member(struct iommu_group *group, struct device *dev)
{
	struct iommu_domain *def = group->default_domain;

	iommu_grp_assert_locked(group);
	if (!def || !dom_dev_untrusted(dev) ||
	    (def->type & __IOMMU_DOMAIN_DMA_API))
		return 0;
	dev_err_ratelimited(dev,
			    "untrusted device cannot join group %d, whose default domain is %s: refusing\n",
			    group->id, dom_type_name(def->type));
	return -EINVAL;
}

/**
 * iommu_dom_pick_default_type() - the default domain type a group gets
 * @group: a group with at least one member
 * @req: the type asked for (sysfs), 0 for the system policy
 *
 * Every member's driver preference (def_domain_type()) should agree (a
 * conflict is a driver bug, settled on identity), and an untrusted PCI
 * device needs translation, for the whole group; a driver with a static default
 * domain offers that type only.  @req must agree with all of that.  The
 * policy's identity applies where no member needs anything, and its lazy
 * flushing only where every member's IOMMU can defer flushes.
 *
 * Context: group mutex held.
 * Return: an IOMMU_DOMAIN_* type, or -EINVAL when @req cannot be honoured,
 * -ENODEV for a group without IOMMU members.
 */
int iommu_dom_pick_default_type(struct iommu_group *group, int req)
{
	bool by_policy;

	iommu_grp_assert_locked(group);
	if (!dom_group_has_iommu(group))
		return -ENODEV;
	return dom_resolve_type(group, req, &by_policy);
}

static struct iommu_domain *dom_alloc_default(struct iommu_group *group,
					      int type, bool by_policy)
{
	struct device *dev = iommu_grp_first_dev(group);
	const struct iommu_ops *ops = dev_iommu_ops(dev);
	struct iommu_domain *domain;

	if (ops->default_domain)
		return ops->default_domain;

	domain = iommu_dom_alloc_for_dev(dev, type);
	/*
	 * The policy's identity or lazy DMA is a wish, not a need: a driver
	 * that cannot give it still gives translated DMA.
	 */
	if (IS_ERR(domain) && by_policy && type != IOMMU_DOMAIN_DMA) {
		dev_warn(dev, "no %s default domain for group %d (%pe), using DMA\n",
			 dom_type_name(type), group->id, domain);
		domain = iommu_dom_alloc_for_dev(dev, IOMMU_DOMAIN_DMA);
	}
	return domain;
}

/* One run of pages [@start, @end) of a direct region that are not mapped */
static int dom_map_hole(struct iommu_domain *domain, dma_addr_t start,
			dma_addr_t end, int prot, bool *mapped)
{
	int ret;

	if (start >= end)
		return 0;
	ret = iommu_map(domain, start, start, end - start, prot, GFP_KERNEL);
	if (!ret)
		*mapped = true;
	return ret;
}

/*
 * Map @region 1:1 in pages of @granule.  Members of a group often share
 * direct regions, so pages mapped already are stepped over.
 */
static int dom_map_region(struct iommu_domain *domain,
			  struct iommu_resv_region *region,
			  unsigned long granule, bool *mapped)
{
	dma_addr_t end = ALIGN(region->start + region->length, granule);
	dma_addr_t hole = ALIGN_DOWN(region->start, granule);
	dma_addr_t addr;
	int ret;

	for (addr = hole; addr < end; addr += granule) {
		if (!iommu_iova_to_phys(domain, addr))
			continue;
		ret = dom_map_hole(domain, hole, addr, region->prot, mapped);
		if (ret)
			return ret;
		hole = addr + granule;
	}
	return dom_map_hole(domain, hole, end, region->prot, mapped);
}

/**
 * iommu_dom_map_direct() - map a device's direct regions into a domain
 * @domain: a default domain of @dev's group
 * @dev: a member of the group
 *
 * Firmware may keep DMA going across the handover to the kernel (an
 * IOMMU_RESV_DIRECT region: it must stay mapped 1:1 for the device's life;
 * IOMMU_RESV_DIRECT_RELAXABLE: until its driver takes over).  DMA API
 * domains get those mappings before the device is attached to them; other
 * domains are left alone (identity needs none, and owners of unmanaged
 * domains lay out their IOVA space themselves).  Whatever @domain, a device
 * with a DIRECT region is marked dev_iommu::require_direct, which keeps it
 * out of blocking domains.
 *
 * Context: the group mutex of @dev held.
 * Return: 0, or the errno of the mapping that failed.
 */
int iommu_dom_map_direct(struct iommu_domain *domain, struct device *dev)
{
	struct iommu_resv_region *region;
	unsigned long granule;
	LIST_HEAD(regions);
	bool mapped = false;
	int ret = 0;

	iommu_grp_assert_locked(dev->iommu_group);

	iommu_get_resv_regions(dev, &regions);
	list_for_each_entry(region, &regions, list)
		if (region->type == IOMMU_RESV_DIRECT)
			dev->iommu->require_direct = 1;

	if (!iommu_is_dma_domain(domain))
		goto out_put;
	if (WARN_ON_ONCE(!domain->pgsize_bitmap)) {
		ret = -EINVAL;
		goto out_put;
	}
	granule = 1UL << __ffs(domain->pgsize_bitmap);

	list_for_each_entry(region, &regions, list) {
		if (region->type != IOMMU_RESV_DIRECT &&
		    region->type != IOMMU_RESV_DIRECT_RELAXABLE)
			continue;
		ret = dom_map_region(domain, region, granule, &mapped);
		if (ret)
			break;
	}
	if (mapped)
		iommu_flush_iotlb_all(domain);
out_put:
	iommu_put_resv_regions(dev, &regions);
	return ret;
}

/*
 * Map every member's direct regions, going on past a failure; @last says
 * whether a failure is final (and worth a warning).
 */
static int dom_map_group_direct(struct iommu_group *group,
				struct iommu_domain *domain, bool last)
{
	struct group_device *gdev;
	int ret = 0;
	int err;

	for_each_group_device(group, gdev) {
		err = iommu_dom_map_direct(domain, gdev->dev);
		if (!err)
			continue;
		if (last)
			dev_warn(gdev->dev,
				 "IOMMU driver could not map the firmware's direct regions (%d)\n",
				 err);
		ret = ret ?: err;
	}
	return ret;
}

/*
 * sysfs "DMA-FQ" on a DMA default domain: the domain gains a flush queue in
 * place, so even a group with a bound driver may switch.
 */
static int dom_enable_flush_queue(struct iommu_group *group,
				  struct iommu_domain *domain)
{
	int ret;

	if (!dom_group_flushes_lazily(group))
		return 0;
	ret = iommu_dma_init_fq(domain);
	if (ret)
		return ret;
	WRITE_ONCE(domain->type, IOMMU_DOMAIN_DMA_FQ);
	return 0;
}

/**
 * iommu_dom_setup_default() - give a group its default domain
 * @group: a group with at least one member
 * @req: the type asked for (sysfs), 0 for the system policy
 *
 * Pick the type (iommu_dom_pick_default_type()), allocate the domain, map
 * every member's direct regions into it and, unless the group sits on a
 * domain somebody else chose (a private owner's, or one a driver attached
 * with iommu_attach_device()), move the group onto it.
 *
 * For a group that had a default domain already, this replaces it: only
 * while nobody uses the group (-EPERM otherwise), except that a DMA domain
 * takes a request for DMA-FQ in place, with users.  A replacement either
 * fully happens, the old domain being freed, or fails with nothing changed.
 * DMA-FQ, asked for or from the policy, means DMA for a group that a flush
 * queue cannot serve.
 *
 * The first default domain of a group cannot be taken back once a device
 * was attached to it: if that attach or a direct mapping fails, the domain
 * stays installed (to be freed with the group's last member, after its
 * driver let go of it) and the error is returned for the caller to fail the
 * probe.
 *
 * The caller sets up the DMA ops of the members afterwards.
 *
 * Context: group mutex held.
 * Return: 0 or an errno.
 */
int iommu_dom_setup_default(struct iommu_group *group, int req)
{
	struct iommu_domain *old = group->default_domain;
	struct iommu_domain *domain;
	bool by_policy, move;
	int type, ret, direct;

	iommu_grp_assert_locked(group);
	if (!dom_group_has_iommu(group))
		return -ENODEV;

	if (old && old->type == IOMMU_DOMAIN_DMA && req == IOMMU_DOMAIN_DMA_FQ)
		return dom_enable_flush_queue(group, old);

	/* Users of the DMA API, or an owner, rely on the domain they know */
	if (old && iommu_own_is_claimed(group))
		return -EPERM;
	type = dom_resolve_type(group, req, &by_policy);
	if (type < 0)
		return type;
	if (old && old->type == type)
		return 0;

	domain = dom_alloc_default(group, type, by_policy);
	if (IS_ERR(domain))
		return PTR_ERR(domain);

	/* Firmware DMA must not see a window without its mappings */
	direct = dom_map_group_direct(group, domain, false);

	move = !group->domain || group->domain == old;
	/* Published first: deferred members skip the attach to a default */
	WRITE_ONCE(group->default_domain, domain);
	ret = 0;
	if (move)
		ret = iommu_grp_set_domain(group, domain,
					   old ? 0 : IOMMU_SET_MUST_SUCCEED);
	/* Some drivers only take mappings once a device is attached */
	if (!ret && direct)
		ret = dom_map_group_direct(group, domain, true);

	if (!old)
		return ret;
	if (!ret) {
		iommu_domain_free(old);
		return 0;
	}
	WRITE_ONCE(group->default_domain, old);
	if (group->domain == domain)
		iommu_grp_set_domain(group, old, IOMMU_SET_MUST_SUCCEED);
	iommu_domain_free(domain);
	return ret;
}

/**
 * iommu_dom_get_blocking() - the domain that blocks a group's DMA
 * @group: a group with at least one member
 *
 * The driver's static blocked domain, or one its domain_alloc() gives, or
 * failing both an unmanaged domain nothing is ever mapped into.  Allocated
 * once, and kept until the group's last member leaves.
 *
 * Context: group mutex held.
 * Return: the domain, or an ERR_PTR(); never NULL.
 */
struct iommu_domain *iommu_dom_get_blocking(struct iommu_group *group)
{
	struct iommu_domain *domain = group->blocking_domain;
	struct device *dev;

	iommu_grp_assert_locked(group);
	if (domain)
		return domain;
	if (list_empty(&group->devices))
		return ERR_PTR(-ENODEV);

	dev = iommu_grp_first_dev(group);
	domain = iommu_dom_alloc_for_dev(dev, IOMMU_DOMAIN_BLOCKED);
	if (IS_ERR(domain))
		domain = iommu_dom_alloc_for_dev(dev, IOMMU_DOMAIN_UNMANAGED);
	if (!IS_ERR(domain))
		group->blocking_domain = domain;
	return domain;
}
