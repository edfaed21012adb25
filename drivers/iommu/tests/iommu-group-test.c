// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOMMU groups: how drivers form them, their references and iteration, and
 * what userspace sees of them in sysfs.
 */
#include <kunit/test.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/iommu-dma.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include "iommu-test-mock.h"

static const struct iommu_mock_config by_key_cfg = {
	.identity_domain = true,
	.blocked_domain = true,
	.group_mode = IOMMU_MOCK_GROUP_BY_KEY,
};

static void group_path(char *buf, size_t len, struct iommu_group *group,
		       const char *attr)
{
	snprintf(buf, len, "kernel/iommu_groups/%d/%s", iommu_group_id(group),
		 attr);
}

static ssize_t read_group_attr(struct iommu_group *group, const char *attr,
			       char *buf, size_t len)
{
	char path[256];

	group_path(path, sizeof(path), group, attr);
	return iommu_mock_sysfs_read(path, buf, len);
}

static ssize_t write_group_attr(struct iommu_group *group, const char *attr,
				const char *val)
{
	char path[256];

	group_path(path, sizeof(path), group, attr);
	return iommu_mock_sysfs_write(path, val);
}

static void count_release(void *data)
{
	atomic_inc(data);
}

static void group_per_device_gives_each_device_its_own_group(struct kunit *test)
{
	const struct iommu_mock_config cfg = {
		.group_mode = IOMMU_MOCK_GROUP_PER_DEVICE,
	};
	struct iommu_mock *mock = iommu_mock_add(test, &cfg);
	struct iommu_mock_dev *a = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_mock_dev *b = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_group *ga = iommu_mock_group(test, &a->dev);
	struct iommu_group *gb = iommu_mock_group(test, &b->dev);

	KUNIT_ASSERT_NOT_NULL(test, ga);
	KUNIT_ASSERT_NOT_NULL(test, gb);
	KUNIT_EXPECT_PTR_NE(test, ga, gb);
	KUNIT_EXPECT_NE(test, iommu_group_id(ga), iommu_group_id(gb));
	KUNIT_EXPECT_PTR_NE(test, iommu_get_domain_for_dev(&a->dev),
			    iommu_get_domain_for_dev(&b->dev));
}

static void group_per_instance_shared_by_its_devices(struct kunit *test)
{
	const struct iommu_mock_config cfg = {
		.group_mode = IOMMU_MOCK_GROUP_PER_INSTANCE,
	};
	struct iommu_mock *mock = iommu_mock_add(test, &cfg);
	struct iommu_mock *other = iommu_mock_add(test, &cfg);
	struct iommu_mock_dev *a = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_mock_dev *b = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_mock_dev *c = iommu_mock_dev_add(test, other, NULL);
	struct iommu_group *ga = iommu_mock_group(test, &a->dev);

	KUNIT_ASSERT_NOT_NULL(test, ga);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_group(test, &b->dev), ga);
	KUNIT_EXPECT_PTR_NE(test, iommu_mock_group(test, &c->dev), ga);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&a->dev),
			    iommu_get_domain_for_dev(&b->dev));
}

static void group_by_key_shares_group_between_aliases(struct kunit *test)
{
	const struct iommu_mock_dev_config one = { .group_key = 1 };
	const struct iommu_mock_dev_config two = { .group_key = 2 };
	struct iommu_mock *mock = iommu_mock_add(test, &by_key_cfg);
	struct iommu_mock_dev *a = iommu_mock_dev_add(test, mock, &one);
	struct iommu_mock_dev *b = iommu_mock_dev_add(test, mock, &one);
	struct iommu_mock_dev *c = iommu_mock_dev_add(test, mock, &two);
	struct iommu_group *ga = iommu_mock_group(test, &a->dev);

	KUNIT_ASSERT_NOT_NULL(test, ga);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_group(test, &b->dev), ga);
	KUNIT_EXPECT_PTR_NE(test, iommu_mock_group(test, &c->dev), ga);
}

