// SPDX-License-Identifier: GPL-2.0
/*
 * Guest side of the IOMMU end-to-end tests: every step of a core operation
 * under memory allocation failure.
 *
 * An operation is a sequence of steps, each one syscall (an ioctl, a
 * sysfs write, a close).  Attempt n of it fails the n-th memory allocation
 * its steps make, counted across the steps: the kernel's per-task
 * fail-nth (/proc/thread-self/fail-nth, Documentation/fault-injection/)
 * is armed right before each step's syscall with what is left of n and
 * disarmed right after, so that nothing else the test does in between
 * counts.  n goes 1, 2, ... until an attempt runs every step without
 * reaching its n-th allocation.
 *
 * A step whose injected fault it could not absorb must fail with an errno
 * and leave the group as it was before the step: its sysfs type, its
 * devices and their drivers, and on our core the whole of
 * /sys/kernel/debug/iommu/groups/<id> (members, domains, owner, deferred
 * members, PASIDs).  After a failed map, nothing may be mapped: the
 * container or IOAS has nothing to unmap there, and the edu's write to
 * that IOVA does not reach the page.  Then everything is closed and the
 * group must be as before the operation.  A step that succeeds although
 * its fault fired (the kernel fell back, e.g. kvmalloc() to vmalloc())
 * is counted as absorbed; the steps after it prove that it worked.
 */
/* strerrorname_np() */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "e2e.h"

/*
 * Closing the VFIO group, or the cdev bound to an iommufd, runs unarmed: it
 * gives the group's DMA ownership back, and the core must put the group
 * back on its default domain: an attach that may not fail.  VT-d, AMD-Vi
 * and virtio-iommu allocate in attach_dev (the domain's per-IOMMU data,
 * a request), so an allocation failed there leaves the device blocked and
 * both cores warn: a driver's limitation, which the core can only report.
 */

/* Far more allocations than any operation here makes */
#define FI_MAX_N	2000
#define FI_STATE_SIZE	4096
#define FI_IOVA		0x100000ULL
#define FI_LEN		(4 * PAGE)
#define FI_SRC		0x800
#define FI_DST		(2 * PAGE + 0x400)
#define FI_VICTIM	0xa5
/*
 * VT-d's fault report (dmar_fault_dump_ptes() with CONFIG_DMAR_DEBUG)
 * walks the page table without a lock: give it time before the domain is
 * freed, as the module does.
 */
#define FI_FAULT_SETTLE_MS	500
#define FI_DEBUGFS	"/sys/kernel/debug"

struct fi {
	int group;
	const char *bdf;
	int nth;		/* /proc/thread-self/fail-nth */
	unsigned int n;		/* this attempt fails the n-th allocation */
	unsigned int left;	/* its number counted from the next step */
	bool fired;
	const char *step;
	const char *fired_step;	/* the step whose allocation failed */
	int err;		/* what the last step returned */
	char before[FI_STATE_SIZE];	/* the group before the step */
	/* over every attempt */
	unsigned int failed;	/* steps failed by their fault */
	unsigned int absorbed;	/* steps that succeeded all the same */
	unsigned int mapped_checks;	/* failed maps checked unmapped */
	char errnos[128];	/* the errnos the failed steps returned */
	char absorbers[256];	/* the steps that absorbed a fault */
	uint8_t *buf;		/* FI_LEN bytes to map */
	unsigned int strict;	/* DMA-FQ asked, DMA had (no flush queue) */
};

/*
 * The group as user space sees it: type, members and their drivers, and
 * what our core's debugfs says of it (upstream's core has no such file).
 */
