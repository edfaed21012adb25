// SPDX-License-Identifier: GPL-2.0-only
/*
 * Storms: core operations that users run concurrently, hammered from
 * kthreads for a bounded time, with lockdep and the sleep-in-atomic checks
 * of the test kernel watching.  Each storm states what no interleaving may
 * ever show, checks it from inside the racing threads, and checks at the
 * end that the group is back where it started.
 *
 * Two threads tell whether they held something at the same time the way
 * Dekker's algorithm does: each one raises its own flag once the core said
 * yes, issues a full barrier, and reads the other's flag; it lowers its
 * flag before it lets go.  If two such windows ever overlapped, at least
 * one of the two threads sees the other's flag.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/iommu-dma.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "iommu-test-mock.h"

/* How long each storm runs, and how often the main thread looks in */
#define STORM_MS		300
#define STORM_TICK_MS		2
/*
 * Fewer successful rounds than this per thread means nothing raced.  Low,
 * because a thread that sleeps a tick per round gets few of them on a busy
 * host; the storms that do not sleep get thousands.
 */
#define STORM_MIN_ROUNDS	5

/* Strict DMA default domains, so that an unmap leaves nothing mapped */
static const struct iommu_mock_config storm_cfg = {
	.identity_domain = true,
	.blocked_domain = true,
	.def_domain_type = IOMMU_DOMAIN_DMA,
	.group_mode = IOMMU_MOCK_GROUP_BY_KEY,
};

/* The same without a driver preference, so that sysfs may change the type */
static const struct iommu_mock_config storm_any_type_cfg = {
	.identity_domain = true,
	.blocked_domain = true,
	.group_mode = IOMMU_MOCK_GROUP_BY_KEY,
};

struct storm;

/* One racing thread: @fn runs one round and says whether it succeeded */
struct storm_thread {
	struct storm *s;
	const char *name;
	bool (*fn)(struct storm_thread *t);
	/* The device it works on */
	struct device *dev;
	struct task_struct *task;
	unsigned int rounds;
	unsigned int refused;
	/* Per-thread scratch, see the storms */
	void *buf;
};

#define STORM_MAX_THREADS	3

struct storm {
	struct kunit *test;
	struct iommu_mock *mock;
	struct iommu_mock_dev *a, *b;
	struct device *dev;
	struct iommu_group *group;
	struct iommu_domain *def;
	struct iommu_domain *paging;
	char type_path[64];
	/* The Dekker flags of the storms that need them */
	atomic_t owned;
	atomic_t users;
	/* The first thing a thread saw that must never happen */
	spinlock_t lock;
	char violation[160];
	struct storm_thread threads[STORM_MAX_THREADS];
	unsigned int nr_threads;
};

static __printf(2, 3) void storm_violation(struct storm *s, const char *fmt, ...)
{
	va_list args;

	spin_lock(&s->lock);
	if (!s->violation[0]) {
		va_start(args, fmt);
		vscnprintf(s->violation, sizeof(s->violation), fmt, args);
		va_end(args);
	}
	spin_unlock(&s->lock);
}

static bool storm_violated(struct storm *s)
{
	bool seen;

	spin_lock(&s->lock);
	seen = s->violation[0];
	spin_unlock(&s->lock);
	return seen;
}

/* A group of one device, set up for the DMA API, of a mock of @cfg */
static struct storm *storm_make(struct kunit *test,
				const struct iommu_mock_config *cfg)
{
	struct device_dma_parameters *parms;
	struct storm *s;

	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	s->test = test;
	spin_lock_init(&s->lock);
	/* Allocated before the device, so freed after its removal */
	parms = kunit_kzalloc(test, sizeof(*parms), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, parms);

	s->mock = iommu_mock_add(test, cfg);
	s->a = iommu_mock_dev_add(test, s->mock, NULL);
	s->dev = &s->a->dev;
	s->dev->dma_parms = parms;
	KUNIT_ASSERT_EQ(test, dma_coerce_mask_and_coherent(s->dev,
							   DMA_BIT_MASK(32)), 0);
	s->group = iommu_mock_group(test, s->dev);
	KUNIT_ASSERT_NOT_NULL(test, s->group);
	s->def = iommu_get_domain_for_dev(s->dev);
	KUNIT_ASSERT_NOT_NULL(test, s->def);
	snprintf(s->type_path, sizeof(s->type_path),
		 "kernel/iommu_groups/%d/type", iommu_group_id(s->group));
	return s;
}

static void storm_add_member(struct storm *s)
{
	s->b = iommu_mock_dev_add(s->test, s->mock, NULL);
	KUNIT_ASSERT_PTR_EQ(s->test, s->b->dev.iommu_group, s->group);
}

static void storm_add_thread(struct storm *s, const char *name,
			     bool (*fn)(struct storm_thread *t),
			     struct device *dev)
{
	struct storm_thread *t;

