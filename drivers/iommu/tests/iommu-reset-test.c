// SPDX-License-Identifier: GPL-2.0-only
/*
 * PCI functions blocked while they reset (mainline 7.0's
 * pci_dev_reset_iommu_prepare() and pci_dev_reset_iommu_done(), nested as
 * in 7.1): the function's RID and PASIDs are blocked, its group keeps its
 * domain and refuses to change it, and the function returns to whatever
 * domain the group is on when the outermost reset is done.
 *
 * The cases drive the two calls on the mock's PCI device as the PCI core's
 * reset methods do.  With upstream's 6.12 core they are the no-op stubs of
 * drivers/pci/pci.h, so every case that needs the blocking is an expected
 * failure there.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/kthread.h>
#include <linux/pci.h>
#include <linux/sched.h>

#include "../../pci/pci.h"
#include "iommu-test-mock.h"

#define GAP_RESET \
	"6.12 core has no PCI reset blocking; mainline 7.0 (pci_dev_reset_iommu_prepare/done), nested resets 7.1"

/* PASIDs on the devices, and static blocked and identity domains */
static const struct iommu_mock_config reset_cfg = {
	.identity_domain = true,
	.blocked_domain = true,
	.max_pasids = 64,
	.group_mode = IOMMU_MOCK_GROUP_BY_KEY,
};

static const struct iommu_mock_dev_config reset_dev = {
	.pasid_bits = 8,
};

struct reset_env {
	struct iommu_mock *mock;
	struct pci_dev *pdev;
	struct device *dev;
	struct iommu_group *group;
	/* The group's default domain, where the device starts */
	struct iommu_domain *def;
};

/* A probed PCI mock device of @mock */
static struct pci_dev *add_pci_dev(struct kunit *test, struct iommu_mock *mock,
				   const struct iommu_mock_dev_config *cfg)
{
	struct iommu_mock_pci_dev *pmd;

	pmd = iommu_mock_pci_dev_add(test, mock, cfg, false);
	KUNIT_ASSERT_EQ(test, iommu_mock_dev_probe(&pmd->md), 0);
	return &pmd->pdev;
}

static void make_reset_env_cfg(struct kunit *test, struct reset_env *e,
			       const struct iommu_mock_config *cfg)
{
	e->mock = iommu_mock_add(test, cfg);
	e->pdev = add_pci_dev(test, e->mock, &reset_dev);
	e->dev = &e->pdev->dev;
	e->group = iommu_mock_group(test, e->dev);
	KUNIT_ASSERT_NOT_NULL(test, e->group);
	e->def = iommu_group_default_domain(e->group);
	KUNIT_ASSERT_NOT_NULL(test, e->def);
	KUNIT_ASSERT_PTR_EQ(test, iommu_get_domain_for_dev(e->dev), e->def);
	iommu_mock_clear_log(e->mock);
}

static void make_reset_env(struct kunit *test, struct reset_env *e)
{
	make_reset_env_cfg(test, e, &reset_cfg);
}

KUNIT_DEFINE_ACTION_WRAPPER(reset_done_action, pci_dev_reset_iommu_done,
			    struct pci_dev *);

/*
 * Begin a reset of @pdev as a reset method does.  Its end is queued, so that
 * a case failing half-way still ends the reset before its device goes.
 */
static int reset_prepare(struct kunit *test, struct pci_dev *pdev)
{
	int ret = pci_dev_reset_iommu_prepare(pdev);

	if (ret)
		return ret;
	ret = kunit_add_action_or_reset(test, reset_done_action, pdev);
	KUNIT_ASSERT_EQ(test, ret, 0);
	return 0;
}

/* End the innermost reset of @pdev begun by reset_prepare() */
static void reset_done(struct kunit *test, struct pci_dev *pdev)
{
	kunit_release_action(test, reset_done_action, pdev);
}

/* The domain @dev's hardware is on, as its driver saw the attaches */
static struct iommu_domain *hw_domain(struct reset_env *e, struct device *dev)
{
	return iommu_mock_last_attached(e->mock, dev);
}

static bool is_blocked(struct reset_env *e, struct device *dev)
{
	return hw_domain(e, dev) == &e->mock->blocked;
}

static void reset_blocks_device_and_keeps_group_domain(struct kunit *test)
{
	struct reset_env e;
	bool ok;

	make_reset_env(test, &e);
	KUNIT_ASSERT_EQ(test, reset_prepare(test, e.pdev), 0);

	ok = is_blocked(&e, e.dev) &&
	     iommu_get_domain_for_dev(e.dev) == e.def &&
	     iommu_group_default_domain(e.group) == e.def;
	iommu_kunit_expect_gap(test, ok, GAP_RESET);
}

