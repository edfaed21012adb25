// SPDX-License-Identifier: GPL-2.0-only
/*
 * Default domains (seed 003) and deferred attach (seed 000): which domain a
 * device ends up in when it is probed, when it goes away, and when its
 * driver asks for the attach to be put off.
 */
#include <kunit/test.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/sizes.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "iommu-test-mock.h"

static void default_domain_honours_def_domain_type_identity(struct kunit *test)
{
	const struct iommu_mock_config cfg = {
		.identity_domain = true,
		.blocked_domain = true,
		.def_domain_type = IOMMU_DOMAIN_IDENTITY,
	};
	struct iommu_mock *mock = iommu_mock_add(test, &cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);

	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&md->dev),
			    &mock->identity);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH,
					       &md->dev, &mock->identity), 1);
	/* No paging domain was needed, so none was allocated */
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_DOMAIN_ALLOC,
					       NULL, NULL), 0);
}

static void default_domain_honours_def_domain_type_dma(struct kunit *test)
{
	const struct iommu_mock_config cfg = {
		.identity_domain = true,
		.blocked_domain = true,
		.deferred_flush = true,
		.def_domain_type = IOMMU_DOMAIN_DMA,
	};
	struct iommu_mock *mock = iommu_mock_add(test, &cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_domain *domain = iommu_get_domain_for_dev(&md->dev);

	KUNIT_ASSERT_NOT_NULL(test, domain);
	/* The driver asked for strict DMA, whatever the global policy */
	KUNIT_EXPECT_EQ(test, domain->type, IOMMU_DOMAIN_DMA);
	KUNIT_EXPECT_PTR_EQ(test, domain->owner, mock->reg_ops);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_DOMAIN_ALLOC,
					       &md->dev, domain), 1);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH,
					       &md->dev, domain), 1);
}

static void default_domain_follows_passthrough_policy(struct kunit *test)
{
	const struct iommu_mock_config cfg = {
		.identity_domain = true,
		.blocked_domain = true,
	};
	struct iommu_mock *mock = iommu_mock_add(test, &cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_domain *domain = iommu_get_domain_for_dev(&md->dev);

	KUNIT_ASSERT_NOT_NULL(test, domain);
	/* Without flush queue support "lazy" cannot apply: DMA it is */
	if (iommu_default_passthrough()) {
		KUNIT_EXPECT_PTR_EQ(test, domain, &mock->identity);
	} else {
		KUNIT_EXPECT_EQ(test, domain->type, IOMMU_DOMAIN_DMA);
		KUNIT_EXPECT_PTR_EQ(test, domain->owner, mock->reg_ops);
	}
}

static void default_domain_follows_flush_queue_policy(struct kunit *test)
{
	const struct iommu_mock_config cfg = {
		.identity_domain = true,
		.blocked_domain = true,
		.deferred_flush = true,
	};
	struct iommu_mock *mock = iommu_mock_add(test, &cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_domain *domain = iommu_get_domain_for_dev(&md->dev);
	unsigned int policy;

	KUNIT_ASSERT_NOT_NULL(test, domain);
	if (iommu_default_passthrough()) {
		KUNIT_EXPECT_PTR_EQ(test, domain, &mock->identity);
		return;
	}
	/* Strict or lazy: the same answer the real driver's devices got */
	policy = iommu_mock_policy_dma_type();
	KUNIT_ASSERT_NE_MSG(test, policy, 0,
			    "no DMA default domain on a real device to compare with");
	KUNIT_EXPECT_EQ(test, domain->type, policy);
}

static void default_domain_is_dma_without_identity_support(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_add(test, NULL);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_domain *domain = iommu_get_domain_for_dev(&md->dev);

	/* Even a passthrough policy falls back to what the driver can do */
	KUNIT_ASSERT_NOT_NULL(test, domain);
	KUNIT_EXPECT_EQ(test, domain->type, IOMMU_DOMAIN_DMA);
}

static void default_domain_static_blocked_for_platform(struct kunit *test)
{
	const struct iommu_mock_config cfg = {
		.blocked_domain = true,
		.static_default = IOMMU_MOCK_STATIC_DEFAULT_BLOCKED,
	};
	struct iommu_mock *mock = iommu_mock_add(test, &cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_group *group = iommu_mock_group(test, &md->dev);
	char path[64], buf[32];

	KUNIT_ASSERT_NOT_NULL(test, group);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&md->dev),
			    &mock->blocked);
	KUNIT_EXPECT_PTR_EQ(test, iommu_group_default_domain(group),
			    &mock->blocked);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH,
					       &md->dev, &mock->blocked), 1);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_DOMAIN_ALLOC,
					       NULL, NULL), 0);

	snprintf(path, sizeof(path), "kernel/iommu_groups/%d/type",
		 iommu_group_id(group));
	KUNIT_ASSERT_GT(test, iommu_mock_sysfs_read(path, buf, sizeof(buf)), 0);
	KUNIT_EXPECT_STREQ(test, buf, "blocked\n");
}

