// SPDX-License-Identifier: GPL-2.0-only
/*
 * MSI doorbells behind an IOMMU that translates MSI writes (Arm SMMU in
 * front of a GICv3 ITS or GICv2m): the doorbell page must be mapped in the
 * device's domain, and the MSI message must carry its IOVA, not its
 * physical address.
 *
 * Each doorbell page is mapped once per domain, the first time a device
 * of the domain allocates an MSI towards it, and stays mapped until the
 * domain dies: MSI messages may be rewritten at any time (affinity
 * changes), long after their preparation, so the mapping must outlive any
 * single vector.  A DMA API domain takes the IOVA from its IOVA space; a
 * domain its owner manages (VFIO, iommufd) takes it from the MSI window
 * the owner gave iommu_get_msi_cookie().
 */

#include <linux/iommu.h>
#include <linux/msi.h>
#include <linux/slab.h>

#include "dma.h"

/**
 * iommu_get_msi_cookie() - give a caller-managed domain an MSI window
 * @domain: an IOMMU_DOMAIN_UNMANAGED domain without a cookie
 * @base: the start of an IOVA window the owner keeps free for MSIs
 *
 * Doorbell pages are mapped from @base upwards, one granule each, as
 * devices of the domain set up MSIs.
 *
 * Return: 0, -EINVAL for a domain of another type, -EEXIST if it already
 * has a cookie, -ENOMEM.
 */
int iommu_get_msi_cookie(struct iommu_domain *domain, dma_addr_t base)
{
	struct iommu_dma_cookie *cookie = NULL;

	if (domain->type == IOMMU_DOMAIN_UNMANAGED && !domain->iova_cookie)
		cookie = iommu_dma_cookie_alloc(domain, IOMMU_DMA_MSI_COOKIE);
	if (cookie) {
		cookie->msi_iova = base;
		domain->iova_cookie = cookie;
		return 0;
	}
	if (domain->type != IOMMU_DOMAIN_UNMANAGED)
		return -EINVAL;
	return domain->iova_cookie ? -EEXIST : -ENOMEM;
}
EXPORT_SYMBOL(iommu_get_msi_cookie);

static size_t iommu_dma_msi_granule(struct iommu_dma_cookie *cookie)
{
	if (cookie->type == IOMMU_DMA_IOVA_COOKIE)
		return iommu_dma_granule(cookie);
	return 1UL << __ffs(cookie->domain->pgsize_bitmap);
}

static struct iommu_dma_msi_page *
iommu_dma_msi_page_find(struct iommu_dma_cookie *cookie, phys_addr_t page)
{
	struct iommu_dma_msi_page *msi;

	lockdep_assert_held(&cookie->lock);
	list_for_each_entry(msi, &cookie->msi_pages, node)
		if (msi->phys == page)
			return msi;
	return NULL;
}

/* Map the doorbell page @page into @dev's domain and remember it */
static struct iommu_dma_msi_page *
iommu_dma_msi_page_map(struct iommu_dma_cookie *cookie, struct device *dev,
		       phys_addr_t page)
{
	const int prot = IOMMU_WRITE | IOMMU_NOEXEC | IOMMU_MMIO;
	struct iommu_domain *domain = cookie->domain;
	size_t granule = iommu_dma_msi_granule(cookie);
	struct iommu_dma_msi_page *msi;
	dma_addr_t iova;

	lockdep_assert_held(&cookie->lock);

	msi = kzalloc(sizeof(*msi), GFP_KERNEL);
	if (!msi)
		return NULL;

	if (cookie->type == IOMMU_DMA_IOVA_COOKIE)
		iova = iommu_dma_iova_alloc(domain, dev, granule,
					    dma_get_mask(dev));
	else
		iova = cookie->msi_iova;
	if (!iova)
		goto err_free;
	if (iommu_map(domain, iova, page, granule, prot, GFP_KERNEL))
		goto err_iova;

	/* The MSI window is only consumed once the page is mapped */
	if (cookie->type == IOMMU_DMA_MSI_COOKIE)
		cookie->msi_iova += granule;
	msi->phys = page;
	msi->iova = iova;
	list_add(&msi->node, &cookie->msi_pages);
	return msi;

err_iova:
	if (cookie->type == IOMMU_DMA_IOVA_COOKIE)
		iommu_dma_iova_free(cookie, iova, granule);
err_free:
	kfree(msi);
	return NULL;
}

/*
 * The doorbell page of @msi_addr in @cookie's domain, mapped on first use.
 * Mapped pages stay until the domain dies, see the top of this file.
 */
static struct iommu_dma_msi_page *
iommu_dma_msi_page_get(struct iommu_dma_cookie *cookie, struct device *dev,
		       phys_addr_t msi_addr)
{
	phys_addr_t page = ALIGN_DOWN(msi_addr, iommu_dma_msi_granule(cookie));
	struct iommu_dma_msi_page *msi;

	lockdep_assert_held(&cookie->lock);
	msi = iommu_dma_msi_page_find(cookie, page);
	return msi ?: iommu_dma_msi_page_map(cookie, dev, page);
}

/**
 * iommu_dma_prepare_msi() - make an MSI doorbell reachable through the IOMMU
 * @desc: MSI descriptor of a vector being allocated; gets the doorbell IOVA
 * @msi_addr: physical address of the doorbell register
 *
 * For MSI irqchip drivers, at vector allocation, where sleeping is allowed.
 * iommu_dma_compose_msi_msg() later writes the IOVA recorded in @desc into
 * the message.  Devices on a domain without a cookie (identity, or owned
 * by someone who gave it no MSI window) get their messages unchanged.
 *
 * Return: 0, -ENOMEM when the doorbell page could not be mapped.
 */
int iommu_dma_prepare_msi(struct msi_desc *desc, phys_addr_t msi_addr)
{
	struct iommu_domain *domain =
		iommu_get_domain_for_dev(msi_desc_to_dev(desc));
	struct iommu_dma_cookie *cookie = domain ? domain->iova_cookie : NULL;
	struct iommu_dma_msi_page *msi;
	int ret = 0;

	if (!cookie) {
		msi_desc_set_iommu_msi_iova(desc, 0, 0);
		return 0;
	}
	mutex_lock(&cookie->lock);
	msi = iommu_dma_msi_page_get(cookie, msi_desc_to_dev(desc), msi_addr);
	if (msi)
		msi_desc_set_iommu_msi_iova(desc, msi->iova,
					    __ffs(iommu_dma_msi_granule(cookie)));
	else
		ret = -ENOMEM;
	mutex_unlock(&cookie->lock);
	return ret;
}

/**
 * iommu_dma_compose_msi_msg() - point an MSI message at the doorbell's IOVA
 * @desc: the MSI descriptor, prepared by iommu_dma_prepare_msi()
 * @msg: the message the irqchip composed with the physical address
 *
 * Keeps the address bits below the doorbell granule (the register within
 * the page) and replaces the rest with the page's IOVA.  Any context.
 */
void iommu_dma_compose_msi_msg(struct msi_desc *desc, struct msi_msg *msg)
{
	u64 addr, low_mask;

	if (!desc->iommu_msi_shift)
		return;
	low_mask = (1ULL << desc->iommu_msi_shift) - 1;
	addr = ((u64)desc->iommu_msi_iova << desc->iommu_msi_shift) |
	       (msg->address_lo & low_mask);
	msg->address_hi = upper_32_bits(addr);
	msg->address_lo = lower_32_bits(addr);
}