static void reset_done_returns_device_to_group_domain(struct kunit *test)
{
	struct iommu_domain *own;
	struct reset_env e;
	bool ok;

	make_reset_env(test, &e);
	own = iommu_mock_paging_domain(test, e.dev);
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_device(test, own, e.dev), 0);
	KUNIT_ASSERT_EQ(test, reset_prepare(test, e.pdev), 0);
	reset_done(test, e.pdev);

	/* Blocked in between, then on the driver's own domain again */
	ok = iommu_mock_count(e.mock, IOMMU_MOCK_EV_ATTACH, e.dev,
			      &e.mock->blocked) == 1 &&
	     iommu_mock_count(e.mock, IOMMU_MOCK_EV_ATTACH, e.dev, own) == 2 &&
	     hw_domain(&e, e.dev) == own &&
	     iommu_get_domain_for_dev(e.dev) == own;
	iommu_kunit_expect_gap(test, ok, GAP_RESET);
}

/* A PASID's attach handle, which must outlive the case's undo actions */
static struct iommu_attach_handle *new_handle(struct kunit *test)
{
	struct iommu_attach_handle *handle;

	handle = kunit_kzalloc(test, sizeof(*handle), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, handle);
	return handle;
}

static void reset_tears_pasids_down_and_keeps_their_handles(struct kunit *test)
{
	struct iommu_attach_handle *handle;
	struct iommu_domain *sva;
	struct reset_env e;
	bool ok;

	make_reset_env(test, &e);
	sva = iommu_mock_paging_domain(test, e.dev);
	handle = new_handle(test);
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_pasid(test, sva, e.dev, 5,
						      handle), 0);
	iommu_mock_clear_log(e.mock);
	KUNIT_ASSERT_EQ(test, reset_prepare(test, e.pdev), 0);

	/* The table is the group's, and what the device returns to */
	ok = iommu_mock_count(e.mock, IOMMU_MOCK_EV_REMOVE_PASID, e.dev,
			      sva) == 1 &&
	     iommu_attach_handle_get(e.group, 5, 0) == handle;
	iommu_kunit_expect_gap(test, ok, GAP_RESET);
}

static void reset_done_sets_pasids_up_again(struct kunit *test)
{
	struct iommu_attach_handle *handle;
	struct iommu_mock_event ev[2];
	struct iommu_domain *sva;
	struct reset_env e;
	bool ok;

	make_reset_env(test, &e);
	sva = iommu_mock_paging_domain(test, e.dev);
	handle = new_handle(test);
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_pasid(test, sva, e.dev, 5,
						      handle), 0);
	iommu_mock_clear_log(e.mock);
	KUNIT_ASSERT_EQ(test, reset_prepare(test, e.pdev), 0);
	reset_done(test, e.pdev);

	ok = iommu_mock_events(e.mock, IOMMU_MOCK_EV_SET_PASID, ev, 2) == 1 &&
	     ev[0].dev == e.dev && ev[0].domain == sva && ev[0].pasid == 5 &&
	     !ev[0].ret &&
	     iommu_attach_handle_get(e.group, 5, 0) == handle;
	iommu_kunit_expect_gap(test, ok, GAP_RESET);
}

/*
 * A change to @refused during a reset was refused with -EBUSY: no device
 * was attached to it, and the group still shows @stays.
 */
static bool refused_unchanged(struct reset_env *e, int ret,
			      struct iommu_domain *refused,
			      struct iommu_domain *stays)
{
	return ret == -EBUSY &&
	       !iommu_mock_count(e->mock, IOMMU_MOCK_EV_ATTACH, NULL, refused) &&
	       iommu_get_domain_for_dev(e->dev) == stays;
}

static void attach_device_during_reset_is_ebusy(struct kunit *test)
{
	struct iommu_domain *own;
	struct reset_env e;
	int ret;

	make_reset_env(test, &e);
	own = iommu_mock_paging_domain(test, e.dev);
	KUNIT_ASSERT_EQ(test, reset_prepare(test, e.pdev), 0);
	ret = iommu_mock_attach_device(test, own, e.dev);

	iommu_kunit_expect_gap(test, refused_unchanged(&e, ret, own, e.def),
			       GAP_RESET);
}

