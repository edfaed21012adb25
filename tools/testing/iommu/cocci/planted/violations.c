// SPDX-License-Identifier: GPL-2.0
/*
 * Planted violations of the core's invariants: run-gates.sh checks that
 * each of our semantic patches reports the ones it is about.  Never built.
 */
#include <linux/iommu.h>

struct iommu_group {
	struct mutex mutex;	/* as in core.h: protects the rest */
	struct iommu_domain *domain;
	int owner_state;
	unsigned int owner_users;
	void *owner;
};

/* attach_dev.cocci: a driver callback made outside grp_dev_attach_now() */
static int planted_attach(struct iommu_domain *domain, struct device *dev)
{
	return domain->ops->attach_dev(domain, dev);
}

/* owner_state.cocci: owner state written outside owner.c */
static void planted_owner(struct iommu_group *group)
{
	group->owner_state = 1;
	group->owner_users++;
}

/* group_domain.cocci: a plain store, and a WRITE_ONCE() without the lock */
static void planted_domain(struct iommu_group *group,
			   struct iommu_domain *domain)
{
	group->domain = domain;
	WRITE_ONCE(group->domain, domain);
}
