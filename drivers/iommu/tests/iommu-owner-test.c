// SPDX-License-Identifier: GPL-2.0-only
/*
 * DMA ownership (seed 001): kernel DMA API users and exclusive owners such
 * as VFIO and iommufd keep out of each other's way, and owners move the
 * group between domains without ever leaving it unprotected.
 */
#include <kunit/test.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

#include "iommu-test-mock.h"

static const struct iommu_mock_config owner_cfg = {
	.identity_domain = true,
	.blocked_domain = true,
	.group_mode = IOMMU_MOCK_GROUP_BY_KEY,
};

/* Two devices of one mock IOMMU in one group */
struct pair {
	struct iommu_mock *mock;
	struct iommu_mock_dev *a, *b;
	struct iommu_group *group;
	struct iommu_domain *def;
};

static void make_single(struct kunit *test, struct pair *p,
			const struct iommu_mock_config *cfg)
{
	p->mock = iommu_mock_add(test, cfg ?: &owner_cfg);
	p->a = iommu_mock_dev_add(test, p->mock, NULL);
	p->b = NULL;
	p->group = iommu_mock_group(test, &p->a->dev);
	KUNIT_ASSERT_NOT_NULL(test, p->group);
	p->def = iommu_get_domain_for_dev(&p->a->dev);
	KUNIT_ASSERT_NOT_NULL(test, p->def);
}

static void make_pair(struct kunit *test, struct pair *p)
{
	make_single(test, p, NULL);
	p->b = iommu_mock_dev_add(test, p->mock, NULL);
	KUNIT_ASSERT_PTR_EQ(test, p->b->dev.iommu_group, p->group);
}

static void owner_claim_fails_while_dma_api_in_use(struct kunit *test)
{
	struct pair p;
	int owner;

	make_single(test, &p, NULL);
	KUNIT_ASSERT_EQ(test, iommu_mock_use_default_domain(test, &p.a->dev), 0);

	KUNIT_EXPECT_EQ(test, iommu_mock_claim_group(test, p.group, &owner),
			-EPERM);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.a->dev), p.def);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(p.mock, IOMMU_MOCK_EV_ATTACH,
					       NULL, &p.mock->blocked), 0);
}

static void device_owner_claim_fails_while_dma_api_in_use(struct kunit *test)
{
	struct pair p;
	int owner;

	/* A DMA API user of one device keeps the whole group */
	make_pair(test, &p);
	KUNIT_ASSERT_EQ(test, iommu_mock_use_default_domain(test, &p.a->dev), 0);

	KUNIT_EXPECT_EQ(test, iommu_mock_claim_device(test, &p.b->dev, &owner),
			-EPERM);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.b->dev), p.def);
}

static void dma_api_use_fails_while_group_owned(struct kunit *test)
{
	struct pair p;
	int owner;

	make_pair(test, &p);
	KUNIT_ASSERT_EQ(test, iommu_mock_claim_group(test, p.group, &owner), 0);

	KUNIT_EXPECT_EQ(test, iommu_mock_use_default_domain(test, &p.b->dev),
			-EBUSY);
}

static void dma_api_use_fails_while_device_owned(struct kunit *test)
{
	struct pair p;
	int owner;

	make_pair(test, &p);
	KUNIT_ASSERT_EQ(test, iommu_mock_claim_device(test, &p.a->dev, &owner),
			0);

	KUNIT_EXPECT_EQ(test, iommu_mock_use_default_domain(test, &p.a->dev),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, iommu_mock_use_default_domain(test, &p.b->dev),
			-EBUSY);
}

static void owner_claim_attaches_blocking_domain(struct kunit *test)
{
	struct pair p;
	int owner;

	make_pair(test, &p);
	iommu_mock_clear_log(p.mock);
	KUNIT_ASSERT_EQ(test, iommu_mock_claim_group(test, p.group, &owner), 0);

	KUNIT_EXPECT_TRUE(test, iommu_group_dma_owner_claimed(p.group));
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.a->dev),
			    &p.mock->blocked);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(p.mock, IOMMU_MOCK_EV_ATTACH,
					       &p.a->dev, &p.mock->blocked), 1);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(p.mock, IOMMU_MOCK_EV_ATTACH,
					       &p.b->dev, &p.mock->blocked), 1);
}

