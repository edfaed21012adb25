// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IOVA allocator behind include/linux/iova.h.
 *
 * An IOVA domain is a space of pfns, in units of the domain's granule.
 * Every range handed out or reserved is a node of an rbtree sorted by
 * address and augmented with the largest free gap in each subtree, so the
 * highest free range that fits below a limit is found in O(log n) steps.
 *
 * In front of the tree sit per-CPU caches of size-aligned power-of-two
 * ranges of 1 to 512 granules, for alloc_iova_fast() and free_iova_fast():
 * in the steady state a get or a put runs with interrupts off on its own
 * CPU and takes no lock and no atomic instruction.  Full magazines of
 * cached pfns move between CPUs through a small per-domain depot; what
 * the depot has no room for goes back to the tree.
 */
#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/iova.h>
#include <linux/local_lock.h>
#include <linux/lockdep.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rbtree_augmented.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "dma.h"

/*
 * Sizes the caches hold: orders 0 to IOVA_CACHE_ORDERS - 1, that is 1 to
 * 512 granules (2 MiB with 4 KiB granules), so that every streaming map
 * up to a 2 MiB huge page stays off the tree lock.
 */
#define IOVA_CACHE_ORDERS	10
#define IOVA_CACHE_MAX_SIZE	(1UL << (IOVA_CACHE_ORDERS - 1))

/*
 * Pfns per magazine: with its count and its depot link a magazine is 64
 * words, one 512-byte kmalloc object on 64-bit.  A CPU holds two per
 * order, so bursts of up to 124 maps of one size before the matching
 * unmaps never leave the CPU.
 */
#define IOVA_MAG_SIZE		62

/*
 * Full magazines the depot keeps per order.  The depot only has to carry
 * the surplus of CPUs that free more than they allocate (completions
 * handled on another CPU than submissions) over to the CPUs that
 * allocate, one magazine per exchange; a deeper depot would only keep
 * IOVA space and memory away from the tree.
 */
#define IOVA_DEPOT_MAX		4

/*
 * A range in the tree.  Callers see @iova only; the rest is ours, under
 * iova_domain::iova_rbtree_lock while the node is in the tree.
 * @iova: the range; @iova.node links it into iova_domain::rbroot.  An
 *        allocation's range never changes; a reservation may grow while
 *        it absorbs overlapping reservations (reserve_iova())
 * @gap: the free pfns right below @iova.pfn_lo, down to the previous
 *       node's pfn_hi (or to pfn 0 for the first node).  The free pfns
 *       above the last node belong to no node
 * @subtree_gap: the largest @gap in the subtree rooted at this node, kept
 *               by iova_gap_callbacks
 * @pool_next: while the node is not in the tree, reserve_iova() chains
 *             its spare nodes through it
 * @reserved: made by reserve_iova(), never handed out
 */
struct iova_node {
	struct iova iova;
	union {
		struct {
			unsigned long gap;
			unsigned long subtree_gap;
		};
		struct iova_node *pool_next;
	};
	bool reserved;
};

/*
 * Magazines of one order on one CPU.  @loaded is where gets and puts go;
 * @spare is swapped in when @loaded runs empty (get) or full (put).  Both
 * always exist while the domain has caches.
 */
struct iova_mag_pair {
	struct iova_magazine *loaded;
	struct iova_magazine *spare;
};

/*
 * A stack of @size pfns of one order; each is the start of a range that
 * is allocated in the tree and free for the CPU holding the magazine to
 * hand out.  @next links full magazines in the depot.
 */
struct iova_magazine {
	unsigned long size;
	struct iova_magazine *next;
	unsigned long pfns[IOVA_MAG_SIZE];
};

/* One CPU's caches; @lock is this CPU's, see struct iova_rcache */
struct iova_cpu_cache {
	local_lock_t lock;
	struct iova_mag_pair mags[IOVA_CACHE_ORDERS];
};

/*
 * Full magazines of one order that any CPU may take, a stack of @count
 * linked from @head, both under @lock.  @count is also read without the
 * lock as a hint: a stale value costs one needless lock round trip or one
 * missed exchange, never a wrong result.
 */
struct iova_depot {
	spinlock_t lock;	/* guards @count and @head */
	unsigned int count;
	struct iova_magazine *head;
};

/*
 * struct iova_rcache - the caches of one domain (iova_domain::rcaches)
 * @cpu: each CPU's magazines
 * @depot: per order, full magazines between CPUs
 * @drain_work: runs iova_domain_drain_caches() after alloc_iova_fast()
 *              found the space exhausted even after draining its own CPU
 * @iovad: the domain, for @drain_work
 *
 * Ownership, which is the whole locking and memory-ordering argument of
 * the caches: a CPU's magazines belong to that CPU.  Only code running on
 * it, holding its @cpu->lock (local_lock_irqsave(): interrupts off on
 * that CPU, nothing else), reads or writes them or the pfns in them.  So
 * a get or a put needs no lock shared with anyone and no atomic
 * instruction.  There are three exceptions, and each excludes the owner:
 *  - iova_domain_drain_caches() does not reach into other CPUs: it makes
 *    each online CPU drain itself with on_each_cpu(), under that CPU's
 *    lock like any other user, with CPU hotplug held off;
 *  - the CPU-hotplug dead callback drains a CPU that no longer runs; the
 *    hotplug core orders the dead CPU's last accesses before the callback;
 *  - put_iova_domain() frees them when nothing uses the domain any more,
 *    after removing the hotplug instance and cancelling @drain_work.
 * A magazine changes hands only through @depot, whose spinlock orders the
 * giving CPU's writes to it before the taking CPU's reads.
 *
 * Lock order: a CPU's @cpu->lock, then either a depot lock or the tree
 * lock; those two never nest.
 */
