// SPDX-License-Identifier: GPL-2.0-only
/*
 * PASIDs (seed 004): attaching domains to PASIDs of a device, the attach
 * handles the core keeps for them, and looking those up while another
 * thread detaches.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/kthread.h>
#include <linux/sched.h>

#include "iommu-test-mock.h"

/* 2^8 PASIDs on the device, but its IOMMU only does 64 */
#define MOCK_MAX_PASIDS		64
#define MOCK_PASID_BITS		8

static const struct iommu_mock_config pasid_cfg = {
	.identity_domain = true,
	.blocked_domain = true,
	.max_pasids = MOCK_MAX_PASIDS,
	.group_mode = IOMMU_MOCK_GROUP_BY_KEY,
};

static const struct iommu_mock_dev_config pasid_dev = {
	.pasid_bits = MOCK_PASID_BITS,
};

struct pasid_env {
	struct iommu_mock *mock;
	struct iommu_mock_dev *md;
	struct iommu_group *group;
	struct iommu_domain *domain;
	struct iommu_attach_handle *handle;
};

static void make_pasid_env(struct kunit *test, struct pasid_env *e)
{
	e->mock = iommu_mock_add(test, &pasid_cfg);
	e->md = iommu_mock_dev_add(test, e->mock, &pasid_dev);
	e->group = iommu_mock_group(test, &e->md->dev);
	KUNIT_ASSERT_NOT_NULL(test, e->group);
	e->domain = iommu_mock_paging_domain(test, &e->md->dev);
	e->handle = kunit_kzalloc(test, sizeof(*e->handle), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, e->handle);
	iommu_mock_clear_log(e->mock);
}

static void pasid_attach_calls_set_dev_pasid(struct kunit *test)
{
	struct iommu_mock_event ev;
	struct pasid_env e;

	make_pasid_env(test, &e);
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_pasid(test, e.domain, &e.md->dev,
						      5, e.handle), 0);

	KUNIT_ASSERT_EQ(test, iommu_mock_events(e.mock, IOMMU_MOCK_EV_SET_PASID,
						&ev, 1), 1);
	KUNIT_EXPECT_PTR_EQ(test, ev.dev, &e.md->dev);
	KUNIT_EXPECT_PTR_EQ(test, ev.domain, e.domain);
	KUNIT_EXPECT_EQ(test, ev.pasid, 5);
	/* Nothing was attached to the PASID before */
	KUNIT_EXPECT_NULL(test, ev.old);
	/* The RID side is not touched */
	KUNIT_EXPECT_EQ(test, iommu_mock_count(e.mock, IOMMU_MOCK_EV_ATTACH,
					       NULL, NULL), 0);
}

static void pasid_handle_get_returns_attached_handle(struct kunit *test)
{
	struct pasid_env e;

	make_pasid_env(test, &e);
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_pasid(test, e.domain, &e.md->dev,
						      5, e.handle), 0);

	KUNIT_EXPECT_PTR_EQ(test, iommu_attach_handle_get(e.group, 5, 0),
			    e.handle);
	KUNIT_EXPECT_PTR_EQ(test, iommu_attach_handle_get(e.group, 5,
							  e.domain->type),
			    e.handle);
	KUNIT_EXPECT_PTR_EQ(test, e.handle->domain, e.domain);
}

static void pasid_handle_get_type_mismatch_is_ebusy(struct kunit *test)
{
	struct pasid_env e;

	make_pasid_env(test, &e);
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_pasid(test, e.domain, &e.md->dev,
						      5, e.handle), 0);

	KUNIT_EXPECT_PTR_EQ(test, iommu_attach_handle_get(e.group, 5,
							  IOMMU_DOMAIN_SVA),
			    ERR_PTR(-EBUSY));
}

static void pasid_handle_get_without_attach_is_enoent(struct kunit *test)
{
	struct pasid_env e;

	make_pasid_env(test, &e);
	KUNIT_EXPECT_PTR_EQ(test, iommu_attach_handle_get(e.group, 5, 0),
			    ERR_PTR(-ENOENT));
}

