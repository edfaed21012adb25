// SPDX-License-Identifier: GPL-2.0-only
/*
 * Probing (seed 002): which IOMMU driver the core asks about a device when
 * several are registered beside the real Intel VT-d driver, and what a
 * failed or undone probe leaves behind.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/pci.h>

#include "iommu-test-mock.h"

/*
 * fwspec_cfg registers like an OF or IORT IOMMU: only devices whose fwspec
 * names it are its own.  plain_cfg registers like Intel VT-d or AMD-Vi: no
 * fwnode, and its devices have no fwspec.
 */
static const struct iommu_mock_config fwspec_cfg = {
	.identity_domain = true, .blocked_domain = true,
};

static const struct iommu_mock_config plain_cfg = {
	.no_fwnode = true, .identity_domain = true, .blocked_domain = true,
};

/*
 * Upstream's 6.12.y core looks a device without a fwspec up with
 * iommu_ops_from_fwnode(NULL), which returns the first registered instance
 * with a NULL fwnode, registered at boot before any test runs (Intel VT-d
 * on x86, iommufd's selftest mock on every architecture).  A later driver
 * without a fwnode is never asked.
 */
#define GAP_NO_FWSPEC \
	"no-fwspec device only offered to the first registered NULL-fwnode IOMMU, see __iommu_probe_device()/iommu_fwspec_ops()"

static void probe_fwspec_device_reaches_its_driver(struct kunit *test)
{
	struct iommu_mock *fw = iommu_mock_add(test, &fwspec_cfg);
	struct iommu_mock_dev *md;
	struct iommu_domain *domain;

	iommu_mock_add(test, &plain_cfg);
	md = iommu_mock_dev_add(test, fw, NULL);

	KUNIT_EXPECT_EQ(test, iommu_mock_count(fw, IOMMU_MOCK_EV_PROBE,
					       &md->dev, NULL), 1);
	KUNIT_ASSERT_TRUE(test, device_iommu_mapped(&md->dev));
	KUNIT_EXPECT_PTR_EQ(test, __iommu_get_iommu_dev(&md->dev), &fw->iommu);

	/* Domains for the device come from the driver that probed it */
	domain = iommu_mock_paging_domain(test, &md->dev);
	KUNIT_EXPECT_PTR_EQ(test, domain->owner, (const struct iommu_ops *)&fw->ops);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(fw, IOMMU_MOCK_EV_DOMAIN_ALLOC,
					       &md->dev, domain), 1);
}

static void probe_fwspec_driver_not_asked_without_fwspec(struct kunit *test)
{
	struct iommu_mock *fw = iommu_mock_add(test, &fwspec_cfg);
	struct iommu_mock_dev *md;

	iommu_mock_add(test, &plain_cfg);
	md = iommu_mock_dev_add(test, NULL, NULL);

	KUNIT_EXPECT_EQ(test, iommu_mock_count(fw, IOMMU_MOCK_EV_PROBE,
					       &md->dev, NULL), 0);
}

static void probe_plain_driver_not_asked_with_foreign_fwspec(struct kunit *test)
{
	struct iommu_mock *fw = iommu_mock_add(test, &fwspec_cfg);
	struct iommu_mock *plain = iommu_mock_add(test, &plain_cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, fw, NULL);

	KUNIT_EXPECT_EQ(test, iommu_mock_count(plain, IOMMU_MOCK_EV_PROBE,
					       &md->dev, NULL), 0);
	KUNIT_EXPECT_PTR_EQ(test, __iommu_get_iommu_dev(&md->dev), &fw->iommu);
}

static void probe_device_without_fwspec_reaches_plain_driver(struct kunit *test)
{
	struct iommu_mock *plain;
	struct iommu_mock_dev *md;
	bool ok;

	iommu_mock_add(test, &fwspec_cfg);
	plain = iommu_mock_add(test, &plain_cfg);
	md = iommu_mock_dev_add(test, NULL, NULL);

	ok = iommu_mock_count(plain, IOMMU_MOCK_EV_PROBE, &md->dev, NULL) == 1 &&
	     device_iommu_mapped(&md->dev) &&
	     __iommu_get_iommu_dev(&md->dev) == &plain->iommu;
	iommu_kunit_expect_gap(test, ok, GAP_NO_FWSPEC);
}