static int fi_state(const struct fi *f, char *buf, size_t size)
{
	char path[PATH_MAX], members[8][BDF_LEN], drv[64], val[64];
	int n, i, ret;
	size_t len;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/type",
		 f->group);
	ret = sysfs_read(path, val, sizeof(val));
	if (ret < 0)
		snprintf(val, sizeof(val), "(no type: %s)", strerror(-ret));
	len = snprintf(buf, size, "type: %s\ndevices:", val);
	n = group_devices(f->group, members, 8);
	for (i = 0; i < n && i < 8; i++) {
		if (pci_driver(members[i], drv, sizeof(drv)))
			snprintf(drv, sizeof(drv), "?");
		len += snprintf(buf + len, size - len, " %s(%s)", members[i],
				drv[0] ? drv : "no driver");
	}
	len += snprintf(buf + len, size - len, "\n");
	snprintf(path, sizeof(path), FI_DEBUGFS "/iommu/groups/%d", f->group);
	if (!e2e_core_upstream &&
	    sysfs_read(path, buf + len, size - len) < 0)
		return why("cannot read %s", path);
	return 0;
}

/* The first line where two different states differ, for the report */
static void fi_diff(const char *a, const char *b, char *out, size_t size)
{
	size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");

	while (la == lb && !strncmp(a, b, la) && a[la] && b[lb]) {
		a += la + 1;
		b += lb + 1;
		la = strcspn(a, "\n");
		lb = strcspn(b, "\n");
	}
	snprintf(out, size, "\"%.*s\" became \"%.*s\"", (int)la, a, (int)lb,
		 b);
}

/* Whether the group is as @want says; why() when it is not */
static int fi_same(const struct fi *f, const char *want, const char *when)
{
	char now[FI_STATE_SIZE], diff[256];

	if (fi_state(f, now, sizeof(now)))
		return -1;
	if (!strcmp(now, want))
		return 0;
	fi_diff(want, now, diff, sizeof(diff));
	return why("n=%u (failed in %s): group %d changed %s: %s", f->n,
		   f->fired_step ?: "none", f->group, when, diff);
}

/* Add @item to the comma-separated @list unless it is there */
static void fi_list_add(char *list, size_t size, const char *item)
{
	size_t len = strlen(item), at = strlen(list);
	const char *p;

	for (p = strstr(list, item); p; p = strstr(p + 1, item))
		if ((p == list || p[-1] == ',') && (!p[len] || p[len] == ','))
			return;
	snprintf(list + at, size - at, "%s%s", at ? "," : "", item);
}

static int fi_nth_write(const struct fi *f, unsigned int n)
{
	char val[16];
	int len;

	len = snprintf(val, sizeof(val), "%u", n);
	if (pwrite(f->nth, val, len, 0) != len)
		return why("write fail-nth: %s", strerror(errno));
	return 0;
}

/*
 * Arm fail-nth for step @step with what is left of this attempt's n;
 * once the fault fired, the steps that follow run unarmed.
 */
static int fi_arm(struct fi *f, const char *step)
{
	if (!f->fired && fi_state(f, f->before, sizeof(f->before)))
		return -1;
	f->step = step;
	return f->fired ? 0 : fi_nth_write(f, f->left);
}

/*
 * Disarm after the step's syscall returned @ret (0 or -errno).  Returns 0
 * to go on (the step succeeded), 1 when the step failed by its fault and
 * left the group as it was, and -1 with why() for a failure of the test.
 */
