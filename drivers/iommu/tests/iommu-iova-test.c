// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IOVA allocator's contract, through include/linux/iova.h only, so
 * that the same cases hold for every implementation behind it: where
 * ranges land (limit, start, alignment, top-down), that reserved and
 * allocated ranges are never handed out twice, lookups, reuse after
 * free, exhaustion and recovery, the fast path's round trip, concurrent
 * use and teardown with live ranges.
 *
 * Fast-path cases that depend on what one CPU's cache holds run with
 * migration disabled, so that frees and allocations meet the same cache.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/iova.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/preempt.h>
#include <linux/prandom.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#define GRANULE		PAGE_SIZE

KUNIT_DEFINE_ACTION_WRAPPER(put_iova_domain_action, put_iova_domain,
			    struct iova_domain *);

static void iova_cache_put_action(void *unused)
{
	iova_cache_put();
}

static int iova_test_init(struct kunit *test)
{
	int ret = iova_cache_get();

	if (ret)
		return ret;
	/* Deferred actions run last-in first-out: after every domain's put */
	return kunit_add_action_or_reset(test, iova_cache_put_action, NULL);
}

/* An empty domain starting at @start_pfn, put when the case ends */
static struct iova_domain *make_domain(struct kunit *test,
				       unsigned long start_pfn, bool rcaches)
{
	struct iova_domain *iovad;

	iovad = kunit_kzalloc(test, sizeof(*iovad), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, iovad);
	init_iova_domain(iovad, GRANULE, start_pfn);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							put_iova_domain_action,
							iovad), 0);
	if (rcaches)
		KUNIT_ASSERT_EQ(test, iova_domain_init_rcaches(iovad), 0);
	return iovad;
}

/* Allocate single pfns below @limit until none is left; how many */
static unsigned long fill_space(struct iova_domain *iovad, unsigned long limit)
{
	unsigned long n = 0;

	while (n <= limit && alloc_iova(iovad, 1, limit, false))
		n++;
	return n;
}

/* Fill the space with single pfns; how many, and how many in [@lo, @hi] */
static unsigned long fill_and_count_in(struct iova_domain *iovad,
				       unsigned long limit, unsigned long lo,
				       unsigned long hi, unsigned long *inside)
{
	struct iova *iova;
	unsigned long n;

	*inside = 0;
	for (n = 0; n <= limit; n++) {
		iova = alloc_iova(iovad, 1, limit, false);
		if (!iova)
			break;
		if (iova->pfn_lo >= lo && iova->pfn_lo <= hi)
			(*inside)++;
	}
	return n;
}

/* Mark [@pfn, @pfn + @size) handed out; false if any of it already was */
static bool claim_range(unsigned long *map, unsigned long pfn,
			unsigned long size)
{
	bool was_free = find_next_bit(map, pfn + size, pfn) >= pfn + size;

	bitmap_set(map, pfn, size);
	return was_free;
}

static void alloc_iova_returns_range_of_requested_size(struct kunit *test)
{
	struct iova_domain *iovad = make_domain(test, 1, false);
	struct iova *iova = alloc_iova(iovad, 7, 1000, false);

	KUNIT_ASSERT_NOT_NULL(test, iova);
	KUNIT_EXPECT_EQ(test, iova_size(iova), 7);
	KUNIT_EXPECT_EQ(test, iova->pfn_hi, iova->pfn_lo + 6);
}

static void alloc_iova_size_aligned_starts_at_multiple_of_size(struct kunit *test)
{
	static const unsigned long sizes[] = { 1, 3, 5, 8, 100, 129 };
	struct iova_domain *iovad = make_domain(test, 1, false);
	unsigned long align;
	struct iova *iova;
	unsigned int i;

	/* leave the top of the space misaligned for everything after */
	KUNIT_ASSERT_NOT_NULL(test, alloc_iova(iovad, 3, 0xfffff, false));
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		iova = alloc_iova(iovad, sizes[i], 0xfffff, true);
		KUNIT_ASSERT_NOT_NULL_MSG(test, iova, "size %lu", sizes[i]);
		align = roundup_pow_of_two(sizes[i]);
		KUNIT_EXPECT_EQ_MSG(test, iova->pfn_lo % align, 0,
				    "size %lu", sizes[i]);
		KUNIT_EXPECT_EQ_MSG(test, iova_size(iova), sizes[i],
				    "size %lu", sizes[i]);
	}
}