static void probe_distinct_ops_asked_once(struct kunit *test)
{
	struct iommu_mock_config second = plain_cfg;
	struct iommu_mock *plain;
	struct iommu_mock_dev *md;

	iommu_mock_add(test, &fwspec_cfg);
	plain = iommu_mock_add(test, &plain_cfg);
	/* One driver with two IOMMU instances: the same ops, asked once */
	second.share_ops = plain;
	iommu_mock_add(test, &second);
	md = iommu_mock_dev_add(test, NULL, NULL);

	iommu_kunit_expect_gap(test,
			       iommu_mock_count(plain, IOMMU_MOCK_EV_PROBE,
						&md->dev, NULL) == 1,
			       GAP_NO_FWSPEC);
}

static void probe_fwspec_device_asked_once_with_two_notifiers(struct kunit *test)
{
	struct iommu_mock *fw = iommu_mock_add(test, &fwspec_cfg);
	struct iommu_mock *fw2 = iommu_mock_add(test, &fwspec_cfg);
	struct iommu_mock_dev *md;

	/* Every instance registered on our bus adds a bus notifier */
	iommu_mock_add(test, &plain_cfg);
	md = iommu_mock_dev_add(test, fw, NULL);

	KUNIT_EXPECT_EQ(test, iommu_mock_count(fw, IOMMU_MOCK_EV_PROBE,
					       &md->dev, NULL), 1);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(fw2, IOMMU_MOCK_EV_PROBE,
					       &md->dev, NULL), 0);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(fw, IOMMU_MOCK_EV_DEVICE_GROUP,
					       &md->dev, NULL), 1);
}

static void probe_real_iommu_devices_untouched(struct kunit *test)
{
	struct iommu_mock *fw = iommu_mock_add(test, &fwspec_cfg);
	struct iommu_mock *plain = iommu_mock_add(test, &plain_cfg);
	struct pci_dev *pdev = NULL;
	unsigned int found = 0;

	/* The machine's PCI devices stay with the real VT-d driver */
	for_each_pci_dev(pdev) {
		struct iommu_domain *domain;

		/* Only devices an IOMMU driver probed, not VFIO no-IOMMU ones */
		if (!device_iommu_mapped(&pdev->dev) || !pdev->dev.iommu)
			continue;
		found++;
		KUNIT_EXPECT_PTR_NE(test, __iommu_get_iommu_dev(&pdev->dev),
				    &fw->iommu);
		KUNIT_EXPECT_PTR_NE(test, __iommu_get_iommu_dev(&pdev->dev),
				    &plain->iommu);
		domain = iommu_get_domain_for_dev(&pdev->dev);
		if (domain && domain->owner) {
			KUNIT_EXPECT_PTR_NE(test, domain->owner,
					    (const struct iommu_ops *)&fw->ops);
			KUNIT_EXPECT_PTR_NE(test, domain->owner,
					    (const struct iommu_ops *)&plain->ops);
		}
	}
	KUNIT_EXPECT_GT_MSG(test, found, 0,
			    "no PCI device behind the real IOMMU to look at");
}

static void probe_failure_leaves_no_state(struct kunit *test)
{
	const struct iommu_mock_dev_config fail = { .probe_errno = -ENODEV };
	struct iommu_mock *fw = iommu_mock_add(test, &fwspec_cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, fw, &fail);

	KUNIT_EXPECT_EQ(test, iommu_mock_count(fw, IOMMU_MOCK_EV_PROBE,
					       &md->dev, NULL), 1);
	KUNIT_EXPECT_NULL(test, md->dev.iommu_group);
	KUNIT_EXPECT_FALSE(test, device_iommu_mapped(&md->dev));
	KUNIT_EXPECT_NULL(test, iommu_mock_group(test, &md->dev));
	KUNIT_EXPECT_NULL(test, iommu_get_domain_for_dev(&md->dev));
	KUNIT_EXPECT_EQ(test, iommu_mock_count(fw, IOMMU_MOCK_EV_DEVICE_GROUP,
					       &md->dev, NULL), 0);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(fw, IOMMU_MOCK_EV_ATTACH,
					       &md->dev, NULL), 0);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(fw, IOMMU_MOCK_EV_RELEASE,
					       &md->dev, NULL), 0);
	/* Without an IOMMU the device is free to use the DMA API */
	KUNIT_EXPECT_EQ(test, iommu_mock_use_default_domain(test, &md->dev), 0);
}