static void default_domain_static_identity_for_platform(struct kunit *test)
{
	const struct iommu_mock_config cfg = {
		.identity_domain = true,
		.static_default = IOMMU_MOCK_STATIC_DEFAULT_IDENTITY,
	};
	struct iommu_mock *mock = iommu_mock_add(test, &cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);

	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&md->dev),
			    &mock->identity);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_DOMAIN_ALLOC,
					       NULL, NULL), 0);
}

static void default_domain_shared_by_group_devices(struct kunit *test)
{
	const struct iommu_mock_config cfg = {
		.group_mode = IOMMU_MOCK_GROUP_BY_KEY,
		.def_domain_type = IOMMU_DOMAIN_DMA,
	};
	struct iommu_mock *mock = iommu_mock_add(test, &cfg);
	struct iommu_mock_dev *a = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_mock_dev *b = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_domain *domain = iommu_get_domain_for_dev(&a->dev);

	KUNIT_ASSERT_NOT_NULL(test, domain);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&b->dev), domain);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_DOMAIN_ALLOC,
					       NULL, NULL), 1);
	/* The device joining later is attached to the existing domain */
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH,
					       &a->dev, domain), 1);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH,
					       &b->dev, domain), 1);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH,
					       NULL, NULL), 2);
}

static void default_domain_freed_with_last_device(struct kunit *test)
{
	const struct iommu_mock_config cfg = {
		.group_mode = IOMMU_MOCK_GROUP_BY_KEY,
		.def_domain_type = IOMMU_DOMAIN_DMA,
	};
	struct iommu_mock *mock = iommu_mock_add(test, &cfg);
	struct iommu_mock_dev *a = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_mock_dev *b = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_domain *domain = iommu_get_domain_for_dev(&a->dev);

	KUNIT_ASSERT_NOT_NULL(test, domain);
	iommu_mock_dev_remove(test, a);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_DOMAIN_FREE,
					       NULL, domain), 0);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&b->dev), domain);
	iommu_mock_dev_remove(test, b);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_DOMAIN_FREE,
					       NULL, domain), 1);
}

static void default_domain_is_the_dma_domain(struct kunit *test)
{
	const struct iommu_mock_config cfg = {
		.def_domain_type = IOMMU_DOMAIN_DMA,
	};
	struct iommu_mock *mock = iommu_mock_add(test, &cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_group *group = iommu_mock_group(test, &md->dev);
	struct iommu_domain *domain = iommu_get_domain_for_dev(&md->dev);

	KUNIT_ASSERT_NOT_NULL(test, group);
	KUNIT_ASSERT_NOT_NULL(test, domain);
	KUNIT_EXPECT_PTR_EQ(test, iommu_group_default_domain(group), domain);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_dma_domain(&md->dev), domain);
}

static void probe_attaches_default_domain_once(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_add(test, NULL);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_domain *domain = iommu_get_domain_for_dev(&md->dev);

	KUNIT_ASSERT_NOT_NULL(test, domain);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH,
					       &md->dev, NULL), 1);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_last_attached(mock, &md->dev),
			    domain);
}