static void owner_release_restores_default_domain(struct kunit *test)
{
	struct pair p;
	int owner;

	make_pair(test, &p);
	KUNIT_ASSERT_EQ(test, iommu_mock_claim_group(test, p.group, &owner), 0);
	iommu_mock_clear_log(p.mock);
	iommu_mock_release_group(test, p.group);

	KUNIT_EXPECT_FALSE(test, iommu_group_dma_owner_claimed(p.group));
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.a->dev), p.def);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(p.mock, IOMMU_MOCK_EV_ATTACH,
					       &p.a->dev, p.def), 1);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(p.mock, IOMMU_MOCK_EV_ATTACH,
					       &p.b->dev, p.def), 1);
	/* And the DMA API may be used again */
	KUNIT_EXPECT_EQ(test, iommu_mock_use_default_domain(test, &p.a->dev), 0);
}

static void owner_claim_without_blocked_domain_uses_empty_domain(struct kunit *test)
{
	const struct iommu_mock_config cfg = { .identity_domain = true };
	struct iommu_domain *blocking;
	struct pair p;
	int owner;

	make_single(test, &p, &cfg);
	KUNIT_ASSERT_EQ(test, iommu_mock_claim_group(test, p.group, &owner), 0);

	/* Whatever the core built to block DMA, it translates nothing */
	blocking = iommu_get_domain_for_dev(&p.a->dev);
	KUNIT_ASSERT_NOT_NULL(test, blocking);
	KUNIT_EXPECT_PTR_NE(test, blocking, p.def);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_last_attached(p.mock, &p.a->dev),
			    blocking);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(blocking, 0), 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(blocking, SZ_1M), 0);
	if (blocking->type & __IOMMU_DOMAIN_PAGING)
		KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(blocking), 0);

	iommu_mock_release_group(test, p.group);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.a->dev), p.def);
}

static void device_owner_same_cookie_nests(struct kunit *test)
{
	struct pair p;
	int owner, other;

	make_single(test, &p, NULL);
	KUNIT_ASSERT_EQ(test, iommu_mock_claim_device(test, &p.a->dev, &owner),
			0);
	KUNIT_ASSERT_EQ(test, iommu_mock_claim_device(test, &p.a->dev, &owner),
			0);
	KUNIT_EXPECT_EQ(test, iommu_mock_claim_device(test, &p.a->dev, &other),
			-EPERM);

	iommu_mock_release_device(test, &p.a->dev);
	KUNIT_EXPECT_TRUE(test, iommu_group_dma_owner_claimed(p.group));
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.a->dev),
			    &p.mock->blocked);

	iommu_mock_release_device(test, &p.a->dev);
	KUNIT_EXPECT_FALSE(test, iommu_group_dma_owner_claimed(p.group));
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.a->dev), p.def);
}

static void device_owner_shared_across_group_devices(struct kunit *test)
{
	struct pair p;
	int owner, other;

	make_pair(test, &p);
	KUNIT_ASSERT_EQ(test, iommu_mock_claim_device(test, &p.a->dev, &owner),
			0);
	KUNIT_EXPECT_EQ(test, iommu_mock_claim_device(test, &p.b->dev, &other),
			-EPERM);
	KUNIT_ASSERT_EQ(test, iommu_mock_claim_device(test, &p.b->dev, &owner),
			0);

	iommu_mock_release_device(test, &p.a->dev);
	KUNIT_EXPECT_TRUE(test, iommu_group_dma_owner_claimed(p.group));
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.b->dev),
			    &p.mock->blocked);

	iommu_mock_release_device(test, &p.b->dev);
	KUNIT_EXPECT_FALSE(test, iommu_group_dma_owner_claimed(p.group));
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.b->dev), p.def);
}

