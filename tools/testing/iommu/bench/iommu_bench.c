// SPDX-License-Identifier: GPL-2.0
/*
 * What the IOMMU costs: DMA API and IOMMU API operations timed on QEMU's
 * edu device.
 *
 * The driver has no ID table: it binds only to a device whose
 * driver_override names it.  Probe runs the cases the "cases" parameter
 * names (comma-separated; a name ending in '*' stands for every case it
 * begins and the machine fits; empty for every case the machine fits: the
 * single-thread cases on one CPU, the two-thread ones on two or more) and
 * prints one console line per figure, a figure being one kind of timed
 * operation:
 *
 *   BENCH <figure> median_ns=<n> p99_ns=<n> ops=<n>
 *   BENCH <figure> error=<negative errno>
 *
 * and "BENCH done" at the end.
 *
 * With "mark" set, the timed batches of each case are bracketed by two
 * writes to a read-only dword of the edu's configuration space, which QEMU
 * ignores but traces (pci_cfg_write): the host can then tell which of the
 * emulated IOMMU's traced invalidations each case caused.  The values are
 * BENCH_MARK_BEGIN or BENCH_MARK_END ORed with the case's mark number,
 * announced first on the console as
 *
 *   BENCH mark <n> <case>
 *
 * Setup and teardown (the cold cases' 2048 mappings, say) stay outside the
 * marks.  Operations are timed in batches with
 * ktime_get_ns(); a sample is a batch's time divided by its size, and each
 * figure is the median and 99th percentile of "iters" samples (per thread).
 * The edu moves no data: nothing is DMAed, only mapped.
 *
 * The cases (figures <case>.<op>, or <case> alone for the last two):
 *
 *   map_page_{1,16,33,256}       dma_map_page() + dma_unmap_page() of n pages
 *   map_page_{1,16,33,256}_2t    the same from one kthread on each of 2 CPUs
 *   map_page_cold_{1,16}         the same, 2048 mappings of mixed sizes live
 *   map_sg_{16,128}              dma_map_sg() + dma_unmap_sg(), 1-page segments
 *   coherent_{4k,2m}             dma_alloc_coherent() + dma_free_coherent()
 *   iommu_map_{4k,2m}            iommu_map() + iommu_unmap(), own paging domain
 *   iova_{1,16,33,256}           alloc_iova_fast() + free_iova_fast() of n
 *                                4 KiB granules below 4 GiB, on an IOVA
 *                                domain of our own: the allocator alone
 *   attach_detach                iommu_attach_device() + iommu_detach_device()
 *   claim_attach_release         as VFIO: claim the group, attach, detach,
 *                                release
 *   mock_map_{4k,2m}             iommu_map() + iommu_unmap() on a paging
 *                                domain of a mock IOMMU whose map and unmap
 *                                do nothing: the core's own share
 *   probe_32, probe_32_shared    adding 32 platform devices behind the mock
 *                                IOMMU (probe, group, default domain, DMA
 *                                set-up) and removing them, per 32: in 32
 *                                groups of one, or all in one group
 *
 * The VFIO-style case claims the group's DMA ownership, which both cores
 * refuse (-EPERM) while a kernel DMA API driver is bound.  So the driver
 * sets driver_managed_dma as vfio-pci does; it uses the DMA API only while
 * the group, of which the edu is the only member, is on its default domain.
 */
#include <linux/completion.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/iova.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/timekeeping.h>

#define BENCH_BATCH		32	/* operations per timed batch */
#define BENCH_MAX_PAGES		256	/* pages of each buffer block */
#define BENCH_BLOCK_ORDER	8	/* order of BENCH_MAX_PAGES */
#define BENCH_COLD_MAPS		2048	/* live mappings of the cold cases */
#define BENCH_IOVA		SZ_4G	/* iommu_map() cases map from here */
#define BENCH_THREADS		2
#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
/*
 * The last dword of the edu's configuration space: no capability lives
 * there, so it is read-only and a write changes nothing, but QEMU traces it.
 */
#define BENCH_MARK_REG		0xfc
#define BENCH_MARK_BEGIN	0xbe000000
#define BENCH_MARK_END		0xee000000

static char *cases = "";
module_param(cases, charp, 0444);
MODULE_PARM_DESC(cases, "comma-separated cases to run, empty for all");

static unsigned int iters = 200;
module_param(iters, uint, 0444);
MODULE_PARM_DESC(iters, "timed batches per figure and thread");

static bool mark;
module_param(mark, bool, 0444);
MODULE_PARM_DESC(mark, "bracket each case's batches by traced config writes");

struct bench {
	struct device *dev;
	struct page *blocks[BENCH_BATCH];	/* BENCH_MAX_PAGES pages each */
	struct page *huge;			/* 2 MiB, 2 MiB aligned */
};