static void pasid_attach_twice_is_ebusy(struct kunit *test)
{
	struct iommu_attach_handle *other;
	struct iommu_domain *second;
	struct pasid_env e;

	make_pasid_env(test, &e);
	second = iommu_mock_paging_domain(test, &e.md->dev);
	other = kunit_kzalloc(test, sizeof(*other), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, other);
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_pasid(test, e.domain, &e.md->dev,
						      5, e.handle), 0);

	KUNIT_EXPECT_EQ(test, iommu_mock_attach_pasid(test, second, &e.md->dev,
						      5, other), -EBUSY);
	KUNIT_EXPECT_EQ(test, iommu_mock_attach_pasid(test, e.domain,
						      &e.md->dev, 5, other),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(e.mock, IOMMU_MOCK_EV_SET_PASID,
					       NULL, NULL), 1);
	KUNIT_EXPECT_PTR_EQ(test, iommu_attach_handle_get(e.group, 5, 0),
			    e.handle);
	KUNIT_EXPECT_PTR_EQ(test, e.handle->domain, e.domain);
}

static void pasid_beyond_max_pasids_rejected(struct kunit *test)
{
	struct pasid_env e;

	make_pasid_env(test, &e);
	KUNIT_EXPECT_EQ(test, iommu_mock_attach_pasid(test, e.domain, &e.md->dev,
						      MOCK_MAX_PASIDS, e.handle),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(e.mock, IOMMU_MOCK_EV_SET_PASID,
					       NULL, NULL), 0);
	KUNIT_EXPECT_PTR_EQ(test, iommu_attach_handle_get(e.group,
							  MOCK_MAX_PASIDS, 0),
			    ERR_PTR(-ENOENT));
	/* The last one the IOMMU supports is fine */
	KUNIT_EXPECT_EQ(test, iommu_mock_attach_pasid(test, e.domain, &e.md->dev,
						      MOCK_MAX_PASIDS - 1,
						      e.handle), 0);
}

static void pasid_zero_rejected(struct kunit *test)
{
	struct pasid_env e;

	make_pasid_env(test, &e);
	/* Untagged DMA goes through attach_dev(), never a PASID attach */
	KUNIT_EXPECT_EQ(test, iommu_mock_attach_pasid(test, e.domain, &e.md->dev,
						      IOMMU_NO_PASID, e.handle),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(e.mock, IOMMU_MOCK_EV_SET_PASID,
					       NULL, NULL), 0);
}

static void pasid_detach_calls_remove_dev_pasid(struct kunit *test)
{
	struct iommu_mock_event ev;
	struct pasid_env e;

	make_pasid_env(test, &e);
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_pasid(test, e.domain, &e.md->dev,
						      9, e.handle), 0);
	iommu_mock_detach_pasid(test, e.domain, &e.md->dev, 9);

	KUNIT_ASSERT_EQ(test, iommu_mock_events(e.mock,
						IOMMU_MOCK_EV_REMOVE_PASID,
						&ev, 1), 1);
	KUNIT_EXPECT_PTR_EQ(test, ev.dev, &e.md->dev);
	KUNIT_EXPECT_PTR_EQ(test, ev.domain, e.domain);
	KUNIT_EXPECT_EQ(test, ev.pasid, 9);
	KUNIT_EXPECT_PTR_EQ(test, iommu_attach_handle_get(e.group, 9, 0),
			    ERR_PTR(-ENOENT));
	/* The PASID is free again */
	KUNIT_EXPECT_EQ(test, iommu_mock_attach_pasid(test, e.domain, &e.md->dev,
						      9, e.handle), 0);
}

static void pasid_attach_blocks_owner_claim_until_detach(struct kunit *test)
{
	struct pasid_env e;
	int owner;

	make_pasid_env(test, &e);
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_pasid(test, e.domain, &e.md->dev,
						      3, e.handle), 0);
	KUNIT_EXPECT_EQ(test, iommu_mock_claim_group(test, e.group, &owner),
			-EBUSY);

	iommu_mock_detach_pasid(test, e.domain, &e.md->dev, 3);
	KUNIT_EXPECT_EQ(test, iommu_mock_claim_group(test, e.group, &owner), 0);
}