static void group_owner_claim_is_exclusive(struct kunit *test)
{
	struct pair p;
	int owner, other;

	make_pair(test, &p);
	KUNIT_ASSERT_EQ(test, iommu_mock_claim_group(test, p.group, &owner), 0);
	/* Unlike a device claim, a group claim does not nest, even for us */
	KUNIT_EXPECT_EQ(test, iommu_mock_claim_group(test, p.group, &owner),
			-EPERM);
	KUNIT_EXPECT_EQ(test, iommu_mock_claim_group(test, p.group, &other),
			-EPERM);
	KUNIT_EXPECT_EQ(test, iommu_mock_claim_device(test, &p.a->dev, &other),
			-EPERM);
}

static void dma_api_users_are_counted(struct kunit *test)
{
	struct pair p;
	int owner;

	make_pair(test, &p);
	KUNIT_ASSERT_EQ(test, iommu_mock_use_default_domain(test, &p.a->dev), 0);
	KUNIT_ASSERT_EQ(test, iommu_mock_use_default_domain(test, &p.b->dev), 0);
	KUNIT_EXPECT_TRUE(test, iommu_group_dma_owner_claimed(p.group));

	iommu_mock_unuse_default_domain(test, &p.a->dev);
	KUNIT_EXPECT_TRUE(test, iommu_group_dma_owner_claimed(p.group));
	KUNIT_EXPECT_EQ(test, iommu_mock_claim_group(test, p.group, &owner),
			-EPERM);

	iommu_mock_unuse_default_domain(test, &p.b->dev);
	KUNIT_EXPECT_FALSE(test, iommu_group_dma_owner_claimed(p.group));
	KUNIT_EXPECT_EQ(test, iommu_mock_claim_group(test, p.group, &owner), 0);
}

static void dma_api_use_without_iommu_is_allowed(struct kunit *test)
{
	struct iommu_mock_dev *md;

	iommu_mock_add(test, &owner_cfg);
	md = iommu_mock_dev_add(test, NULL, NULL);
	KUNIT_ASSERT_FALSE(test, device_iommu_mapped(&md->dev));

	KUNIT_EXPECT_EQ(test, iommu_mock_use_default_domain(test, &md->dev), 0);
}

static void attach_device_rejects_multi_device_group(struct kunit *test)
{
	struct iommu_domain *paging;
	struct pair p;

	make_pair(test, &p);
	paging = iommu_mock_paging_domain(test, &p.a->dev);
	iommu_mock_clear_log(p.mock);

	KUNIT_EXPECT_EQ(test, iommu_mock_attach_device(test, paging, &p.a->dev),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(p.mock, IOMMU_MOCK_EV_ATTACH,
					       NULL, NULL), 0);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.a->dev), p.def);
}

static void attach_device_works_on_singleton_group(struct kunit *test)
{
	struct iommu_domain *paging;
	struct pair p;

	make_single(test, &p, NULL);
	paging = iommu_mock_paging_domain(test, &p.a->dev);
	/* The pattern of a bound driver switching to a domain of its own */
	KUNIT_ASSERT_EQ(test, iommu_mock_use_default_domain(test, &p.a->dev), 0);

	KUNIT_ASSERT_EQ(test, iommu_mock_attach_device(test, paging, &p.a->dev),
			0);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.a->dev), paging);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(p.mock, IOMMU_MOCK_EV_ATTACH,
					       &p.a->dev, paging), 1);

	iommu_mock_detach_device(test, paging, &p.a->dev);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.a->dev), p.def);
}

static void owner_claim_fails_while_paging_domain_attached(struct kunit *test)
{
	struct iommu_domain *paging;
	struct pair p;
	int owner;

	make_single(test, &p, NULL);
	paging = iommu_mock_paging_domain(test, &p.a->dev);
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_device(test, paging, &p.a->dev),
			0);

	KUNIT_EXPECT_EQ(test, iommu_mock_claim_group(test, p.group, &owner),
			-EBUSY);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.a->dev), paging);
}