static void alloc_iova_stays_below_limit_pfn(struct kunit *test)
{
	struct iova_domain *iovad = make_domain(test, 1, false);
	struct iova *high, *aligned, *low;

	high = alloc_iova(iovad, 7, 0x12345, false);
	aligned = alloc_iova(iovad, 8, 0x12345, true);
	low = alloc_iova(iovad, 5, 100, false);

	KUNIT_ASSERT_NOT_NULL(test, high);
	KUNIT_ASSERT_NOT_NULL(test, aligned);
	KUNIT_ASSERT_NOT_NULL(test, low);
	KUNIT_EXPECT_LE(test, high->pfn_hi, 0x12345);
	KUNIT_EXPECT_LE(test, aligned->pfn_hi, 0x12345);
	KUNIT_EXPECT_LE(test, low->pfn_hi, 100);
}

static void alloc_iova_allocates_top_down(struct kunit *test)
{
	struct iova_domain *iovad = make_domain(test, 1, false);
	struct iova *first, *second;

	first = alloc_iova(iovad, 10, 1000, false);
	second = alloc_iova(iovad, 10, 1000, false);

	KUNIT_ASSERT_NOT_NULL(test, first);
	KUNIT_ASSERT_NOT_NULL(test, second);
	KUNIT_EXPECT_EQ(test, first->pfn_hi, 1000);
	KUNIT_EXPECT_EQ(test, second->pfn_hi, first->pfn_lo - 1);
}

static void alloc_iova_stays_at_or_above_start_pfn(struct kunit *test)
{
	struct iova_domain *iovad = make_domain(test, 100, false);
	unsigned long n, below = 0;
	struct iova *iova;

	for (n = 0; n < 100; n++) {
		iova = alloc_iova(iovad, 10, 199, false);
		if (!iova)
			break;
		if (iova->pfn_lo < 100)
			below++;
	}
	KUNIT_EXPECT_EQ(test, below, 0);
	/* [100, 199] holds exactly ten ranges of ten */
	KUNIT_EXPECT_EQ(test, n, 10);
}

static void alloc_iova_fails_when_space_is_full(struct kunit *test)
{
	struct iova_domain *iovad = make_domain(test, 16, false);

	KUNIT_EXPECT_EQ(test, fill_space(iovad, 31), 16);
	KUNIT_EXPECT_NULL(test, alloc_iova(iovad, 1, 31, false));
}

static void free_iova_makes_range_available_again(struct kunit *test)
{
	struct iova_domain *iovad = make_domain(test, 1, false);
	struct iova *iova;

	KUNIT_ASSERT_EQ(test, fill_space(iovad, 32), 32);
	free_iova(iovad, 17);
	iova = alloc_iova(iovad, 1, 32, false);
	KUNIT_ASSERT_NOT_NULL(test, iova);
	KUNIT_EXPECT_EQ(test, iova->pfn_lo, 17);
}

static void free_by_struct_makes_range_available_again(struct kunit *test)
{
	struct iova_domain *iovad = make_domain(test, 1, false);
	struct iova *victim, *iova;

	KUNIT_ASSERT_EQ(test, fill_space(iovad, 32), 32);
	victim = find_iova(iovad, 9);
	KUNIT_ASSERT_NOT_NULL(test, victim);
	__free_iova(iovad, victim);
	iova = alloc_iova(iovad, 1, 32, false);
	KUNIT_ASSERT_NOT_NULL(test, iova);
	KUNIT_EXPECT_EQ(test, iova->pfn_lo, 9);
}