/*
 * A device whose firmware DMAs into a direct region (Arm RMR) must keep
 * its 1:1 mapping when the driver lets go: a blocked release domain would
 * cut the firmware off, so it is released to the identity domain.
 */
static void release_of_direct_device_goes_to_identity(struct kunit *test)
{
	const struct iommu_mock_config cfg = {
		.identity_domain = true,
		.blocked_domain = true,
		.release_domain = true,
	};
	const struct iommu_mock_dev_config direct = {
		.resv_start = SZ_16M,
		.resv_size = SZ_2M,
		.resv_direct = true,
	};
	struct iommu_mock *mock = iommu_mock_add(test, &cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, &direct);
	struct device *dev = &md->dev;

	iommu_mock_clear_log(mock);
	/* dev is only compared against the log from here on, never used */
	iommu_mock_dev_remove(test, md);

	iommu_kunit_expect_gap(test,
			       iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH, dev,
						&mock->identity) == 1 &&
			       !iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH, dev,
						 &mock->blocked),
			       "a device with firmware direct mappings is released to the blocked release_domain, see iommu_deinit_device()");
}

static void release_domain_attached_before_release_device(struct kunit *test)
{
	const struct iommu_mock_config cfg = {
		.blocked_domain = true,
		.release_domain = true,
	};
	struct iommu_mock *mock = iommu_mock_add(test, &cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct device *dev = &md->dev;
	int attach, release;

	iommu_mock_clear_log(mock);
	/* dev is only compared against the log from here on, never used */
	iommu_mock_dev_remove(test, md);

	attach = iommu_mock_find(mock, 0, IOMMU_MOCK_EV_ATTACH, dev,
				 &mock->blocked);
	release = iommu_mock_find(mock, 0, IOMMU_MOCK_EV_RELEASE, dev, NULL);
	KUNIT_EXPECT_GE(test, attach, 0);
	KUNIT_EXPECT_GT(test, release, attach);
}

static void detach_device_attaches_default_domain(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_add(test, NULL);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_domain *def = iommu_get_domain_for_dev(&md->dev);
	struct iommu_domain *paging = iommu_mock_paging_domain(test, &md->dev);

	KUNIT_ASSERT_NOT_NULL(test, def);
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_device(test, paging, &md->dev),
			0);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&md->dev), paging);

	/* There is no detach op: leaving a domain is attaching another */
	iommu_mock_clear_log(mock);
	iommu_mock_detach_device(test, paging, &md->dev);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&md->dev), def);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH,
					       &md->dev, def), 1);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH,
					       NULL, NULL), 1);
}

static void refused_attach_device_returns_to_default_domain(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_add(test, NULL);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_domain *def = iommu_get_domain_for_dev(&md->dev);
	struct iommu_domain *paging = iommu_mock_paging_domain(test, &md->dev);

	KUNIT_ASSERT_NOT_NULL(test, def);
	/* The driver blocks the device, then refuses the domain */
	mock->fail_attach_domain = paging;
	mock->fail_attach = -EINVAL;
	KUNIT_EXPECT_EQ(test, iommu_mock_attach_device(test, paging, &md->dev),
			-EINVAL);
	mock->fail_attach = 0;

	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&md->dev), def);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_last_attached(mock, &md->dev), def);
}

#ifdef CONFIG_PCI
/*
 * Untrusted PCI devices (behind external-facing ports) get nothing but a
 * translating domain, whatever a trusted member of their group wants.
 */
static const struct iommu_mock_config untrusted_cfg = {
	.identity_domain = true,
	.blocked_domain = true,
	.group_mode = IOMMU_MOCK_GROUP_BY_KEY,
};

static const struct iommu_mock_dev_config wants_identity = {
	.def_domain_type = IOMMU_DOMAIN_IDENTITY,
};

static bool domain_translates(struct iommu_domain *domain)
{
	return domain && (domain->type & __IOMMU_DOMAIN_DMA_API);
}

#define GAP_UNTRUSTED_JOIN \
	"an untrusted device joining a group set up already takes its identity domain: upstream checks untrusted members only when it sets a default domain up, see __iommu_probe_device()"

