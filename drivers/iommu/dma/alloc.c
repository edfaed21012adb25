// SPDX-License-Identifier: GPL-2.0-only
/*
 * Coherent and noncontiguous allocations of devices behind a translating
 * IOMMU: dma_alloc_attrs(), dma_alloc_noncontiguous() and the calls that
 * map their buffers to the CPU and to user space.
 *
 * A buffer is one IOVA range of whole granules and comes in one of three
 * kinds, chosen by iommu_dma_alloc():
 *
 *  - page array: order-0 pages (cut from the largest blocks the domain's
 *    page sizes and the page allocator give) behind one IOVA.  Only the
 *    IOMMU sees them as contiguous; the CPU sees them through a vmap() made
 *    by dma_common_pages_remap().  Needs a context that may sleep.
 *  - pool buffer: memory of the atomic pool (kernel/dma/pool.c), already
 *    remapped uncached, for non-coherent devices that cannot sleep.
 *  - contiguous buffer: one block from CMA or the page allocator, used
 *    through the linear map by coherent devices, through a remap by
 *    non-coherent ones.
 *
 * What cpu_addr is, and how free, mmap and get_sgtable find the buffer
 * again from it:
 *  - pool buffer: the pool's own address; dma_free_from_pool() knows it.
 *  - otherwise cpu_addr is a kernel address of the buffer's first page:
 *    the vmap() of a page array, the remap (VM_DMA_COHERENT) or the linear
 *    address of a contiguous buffer.  With DMA_ATTR_NO_KERNEL_MAPPING a
 *    page array, and a contiguous buffer of a non-coherent device, get no
 *    vmap() and cpu_addr is the linear address of the first page: the
 *    opaque cookie of the DMA API, which the caller must not dereference
 *    (for a non-coherent device that alias is cacheable).
 *    iommu_dma_first_page() turns any of them back into the first page.
 *  - the first page's private field tells the kinds apart: a page array's
 *    first page holds the array (struct page **), the first page of a pool
 *    or contiguous buffer holds 0.  iommu_dma_alloc() writes it; we own
 *    the pages until iommu_dma_free(), and the page allocator clears the
 *    field when a page is freed.
 *
 * Lifetimes: the page array (kvmalloc'ed) and its pages belong to the
 * buffer and are freed by iommu_dma_free() or
 * iommu_dma_free_noncontiguous(), always after the IOVA range is unmapped
 * (strict domains have invalidated it by then; lazy ones trust the device
 * not to use the stale IOTLB entries until the flush queue's
 * invalidation, as for any unmap).  The vm area of a remap points
 * at the array (dma_common_find_pages() would find it) but does not own it.
 * A noncontiguous buffer keeps its page array beside the sg_table it hands
 * out, in struct iommu_dma_sgt.
 *
 * Addressing limits are the IOVA's: the pages themselves may sit anywhere
 * (dma_alloc_attrs() drops the zone modifiers before calling us).  The page
 * allocator is never asked for highmem, so that a page array's first page
 * has a linear address; a contiguous buffer that CMA gives in highmem is
 * always remapped.
 */
#include <linux/bitops.h>
#include <linux/dma-map-ops.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/iommu-dma.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "dma.h"

/**
 * struct iommu_dma_sgt - a buffer of iommu_dma_alloc_noncontiguous()
 * @sgt: what the caller gets: one entry per run of physically contiguous
 *       pages, and a single DMA segment, the whole IOVA range, in the
 *       first entry
 * @pages: the page array behind @sgt, for vmap() and vm_map_pages()
 */
struct iommu_dma_sgt {
	struct sg_table sgt;
	struct page **pages;
};

/*
 * The bytes a buffer of @size takes: whole granules, and whole pages when
 * the granule is smaller than a page.  0 if that does not fit in the
 * size_t or in a page count the sg_table and vmap() interfaces take.
 */
static size_t iommu_dma_buf_size(struct iommu_domain *domain, size_t size)
{
	size_t granule = max_t(size_t,
			       iommu_dma_granule(iommu_dma_cookie(domain)),
			       PAGE_SIZE);

	if (!size || size > SIZE_MAX - granule)
		return 0;
	size = ALIGN(size, granule);
	if (size >> PAGE_SHIFT > UINT_MAX)
		return 0;
	return size;
}