struct iova_rcache {
	struct iova_cpu_cache __percpu *cpu;
	struct iova_depot depot[IOVA_CACHE_ORDERS];
	struct work_struct drain_work;
	struct iova_domain *iovad;
};

/* Nodes of every domain; created by the first iova_cache_get() */
static struct kmem_cache *iova_cache;
static unsigned int iova_cache_users;
static DEFINE_MUTEX(iova_cache_mutex);

static inline struct iova_node *to_iova_node(struct rb_node *rb)
{
	return rb_entry(rb, struct iova_node, iova.node);
}

static inline unsigned long iova_node_gap(struct iova_node *n)
{
	return n->gap;
}

RB_DECLARE_CALLBACKS_MAX(static, iova_gap_callbacks, struct iova_node,
			 iova.node, unsigned long, subtree_gap, iova_node_gap);

/*
 * Nodes are allocated where callers may be atomic (alloc_iova_fast() runs
 * in interrupt context); a failure is reported to the caller, not logged.
 */
static struct iova_node *iova_node_alloc(void)
{
	return kmem_cache_alloc(iova_cache, GFP_ATOMIC | __GFP_NOWARN);
}

static void iova_node_free(struct iova_node *n)
{
	kmem_cache_free(iova_cache, n);
}

/* The node with the lowest pfn_hi >= @pfn, or NULL */
static struct rb_node *iova_tree_ceil(struct iova_domain *iovad,
				      unsigned long pfn)
{
	struct rb_node *rb = iovad->rbroot.rb_node, *found = NULL;

	lockdep_assert_held(&iovad->iova_rbtree_lock);
	while (rb) {
		if (to_iova_node(rb)->iova.pfn_hi >= pfn) {
			found = rb;
			rb = rb->rb_left;
		} else {
			rb = rb->rb_right;
		}
	}
	return found;
}

/* The node whose range holds @pfn, or NULL */
static struct iova_node *iova_tree_lookup(struct iova_domain *iovad,
					  unsigned long pfn)
{
	struct rb_node *rb = iova_tree_ceil(iovad, pfn);

	if (rb && to_iova_node(rb)->iova.pfn_lo <= pfn)
		return to_iova_node(rb);
	return NULL;
}

/* Insert @new, whose range is free, and account for the gaps it splits */
static void iova_tree_insert(struct iova_domain *iovad, struct iova_node *new)
{
	struct rb_node **link = &iovad->rbroot.rb_node, *parent = NULL;
	struct iova_node *prev = NULL, *next = NULL, *n;

	lockdep_assert_held(&iovad->iova_rbtree_lock);
	while (*link) {
		parent = *link;
		n = to_iova_node(parent);
		if (new->iova.pfn_lo < n->iova.pfn_lo) {
			next = n;
			link = &parent->rb_left;
		} else {
			prev = n;
			link = &parent->rb_right;
		}
	}
	new->gap = new->iova.pfn_lo - (prev ? prev->iova.pfn_hi + 1 : 0);
	new->subtree_gap = new->gap;
	rb_link_node(&new->iova.node, parent, link);

	/*
	 * The new leaf took the low part of @next's gap and itself.  Every
	 * change is propagated on its own path while the rest of the tree
	 * is consistent: first the leaf's gap, then @next's smaller one;
	 * the rebalancing then keeps the values through its rotations.
	 */
	if (parent)
		iova_gap_callbacks_propagate(parent, NULL);
	if (next) {
		next->gap = next->iova.pfn_lo - new->iova.pfn_hi - 1;
		iova_gap_callbacks_propagate(&next->iova.node, NULL);
	}
	rb_insert_augmented(&new->iova.node, &iovad->rbroot,
			    &iova_gap_callbacks);
}

static void iova_tree_erase(struct iova_domain *iovad, struct iova_node *n)
{
	struct rb_node *next = rb_next(&n->iova.node);
	struct iova_node *succ;

	lockdep_assert_held(&iovad->iova_rbtree_lock);
	rb_erase_augmented(&n->iova.node, &iovad->rbroot, &iova_gap_callbacks);
	if (next) {
		/* @n's range and the gap below it join its successor's gap */
		succ = to_iova_node(next);
		succ->gap += n->gap + iova_size(&n->iova);
		iova_gap_callbacks_propagate(next, NULL);
	}
}

/* What a search looks for: @size pfns within [@lo, @hi], aligned */
struct iova_fit {
	unsigned long size;
	unsigned long align_mask;
	unsigned long lo;
	unsigned long hi;
};

static bool iova_fit_init(struct iova_fit *fit, unsigned long size,
			  unsigned long lo, unsigned long hi, bool size_aligned)
{
	if (!size || lo > hi || size - 1 > hi - lo)
		return false;
	/* roundup_pow_of_two() is defined up to the top bit only */
	if (size_aligned && size > 1UL << (BITS_PER_LONG - 1))
		return false;
	fit->size = size;
	fit->align_mask = size_aligned ? roundup_pow_of_two(size) - 1 : 0;
	fit->lo = lo;
	fit->hi = hi;
	return true;
}

/*
 * The highest start of an aligned range for @fit within the free pfns
 * [@start, @end].  Written so that no step can wrap: every subtraction
 * is of a smaller or equal value.
 */
