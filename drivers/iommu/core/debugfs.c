// SPDX-License-Identifier: GPL-2.0-only
/*
 * Groups that explain themselves: /sys/kernel/debug/iommu/groups/<id>.
 *
 * Users of VFIO ask why a device is in the group it is in: the answer is
 * in the topology the IOMMU driver's device_group() looked at, which this
 * file reads again for every pair of members.  The file also shows what the
 * group is attached to and who owns it, from the state the rest of the core
 * keeps; nothing here writes any of it.
 *
 * Lifetime: the file is created with the group and removed by the group's
 * release before the group is freed.  A read holds the file with
 * debugfs_file_get() while it looks at the group, and debugfs_remove()
 * waits for such holders, so a reader never sees a freed group (a read
 * after the removal fails with -EIO).  A reader takes the group mutex,
 * like any other user of the group's state.
 */
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/xarray.h>

#include "core.h"

static struct dentry *iommu_grp_debugfs_dir;

#ifdef CONFIG_PCI
/* pci_for_each_dma_alias() callback: the last device whose ID is used */
static int dbg_alias_top(struct pci_dev *pdev, u16 alias, void *data)
{
	*(struct pci_dev **)data = pdev;
	return 0;
}

/* The device whose requester ID the IOMMU sees for @pdev's DMA */
static struct pci_dev *dbg_requester(struct pci_dev *pdev)
{
	struct pci_dev *top = pdev;

	pci_for_each_dma_alias(pdev, dbg_alias_top, &top);
	return top;
}

/* The first bridge above @pdev whose path up does not isolate with ACS */
static struct pci_dev *dbg_unisolated_bridge(struct pci_dev *pdev)
{
	struct pci_bus *bus;

	for (bus = pdev->bus; !pci_is_root_bus(bus); bus = bus->parent) {
		struct pci_dev *bridge = bus->self;

		if (bridge &&
		    !pci_acs_path_enabled(bridge, NULL, IOMMU_PCI_ACS_ISOLATED))
			return bridge;
	}
	return NULL;
}

/*
 * Why two PCI members share the group: the reasons pci_device_group()
 * acts on, in the order it looks at them.  False if none applies to the
 * pair directly (they may still be joined through a third member).
 */
static bool dbg_explain_pci(struct seq_file *s, struct pci_dev *a,
			    struct pci_dev *b)
{
	struct pci_dev *ta = dbg_requester(a), *tb = dbg_requester(b);
	struct pci_dev *bridge;

	if (pci_devs_are_dma_aliases(a, b)) {
		seq_puts(s, "DMA aliases of each other (quirk or devfn alias)");
		return true;
	}
	if (ta == tb && ta != a && ta != b) {
		seq_printf(s, "both behind %s %s, whose requester ID their DMA carries",
			   pci_pcie_type(ta) == PCI_EXP_TYPE_PCI_BRIDGE ?
			   "PCIe-to-PCI bridge" : "bridge", pci_name(ta));
		return true;
	}
	if (ta == b || tb == a) {
		seq_printf(s, "%s issues DMA with the requester ID of %s",
			   pci_name(ta == b ? a : b), pci_name(ta == b ? b : a));
		return true;
	}
	bridge = dbg_unisolated_bridge(a);
	if (bridge && bridge == dbg_unisolated_bridge(b)) {
		seq_printf(s, "both below %s, which lacks ACS isolation upstream: they can reach each other without the IOMMU",
			   pci_name(bridge));
		return true;
	}
	if (a->bus == b->bus && PCI_SLOT(a->devfn) == PCI_SLOT(b->devfn) &&
	    a->multifunction &&
	    !pci_acs_enabled(a, IOMMU_PCI_ACS_ISOLATED) &&
	    !pci_acs_enabled(b, IOMMU_PCI_ACS_ISOLATED)) {
		seq_printf(s, "functions of multifunction slot %04x:%02x:%02x without ACS",
			   pci_domain_nr(a->bus), a->bus->number,
			   PCI_SLOT(a->devfn));
		return true;
	}
	return false;
}
#endif

/* One line: why members @a and @b are in one group */
static void dbg_explain_pair(struct seq_file *s, struct device *a,
			     struct device *b)
{
	seq_printf(s, "why %s %s: ", dev_name(a), dev_name(b));
#ifdef CONFIG_PCI
	if (dev_is_pci(a) && dev_is_pci(b)) {
		if (!dbg_explain_pci(s, to_pci_dev(a), to_pci_dev(b)))
			seq_puts(s, "through another member of the group");
		seq_putc(s, '\n');
		return;
	}
#endif
	seq_puts(s, "the IOMMU driver's device_group() put them together\n");
}