static void untrusted_device_never_joins_an_identity_group(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_add(test, &untrusted_cfg);
	struct iommu_mock_dev *trusted;
	struct iommu_mock_pci_dev *pmd;
	struct device *dev;
	int ret;

	trusted = iommu_mock_dev_add(test, mock, &wants_identity);
	KUNIT_ASSERT_PTR_EQ(test, iommu_get_domain_for_dev(&trusted->dev),
			    &mock->identity);
	pmd = iommu_mock_pci_dev_add(test, mock, NULL, true);
	dev = &pmd->pdev.dev;

	iommu_mock_pci_dev_set_pci(pmd, true);
	ret = iommu_mock_dev_probe(&pmd->md);
	iommu_kunit_expect_gap(test,
			       ret ? !dev->iommu_group :
				     domain_translates(iommu_get_domain_for_dev(dev)),
			       GAP_UNTRUSTED_JOIN);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&trusted->dev),
			    &mock->identity);
}

static void untrusted_member_keeps_translation_on_type_change(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_add(test, &untrusted_cfg);
	struct iommu_mock_pci_dev *pmd;
	struct iommu_group *group;
	char path[64];
	struct device *dev;

	pmd = iommu_mock_pci_dev_add(test, mock, NULL, true);
	dev = &pmd->pdev.dev;
	iommu_mock_pci_dev_set_pci(pmd, true);
	KUNIT_ASSERT_EQ(test, iommu_mock_dev_probe(&pmd->md), 0);
	KUNIT_ASSERT_TRUE(test, domain_translates(iommu_get_domain_for_dev(dev)));
	group = iommu_mock_group(test, dev);
	KUNIT_ASSERT_NOT_NULL(test, group);
	/* A trusted member whose driver would rather have identity joins */
	iommu_mock_dev_add(test, mock, &wants_identity);

	/* The policy's type, chosen over the whole group again */
	snprintf(path, sizeof(path), "kernel/iommu_groups/%d/type",
		 iommu_group_id(group));
	iommu_mock_sysfs_write(path, "auto");
	KUNIT_EXPECT_TRUE(test, domain_translates(iommu_get_domain_for_dev(dev)));
}
#endif /* CONFIG_PCI */

static struct kunit_case iommu_default_domain_test_cases[] = {
	KUNIT_CASE(default_domain_honours_def_domain_type_identity),
	KUNIT_CASE(default_domain_honours_def_domain_type_dma),
	KUNIT_CASE(default_domain_follows_passthrough_policy),
	KUNIT_CASE(default_domain_follows_flush_queue_policy),
	KUNIT_CASE(default_domain_is_dma_without_identity_support),
	KUNIT_CASE(default_domain_static_blocked_for_platform),
	KUNIT_CASE(default_domain_static_identity_for_platform),
	KUNIT_CASE(default_domain_shared_by_group_devices),
	KUNIT_CASE(default_domain_freed_with_last_device),
	KUNIT_CASE(default_domain_is_the_dma_domain),
	KUNIT_CASE(probe_attaches_default_domain_once),
	KUNIT_CASE(release_domain_attached_before_release_device),
	KUNIT_CASE(release_of_direct_device_goes_to_identity),
	KUNIT_CASE(detach_device_attaches_default_domain),
	KUNIT_CASE(refused_attach_device_returns_to_default_domain),
#ifdef CONFIG_PCI
	KUNIT_CASE(untrusted_device_never_joins_an_identity_group),
	KUNIT_CASE(untrusted_member_keeps_translation_on_type_change),
#endif
	{}
};

/*
 * The legacy 32-bit ARM path (seed 003): a driver without default domains
 * of its own declares a static platform domain, and the platform's DMA ops
 * (not dma-iommu) serve its devices.  There is no detach callback: every
 * "detach" is an attach of the platform domain, which the driver turns
 * into handing the device back to those DMA ops.
 */
static const struct iommu_mock_config platform_cfg = {
	.static_default = IOMMU_MOCK_STATIC_DEFAULT_PLATFORM,
};