/* The first page of a buffer from its cpu_addr, see the top of this file */
static struct page *iommu_dma_first_page(void *cpu_addr)
{
	if (is_vmalloc_addr(cpu_addr))
		return vmalloc_to_page(cpu_addr);
	return virt_to_page(cpu_addr);
}

/* The page array of a buffer whose first page is @first, NULL if none */
static struct page **iommu_dma_page_array(struct page *first)
{
	return (struct page **)page_private(first);
}

/*
 * One zeroed block of the largest order in @*orders that fits in @left
 * pages, split into order-0 pages so that each can be inserted into user
 * page tables and freed on its own.  The smallest order in @*orders, the
 * granule's, is asked for with the caller's flags; larger ones only get a
 * quick try, and one that fails is dropped from @*orders so that the rest
 * of the buffer does not retry it.
 */
static struct page *iommu_dma_alloc_block(int nid, unsigned long *orders,
					  unsigned int left, gfp_t gfp,
					  unsigned int *order)
{
	unsigned long fit = *orders & GENMASK(__fls(left), 0);
	unsigned int min_order = __ffs(*orders);
	struct page *page;

	while (fit) {
		unsigned int ord = __fls(fit);
		gfp_t flags = gfp | __GFP_ZERO;

		if (ord > min_order)
			flags = (flags & ~__GFP_NOFAIL) | __GFP_NOWARN |
				__GFP_NORETRY;
		page = alloc_pages_node(nid, flags, ord);
		if (page) {
			if (ord)
				split_page(page, ord);
			*order = ord;
			return page;
		}
		fit &= ~BIT(ord);
		*orders &= ~BIT(ord);
	}
	return NULL;
}

/* Free @count pages of a page array, then the array */
static void iommu_dma_free_page_array(struct page **pages, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++)
		__free_page(pages[i]);
	kvfree(pages);
}

/*
 * A page array of @count zeroed pages for a buffer of @domain, @count a
 * multiple of the granule's pages.  Every block is at least a granule and
 * naturally aligned, so that iommu_map_sg() can map the array; blocks of
 * the domain's larger page sizes are tried first, unless the caller asked
 * for DMA_ATTR_ALLOC_SINGLE_PAGES.
 */
static struct page **iommu_dma_alloc_page_array(struct device *dev,
						struct iommu_domain *domain,
						unsigned int count, gfp_t gfp,
						unsigned long attrs)
{
	size_t granule = iommu_dma_granule(iommu_dma_cookie(domain));
	unsigned int min_order = get_order(granule);
	unsigned long orders = BIT(min_order);
	int nid = dev_to_node(dev);
	struct page **pages;
	unsigned int i = 0;

	if (!(attrs & DMA_ATTR_ALLOC_SINGLE_PAGES))
		orders |= (domain->pgsize_bitmap >> PAGE_SHIFT) &
			  GENMASK(MAX_PAGE_ORDER, min_order);

	pages = kvcalloc(count, sizeof(*pages), gfp);
	if (!pages)
		return NULL;

	while (i < count) {
		unsigned int order, j;
		struct page *page;

		page = iommu_dma_alloc_block(nid, &orders, count - i, gfp,
					     &order);
		if (!page)
			goto out_free;
		for (j = 0; j < 1U << order; j++)
			pages[i++] = nth_page(page, j);
	}
	return pages;

out_free:
	iommu_dma_free_page_array(pages, i);
	return NULL;
}

/*
 * Map the @size bytes of a page array at one new IOVA, through @sgt, which
 * this builds from the array and which the caller owns and frees once the
 * call succeeded.  Returns the IOVA, or DMA_MAPPING_ERROR with nothing
 * allocated or mapped.
 */
static dma_addr_t iommu_dma_map_page_array(struct device *dev,
					   struct iommu_domain *domain,
					   struct sg_table *sgt,
					   struct page **pages, size_t size,
					   int prot, gfp_t gfp)
{
	unsigned int max_seg = max_t(unsigned int, dma_get_max_seg_size(dev),
				     PAGE_SIZE);
	dma_addr_t iova;

	/*
	 * The CPU side of a noncontiguous buffer is handed to the caller (and
	 * to dma-debug) as it is: no entry longer than the device's segments.
	 */
	if (sg_alloc_table_from_pages_segment(sgt, pages, size >> PAGE_SHIFT, 0,
					      size, max_seg, gfp))
		return DMA_MAPPING_ERROR;

	iova = iommu_dma_iova_alloc(domain, dev, size, dev->coherent_dma_mask);
	if (!iova)
		goto out_free_table;
	/* It maps the whole list or leaves nothing of it mapped */
	if (iommu_map_sg(domain, iova, sgt->sgl, sgt->orig_nents, prot,
			 gfp) < 0)
		goto out_free_iova;
	return iova;

out_free_iova:
	iommu_dma_iova_free(iommu_dma_cookie(domain), iova, size);
out_free_table:
	sg_free_table(sgt);
	return DMA_MAPPING_ERROR;
}