static void attach_group_refused_while_other_domain_attached(struct kunit *test)
{
	struct iommu_domain *one, *two;
	struct pair p;
	int owner;

	make_pair(test, &p);
	one = iommu_mock_paging_domain(test, &p.a->dev);
	two = iommu_mock_paging_domain(test, &p.a->dev);
	KUNIT_ASSERT_EQ(test, iommu_mock_claim_group(test, p.group, &owner), 0);
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_group(test, one, p.group), 0);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.b->dev), one);

	KUNIT_EXPECT_EQ(test, iommu_mock_attach_group(test, two, p.group),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(p.mock, IOMMU_MOCK_EV_ATTACH,
					       NULL, two), 0);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.a->dev), one);
}

static void attach_group_rejects_foreign_domain(struct kunit *test)
{
	struct iommu_mock *other;
	struct iommu_mock_dev *od;
	struct iommu_domain *foreign;
	struct pair p;
	int owner;

	make_pair(test, &p);
	other = iommu_mock_add(test, &owner_cfg);
	od = iommu_mock_dev_add(test, other, NULL);
	foreign = iommu_mock_paging_domain(test, &od->dev);
	KUNIT_ASSERT_EQ(test, iommu_mock_claim_group(test, p.group, &owner), 0);
	iommu_mock_clear_log(p.mock);

	KUNIT_EXPECT_EQ(test, iommu_mock_attach_group(test, foreign, p.group),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(p.mock, IOMMU_MOCK_EV_ATTACH,
					       NULL, NULL), 0);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.a->dev),
			    &p.mock->blocked);
}

static void replace_domain_switches_without_blocking(struct kunit *test)
{
	struct iommu_domain *one, *two;
	struct pair p;
	int owner;

	make_pair(test, &p);
	one = iommu_mock_paging_domain(test, &p.a->dev);
	two = iommu_mock_paging_domain(test, &p.a->dev);
	KUNIT_ASSERT_EQ(test, iommu_mock_claim_group(test, p.group, &owner), 0);
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_group(test, one, p.group), 0);
	iommu_mock_clear_log(p.mock);

	KUNIT_ASSERT_EQ(test, iommu_mock_replace_group(test, p.group, two), 0);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.a->dev), two);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.b->dev), two);
	/* Straight from one to two: no blocking or default in between */
	KUNIT_EXPECT_EQ(test, iommu_mock_count(p.mock, IOMMU_MOCK_EV_ATTACH,
					       &p.a->dev, two), 1);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(p.mock, IOMMU_MOCK_EV_ATTACH,
					       &p.b->dev, two), 1);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(p.mock, IOMMU_MOCK_EV_ATTACH,
					       NULL, NULL), 2);
}

static void replace_domain_rejects_null(struct kunit *test)
{
	struct pair p;
	int owner;

	make_single(test, &p, NULL);
	KUNIT_ASSERT_EQ(test, iommu_mock_claim_group(test, p.group, &owner), 0);

	KUNIT_EXPECT_EQ(test, iommu_group_replace_domain(p.group, NULL),
			-EINVAL);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.a->dev),
			    &p.mock->blocked);
}

/*
 * Claim @p's group, attach a paging domain (returned) and make the driver
 * refuse a second one (*@refused) for @refuser, tearing @refuser down first
 * as 6.12's Intel and AMD drivers do.
 */
static struct iommu_domain *replace_setup(struct kunit *test, struct pair *p,
					  struct device *refuser,
					  struct iommu_domain **refused)
{
	struct iommu_domain *one;
	static int owner;