static bool iova_gap_fit(const struct iova_fit *fit, unsigned long start,
			 unsigned long end, unsigned long *pfn)
{
	unsigned long lo = max(start, fit->lo);
	unsigned long hi = min(end, fit->hi);
	unsigned long first;

	if (lo > hi || hi - lo < fit->size - 1)
		return false;
	first = (hi - (fit->size - 1)) & ~fit->align_mask;
	if (first < lo)
		return false;
	*pfn = first;
	return true;
}

static bool iova_node_gap_fit(struct iova_node *n, const struct iova_fit *fit,
			      unsigned long *pfn)
{
	if (n->gap < fit->size)
		return false;
	return iova_gap_fit(fit, n->iova.pfn_lo - n->gap, n->iova.pfn_lo - 1,
			    pfn);
}

static bool iova_subtree_may_fit(struct rb_node *rb,
				 const struct iova_fit *fit)
{
	return rb && to_iova_node(rb)->subtree_gap >= fit->size;
}

/* The gaps of @rb's right subtree lie above @rb's range */
static bool iova_may_descend_right(struct rb_node *rb,
				   const struct iova_fit *fit)
{
	return to_iova_node(rb)->iova.pfn_hi < fit->hi &&
	       iova_subtree_may_fit(rb->rb_right, fit);
}

/* The gaps of @rb's left subtree lie below @rb's range */
static bool iova_may_descend_left(struct rb_node *rb,
				  const struct iova_fit *fit)
{
	return to_iova_node(rb)->iova.pfn_lo > fit->lo &&
	       iova_subtree_may_fit(rb->rb_left, fit);
}

/*
 * Visit the gaps of the tree from the highest down (a node's right
 * subtree, then the gap below the node, then its left subtree) and stop
 * at the first that holds @fit.  A subtree is skipped when its largest
 * gap is too short or when it lies wholly above @fit->hi or below
 * @fit->lo: it holds no fitting gap, so the first gap found is the
 * highest.  The walk costs one root-to-leaf path plus one for each gap
 * that is long enough but holds no aligned start within the bounds.
 */
static bool iova_subtree_find_fit(struct rb_node *rb,
				  const struct iova_fit *fit,
				  unsigned long *pfn)
{
	struct rb_node *parent;

	if (!iova_subtree_may_fit(rb, fit))
		return false;
	for (;;) {
		while (iova_may_descend_right(rb, fit))
			rb = rb->rb_right;
		/* @rb's right subtree is done: its own gap, then its left */
		for (;;) {
			if (iova_node_gap_fit(to_iova_node(rb), fit, pfn))
				return true;
			if (iova_may_descend_left(rb, fit)) {
				rb = rb->rb_left;
				break;
			}
			/* @rb's subtree is done: up to where we went right */
			while ((parent = rb_parent(rb)) && rb == parent->rb_left)
				rb = parent;
			if (!parent)
				return false;
			rb = parent;
		}
	}
}

/* The highest pfn at which @fit's range is free */
static bool iova_tree_find_fit(struct iova_domain *iovad,
			       const struct iova_fit *fit, unsigned long *pfn)
{
	struct rb_node *last = rb_last(&iovad->rbroot);
	unsigned long top;

	lockdep_assert_held(&iovad->iova_rbtree_lock);
	if (!last)
		return iova_gap_fit(fit, 0, ULONG_MAX, pfn);
	/* the space above the last node is in no node's gap */
	top = to_iova_node(last)->iova.pfn_hi;
	if (top != ULONG_MAX && iova_gap_fit(fit, top + 1, ULONG_MAX, pfn))
		return true;
	return iova_subtree_find_fit(iovad->rbroot.rb_node, fit, pfn);
}

/* Allocate the highest free range of @size pfns within [@lo, @hi] */
static struct iova_node *iova_tree_alloc(struct iova_domain *iovad,
					 unsigned long size, unsigned long lo,
					 unsigned long hi, bool size_aligned)
{
	struct iova_node *n;
	struct iova_fit fit;
	unsigned long flags, pfn;

	if (!iova_fit_init(&fit, size, lo, hi, size_aligned))
		return NULL;
	n = iova_node_alloc();
	if (!n)
		return NULL;

	spin_lock_irqsave(&iovad->iova_rbtree_lock, flags);
	if (!iova_tree_find_fit(iovad, &fit, &pfn)) {
		spin_unlock_irqrestore(&iovad->iova_rbtree_lock, flags);
		iova_node_free(n);
		return NULL;
	}
	n->iova.pfn_lo = pfn;
	n->iova.pfn_hi = pfn + size - 1;
	n->reserved = false;
	iova_tree_insert(iovad, n);
	spin_unlock_irqrestore(&iovad->iova_rbtree_lock, flags);
	return n;
}

/*
 * The tree side of alloc_iova_fast(): size-aligned, so that ranges of one
 * order are interchangeable in the caches, and never at pfn 0, which
 * reads as failure.
 */
static unsigned long iova_tree_alloc_fast(struct iova_domain *iovad,
					  unsigned long size,
					  unsigned long limit_pfn)
{
	struct iova_node *n;

	n = iova_tree_alloc(iovad, size, max(iovad->start_pfn, 1UL), limit_pfn,
			    true);
	return n ? n->iova.pfn_lo : 0;
}

