// SPDX-License-Identifier: GPL-2.0-only
/*
 * The flush queue of lazy (IOMMU_DOMAIN_DMA_FQ) domains.
 *
 * A lazy unmap clears the page table but does not invalidate the IOTLB:
 * the range and the page-table pages the unmap released wait on this
 * CPU's ring until an invalidation of the whole domain that started after
 * the unmap has completed.  Only then does the IOVA go back to the
 * allocator and the pages back to the page allocator, so that no device
 * can reach a reused IOVA or a reused page-table page through a stale
 * translation.
 *
 * Invalidations are counted by two generation counters.  A flush takes
 * the generation ++flush_started, invalidates, and then raises flush_done
 * to at least that generation.  An entry records need = flush_started + 1,
 * read after its unmap; it is covered once flush_done >= need.
 *
 * Two bounds keep lazy mode from hoarding: a ring holds at most
 * IOMMU_DMA_FQ_SIZE entries (a full ring is flushed and emptied at once),
 * and a per-CPU timer flushes what is left IOMMU_DMA_FQ_TIMEOUT_MS after
 * the ring stopped being empty, which also bounds how long a device keeps
 * a translation of memory its driver already unmapped.
 */
#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/local_lock.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/timer.h>

#include "../iommu-pages.h"
#include "dma.h"

/*
 * Entries per CPU and domain.  A full ring costs one invalidation of the
 * whole domain, a few microseconds, so 256 unmaps share it and its cost
 * per unmap stays a few nanoseconds; an entry is 40 bytes on 64-bit, so a
 * ring is about 10 KiB per CPU, paid by every lazy domain (VT-d gives each
 * device its own).
 */
#define IOMMU_DMA_FQ_SIZE	256

/* How long an entry may wait for a flush once its ring is not empty */
#define IOMMU_DMA_FQ_TIMEOUT_MS	10

/**
 * struct iommu_dma_fq_entry - one lazily unmapped IOVA range
 * @pfn: first IOVA page frame of the range
 * @npages: IOVA pages in the range
 * @freelist: page-table pages the unmap released
 * @need: the range is free once flush_done >= @need
 */
struct iommu_dma_fq_entry {
	unsigned long pfn;
	unsigned long npages;
	struct list_head freelist;
	s64 need;
};

/**
 * struct iommu_dma_fq_ring - one CPU's queue of one domain
 * @lock: protects everything below except @fq; only ever taken by its
 *        own CPU (interrupts off there, or a per-CPU lock on PREEMPT_RT),
 *        so enqueueing touches no shared cache line but the counters it
 *        reads.  Under it run free_iova_fast() (iova.c's locks) and the
 *        IOMMU driver's invalidation (the driver's locks), never the other
 *        way round
 * @head: index of the oldest entry
 * @count: entries in use, from @head on, in the order of their need:
 *         each need is read under @lock from a counter that only grows
 * @timer: pinned to this ring's CPU and armed only from it, whenever the
 *         ring holds entries, so that they are flushed within
 *         IOMMU_DMA_FQ_TIMEOUT_MS
 * @fq: the flush queue this ring belongs to; set at creation
 * @entries: the ring
 */
struct iommu_dma_fq_ring {
	local_lock_t lock;
	unsigned int head;
	unsigned int count;
	struct timer_list timer;
	struct iommu_dma_fq *fq;
	struct iommu_dma_fq_entry entries[IOMMU_DMA_FQ_SIZE];
};

/**
 * struct iommu_dma_fq - the flush queue of one lazy domain
 * @flush_started: generation of the last flush that started; only grows
 * @flush_done: the highest generation of a flush known to have completed;
 *              only grows, and lags @flush_started while flushes run
 * @domain: the domain the flushes invalidate
 * @iovad: the allocator reclaimed ranges go back to
 * @rings: one ring per possible CPU
 *
 * Created once per cookie and published in iommu_dma_cookie::fq, then
 * unchanged but for the counters and the rings until
 * iommu_dma_fq_destroy().
 */