static int fi_disarm(struct fi *f, int ret)
{
	bool fired_here = false;
	char val[16] = "";
	ssize_t len;

	if (!f->fired) {
		len = pread(f->nth, val, sizeof(val) - 1, 0);
		if (len < 0 || fi_nth_write(f, 0))
			return why("read fail-nth: %s", strerror(errno));
		val[len] = '\0';
		f->left = strtoul(val, NULL, 10);
		fired_here = !f->left;
		f->fired = fired_here;
		if (fired_here)
			f->fired_step = f->step;
	}
	f->err = ret;
	if (!ret) {
		if (fired_here) {
			f->absorbed++;
			fi_list_add(f->absorbers, sizeof(f->absorbers),
				    f->step);
		}
		return 0;
	}
	if (!f->fired)
		return why("%s failed with %s, no fault injected", f->step,
			   strerror(-ret));
	if (!fired_here)
		return why("n=%u: %s failed with %s after %s had absorbed the failed allocation",
			   f->n, f->step, strerror(-ret), f->fired_step);
	f->failed++;
	fi_list_add(f->errnos, sizeof(f->errnos),
		    strerrorname_np(-ret) ?: "?");
	return fi_same(f, f->before, "by the failed step") ? -1 : 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fi_ret(long ret)
{
	return ret < 0 ? -errno : 0;
}

/* Step @step: write @val to the sysfs file @path */
static int fi_write_step(struct fi *f, const char *step, const char *path,
			 const char *val)
{
	int fd, r;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return why("open %s: %s", path, strerror(errno));
	r = fi_arm(f, step) ?:
	    fi_disarm(f, fi_ret(write(fd, val, strlen(val))));
	close(fd);
	return r;
}

/* RAM -> edu -> RAM through the IOVA the buffer is mapped at */
static int fi_round_trip(const struct fi *f, void *bar, uint8_t *buf)
{
	uint8_t want[EDU_XFER];
	size_t first = 0;

	fill(want, sizeof(want), f->n);
	memset(buf, 0, FI_LEN);
	memcpy(buf + FI_SRC, want, sizeof(want));
	if (edu_dma(bar, FI_IOVA + FI_SRC, EDU_BUF_ADDR, EDU_XFER, false) ||
	    edu_dma(bar, EDU_BUF_ADDR, FI_IOVA + FI_DST, EDU_XFER, true))
		return -1;
	if (compare(want, buf + FI_DST, EDU_XFER, &first))
		return why("n=%u: round trip through IOVA %#llx after %s: bytes differ from +%zu",
			   f->n, FI_IOVA, f->fired ? f->fired_step : "no fault",
			   first);
	return 0;
}

/*
 * After a failed map: the edu's write to the IOVA must not reach the
 * buffer.  The IOMMU logs a fault, which the log's rate limit may drop:
 * that the page is untouched is what counts.
 */
static int fi_dma_blocked(struct fi *f, void *bar, uint8_t *buf)
{
	size_t first = 0;
	int ret;

	memset(buf, FI_VICTIM, FI_LEN);
	ret = edu_dma(bar, EDU_BUF_ADDR, FI_IOVA + PAGE,
		      e2e_iommu->fault_xfer ?: EDU_XFER, true);
	fault_stamp();
	sleep_ms(FI_FAULT_SETTLE_MS);
	if (ret)
		return -1;
	if (check_byte(buf, FI_LEN, FI_VICTIM, &first))
		return why("n=%u: after the failed %s the edu's write to %#llx reached RAM (+%zu)",
			   f->n, f->step, FI_IOVA + PAGE, first);
	f->mapped_checks++;
	return 0;
}

/*
 * (a) VFIO legacy container: open the group, set its container and the
 * type1v2 IOMMU, map, unmap, close.  Like every operation: -1 with why()
 * for a failure of the test, otherwise 0 or 1 (a step failed).
 */
static int op_container(struct fi *f)
{
	uint8_t *buf = f->buf;
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buf,
		.iova = FI_IOVA,
		.size = FI_LEN,
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = FI_IOVA,
		.size = FI_LEN,
	};
	int container, group = -1, device = -1, r, r2;
	size_t bar_size = 0;
	void *bar = NULL;
	char path[64];

	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0)
		return why("open /dev/vfio/vfio: %s", strerror(errno));
	snprintf(path, sizeof(path), "/dev/vfio/%d", f->group);
	r = fi_arm(f, "open group") ?:
	    fi_disarm(f, fi_ret(group = open(path, O_RDWR)));
	if (!r)
		r = fi_arm(f, "VFIO_GROUP_SET_CONTAINER") ?:
		    fi_disarm(f, fi_ret(ioctl(group, VFIO_GROUP_SET_CONTAINER,
					      &container)));
	if (!r)
		r = fi_arm(f, "VFIO_SET_IOMMU") ?:
		    fi_disarm(f, fi_ret(ioctl(container, VFIO_SET_IOMMU,
					      VFIO_TYPE1v2_IOMMU)));
	if (!r) {
		device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, f->bdf);
		r = device < 0 ? why("VFIO_GROUP_GET_DEVICE_FD: %s",
				     strerror(errno)) :
				 vfio_device_setup(device, &bar, &bar_size);
	}
	if (!r) {
		r = fi_arm(f, "VFIO_IOMMU_MAP_DMA") ?:
		    fi_disarm(f, fi_ret(ioctl(container, VFIO_IOMMU_MAP_DMA,
					      &map)));
		if (r == 1) {
			r2 = fi_dma_blocked(f, bar, buf);
			if (!r2 && ioctl(container, VFIO_IOMMU_UNMAP_DMA,
					 &unmap))
				r2 = why("VFIO_IOMMU_UNMAP_DMA after the failed map: %s",
					 strerror(errno));
			else if (!r2 && unmap.size)
				r2 = why("n=%u: the failed map left %llu bytes mapped",
					 f->n, (unsigned long long)unmap.size);
			r = r2 ?: r;
		} else if (!r) {
			r = fi_round_trip(f, bar, buf);
		}
	}
	if (!r) {
		r = fi_arm(f, "VFIO_IOMMU_UNMAP_DMA") ?:
		    fi_disarm(f, fi_ret(ioctl(container, VFIO_IOMMU_UNMAP_DMA,
					      &unmap)));
		if (!r && unmap.size != FI_LEN)
			r = why("n=%u: VFIO_IOMMU_UNMAP_DMA unmapped %llu bytes",
				f->n, (unsigned long long)unmap.size);
	}

	if (bar)
		munmap(bar, bar_size);
	if (device >= 0)
		close(device);
	/* Unarmed: it gives ownership back, see the top */
	if (group >= 0)
		close(group);
	r2 = fi_arm(f, "close container") ?:
	     fi_disarm(f, fi_ret(close(container)));
	return r < 0 ? r : r2;
}