static void reserved_range_is_never_allocated(struct kunit *test)
{
	struct iova_domain *iovad = make_domain(test, 1, false);
	unsigned long inside;

	KUNIT_ASSERT_NOT_NULL(test, reserve_iova(iovad, 100, 149));
	/* everything but the 50 reserved pfns of [1, 256] is handed out */
	KUNIT_EXPECT_EQ(test, fill_and_count_in(iovad, 256, 100, 149, &inside),
			256 - 50);
	KUNIT_EXPECT_EQ(test, inside, 0);
}

static void overlapping_reservations_are_all_kept_free(struct kunit *test)
{
	struct iova_domain *iovad = make_domain(test, 1, false);
	unsigned long inside;

	KUNIT_ASSERT_NOT_NULL(test, reserve_iova(iovad, 40, 60));
	KUNIT_ASSERT_NOT_NULL(test, reserve_iova(iovad, 50, 80));
	KUNIT_ASSERT_NOT_NULL(test, reserve_iova(iovad, 45, 55));
	KUNIT_ASSERT_NOT_NULL(test, reserve_iova(iovad, 80, 80));
	KUNIT_ASSERT_NOT_NULL(test, reserve_iova(iovad, 30, 41));
	/* their union is [30, 80]: everything else of [1, 128] is handed out */
	KUNIT_EXPECT_EQ(test, fill_and_count_in(iovad, 128, 30, 80, &inside),
			128 - 51);
	KUNIT_EXPECT_EQ(test, inside, 0);
}

static void reserve_iova_returns_the_reserved_range(struct kunit *test)
{
	struct iova_domain *iovad = make_domain(test, 1, false);
	struct iova *iova = reserve_iova(iovad, 100, 149);

	KUNIT_ASSERT_NOT_NULL(test, iova);
	KUNIT_EXPECT_EQ(test, iova->pfn_lo, 100);
	KUNIT_EXPECT_EQ(test, iova->pfn_hi, 149);
}

static void find_iova_finds_range_from_any_pfn(struct kunit *test)
{
	struct iova_domain *iovad = make_domain(test, 1, false);
	struct iova *iova = alloc_iova(iovad, 10, 1000, false);

	KUNIT_ASSERT_NOT_NULL(test, iova);
	KUNIT_EXPECT_PTR_EQ(test, find_iova(iovad, iova->pfn_lo), iova);
	KUNIT_EXPECT_PTR_EQ(test, find_iova(iovad, iova->pfn_lo + 4), iova);
	KUNIT_EXPECT_PTR_EQ(test, find_iova(iovad, iova->pfn_hi), iova);
}

static void find_iova_misses_outside_ranges(struct kunit *test)
{
	struct iova_domain *iovad = make_domain(test, 1, false);
	struct iova *iova = alloc_iova(iovad, 10, 1000, false);

	KUNIT_ASSERT_NOT_NULL(test, iova);
	KUNIT_EXPECT_NULL(test, find_iova(iovad, iova->pfn_lo - 1));
	KUNIT_EXPECT_NULL(test, find_iova(iovad, iova->pfn_hi + 1));
}

/* A live range of the random cases, as its caller sees it */
struct live_range {
	unsigned long pfn;
	unsigned long size;
	struct iova *iova;	/* NULL for alloc_iova_fast() ranges */
};