struct iommu_dma_fq {
	atomic64_t flush_started;
	atomic64_t flush_done;
	struct iommu_domain *domain;
	struct iova_domain *iovad;
	struct iommu_dma_fq_ring __percpu *rings;
};

/*
 * Invalidate the whole domain.  Any context: drivers' flush_iotlb_all()
 * runs with interrupts off here, as their iotlb_sync() does in a strict
 * unmap from interrupt context.
 */
static void iommu_dma_fq_flush(struct iommu_dma_fq *fq)
{
	s64 gen, done;

	/*
	 * Fully ordered, pairing with smp_mb() in iommu_dma_fq_add(): an
	 * entry whose need is <= gen read flush_started before this
	 * increment, so the PTEs its unmap cleared are visible before the
	 * driver issues the invalidation below, which therefore leaves no
	 * translation of that range behind.
	 */
	gen = atomic64_inc_return(&fq->flush_started);
	iommu_flush_iotlb_all(fq->domain);

	/*
	 * The driver returned after the IOMMU reported the invalidation
	 * complete; the release orders that before the new flush_done,
	 * pairing with the acquire in iommu_dma_fq_reap().  A later
	 * generation that completed first covers all this one covers, so
	 * flush_done only ever moves up.
	 */
	done = atomic64_read(&fq->flush_done);
	do {
		if (done >= gen)
			return;
	} while (!atomic64_try_cmpxchg_release(&fq->flush_done, &done, gen));
}

/* Free the oldest entry of @ring; the caller knows it is covered */
static void iommu_dma_fq_pop(struct iommu_dma_fq *fq,
			     struct iommu_dma_fq_ring *ring)
{
	struct iommu_dma_fq_entry *e = &ring->entries[ring->head];

	free_iova_fast(fq->iovad, e->pfn, e->npages);
	iommu_put_pages_list(&e->freelist);
	ring->head = (ring->head + 1) % IOMMU_DMA_FQ_SIZE;
	ring->count--;
}

/* Free the entries of this CPU's @ring that a completed flush covers */
static void iommu_dma_fq_reap(struct iommu_dma_fq *fq,
			      struct iommu_dma_fq_ring *ring)
{
	s64 done;

	lockdep_assert_held(&ring->lock);
	/*
	 * Acquire, pairing with the release in iommu_dma_fq_flush(): the
	 * IOVAs and pages are reused (new PTEs, new contents) only after
	 * the invalidation that covers them completed.
	 */
	done = atomic64_read_acquire(&fq->flush_done);
	while (ring->count && ring->entries[ring->head].need <= done)
		iommu_dma_fq_pop(fq, ring);
}

/*
 * Whether @ring holds an entry no completed flush covers.  The newest
 * entry needs the most.  A stale flush_done costs an extra flush only.
 */
static bool iommu_dma_fq_needs_flush(struct iommu_dma_fq *fq,
				     struct iommu_dma_fq_ring *ring)
{
	unsigned int tail = (ring->head + ring->count - 1) % IOMMU_DMA_FQ_SIZE;

	return ring->count &&
	       ring->entries[tail].need > atomic64_read(&fq->flush_done);
}

/*
 * Empty this CPU's @ring: the flush covers every entry, since each read
 * its need from flush_started before the flush's increment.
 */
static void iommu_dma_fq_drain(struct iommu_dma_fq *fq,
			       struct iommu_dma_fq_ring *ring)
{
	lockdep_assert_held(&ring->lock);
	if (iommu_dma_fq_needs_flush(fq, ring))
		iommu_dma_fq_flush(fq);
	iommu_dma_fq_reap(fq, ring);
}

/**
 * iommu_dma_fq_add() - queue a lazily unmapped IOVA range
 * @cookie: an IOVA cookie whose flush queue exists
 * @pfn: first IOVA page frame of the range
 * @npages: IOVA pages in the range
 * @freelist: page-table pages the unmap released; moved to the queue,
 *            and left empty
 *
 * The range must be unmapped and not yet invalidated.  It goes back to the
 * IOVA allocator, and @freelist's pages back to the page allocator, once
 * an invalidation of the domain that started after this call completed.
 *
 * Context: any context but NMI.
 */