/* One thread running one case. */
struct bench_run {
	struct bench *b;
	const struct bench_case *c;
	u64 *samples[2];			/* per figure, iters each */
	dma_addr_t addr[BENCH_BATCH];
	void *cpu[BENCH_BATCH];
	struct sg_table *sgt;			/* BENCH_BATCH tables */
	dma_addr_t *cold;			/* BENCH_COLD_MAPS mappings */
	struct iova_domain *iovad;
	unsigned long pfn[BENCH_BATCH];
	struct iommu_domain *domain;
	struct iommu_group *group;
	struct bench_mock *mock;
	struct completion *go;
	struct completion done;
	int err;
};

/*
 * A case: setup, then iters batches of @batch operations, then teardown.
 * A batch returns the time of its operations of each figure in @ns.  Setup
 * and teardown run in the prober's thread, also for a case of several
 * threads (one bench_run each).
 */
struct bench_case {
	const char *name;
	const char *fig[2];		/* figure suffixes; fig[1] may be NULL */
	int (*setup)(struct bench_run *r);
	int (*batch)(struct bench_run *r, u64 ns[2]);
	void (*teardown)(struct bench_run *r);
	unsigned long arg;		/* pages or bytes */
	unsigned int batch_size;	/* 0 for BENCH_BATCH */
	unsigned int threads;		/* 0 for 1 */
};

static unsigned int case_batch(const struct bench_case *c)
{
	return c->batch_size ?: BENCH_BATCH;
}

static unsigned int case_threads(const struct bench_case *c)
{
	return c->threads ?: 1;
}

/* dma_map_page() + dma_unmap_page() of arg pages */
static int batch_map_page(struct bench_run *r, u64 ns[2])
{
	struct device *dev = r->b->dev;
	size_t size = r->c->arg << PAGE_SHIFT;
	u64 t0, t1, t2;
	int i, n;

	t0 = ktime_get_ns();
	for (n = 0; n < BENCH_BATCH; n++) {
		r->addr[n] = dma_map_page(dev, r->b->blocks[n], 0, size,
					  DMA_BIDIRECTIONAL);
		if (dma_mapping_error(dev, r->addr[n]))
			break;
	}
	t1 = ktime_get_ns();
	for (i = 0; i < n; i++)
		dma_unmap_page(dev, r->addr[i], size, DMA_BIDIRECTIONAL);
	t2 = ktime_get_ns();

	ns[0] = t1 - t0;
	ns[1] = t2 - t1;
	return n == BENCH_BATCH ? 0 : -ENOMEM;
}

/* Sizes, in pages, of the mappings held while the cold cases run. */
static const unsigned int cold_pages[] = { 1, 2, 4, 8, 16, 33, 64, 256 };

static void cold_unmap(struct bench_run *r, int n)
{
	int i;

	for (i = 0; i < n; i++)
		dma_unmap_page(r->b->dev, r->cold[i],
			       cold_pages[i % ARRAY_SIZE(cold_pages)] << PAGE_SHIFT,
			       DMA_BIDIRECTIONAL);
}

static int setup_cold(struct bench_run *r)
{
	struct device *dev = r->b->dev;
	int i;

	r->cold = kcalloc(BENCH_COLD_MAPS, sizeof(*r->cold), GFP_KERNEL);
	if (!r->cold)
		return -ENOMEM;
	for (i = 0; i < BENCH_COLD_MAPS; i++) {
		size_t size = cold_pages[i % ARRAY_SIZE(cold_pages)] << PAGE_SHIFT;

		r->cold[i] = dma_map_page(dev, r->b->blocks[i % BENCH_BATCH],
					  0, size, DMA_BIDIRECTIONAL);
		if (dma_mapping_error(dev, r->cold[i])) {
			cold_unmap(r, i);
			kfree(r->cold);
			return -ENOMEM;
		}
	}
	return 0;
}

static void teardown_cold(struct bench_run *r)
{
	cold_unmap(r, BENCH_COLD_MAPS);
	kfree(r->cold);
}

/* Tables of arg single-page segments, every other page of a block. */
static int setup_sg(struct bench_run *r)
{
	struct scatterlist *sg;
	int i, j, ret;

	r->sgt = kcalloc(BENCH_BATCH, sizeof(*r->sgt), GFP_KERNEL);
	if (!r->sgt)
		return -ENOMEM;
	for (i = 0; i < BENCH_BATCH; i++) {
		ret = sg_alloc_table(&r->sgt[i], r->c->arg, GFP_KERNEL);
		if (ret)
			goto free;
		for_each_sgtable_sg(&r->sgt[i], sg, j)
			sg_set_page(sg, r->b->blocks[i] + 2 * j, PAGE_SIZE, 0);
	}
	return 0;
free:
	while (i--)
		sg_free_table(&r->sgt[i]);
	kfree(r->sgt);
	return ret;
}