	KUNIT_ASSERT_LT(s->test, s->nr_threads, STORM_MAX_THREADS);
	t = &s->threads[s->nr_threads++];
	t->s = s;
	t->name = name;
	t->fn = fn;
	t->dev = dev;
	t->buf = kunit_kzalloc(s->test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(s->test, t->buf);
}

static int storm_thread_fn(void *data)
{
	struct storm_thread *t = data;

	while (!kthread_should_stop()) {
		if (t->fn(t))
			t->rounds++;
		else
			t->refused++;
		cond_resched();
	}
	return 0;
}

/*
 * Run the threads for STORM_MS, emptying the mock's call log meanwhile
 * (a storm makes far more calls than it holds), then stop them.  Each
 * thread lets go of whatever it held before its round returns, so the
 * group is quiet once every thread stopped.
 */
static void storm_run(struct storm *s)
{
	unsigned long end = jiffies + msecs_to_jiffies(STORM_MS);
	struct kunit *test = s->test;
	unsigned int i, started;

	for (started = 0; started < s->nr_threads; started++) {
		struct storm_thread *t = &s->threads[started];

		t->task = kthread_run(storm_thread_fn, t, "iommu-storm-%s",
				      t->name);
		if (IS_ERR(t->task))
			break;
	}
	while (started == s->nr_threads && time_before(jiffies, end) &&
	       !storm_violated(s)) {
		iommu_mock_clear_log(s->mock);
		msleep(STORM_TICK_MS);
	}
	for (i = 0; i < started; i++)
		kthread_stop(s->threads[i].task);
	iommu_mock_clear_log(s->mock);
	KUNIT_ASSERT_EQ_MSG(test, started, s->nr_threads,
			    "could not start the storm's threads");

	for (i = 0; i < s->nr_threads; i++) {
		struct storm_thread *t = &s->threads[i];

		kunit_info(test, "%s: %u rounds, %u refused\n", t->name,
			   t->rounds, t->refused);
	}
	KUNIT_EXPECT_STREQ(test, s->violation, "");
	for (i = 0; i < s->nr_threads; i++)
		KUNIT_EXPECT_GE_MSG(test, s->threads[i].rounds, STORM_MIN_ROUNDS,
				    "%s hardly ever got through",
				    s->threads[i].name);
}

/* Raise @mine, then tell whether @theirs is up: see the top of the file */
static bool storm_enter(atomic_t *mine, atomic_t *theirs)
{
	atomic_inc(mine);
	/* Orders our raise before the read of theirs: pairs with their own */
	smp_mb__after_atomic();
	return atomic_read(theirs);
}

static void storm_leave(atomic_t *mine)
{
	/* What we checked inside the window happened before we lower it */
	smp_mb__before_atomic();
	atomic_dec(mine);
}

/* ---- DMA ownership: a private owner against kernel DMA API users ---- */

static int storm_owner_cookie;

static bool claim_round(struct storm_thread *t)
{
	struct storm *s = t->s;
	struct iommu_domain *seen;
	int ret;

	ret = iommu_group_claim_dma_owner(s->group, &storm_owner_cookie);
	if (ret) {
		/* A DMA API user holds the group (upstream says -EBUSY too) */
		if (ret != -EPERM && ret != -EBUSY)
			storm_violation(s, "claim failed with %d", ret);
		return false;
	}
	if (storm_enter(&s->owned, &s->users))
		storm_violation(s, "claimed while a DMA API user held the group");
	seen = iommu_get_domain_for_dev(s->dev);
	if (seen == s->def)
		storm_violation(s, "an owner's group is on the default domain");
	storm_leave(&s->owned);
	iommu_group_release_dma_owner(s->group);
	return true;
}

static bool use_round(struct storm_thread *t)
{
	struct storm *s = t->s;
	struct device *dev = t->dev;
	int ret;

	ret = iommu_device_use_default_domain(dev);
	if (ret) {
		if (ret != -EBUSY)
			storm_violation(s, "use failed with %d", ret);
		return false;
	}
	if (storm_enter(&s->users, &s->owned))
		storm_violation(s, "a DMA API user got in while the group was owned");
	if (iommu_get_domain_for_dev(dev) != s->def)
		storm_violation(s, "a DMA API user's group is off its default domain");
	storm_leave(&s->users);
	iommu_device_unuse_default_domain(dev);
	return true;
}

static void claim_and_use_never_hold_a_group_together(struct kunit *test)
{
	struct storm *s = storm_make(test, &storm_cfg);
	int ret;

	storm_add_member(s);
	storm_add_thread(s, "claim", claim_round, s->dev);
	storm_add_thread(s, "use-a", use_round, s->dev);
	storm_add_thread(s, "use-b", use_round, &s->b->dev);
	storm_run(s);

	/* Nobody holds the group: an owner gets it, then gives it back */
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(s->dev), s->def);
	KUNIT_EXPECT_FALSE(test, iommu_group_dma_owner_claimed(s->group));
	ret = iommu_group_claim_dma_owner(s->group, &storm_owner_cookie);
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (!ret)
		iommu_group_release_dma_owner(s->group);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&s->b->dev), s->def);
}