/*
 * (b) VFIO cdev + iommufd: bind the cdev to an iommufd, allocate an IOAS,
 * attach, map, unmap, detach, close.
 */
static int op_cdev(struct fi *f)
{
	uint8_t *buf = f->buf;
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
	};
	struct vfio_device_detach_iommufd_pt detach = {
		.argsz = sizeof(detach),
	};
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.user_va = (uintptr_t)buf,
		.length = FI_LEN,
		.iova = FI_IOVA,
	};
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.iova = FI_IOVA,
		.length = FI_LEN,
	};
	int device, iommufd, r, r2;
	char path[PATH_MAX];
	size_t bar_size = 0;
	void *bar = NULL;

	if (vfio_cdev_path(f->bdf, path, sizeof(path)))
		return -1;
	device = open(path, O_RDWR);
	if (device < 0)
		return why("open %s: %s", path, strerror(errno));
	iommufd = open("/dev/iommu", O_RDWR);
	if (iommufd < 0) {
		close(device);
		return why("open /dev/iommu: %s", strerror(errno));
	}
	bind.iommufd = iommufd;
	r = fi_arm(f, "VFIO_DEVICE_BIND_IOMMUFD") ?:
	    fi_disarm(f, fi_ret(ioctl(device, VFIO_DEVICE_BIND_IOMMUFD,
				      &bind)));
	if (!r)
		r = fi_arm(f, "IOMMU_IOAS_ALLOC") ?:
		    fi_disarm(f, fi_ret(ioctl(iommufd, IOMMU_IOAS_ALLOC,
					      &alloc)));
	attach.pt_id = alloc.out_ioas_id;
	map.ioas_id = alloc.out_ioas_id;
	unmap.ioas_id = alloc.out_ioas_id;
	if (!r)
		r = fi_arm(f, "VFIO_DEVICE_ATTACH_IOMMUFD_PT") ?:
		    fi_disarm(f, fi_ret(ioctl(device,
					      VFIO_DEVICE_ATTACH_IOMMUFD_PT,
					      &attach)));
	if (!r)
		r = vfio_device_setup(device, &bar, &bar_size);
	if (!r) {
		r = fi_arm(f, "IOMMU_IOAS_MAP") ?:
		    fi_disarm(f, fi_ret(ioctl(iommufd, IOMMU_IOAS_MAP, &map)));
		if (r == 1) {
			r2 = fi_dma_blocked(f, bar, buf);
			if (!r2 && !ioctl(iommufd, IOMMU_IOAS_UNMAP, &unmap))
				r2 = why("n=%u: the failed map left %llu bytes mapped",
					 f->n, (unsigned long long)unmap.length);
			else if (!r2 && errno != ENOENT)
				r2 = why("IOMMU_IOAS_UNMAP after the failed map: %s, not ENOENT",
					 strerror(errno));
			r = r2 ?: r;
		} else if (!r) {
			r = fi_round_trip(f, bar, buf);
		}
	}
	if (!r) {
		r = fi_arm(f, "IOMMU_IOAS_UNMAP") ?:
		    fi_disarm(f, fi_ret(ioctl(iommufd, IOMMU_IOAS_UNMAP,
					      &unmap)));
		if (!r && unmap.length != FI_LEN)
			r = why("n=%u: IOMMU_IOAS_UNMAP unmapped %llu bytes",
				f->n, (unsigned long long)unmap.length);
	}
	if (!r)
		r = fi_arm(f, "VFIO_DEVICE_DETACH_IOMMUFD_PT") ?:
		    fi_disarm(f, fi_ret(ioctl(device,
					      VFIO_DEVICE_DETACH_IOMMUFD_PT,
					      &detach)));

	if (bar)
		munmap(bar, bar_size);
	/* Unarmed: it gives ownership back, see the top */
	close(device);
	r2 = fi_arm(f, "close iommufd") ?:
	     fi_disarm(f, fi_ret(close(iommufd)));
	return r < 0 ? r : r2;
}