static void teardown_sg(struct bench_run *r)
{
	int i;

	for (i = 0; i < BENCH_BATCH; i++)
		sg_free_table(&r->sgt[i]);
	kfree(r->sgt);
}

/* dma_map_sg() + dma_unmap_sg() */
static int batch_map_sg(struct bench_run *r, u64 ns[2])
{
	struct device *dev = r->b->dev;
	int nents = r->c->arg;
	u64 t0, t1, t2;
	int i, n;

	t0 = ktime_get_ns();
	for (n = 0; n < BENCH_BATCH; n++)
		if (!dma_map_sg(dev, r->sgt[n].sgl, nents, DMA_BIDIRECTIONAL))
			break;
	t1 = ktime_get_ns();
	for (i = 0; i < n; i++)
		dma_unmap_sg(dev, r->sgt[i].sgl, nents, DMA_BIDIRECTIONAL);
	t2 = ktime_get_ns();

	ns[0] = t1 - t0;
	ns[1] = t2 - t1;
	return n == BENCH_BATCH ? 0 : -ENOMEM;
}

/* dma_alloc_coherent() + dma_free_coherent() of arg bytes */
static int batch_coherent(struct bench_run *r, u64 ns[2])
{
	unsigned int batch = case_batch(r->c);
	struct device *dev = r->b->dev;
	size_t size = r->c->arg;
	u64 t0, t1, t2;
	int i, n;

	t0 = ktime_get_ns();
	for (n = 0; n < batch; n++) {
		r->cpu[n] = dma_alloc_coherent(dev, size, &r->addr[n],
					       GFP_KERNEL);
		if (!r->cpu[n])
			break;
	}
	t1 = ktime_get_ns();
	for (i = 0; i < n; i++)
		dma_free_coherent(dev, size, r->cpu[i], r->addr[i]);
	t2 = ktime_get_ns();

	ns[0] = t1 - t0;
	ns[1] = t2 - t1;
	return n == batch ? 0 : -ENOMEM;
}

/* A paging domain of our own, attached to the device or not. */
static int setup_domain(struct bench_run *r)
{
	r->domain = iommu_paging_domain_alloc(r->b->dev);
	if (IS_ERR(r->domain))
		return PTR_ERR(r->domain);
	return 0;
}

static void teardown_domain(struct bench_run *r)
{
	iommu_domain_free(r->domain);
}

static int setup_attached(struct bench_run *r)
{
	int ret = setup_domain(r);

	if (ret)
		return ret;
	ret = iommu_attach_device(r->domain, r->b->dev);
	if (ret)
		iommu_domain_free(r->domain);
	return ret;
}

static void teardown_attached(struct bench_run *r)
{
	iommu_detach_device(r->domain, r->b->dev);
	iommu_domain_free(r->domain);
}

/* iommu_map() + iommu_unmap() of arg bytes, 4 KiB or 2 MiB */
static int batch_iommu_map(struct bench_run *r, u64 ns[2])
{
	size_t size = r->c->arg;
	unsigned long iova;
	phys_addr_t phys;
	u64 t0, t1, t2;
	int i, n, ret = 0;

	t0 = ktime_get_ns();
	for (n = 0; n < BENCH_BATCH; n++) {
		iova = BENCH_IOVA + n * size;
		phys = page_to_phys(size == PAGE_SIZE ? r->b->blocks[n] :
				    r->b->huge);
		ret = iommu_map(r->domain, iova, phys, size,
				IOMMU_READ | IOMMU_WRITE, GFP_KERNEL);
		if (ret)
			break;
	}
	t1 = ktime_get_ns();
	for (i = 0; i < n; i++)
		if (iommu_unmap(r->domain, BENCH_IOVA + i * size, size) != size)
			ret = -EIO;
	t2 = ktime_get_ns();

	ns[0] = t1 - t0;
	ns[1] = t2 - t1;
	return ret;
}

/*
 * An IOVA domain of our own, set up as the DMA layer sets up a device's:
 * 4 KiB granules from PFN 1, per-CPU caches.  Nothing maps these IOVAs.
 */
static int setup_iova(struct bench_run *r)
{
	int ret;

	r->iovad = kzalloc(sizeof(*r->iovad), GFP_KERNEL);
	if (!r->iovad)
		return -ENOMEM;
	ret = iova_cache_get();
	if (ret)
		goto free;
	init_iova_domain(r->iovad, SZ_4K, 1);
	ret = iova_domain_init_rcaches(r->iovad);
	if (!ret)
		return 0;
	put_iova_domain(r->iovad);
	iova_cache_put();
free:
	kfree(r->iovad);
	return ret;
}