/**
 * alloc_iova() - allocate a range of IOVA space
 * @iovad: the domain
 * @size: pfns (granules) to allocate, at least 1
 * @limit_pfn: the highest pfn the range may include
 * @size_aligned: start the range at a multiple of @size rounded up to a
 *                power of two
 *
 * Takes the highest free range below @limit_pfn and at or above the
 * domain's start_pfn, so that low addresses (the 32-bit space) stay free
 * for the devices that need them.  Any context.
 *
 * Return: the range, to be freed with __free_iova() or free_iova(), or
 * NULL if no free range fits or no memory is available.
 */
struct iova *alloc_iova(struct iova_domain *iovad, unsigned long size,
			unsigned long limit_pfn, bool size_aligned)
{
	struct iova_node *n;

	n = iova_tree_alloc(iovad, size, iovad->start_pfn, limit_pfn,
			    size_aligned);
	return n ? &n->iova : NULL;
}
EXPORT_SYMBOL_GPL(alloc_iova);

/**
 * find_iova() - find the range holding a pfn
 * @iovad: the domain
 * @pfn: any pfn of the range
 *
 * Only meaningful while the range cannot be freed concurrently, i.e. for
 * the caller's own allocations.  Any context.
 *
 * Return: the allocated or reserved range holding @pfn, or NULL.
 */
struct iova *find_iova(struct iova_domain *iovad, unsigned long pfn)
{
	struct iova_node *n;
	unsigned long flags;

	spin_lock_irqsave(&iovad->iova_rbtree_lock, flags);
	n = iova_tree_lookup(iovad, pfn);
	spin_unlock_irqrestore(&iovad->iova_rbtree_lock, flags);
	return n ? &n->iova : NULL;
}
EXPORT_SYMBOL_GPL(find_iova);

/**
 * __free_iova() - free a range
 * @iovad: the domain
 * @iova: from alloc_iova(), reserve_iova() or find_iova()
 *
 * The range is free for the next allocation at once.  Any context.
 */
void __free_iova(struct iova_domain *iovad, struct iova *iova)
{
	struct iova_node *n = container_of(iova, struct iova_node, iova);

	scoped_guard(spinlock_irqsave, &iovad->iova_rbtree_lock)
		iova_tree_erase(iovad, n);
	iova_node_free(n);
}
EXPORT_SYMBOL_GPL(__free_iova);

/**
 * free_iova() - free the range holding a pfn
 * @iovad: the domain
 * @pfn: any pfn of the range
 *
 * Finds and frees in one go, so a concurrent free of the same range
 * cannot slip in between.  Nothing happens if no range holds @pfn.
 * Any context.
 */
void free_iova(struct iova_domain *iovad, unsigned long pfn)
{
	struct iova_node *n;
	unsigned long flags;

	spin_lock_irqsave(&iovad->iova_rbtree_lock, flags);
	n = iova_tree_lookup(iovad, pfn);
	if (n)
		iova_tree_erase(iovad, n);
	spin_unlock_irqrestore(&iovad->iova_rbtree_lock, flags);
	if (n)
		iova_node_free(n);
}
EXPORT_SYMBOL_GPL(free_iova);

/*
 * reserve_iova() works on "stretches": the parts of the requested range
 * between allocated nodes.  Allocations keep their ranges (a CPU cache
 * may hold them, so they cannot change hands here); each stretch becomes
 * one reserved node, merged with the reservations it overlaps.
 */

/* New nodes reserving [@lo, @hi] takes: stretches without a reservation */
static unsigned int iova_reserve_count(struct iova_domain *iovad,
				       unsigned long lo, unsigned long hi)
{
	unsigned long from = lo;
	unsigned int need = 0;
	bool has_resv = false;
	struct iova_node *n;
	struct rb_node *rb;

	for (rb = iova_tree_ceil(iovad, lo); rb; rb = rb_next(rb)) {
		n = to_iova_node(rb);
		if (n->iova.pfn_lo > hi)
			break;
		if (n->reserved) {
			has_resv = true;
			continue;
		}
		if (!has_resv && from < n->iova.pfn_lo)
			need++;
		if (n->iova.pfn_hi >= hi)
			return need;
		from = n->iova.pfn_hi + 1;
		has_resv = false;
	}
	/* the last stretch, [from, hi], is not empty */
	return need + !has_resv;
}

/* Take the reservation @n out of the tree into the stretch's @keep */
static void iova_reserve_absorb(struct iova_domain *iovad,
				struct iova_node **keep, struct iova_node *n)
{
	iova_tree_erase(iovad, n);
	if (!*keep) {
		*keep = n;
		return;
	}
	(*keep)->iova.pfn_lo = min((*keep)->iova.pfn_lo, n->iova.pfn_lo);
	(*keep)->iova.pfn_hi = max((*keep)->iova.pfn_hi, n->iova.pfn_hi);
	iova_node_free(n);
}

/* Reserve the stretch [@from, @to] with @keep or a node from @pool */
static struct iova_node *iova_reserve_emit(struct iova_domain *iovad,
					   struct iova_node *keep,
					   struct iova_node **pool,
					   unsigned long from, unsigned long to)
{
	struct iova_node *n = keep;

	if (n) {
		n->iova.pfn_lo = min(n->iova.pfn_lo, from);
		n->iova.pfn_hi = max(n->iova.pfn_hi, to);
	} else {
		n = *pool;
		*pool = n->pool_next;
		n->iova.pfn_lo = from;
		n->iova.pfn_hi = to;
		n->reserved = true;
	}
	iova_tree_insert(iovad, n);
	return n;
}

/*
 * Reserve [@lo, @hi] with the nodes of @pool, which holds at least
 * iova_reserve_count() of them.  Returns the lowest stretch's node.
 */