	one = iommu_mock_paging_domain(test, &p->a->dev);
	*refused = iommu_mock_paging_domain(test, &p->a->dev);
	KUNIT_ASSERT_EQ(test, iommu_mock_claim_group(test, p->group, &owner), 0);
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_group(test, one, p->group), 0);

	p->mock->fail_attach_domain = *refused;
	p->mock->fail_attach_dev = refuser;
	p->mock->fail_attach = -ENOSPC;
	return one;
}

static void failed_replace_reattaches_refusing_singleton(struct kunit *test)
{
	struct iommu_domain *one, *two;
	struct pair p;

	make_single(test, &p, NULL);
	one = replace_setup(test, &p, &p.a->dev, &two);

	KUNIT_EXPECT_EQ(test, iommu_mock_replace_group(test, p.group, two),
			-ENOSPC);
	p.mock->fail_attach = 0;

	/* The driver blocked the device before refusing: it is back on one */
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.a->dev), one);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_last_attached(p.mock, &p.a->dev),
			    one);
}

static void failed_replace_keeps_old_domain(struct kunit *test)
{
	struct iommu_domain *one, *two;
	struct pair p;

	/* The second member refuses, after the first moved */
	make_pair(test, &p);
	one = replace_setup(test, &p, &p.b->dev, &two);

	KUNIT_EXPECT_EQ(test, iommu_mock_replace_group(test, p.group, two),
			-ENOSPC);
	p.mock->fail_attach = 0;

	KUNIT_EXPECT_EQ(test, iommu_mock_count(p.mock, IOMMU_MOCK_EV_ATTACH,
					       &p.a->dev, two), 1);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.a->dev), one);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_last_attached(p.mock, &p.a->dev),
			    one);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_last_attached(p.mock, &p.b->dev),
			    one);
}

static void detach_group_returns_owner_to_blocking(struct kunit *test)
{
	struct iommu_domain *paging;
	struct pair p;
	int owner;

	make_pair(test, &p);
	paging = iommu_mock_paging_domain(test, &p.a->dev);
	KUNIT_ASSERT_EQ(test, iommu_mock_claim_group(test, p.group, &owner), 0);
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_group(test, paging, p.group), 0);
	iommu_mock_clear_log(p.mock);

	/* Still owned: the group must not fall back to the DMA API domain */
	iommu_mock_detach_group(test, p.group);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.a->dev),
			    &p.mock->blocked);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(p.mock, IOMMU_MOCK_EV_ATTACH,
					       NULL, &p.mock->blocked), 2);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(p.mock, IOMMU_MOCK_EV_ATTACH,
					       NULL, NULL), 2);

	iommu_mock_release_group(test, p.group);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.a->dev), p.def);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.b->dev), p.def);
}

/*
 * Tegra DRM attaches one domain to the group its display clients share and
 * detaches it once per client: the second detach finds the group back on
 * its default domain and must change nothing, and must not warn (the
 * suite's console check fails on a warning).
 */
static void repeated_detach_group_is_a_quiet_noop(struct kunit *test)
{
	struct iommu_domain *paging;
	struct pair p;

	make_pair(test, &p);
	paging = iommu_mock_paging_domain(test, &p.a->dev);
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_group(test, paging, p.group), 0);
	iommu_mock_detach_group(test, p.group);
	KUNIT_ASSERT_PTR_EQ(test, iommu_get_domain_for_dev(&p.a->dev), p.def);
	iommu_mock_clear_log(p.mock);

	iommu_detach_group(paging, p.group);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.a->dev), p.def);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&p.b->dev), p.def);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(p.mock, IOMMU_MOCK_EV_ATTACH,
					       NULL, NULL), 0);
}

/* What the owner tracepoint reported, for one group */
struct owner_trace {
	int group;
	int nr;
	int from[4], to[4];
};

/* A probe of iommu_core:iommu_core_owner (see drivers/iommu/core/trace.h) */
static void owner_trace_probe(void *data, int group, int from, int to,
			      unsigned int users)
{
	struct owner_trace *t = data;

	if (group != t->group || t->nr >= ARRAY_SIZE(t->from))
		return;
	t->from[t->nr] = from;
	t->to[t->nr++] = to;
}

