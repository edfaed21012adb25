// SPDX-License-Identifier: GPL-2.0-only
/*
 * The default domain policy: which default domain a group gets, and the one
 * place that builds and installs it.
 *
 * The policy has two inputs that are settled at boot (the command line,
 * Kconfig and a few driver calls): whether kernel DMA is translated at all,
 * and whether translated DMA may flush its IOTLB lazily.  Each group then
 * reconciles that with what its driver wants for every member and with what
 * its IOMMU can do; iommu_dom_setup_default() is the one place that builds a
 * default domain out of the answer.  It sits above attach.c and owner.c: it
 * moves the group onto the new domain, unless an owner holds the group.
 */

#define pr_fmt(fmt)	"iommu: " fmt

#include <linux/cc_platform.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/init.h>
#include <linux/iommu.h>
#include <linux/kstrtox.h>
#include <linux/list.h>
#include <linux/pci.h>
#include <linux/printk.h>

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