static struct iova_node *iova_reserve_locked(struct iova_domain *iovad,
					     unsigned long lo,
					     unsigned long hi,
					     struct iova_node **pool)
{
	struct iova_node *n, *keep = NULL, *first = NULL, *res;
	struct rb_node *rb, *next;
	unsigned long from = lo;

	lockdep_assert_held(&iovad->iova_rbtree_lock);
	for (rb = iova_tree_ceil(iovad, lo); rb; rb = next) {
		n = to_iova_node(rb);
		if (n->iova.pfn_lo > hi)
			break;
		next = rb_next(rb);
		if (n->reserved) {
			iova_reserve_absorb(iovad, &keep, n);
			continue;
		}
		/* an allocation ends the stretch */
		if (keep || from < n->iova.pfn_lo) {
			res = iova_reserve_emit(iovad, keep, pool, from,
						n->iova.pfn_lo - 1);
			first = first ?: res;
		}
		keep = NULL;
		if (n->iova.pfn_hi >= hi)
			return first;
		from = n->iova.pfn_hi + 1;
	}
	res = iova_reserve_emit(iovad, keep, pool, from, hi);
	return first ?: res;
}

/**
 * reserve_iova() - keep a range of IOVA space from ever being allocated
 * @iovad: the domain
 * @pfn_lo: first pfn of the range
 * @pfn_hi: last pfn of the range
 *
 * Reservations may overlap: one that overlaps earlier ones merges with
 * them into a single range, and the earlier ones' struct iova are then
 * the merged one or freed, so callers that free reservations one by one
 * must not overlap them.  Parts of the range already allocated stay
 * their owners' (and become free again when freed): reserve before
 * allocating.  Any context.
 *
 * Return: the reserved range that starts the request (it may extend
 * beyond @pfn_lo and @pfn_hi after a merge), or NULL if no memory was
 * available or the whole range is allocated; the domain is then
 * unchanged.
 */
struct iova *reserve_iova(struct iova_domain *iovad, unsigned long pfn_lo,
			  unsigned long pfn_hi)
{
	struct iova_node *pool = NULL, *n = NULL;
	unsigned int have = 0, need;
	unsigned long flags;

	if (pfn_lo > pfn_hi)
		return NULL;
	/* Nodes are allocated outside the lock, then counted again */
	for (;;) {
		spin_lock_irqsave(&iovad->iova_rbtree_lock, flags);
		need = iova_reserve_count(iovad, pfn_lo, pfn_hi);
		if (need <= have)
			break;
		spin_unlock_irqrestore(&iovad->iova_rbtree_lock, flags);
		for (; have < need; have++) {
			n = iova_node_alloc();
			if (!n)
				goto out_free_pool;
			n->pool_next = pool;
			pool = n;
		}
	}
	n = iova_reserve_locked(iovad, pfn_lo, pfn_hi, &pool);
	spin_unlock_irqrestore(&iovad->iova_rbtree_lock, flags);

out_free_pool:
	while (pool) {
		struct iova_node *spare = pool;

		pool = spare->pool_next;
		iova_node_free(spare);
	}
	return n ? &n->iova : NULL;
}
EXPORT_SYMBOL_GPL(reserve_iova);

static struct iova_magazine *iova_mag_alloc(gfp_t gfp)
{
	return kzalloc(sizeof(struct iova_magazine), gfp);
}

/*
 * Pop a pfn no higher than @max_pfn.  The newest entry fits in the common
 * case; older ones are searched so that a low limit can still hit.
 */
static unsigned long iova_mag_pop(struct iova_magazine *mag,
				  unsigned long max_pfn)
{
	unsigned long i = mag->size, pfn;

	while (i--) {
		pfn = mag->pfns[i];
		if (pfn <= max_pfn) {
			mag->pfns[i] = mag->pfns[--mag->size];
			return pfn;
		}
	}
	return 0;
}

/* Give the ranges of @mag back to the tree; the caller owns @mag */
static void iova_mag_release(struct iova_domain *iovad,
			     struct iova_magazine *mag)
{
	struct iova_node *n;
	unsigned long flags, i;

	spin_lock_irqsave(&iovad->iova_rbtree_lock, flags);
	for (i = 0; i < mag->size; i++) {
		n = iova_tree_lookup(iovad, mag->pfns[i]);
		/* a cached pfn is the start of its allocation */
		if (WARN_ON_ONCE(!n || n->iova.pfn_lo != mag->pfns[i]))
			continue;
		iova_tree_erase(iovad, n);
		iova_node_free(n);
	}
	spin_unlock_irqrestore(&iovad->iova_rbtree_lock, flags);
	mag->size = 0;
}

static bool iova_depot_push(struct iova_depot *depot,
			    struct iova_magazine *mag)
{
	unsigned long flags;
	bool pushed = false;

	spin_lock_irqsave(&depot->lock, flags);
	if (depot->count < IOVA_DEPOT_MAX) {
		mag->next = depot->head;
		depot->head = mag;
		WRITE_ONCE(depot->count, depot->count + 1);
		pushed = true;
	}
	spin_unlock_irqrestore(&depot->lock, flags);
	return pushed;
}

static struct iova_magazine *iova_depot_pop(struct iova_depot *depot)
{
	struct iova_magazine *mag;
	unsigned long flags;

	/* see struct iova_depot: an empty depot costs no shared cache line */
	if (!READ_ONCE(depot->count))
		return NULL;
	spin_lock_irqsave(&depot->lock, flags);
	mag = depot->head;
	if (mag) {
		depot->head = mag->next;
		WRITE_ONCE(depot->count, depot->count - 1);
	}
	spin_unlock_irqrestore(&depot->lock, flags);
	return mag;
}