static void attach_group_during_reset_is_ebusy(struct kunit *test)
{
	struct iommu_domain *own, *blocking;
	struct reset_env e;
	int owner, ret;

	make_reset_env(test, &e);
	own = iommu_mock_paging_domain(test, e.dev);
	KUNIT_ASSERT_EQ(test, iommu_mock_claim_group(test, e.group, &owner), 0);
	blocking = iommu_get_domain_for_dev(e.dev);
	KUNIT_ASSERT_EQ(test, reset_prepare(test, e.pdev), 0);
	ret = iommu_mock_attach_group(test, own, e.group);

	iommu_kunit_expect_gap(test, refused_unchanged(&e, ret, own, blocking),
			       GAP_RESET);
}

static void replace_during_reset_is_ebusy(struct kunit *test)
{
	struct iommu_domain *one, *two;
	struct reset_env e;
	int owner, ret;

	make_reset_env(test, &e);
	one = iommu_mock_paging_domain(test, e.dev);
	two = iommu_mock_paging_domain(test, e.dev);
	KUNIT_ASSERT_EQ(test, iommu_mock_claim_group(test, e.group, &owner), 0);
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_group(test, one, e.group), 0);
	KUNIT_ASSERT_EQ(test, reset_prepare(test, e.pdev), 0);
	ret = iommu_mock_replace_group(test, e.group, two);

	iommu_kunit_expect_gap(test, refused_unchanged(&e, ret, two, one),
			       GAP_RESET);
}

static void pasid_attach_during_reset_is_ebusy(struct kunit *test)
{
	struct iommu_attach_handle *handle;
	struct iommu_domain *sva;
	struct reset_env e;
	bool ok;
	int ret;

	make_reset_env(test, &e);
	sva = iommu_mock_paging_domain(test, e.dev);
	handle = new_handle(test);
	KUNIT_ASSERT_EQ(test, reset_prepare(test, e.pdev), 0);
	ret = iommu_mock_attach_pasid(test, sva, e.dev, 5, handle);

	ok = ret == -EBUSY &&
	     !iommu_mock_count(e.mock, IOMMU_MOCK_EV_SET_PASID, NULL, NULL) &&
	     iommu_attach_handle_get(e.group, 5, 0) == ERR_PTR(-ENOENT);
	iommu_kunit_expect_gap(test, ok, GAP_RESET);
}

static void owner_claim_during_reset_is_ebusy(struct kunit *test)
{
	struct reset_env e;
	int owner, ret;
	bool ok;

	make_reset_env(test, &e);
	KUNIT_ASSERT_EQ(test, reset_prepare(test, e.pdev), 0);
	ret = iommu_mock_claim_group(test, e.group, &owner);

	/* Claiming moves the group to its blocking domain: refused too */
	ok = ret == -EBUSY && iommu_get_domain_for_dev(e.dev) == e.def;
	iommu_kunit_expect_gap(test, ok, GAP_RESET);
}

/*
 * A member whose attach is deferred is left alone while another member of
 * its group resets: the DMA API's attach is refused, and the member still
 * waits for its first mapping after the reset.
 */
static void deferred_attach_during_reset_is_ebusy(struct kunit *test)
{
	struct iommu_mock_config cfg = reset_cfg;
	struct pci_dev *other;
	struct reset_env e;
	int ret, later;
	bool ok;

	cfg.attach_deferred = true;
	make_reset_env_cfg(test, &e, &cfg);
	other = add_pci_dev(test, e.mock, &reset_dev);
	KUNIT_ASSERT_PTR_EQ(test, other->dev.iommu_group, e.group);
	iommu_mock_clear_log(e.mock);

	KUNIT_ASSERT_EQ(test, reset_prepare(test, e.pdev), 0);
	ret = iommu_deferred_attach(&other->dev, e.def);
	ok = ret == -EBUSY &&
	     !iommu_mock_count(e.mock, IOMMU_MOCK_EV_ATTACH, &other->dev, NULL);
	reset_done(test, e.pdev);

	later = iommu_deferred_attach(&other->dev, e.def);
	ok = ok && !later &&
	     iommu_mock_count(e.mock, IOMMU_MOCK_EV_ATTACH, &other->dev,
			      e.def) == 1;
	iommu_kunit_expect_gap(test, ok, GAP_RESET);
}