static void group_get_keeps_group_after_device_removal(struct kunit *test)
{
	atomic_t *released = kunit_kzalloc(test, sizeof(*released), GFP_KERNEL);
	struct iommu_mock *mock;
	struct iommu_mock_dev *md;
	struct iommu_group *group;
	int id;

	KUNIT_ASSERT_NOT_NULL(test, released);
	mock = iommu_mock_add(test, NULL);
	md = iommu_mock_dev_add(test, mock, NULL);
	group = iommu_mock_group(test, &md->dev);
	KUNIT_ASSERT_NOT_NULL(test, group);
	iommu_group_set_iommudata(group, released, count_release);
	id = iommu_group_id(group);

	iommu_mock_dev_remove(test, md);
	/* Our reference keeps the group, and everything in it, alive */
	KUNIT_EXPECT_EQ(test, atomic_read(released), 0);
	KUNIT_EXPECT_EQ(test, iommu_group_id(group), id);
	KUNIT_EXPECT_PTR_EQ(test, iommu_group_get_iommudata(group),
			    (void *)released);

	iommu_mock_put_group(test, group);
	KUNIT_EXPECT_EQ(test, atomic_read(released), 1);
}

static void group_ref_get_returns_same_group(struct kunit *test)
{
	atomic_t *released = kunit_kzalloc(test, sizeof(*released), GFP_KERNEL);
	struct iommu_mock *mock;
	struct iommu_mock_dev *md;
	struct iommu_group *group;

	KUNIT_ASSERT_NOT_NULL(test, released);
	mock = iommu_mock_add(test, NULL);
	md = iommu_mock_dev_add(test, mock, NULL);
	group = iommu_mock_group(test, &md->dev);
	KUNIT_ASSERT_NOT_NULL(test, group);
	iommu_group_set_iommudata(group, released, count_release);

	KUNIT_EXPECT_PTR_EQ(test, iommu_group_ref_get(group), group);
	iommu_mock_dev_remove(test, md);
	iommu_mock_put_group(test, group);
	/* The extra reference from iommu_group_ref_get() still holds it */
	KUNIT_EXPECT_EQ(test, atomic_read(released), 0);
	iommu_group_put(group);
	KUNIT_EXPECT_EQ(test, atomic_read(released), 1);
}

struct visit {
	struct device *seen[4];
	unsigned int n;
	int stop_with;
};

static int visit_dev(struct device *dev, void *data)
{
	struct visit *v = data;

	if (v->n < ARRAY_SIZE(v->seen))
		v->seen[v->n] = dev;
	v->n++;
	return v->stop_with;
}

static void group_iteration_visits_every_device_once(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_add(test, &by_key_cfg);
	struct iommu_mock_dev *md[3];
	struct visit v = { };
	struct iommu_group *group;
	unsigned int i, j, hits;

	for (i = 0; i < ARRAY_SIZE(md); i++)
		md[i] = iommu_mock_dev_add(test, mock, NULL);
	group = iommu_mock_group(test, &md[0]->dev);
	KUNIT_ASSERT_NOT_NULL(test, group);

	KUNIT_EXPECT_EQ(test, iommu_group_for_each_dev(group, &v, visit_dev), 0);
	KUNIT_ASSERT_EQ(test, v.n, 3);
	for (i = 0; i < ARRAY_SIZE(md); i++) {
		hits = 0;
		for (j = 0; j < v.n; j++)
			hits += v.seen[j] == &md[i]->dev;
		KUNIT_EXPECT_EQ_MSG(test, hits, 1, "device %u", i);
	}
}

static void group_iteration_stops_on_error(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_add(test, &by_key_cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct visit v = { .stop_with = -E2BIG };
	struct iommu_group *group;

	iommu_mock_dev_add(test, mock, NULL);
	group = iommu_mock_group(test, &md->dev);
	KUNIT_ASSERT_NOT_NULL(test, group);

	KUNIT_EXPECT_EQ(test, iommu_group_for_each_dev(group, &v, visit_dev),
			-E2BIG);
	KUNIT_EXPECT_EQ(test, v.n, 1);
}

static void group_sysfs_lists_member_devices(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_add(test, NULL);
	struct iommu_mock_dev *a = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_mock_dev *b = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_group *ga = iommu_mock_group(test, &a->dev);
	char *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	char path[160];

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, ga);

	/*
	 * The group's directory is named by its id and links its devices
	 * (whose uevent file may well be empty: it only has to be there).
	 */
	snprintf(path, sizeof(path), "devices/%s/uevent", dev_name(&a->dev));
	KUNIT_EXPECT_GE(test, read_group_attr(ga, path, buf, PAGE_SIZE), 0);
	snprintf(path, sizeof(path), "devices/%s/uevent", dev_name(&b->dev));
	KUNIT_EXPECT_EQ(test, read_group_attr(ga, path, buf, PAGE_SIZE),
			-ENOENT);

	/* ... and the device links back to its group */
	snprintf(path, sizeof(path),
		 "bus/iommu-kunit/devices/%s/iommu_group/devices/%s/uevent",
		 dev_name(&a->dev), dev_name(&a->dev));
	KUNIT_EXPECT_GE(test, iommu_mock_sysfs_read(path, buf, PAGE_SIZE), 0);
}