static void probe_failure_after_probe_device_releases_it(struct kunit *test)
{
	const struct iommu_mock_dev_config fail = { .group_errno = -ENOMEM };
	struct iommu_mock *fw = iommu_mock_add(test, &fwspec_cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, fw, &fail);

	KUNIT_EXPECT_EQ(test, iommu_mock_count(fw, IOMMU_MOCK_EV_PROBE,
					       &md->dev, NULL), 1);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(fw, IOMMU_MOCK_EV_DEVICE_GROUP,
					       &md->dev, NULL), 1);
	/* probe_device() succeeded, so it must be balanced */
	KUNIT_EXPECT_EQ(test, iommu_mock_count(fw, IOMMU_MOCK_EV_RELEASE,
					       &md->dev, NULL), 1);
	KUNIT_EXPECT_NULL(test, md->dev.iommu_group);
	KUNIT_EXPECT_FALSE(test, device_iommu_mapped(&md->dev));
}

static void probe_failure_in_default_domain_frees_group(struct kunit *test)
{
	const struct iommu_mock_config cfg = {
		.group_mode = IOMMU_MOCK_GROUP_BY_KEY,
		.def_domain_type = IOMMU_DOMAIN_DMA,
	};
	struct iommu_mock *fw = iommu_mock_add(test, &cfg);
	struct iommu_mock_dev *md;

	fw->fail_domain_alloc = -ENOMEM;
	md = iommu_mock_dev_add(test, fw, NULL);

	KUNIT_EXPECT_GE(test, iommu_mock_count(fw, IOMMU_MOCK_EV_DOMAIN_ALLOC,
					       &md->dev, NULL), 1);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(fw, IOMMU_MOCK_EV_ATTACH,
					       &md->dev, NULL), 0);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(fw, IOMMU_MOCK_EV_RELEASE,
					       &md->dev, NULL), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&fw->groups_released), 1);
	KUNIT_EXPECT_NULL(test, md->dev.iommu_group);
}

static void probe_retry_after_failure_succeeds(struct kunit *test)
{
	const struct iommu_mock_dev_config fail = { .probe_errno = -ENODEV };
	struct iommu_mock *fw = iommu_mock_add(test, &fwspec_cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, fw, &fail);

	KUNIT_ASSERT_FALSE(test, device_iommu_mapped(&md->dev));

	md->cfg.probe_errno = 0;
	KUNIT_ASSERT_EQ(test, iommu_mock_dev_probe(md), 0);
	KUNIT_EXPECT_TRUE(test, device_iommu_mapped(&md->dev));
	KUNIT_EXPECT_EQ(test, iommu_mock_count(fw, IOMMU_MOCK_EV_PROBE,
					       &md->dev, NULL), 2);
	KUNIT_EXPECT_NOT_NULL(test, iommu_get_domain_for_dev(&md->dev));
	KUNIT_EXPECT_EQ(test, iommu_mock_count(fw, IOMMU_MOCK_EV_ATTACH,
					       &md->dev, NULL), 1);
}

static void probe_of_probed_device_is_noop(struct kunit *test)
{
	struct iommu_mock *fw = iommu_mock_add(test, &fwspec_cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, fw, NULL);
	struct iommu_group *group = iommu_mock_group(test, &md->dev);

	KUNIT_ASSERT_NOT_NULL(test, group);
	KUNIT_EXPECT_EQ(test, iommu_mock_dev_probe(md), 0);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(fw, IOMMU_MOCK_EV_PROBE,
					       &md->dev, NULL), 1);
	KUNIT_EXPECT_PTR_EQ(test, md->dev.iommu_group, group);
}

static void release_on_device_del_releases_device_and_group(struct kunit *test)
{
	const struct iommu_mock_config cfg = {
		.group_mode = IOMMU_MOCK_GROUP_BY_KEY,
	};
	struct iommu_mock *fw = iommu_mock_add(test, &cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, fw, NULL);
	struct device *dev = &md->dev;

	KUNIT_ASSERT_TRUE(test, device_iommu_mapped(dev));
	KUNIT_EXPECT_EQ(test, iommu_mock_count(fw, IOMMU_MOCK_EV_RELEASE, dev,
					       NULL), 0);

	/* dev is only compared against the log from here on, never used */
	iommu_mock_dev_remove(test, md);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(fw, IOMMU_MOCK_EV_RELEASE, dev,
					       NULL), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&fw->groups_released), 1);
}