/* Domains by the names of sysfs "type" */
static void dbg_show_domain(struct seq_file *s, const char *what,
			    struct iommu_domain *domain)
{
	seq_printf(s, "%s: %s\n", what,
		   domain ? iommu_grp_type_name(domain->type) : "none");
}

static const char *dbg_current_domain(struct iommu_group *group)
{
	struct iommu_domain *domain = group->domain;

	if (!domain)
		return "none";
	if (domain == group->default_domain)
		return "default";
	if (domain == group->blocking_domain)
		return "blocking";
	return "the owner's or driver's own";
}

static void dbg_group_show_locked(struct seq_file *s,
				  struct iommu_group *group)
{
	struct group_device *gdev, *other;
	unsigned long pasid;
	void *entry;
	bool any;

	iommu_grp_assert_locked(group);

	seq_printf(s, "group: %d\n", group->id);
	seq_puts(s, "members:");
	for_each_group_device(group, gdev)
		seq_printf(s, " %s", dev_name(gdev->dev));
	seq_putc(s, '\n');
	for_each_group_device(group, gdev) {
		other = gdev;
		list_for_each_entry_continue(other, &group->devices, node)
			dbg_explain_pair(s, gdev->dev, other->dev);
	}

	dbg_show_domain(s, "default domain", group->default_domain);
	dbg_show_domain(s, "blocking domain", group->blocking_domain);
	seq_printf(s, "current domain: %s", dbg_current_domain(group));
	if (group->domain)
		seq_printf(s, " (%s)", iommu_grp_type_name(group->domain->type));
	seq_putc(s, '\n');

	switch (group->owner_state) {
	case IOMMU_OWNER_FREE:
		seq_puts(s, "owner: free\n");
		break;
	case IOMMU_OWNER_DMA_API:
		seq_printf(s, "owner: DMA API, %u driver(s)\n",
			   group->owner_users);
		break;
	case IOMMU_OWNER_CLAIMED:
		seq_printf(s, "owner: claimed (VFIO, iommufd or a driver's own), %u claim(s)\n",
			   group->owner_users);
		break;
	}

	seq_puts(s, "deferred:");
	any = false;
	for_each_group_device(group, gdev) {
		if (iommu_dev_has_iommu(gdev->dev) &&
		    gdev->dev->iommu->attach_deferred) {
			seq_printf(s, " %s", dev_name(gdev->dev));
			any = true;
		}
	}
	seq_puts(s, any ? "\n" : " none\n");

	seq_puts(s, "pasids:");
	any = false;
	xa_for_each_start(&group->pasids, pasid, entry, IOMMU_NO_PASID + 1) {
		seq_printf(s, " %lu", pasid);
		any = true;
	}
	seq_puts(s, any ? "\n" : " none\n");
}

static int dbg_group_show(struct seq_file *s, void *unused)
{
	struct dentry *dentry = s->file->f_path.dentry;
	struct iommu_group *group = s->private;
	int ret;

	/* Keeps the group from being released until we are done */
	ret = debugfs_file_get(dentry);
	if (ret)
		return ret;
	mutex_lock(&group->mutex);
	dbg_group_show_locked(s, group);
	mutex_unlock(&group->mutex);
	debugfs_file_put(dentry);
	return 0;
}

static int dbg_group_open(struct inode *inode, struct file *file)
{
	return single_open(file, dbg_group_show, inode->i_private);
}

/*
 * read_iter only, so that kernel_read() works too (the KUnit suite reads
 * the file that way); the file is created "unsafe", without debugfs's
 * proxy, which has no read_iter: dbg_group_show() does the proxy's work.
 */
static const struct file_operations dbg_group_fops = {
	.owner = THIS_MODULE,
	.open = dbg_group_open,
	.read_iter = seq_read_iter,
	.llseek = seq_lseek,
	.release = single_release,
};

/* Called once at boot, before any group exists, after iommu_debugfs_setup() */
void iommu_grp_debugfs_init(void)
{
	iommu_grp_debugfs_dir = debugfs_create_dir("groups", iommu_debugfs_dir);
}

/**
 * iommu_grp_debugfs_add() - create the debugfs file of a new group
 * @group: the group, not yet published
 *
 * A failure costs only the file: debugfs is best effort.
 */
void iommu_grp_debugfs_add(struct iommu_group *group)
{
	char name[16];

	snprintf(name, sizeof(name), "%d", group->id);
	group->debugfs = debugfs_create_file_unsafe(name, 0400,
						    iommu_grp_debugfs_dir,
						    group, &dbg_group_fops);
}

/**
 * iommu_grp_debugfs_remove() - remove the debugfs file of a group
 * @group: the group being released
 *
 * Waits for the readers inside dbg_group_show(), so the group may be freed
 * after.
 */
void iommu_grp_debugfs_remove(struct iommu_group *group)
{
	debugfs_remove(group->debugfs);
	group->debugfs = NULL;
}