static void group_sysfs_type_shows_identity(struct kunit *test)
{
	const struct iommu_mock_config cfg = {
		.identity_domain = true,
		.def_domain_type = IOMMU_DOMAIN_IDENTITY,
	};
	struct iommu_mock *mock = iommu_mock_add(test, &cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_group *group = iommu_mock_group(test, &md->dev);
	char buf[32];

	KUNIT_ASSERT_NOT_NULL(test, group);
	KUNIT_ASSERT_GT(test, read_group_attr(group, "type", buf, sizeof(buf)),
			0);
	KUNIT_EXPECT_STREQ(test, buf, "identity\n");
}

static void group_sysfs_type_shows_dma(struct kunit *test)
{
	const struct iommu_mock_config cfg = {
		.def_domain_type = IOMMU_DOMAIN_DMA,
	};
	struct iommu_mock *mock = iommu_mock_add(test, &cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_group *group = iommu_mock_group(test, &md->dev);
	char buf[32];

	KUNIT_ASSERT_NOT_NULL(test, group);
	KUNIT_ASSERT_GT(test, read_group_attr(group, "type", buf, sizeof(buf)),
			0);
	KUNIT_EXPECT_STREQ(test, buf, "DMA\n");
}

static void group_sysfs_type_write_switches_default_domain(struct kunit *test)
{
	const struct iommu_mock_config cfg = { .identity_domain = true };
	struct iommu_mock *mock = iommu_mock_add(test, &cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_group *group = iommu_mock_group(test, &md->dev);
	struct iommu_domain *before, *after;
	const char *want, *shown;
	char buf[32];

	KUNIT_ASSERT_NOT_NULL(test, group);
	before = iommu_get_domain_for_dev(&md->dev);
	KUNIT_ASSERT_NOT_NULL(test, before);

	/* Switch to whichever of identity and DMA the policy did not pick */
	if (before->type == IOMMU_DOMAIN_IDENTITY) {
		want = "DMA";
		shown = "DMA\n";
	} else {
		want = "identity";
		shown = "identity\n";
	}
	KUNIT_EXPECT_EQ(test, write_group_attr(group, "type", want),
			(ssize_t)strlen(want));

	after = iommu_get_domain_for_dev(&md->dev);
	KUNIT_ASSERT_NOT_NULL(test, after);
	KUNIT_EXPECT_PTR_NE(test, after, before);
	KUNIT_EXPECT_PTR_EQ(test, iommu_group_default_domain(group), after);
	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_last_attached(mock, &md->dev),
			    after);
	KUNIT_ASSERT_GT(test, read_group_attr(group, "type", buf, sizeof(buf)),
			0);
	KUNIT_EXPECT_STREQ(test, buf, shown);
}

static void group_sysfs_type_write_refused_while_dma_api_in_use(struct kunit *test)
{
	const struct iommu_mock_config cfg = {
		.identity_domain = true,
		.def_domain_type = IOMMU_DOMAIN_DMA,
	};
	struct iommu_mock *mock = iommu_mock_add(test, &cfg);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_group *group = iommu_mock_group(test, &md->dev);
	struct iommu_domain *before = iommu_get_domain_for_dev(&md->dev);
	char buf[32];

	KUNIT_ASSERT_NOT_NULL(test, group);
	/* A bound driver is using the default domain */
	KUNIT_ASSERT_EQ(test, iommu_mock_use_default_domain(test, &md->dev), 0);

	KUNIT_EXPECT_EQ(test, write_group_attr(group, "type", "identity"),
			-EPERM);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&md->dev), before);
	KUNIT_ASSERT_GT(test, read_group_attr(group, "type", buf, sizeof(buf)),
			0);
	KUNIT_EXPECT_STREQ(test, buf, "DMA\n");
}

