// SPDX-License-Identifier: GPL-2.0-only
/*
 * The attributes of /sys/kernel/iommu_groups/<id>/ (group.c makes the
 * directory and its "devices" links).  Their names, contents and error
 * codes are ABI, documented in Documentation/ABI/testing/sysfs-kernel-iommu_groups.
 *
 * The callbacks run with a kernfs active reference on their file, which
 * keeps the group allocated: the group is freed only after its directory
 * is removed, and removal waits for these callbacks to return.  That same
 * wait is why "type" and "reserved_regions", whose callbacks take the group
 * mutex, are never removed or re-created under the group mutex or under a
 * lock that may be held while taking it; "name" takes no lock at all.
 */

#include <linux/capability.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "../dma-iommu.h"
#include "core.h"

static struct iommu_group *kobj_to_iommu_grp(struct kobject *kobj)
{
	return container_of(kobj, struct iommu_group, kobj);
}

/* A value and its name in sysfs: the names are ABI */
struct iommu_grp_name {
	unsigned int value;
	const char *name;
};

/* Default domain types as "type" shows them */
static const struct iommu_grp_name iommu_grp_domain_types[] = {
	{ IOMMU_DOMAIN_BLOCKED,		"blocked" },
	{ IOMMU_DOMAIN_IDENTITY,	"identity" },
	{ IOMMU_DOMAIN_UNMANAGED,	"unmanaged" },
	{ IOMMU_DOMAIN_DMA,		"DMA" },
	{ IOMMU_DOMAIN_DMA_FQ,		"DMA-FQ" },
	{ }
};

/* Reserved region types as "reserved_regions" shows them */
static const struct iommu_grp_name iommu_grp_resv_types[] = {
	{ IOMMU_RESV_DIRECT,		"direct" },
	{ IOMMU_RESV_DIRECT_RELAXABLE,	"direct-relaxable" },
	{ IOMMU_RESV_RESERVED,		"reserved" },
	/* Userspace only has to keep its IOVAs away from either MSI window */
	{ IOMMU_RESV_MSI,		"msi" },
	{ IOMMU_RESV_SW_MSI,		"msi" },
	{ }
};

/* The name of @value in the table @names, which ends with an empty entry */
static const char *iommu_grp_name_of(const struct iommu_grp_name *names,
				     unsigned int value)
{
	for (; names->name; names++)
		if (names->value == value)
			return names->name;
	return "unknown";
}

/* A domain type by the name "type" shows, "unknown" for one it never shows */
const char *iommu_grp_type_name(unsigned int type)
{
	return iommu_grp_name_of(iommu_grp_domain_types, type);
}

/* The IOMMU_DOMAIN_* type written to "type", 0 for "auto" (the policy's) */
static int iommu_grp_parse_type(const char *buf)
{
	const struct iommu_grp_name *type;

	if (sysfs_streq(buf, "auto"))
		return 0;
	for (type = iommu_grp_domain_types; type->name; type++) {
		/* A default domain translates for the DMA API or is identity */
		if (sysfs_streq(buf, type->name) &&
		    (type->value == IOMMU_DOMAIN_IDENTITY ||
		     type->value & __IOMMU_DOMAIN_DMA_API))
			return type->value;
	}
	return -EINVAL;
}

static ssize_t type_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	struct iommu_group *group = kobj_to_iommu_grp(kobj);
	const char *name;

	mutex_lock(&group->mutex);
	if (group->default_domain)
		name = iommu_grp_name_of(iommu_grp_domain_types,
					 group->default_domain->type);
	else
		name = "unknown";
	mutex_unlock(&group->mutex);

	return sysfs_emit(buf, "%s\n", name);
}

/*
 * Give @group a default domain of type @req (0: the policy's choice).
 * Replacing the domain is only safe while nobody uses it: no driver bound
 * (which would be on the DMA API, owner state DMA_API) and no private
 * owner.  The one change a domain in use survives is DMA gaining a flush
 * queue in place.  A driver binding meanwhile takes the group mutex to
 * move the group to DMA_API, so holding it here is enough: neither the
 * probe lock nor a device_lock() is needed (and taking the probe lock
 * would deadlock against a probe path removing this group's directory).
 */
