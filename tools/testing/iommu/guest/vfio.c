// SPDX-License-Identifier: GPL-2.0
/*
 * Guest side of the IOMMU end-to-end tests: the two ways user space gets
 * a device from VFIO, behind one small interface.
 *
 *   container: /dev/vfio/vfio + /dev/vfio/<group>, type1v2 IOMMU,
 *              VFIO_GROUP_GET_DEVICE_FD, VFIO_IOMMU_{MAP,UNMAP}_DMA
 *   cdev:      /dev/vfio/devices/vfioN bound to /dev/iommu,
 *              an IOAS attached with VFIO_DEVICE_ATTACH_IOMMUFD_PT,
 *              IOMMU_IOAS_{MAP,UNMAP}
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "e2e.h"

const char *vfio_kind_name(enum vfio_kind kind)
{
	return kind == VFIO_KIND_CDEV ? "cdev+iommufd" : "type1v2 container";
}

static void vfio_init(struct vfio *v, enum vfio_kind kind)
{
	memset(v, 0, sizeof(*v));
	v->kind = kind;
	v->container = -1;
	v->group = -1;
	v->iommufd = -1;
	v->device = -1;
}

static int container_ranges(struct vfio *v)
{
	struct vfio_iommu_type1_info *info;
	struct vfio_info_cap_header *hdr;
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	uint32_t size = sizeof(*info), off;

	info = calloc(1, size);
	info->argsz = size;
	if (ioctl(v->container, VFIO_IOMMU_GET_INFO, info)) {
		free(info);
		return why("VFIO_IOMMU_GET_INFO: %s", strerror(errno));
	}
	if (info->argsz > size) {
		size = info->argsz;
		free(info);
		info = calloc(1, size);
		info->argsz = size;
		if (ioctl(v->container, VFIO_IOMMU_GET_INFO, info)) {
			free(info);
			return why("VFIO_IOMMU_GET_INFO: %s", strerror(errno));
		}
	}
	off = (info->flags & VFIO_IOMMU_INFO_CAPS) ? info->cap_offset : 0;
	while (off && off + sizeof(*hdr) <= size) {
		hdr = (void *)((char *)info + off);
		if (hdr->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			cap = (void *)hdr;
			for (uint32_t i = 0; i < cap->nr_iovas && i < 16; i++) {
				v->ranges[i].start = cap->iova_ranges[i].start;
				v->ranges[i].last = cap->iova_ranges[i].end;
				v->nr_ranges = i + 1;
			}
		}
		off = hdr->next;
	}
	free(info);
	if (!v->nr_ranges)
		return why("type1 reports no IOVA ranges");
	return 0;
}

static int iommufd_ranges(struct vfio *v)
{
	struct iommu_iova_range r[16];
	struct iommu_ioas_iova_ranges q = {
		.size = sizeof(q),
		.ioas_id = v->ioas,
		.num_iovas = 16,
		.allowed_iovas = (uintptr_t)r,
	};

	if (ioctl(v->iommufd, IOMMU_IOAS_IOVA_RANGES, &q))
		return why("IOMMU_IOAS_IOVA_RANGES: %s", strerror(errno));
	for (uint32_t i = 0; i < q.num_iovas && i < 16; i++) {
		v->ranges[i].start = r[i].start;
		v->ranges[i].last = r[i].last;
		v->nr_ranges = i + 1;
	}
	if (!v->nr_ranges)
		return why("IOAS reports no IOVA ranges");
	return 0;
}

/* Whether [iova, iova + len) lies inside one usable IOVA range. */
bool vfio_iova_ok(struct vfio *v, uint64_t iova, uint64_t len)
{
	for (int i = 0; i < v->nr_ranges; i++)
		if (iova >= v->ranges[i].start &&
		    iova + len - 1 <= v->ranges[i].last)
			return true;
	return false;
}

static int container_own(struct vfio *v, const char *bdf)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int group;

	group = pci_group(bdf);
	if (group < 0)
		return why("%s has no IOMMU group", bdf);
	v->container = open("/dev/vfio/vfio", O_RDWR);
	if (v->container < 0)
		return why("open /dev/vfio/vfio: %s", strerror(errno));
	if (ioctl(v->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return why("unexpected VFIO API version");
	if (ioctl(v->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0)
		return why("VFIO_TYPE1v2_IOMMU not supported");

	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	v->group = open(path, O_RDWR);
	if (v->group < 0)
		return why("open %s: %s", path, strerror(errno));
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &status))
		return why("VFIO_GROUP_GET_STATUS: %s", strerror(errno));
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		return why("group %d is not viable", group);
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container))
		return why("VFIO_GROUP_SET_CONTAINER: %s", strerror(errno));
	if (ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return why("VFIO_SET_IOMMU(type1v2): %s", strerror(errno));
	return 0;
}