static void mixed_allocations_never_overlap(struct kunit *test)
{
	const unsigned long limit = 4095, max_live = 64;
	struct iova_domain *iovad = make_domain(test, 1, true);
	unsigned long overlaps = 0, outside = 0, nlive = 0, i;
	struct live_range *live, *r;
	struct rnd_state rnd;
	unsigned long *map;

	map = kunit_kcalloc(test, BITS_TO_LONGS(limit + 1), sizeof(long),
			    GFP_KERNEL);
	live = kunit_kcalloc(test, max_live, sizeof(*live), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, map);
	KUNIT_ASSERT_NOT_NULL(test, live);
	prandom_seed_state(&rnd, 42);

	for (i = 0; i < 3000; i++) {
		u32 v = prandom_u32_state(&rnd);

		if (nlive == max_live || (nlive && v % 3 == 0)) {
			r = &live[(v >> 8) % nlive];
			bitmap_clear(map, r->pfn, r->size);
			if (r->iova)
				__free_iova(iovad, r->iova);
			else
				free_iova_fast(iovad, r->pfn, r->size);
			*r = live[--nlive];
			continue;
		}
		r = &live[nlive];
		r->size = 1 + (v >> 8) % 48;
		if (v & 0x10) {
			r->iova = NULL;
			r->pfn = alloc_iova_fast(iovad, r->size, limit, false);
		} else {
			r->iova = alloc_iova(iovad, r->size, limit, v & 0x20);
			r->pfn = r->iova ? r->iova->pfn_lo : 0;
		}
		if (!r->pfn)
			continue;
		if (r->pfn + r->size - 1 > limit) {
			outside++;
			continue;
		}
		if (!claim_range(map, r->pfn, r->size))
			overlaps++;
		nlive++;
	}
	KUNIT_EXPECT_EQ(test, overlaps, 0);
	KUNIT_EXPECT_EQ(test, outside, 0);
}

static void alloc_iova_fast_fails_when_space_is_full(struct kunit *test)
{
	struct iova_domain *iovad = make_domain(test, 1, true);
	unsigned long n, after_flush;

	migrate_disable();
	for (n = 0; n <= 64; n++)
		if (!alloc_iova_fast(iovad, 1, 64, false))
			break;
	after_flush = alloc_iova_fast(iovad, 1, 64, true);
	migrate_enable();

	KUNIT_EXPECT_EQ(test, n, 64);
	KUNIT_EXPECT_EQ(test, after_flush, 0);
}

static void alloc_iova_fast_flush_rcache_recovers_cached_ranges(struct kunit *test)
{
	struct iova_domain *iovad = make_domain(test, 1, true);
	unsigned long *pfns, n, pfn;

	pfns = kunit_kcalloc(test, 64, sizeof(*pfns), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pfns);

	/* the whole space ends up cached as single pfns, then asked for pairs */
	migrate_disable();
	for (n = 0; n < 64; n++) {
		pfns[n] = alloc_iova_fast(iovad, 1, 64, false);
		if (!pfns[n])
			break;
	}
	while (n)
		free_iova_fast(iovad, pfns[--n], 1);
	pfn = alloc_iova_fast(iovad, 2, 64, true);
	migrate_enable();

	KUNIT_ASSERT_NE(test, pfn, 0);
	KUNIT_EXPECT_EQ(test, pfn % 2, 0);
	KUNIT_EXPECT_LE(test, pfn + 1, 64);
}

static void alloc_iova_fast_skips_cached_ranges_above_limit(struct kunit *test)
{
	struct iova_domain *iovad = make_domain(test, 1, true);
	unsigned long high, low;

	migrate_disable();
	high = alloc_iova_fast(iovad, 16, 0xfffff, false);
	if (high)
		free_iova_fast(iovad, high, 16);
	low = alloc_iova_fast(iovad, 16, 0xffff, false);
	migrate_enable();

	KUNIT_ASSERT_GT(test, high, 0xffff);
	KUNIT_ASSERT_NE(test, low, 0);
	KUNIT_EXPECT_LE(test, low + 15, 0xffff);
}

static const unsigned long fast_sizes[] = { 1, 16, 33, 256, 512, 1024 };

static void fast_size_desc(const unsigned long *size, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%lu granules", *size);
}

KUNIT_ARRAY_PARAM(fast_size, fast_sizes, fast_size_desc);

/*
 * In a space that holds exactly one aligned range of the size, a fast
 * allocation takes it, a second finds nothing, and after the free the
 * range comes back.
 */