static void reprobe_after_release_starts_afresh(struct kunit *test)
{
	const struct iommu_mock_config cfg = {
		.group_mode = IOMMU_MOCK_GROUP_BY_KEY,
	};
	struct iommu_mock *fw = iommu_mock_add(test, &cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, fw, NULL);

	iommu_mock_dev_remove(test, md);
	KUNIT_ASSERT_EQ(test, atomic_read(&fw->groups_released), 1);

	/* The same device coming back: probed again, in a new group */
	md = iommu_mock_dev_add(test, fw, NULL);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(fw, IOMMU_MOCK_EV_PROBE,
					       &md->dev, NULL), 1);
	KUNIT_EXPECT_TRUE(test, device_iommu_mapped(&md->dev));
	KUNIT_EXPECT_EQ(test, iommu_mock_count(fw, IOMMU_MOCK_EV_ATTACH,
					       &md->dev, NULL), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&fw->groups_released), 1);
}

/*
 * Upstream's 6.12.y iommu_device_unregister() only releases the devices of
 * the buses in its iommu_buses[] (platform, PCI, ...), so a device of any
 * other bus, like ours, keeps its group, its domain and a dev->iommu naming
 * the dead instance.
 */
#define GAP_UNREGISTER_ANY_BUS \
	"unregistering an IOMMU does not release its devices on other buses, see iommu_device_unregister()/iommu_buses[]"

/* A device still translated by @mock, which is no longer registered */
static bool probed_by(struct iommu_mock_dev *md, struct iommu_mock *mock)
{
	return md->dev.iommu && md->dev.iommu->iommu_dev == &mock->iommu;
}

/*
 * Where unregistering left a device on @mock, register it again, so that
 * removing the device at the end of the case releases it as usual.
 */
static void reregister_if_still_used(struct kunit *test,
				     struct iommu_mock *mock,
				     struct iommu_mock_dev *md)
{
	if (device_iommu_mapped(&md->dev) || probed_by(md, mock))
		KUNIT_ASSERT_EQ(test, iommu_mock_register(mock), 0);
}

static void unregister_releases_devices_on_any_bus(struct kunit *test)
{
	const struct iommu_mock_config cfg = {
		.group_mode = IOMMU_MOCK_GROUP_BY_KEY,
	};
	struct iommu_mock *fw = iommu_mock_add(test, &cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, fw, NULL);
	bool released;

	KUNIT_ASSERT_TRUE(test, device_iommu_mapped(&md->dev));
	KUNIT_ASSERT_EQ(test, atomic_read(&fw->live_domains), 1);

	/* The device stays on the bus; its IOMMU goes away */
	iommu_mock_unregister(fw);
	released = iommu_mock_count(fw, IOMMU_MOCK_EV_RELEASE, &md->dev,
				    NULL) == 1 &&
		   !device_iommu_mapped(&md->dev) && !probed_by(md, fw) &&
		   !iommu_get_domain_for_dev(&md->dev) &&
		   atomic_read(&fw->groups_released) == 1 &&
		   !atomic_read(&fw->live_domains);

	reregister_if_still_used(test, fw, md);
	iommu_kunit_expect_gap(test, released, GAP_UNREGISTER_ANY_BUS);
}

static void unregister_keeps_devices_of_other_instances(struct kunit *test)
{
	const struct iommu_mock_config cfg = {
		.group_mode = IOMMU_MOCK_GROUP_BY_KEY,
	};
	struct iommu_mock *gone = iommu_mock_add(test, &cfg);
	struct iommu_mock *kept = iommu_mock_add(test, &cfg);
	struct iommu_mock_dev *a = iommu_mock_dev_add(test, gone, NULL);
	struct iommu_mock_dev *b = iommu_mock_dev_add(test, kept, NULL);
	struct iommu_group *group = iommu_mock_group(test, &b->dev);
	struct iommu_domain *domain = iommu_get_domain_for_dev(&b->dev);

	KUNIT_ASSERT_NOT_NULL(test, group);
	KUNIT_ASSERT_NOT_NULL(test, domain);
	iommu_mock_clear_log(kept);

	iommu_mock_unregister(gone);
	reregister_if_still_used(test, gone, a);

	KUNIT_EXPECT_EQ(test, iommu_mock_count(kept, IOMMU_MOCK_EV_RELEASE,
					       NULL, NULL), 0);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(kept, IOMMU_MOCK_EV_ATTACH,
					       NULL, NULL), 0);
	KUNIT_EXPECT_TRUE(test, probed_by(b, kept));
	KUNIT_EXPECT_PTR_EQ(test, b->dev.iommu_group, group);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&b->dev), domain);
	KUNIT_EXPECT_EQ(test, atomic_read(&kept->groups_released), 0);
}