/* A singleton on a strict DMA default domain, its driver bound */
struct bound_dma {
	struct iommu_mock *mock;
	struct iommu_mock_dev *md;
	struct iommu_group *group;
	struct iommu_domain *def;
};

static void make_bound_dma(struct kunit *test, struct bound_dma *b)
{
	const struct iommu_mock_config cfg = {
		.def_domain_type = IOMMU_DOMAIN_DMA,
		.deferred_flush = true,
	};

	b->mock = iommu_mock_add(test, &cfg);
	b->md = iommu_mock_dev_add(test, b->mock, NULL);
	b->group = iommu_mock_group(test, &b->md->dev);
	b->def = iommu_get_domain_for_dev(&b->md->dev);
	KUNIT_ASSERT_NOT_NULL(test, b->group);
	KUNIT_ASSERT_NOT_NULL(test, b->def);
	KUNIT_ASSERT_EQ(test, b->def->type, IOMMU_DOMAIN_DMA);
	KUNIT_ASSERT_EQ(test, iommu_mock_use_default_domain(test, &b->md->dev),
			0);
}

static void group_sysfs_type_write_dma_fq_in_place(struct kunit *test)
{
	struct bound_dma b;
	char buf[32];

	make_bound_dma(test, &b);
	iommu_mock_clear_log(b.mock);

	/* Allowed with a driver bound: the domain itself gains a queue */
	KUNIT_EXPECT_EQ(test, write_group_attr(b.group, "type", "DMA-FQ"),
			(ssize_t)strlen("DMA-FQ"));
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&b.md->dev), b.def);
	KUNIT_EXPECT_EQ(test, b.def->type, IOMMU_DOMAIN_DMA_FQ);
	KUNIT_EXPECT_EQ(test, iommu_mock_count(b.mock, IOMMU_MOCK_EV_ATTACH,
					       NULL, NULL), 0);
	KUNIT_ASSERT_GT(test, read_group_attr(b.group, "type", buf,
					      sizeof(buf)), 0);
	KUNIT_EXPECT_STREQ(test, buf, "DMA-FQ\n");
}

/*
 * The in-place change to DMA-FQ touches the flush queue only: a driver that
 * took its singleton group onto a domain of its own keeps the DMA ops it
 * had, whatever the group's current domain says.
 */
static void group_sysfs_type_dma_fq_keeps_dma_ops(struct kunit *test)
{
	struct iommu_domain *paging;
	struct bound_dma b;

	if (!IS_ENABLED(CONFIG_IOMMU_DMA))
		kunit_skip(test, "no DMA-IOMMU layer");
	make_bound_dma(test, &b);
	KUNIT_ASSERT_TRUE(test, use_dma_iommu(&b.md->dev));
	paging = iommu_mock_paging_domain(test, &b.md->dev);
	KUNIT_ASSERT_EQ(test, iommu_mock_attach_device(test, paging,
						       &b.md->dev), 0);

	KUNIT_EXPECT_EQ(test, write_group_attr(b.group, "type", "DMA-FQ"),
			(ssize_t)strlen("DMA-FQ"));
	KUNIT_EXPECT_EQ(test, b.def->type, IOMMU_DOMAIN_DMA_FQ);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&b.md->dev), paging);
	KUNIT_EXPECT_TRUE(test, use_dma_iommu(&b.md->dev));
}

static void group_sysfs_type_write_rejects_unknown_type(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_add(test, NULL);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_group *group = iommu_mock_group(test, &md->dev);
	struct iommu_domain *before = iommu_get_domain_for_dev(&md->dev);

	KUNIT_ASSERT_NOT_NULL(test, group);
	KUNIT_EXPECT_EQ(test, write_group_attr(group, "type", "bogus"),
			-EINVAL);
	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&md->dev), before);
}

static void group_sysfs_name_is_set_by_driver(struct kunit *test)
{
	struct iommu_mock *mock = iommu_mock_add(test, NULL);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_group *group = iommu_mock_group(test, &md->dev);
	char buf[32];

	KUNIT_ASSERT_NOT_NULL(test, group);
	KUNIT_EXPECT_EQ(test, read_group_attr(group, "name", buf, sizeof(buf)),
			-ENOENT);
	KUNIT_ASSERT_EQ(test, iommu_group_set_name(group, "kunit-group"), 0);
	KUNIT_ASSERT_GT(test, read_group_attr(group, "name", buf, sizeof(buf)),
			0);
	KUNIT_EXPECT_STREQ(test, buf, "kunit-group\n");
}