static void pasid_attach_failure_leaves_no_state(struct kunit *test)
{
	struct pasid_env e;

	make_pasid_env(test, &e);
	e.mock->fail_set_pasid = -EIO;
	KUNIT_EXPECT_EQ(test, iommu_mock_attach_pasid(test, e.domain, &e.md->dev,
						      4, e.handle), -EIO);
	e.mock->fail_set_pasid = 0;

	KUNIT_EXPECT_PTR_EQ(test, iommu_attach_handle_get(e.group, 4, 0),
			    ERR_PTR(-ENOENT));
	KUNIT_EXPECT_EQ(test, iommu_mock_attach_pasid(test, e.domain, &e.md->dev,
						      4, e.handle), 0);
	KUNIT_EXPECT_PTR_EQ(test, iommu_attach_handle_get(e.group, 4, 0),
			    e.handle);
}

/* A device of @e's group without PASID support */
static const struct iommu_mock_dev_config no_pasid_dev = {};

/* Devices whose PASIDs stop at 16 */
static const struct iommu_mock_dev_config narrow_pasid_dev = {
	.pasid_bits = 4,
};

static struct iommu_mock_dev *
add_member(struct kunit *test, struct pasid_env *e,
	   const struct iommu_mock_dev_config *cfg)
{
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, e->mock, cfg);

	KUNIT_ASSERT_PTR_EQ(test, md->dev.iommu_group, e->group);
	return md;
}

static unsigned int pasid_calls(struct pasid_env *e,
				enum iommu_mock_event_type type,
				struct iommu_mock_dev *md)
{
	return iommu_mock_count(e->mock, type, md ? &md->dev : NULL, NULL);
}

/*
 * A PASID is the group's, as its RID domain is: every member that supports
 * PASIDs gets it, a member without PASID support is left alone (6.12.y's
 * stable fix for groups behind bridges without ACS).
 */
static void pasid_attach_sets_up_every_capable_member(struct kunit *test)
{
	struct iommu_mock_dev *second, *plain;
	struct pasid_env e;

	make_pasid_env(test, &e);
	second = add_member(test, &e, &pasid_dev);
	plain = add_member(test, &e, &no_pasid_dev);
	iommu_mock_clear_log(e.mock);

	KUNIT_ASSERT_EQ(test, iommu_mock_attach_pasid(test, e.domain, &e.md->dev,
						      7, e.handle), 0);
	KUNIT_EXPECT_EQ(test, pasid_calls(&e, IOMMU_MOCK_EV_SET_PASID, e.md), 1);
	KUNIT_EXPECT_EQ(test, pasid_calls(&e, IOMMU_MOCK_EV_SET_PASID, second),
			1);
	KUNIT_EXPECT_EQ(test, pasid_calls(&e, IOMMU_MOCK_EV_SET_PASID, plain), 0);
	KUNIT_EXPECT_PTR_EQ(test, iommu_attach_handle_get(e.group, 7, 0),
			    e.handle);

	iommu_mock_detach_pasid(test, e.domain, &e.md->dev, 7);
	KUNIT_EXPECT_EQ(test, pasid_calls(&e, IOMMU_MOCK_EV_REMOVE_PASID, e.md),
			1);
	KUNIT_EXPECT_EQ(test, pasid_calls(&e, IOMMU_MOCK_EV_REMOVE_PASID,
					  second), 1);
	KUNIT_EXPECT_EQ(test, pasid_calls(&e, IOMMU_MOCK_EV_REMOVE_PASID, plain),
			0);
	KUNIT_EXPECT_PTR_EQ(test, iommu_attach_handle_get(e.group, 7, 0),
			    ERR_PTR(-ENOENT));
}

static void pasid_attach_refused_beyond_a_members_range(struct kunit *test)
{
	struct pasid_env e;

	make_pasid_env(test, &e);
	add_member(test, &e, &narrow_pasid_dev);
	iommu_mock_clear_log(e.mock);

	/* Within the attaching device's 64, beyond the other member's 16 */
	KUNIT_EXPECT_EQ(test, iommu_mock_attach_pasid(test, e.domain, &e.md->dev,
						      20, e.handle), -EINVAL);
	KUNIT_EXPECT_EQ(test, pasid_calls(&e, IOMMU_MOCK_EV_SET_PASID, NULL), 0);
	KUNIT_EXPECT_PTR_EQ(test, iommu_attach_handle_get(e.group, 20, 0),
			    ERR_PTR(-ENOENT));
}