static void capable_asks_the_device_driver(struct kunit *test)
{
	struct iommu_mock_config fq_cfg = fwspec_cfg;
	struct iommu_mock *fq, *nofq;
	struct iommu_mock_dev *a, *b, *none;

	fq_cfg.deferred_flush = true;
	fq = iommu_mock_add(test, &fq_cfg);
	nofq = iommu_mock_add(test, &fwspec_cfg);
	a = iommu_mock_dev_add(test, fq, NULL);
	b = iommu_mock_dev_add(test, nofq, NULL);
	none = iommu_mock_dev_add(test, NULL, NULL);

	KUNIT_EXPECT_TRUE(test, device_iommu_capable(&a->dev,
						     IOMMU_CAP_DEFERRED_FLUSH));
	KUNIT_EXPECT_FALSE(test, device_iommu_capable(&b->dev,
						      IOMMU_CAP_DEFERRED_FLUSH));
	KUNIT_EXPECT_FALSE(test, device_iommu_capable(&none->dev,
						      IOMMU_CAP_CACHE_COHERENCY));
}

static void fwspec_init_defers_until_iommu_registered(struct kunit *test)
{
	struct fwnode_handle *unknown;
	struct iommu_mock_dev *md;

	iommu_mock_add(test, &fwspec_cfg);
	md = iommu_mock_dev_add(test, NULL, NULL);
	unknown = kunit_kzalloc(test, sizeof(*unknown), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, unknown);
	fwnode_init(unknown, NULL);

	KUNIT_EXPECT_EQ(test, iommu_mock_set_fwspec(&md->dev, unknown),
			-EPROBE_DEFER);
	KUNIT_EXPECT_NULL(test, dev_iommu_fwspec_get(&md->dev));
}

static void fwspec_init_refuses_a_second_iommu(struct kunit *test)
{
	struct iommu_mock *fw = iommu_mock_add(test, &fwspec_cfg);
	struct iommu_mock *fw2 = iommu_mock_add(test, &fwspec_cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, fw, NULL);
	struct iommu_fwspec *fwspec;

	KUNIT_EXPECT_EQ(test, iommu_mock_set_fwspec(&md->dev, &fw2->fwnode),
			-EINVAL);
	/* Naming the same IOMMU again is fine */
	KUNIT_EXPECT_EQ(test, iommu_mock_set_fwspec(&md->dev, &fw->fwnode), 0);
	fwspec = dev_iommu_fwspec_get(&md->dev);
	KUNIT_ASSERT_NOT_NULL(test, fwspec);
	KUNIT_EXPECT_PTR_EQ(test, fwspec->iommu_fwnode, &fw->fwnode);
}

/* At most this many devices, for at most this long */
#define RACE_DEVICES		48
#define RACE_TIMEOUT		(5 * HZ)
/* Devices on the bus before the registration starts, for its walk */
#define RACE_DEVICES_BEFORE	8
/* Devices still added once the registration returned */
#define RACE_DEVICES_AFTER	4

/* An instance registering from a thread of its own, see below */
struct register_race {
	struct iommu_mock *mock;
	struct completion go;
	atomic_t done;
	int ret;
};

static int register_race_thread(void *data)
{
	struct register_race *race = data;

	if (wait_for_completion_timeout(&race->go, RACE_TIMEOUT))
		race->ret = iommu_mock_register(race->mock);
	else
		race->ret = -ETIMEDOUT;
	atomic_set(&race->done, 1);
	/* Exit only when the case says so: it holds no task reference */
	while (!kthread_should_stop())
		msleep(20);
	return 0;
}

static void stop_race_thread(void *task)
{
	kthread_stop(task);
}