/* The VFIO cdev of @bdf (bound to vfio-pci): /dev/vfio/devices/vfioN */
int vfio_cdev_path(const char *bdf, char *path, size_t size)
{
	char dpath[PATH_MAX], name[64] = "";
	struct dirent *de;
	DIR *dir;

	snprintf(dpath, sizeof(dpath), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	dir = opendir(dpath);
	if (!dir)
		return why("%s: %s", dpath, strerror(errno));
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, "vfio", 4))
			snprintf(name, sizeof(name), "%s", de->d_name);
	closedir(dir);
	if (!name[0])
		return why("%s has no vfio cdev", bdf);
	snprintf(path, size, "/dev/vfio/devices/%s", name);
	return 0;
}

static int cdev_open(struct vfio *v, const char *bdf)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	char path[PATH_MAX];

	if (vfio_cdev_path(bdf, path, sizeof(path)))
		return -1;
	v->device = open(path, O_RDWR);
	if (v->device < 0)
		return why("open %s: %s", path, strerror(errno));
	v->iommufd = open("/dev/iommu", O_RDWR);
	if (v->iommufd < 0)
		return why("open /dev/iommu: %s", strerror(errno));
	bind.iommufd = v->iommufd;
	if (ioctl(v->device, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		return why("VFIO_DEVICE_BIND_IOMMUFD: %s", strerror(errno));
	return 0;
}

/*
 * Take DMA ownership of @bdf's group the way @kind does, without setting
 * the device up: the group set to a type1v2 container, or the cdev bound
 * to an iommufd.  @bdf must be bound to vfio-pci.
 */
int vfio_own(struct vfio *v, enum vfio_kind kind, const char *bdf)
{
	int ret;

	vfio_init(v, kind);
	ret = kind == VFIO_KIND_CDEV ? cdev_open(v, bdf) :
				       container_own(v, bdf);
	if (ret)
		vfio_close(v);
	return ret;
}

static int cdev_attach(struct vfio *v)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
	};

	if (ioctl(v->iommufd, IOMMU_IOAS_ALLOC, &alloc))
		return why("IOMMU_IOAS_ALLOC: %s", strerror(errno));
	v->ioas = alloc.out_ioas_id;
	attach.pt_id = v->ioas;
	if (ioctl(v->device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		return why("VFIO_DEVICE_ATTACH_IOMMUFD_PT: %s",
			   strerror(errno));
	return iommufd_ranges(v);
}

/*
 * Map BAR0 of VFIO device @device into *@bar (*@size bytes) and let the
 * device master the bus.
 */
int vfio_device_setup(int device, void **bar, size_t *size)
{
	struct vfio_region_info info = {
		.argsz = sizeof(info),
		.index = VFIO_PCI_BAR0_REGION_INDEX,
	};
	struct vfio_region_info cfg = {
		.argsz = sizeof(cfg),
		.index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	uint16_t cmd;
	void *map;

	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &info))
		return why("VFIO_DEVICE_GET_REGION_INFO(BAR0): %s",
			   strerror(errno));
	if (!(info.flags & VFIO_REGION_INFO_FLAG_MMAP) || info.size < 0x100)
		return why("BAR0 cannot be mmap()ed (flags %#x, size %llu)",
			   info.flags, (unsigned long long)info.size);
	map = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   device, info.offset);
	if (map == MAP_FAILED)
		return why("mmap BAR0: %s", strerror(errno));
	*bar = map;
	*size = info.size;
	if ((mmio_read32(map, EDU_REG_ID) & 0xff) != 0xed)
		return why("BAR0 does not look like an edu");

	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &cfg))
		return why("VFIO_DEVICE_GET_REGION_INFO(config): %s",
			   strerror(errno));
	if (pread(device, &cmd, sizeof(cmd), cfg.offset + PCI_COMMAND) !=
	    sizeof(cmd))
		return why("read PCI_COMMAND: %s", strerror(errno));
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (pwrite(device, &cmd, sizeof(cmd), cfg.offset + PCI_COMMAND) !=
	    sizeof(cmd))
		return why("write PCI_COMMAND: %s", strerror(errno));
	return 0;
}