void iommu_dma_fq_add(struct iommu_dma_cookie *cookie, unsigned long pfn,
		      unsigned long npages, struct list_head *freelist)
{
	/* The caller saw it non-NULL; it does not change while it maps */
	struct iommu_dma_fq *fq = smp_load_acquire(&cookie->fq);
	struct iommu_dma_fq_ring *ring;
	struct iommu_dma_fq_entry *e;
	unsigned long flags;
	s64 need;

	local_lock_irqsave(&fq->rings->lock, flags);
	ring = this_cpu_ptr(fq->rings);

	/*
	 * Pairs with the fully ordered increment in iommu_dma_fq_flush().
	 * The caller's unmap cleared the range's PTEs (and drivers whose
	 * table walker does not snoop the CPU caches cleaned them); the
	 * barrier makes those stores visible before flush_started is read.
	 * A flush whose generation is above the value read incremented
	 * after this read, hence invalidated after the PTEs were visible.
	 * Without it, the read could complete while the stores still sit in
	 * this CPU's store buffer, and a flush counted as covering them
	 * could let the IOMMU refetch the old PTEs.
	 */
	smp_mb();
	need = atomic64_read(&fq->flush_started) + 1;

	iommu_dma_fq_reap(fq, ring);
	if (unlikely(ring->count == IOMMU_DMA_FQ_SIZE))
		iommu_dma_fq_drain(fq, ring);

	e = &ring->entries[(ring->head + ring->count) % IOMMU_DMA_FQ_SIZE];
	e->pfn = pfn;
	e->npages = npages;
	INIT_LIST_HEAD(&e->freelist);
	list_splice_init(freelist, &e->freelist);
	e->need = need;
	ring->count++;

	if (!timer_pending(&ring->timer))
		mod_timer(&ring->timer,
			  jiffies + msecs_to_jiffies(IOMMU_DMA_FQ_TIMEOUT_MS));
	local_unlock_irqrestore(&fq->rings->lock, flags);
}

static void iommu_dma_fq_timeout(struct timer_list *t)
{
	struct iommu_dma_fq_ring *ring = from_timer(ring, t, timer);
	struct iommu_dma_fq *fq = ring->fq;
	unsigned long flags;

	local_lock_irqsave(&fq->rings->lock, flags);
	/*
	 * The timer is pinned and armed by its own CPU only, so it runs
	 * elsewhere only after that CPU went offline and its timers
	 * migrated.  That ring is then not ours to touch: its entries stay
	 * until the CPU is back or iommu_dma_fq_destroy(), but a flush
	 * still ends the stale translations on time.
	 */
	if (ring != this_cpu_ptr(fq->rings))
		iommu_dma_fq_flush(fq);
	else
		iommu_dma_fq_drain(fq, ring);
	/* The ring is empty now: the next iommu_dma_fq_add() re-arms */
	local_unlock_irqrestore(&fq->rings->lock, flags);
}

/**
 * iommu_dma_fq_reclaim_local() - free what this CPU's flush queue holds
 * @cookie: an IOVA cookie; nothing happens while its domain is strict
 *
 * Invalidates the domain if this CPU's queue holds a range no completed
 * invalidation covers, then gives every queued range and page back.  For
 * an allocation that found the IOVA space full; other CPUs' queues are
 * reachable only from their CPUs (on_each_cpu()).
 *
 * Context: any context but NMI.
 */
void iommu_dma_fq_reclaim_local(struct iommu_dma_cookie *cookie)
{
	/* Pairs with the release in iommu_dma_init_fq() */
	struct iommu_dma_fq *fq = smp_load_acquire(&cookie->fq);
	unsigned long flags;

	if (!fq)
		return;
	local_lock_irqsave(&fq->rings->lock, flags);
	iommu_dma_fq_drain(fq, this_cpu_ptr(fq->rings));
	local_unlock_irqrestore(&fq->rings->lock, flags);
}