static void platform_domain_is_the_default_at_probe(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_add(test, &platform_cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_group *group = iommu_mock_group(test, &md->dev);

	KUNIT_ASSERT_NOT_NULL(test, group);
	KUNIT_EXPECT_PTR_EQ(test, iommu_group_default_domain(group),
			    &mock->platform);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&md->dev),
			    &mock->platform);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH,
					       &md->dev, &mock->platform), 1);
	/* Nothing of the driver's is allocated behind its back */
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_DOMAIN_ALLOC,
					       NULL, NULL), 0);
}

static void platform_detach_of_own_domain_returns_to_platform_dma(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_add(test, &platform_cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_domain *own = iommu_mock_paging_domain(test, &md->dev);

	/* What the ARM32 DMA mapping code does with its own domain */
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_device(test, own, &md->dev), 0);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&md->dev), own);
	iommu_mock_clear_log(mock);

	iommu_mock_detach_device(test, own, &md->dev);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&md->dev),
			    &mock->platform);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_last_attached(mock, &md->dev),
			    &mock->platform);
}

static void platform_owner_release_returns_to_platform_dma(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_add(test, &platform_cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_group *group = iommu_mock_group(test, &md->dev);
	int owner;

	KUNIT_ASSERT_NOT_NULL(test, group);
	KUNIT_ASSERT_EQ(test, iommu_mock_claim_group(test, group, &owner), 0);
	/* Owned: off the platform's DMA ops, onto a domain blocking DMA */
	KUNIT_EXPECT_PTR_NE(test, iommu_get_domain_for_dev(&md->dev),
			    &mock->platform);
	iommu_mock_clear_log(mock);

	iommu_mock_release_group(test, group);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&md->dev),
			    &mock->platform);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_last_attached(mock, &md->dev),
			    &mock->platform);
}

static struct kunit_case iommu_platform_dma_test_cases[] = {
	KUNIT_CASE(platform_domain_is_the_default_at_probe),
	KUNIT_CASE(platform_detach_of_own_domain_returns_to_platform_dma),
	KUNIT_CASE(platform_owner_release_returns_to_platform_dma),
	{}
};

static struct kunit_suite iommu_platform_dma_test_suite = {
	.name = "iommu_core_platform_dma",
	.init = iommu_mock_test_init,
	.test_cases = iommu_platform_dma_test_cases,
};

static struct kunit_suite iommu_default_domain_test_suite = {
	.name = "iommu_core_default_domain",
	.init = iommu_mock_test_init,
	.test_cases = iommu_default_domain_test_cases,
};

static const struct iommu_mock_config deferred_cfg = {
	.blocked_domain = true,
	.attach_deferred = true,
};

static void deferred_probe_does_not_attach(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_add(test, &deferred_cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);

	KUNIT_EXPECT_TRUE(test, device_iommu_mapped(&md->dev));
	KUNIT_EXPECT_NOT_NULL(test, iommu_get_domain_for_dev(&md->dev));
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH,
					       &md->dev, NULL), 0);
}

static void deferred_attach_attaches_exactly_once(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_add(test, &deferred_cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_domain *def = iommu_get_domain_for_dev(&md->dev);

	KUNIT_ASSERT_NOT_NULL(test, def);
	/* What the DMA API does before the first mapping, from any path */
	KUNIT_EXPECT_EQ(test, iommu_deferred_attach(&md->dev, def), 0);
	KUNIT_EXPECT_EQ(test, iommu_deferred_attach(&md->dev, def), 0);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH,
					       &md->dev, def), 1);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH,
					       &md->dev, NULL), 1);
}

static void deferred_attach_is_noop_for_attached_device(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_add(test, NULL);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_domain *def = iommu_get_domain_for_dev(&md->dev);

	KUNIT_ASSERT_NOT_NULL(test, def);
	iommu_mock_clear_log(mock);
	KUNIT_EXPECT_EQ(test, iommu_deferred_attach(&md->dev, def), 0);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH,
					       NULL, NULL), 0);
}