static void group_sysfs_shows_reserved_regions(struct kunit *test)
{
	const char *want = "0x0000000001000000 0x00000000010fffff reserved\n";
	const struct iommu_mock_dev_config resv = {
		.resv_start = SZ_16M,
		.resv_size = SZ_1M,
	};
	struct iommu_mock *mock = iommu_mock_add(test, NULL);
	struct iommu_mock_dev *md = iommu_mock_dev_add(test, mock, &resv);
	struct iommu_group *group = iommu_mock_group(test, &md->dev);
	char *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, group);
	KUNIT_ASSERT_GT(test, read_group_attr(group, "reserved_regions", buf,
					      PAGE_SIZE), 0);
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, want));
}

static void group_resv_regions_merge_across_devices(struct kunit *test)
{
	const struct iommu_mock_dev_config low = {
		.resv_start = SZ_16M,
		.resv_size = SZ_1M,
	};
	const struct iommu_mock_dev_config high = {
		.resv_start = SZ_16M + SZ_512K,
		.resv_size = SZ_1M + SZ_512K,
	};
	struct iommu_mock *mock = iommu_mock_add(test, &by_key_cfg);
	struct iommu_mock_dev *a = iommu_mock_dev_add(test, mock, &low);
	struct iommu_resv_region *region, *next;
	struct iommu_group *group;
	unsigned int n = 0;
	LIST_HEAD(regions);

	iommu_mock_dev_add(test, mock, &high);
	group = iommu_mock_group(test, &a->dev);
	KUNIT_ASSERT_NOT_NULL(test, group);

	KUNIT_ASSERT_EQ(test, iommu_get_group_resv_regions(group, &regions), 0);
	list_for_each_entry_safe(region, next, &regions, list) {
		if (region->type == IOMMU_RESV_RESERVED) {
			n++;
			KUNIT_EXPECT_EQ(test, region->start, (phys_addr_t)SZ_16M);
			KUNIT_EXPECT_EQ(test, region->length, (size_t)SZ_2M);
		}
		list_del(&region->list);
		kfree(region);
	}
	KUNIT_EXPECT_EQ(test, n, 1);
}

static void remove_from_group(void *data)
{
	iommu_group_remove_device(data);
}

static void group_add_device_without_iommu(struct kunit *test)
{
	atomic_t *released = kunit_kzalloc(test, sizeof(*released), GFP_KERNEL);
	struct iommu_mock_dev *md;
	struct iommu_group *group;
	struct visit v = { };
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, released);
	/* No mock IOMMU: the device has none, as for VFIO's no-IOMMU mode */
	md = iommu_mock_dev_add(test, NULL, NULL);
	KUNIT_ASSERT_FALSE(test, device_iommu_mapped(&md->dev));

	group = iommu_group_alloc();
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, group);
	iommu_group_set_iommudata(group, released, count_release);
	if (iommu_group_add_device(group, &md->dev)) {
		iommu_group_put(group);
		KUNIT_FAIL_AND_ABORT(test, "iommu_group_add_device failed");
	}
	ret = kunit_add_action_or_reset(test, remove_from_group, &md->dev);
	KUNIT_ASSERT_EQ(test, ret, 0);
	/* The device holds its own reference now */
	iommu_group_put(group);

	KUNIT_EXPECT_PTR_EQ(test, iommu_mock_group(test, &md->dev), group);
	KUNIT_EXPECT_TRUE(test, device_iommu_mapped(&md->dev));
	KUNIT_EXPECT_EQ(test, iommu_group_for_each_dev(group, &v, visit_dev), 0);
	KUNIT_EXPECT_EQ(test, v.n, 1);

	iommu_mock_put_group(test, group);
	kunit_release_action(test, remove_from_group, &md->dev);
	KUNIT_EXPECT_NULL(test, md->dev.iommu_group);
	KUNIT_EXPECT_EQ(test, atomic_read(released), 1);
}