static void teardown_iova(struct bench_run *r)
{
	put_iova_domain(r->iovad);
	iova_cache_put();
	kfree(r->iovad);
}

/*
 * alloc_iova_fast() + free_iova_fast() of arg granules below 4 GiB, the
 * allocator's part of a dma_map_page() of arg pages for a 32-bit-first PCI
 * device.
 */
static int batch_iova(struct bench_run *r, u64 ns[2])
{
	unsigned long limit = DMA_BIT_MASK(32) >> PAGE_SHIFT;
	unsigned long size = r->c->arg;
	u64 t0, t1, t2;
	int i, n;

	t0 = ktime_get_ns();
	for (n = 0; n < BENCH_BATCH; n++) {
		r->pfn[n] = alloc_iova_fast(r->iovad, size, limit, true);
		if (!r->pfn[n])
			break;
	}
	t1 = ktime_get_ns();
	for (i = 0; i < n; i++)
		free_iova_fast(r->iovad, r->pfn[i], size);
	t2 = ktime_get_ns();

	ns[0] = t1 - t0;
	ns[1] = t2 - t1;
	return n == BENCH_BATCH ? 0 : -ENOMEM;
}

/* iommu_attach_device() + iommu_detach_device() */
static int batch_attach(struct bench_run *r, u64 ns[2])
{
	struct device *dev = r->b->dev;
	u64 t0;
	int n, ret;

	t0 = ktime_get_ns();
	for (n = 0; n < BENCH_BATCH; n++) {
		ret = iommu_attach_device(r->domain, dev);
		if (ret)
			return ret;
		iommu_detach_device(r->domain, dev);
	}
	ns[0] = ktime_get_ns() - t0;
	return 0;
}

static int setup_group(struct bench_run *r)
{
	int ret;

	r->group = iommu_group_get(r->b->dev);
	if (!r->group)
		return -ENODEV;
	ret = setup_domain(r);
	if (ret)
		iommu_group_put(r->group);
	return ret;
}

static void teardown_group(struct bench_run *r)
{
	iommu_domain_free(r->domain);
	iommu_group_put(r->group);
}

/* As VFIO: claim the group, attach a domain, detach it, release. */
static int batch_claim(struct bench_run *r, u64 ns[2])
{
	u64 t0;
	int n, ret;

	t0 = ktime_get_ns();
	for (n = 0; n < BENCH_BATCH; n++) {
		ret = iommu_group_claim_dma_owner(r->group, r);
		if (ret)
			return ret;
		ret = iommu_attach_group(r->domain, r->group);
		if (!ret)
			iommu_detach_group(r->domain, r->group);
		iommu_group_release_dma_owner(r->group);
		if (ret)
			return ret;
	}
	ns[0] = ktime_get_ns() - t0;
	return 0;
}

/*
 * A mock IOMMU of our own: its paging domains map and unmap nothing, so
 * iommu_map() and iommu_unmap() on them cost only the core's own path, and
 * adding a device behind it costs the core's probe, group and default
 * domain set-up (and the DMA layer's for that domain) with next to nothing
 * of a driver's.  Its devices are platform devices whose fwspec names the
 * mock's firmware node, so that no other IOMMU driver is asked about them,
 * on either core.
 *
 * The core wants a fwspec set up under iommu_probe_device_lock, which is
 * not exported to modules.  The mock sets it up before the device is
 * added, when nothing else can see the device and so nothing can probe it
 * meanwhile; lockdep would still report the unheld lock, so on a lockdep
 * kernel the mock cases fail with -EOPNOTSUPP instead (the e2e smoke test
 * does not run them; make bench's kernels have no lockdep).
 */
#define BENCH_MOCK_DEVS		32
#define BENCH_MOCK_PGSIZES	(SZ_4K | SZ_2M)

struct bench_mock {
	struct iommu_device iommu;
	struct fwnode_handle fwnode;
	struct iommu_group *shared;	/* every device's group, or NULL */
	struct platform_device *pdev[BENCH_MOCK_DEVS];
};

static struct bench_mock *bench_mock_of(struct device *dev)
{
	struct iommu_fwspec *fwspec = dev_iommu_fwspec_get(dev);

	return container_of(fwspec->iommu_fwnode, struct bench_mock, fwnode);
}

static struct iommu_device *bench_mock_probe_device(struct device *dev)
{
	return &bench_mock_of(dev)->iommu;
}

static struct iommu_group *bench_mock_device_group(struct device *dev)
{
	struct bench_mock *mock = bench_mock_of(dev);

	if (mock->shared)
		return iommu_group_ref_get(mock->shared);
	return generic_device_group(dev);
}

static bool bench_mock_capable(struct device *dev, enum iommu_cap cap)
{
	return false;
}