static void deferred_device_takes_own_paging_domain_at_once(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_add(test, &deferred_cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_domain *def = iommu_get_domain_for_dev(&md->dev);
	struct iommu_domain *paging = iommu_mock_paging_domain(test, &md->dev);

	KUNIT_ASSERT_NOT_NULL(test, def);
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_device(test, paging, &md->dev),
			0);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH,
					       &md->dev, paging), 1);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&md->dev), paging);

	/* No longer deferred: going back to the default is a real attach */
	iommu_mock_detach_device(test, paging, &md->dev);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH,
					       &md->dev, def), 1);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&md->dev), def);
}

static void deferred_device_owner_claim_blocks_at_once(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_add(test, &deferred_cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_domain *def = iommu_get_domain_for_dev(&md->dev);
	int owner;

	KUNIT_ASSERT_NOT_NULL(test, def);
	KUNIT_ASSERT_EQ(test, iommu_mock_claim_device(test, &md->dev, &owner),
			0);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH,
					       &md->dev, &mock->blocked), 1);
	iommu_mock_release_device(test, &md->dev);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH,
					       &md->dev, def), 1);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&md->dev), def);
}

static void deferred_release_skips_release_domain(struct kunit *test)
{
	struct iommu_mock_config cfg = deferred_cfg;
	struct iommu_mock *mock;
	struct iommu_mock_dev *md;
	struct device *dev;

	cfg.release_domain = true;
	mock = iommu_mock_add(test, &cfg);
	md = iommu_mock_dev_add(test, mock, NULL);
	dev = &md->dev;

	/* Never attached, so the hardware must not be touched on release */
	iommu_mock_dev_remove(test, md);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_RELEASE, dev,
					       NULL), 1);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH, dev,
					       NULL), 0);
}

static void deferred_release_after_attach_uses_release_domain(struct kunit *test)
{
	struct iommu_mock_config cfg = deferred_cfg;
	struct iommu_domain *def;
	struct iommu_mock *mock;
	struct iommu_mock_dev *md;
	struct device *dev;

	cfg.release_domain = true;
	mock = iommu_mock_add(test, &cfg);
	md = iommu_mock_dev_add(test, mock, NULL);
	dev = &md->dev;

	def = iommu_get_domain_for_dev(dev);
	KUNIT_ASSERT_EQ(test, iommu_deferred_attach(dev, def), 0);
	iommu_mock_dev_remove(test, md);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH, dev,
					       &mock->blocked), 1);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_RELEASE, dev,
					       NULL), 1);
}

/* What a driver mapping from atomic context holds */
static DEFINE_SPINLOCK(deferred_test_lock);

/* A thread that calls into the core and says when it is back */
struct core_caller {
	struct device *dev;
	struct iommu_domain *domain;
	struct iommu_group *group;
	int ret;
	struct completion done;
};

static int resv_reader_fn(void *data)
{
	struct core_caller *c = data;
	struct iommu_resv_region *region, *next;
	LIST_HEAD(regions);

	c->ret = iommu_get_group_resv_regions(c->group, &regions);
	list_for_each_entry_safe(region, next, &regions, list)
		kfree(region);
	complete(&c->done);
	return 0;
}

static int deferred_attacher_fn(void *data)
{
	struct core_caller *c = data;

	c->ret = iommu_deferred_attach(c->dev, c->domain);
	complete(&c->done);
	return 0;
}

static void core_caller_start(struct kunit *test, struct core_caller *c,
			      int (*fn)(void *data))
{
	struct task_struct *task;

	init_completion(&c->done);
	task = kthread_run(fn, c, "iommu-kunit-caller");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
}

static void core_caller_wait(struct kunit *test, struct core_caller *c)
{
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&c->done,
							    2 * IOMMU_MOCK_GATE_TIMEOUT));
}

/*
 * The DMA API calls iommu_deferred_attach() before every mapping, and
 * drivers map under spinlocks: once the device is attached, the call must
 * not sleep, even while another thread holds the group (here a reader of
 * the group's reserved regions, blocked in the driver).  Sleeping here
 * would be reported by DEBUG_ATOMIC_SLEEP and fail the console check.
 */