/* Give every magazine in the depot back to the tree */
static void iova_depot_drain(struct iova_domain *iovad)
{
	struct iova_rcache *rcache = iovad->rcaches;
	struct iova_magazine *mag, *next;
	struct iova_depot *depot;
	unsigned long flags;
	unsigned int order;

	for (order = 0; order < IOVA_CACHE_ORDERS; order++) {
		depot = &rcache->depot[order];
		spin_lock_irqsave(&depot->lock, flags);
		mag = depot->head;
		depot->head = NULL;
		WRITE_ONCE(depot->count, 0);
		spin_unlock_irqrestore(&depot->lock, flags);

		for (; mag; mag = next) {
			next = mag->next;
			iova_mag_release(iovad, mag);
			kfree(mag);
		}
	}
}

/* @p->loaded is empty: swap in the spare, or else a depot magazine */
static void iova_cpu_refill(struct iova_rcache *rcache,
			    struct iova_mag_pair *p, unsigned int order)
{
	struct iova_magazine *full;

	if (p->spare->size) {
		swap(p->loaded, p->spare);
		return;
	}
	full = iova_depot_pop(&rcache->depot[order]);
	if (full) {
		kfree(p->loaded);
		p->loaded = full;
	}
}

/* @p->loaded is full: swap in the spare, or else move it to the depot */
static void iova_cpu_make_room(struct iova_domain *iovad,
			       struct iova_mag_pair *p, unsigned int order)
{
	struct iova_depot *depot = &iovad->rcaches->depot[order];
	struct iova_magazine *empty = NULL;

	if (p->spare->size < IOVA_MAG_SIZE) {
		swap(p->loaded, p->spare);
		return;
	}
	if (READ_ONCE(depot->count) < IOVA_DEPOT_MAX)
		empty = iova_mag_alloc(GFP_ATOMIC | __GFP_NOWARN);
	if (empty && iova_depot_push(depot, p->loaded)) {
		p->loaded = empty;
		return;
	}
	/* the depot is full (or no memory): the tree takes the ranges */
	kfree(empty);
	iova_mag_release(iovad, p->loaded);
}

/* A cached pfn of @order no higher than @max_pfn, or 0 */
static unsigned long iova_rcache_get(struct iova_rcache *rcache,
				     unsigned int order, unsigned long max_pfn)
{
	struct iova_mag_pair *p;
	unsigned long flags, pfn;

	local_lock_irqsave(&rcache->cpu->lock, flags);
	p = &this_cpu_ptr(rcache->cpu)->mags[order];
	if (unlikely(!p->loaded->size))
		iova_cpu_refill(rcache, p, order);
	pfn = iova_mag_pop(p->loaded, max_pfn);
	local_unlock_irqrestore(&rcache->cpu->lock, flags);
	return pfn;
}

static void iova_rcache_put(struct iova_domain *iovad, unsigned int order,
			    unsigned long pfn)
{
	struct iova_rcache *rcache = iovad->rcaches;
	struct iova_magazine *mag;
	struct iova_mag_pair *p;
	unsigned long flags;

	local_lock_irqsave(&rcache->cpu->lock, flags);
	p = &this_cpu_ptr(rcache->cpu)->mags[order];
	if (unlikely(p->loaded->size == IOVA_MAG_SIZE))
		iova_cpu_make_room(iovad, p, order);
	mag = p->loaded;
	mag->pfns[mag->size++] = pfn;
	local_unlock_irqrestore(&rcache->cpu->lock, flags);
}

/* Empty @cc's magazines into the tree; the caller owns them */
static void iova_cpu_cache_release(struct iova_domain *iovad,
				   struct iova_cpu_cache *cc)
{
	unsigned int order;

	for (order = 0; order < IOVA_CACHE_ORDERS; order++) {
		iova_mag_release(iovad, cc->mags[order].loaded);
		iova_mag_release(iovad, cc->mags[order].spare);
	}
}

/* Empty this CPU's magazines into the tree, as their owner */
static void iova_cpu_drain_local(struct iova_domain *iovad)
{
	struct iova_rcache *rcache = iovad->rcaches;
	unsigned long flags;

	local_lock_irqsave(&rcache->cpu->lock, flags);
	iova_cpu_cache_release(iovad, this_cpu_ptr(rcache->cpu));
	local_unlock_irqrestore(&rcache->cpu->lock, flags);
}

static void iova_cpu_drain_ipi(void *iovad)
{
	iova_cpu_drain_local(iovad);
}

/*
 * The tree had no room even though the caches may hold free ranges.  This
 * CPU's and the depot's are reachable from here; the other CPUs' are
 * theirs to give back, which the drain work asks of them, since this may
 * run in interrupt context and must not wait for it.
 */
static noinline unsigned long iova_alloc_exhausted(struct iova_domain *iovad,
						   unsigned long size,
						   unsigned long limit_pfn)
{
	struct iova_rcache *rcache = iovad->rcaches;
	unsigned long pfn;

	if (!rcache)
		return 0;
	iova_cpu_drain_local(iovad);
	iova_depot_drain(iovad);
	pfn = iova_tree_alloc_fast(iovad, size, limit_pfn);
	if (!pfn)
		schedule_work(&rcache->drain_work);
	return pfn;
}