static void pasid_attach_undone_when_a_member_refuses(struct kunit *test)
{
	struct iommu_mock_dev *second;
	struct pasid_env e;

	make_pasid_env(test, &e);
	second = add_member(test, &e, &pasid_dev);
	iommu_mock_clear_log(e.mock);

	e.mock->fail_set_pasid_dev = &second->dev;
	e.mock->fail_set_pasid = -EIO;
	KUNIT_EXPECT_EQ(test, iommu_mock_attach_pasid(test, e.domain, &e.md->dev,
						      7, e.handle), -EIO);
	e.mock->fail_set_pasid = 0;

	/* The member set up before the refusal is torn down again */
	KUNIT_EXPECT_EQ(test, pasid_calls(&e, IOMMU_MOCK_EV_REMOVE_PASID, e.md),
			1);
	KUNIT_EXPECT_EQ(test, pasid_calls(&e, IOMMU_MOCK_EV_REMOVE_PASID,
					  second), 0);
	KUNIT_EXPECT_PTR_EQ(test, iommu_attach_handle_get(e.group, 7, 0),
			    ERR_PTR(-ENOENT));
}

static void member_without_pasids_joins_group_with_pasids(struct kunit *test)
{
	struct iommu_mock_dev *plain;
	struct pasid_env e;

	make_pasid_env(test, &e);
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_pasid(test, e.domain, &e.md->dev,
						      7, e.handle), 0);
	iommu_mock_clear_log(e.mock);

	/* A hot-added member must not fail its IOMMU probe */
	plain = add_member(test, &e, &no_pasid_dev);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&plain->dev),
			    iommu_get_domain_for_dev(&e.md->dev));
	KUNIT_EXPECT_EQ(test, pasid_calls(&e, IOMMU_MOCK_EV_SET_PASID, plain), 0);
	KUNIT_EXPECT_PTR_EQ(test, iommu_attach_handle_get(e.group, 7, 0),
			    e.handle);
}

/*
 * Upstream's 6.12.y core sets a group's PASIDs up only on the members it has
 * at attach time and tears them down on the members it has at detach time.
 */
#define GAP_PASID_NEW_MEMBER \
	"a PASID-capable member joining a group with PASIDs is not given them, yet the detach removes them from it, see iommu_group_add_device()/__iommu_remove_group_pasid()"

static void capable_member_joining_takes_group_pasids(struct kunit *test)
{
	struct iommu_mock_dev *second;
	struct pasid_env e;

	make_pasid_env(test, &e);
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_pasid(test, e.domain, &e.md->dev,
						      7, e.handle), 0);
	iommu_mock_clear_log(e.mock);

	second = add_member(test, &e, &pasid_dev);
	iommu_kunit_expect_gap(test,
			       pasid_calls(&e, IOMMU_MOCK_EV_SET_PASID,
					   second) == 1,
			       GAP_PASID_NEW_MEMBER);
}

/*
 * Upstream's 6.12.y core leaves a leaving member's PASIDs set up in its
 * driver: nothing calls remove_dev_pasid() for it.
 */
#define GAP_PASID_MEMBER_LEAVES \
	"a member leaving a group with PASIDs keeps them in its driver, see __iommu_group_remove_device()"

static void member_leaving_drops_group_pasids_on_itself(struct kunit *test)
{
	struct iommu_mock_dev *second;
	struct pasid_env e;

	make_pasid_env(test, &e);
	second = add_member(test, &e, &pasid_dev);
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_pasid(test, e.domain, &e.md->dev,
						      7, e.handle), 0);
	iommu_mock_clear_log(e.mock);

	iommu_mock_dev_remove(test, second);
	/* The PASID stays with the member that is left */
	KUNIT_EXPECT_PTR_EQ(test, iommu_attach_handle_get(e.group, 7, 0),
			    e.handle);
	KUNIT_EXPECT_EQ(test, pasid_calls(&e, IOMMU_MOCK_EV_REMOVE_PASID, e.md),
			0);
	iommu_kunit_expect_gap(test,
			       iommu_mock_count(e.mock,
						IOMMU_MOCK_EV_REMOVE_PASID,
						&second->dev, e.domain) == 1,
			       GAP_PASID_MEMBER_LEAVES);
}