static int bench_mock_attach_dev(struct iommu_domain *domain,
				 struct device *dev)
{
	return 0;
}

static int bench_mock_map_pages(struct iommu_domain *domain,
				unsigned long iova, phys_addr_t paddr,
				size_t pgsize, size_t pgcount, int prot,
				gfp_t gfp, size_t *mapped)
{
	*mapped = pgsize * pgcount;
	return 0;
}

static size_t bench_mock_unmap_pages(struct iommu_domain *domain,
				     unsigned long iova, size_t pgsize,
				     size_t pgcount,
				     struct iommu_iotlb_gather *gather)
{
	return pgsize * pgcount;
}

static void bench_mock_domain_free(struct iommu_domain *domain)
{
	kfree(domain);
}

static struct iommu_domain *bench_mock_domain_alloc_paging(struct device *dev)
{
	struct iommu_domain *domain = kzalloc(sizeof(*domain), GFP_KERNEL);

	if (!domain)
		return ERR_PTR(-ENOMEM);
	domain->pgsize_bitmap = BENCH_MOCK_PGSIZES;
	domain->geometry.aperture_end = DMA_BIT_MASK(48);
	domain->geometry.force_aperture = true;
	return domain;
}

static const struct iommu_ops bench_mock_ops = {
	.owner			= THIS_MODULE,
	.capable		= bench_mock_capable,
	.probe_device		= bench_mock_probe_device,
	.device_group		= bench_mock_device_group,
	.domain_alloc_paging	= bench_mock_domain_alloc_paging,
	.pgsize_bitmap		= BENCH_MOCK_PGSIZES,
	.default_domain_ops = &(const struct iommu_domain_ops) {
		.attach_dev	= bench_mock_attach_dev,
		.map_pages	= bench_mock_map_pages,
		.unmap_pages	= bench_mock_unmap_pages,
		.free		= bench_mock_domain_free,
	},
};

/* A registered mock IOMMU, its devices in one group if @shared. */
static int setup_mock(struct bench_run *r, bool shared)
{
	struct bench_mock *mock;
	int ret;

	if (IS_ENABLED(CONFIG_LOCKDEP))
		return -EOPNOTSUPP;
	mock = kzalloc(sizeof(*mock), GFP_KERNEL);
	if (!mock)
		return -ENOMEM;
	fwnode_init(&mock->fwnode, NULL);
	mock->iommu.fwnode = &mock->fwnode;
	if (shared) {
		mock->shared = iommu_group_alloc();
		if (IS_ERR(mock->shared)) {
			ret = PTR_ERR(mock->shared);
			goto free;
		}
	}
	ret = iommu_device_sysfs_add(&mock->iommu, NULL, NULL, "bench-iommu");
	if (ret)
		goto put_group;
	ret = iommu_device_register(&mock->iommu, &bench_mock_ops, NULL);
	if (ret)
		goto sysfs_remove;
	r->mock = mock;
	return 0;

sysfs_remove:
	iommu_device_sysfs_remove(&mock->iommu);
put_group:
	if (mock->shared)
		iommu_group_put(mock->shared);
free:
	kfree(mock);
	return ret;
}

/* Every device of the mock is gone by now (bench_mock_del_devs()). */
static void teardown_mock(struct bench_run *r)
{
	struct bench_mock *mock = r->mock;

	iommu_device_unregister(&mock->iommu);
	iommu_device_sysfs_remove(&mock->iommu);
	if (mock->shared)
		iommu_group_put(mock->shared);
	kfree(mock);
}

/* Up to @n new devices behind the mock, not yet added; how many. */
static int bench_mock_alloc_devs(struct bench_mock *mock, int n)
{
	struct platform_device *pdev;
	int i;

	for (i = 0; i < n; i++) {
		pdev = platform_device_alloc("iommu-bench-mock", i);
		if (!pdev)
			break;
		if (iommu_fwspec_init(&pdev->dev, &mock->fwnode)) {
			platform_device_put(pdev);
			break;
		}
		mock->pdev[i] = pdev;
	}
	return i;
}

/*
 * Delete the @n devices added, then drop the @total allocated.  The core
 * frees a device's IOMMU data when the device is deleted; a device that a
 * failure kept from being added gives back its fwspec here, and only the
 * small dev->iommu stays behind, which no exported call frees.
 */
static void bench_mock_del_devs(struct bench_mock *mock, int n, int total)
{
	int i;

	for (i = n - 1; i >= 0; i--)
		platform_device_del(mock->pdev[i]);
	for (i = 0; i < total; i++) {
		if (i >= n)
			iommu_fwspec_free(&mock->pdev[i]->dev);
		platform_device_put(mock->pdev[i]);
	}
}

static int setup_mock_single(struct bench_run *r)
{
	return setup_mock(r, false);
}