/*
 * (c) The group's sysfs type, with no driver bound: identity, then back
 * to what it was.
 */
static int op_type(struct fi *f)
{
	char path[PATH_MAX], type[32], now[32] = "";
	int r;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/type",
		 f->group);
	if (sysfs_read(path, type, sizeof(type)) < 0)
		return why("read %s: %s", path, strerror(errno));
	r = fi_write_step(f, "type identity", path, "identity");
	if (!r && (sysfs_read(path, now, sizeof(now)) < 0 ||
		   strcmp(now, "identity")))
		return why("n=%u: group %d is %s after writing identity",
			   f->n, f->group, now);
	if (!r)
		r = fi_write_step(f, "type back", path, type);
	if (!r && (sysfs_read(path, now, sizeof(now)) < 0 ||
		   strcmp(now, type))) {
		/*
		 * A flush queue that cannot be allocated leaves the domain
		 * strict, by design (iommu_dma_init_domain() upstream).
		 */
		if (!f->fired || strcmp(type, "DMA-FQ") || strcmp(now, "DMA"))
			return why("n=%u: group %d is %s after writing %s",
				   f->n, f->group, now, type);
		f->strict++;
		r = 1;
	}
	/* Back to the type of before, when the way back failed */
	if (r == 1 && sysfs_write(path, type))
		return why("n=%u: cannot set group %d back to %s", f->n,
			   f->group, type);
	return r;
}

/*
 * (d) Our module: bind it (probe: DMA mask, bus master, and in the driver
 * core the group's DMA API ownership), one DMA API round trip, unbind.
 */
static int op_bind(struct fi *f)
{
	char path[PATH_MAX], drv[64] = "";
	int r, r2 = 0;

	r = fi_write_step(f, "bind", "/sys/bus/pci/drivers/" E2E_DRIVER "/bind",
			  f->bdf);
	if (!r) {
		snprintf(path, sizeof(path),
			 "/sys/bus/pci/devices/%s/e2e_dma", f->bdf);
		r = fi_write_step(f, "DMA round trip", path, "1");
		/* The module reports a wrong copy as EIO */
		if (r == 1 && f->err != -ENOMEM)
			r = why("n=%u: DMA round trip failed with %s after an allocation failure",
				f->n, strerror(-f->err));
	}
	if (r >= 0 && !pci_driver(f->bdf, drv, sizeof(drv)) &&
	    !strcmp(drv, E2E_DRIVER))
		r2 = fi_write_step(f, "unbind",
				   "/sys/bus/pci/drivers/" E2E_DRIVER "/unbind",
				   f->bdf);
	/* Still bound after a failed unbind, or a failure of the test */
	if (r < 0 || r2)
		pci_unbind(f->bdf);
	return r < 0 ? r : r2;
}