/*
 * Upstream's 6.12.y core skips the devices of the group whose max_pasids is
 * 0, both in its range check and when it calls set_dev_pasid(); for a
 * device without PASID support it records the PASID and returns success
 * without the driver ever hearing of it.
 */
#define GAP_PASID_UNSUPPORTED \
	"PASID attach to a device without PASID support succeeds without the driver, see iommu_attach_device_pasid()/__iommu_set_group_pasid()"

static void pasid_attach_refused_without_pasid_support(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_add(test, &pasid_cfg);
	/* The IOMMU does PASIDs, the device does not: its max_pasids is 0 */
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_group *group = iommu_mock_group(test, &md->dev);
	struct iommu_attach_handle *handle;
	struct iommu_domain *domain;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, group);
	KUNIT_ASSERT_EQ(test, iommu_alloc_global_pasid(&md->dev),
			IOMMU_PASID_INVALID);
	domain = iommu_mock_paging_domain(test, &md->dev);
	handle = kunit_kzalloc(test, sizeof(*handle), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, handle);
	iommu_mock_clear_log(mock);

	ret = iommu_mock_attach_pasid(test, domain, &md->dev, 5, handle);
	iommu_kunit_expect_gap(test,
			       ret == -EINVAL &&
			       !iommu_mock_count(mock, IOMMU_MOCK_EV_SET_PASID,
						 NULL, NULL) &&
			       IS_ERR(iommu_attach_handle_get(group, 5, 0)),
			       GAP_PASID_UNSUPPORTED);
}

static void pasid_attach_rejects_foreign_domain(struct kunit *test)
{
	struct iommu_mock_dev *od;
	struct iommu_domain *foreign;
	struct iommu_mock *other;
	struct pasid_env e;

	make_pasid_env(test, &e);
	other = iommu_mock_add(test, &pasid_cfg);
	od = iommu_mock_dev_add(test, other, &pasid_dev);
	foreign = iommu_mock_paging_domain(test, &od->dev);

	KUNIT_EXPECT_EQ(test, iommu_mock_attach_pasid(test, foreign, &e.md->dev,
						      5, e.handle), -EINVAL);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(e.mock, IOMMU_MOCK_EV_SET_PASID,
					       NULL, NULL), 0);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(other, IOMMU_MOCK_EV_SET_PASID,
					       NULL, NULL), 0);
}

static void pasid_attach_needs_set_dev_pasid(struct kunit *test)
{
	struct pasid_env e;

	make_pasid_env(test, &e);
	/* The mock's identity domain has no set_dev_pasid() */
	KUNIT_EXPECT_EQ(test, iommu_mock_attach_pasid(test, &e.mock->identity,
						      &e.md->dev, 5, e.handle),
			-EOPNOTSUPP);
	KUNIT_EXPECT_PTR_EQ(test, iommu_attach_handle_get(e.group, 5, 0),
			    ERR_PTR(-ENOENT));
}

static void pasids_are_independent(struct kunit *test)
{
	struct iommu_attach_handle *other;
	struct iommu_domain *second;
	struct pasid_env e;

	make_pasid_env(test, &e);
	second = iommu_mock_paging_domain(test, &e.md->dev);
	other = kunit_kzalloc(test, sizeof(*other), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, other);

	KUNIT_ASSERT_EQ(test, iommu_mock_attach_pasid(test, e.domain, &e.md->dev,
						      3, e.handle), 0);
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_pasid(test, second, &e.md->dev,
						      4, other), 0);
	iommu_mock_detach_pasid(test, e.domain, &e.md->dev, 3);

	KUNIT_EXPECT_PTR_EQ(test, iommu_attach_handle_get(e.group, 3, 0),
			    ERR_PTR(-ENOENT));
	KUNIT_EXPECT_PTR_EQ(test, iommu_attach_handle_get(e.group, 4, 0),
			    other);
	KUNIT_EXPECT_PTR_EQ(test, other->domain, second);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(e.mock,
					       IOMMU_MOCK_EV_REMOVE_PASID,
					       NULL, second), 0);
}