/**
 * iommu_dma_fq_destroy() - free a dying domain's flush queue
 * @cookie: an IOVA cookie with a flush queue, whose domain nobody maps or
 *          unmaps through any more
 *
 * Stops the timers, invalidates the domain once if anything queued needs
 * it, frees every queued range and page of every CPU, and leaves the
 * cookie without a flush queue.  Before the IOVA domain is put.
 *
 * Context: process context; sleeps.
 */
void iommu_dma_fq_destroy(struct iommu_dma_cookie *cookie)
{
	struct iommu_dma_fq *fq = cookie->fq;
	struct iommu_dma_fq_ring *ring;
	bool pending = false;
	int cpu;

	/*
	 * Once the timers are shut down nothing else reaches the rings
	 * (the domain has no users), so they are read without their locks.
	 */
	for_each_possible_cpu(cpu) {
		ring = per_cpu_ptr(fq->rings, cpu);
		timer_shutdown_sync(&ring->timer);
		pending |= iommu_dma_fq_needs_flush(fq, ring);
	}
	if (pending)
		iommu_dma_fq_flush(fq);
	for_each_possible_cpu(cpu) {
		ring = per_cpu_ptr(fq->rings, cpu);
		while (ring->count)
			iommu_dma_fq_pop(fq, ring);
	}
	free_percpu(fq->rings);
	kfree(fq);
	cookie->fq = NULL;
}

/**
 * iommu_dma_init_fq() - make a DMA API domain lazy
 * @domain: a domain with an IOVA cookie, of type IOMMU_DOMAIN_DMA_FQ or
 *          about to become one
 *
 * Creates the domain's flush queue: from then on unmaps leave the IOTLB
 * alone and queue the range, which is reused only after an invalidation
 * of the whole domain that started after the unmap completed.  Called by
 * the IOMMU core when a group's domain turns from DMA to DMA-FQ in place,
 * while its devices may be mapping and unmapping, and at the domain's DMA
 * set-up.  An unmap that runs concurrently is strict or lazy, either way
 * correct.
 *
 * Context: process context; sleeps.  Takes the cookie's lock.
 *
 * Return: 0 if the domain has a flush queue, now or already; -EINVAL if it
 * has no IOVA cookie, -EOPNOTSUPP if its driver cannot invalidate a whole
 * domain, -ENOMEM; the domain stays strict on error.
 */
int iommu_dma_init_fq(struct iommu_domain *domain)
{
	struct iommu_dma_cookie *cookie = iommu_dma_cookie(domain);
	struct iommu_dma_fq_ring *ring;
	struct iommu_dma_fq *fq;
	int cpu, ret = 0;

	if (!cookie || cookie->type != IOMMU_DMA_IOVA_COOKIE)
		return -EINVAL;
	/* Lazy mode without a flush of the domain would never invalidate */
	if (!domain->ops->flush_iotlb_all)
		return -EOPNOTSUPP;

	mutex_lock(&cookie->lock);
	if (cookie->fq)
		goto out_unlock;

	ret = -ENOMEM;
	fq = kzalloc(sizeof(*fq), GFP_KERNEL);
	if (!fq)
		goto out_unlock;
	fq->rings = alloc_percpu(struct iommu_dma_fq_ring);
	if (!fq->rings)
		goto out_free_fq;

	atomic64_set(&fq->flush_started, 0);
	atomic64_set(&fq->flush_done, 0);
	fq->domain = domain;
	fq->iovad = &cookie->iovad;
	for_each_possible_cpu(cpu) {
		ring = per_cpu_ptr(fq->rings, cpu);
		local_lock_init(&ring->lock);
		timer_setup(&ring->timer, iommu_dma_fq_timeout, TIMER_PINNED);
		ring->fq = fq;
	}

	/*
	 * Pairs with the acquire of unmap (iommu_dma_unmap_range()) and of
	 * iommu_dma_fq_reclaim_local(): whoever sees the pointer sees the
	 * initialised rings and counters.
	 */
	smp_store_release(&cookie->fq, fq);
	mutex_unlock(&cookie->lock);
	return 0;

out_free_fq:
	kfree(fq);
out_unlock:
	mutex_unlock(&cookie->lock);
	return ret;
}