/*
 * ACPICA, the ACPI interpreter, does not survive a failed allocation: an
 * AE_NO_MEMORY in the middle of evaluating _PRT (pci_enable_device(),
 * which vfio-pci's open and our module's probe call on x86) loses an
 * object's reference ("Could not update object reference count") and a
 * later evaluation reads it freed (KASAN).  Not the IOMMU's code: its
 * allocations are left alone.  Where there is ACPICA and the stack trace
 * filter of fault injection, @range gets its text: from its first
 * internal function (acpi_<component>_*) to the end of its last one in
 * /proc/kallsyms, sorted by address, within the kernel's text (not
 * .init.text), where nothing else lies between them.
 */
static bool fi_acpica(unsigned long long range[2])
{
	static const char *const acpica[] = {
		"acpi_ds_", "acpi_ev_", "acpi_ex_", "acpi_hw_", "acpi_ns_",
		"acpi_ps_", "acpi_rs_", "acpi_tb_", "acpi_ut_",
	};
	bool text = false, open_end = false;
	char type, name[128];
	unsigned long long addr;
	FILE *syms;

	if (access(FI_DEBUGFS "/failslab/reject-start", W_OK))
		return false;
	syms = fopen("/proc/kallsyms", "r");
	if (!syms)
		return false;
	range[0] = 0;
	range[1] = 0;
	while (fscanf(syms, "%llx %c %127s%*[^\n]", &addr, &type, name) == 3) {
		bool ours = false;

		if (!strcmp(name, "_stext") || !strcmp(name, "_etext"))
			text = !strcmp(name, "_stext");
		/* __pfx_<f>: the padding before each function f */
		if (!text || (type != 't' && type != 'T') ||
		    !strncmp(name, "__pfx_", 6))
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(acpica); i++)
			ours |= !strncmp(name, acpica[i], strlen(acpica[i]));
		if (ours && !range[0])
			range[0] = addr;
		if (!ours && open_end)
			range[1] = addr;
		open_end = ours;
	}
	fclose(syms);
	return range[0] && range[0] < range[1];
}

/*
 * Fail every allocation the kernel makes for this task, sleeping ones too
 * (by default fault injection leaves GFP_KERNEL alone), order-0 pages
 * too (page tables), without the stack dump each failure would print.
 * Nothing fails unless fail-nth is armed: the probability stays 0.
 */
static int fi_setup(void)
{
	static const char *const knobs[][2] = {
		{ "failslab/ignore-gfp-wait", "N" },
		{ "failslab/verbose", "0" },
		{ "fail_page_alloc/ignore-gfp-wait", "N" },
		{ "fail_page_alloc/min-order", "0" },
		{ "fail_page_alloc/verbose", "0" },
		/* iommufd's own points of failure (IOMMUFD_TEST) */
		{ "fail_iommufd/verbose", "0" },
	};
	static const char *const attrs[] = { "failslab", "fail_page_alloc" };
	unsigned long long range[2];
	char path[PATH_MAX], val[24];
	int ret;

	for (size_t i = 0; i < ARRAY_SIZE(knobs); i++) {
		snprintf(path, sizeof(path), FI_DEBUGFS "/%s", knobs[i][0]);
		ret = sysfs_write(path, knobs[i][1]);
		if (ret)
			return why("write %s: %s", path, strerror(-ret));
	}
	if (!fi_acpica(range))
		return 0;
	note("fail-nth: ACPICA's allocations never fail (%#llx-%#llx)",
	     range[0], range[1]);
	for (size_t i = 0; i < ARRAY_SIZE(attrs); i++) {
		for (int end = 0; end < 2; end++) {
			snprintf(path, sizeof(path), FI_DEBUGFS "/%s/reject-%s",
				 attrs[i], end ? "end" : "start");
			snprintf(val, sizeof(val), "%#llx", range[end]);
			ret = sysfs_write(path, val);
			if (ret)
				return why("write %s: %s", path, strerror(-ret));
		}
	}
	return 0;
}

/*
 * Run @op with its n-th allocation failing, n = 1, 2, ... until it runs
 * through without reaching it; the single edu bound to @drv (NULL: no
 * driver) throughout.
 */