static int iommu_grp_change_default(struct iommu_group *group, int req)
{
	struct iommu_domain *def = group->default_domain;
	struct group_device *gdev;
	int ret;

	iommu_grp_assert_locked(group);

	if (!def)
		return -EINVAL;
	if (list_empty(&group->devices))
		return -EPERM;

	/*
	 * policy.c decides what a group in use may still change (a DMA
	 * domain gaining its flush queue in place) and refuses the rest.
	 */
	ret = iommu_dom_setup_default(group, req);
	if (ret)
		return ret;

	/*
	 * A domain changed in place (DMA gaining its flush queue) may be in
	 * use, and its users' DMA ops stay as they are: rewriting them under
	 * live DMA, for a driver on a domain of its own, would send its
	 * unmaps elsewhere.  A new default domain has no users: its members
	 * follow it with their DMA ops.
	 */
	if (group->default_domain == def)
		return 0;
	for_each_group_device(group, gdev)
		iommu_setup_dma_ops(gdev->dev);
	return 0;
}

static ssize_t type_store(struct kobject *kobj, struct kobj_attribute *attr,
			  const char *buf, size_t count)
{
	struct iommu_group *group = kobj_to_iommu_grp(kobj);
	int req, ret;

	/* Switching a group to identity hands its devices all of memory */
	if (!capable(CAP_SYS_ADMIN) || !capable(CAP_SYS_RAWIO))
		return -EACCES;

	req = iommu_grp_parse_type(buf);
	if (req < 0)
		return req;

	mutex_lock(&group->mutex);
	ret = iommu_grp_change_default(group, req);
	mutex_unlock(&group->mutex);

	return ret ? ret : count;
}

/* One line per merged region: "<first> <last> <type>", addresses inclusive */
static ssize_t reserved_regions_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	struct iommu_group *group = kobj_to_iommu_grp(kobj);
	struct iommu_resv_region *region, *next;
	LIST_HEAD(regions);
	ssize_t len = 0;
	int ret;

	mutex_lock(&group->mutex);
	ret = iommu_resv_group_regions(group, &regions);
	mutex_unlock(&group->mutex);

	list_for_each_entry_safe(region, next, &regions, list) {
		u64 first = region->start;
		u64 last = first + region->length - 1;
		const char *type = iommu_grp_name_of(iommu_grp_resv_types,
						     region->type);

		if (!ret)
			len += sysfs_emit_at(buf, len, "0x%016llx 0x%016llx %s\n",
					     first, last, type);
		list_del(&region->list);
		kfree(region);
	}
	return ret ? ret : len;
}

/*
 * No lock: iommu_group_set_name() clears the pointer and hides this file,
 * which waits for us, before it frees the string.
 */
static ssize_t name_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	const char *name = READ_ONCE(kobj_to_iommu_grp(kobj)->name);

	return name ? sysfs_emit(buf, "%s\n", name) : -ENOENT;
}

static struct kobj_attribute iommu_grp_attr_type = __ATTR_RW(type);
static struct kobj_attribute iommu_grp_attr_resv = __ATTR_RO(reserved_regions);
static struct kobj_attribute iommu_grp_attr_name = __ATTR_RO(name);

static struct attribute *iommu_grp_attrs[] = {
	&iommu_grp_attr_type.attr,
	&iommu_grp_attr_resv.attr,
	NULL
};

static const struct attribute_group iommu_grp_attr_group = {
	.attrs = iommu_grp_attrs,
};

/* "name" exists only while the group has one */
static struct attribute *iommu_grp_name_attrs[] = {
	&iommu_grp_attr_name.attr,
	NULL
};

static umode_t iommu_grp_name_visible(struct kobject *kobj,
				      struct attribute *attr, int n)
{
	return READ_ONCE(kobj_to_iommu_grp(kobj)->name) ? attr->mode : 0;
}

static const struct attribute_group iommu_grp_name_group = {
	.attrs = iommu_grp_name_attrs,
	.is_visible = iommu_grp_name_visible,
};

static const struct attribute_group *iommu_grp_attr_groups[] = {
	&iommu_grp_attr_group,
	&iommu_grp_name_group,
	NULL
};

/*
 * Create every attribute of a new group (@populate), or re-evaluate "name"
 * alone: re-creating "type" or "reserved_regions" would wait for their
 * callbacks, which take the group mutex, under whatever lock the caller of
 * iommu_group_set_name() holds.  On failure the attributes concerned are
 * gone.
 */
int iommu_grp_sysfs_update(struct iommu_group *group, bool populate)
{
	if (populate)
		return sysfs_create_groups(&group->kobj, iommu_grp_attr_groups);
	return sysfs_update_group(&group->kobj, &iommu_grp_name_group);
}