/* Whether @buf has the line @line, whole */
static bool has_line(const char *buf, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = buf; (p = strstr(p, line)); p += n)
		if ((p == buf || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
			return true;
	return false;
}

#define GROUP_CLAIMED_LINE \
	"owner: claimed (VFIO, iommufd or a driver's own), 1 claim(s)"

/*
 * /sys/kernel/debug/iommu/groups/<id> says who is in the group, why each
 * pair of members is, where the group is attached and who owns it.
 * Upstream's 6.12 core has no such file.
 */
static void group_debugfs_explains_group(struct kunit *test)
{
	const struct iommu_mock_config cfg = {
		.blocked_domain = true,
		.group_mode = IOMMU_MOCK_GROUP_BY_KEY,
	};
	struct iommu_mock *mock = iommu_mock_add(test, &cfg);
	struct iommu_mock_dev *a = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_mock_dev *b = iommu_mock_dev_add(test, mock, NULL);
	struct iommu_group *group = iommu_mock_group(test, &a->dev);
	char path[64], line[128];
	char *buf;
	ssize_t n;
	int owner;

	if (!IS_ENABLED(CONFIG_IOMMU_DEBUGFS))
		kunit_skip(test, "no IOMMU_DEBUGFS");
	KUNIT_ASSERT_NOT_NULL(test, group);
	KUNIT_ASSERT_EQ(test, iommu_mock_claim_group(test, group, &owner), 0);
	buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);

	snprintf(path, sizeof(path), "iommu/groups/%d", iommu_group_id(group));
	n = iommu_mock_debugfs_read(path, buf, PAGE_SIZE);
	iommu_kunit_expect_gap(test, n > 0, "no /sys/kernel/debug/iommu/groups");
	if (n <= 0)
		return;

	snprintf(line, sizeof(line), "members: %s %s", dev_name(&a->dev),
		 dev_name(&b->dev));
	KUNIT_EXPECT_TRUE_MSG(test, has_line(buf, line), "%s", buf);
	snprintf(line, sizeof(line),
		 "why %s %s: the IOMMU driver's device_group() put them together",
		 dev_name(&a->dev), dev_name(&b->dev));
	KUNIT_EXPECT_TRUE_MSG(test, has_line(buf, line), "%s", buf);
	KUNIT_EXPECT_TRUE_MSG(test, has_line(buf, "blocking domain: blocked"),
			      "%s", buf);
	KUNIT_EXPECT_TRUE_MSG(test, has_line(buf,
					     "current domain: blocking (blocked)"),
			      "%s", buf);
	KUNIT_EXPECT_TRUE_MSG(test, has_line(buf, GROUP_CLAIMED_LINE), "%s", buf);
	KUNIT_EXPECT_TRUE_MSG(test, has_line(buf, "pasids: none"), "%s", buf);
}

static struct kunit_case iommu_group_test_cases[] = {
	KUNIT_CASE(group_per_device_gives_each_device_its_own_group),
	KUNIT_CASE(group_per_instance_shared_by_its_devices),
	KUNIT_CASE(group_by_key_shares_group_between_aliases),
	KUNIT_CASE(group_get_keeps_group_after_device_removal),
	KUNIT_CASE(group_ref_get_returns_same_group),
	KUNIT_CASE(group_iteration_visits_every_device_once),
	KUNIT_CASE(group_iteration_stops_on_error),
	KUNIT_CASE(group_sysfs_lists_member_devices),
	KUNIT_CASE(group_sysfs_type_shows_identity),
	KUNIT_CASE(group_sysfs_type_shows_dma),
	KUNIT_CASE(group_sysfs_type_write_switches_default_domain),
	KUNIT_CASE(group_sysfs_type_write_refused_while_dma_api_in_use),
	KUNIT_CASE(group_sysfs_type_write_dma_fq_in_place),
	KUNIT_CASE(group_sysfs_type_dma_fq_keeps_dma_ops),
	KUNIT_CASE(group_sysfs_type_write_rejects_unknown_type),
	KUNIT_CASE(group_sysfs_name_is_set_by_driver),
	KUNIT_CASE(group_sysfs_shows_reserved_regions),
	KUNIT_CASE(group_resv_regions_merge_across_devices),
	KUNIT_CASE(group_add_device_without_iommu),
	KUNIT_CASE(group_debugfs_explains_group),
	{}
};

static struct kunit_suite iommu_group_test_suite = {
	.name = "iommu_core_group",
	.init = iommu_mock_test_init,
	.test_cases = iommu_group_test_cases,
};

kunit_test_suites(&iommu_group_test_suite);