static void find_tracepoint(struct tracepoint *tp, void *priv)
{
	struct tracepoint **found = priv;

	if (!strcmp(tp->name, "iommu_core_owner"))
		*found = tp;
}

/*
 * Every change of a group's owner state is traced, by name, so that a
 * user can follow what VFIO and drivers did to a group.  Upstream's 6.12
 * core has no such tracepoint.
 */
static void owner_changes_are_traced(struct kunit *test)
{
	struct owner_trace t = {};
	struct tracepoint *tp = NULL;
	struct pair p;
	int owner;

	if (!IS_ENABLED(CONFIG_TRACEPOINTS))
		kunit_skip(test, "no TRACEPOINTS");
	make_single(test, &p, NULL);
	for_each_kernel_tracepoint(find_tracepoint, &tp);
	iommu_kunit_expect_gap(test, tp, "no owner state tracepoint");
	if (!tp)
		return;
	t.group = iommu_group_id(p.group);
	KUNIT_ASSERT_EQ(test, tracepoint_probe_register(tp, owner_trace_probe,
							&t), 0);

	KUNIT_EXPECT_EQ(test, iommu_mock_claim_group(test, p.group, &owner), 0);
	iommu_mock_release_group(test, p.group);
	tracepoint_probe_unregister(tp, owner_trace_probe, &t);
	tracepoint_synchronize_unregister();

	/* free -> claimed -> free, as enum iommu_owner_state numbers them */
	KUNIT_ASSERT_EQ(test, t.nr, 2);
	KUNIT_EXPECT_EQ(test, t.from[0], 0);
	KUNIT_EXPECT_EQ(test, t.to[0], 2);
	KUNIT_EXPECT_EQ(test, t.from[1], 2);
	KUNIT_EXPECT_EQ(test, t.to[1], 0);
}

static struct kunit_case iommu_owner_test_cases[] = {
	KUNIT_CASE(owner_claim_fails_while_dma_api_in_use),
	KUNIT_CASE(device_owner_claim_fails_while_dma_api_in_use),
	KUNIT_CASE(dma_api_use_fails_while_group_owned),
	KUNIT_CASE(dma_api_use_fails_while_device_owned),
	KUNIT_CASE(owner_claim_attaches_blocking_domain),
	KUNIT_CASE(owner_release_restores_default_domain),
	KUNIT_CASE(owner_claim_without_blocked_domain_uses_empty_domain),
	KUNIT_CASE(device_owner_same_cookie_nests),
	KUNIT_CASE(device_owner_shared_across_group_devices),
	KUNIT_CASE(group_owner_claim_is_exclusive),
	KUNIT_CASE(dma_api_users_are_counted),
	KUNIT_CASE(dma_api_use_without_iommu_is_allowed),
	KUNIT_CASE(attach_device_rejects_multi_device_group),
	KUNIT_CASE(attach_device_works_on_singleton_group),
	KUNIT_CASE(owner_claim_fails_while_paging_domain_attached),
	KUNIT_CASE(attach_group_refused_while_other_domain_attached),
	KUNIT_CASE(attach_group_rejects_foreign_domain),
	KUNIT_CASE(replace_domain_switches_without_blocking),
	KUNIT_CASE(replace_domain_rejects_null),
	KUNIT_CASE(failed_replace_reattaches_refusing_singleton),
	KUNIT_CASE(failed_replace_keeps_old_domain),
	KUNIT_CASE(detach_group_returns_owner_to_blocking),
	KUNIT_CASE(repeated_detach_group_is_a_quiet_noop),
	KUNIT_CASE(owner_changes_are_traced),
	{}
};

static struct kunit_suite iommu_owner_test_suite = {
	.name = "iommu_core_dma_owner",
	.init = iommu_mock_test_init,
	.test_cases = iommu_owner_test_cases,
};

kunit_test_suites(&iommu_owner_test_suite);