static int setup_mock_shared(struct bench_run *r)
{
	return setup_mock(r, true);
}

/*
 * Add BENCH_MOCK_DEVS devices behind the mock, then delete them: the
 * devices' allocation and fwspec stay outside the times, device_add() and
 * device_del() inside, with the core's probe and release in them.
 */
static int batch_probe(struct bench_run *r, u64 ns[2])
{
	struct bench_mock *mock = r->mock;
	int total, n, ret = 0;
	u64 t0, t1, t2;

	total = bench_mock_alloc_devs(mock, BENCH_MOCK_DEVS);
	t0 = ktime_get_ns();
	for (n = 0; n < total; n++) {
		ret = platform_device_add(mock->pdev[n]);
		if (ret)
			break;
		if (!mock->pdev[n]->dev.iommu_group) {
			platform_device_del(mock->pdev[n]);
			ret = -ENODEV;
			break;
		}
	}
	t1 = ktime_get_ns();
	bench_mock_del_devs(mock, n, total);
	t2 = ktime_get_ns();

	ns[0] = t1 - t0;
	ns[1] = t2 - t1;
	if (!ret && total < BENCH_MOCK_DEVS)
		ret = -ENOMEM;
	return ret;
}

/* One device behind the mock and a paging domain of the mock's for it. */
static int setup_mock_domain(struct bench_run *r)
{
	struct bench_mock *mock;
	int ret;

	ret = setup_mock(r, false);
	if (ret)
		return ret;
	mock = r->mock;
	ret = -ENOMEM;
	if (bench_mock_alloc_devs(mock, 1) != 1)
		goto teardown;
	ret = platform_device_add(mock->pdev[0]);
	if (ret)
		goto put;
	r->domain = iommu_paging_domain_alloc(&mock->pdev[0]->dev);
	if (!IS_ERR(r->domain))
		return 0;
	ret = PTR_ERR(r->domain);
	bench_mock_del_devs(mock, 1, 1);
	goto teardown;
put:
	bench_mock_del_devs(mock, 0, 1);
teardown:
	teardown_mock(r);
	return ret;
}

static void teardown_mock_domain(struct bench_run *r)
{
	iommu_domain_free(r->domain);
	bench_mock_del_devs(r->mock, 1, 1);
	teardown_mock(r);
}

#define MAP_PAGE(n, t, sfx) { .name = "map_page_" #n sfx,		\
	.fig = { "map", "unmap" }, .batch = batch_map_page,		\
	.arg = n, .threads = t }
#define MAP_COLD(n) { .name = "map_page_cold_" #n,			\
	.fig = { "map", "unmap" }, .setup = setup_cold,			\
	.batch = batch_map_page, .teardown = teardown_cold, .arg = n }
#define MAP_SG(n) { .name = "map_sg_" #n, .fig = { "map", "unmap" },	\
	.setup = setup_sg, .batch = batch_map_sg,			\
	.teardown = teardown_sg, .arg = n }
#define IOVA(n) { .name = "iova_" #n, .fig = { "alloc", "free" },	\
	.setup = setup_iova, .batch = batch_iova,			\
	.teardown = teardown_iova, .arg = n }
/* iommu_map() + iommu_unmap() of @size on the domain @what sets up */
#define IOMMU_MAP(id, what, size) { .name = id,			\
	.fig = { "map", "unmap" }, .setup = setup_##what,		\
	.batch = batch_iommu_map, .teardown = teardown_##what,		\
	.arg = size }
/* A sample is the time of all 32 devices: batches of one */
#define PROBE(id, groups) { .name = id,				\
	.fig = { "probe", "release" }, .setup = setup_mock_##groups,	\
	.batch = batch_probe, .teardown = teardown_mock, .batch_size = 1 }

static const struct bench_case bench_cases[] = {
	MAP_PAGE(1, 1, ""),
	MAP_PAGE(16, 1, ""),
	MAP_PAGE(33, 1, ""),
	MAP_PAGE(256, 1, ""),
	MAP_PAGE(1, BENCH_THREADS, "_2t"),
	MAP_PAGE(16, BENCH_THREADS, "_2t"),
	MAP_PAGE(33, BENCH_THREADS, "_2t"),
	MAP_PAGE(256, BENCH_THREADS, "_2t"),
	MAP_COLD(1),
	MAP_COLD(16),
	MAP_SG(16),
	MAP_SG(128),
	{ .name = "coherent_4k", .fig = { "alloc", "free" },
	  .batch = batch_coherent, .arg = SZ_4K },
	/* Each allocation zeroes 2 MiB: smaller batches. */
	{ .name = "coherent_2m", .fig = { "alloc", "free" },
	  .batch = batch_coherent, .arg = SZ_2M, .batch_size = 8 },
	IOMMU_MAP("iommu_map_4k", attached, SZ_4K),
	IOMMU_MAP("iommu_map_2m", attached, SZ_2M),
	IOVA(1),
	IOVA(16),
	IOVA(33),
	IOVA(256),
	{ .name = "attach_detach", .setup = setup_domain,
	  .batch = batch_attach, .teardown = teardown_domain },
	{ .name = "claim_attach_release", .setup = setup_group,
	  .batch = batch_claim, .teardown = teardown_group },
	IOMMU_MAP("mock_map_4k", mock_domain, SZ_4K),
	IOMMU_MAP("mock_map_2m", mock_domain, SZ_2M),
	PROBE("probe_32", single),
	PROBE("probe_32_shared", shared),
};