/*
 * Open @bdf (bound to vfio-pci) for DMA: an empty IOVA space attached,
 * BAR0 mapped, bus mastering on.
 */
int vfio_open(struct vfio *v, enum vfio_kind kind, const char *bdf)
{
	int ret;

	ret = vfio_own(v, kind, bdf);
	if (ret)
		return ret;
	if (kind == VFIO_KIND_CDEV) {
		ret = cdev_attach(v);
	} else {
		v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
		if (v->device < 0)
			ret = why("VFIO_GROUP_GET_DEVICE_FD: %s",
				  strerror(errno));
		else
			ret = container_ranges(v);
	}
	if (!ret)
		ret = vfio_device_setup(v->device, &v->bar, &v->bar_size);
	if (ret)
		vfio_close(v);
	return ret;
}

/*
 * Reset the device as a VMM resets an assigned one (VFIO_DEVICE_RESET):
 * the PCI core's reset method, the group staying with VFIO.
 */
int vfio_reset(struct vfio *v)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	if (ioctl(v->device, VFIO_DEVICE_GET_INFO, &info))
		return why("VFIO_DEVICE_GET_INFO: %s", strerror(errno));
	if (!(info.flags & VFIO_DEVICE_FLAGS_RESET))
		return why("VFIO reports no reset for the device");
	if (ioctl(v->device, VFIO_DEVICE_RESET))
		return why("VFIO_DEVICE_RESET: %s", strerror(errno));
	return 0;
}

/* Give everything back; VFIO releases the group's DMA ownership. */
void vfio_close(struct vfio *v)
{
	if (v->bar)
		munmap(v->bar, v->bar_size);
	if (v->device >= 0)
		close(v->device);
	if (v->iommufd >= 0)
		close(v->iommufd);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	vfio_init(v, v->kind);
}

int vfio_map(struct vfio *v, void *va, uint64_t iova, uint64_t len)
{
	if (v->kind == VFIO_KIND_CDEV) {
		struct iommu_ioas_map map = {
			.size = sizeof(map),
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA |
				 IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_WRITEABLE,
			.ioas_id = v->ioas,
			.user_va = (uintptr_t)va,
			.length = len,
			.iova = iova,
		};

		if (ioctl(v->iommufd, IOMMU_IOAS_MAP, &map))
			return why("IOMMU_IOAS_MAP at %#llx: %s",
				   (unsigned long long)iova, strerror(errno));
	} else {
		struct vfio_iommu_type1_dma_map map = {
			.argsz = sizeof(map),
			.flags = VFIO_DMA_MAP_FLAG_READ |
				 VFIO_DMA_MAP_FLAG_WRITE,
			.vaddr = (uintptr_t)va,
			.iova = iova,
			.size = len,
		};

		if (ioctl(v->container, VFIO_IOMMU_MAP_DMA, &map))
			return why("VFIO_IOMMU_MAP_DMA at %#llx: %s",
				   (unsigned long long)iova, strerror(errno));
	}
	return 0;
}

int vfio_unmap(struct vfio *v, uint64_t iova, uint64_t len)
{
	if (v->kind == VFIO_KIND_CDEV) {
		struct iommu_ioas_unmap unmap = {
			.size = sizeof(unmap),
			.ioas_id = v->ioas,
			.iova = iova,
			.length = len,
		};

		if (ioctl(v->iommufd, IOMMU_IOAS_UNMAP, &unmap))
			return why("IOMMU_IOAS_UNMAP at %#llx: %s",
				   (unsigned long long)iova, strerror(errno));
		if (unmap.length != len)
			return why("IOMMU_IOAS_UNMAP unmapped %llu of %llu bytes",
				   (unsigned long long)unmap.length,
				   (unsigned long long)len);
	} else {
		struct vfio_iommu_type1_dma_unmap unmap = {
			.argsz = sizeof(unmap),
			.iova = iova,
			.size = len,
		};

		if (ioctl(v->container, VFIO_IOMMU_UNMAP_DMA, &unmap))
			return why("VFIO_IOMMU_UNMAP_DMA at %#llx: %s",
				   (unsigned long long)iova, strerror(errno));
		if (unmap.size != len)
			return why("VFIO_IOMMU_UNMAP_DMA unmapped %llu of %llu bytes",
				   (unsigned long long)unmap.size,
				   (unsigned long long)len);
	}
	return 0;
}