static void fi_run(const struct topo *t, const char *name, const char *drv,
		   int (*op)(struct fi *f))
{
	struct fi f = {
		.group = t->single_group,
		.bdf = t->single,
		.nth = -1,
		.step = "start",
	};
	double start_s = now_s();
	char start[FI_STATE_SIZE];
	int ret;

	if (e2e_iommu->no_fail_nth) {
		result(name, true, "%s" E2E_NOT_CHECKED "fault injection: %s",
		       t->single, e2e_iommu->no_fail_nth);
		return;
	}
	f.buf = mmap(NULL, FI_LEN, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (f.buf == MAP_FAILED) {
		result(name, false, "buffer: %s", strerror(errno));
		return;
	}
	ret = drv ? pci_bind(t->single, drv) : 0;
	if (ret) {
		result(name, false, "bind %s to %s: %s", t->single, drv,
		       strerror(-ret));
		goto out;
	}
	f.nth = open("/proc/thread-self/fail-nth", O_RDWR);
	if (f.nth < 0) {
		result(name, false, "open /proc/thread-self/fail-nth: %s",
		       strerror(errno));
		goto out;
	}
	if (fi_setup() || fi_state(&f, start, sizeof(start))) {
		result(name, false, "%s", e2e_why);
		goto out;
	}
	for (f.n = 1; f.n <= FI_MAX_N; f.n++) {
		f.left = f.n;
		f.fired = false;
		f.fired_step = NULL;
		if (op(&f) < 0 || fi_same(&f, start, "after closing")) {
			result(name, false, "%s", e2e_why);
			goto out;
		}
		if (!f.fired)
			break;
	}
	if (f.n > FI_MAX_N)
		result(name, false, "still reaching its n-th allocation at n=%d",
		       FI_MAX_N);
	else
		result(name, true,
		       "%u failed steps (%s), group unchanged by each and after closing; %u faults absorbed by the kernel (in %s), the operation then completed%s; %u failed maps left nothing mapped; %.1f s"
		       E2E_FAULTS "%u",
		       f.failed, f.errnos[0] ? f.errnos : "-", f.absorbed,
		       f.absorbers[0] ? f.absorbers : "none",
		       f.strict ? " (DMA, not DMA-FQ, without a flush queue)" : "",
		       f.mapped_checks, now_s() - start_s, f.n - 1);
out:
	if (f.nth >= 0)
		close(f.nth);
	munmap(f.buf, FI_LEN);
}

void test_fail_nth_container(const struct topo *t)
{
	fi_run(t, "fail-nth-vfio-container", "vfio-pci", op_container);
}

void test_fail_nth_cdev(const struct topo *t)
{
	fi_run(t, "fail-nth-vfio-cdev", "vfio-pci", op_cdev);
}

/*
 * Not run on upstream's core and DMA layer, whose kernel it brings down:
 * when the IOVA caches of the new DMA domain cannot all be allocated,
 * iova_domain_init_rcaches() frees them with free_iova_rcaches(), which
 * passes the magazines of the CPUs not reached yet, NULL, to
 * kmem_cache_free(): an oops.
 */
void test_fail_nth_type(const struct topo *t)
{
	if (e2e_core_upstream)
		result_gap("fail-nth-group-type", false,
			   "an allocation failed in iova_domain_init_rcaches() oopses in free_iova_rcaches() (kmem_cache_free(NULL)); not run",
			   "");
	else
		fi_run(t, "fail-nth-group-type", NULL, op_type);
}

/*
 * Probe with the module's checks off: probe then fails with the errno of
 * what failed, where the checks would report it and bind anyway.
 */
void test_fail_nth_bind(const struct topo *t)
{
	const char *param = "/sys/module/" E2E_DRIVER "/parameters/probe_checks";
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 t->single);
	ret = sysfs_write(param, "N") ?: sysfs_write(path, E2E_DRIVER);
	if (ret)
		result("fail-nth-driver-bind", false, "set up %s: %s",
		       E2E_DRIVER, strerror(-ret));
	else
		fi_run(t, "fail-nth-driver-bind", NULL, op_bind);
	sysfs_write(param, "Y");
}