/* The timed loop of one thread; yields between batches. */
static int bench_loop(struct bench_run *r)
{
	unsigned int batch = case_batch(r->c);
	u64 ns[2] = { 0, 0 };
	unsigned int i;
	int ret = 0;

	for (i = 0; i < iters; i++) {
		ret = r->c->batch(r, ns);
		if (ret)
			break;
		r->samples[0][i] = div_u64(ns[0], batch);
		r->samples[1][i] = div_u64(ns[1], batch);
		cond_resched();
	}
	return ret;
}

static int bench_thread(void *data)
{
	struct bench_run *r = data;

	wait_for_completion(r->go);
	r->err = bench_loop(r);
	kthread_complete_and_exit(&r->done, 0);
}

/* One kthread per CPU, started together. */
static int bench_threads(struct bench_run *runs, unsigned int threads)
{
	struct task_struct *task;
	DECLARE_COMPLETION_ONSTACK(go);
	unsigned int i, started = 0;
	int ret = 0, cpu = -1;

	if (num_online_cpus() < threads)
		return -ENODEV;
	for (i = 0; i < threads; i++) {
		runs[i].go = &go;
		init_completion(&runs[i].done);
		cpu = cpumask_next(cpu, cpu_online_mask);
		task = kthread_run_on_cpu(bench_thread, &runs[i], cpu,
					  "iommu_bench/%u");
		if (IS_ERR(task)) {
			ret = PTR_ERR(task);
			break;
		}
		started++;
	}
	complete_all(&go);
	for (i = 0; i < started; i++) {
		wait_for_completion_state(&runs[i].done, TASK_IDLE);
		if (!ret)
			ret = runs[i].err;
	}
	return ret;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void bench_report(const struct bench_case *c, int f, u64 *s,
			 unsigned int n, int err)
{
	char name[64];

	if (c->fig[f])
		snprintf(name, sizeof(name), "%s.%s", c->name, c->fig[f]);
	else
		strscpy(name, c->name, sizeof(name));
	if (err) {
		pr_info("BENCH %s error=%d\n", name, err);
		return;
	}
	sort(s, n, sizeof(*s), cmp_u64, NULL);
	pr_info("BENCH %s median_ns=%llu p99_ns=%llu ops=%u\n", name,
		s[n / 2], s[min(n - 1, n * 99 / 100)], n * case_batch(c));
}

static void bench_teardown(struct bench_run *runs, unsigned int n)
{
	while (n--)
		if (runs[n].c->teardown)
			runs[n].c->teardown(&runs[n]);
}

static int bench_setup(struct bench_run *runs, unsigned int threads)
{
	unsigned int i;
	int ret;

	for (i = 0; i < threads; i++) {
		ret = runs[i].c->setup ? runs[i].c->setup(&runs[i]) : 0;
		if (ret) {
			bench_teardown(runs, i);
			return ret;
		}
	}
	return 0;
}

/* See the top of this file: the host counts invalidations between these. */
static void bench_mark(struct bench *b, u32 what, unsigned int nr)
{
	if (mark)
		pci_write_config_dword(to_pci_dev(b->dev), BENCH_MARK_REG,
				       what | nr);
}

/* The timed part of a case, with its marks; setup and teardown around it. */
static int bench_timed(struct bench *b, struct bench_run *runs,
		       unsigned int threads)
{
	unsigned int nr = runs->c - bench_cases;
	int ret;

	ret = bench_setup(runs, threads);
	if (ret)
		return ret;
	if (mark)
		pr_info("BENCH mark %u %s\n", nr, runs->c->name);
	bench_mark(b, BENCH_MARK_BEGIN, nr);
	ret = threads > 1 ? bench_threads(runs, threads) : bench_loop(runs);
	bench_mark(b, BENCH_MARK_END, nr);
	bench_teardown(runs, threads);
	return ret;
}

static void bench_run_case(struct bench *b, const struct bench_case *c)
{
	unsigned int threads = case_threads(c), n = iters * threads;
	struct bench_run *runs;
	u64 *samples[2];
	int f, i, err = -ENOMEM;

	samples[0] = kcalloc(n, sizeof(u64), GFP_KERNEL);
	samples[1] = kcalloc(n, sizeof(u64), GFP_KERNEL);
	runs = kcalloc(threads, sizeof(*runs), GFP_KERNEL);
	if (!samples[0] || !samples[1] || !runs)
		goto out;
	for (i = 0; i < threads; i++) {
		runs[i].b = b;
		runs[i].c = c;
		runs[i].samples[0] = samples[0] + i * iters;
		runs[i].samples[1] = samples[1] + i * iters;
	}
	err = bench_timed(b, runs, threads);
out:
	for (f = 0; f < 2; f++)
		if (!f || c->fig[1])
			bench_report(c, f, samples[f], n, err);
	kfree(runs);
	kfree(samples[1]);
	kfree(samples[0]);
}

static bool bench_fits(const struct bench_case *c)
{
	return (case_threads(c) > 1) == (num_online_cpus() > 1);
}

/*
 * The cases of one entry of the "cases" list: the case it names, or every
 * case that fits the machine and begins with what precedes a final '*'.
 * A pattern lets run-bench.sh give every IOMMU row's boots one list (the
 * DMA API cases are "map_*,coherent_*") and the module pick the cases for
 * the number of CPUs, as it does for an empty list.  Returns how many ran.
 */
static int bench_run_entry(struct bench *b, const char *p, size_t len)
{
	bool prefix = len && p[len - 1] == '*';
	const struct bench_case *c;
	int i, ran = 0;

	if (prefix)
		len--;
	for (i = 0; i < ARRAY_SIZE(bench_cases); i++) {
		c = &bench_cases[i];
		if (prefix ? !strncmp(p, c->name, len) && bench_fits(c) :
			     strlen(c->name) == len && !strncmp(p, c->name, len)) {
			bench_run_case(b, c);
			ran++;
		}
	}
	return ran;
}

/* The cases the "cases" list names, in its order. */
static void bench_run_all(struct bench *b)
{
	const char *p, *end;
	size_t len;
	int i;

	if (!*cases) {
		for (i = 0; i < ARRAY_SIZE(bench_cases); i++)
			if (bench_fits(&bench_cases[i]))
				bench_run_case(b, &bench_cases[i]);
		return;
	}
	for (p = cases; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ',');
		len = end - p;
		/* A pattern no case of this machine fits is no error. */
		if (!bench_run_entry(b, p, len) && len && p[len - 1] != '*')
			pr_info("BENCH %.*s error=%d\n", (int)len, p, -EINVAL);
	}
}