/* A page array buffer, for callers that may sleep */
static void *iommu_dma_alloc_array(struct device *dev,
				   struct iommu_domain *domain, size_t size,
				   dma_addr_t *handle, gfp_t gfp,
				   unsigned long attrs)
{
	bool coherent = dev_is_dma_coherent(dev);
	unsigned int count = size >> PAGE_SHIFT;
	struct page **pages;
	struct sg_table sgt;
	unsigned int i;
	void *vaddr;

	pages = iommu_dma_alloc_page_array(dev, domain, count, gfp, attrs);
	if (!pages)
		return NULL;

	/*
	 * The zeroes went through the cacheable linear map: write them back
	 * before the device or an uncached alias reads the pages, and so that
	 * no dirty line is evicted over what the device wrote later.
	 */
	if (!coherent)
		for (i = 0; i < count; i++)
			arch_dma_prep_coherent(pages[i], PAGE_SIZE);

	*handle = iommu_dma_map_page_array(dev, domain, &sgt, pages, size,
					   iommu_dma_prot(DMA_BIDIRECTIONAL,
							  coherent, attrs),
					   gfp);
	if (*handle == DMA_MAPPING_ERROR)
		goto out_free_pages;
	sg_free_table(&sgt);

	if (attrs & DMA_ATTR_NO_KERNEL_MAPPING) {
		vaddr = page_address(pages[0]);
	} else {
		vaddr = dma_common_pages_remap(pages, size,
					       dma_pgprot(dev, PAGE_KERNEL,
							  attrs),
					       __builtin_return_address(0));
		if (!vaddr)
			goto out_unmap;
	}
	set_page_private(pages[0], (unsigned long)pages);
	return vaddr;

out_unmap:
	iommu_dma_unmap_range(dev, *handle, size);
out_free_pages:
	iommu_dma_free_page_array(pages, count);
	return NULL;
}

/*
 * A buffer from the atomic pool, for non-coherent devices that cannot
 * sleep: making an uncached alias of fresh pages may sleep, the pool's
 * memory has one already.
 */
static void *iommu_dma_alloc_pool(struct device *dev, size_t size,
				  dma_addr_t *handle, gfp_t gfp,
				  unsigned long attrs)
{
	struct page *page;
	void *vaddr;

	if (!IS_ENABLED(CONFIG_DMA_DIRECT_REMAP))
		return NULL;

	/* The pool zeroes it; any physical address is fine behind an IOMMU */
	page = dma_alloc_from_pool(dev, size, &vaddr, gfp, NULL);
	if (!page)
		return NULL;

	*handle = iommu_dma_map_range(dev, page_to_phys(page), size,
				      iommu_dma_prot(DMA_BIDIRECTIONAL, false,
						     attrs),
				      dev->coherent_dma_mask);
	if (*handle == DMA_MAPPING_ERROR) {
		dma_free_from_pool(dev, vaddr, size);
		return NULL;
	}
	set_page_private(page, 0);
	return vaddr;
}

/*
 * A physically contiguous buffer: for DMA_ATTR_FORCE_CONTIGUOUS, and for
 * coherent devices that cannot sleep.  A caller that cannot sleep gets no
 * CMA and no highmem page (dma_alloc_contiguous() refuses it, the page
 * allocator is not asked for highmem) and is a coherent device, so it never
 * needs the remap, which may sleep.
 */