static void alloc_iova_fast_round_trip(struct kunit *test)
{
	const unsigned long size = *(const unsigned long *)test->param_value;
	const unsigned long base = roundup_pow_of_two(size);
	struct iova_domain *iovad = make_domain(test, base, true);
	const unsigned long limit = 2 * base - 1;
	unsigned long first, second, again;

	migrate_disable();
	first = alloc_iova_fast(iovad, size, limit, false);
	second = alloc_iova_fast(iovad, size, limit, false);
	if (first)
		free_iova_fast(iovad, first, size);
	again = alloc_iova_fast(iovad, size, limit, false);
	migrate_enable();

	KUNIT_EXPECT_EQ(test, first, base);
	KUNIT_EXPECT_EQ(test, second, 0);
	KUNIT_EXPECT_EQ(test, again, base);
}

/* Shared by the threads of concurrent_allocations_never_overlap */
struct stress_ctx {
	struct iova_domain *iovad;
	unsigned long limit;
	unsigned long *map;
	spinlock_t lock;	/* guards @map */
	atomic_t overlaps;
	atomic_t outside;
	atomic_t failures;
};

struct stress_thread {
	struct stress_ctx *ctx;
	u32 seed;
};

#define STRESS_OPS	2000
#define STRESS_LIVE	16

static void stress_free(struct stress_ctx *ctx, struct live_range *r)
{
	spin_lock(&ctx->lock);
	bitmap_clear(ctx->map, r->pfn, r->size);
	spin_unlock(&ctx->lock);
	if (r->iova)
		__free_iova(ctx->iovad, r->iova);
	else
		free_iova_fast(ctx->iovad, r->pfn, r->size);
}

static bool stress_alloc(struct stress_ctx *ctx, struct live_range *r, u32 v)
{
	bool claimed;

	/* mostly cacheable sizes, sometimes one beyond every cache */
	r->size = v % 16 ? 1 + (v >> 4) % 64 : 513 + (v >> 4) % 100;
	if (v & 0x4000) {
		r->iova = alloc_iova(ctx->iovad, r->size, ctx->limit,
				     v & 0x8000);
		r->pfn = r->iova ? r->iova->pfn_lo : 0;
	} else {
		r->iova = NULL;
		r->pfn = alloc_iova_fast(ctx->iovad, r->size, ctx->limit,
					 true);
	}
	if (!r->pfn) {
		atomic_inc(&ctx->failures);
		return false;
	}
	if (r->pfn + r->size - 1 > ctx->limit) {
		atomic_inc(&ctx->outside);
		return false;
	}
	spin_lock(&ctx->lock);
	claimed = claim_range(ctx->map, r->pfn, r->size);
	spin_unlock(&ctx->lock);
	if (!claimed)
		atomic_inc(&ctx->overlaps);
	return true;
}

static int stress_fn(void *data)
{
	struct stress_thread *t = data;
	struct live_range live[STRESS_LIVE];
	unsigned int nlive = 0, i;
	struct rnd_state rnd;

	prandom_seed_state(&rnd, t->seed);
	for (i = 0; i < STRESS_OPS; i++) {
		u32 v = prandom_u32_state(&rnd);

		if (nlive == STRESS_LIVE || (nlive && v & 1)) {
			struct live_range *r = &live[(v >> 24) % nlive];

			stress_free(t->ctx, r);
			*r = live[--nlive];
		} else if (stress_alloc(t->ctx, &live[nlive], v >> 1)) {
			nlive++;
		}
	}
	while (nlive)
		stress_free(t->ctx, &live[--nlive]);
	return 0;
}