/* A bus reset inside a function reset: one block, one return, outermost */
static void nested_reset_returns_device_at_outermost_done(struct kunit *test)
{
	struct reset_env e;
	bool ok;

	make_reset_env(test, &e);
	KUNIT_ASSERT_EQ(test, reset_prepare(test, e.pdev), 0);
	KUNIT_ASSERT_EQ(test, reset_prepare(test, e.pdev), 0);
	ok = is_blocked(&e, e.dev) &&
	     iommu_mock_count(e.mock, IOMMU_MOCK_EV_ATTACH, e.dev, NULL) == 1;

	reset_done(test, e.pdev);
	ok = ok && is_blocked(&e, e.dev) &&
	     iommu_mock_count(e.mock, IOMMU_MOCK_EV_ATTACH, e.dev, NULL) == 1;

	reset_done(test, e.pdev);
	ok = ok && hw_domain(&e, e.dev) == e.def &&
	     iommu_mock_count(e.mock, IOMMU_MOCK_EV_ATTACH, e.dev, NULL) == 2;
	iommu_kunit_expect_gap(test, ok, GAP_RESET);
}

/*
 * A must-succeed move during the reset: the group's owner detaches its
 * domain, frees it and lets the group go.  The resetting device was never
 * on any of that; done() puts it on the domain of the group then, the
 * default domain, and never on the freed one (KASAN would see that).
 */
static void group_released_during_reset_returns_device_to_its_domain_then(struct kunit *test)
{
	struct iommu_domain *own;
	struct reset_env e;
	int owner, blocked_at;
	bool ok;

	make_reset_env(test, &e);
	KUNIT_ASSERT_EQ(test, iommu_mock_claim_group(test, e.group, &owner), 0);
	own = iommu_paging_domain_alloc(e.dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, own);
	if (iommu_attach_group(own, e.group)) {
		iommu_domain_free(own);
		KUNIT_FAIL_AND_ABORT(test, "iommu_attach_group");
	}
	iommu_mock_clear_log(e.mock);
	KUNIT_ASSERT_EQ(test, reset_prepare(test, e.pdev), 0);
	blocked_at = iommu_mock_find(e.mock, 0, IOMMU_MOCK_EV_ATTACH, e.dev,
				     &e.mock->blocked);

	iommu_detach_group(own, e.group);
	iommu_domain_free(own);
	iommu_mock_release_group(test, e.group);
	/* Still blocked for its reset, whatever the group did */
	ok = is_blocked(&e, e.dev);

	reset_done(test, e.pdev);
	ok = ok && blocked_at >= 0 &&
	     iommu_mock_find(e.mock, blocked_at, IOMMU_MOCK_EV_ATTACH, e.dev,
			     own) < 0 &&
	     hw_domain(&e, e.dev) == e.def &&
	     iommu_get_domain_for_dev(e.dev) == e.def;
	iommu_kunit_expect_gap(test, ok, GAP_RESET);
}

/* Registers an instance from a thread, its bus walk held at a gate */
struct walk_thread {
	struct iommu_mock *mock;
	struct completion done;
	int ret;
};

static int walk_thread_fn(void *data)
{
	struct walk_thread *walk = data;

	walk->ret = iommu_mock_register(walk->mock);
	complete(&walk->done);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static void walk_thread_stop(void *task)
{
	kthread_stop(task);
}

static void open_gate(void *mock)
{
	iommu_mock_gate_open(mock);
}

/*
 * The window in which a translated device has a group without a domain:
 * a bus walk has probed its group's members and not yet set up its default
 * domain (it sets up another group's first, held here at a gate).  A reset
 * that ends in that window has no domain to return the device to: the
 * device stays blocked, without a crash, until the set-up attaches it.
 */
static void reset_done_without_group_domain_leaves_device_blocked(struct kunit *test)
{
	const struct iommu_mock_dev_config first_cfg = { .group_key = 1 };
	const struct iommu_mock_dev_config second_cfg = { .group_key = 2 };
	struct iommu_mock_pci_dev *first, *second;
	struct walk_thread walk = {};
	struct task_struct *task;
	struct reset_env e = {};
	bool ok;
	int ret;

	e.mock = iommu_mock_add(test, &reset_cfg);
	/* Whose registration walks the bus; it has no device of its own */
	walk.mock = iommu_mock_add(test, NULL);
	iommu_mock_unregister(walk.mock);
	init_completion(&walk.done);

	/* On the bus with fwspecs naming e.mock, not probed yet */
	first = iommu_mock_pci_dev_add(test, e.mock, &first_cfg, false);
	second = iommu_mock_pci_dev_add(test, e.mock, &second_cfg, false);
	KUNIT_ASSERT_EQ(test, iommu_mock_set_fwspec(&first->pdev.dev,
						    &e.mock->fwnode), 0);
	KUNIT_ASSERT_EQ(test, iommu_mock_set_fwspec(&second->pdev.dev,
						    &e.mock->fwnode), 0);

	iommu_mock_gate_arm(e.mock, IOMMU_MOCK_GATE_RESV_REGIONS);
	task = kthread_run(walk_thread_fn, &walk, "iommu-kunit-walk");
	if (IS_ERR(task)) {
		iommu_mock_gate_open(e.mock);
		KUNIT_FAIL_AND_ABORT(test, "kthread_run: %ld", PTR_ERR(task));
	}
	/* Undone in reverse: the gate opens, then the thread is stopped */
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test,
							   walk_thread_stop,
							   task));
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, open_gate,
							   e.mock));
	KUNIT_ASSERT_TRUE_MSG(test, iommu_mock_gate_wait_entered(e.mock),
			      "the bus walk never set up a default domain");
	/* The first group is being set up; the second has no domain yet */
	KUNIT_ASSERT_NOT_NULL(test, second->pdev.dev.iommu_group);
	KUNIT_ASSERT_NULL(test, iommu_get_domain_for_dev(&second->pdev.dev));

	ret = reset_prepare(test, &second->pdev);
	reset_done(test, &second->pdev);
	ok = !ret && is_blocked(&e, &second->pdev.dev);

	iommu_mock_gate_open(e.mock);
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&walk.done,
							    10 * HZ));
	KUNIT_ASSERT_EQ(test, walk.ret, 0);
	/* The set-up attaches it like every other member */
	ok = ok && iommu_get_domain_for_dev(&second->pdev.dev) &&
	     hw_domain(&e, &second->pdev.dev) ==
	     iommu_get_domain_for_dev(&second->pdev.dev);
	iommu_kunit_expect_gap(test, ok, GAP_RESET);
}