static void *iommu_dma_alloc_contig(struct device *dev, size_t size,
				    dma_addr_t *handle, gfp_t gfp,
				    unsigned long attrs)
{
	bool coherent = dev_is_dma_coherent(dev);
	unsigned int count = size >> PAGE_SHIFT;
	struct page *page;
	unsigned int i;
	void *vaddr;

	page = dma_alloc_contiguous(dev, size, gfp);
	if (!page)
		page = alloc_pages_node(dev_to_node(dev), gfp, get_order(size));
	if (!page)
		return NULL;

	/* CMA does not zero; one pass for both sources */
	for (i = 0; i < count; i++)
		clear_highpage(nth_page(page, i));
	if (!coherent)
		arch_dma_prep_coherent(page, size);

	*handle = iommu_dma_map_range(dev, page_to_phys(page), size,
				      iommu_dma_prot(DMA_BIDIRECTIONAL,
						     coherent, attrs),
				      dev->coherent_dma_mask);
	if (*handle == DMA_MAPPING_ERROR)
		goto out_free;

	/*
	 * The linear map serves a coherent device, and is the cookie of a
	 * non-coherent one that asked for no kernel mapping.  A highmem page
	 * has no linear address, so it is remapped even then.
	 */
	set_page_private(page, 0);
	if (!PageHighMem(page) &&
	    (coherent || (attrs & DMA_ATTR_NO_KERNEL_MAPPING)))
		return page_address(page);

	vaddr = dma_common_contiguous_remap(page, size,
					    dma_pgprot(dev, PAGE_KERNEL, attrs),
					    __builtin_return_address(0));
	if (!vaddr)
		goto out_unmap;
	return vaddr;

out_unmap:
	iommu_dma_unmap_range(dev, *handle, size);
out_free:
	dma_free_contiguous(dev, page, size);
	return NULL;
}

/**
 * iommu_dma_alloc() - allocate a coherent buffer for dma_alloc_attrs()
 * @dev: a device with dev->dma_iommu set
 * @size: bytes
 * @handle: returns the buffer's DMA address
 * @gfp: allocation flags, without zone modifiers (dma_alloc_attrs() drops
 *       them: the device's addressing limits apply to the IOVA)
 * @attrs: DMA_ATTR_* flags
 *
 * The buffer is zeroed and takes whole pages and whole IOMMU granules.  A
 * caller that may sleep gets a page array, unless it asked for
 * DMA_ATTR_FORCE_CONTIGUOUS; a non-coherent device that cannot sleep gets
 * memory of the atomic pool; otherwise the buffer is physically contiguous.
 * With DMA_ATTR_NO_KERNEL_MAPPING the return value may be a cookie, which
 * only iommu_dma_free(), iommu_dma_mmap() and iommu_dma_get_sgtable() may
 * be given.
 *
 * Return: the buffer's kernel address or cookie, NULL on failure with
 * nothing allocated or mapped.
 */
void *iommu_dma_alloc(struct device *dev, size_t size, dma_addr_t *handle,
		      gfp_t gfp, unsigned long attrs)
{
	struct iommu_domain *domain = iommu_dma_domain(dev);
	bool blocking = gfpflags_allow_blocking(gfp);

	if (!domain)
		return NULL;
	size = iommu_dma_buf_size(domain, size);
	if (!size)
		return NULL;
	if (attrs & DMA_ATTR_NO_WARN)
		gfp |= __GFP_NOWARN;

	if (blocking && !(attrs & DMA_ATTR_FORCE_CONTIGUOUS))
		return iommu_dma_alloc_array(dev, domain, size, handle, gfp,
					     attrs);
	if (!blocking && !dev_is_dma_coherent(dev))
		return iommu_dma_alloc_pool(dev, size, handle, gfp, attrs);
	return iommu_dma_alloc_contig(dev, size, handle, gfp, attrs);
}

/**
 * iommu_dma_free() - free a buffer of iommu_dma_alloc()
 * @dev: the device it was allocated for
 * @size: as allocated
 * @cpu_addr: what iommu_dma_alloc() returned
 * @handle: the buffer's DMA address
 * @attrs: as allocated
 *
 * The IOVA range is unmapped before the memory is freed.  A pool buffer
 * may be freed in atomic context, any other only where the caller may
 * sleep.
 */
void iommu_dma_free(struct device *dev, size_t size, void *cpu_addr,
		    dma_addr_t handle, unsigned long attrs)
{
	struct iommu_domain *domain = iommu_dma_domain(dev);
	struct page **pages;
	struct page *first;

	/* Never after a successful allocation: keep what we cannot unmap */
	if (WARN_ON_ONCE(!domain))
		return;
	size = iommu_dma_buf_size(domain, size);

	iommu_dma_unmap_range(dev, handle, size);
	if (IS_ENABLED(CONFIG_DMA_DIRECT_REMAP) &&
	    dma_free_from_pool(dev, cpu_addr, size))
		return;

	first = iommu_dma_first_page(cpu_addr);
	pages = iommu_dma_page_array(first);
	if (is_vmalloc_addr(cpu_addr))
		dma_common_free_remap(cpu_addr, size);
	if (pages)
		iommu_dma_free_page_array(pages, size >> PAGE_SHIFT);
	else
		dma_free_contiguous(dev, first, size);
}