/*
 * Registration against probe: devices keep appearing on the bus while a
 * second driver's instance registers, some of them there before it
 * starts.  Whether a device is offered to it by the registration's bus
 * walk or by its bus notifier, the instance must be whole by then: its
 * sysfs device (the driver's part) and the ops and fwnode it registers
 * with (the core's).  The mock's probe_device() counts the calls that
 * found it otherwise.
 */
static void instance_never_offered_device_before_registration_finished(struct kunit *test)
{
	struct iommu_mock_dev *mds[RACE_DEVICES];
	struct register_race race = {};
	unsigned int n = 0, after = 0, probed = 0, i;
	struct task_struct *task;
	unsigned long deadline;

	iommu_mock_add(test, &fwspec_cfg);
	race.mock = iommu_mock_add(test, &plain_cfg);
	/* Back to an instance never registered, for the thread to register */
	iommu_mock_unregister(race.mock);
	WRITE_ONCE(race.mock->iommu.ops, NULL);
	init_completion(&race.go);

	task = kthread_run(register_race_thread, &race, "iommu-kunit-reg");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, stop_race_thread,
							   task));

	/* Some for the registration's bus walk, then more while it runs */
	deadline = jiffies + RACE_TIMEOUT;
	while (n < RACE_DEVICES && after < RACE_DEVICES_AFTER &&
	       time_before(jiffies, deadline)) {
		bool registered = atomic_read(&race.done);

		if (n == RACE_DEVICES_BEFORE)
			complete(&race.go);
		mds[n++] = iommu_mock_dev_add(test, race.mock, NULL);
		/* Added while the registration ran, or once it had returned */
		after += registered;
	}
	complete(&race.go);
	while (!atomic_read(&race.done) && time_before(jiffies, deadline))
		msleep(20);
	KUNIT_ASSERT_TRUE_MSG(test, atomic_read(&race.done),
			      "registration still running after %d s",
			      RACE_TIMEOUT / HZ);
	KUNIT_ASSERT_EQ(test, race.ret, 0);

	KUNIT_EXPECT_EQ(test, atomic_read(&race.mock->unpublished_probes), 0);
	/* The race took place: the instance got every device, early or late */
	for (i = 0; i < n; i++)
		probed += mds[i]->dev.iommu &&
			  __iommu_get_iommu_dev(&mds[i]->dev) == &race.mock->iommu;
	kunit_info(test, "%u devices: %u before the registration, %u during, %u after",
		   n, RACE_DEVICES_BEFORE, n - RACE_DEVICES_BEFORE - after,
		   after);
	iommu_kunit_expect_gap(test, probed == n, GAP_NO_FWSPEC);
}

static struct kunit_case iommu_probe_test_cases[] = {
	KUNIT_CASE(probe_fwspec_device_reaches_its_driver),
	KUNIT_CASE(probe_fwspec_driver_not_asked_without_fwspec),
	KUNIT_CASE(probe_plain_driver_not_asked_with_foreign_fwspec),
	KUNIT_CASE(probe_device_without_fwspec_reaches_plain_driver),
	KUNIT_CASE(probe_distinct_ops_asked_once),
	KUNIT_CASE(probe_fwspec_device_asked_once_with_two_notifiers),
	KUNIT_CASE(probe_real_iommu_devices_untouched),
	KUNIT_CASE(probe_failure_leaves_no_state),
	KUNIT_CASE(probe_failure_after_probe_device_releases_it),
	KUNIT_CASE(probe_failure_in_default_domain_frees_group),
	KUNIT_CASE(probe_retry_after_failure_succeeds),
	KUNIT_CASE(probe_of_probed_device_is_noop),
	KUNIT_CASE(release_on_device_del_releases_device_and_group),
	KUNIT_CASE(reprobe_after_release_starts_afresh),
	KUNIT_CASE(unregister_releases_devices_on_any_bus),
	KUNIT_CASE(unregister_keeps_devices_of_other_instances),
	KUNIT_CASE(capable_asks_the_device_driver),
	KUNIT_CASE(fwspec_init_defers_until_iommu_registered),
	KUNIT_CASE(fwspec_init_refuses_a_second_iommu),
	KUNIT_CASE(instance_never_offered_device_before_registration_finished),
	{}
};

static struct kunit_suite iommu_probe_test_suite = {
	.name = "iommu_core_probe",
	.init = iommu_mock_test_init,
	.test_cases = iommu_probe_test_cases,
};

kunit_test_suites(&iommu_probe_test_suite);