/**
 * alloc_iova_fast() - allocate a range of IOVA space for a mapping
 * @iovad: the domain
 * @size: granules to allocate, at least 1
 * @limit_pfn: the highest pfn the range may include
 * @flush_rcache: if the space looks exhausted, give cached ranges back to
 *                the tree and try once more
 *
 * Up to 512 granules, @size is rounded up to a power of two and served
 * from this CPU's cache when it holds a range below @limit_pfn; all
 * ranges come out aligned to their size rounded up to a power of two.
 * When even the retry with @flush_rcache fails, the other CPUs are asked
 * to give their cached ranges back, for the next call.  Any context.
 *
 * Return: the first pfn of the range, to be freed with free_iova_fast()
 * and the same @size, or 0 if none is free.
 */
unsigned long alloc_iova_fast(struct iova_domain *iovad, unsigned long size,
			      unsigned long limit_pfn, bool flush_rcache)
{
	unsigned long pfn = 0;
	unsigned int order;

	/* @size - 1 wraps for 0, which the tree then refuses */
	if (size - 1 < IOVA_CACHE_MAX_SIZE) {
		order = order_base_2(size);
		size = 1UL << order;
		if (likely(iovad->rcaches) && limit_pfn >= size - 1)
			pfn = iova_rcache_get(iovad->rcaches, order,
					      limit_pfn - (size - 1));
		if (likely(pfn))
			return pfn;
	}
	pfn = iova_tree_alloc_fast(iovad, size, limit_pfn);
	if (unlikely(!pfn) && flush_rcache)
		pfn = iova_alloc_exhausted(iovad, size, limit_pfn);
	return pfn;
}
EXPORT_SYMBOL_GPL(alloc_iova_fast);

/**
 * free_iova_fast() - free a range from alloc_iova_fast()
 * @iovad: the domain
 * @pfn: as returned by alloc_iova_fast()
 * @size: as passed to alloc_iova_fast()
 *
 * Ranges up to 512 granules go to this CPU's cache, larger ones back to
 * the tree.  The range may be handed out again at once.  Any context.
 */
void free_iova_fast(struct iova_domain *iovad, unsigned long pfn,
		    unsigned long size)
{
	if (size - 1 < IOVA_CACHE_MAX_SIZE && likely(iovad->rcaches)) {
		iova_rcache_put(iovad, order_base_2(size), pfn);
		return;
	}
	free_iova(iovad, pfn);
}
EXPORT_SYMBOL_GPL(free_iova_fast);

/**
 * iova_rcache_range() - the largest size the per-CPU caches hold
 *
 * Mappings up to this size take the fast path of alloc_iova_fast() and
 * free_iova_fast(); the DMA layer reports it as dma_opt_mapping_size().
 *
 * Return: the size in bytes, with granules of PAGE_SIZE.
 */
unsigned long iova_rcache_range(void)
{
	return PAGE_SIZE << (IOVA_CACHE_ORDERS - 1);
}

/**
 * iova_domain_drain_caches() - give every cached range back to the tree
 * @iovad: the domain
 *
 * Each online CPU empties its own magazines (see struct iova_rcache),
 * then the depot is emptied, so that the tree sees all the space that is
 * free.  For the drain work and the DMA layer's reclaim.  Process
 * context; sleeps.
 */
void iova_domain_drain_caches(struct iova_domain *iovad)
{
	might_sleep();
	if (!iovad->rcaches)
		return;
	/* With hotplug held off, the dead callback cannot drain concurrently */
	cpus_read_lock();
	on_each_cpu(iova_cpu_drain_ipi, iovad, true);
	cpus_read_unlock();
	iova_depot_drain(iovad);
}

static void iova_drain_work_fn(struct work_struct *work)
{
	struct iova_rcache *rcache = container_of(work, struct iova_rcache,
						  drain_work);

	iova_domain_drain_caches(rcache->iovad);
}

/* @cpu is dead: its magazines have no owner left, see struct iova_rcache */
static int iova_cpuhp_dead(unsigned int cpu, struct hlist_node *node)
{
	struct iova_domain *iovad = hlist_entry(node, struct iova_domain,
						cpuhp_dead);

	iova_cpu_cache_release(iovad, per_cpu_ptr(iovad->rcaches->cpu, cpu));
	return 0;
}

/* Free the caches' memory; their ranges go with the tree */
static void iova_rcache_free(struct iova_rcache *rcache)
{
	struct iova_magazine *mag;
	struct iova_cpu_cache *cc;
	unsigned int cpu, order;

	for_each_possible_cpu(cpu) {
		cc = per_cpu_ptr(rcache->cpu, cpu);
		for (order = 0; order < IOVA_CACHE_ORDERS; order++) {
			kfree(cc->mags[order].loaded);
			kfree(cc->mags[order].spare);
		}
	}
	for (order = 0; order < IOVA_CACHE_ORDERS; order++) {
		while ((mag = rcache->depot[order].head)) {
			rcache->depot[order].head = mag->next;
			kfree(mag);
		}
	}
	free_percpu(rcache->cpu);
	kfree(rcache);
}

/**
 * iova_domain_init_rcaches() - give a domain its per-CPU caches
 * @iovad: a domain from init_iova_domain(), not yet in use
 *
 * Needs iova_cache_get().  Process context.
 *
 * Return: 0, or -ENOMEM (or the CPU-hotplug core's error), in which case
 * the domain is left without caches and alloc_iova_fast() and
 * free_iova_fast() work on the tree alone.
 */