/**
 * iommu_dma_mmap() - map a buffer of iommu_dma_alloc() into user space
 * @dev: the device it was allocated for
 * @vma: the user mapping; vma->vm_pgoff is the offset in the buffer, in
 *       pages
 * @cpu_addr: what iommu_dma_alloc() returned
 * @dma_addr: the buffer's DMA address
 * @size: as allocated
 * @attrs: as allocated
 *
 * User space gets the attributes the kernel mapping has (uncached or
 * write-combining for a non-coherent device).  Buffers of the device's own
 * coherent memory (dma_alloc_from_dev_coherent()) are mapped from there.
 *
 * Return: 0, -ENXIO if @vma reaches beyond the buffer, or the errno of the
 * mapping.
 */
int iommu_dma_mmap(struct device *dev, struct vm_area_struct *vma,
		   void *cpu_addr, dma_addr_t dma_addr, size_t size,
		   unsigned long attrs)
{
	unsigned long count = PAGE_ALIGN(size) >> PAGE_SHIFT;
	struct page **pages;
	struct page *first;
	int ret;

	vma->vm_page_prot = dma_pgprot(dev, vma->vm_page_prot, attrs);
	if (dma_mmap_from_dev_coherent(dev, vma, cpu_addr, size, &ret))
		return ret;

	if (vma->vm_pgoff >= count || vma_pages(vma) > count - vma->vm_pgoff)
		return -ENXIO;

	first = iommu_dma_first_page(cpu_addr);
	pages = iommu_dma_page_array(first);
	if (pages)
		return vm_map_pages(vma, pages, count);
	return remap_pfn_range(vma, vma->vm_start,
			       page_to_pfn(first) + vma->vm_pgoff,
			       vma_pages(vma) << PAGE_SHIFT,
			       vma->vm_page_prot);
}

/**
 * iommu_dma_get_sgtable() - describe a buffer of iommu_dma_alloc() by pages
 * @dev: the device it was allocated for
 * @sgt: the table to fill; the caller frees it with sg_free_table()
 * @cpu_addr: what iommu_dma_alloc() returned
 * @dma_addr: the buffer's DMA address
 * @size: as allocated
 * @attrs: as allocated
 *
 * A page array gives one entry per run of physically contiguous pages, any
 * other buffer a single entry.  Only the CPU side (pages, offsets,
 * lengths) is filled in.
 *
 * Return: 0, or -ENOMEM.
 */
int iommu_dma_get_sgtable(struct device *dev, struct sg_table *sgt,
			  void *cpu_addr, dma_addr_t dma_addr, size_t size,
			  unsigned long attrs)
{
	struct page *first = iommu_dma_first_page(cpu_addr);
	struct page **pages = iommu_dma_page_array(first);
	size_t len = PAGE_ALIGN(size);
	int ret;

	if (pages)
		return sg_alloc_table_from_pages(sgt, pages, len >> PAGE_SHIFT,
						 0, len, GFP_KERNEL);

	ret = sg_alloc_table(sgt, 1, GFP_KERNEL);
	if (!ret)
		sg_set_page(sgt->sgl, first, len, 0);
	return ret;
}

/**
 * iommu_dma_alloc_noncontiguous() - allocate for dma_alloc_noncontiguous()
 * @dev: a device with dev->dma_iommu set
 * @size: bytes
 * @dir: the direction of the device's accesses
 * @gfp: allocation flags; zone modifiers are ignored, the device's
 *       addressing limits apply to the IOVA
 * @attrs: 0 or DMA_ATTR_ALLOC_SINGLE_PAGES
 *
 * The buffer is zeroed, cacheable memory: the caller owns it for the CPU
 * and hands it to the device with dma_sync_sgtable_for_device().  Its
 * pages are mapped at one IOVA range, so the table has a single DMA
 * segment, in its first entry; each entry's CPU side is a run of
 * physically contiguous pages.
 *
 * Return: the table, or NULL on failure with nothing allocated or mapped.
 */