/*
 * A device that has no group because its default domain could not be set
 * up: nothing to block, and nothing to undo.  (True of both cores, stubs
 * included: it guards the core's paths for such a device.)
 */
static void reset_of_device_without_group_changes_nothing(struct kunit *test)
{
	/* A DMA domain or nothing: no identity domain to fall back on */
	const struct iommu_mock_config cfg = {
		.blocked_domain = true,
		.def_domain_type = IOMMU_DOMAIN_DMA,
		.group_mode = IOMMU_MOCK_GROUP_BY_KEY,
	};
	struct iommu_mock_pci_dev *pmd;
	struct iommu_mock *mock;

	mock = iommu_mock_add(test, &cfg);
	mock->fail_domain_alloc = -ENOMEM;
	pmd = iommu_mock_pci_dev_add(test, mock, &reset_dev, false);
	KUNIT_ASSERT_NE(test, iommu_mock_dev_probe(&pmd->md), 0);
	KUNIT_ASSERT_NULL(test, pmd->pdev.dev.iommu_group);
	iommu_mock_clear_log(mock);

	KUNIT_EXPECT_EQ(test, reset_prepare(test, &pmd->pdev), 0);
	KUNIT_EXPECT_EQ(test, reset_prepare(test, &pmd->pdev), 0);
	reset_done(test, &pmd->pdev);
	reset_done(test, &pmd->pdev);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(mock, IOMMU_MOCK_EV_ATTACH, NULL,
					       NULL), 0);
}

static struct kunit_case iommu_reset_test_cases[] = {
	KUNIT_CASE(reset_blocks_device_and_keeps_group_domain),
	KUNIT_CASE(reset_done_returns_device_to_group_domain),
	KUNIT_CASE(reset_tears_pasids_down_and_keeps_their_handles),
	KUNIT_CASE(reset_done_sets_pasids_up_again),
	KUNIT_CASE(attach_device_during_reset_is_ebusy),
	KUNIT_CASE(attach_group_during_reset_is_ebusy),
	KUNIT_CASE(replace_during_reset_is_ebusy),
	KUNIT_CASE(pasid_attach_during_reset_is_ebusy),
	KUNIT_CASE(owner_claim_during_reset_is_ebusy),
	KUNIT_CASE(deferred_attach_during_reset_is_ebusy),
	KUNIT_CASE(nested_reset_returns_device_at_outermost_done),
	KUNIT_CASE(group_released_during_reset_returns_device_to_its_domain_then),
	KUNIT_CASE(reset_done_without_group_domain_leaves_device_blocked),
	KUNIT_CASE(reset_of_device_without_group_changes_nothing),
	{}
};

static struct kunit_suite iommu_reset_test_suite = {
	.name = "iommu_core_reset",
	.init = iommu_mock_test_init,
	.test_cases = iommu_reset_test_cases,
};

kunit_test_suites(&iommu_reset_test_suite);