static void concurrent_allocations_never_overlap(struct kunit *test)
{
	struct stress_thread threads[2];
	struct task_struct *tasks[2];
	struct stress_ctx *ctx;
	unsigned int i;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->iovad = make_domain(test, 1, true);
	/* far more space than both threads and every cache can hold */
	ctx->limit = (1UL << 20) - 1;
	ctx->map = kunit_kcalloc(test, BITS_TO_LONGS(ctx->limit + 1),
				 sizeof(long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->map);
	spin_lock_init(&ctx->lock);

	for (i = 0; i < ARRAY_SIZE(tasks); i++) {
		threads[i].ctx = ctx;
		threads[i].seed = 1000 + i;
		tasks[i] = kthread_create(stress_fn, &threads[i], "iova-test/%u",
					  i);
		if (IS_ERR(tasks[i]))
			break;
		/* kthread_stop_put() below may come after the thread exits */
		get_task_struct(tasks[i]);
		wake_up_process(tasks[i]);
	}
	KUNIT_EXPECT_EQ(test, i, ARRAY_SIZE(tasks));
	while (i--)
		kthread_stop_put(tasks[i]);

	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->overlaps), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->outside), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->failures), 0);
}

/*
 * put_iova_domain() with allocated, reserved and cached ranges frees
 * them all (KASAN and kmemleak watch the memory); the same struct then
 * lays out a fresh space that is entirely free.
 */
static void put_iova_domain_frees_live_ranges(struct kunit *test)
{
	struct iova_domain *iovad = make_domain(test, 1, true);
	unsigned long i, pfn;
	struct iova *whole;

	for (i = 0; i < 100; i++)
		KUNIT_ASSERT_NOT_NULL(test, alloc_iova(iovad, 1 + i % 7,
						       0xfffff, i & 1));
	KUNIT_ASSERT_NOT_NULL(test, reserve_iova(iovad, 0x100, 0x1ff));
	KUNIT_ASSERT_NOT_NULL(test, reserve_iova(iovad, 0x180, 0x2ff));
	for (i = 0; i < 200; i++) {
		pfn = alloc_iova_fast(iovad, 1 + i % 40, 0xfffff, false);
		KUNIT_ASSERT_NE(test, pfn, 0);
		if (i & 1)
			free_iova_fast(iovad, pfn, 1 + i % 40);
	}

	put_iova_domain(iovad);
	init_iova_domain(iovad, GRANULE, 1);
	whole = alloc_iova(iovad, 0xfffff, 0xfffff, false);
	KUNIT_ASSERT_NOT_NULL(test, whole);
	KUNIT_EXPECT_EQ(test, whole->pfn_lo, 1);
}

static struct kunit_case iommu_iova_test_cases[] = {
	KUNIT_CASE(alloc_iova_returns_range_of_requested_size),
	KUNIT_CASE(alloc_iova_size_aligned_starts_at_multiple_of_size),
	KUNIT_CASE(alloc_iova_stays_below_limit_pfn),
	KUNIT_CASE(alloc_iova_allocates_top_down),
	KUNIT_CASE(alloc_iova_stays_at_or_above_start_pfn),
	KUNIT_CASE(alloc_iova_fails_when_space_is_full),
	KUNIT_CASE(free_iova_makes_range_available_again),
	KUNIT_CASE(free_by_struct_makes_range_available_again),
	KUNIT_CASE(reserved_range_is_never_allocated),
	KUNIT_CASE(overlapping_reservations_are_all_kept_free),
	KUNIT_CASE(reserve_iova_returns_the_reserved_range),
	KUNIT_CASE(find_iova_finds_range_from_any_pfn),
	KUNIT_CASE(find_iova_misses_outside_ranges),
	KUNIT_CASE(mixed_allocations_never_overlap),
	KUNIT_CASE(alloc_iova_fast_fails_when_space_is_full),
	KUNIT_CASE(alloc_iova_fast_flush_rcache_recovers_cached_ranges),
	KUNIT_CASE(alloc_iova_fast_skips_cached_ranges_above_limit),
	KUNIT_CASE_PARAM(alloc_iova_fast_round_trip, fast_size_gen_params),
	KUNIT_CASE(concurrent_allocations_never_overlap),
	KUNIT_CASE(put_iova_domain_frees_live_ranges),
	{}
};

static struct kunit_suite iommu_iova_test_suite = {
	.name = "iommu-iova",
	.init = iova_test_init,
	.test_cases = iommu_iova_test_cases,
};

kunit_test_suites(&iommu_iova_test_suite);