/* ---- A driver's own domain against lookups and the DMA API ---- */

static bool attach_round(struct storm_thread *t)
{
	struct storm *s = t->s;
	int ret;

	ret = iommu_attach_device(s->paging, s->dev);
	if (ret) {
		storm_violation(s, "attach failed with %d", ret);
		return false;
	}
	iommu_detach_device(s->paging, s->dev);
	return true;
}

static bool lookup_round(struct storm_thread *t)
{
	struct storm *s = t->s;
	struct iommu_domain *seen = iommu_get_domain_for_dev(s->dev);

	if (seen != s->def && seen != s->paging)
		storm_violation(s, "the device showed a domain it was never given: %p",
				seen);
	return true;
}

/* The DMA API keeps mapping into the default domain whatever is attached */
static bool dma_round(struct storm_thread *t)
{
	struct storm *s = t->s;
	dma_addr_t handle;

	handle = dma_map_single(s->dev, t->buf, PAGE_SIZE, DMA_TO_DEVICE);
	if (dma_mapping_error(s->dev, handle)) {
		storm_violation(s, "a DMA API mapping failed");
		return false;
	}
	if (iommu_iova_to_phys(s->def, handle) != virt_to_phys(t->buf))
		storm_violation(s, "a DMA API mapping is not in the default domain");
	dma_unmap_single(s->dev, handle, PAGE_SIZE, DMA_TO_DEVICE);
	return true;
}

static void attach_detach_show_only_whole_domains(struct kunit *test)
{
	struct storm *s = storm_make(test, &storm_cfg);

	s->paging = iommu_mock_paging_domain(test, s->dev);
	storm_add_thread(s, "attach", attach_round, s->dev);
	storm_add_thread(s, "lookup", lookup_round, s->dev);
	if (use_dma_iommu(s->dev))
		storm_add_thread(s, "dma", dma_round, s->dev);
	storm_run(s);

	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(s->dev), s->def);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(s->def), 0);
	KUNIT_EXPECT_EQ(test, iommu_mock_mapped_bytes(s->paging), 0);
}

/* ---- sysfs "type" against drivers binding ---- */

static bool type_round(struct storm_thread *t)
{
	struct storm *s = t->s;
	const char *type = t->rounds & 1 ? "DMA" : "identity";
	ssize_t ret;

	ret = iommu_mock_sysfs_write(s->type_path, type);
	if (ret >= 0)
		return true;
	/* A bound driver keeps its default domain */
	if (ret != -EPERM && ret != -EBUSY)
		storm_violation(s, "writing %s failed with %zd", type, ret);
	return false;
}

static bool bind_round(struct storm_thread *t)
{
	struct storm *s = t->s;
	struct iommu_domain *before, *after;
	int ret;

	ret = iommu_device_use_default_domain(s->dev);
	if (ret) {
		storm_violation(s, "use failed with %d", ret);
		return false;
	}
	before = iommu_get_domain_for_dev(s->dev);
	usleep_range(20, 40);
	after = iommu_get_domain_for_dev(s->dev);
	if (before != after)
		storm_violation(s, "the default domain changed under a bound driver");
	if (before != iommu_get_dma_domain(s->dev))
		storm_violation(s, "a bound driver's group is off its default domain");
	iommu_device_unuse_default_domain(s->dev);
	/* As long unbound as bound, so that type changes get their turn */
	usleep_range(20, 40);
	return true;
}

static void type_change_never_replaces_a_domain_in_use(struct kunit *test)
{
	struct storm *s = storm_make(test, &storm_any_type_cfg);
	char buf[32] = "";

	storm_add_thread(s, "type", type_round, s->dev);
	storm_add_thread(s, "bind", bind_round, s->dev);
	storm_run(s);

	/* The group settles on a default domain of a type it was given */
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(s->dev),
			    iommu_get_dma_domain(s->dev));
	KUNIT_EXPECT_GT(test, iommu_mock_sysfs_read(s->type_path, buf,
						    sizeof(buf) - 1), 0);
	KUNIT_EXPECT_TRUE_MSG(test, !strcmp(buf, "DMA\n") ||
			      !strcmp(buf, "identity\n"), "type is %s", buf);
}

static struct kunit_case iommu_race_cases[] = {
	KUNIT_CASE_SLOW(claim_and_use_never_hold_a_group_together),
	KUNIT_CASE_SLOW(attach_detach_show_only_whole_domains),
	KUNIT_CASE_SLOW(type_change_never_replaces_a_domain_in_use),
	{}
};

static struct kunit_suite iommu_race_suite = {
	.name = "iommu-race",
	.init = iommu_mock_test_init,
	.test_cases = iommu_race_cases,
};

kunit_test_suites(&iommu_race_suite);