struct sg_table *iommu_dma_alloc_noncontiguous(struct device *dev, size_t size,
					       enum dma_data_direction dir,
					       gfp_t gfp, unsigned long attrs)
{
	struct iommu_domain *domain = iommu_dma_domain(dev);
	struct iommu_dma_sgt *buf;
	dma_addr_t iova;
	int prot;

	if (!domain)
		return NULL;
	size = iommu_dma_buf_size(domain, size);
	/* One DMA segment, whose length is an unsigned int */
	if (!size || size > UINT_MAX)
		return NULL;
	gfp &= ~(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM);

	buf = kzalloc(sizeof(*buf), gfp);
	if (!buf)
		return NULL;
	buf->pages = iommu_dma_alloc_page_array(dev, domain, size >> PAGE_SHIFT,
						gfp, attrs);
	if (!buf->pages)
		goto out_free_buf;

	prot = iommu_dma_prot(dir, dev_is_dma_coherent(dev), attrs);
	iova = iommu_dma_map_page_array(dev, domain, &buf->sgt, buf->pages,
					size, prot, gfp);
	if (iova == DMA_MAPPING_ERROR)
		goto out_free_pages;

	sg_dma_address(buf->sgt.sgl) = iova;
	sg_dma_len(buf->sgt.sgl) = size;
	buf->sgt.nents = 1;
	return &buf->sgt;

out_free_pages:
	iommu_dma_free_page_array(buf->pages, size >> PAGE_SHIFT);
out_free_buf:
	kfree(buf);
	return NULL;
}

/**
 * iommu_dma_free_noncontiguous() - free a noncontiguous buffer
 * @dev: the device it was allocated for
 * @size: as allocated
 * @sgt: the table iommu_dma_alloc_noncontiguous() returned
 * @dir: as allocated
 *
 * The IOVA range is unmapped before the pages are freed; the table goes
 * with them.  May sleep.
 */
void iommu_dma_free_noncontiguous(struct device *dev, size_t size,
				  struct sg_table *sgt,
				  enum dma_data_direction dir)
{
	struct iommu_dma_sgt *buf = container_of(sgt, struct iommu_dma_sgt, sgt);
	struct iommu_domain *domain = iommu_dma_domain(dev);

	/* Never after a successful allocation: keep what we cannot unmap */
	if (WARN_ON_ONCE(!domain))
		return;
	size = iommu_dma_buf_size(domain, size);

	iommu_dma_unmap_range(dev, sg_dma_address(sgt->sgl), size);
	iommu_dma_free_page_array(buf->pages, size >> PAGE_SHIFT);
	sg_free_table(sgt);
	kfree(buf);
}

/**
 * iommu_dma_vmap_noncontiguous() - map a noncontiguous buffer for the kernel
 * @dev: the device it was allocated for
 * @size: as allocated
 * @sgt: the table iommu_dma_alloc_noncontiguous() returned
 *
 * The mapping is cacheable (PAGE_KERNEL), like the buffer; the caller
 * removes it with vunmap() (iommu_dma_vunmap_noncontiguous()) before it
 * frees the buffer.  May sleep.
 *
 * Return: the kernel address, or NULL.
 */
void *iommu_dma_vmap_noncontiguous(struct device *dev, size_t size,
				   struct sg_table *sgt)
{
	struct iommu_dma_sgt *buf = container_of(sgt, struct iommu_dma_sgt, sgt);

	return vmap(buf->pages, PAGE_ALIGN(size) >> PAGE_SHIFT, VM_MAP,
		    PAGE_KERNEL);
}

/**
 * iommu_dma_mmap_noncontiguous() - map a noncontiguous buffer to user space
 * @dev: the device it was allocated for
 * @vma: the user mapping; vma->vm_pgoff is the offset in the buffer, in
 *       pages
 * @size: as allocated
 * @sgt: the table iommu_dma_alloc_noncontiguous() returned
 *
 * The mapping keeps @vma's attributes: the buffer is cacheable.
 *
 * Return: 0, -ENXIO if @vma reaches beyond the buffer, or the errno of the
 * mapping.
 */
int iommu_dma_mmap_noncontiguous(struct device *dev, struct vm_area_struct *vma,
				 size_t size, struct sg_table *sgt)
{
	struct iommu_dma_sgt *buf = container_of(sgt, struct iommu_dma_sgt, sgt);

	return vm_map_pages(vma, buf->pages, PAGE_ALIGN(size) >> PAGE_SHIFT);
}