#define RACE_PASID	11
#define RACE_ROUNDS	200

struct pasid_race {
	struct iommu_group *group;
	struct iommu_attach_handle *handle;
	unsigned int type;
	struct completion started;
	atomic_t lookups;
	atomic_t found;
	atomic_t bad;
};

static int pasid_lookup_thread(void *data)
{
	struct pasid_race *race = data;

	complete(&race->started);
	while (!kthread_should_stop()) {
		struct iommu_attach_handle *handle;

		handle = iommu_attach_handle_get(race->group, RACE_PASID,
						 race->type);
		if (handle == race->handle)
			atomic_inc(&race->found);
		else if (handle != ERR_PTR(-ENOENT))
			atomic_inc(&race->bad);
		atomic_inc(&race->lookups);
		cond_resched();
	}
	return 0;
}

static void stop_lookup_thread(void *task)
{
	kthread_stop(task);
}

static void pasid_handle_lookup_races_with_detach(struct kunit *test)
{
	struct pasid_race *race;
	struct task_struct *task;
	struct pasid_env e;
	unsigned int i;
	int ret;

	make_pasid_env(test, &e);
	race = kunit_kzalloc(test, sizeof(*race), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, race);
	race->group = e.group;
	race->handle = e.handle;
	/* Filtering by type makes the lookup look into the handle too */
	race->type = e.domain->type;
	init_completion(&race->started);

	task = kthread_run(pasid_lookup_thread, race, "iommu-kunit-lookup");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, task);
	ret = kunit_add_action_or_reset(test, stop_lookup_thread, task);
	KUNIT_ASSERT_EQ(test, ret, 0);
	wait_for_completion(&race->started);

	/* The handle outlives the race; only its attachment comes and goes */
	for (i = 0; i < RACE_ROUNDS && !ret; i++) {
		ret = iommu_attach_device_pasid(e.domain, &e.md->dev, RACE_PASID,
						e.handle);
		if (!ret)
			iommu_detach_device_pasid(e.domain, &e.md->dev,
						  RACE_PASID);
		cond_resched();
	}
	kunit_release_action(test, stop_lookup_thread, task);
	/* Overlap is likely but not guaranteed, so it is only reported */
	kunit_info(test, "%d lookups, %d found the handle attached\n",
		   atomic_read(&race->lookups), atomic_read(&race->found));

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_GT(test, atomic_read(&race->lookups), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&race->bad), 0);
	KUNIT_EXPECT_PTR_EQ(test, iommu_attach_handle_get(e.group, RACE_PASID,
							  0),
			    ERR_PTR(-ENOENT));
	KUNIT_EXPECT_EQ(test, iommu_mock_count(e.mock, IOMMU_MOCK_EV_SET_PASID,
					       NULL, NULL), RACE_ROUNDS);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(e.mock,
					       IOMMU_MOCK_EV_REMOVE_PASID,
					       NULL, NULL), RACE_ROUNDS);
}

static void global_pasid_within_device_range(struct kunit *test)
{
	struct pasid_env e;
	ioasid_t pasid;

	make_pasid_env(test, &e);
	pasid = iommu_alloc_global_pasid(&e.md->dev);
	KUNIT_ASSERT_NE(test, pasid, IOMMU_PASID_INVALID);
	KUNIT_EXPECT_GE(test, pasid, IOMMU_FIRST_GLOBAL_PASID);
	KUNIT_EXPECT_LT(test, pasid, MOCK_MAX_PASIDS);
	iommu_free_global_pasid(pasid);
}