static const char *bench_domain_type(struct iommu_domain *domain)
{
	if (!domain)
		return "none";
	switch (domain->type) {
	case IOMMU_DOMAIN_DMA:
		return "DMA";
	case IOMMU_DOMAIN_DMA_FQ:
		return "DMA-FQ";
	case IOMMU_DOMAIN_IDENTITY:
		return "identity";
	default:
		return "other";
	}
}

static void bench_free(struct bench *b)
{
	int i;

	for (i = 0; i < BENCH_BATCH; i++)
		if (b->blocks[i])
			__free_pages(b->blocks[i], BENCH_BLOCK_ORDER);
	if (b->huge)
		__free_pages(b->huge, get_order(SZ_2M));
}

static int bench_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct bench b = { .dev = dev };
	int i, ret;

	if (pdev->vendor != EDU_VENDOR || pdev->device != EDU_DEVICE)
		return -ENODEV;
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(40));
	if (ret)
		return ret;

	ret = -ENOMEM;
	for (i = 0; i < BENCH_BATCH; i++) {
		b.blocks[i] = alloc_pages(GFP_KERNEL, BENCH_BLOCK_ORDER);
		if (!b.blocks[i])
			goto out;
	}
	b.huge = alloc_pages(GFP_KERNEL, get_order(SZ_2M));
	if (!b.huge)
		goto out;

	dev_info(dev, "default domain %s, %u CPUs, %u batches\n",
		 bench_domain_type(iommu_get_domain_for_dev(dev)),
		 num_online_cpus(), iters);
	ret = 0;
	if (iters)
		bench_run_all(&b);
	pr_info("BENCH done\n");
out:
	bench_free(&b);
	return ret;
}

static void bench_remove(struct pci_dev *pdev)
{
}

static struct pci_driver bench_driver = {
	.name			= KBUILD_MODNAME,
	.probe			= bench_probe,
	.remove			= bench_remove,
	/* See the top of this file. */
	.driver_managed_dma	= true,
};
module_pci_driver(bench_driver);

MODULE_DESCRIPTION("IOMMU core benchmark on QEMU's edu device");
MODULE_LICENSE("GPL");