int iova_domain_init_rcaches(struct iova_domain *iovad)
{
	struct iova_rcache *rcache;
	struct iova_cpu_cache *cc;
	struct iova_mag_pair *p;
	unsigned int cpu, order;
	int ret = -ENOMEM;

	rcache = kzalloc(sizeof(*rcache), GFP_KERNEL);
	if (!rcache)
		return -ENOMEM;
	rcache->cpu = alloc_percpu(struct iova_cpu_cache);
	if (!rcache->cpu)
		goto err_free_rcache;
	for_each_possible_cpu(cpu) {
		cc = per_cpu_ptr(rcache->cpu, cpu);
		local_lock_init(&cc->lock);
		for (order = 0; order < IOVA_CACHE_ORDERS; order++) {
			p = &cc->mags[order];
			p->loaded = iova_mag_alloc(GFP_KERNEL);
			p->spare = iova_mag_alloc(GFP_KERNEL);
			if (!p->loaded || !p->spare)
				goto err_free_mags;
		}
	}
	for (order = 0; order < IOVA_CACHE_ORDERS; order++)
		spin_lock_init(&rcache->depot[order].lock);
	INIT_WORK(&rcache->drain_work, iova_drain_work_fn);
	rcache->iovad = iovad;

	/* the dead callback may run as soon as the instance is added */
	iovad->rcaches = rcache;
	ret = cpuhp_state_add_instance_nocalls(CPUHP_IOMMU_IOVA_DEAD,
					       &iovad->cpuhp_dead);
	if (ret) {
		iovad->rcaches = NULL;
		goto err_free_mags;
	}
	return 0;

err_free_mags:
	iova_rcache_free(rcache);
	return ret;
err_free_rcache:
	kfree(rcache);
	return ret;
}
EXPORT_SYMBOL_GPL(iova_domain_init_rcaches);

/**
 * init_iova_domain() - lay out an empty IOVA space
 * @iovad: the domain
 * @granule: the size of a pfn in bytes, a power of two
 * @start_pfn: the lowest pfn alloc_iova() hands out (alloc_iova_fast()
 *             never hands out pfn 0 either)
 *
 * Allocates nothing and cannot fail; iova_domain_init_rcaches() adds the
 * caches.  Fields of struct iova_domain this allocator does not use
 * (cached_node, cached32_node, dma_32bit_pfn, max32_alloc_size, anchor)
 * stay zero.
 */
void init_iova_domain(struct iova_domain *iovad, unsigned long granule,
		      unsigned long start_pfn)
{
	WARN_ON(!is_power_of_2(granule));
	*iovad = (struct iova_domain) {
		.rbroot = RB_ROOT,
		.granule = granule,
		.start_pfn = start_pfn,
	};
	spin_lock_init(&iovad->iova_rbtree_lock);
}
EXPORT_SYMBOL_GPL(init_iova_domain);

/**
 * put_iova_domain() - free everything a domain holds
 * @iovad: a domain from init_iova_domain() that nothing uses any more
 *
 * Frees the caches and every range still allocated or reserved; the
 * struct iova of those ranges are gone afterwards.  Process context.
 */
void put_iova_domain(struct iova_domain *iovad)
{
	struct iova_rcache *rcache = iovad->rcaches;
	struct iova_node *n, *tmp;

	if (rcache) {
		cpuhp_state_remove_instance_nocalls(CPUHP_IOMMU_IOVA_DEAD,
						    &iovad->cpuhp_dead);
		cancel_work_sync(&rcache->drain_work);
		iovad->rcaches = NULL;
		iova_rcache_free(rcache);
	}
	rbtree_postorder_for_each_entry_safe(n, tmp, &iovad->rbroot, iova.node)
		iova_node_free(n);
	iovad->rbroot = RB_ROOT;
}
EXPORT_SYMBOL_GPL(put_iova_domain);

/* For the first user: the node cache and the hotplug state */
static int iova_cache_create(void)
{
	int ret;

	iova_cache = kmem_cache_create("iommu_iova_node",
				       sizeof(struct iova_node), 0, 0, NULL);
	if (!iova_cache)
		return -ENOMEM;
	ret = cpuhp_setup_state_multi(CPUHP_IOMMU_IOVA_DEAD, "iommu/iova:dead",
				      NULL, iova_cpuhp_dead);
	if (ret) {
		kmem_cache_destroy(iova_cache);
		iova_cache = NULL;
	}
	return ret;
}

/**
 * iova_cache_get() - take a reference on the allocator's shared state
 *
 * Every user calls it before its first init_iova_domain() and
 * iova_cache_put() after its last put_iova_domain().  Process context.
 *
 * Return: 0, or a negative errno if the state could not be set up.
 */
int iova_cache_get(void)
{
	int ret = 0;

	mutex_lock(&iova_cache_mutex);
	if (!iova_cache_users)
		ret = iova_cache_create();
	if (!ret)
		iova_cache_users++;
	mutex_unlock(&iova_cache_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(iova_cache_get);

/**
 * iova_cache_put() - drop a reference from iova_cache_get()
 *
 * The last one frees the shared state.  Process context.
 */
void iova_cache_put(void)
{
	mutex_lock(&iova_cache_mutex);
	if (!WARN_ON(!iova_cache_users) && !--iova_cache_users) {
		cpuhp_remove_multi_state(CPUHP_IOMMU_IOVA_DEAD);
		kmem_cache_destroy(iova_cache);
		iova_cache = NULL;
	}
	mutex_unlock(&iova_cache_mutex);
}
EXPORT_SYMBOL_GPL(iova_cache_put);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("IOVA allocator with per-CPU range caches");