static void deferred_attach_done_is_atomic_safe_under_contention(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_add(test, &deferred_cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_domain *def = iommu_get_domain_for_dev(&md->dev);
	struct core_caller reader = {};
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, def);
	KUNIT_ASSERT_EQ(test, iommu_deferred_attach(&md->dev, def), 0);
	reader.group = iommu_mock_group(test, &md->dev);
	KUNIT_ASSERT_NOT_NULL(test, reader.group);

	iommu_mock_gate_arm(mock, IOMMU_MOCK_GATE_RESV_REGIONS);
	core_caller_start(test, &reader, resv_reader_fn);
	if (!iommu_mock_gate_wait_entered(mock)) {
		iommu_mock_gate_open(mock);
		KUNIT_FAIL(test, "the reserved regions reader never got in");
		return;
	}

	spin_lock(&deferred_test_lock);
	ret = iommu_deferred_attach(&md->dev, def);
	spin_unlock(&deferred_test_lock);

	iommu_mock_gate_open(mock);
	core_caller_wait(test, &reader);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, reader.ret, 0);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH,
					       &md->dev, def), 1);
}

/*
 * The first mappings of two members of one group race: each member is
 * attached exactly once, the second waiting for the first's attach to end.
 */
static void deferred_attach_of_two_members_attaches_each_once(struct kunit *test)
{
	struct iommu_mock_config cfg = deferred_cfg;
	struct core_caller first = {}, second = {};
	struct iommu_mock_dev *a, *b;
	struct iommu_domain *def;
	struct iommu_mock *mock;

	cfg.group_mode = IOMMU_MOCK_GROUP_PER_INSTANCE;
	mock = iommu_mock_add(test, &cfg);
	a = iommu_mock_dev_add(test, mock, NULL);
	b = iommu_mock_dev_add(test, mock, NULL);
	def = iommu_get_domain_for_dev(&a->dev);
	KUNIT_ASSERT_NOT_NULL(test, def);
	KUNIT_ASSERT_PTR_EQ(test, a->dev.iommu_group, b->dev.iommu_group);

	first.dev = &a->dev;
	first.domain = def;
	iommu_mock_gate_arm(mock, IOMMU_MOCK_GATE_ATTACH);
	core_caller_start(test, &first, deferred_attacher_fn);
	if (!iommu_mock_gate_wait_entered(mock)) {
		iommu_mock_gate_open(mock);
		KUNIT_FAIL(test, "the first member's attach never started");
		return;
	}
	/* a's attach is under way in the driver: b's first mapping comes */
	second.dev = &b->dev;
	second.domain = def;
	core_caller_start(test, &second, deferred_attacher_fn);
	msleep(100);
	iommu_mock_gate_open(mock);
	core_caller_wait(test, &first);
	core_caller_wait(test, &second);

	KUNIT_EXPECT_EQ(test, first.ret, 0);
	KUNIT_EXPECT_EQ(test, second.ret, 0);
	KUNIT_EXPECT_EQ(test, iommu_deferred_attach(&a->dev, def), 0);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH,
					       &a->dev, def), 1);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH,
					       &b->dev, def), 1);
}

static struct kunit_case iommu_deferred_attach_test_cases[] = {
	KUNIT_CASE(deferred_probe_does_not_attach),
	KUNIT_CASE(deferred_attach_attaches_exactly_once),
	KUNIT_CASE(deferred_attach_done_is_atomic_safe_under_contention),
	KUNIT_CASE(deferred_attach_of_two_members_attaches_each_once),
	KUNIT_CASE(deferred_attach_is_noop_for_attached_device),
	KUNIT_CASE(deferred_device_takes_own_paging_domain_at_once),
	KUNIT_CASE(deferred_device_owner_claim_blocks_at_once),
	KUNIT_CASE(deferred_release_skips_release_domain),
	KUNIT_CASE(deferred_release_after_attach_uses_release_domain),
	{}
};

static struct kunit_suite iommu_deferred_attach_test_suite = {
	.name = "iommu_core_deferred_attach",
	.init = iommu_mock_test_init,
	.test_cases = iommu_deferred_attach_test_cases,
};

kunit_test_suites(&iommu_default_domain_test_suite,
		  &iommu_platform_dma_test_suite,
		  &iommu_deferred_attach_test_suite);