static void global_pasid_invalid_without_pasid_support(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_add(test, &pasid_cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);

	KUNIT_ASSERT_TRUE(test, device_iommu_mapped(&md->dev));
	KUNIT_EXPECT_EQ(test, iommu_alloc_global_pasid(&md->dev),
			IOMMU_PASID_INVALID);
}

/*
 * iommufd attaches a group's RID without a handle when it needs no faults:
 * a plain iommu_detach_group() must undo that completely, so that the group
 * takes a handle'd attach next and its owner can let it go.
 */
static void rid_attach_without_handle_is_undone_by_detach_group(struct kunit *test)
{
	struct iommu_attach_handle *found;
	struct iommu_domain *two;
	struct pasid_env e;
	int owner, ret;

	make_pasid_env(test, &e);
	two = iommu_mock_paging_domain(test, &e.md->dev);
	KUNIT_ASSERT_EQ(test, iommu_mock_claim_group(test, e.group, &owner), 0);
	KUNIT_ASSERT_EQ(test, iommu_attach_group_handle(e.domain, e.group, NULL),
			0);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&e.md->dev),
			    e.domain);
	iommu_detach_group(e.domain, e.group);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&e.md->dev),
			    &e.mock->blocked);

	ret = iommu_attach_group_handle(two, e.group, e.handle);
	iommu_kunit_expect_gap(test, ret == 0,
			       "a RID attach without handle leaves an IOMMU_NO_PASID entry that iommu_detach_group() never erases: the next handle'd attach is refused and releasing the claim warns");
	if (ret) {
		/* Erase what upstream left, so that the claim can go */
		iommu_detach_group_handle(e.domain, e.group);
		return;
	}
	found = iommu_attach_handle_get(e.group, IOMMU_NO_PASID, 0);
	KUNIT_EXPECT_PTR_EQ(test, found, e.handle);
	iommu_detach_group_handle(two, e.group);
	KUNIT_EXPECT_PTR_EQ(test, iommu_attach_handle_get(e.group,
							  IOMMU_NO_PASID, 0),
			    ERR_PTR(-ENOENT));
}

static struct kunit_case iommu_pasid_test_cases[] = {
	KUNIT_CASE(pasid_attach_calls_set_dev_pasid),
	KUNIT_CASE(pasid_handle_get_returns_attached_handle),
	KUNIT_CASE(pasid_handle_get_type_mismatch_is_ebusy),
	KUNIT_CASE(pasid_handle_get_without_attach_is_enoent),
	KUNIT_CASE(pasid_attach_twice_is_ebusy),
	KUNIT_CASE(pasid_beyond_max_pasids_rejected),
	KUNIT_CASE(pasid_zero_rejected),
	KUNIT_CASE(pasid_detach_calls_remove_dev_pasid),
	KUNIT_CASE(pasid_attach_blocks_owner_claim_until_detach),
	KUNIT_CASE(pasid_attach_failure_leaves_no_state),
	KUNIT_CASE(pasid_attach_sets_up_every_capable_member),
	KUNIT_CASE(pasid_attach_refused_beyond_a_members_range),
	KUNIT_CASE(pasid_attach_undone_when_a_member_refuses),
	KUNIT_CASE(member_without_pasids_joins_group_with_pasids),
	KUNIT_CASE(capable_member_joining_takes_group_pasids),
	KUNIT_CASE(member_leaving_drops_group_pasids_on_itself),
	KUNIT_CASE(pasid_attach_refused_without_pasid_support),
	KUNIT_CASE(pasid_attach_rejects_foreign_domain),
	KUNIT_CASE(pasid_attach_needs_set_dev_pasid),
	KUNIT_CASE(pasids_are_independent),
	KUNIT_CASE(pasid_handle_lookup_races_with_detach),
	KUNIT_CASE(rid_attach_without_handle_is_undone_by_detach_group),
	KUNIT_CASE(global_pasid_within_device_range),
	KUNIT_CASE(global_pasid_invalid_without_pasid_support),
	{}
};

static struct kunit_suite iommu_pasid_test_suite = {
	.name = "iommu_core_pasid",
	.init = iommu_mock_test_init,
	.test_cases = iommu_pasid_test_cases,
};

kunit_test_suites(&iommu_pasid_test_suite);
