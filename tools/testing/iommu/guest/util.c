// SPDX-License-Identifier: GPL-2.0
/*
 * Guest side of the IOMMU end-to-end tests: sysfs, PCI driver binding,
 * kernel log, pagemap and edu helpers.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"

char e2e_why[512];

/* Record why something failed; returns -1 for "return why(...)". */
int why(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e2e_why, sizeof(e2e_why), fmt, ap);
	va_end(ap);
	return -1;
}

/* A diagnostic line on the console. */
void note(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# %s\n", line);
	fflush(stderr);
}

/*
 * A result line on stdout: "PASS e2e/<name>: <detail>" or
 * "FAIL e2e/<name>: <reason>".  The runner strips the detail of a PASS.
 */
void result(const char *name, bool pass, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* Keep it on one line whatever the reason contains. */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	printf("%s e2e/%s: %s\n", pass ? "PASS" : "FAIL", name, line);
	fflush(stdout);
}

/*
 * The result of a check upstream's core is known to fail: on our core a
 * plain result; on upstream's "XFAIL" with @gap when it fails, as
 * expected, and "XPASS" (a failure: the gap is gone) when it passes.
 */
void result_gap(const char *name, bool pass, const char *gap,
		const char *detail)
{
	if (!e2e_core_upstream)
		result(name, pass, "%s", detail);
	else
		printf("%s e2e/%s: upstream: %s\n", pass ? "XPASS" : "XFAIL",
		       name, gap);
	fflush(stdout);
}

int sysfs_read(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return n;
}

int sysfs_write(const char *path, const char *val)
{
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int link_name(const char *path, char *name, size_t size)
{
	char target[PATH_MAX];
	ssize_t n;
	char *base;

	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	snprintf(name, size, "%s", base ? base + 1 : target);
	return 0;
}

/* Name of the driver bound to @bdf, "" when none. */
int pci_driver(const char *bdf, char *drv, size_t size)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	ret = link_name(path, drv, size);
	if (ret == -ENOENT) {
		drv[0] = '\0';
		return 0;
	}
	return ret;
}

/* IOMMU group number of @bdf, -1 when it has none. */
int pci_group(const char *bdf)
{
	char path[PATH_MAX], name[64];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 bdf);
	if (link_name(path, name, sizeof(name)))
		return -1;
	return atoi(name);
}

/* Name of the IOMMU @bdf is behind (e.g. "dmar0"), -errno when none. */
int pci_iommu(const char *bdf, char *name, size_t size)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu", bdf);
	return link_name(path, name, size);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Devices of IOMMU group @group, sorted; returns how many. */
int group_devices(int group, char names[][BDF_LEN], int max)
{
	char path[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices",
		 group);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (n < max)
			snprintf(names[n], BDF_LEN, "%s", de->d_name);
		n++;
	}
	closedir(dir);
	qsort(names, n < max ? n : max, BDF_LEN, cmp_name);
	return n;
}

int pci_unbind(const char *bdf)
{
	char path[PATH_MAX], drv[64];
	int ret;

	ret = pci_driver(bdf, drv, sizeof(drv));
	if (ret || !drv[0])
		return ret;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind",
		 bdf);
	return sysfs_write(path, bdf);
}

/*
 * Bind @bdf to @drv through driver_override, so that nothing else takes
 * the device.  Returns 0 or the -errno of the bind.  The override stays
 * until pci_release().
 */
int pci_bind(const char *bdf, const char *drv)
{
	char path[PATH_MAX], cur[64];
	int ret;

	ret = pci_driver(bdf, cur, sizeof(cur));
	if (ret)
		return ret;
	if (!strcmp(cur, drv))
		return 0;
	ret = pci_unbind(bdf);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	ret = sysfs_write(path, drv);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", drv);
	return sysfs_write(path, bdf);
}

/* Back to the state the tests start from: no driver, no override. */
void pci_release(const char *bdf)
{
	char path[PATH_MAX];
	int ret;

	ret = pci_unbind(bdf);
	if (ret)
		note("unbind %s: %s", bdf, strerror(-ret));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	ret = sysfs_write(path, "\n");
	if (ret)
		note("clear driver_override of %s: %s", bdf, strerror(-ret));
}

static bool is_edu(const char *bdf)
{
	char path[PATH_MAX], val[32];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", bdf);
	if (sysfs_read(path, val, sizeof(val)) < 0 ||
	    strtoul(val, NULL, 0) != EDU_VENDOR)
		return false;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", bdf);
	return sysfs_read(path, val, sizeof(val)) >= 0 &&
	       strtoul(val, NULL, 0) == EDU_DEVICE;
}

/*
 * Find the edu alone in its group and the two sharing one.  On failure
 * t->error says why.
 */
int topo_discover(struct topo *t)
{
	char names[64][BDF_LEN], members[8][BDF_LEN];
	struct dirent *de;
	int i, j, n = 0;
	DIR *dir;

	memset(t, 0, sizeof(*t));
	t->single_group = -1;
	t->shared_group = -1;
	dir = opendir("/sys/bus/pci/devices");
	if (!dir) {
		snprintf(t->error, sizeof(t->error), "no /sys/bus/pci/devices");
		return -1;
	}
	while ((de = readdir(dir)) && n < 64) {
		if (de->d_name[0] != '.' && is_edu(de->d_name))
			snprintf(names[n++], BDF_LEN, "%s", de->d_name);
	}
	closedir(dir);
	qsort(names, n, BDF_LEN, cmp_name);

	for (i = 0; i < n && t->nr_all < 8; i++)
		snprintf(t->all[t->nr_all++], BDF_LEN, "%s", names[i]);

	/*
	 * Where the IOMMU groups a device only when a driver first binds it,
	 * bind and release vfio-pci once; the group stays.
	 */
	for (i = 0; i < n && e2e_iommu->group_on_bind; i++) {
		if (pci_group(names[i]) >= 0)
			continue;
		pci_bind(names[i], "vfio-pci");
		pci_release(names[i]);
		t->nr_primed++;
	}

	for (i = 0; i < n; i++) {
		int g = pci_group(names[i]);

		if (g < 0)
			continue;
		if (group_devices(g, members, 8) == 1 && !t->single[0]) {
			snprintf(t->single, BDF_LEN, "%s", names[i]);
			t->single_group = g;
			continue;
		}
		for (j = i + 1; j < n && !t->shared[0][0]; j++) {
			if (pci_group(names[j]) == g) {
				snprintf(t->shared[0], BDF_LEN, "%s", names[i]);
				snprintf(t->shared[1], BDF_LEN, "%s", names[j]);
				t->shared_group = g;
			}
		}
	}
	for (i = 0; i < n && !t->reset[0]; i++) {
		char path[PATH_MAX];
		int g = pci_group(names[i]);

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset",
			 names[i]);
		if (g >= 0 && group_devices(g, members, 8) == 1 &&
		    !access(path, W_OK))
			snprintf(t->reset, BDF_LEN, "%s", names[i]);
	}
	if (!n)
		snprintf(t->error, sizeof(t->error), "no edu device found");
	else if (!t->single[0])
		snprintf(t->error, sizeof(t->error),
			 "no edu alone in its IOMMU group (%d edu found)", n);
	else if (!t->shared[0][0])
		snprintf(t->error, sizeof(t->error),
			 "no two edu sharing an IOMMU group (%d edu found)", n);
	return t->error[0] ? -1 : 0;
}

/* /dev/kmsg, positioned after every record logged so far. */
int kmsg_open(void)
{
	int fd;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return why("open /dev/kmsg: %s", strerror(errno));
	lseek(fd, 0, SEEK_END);
	return fd;
}

/* Wait up to @ms for a new kernel log record containing both needles. */
bool kmsg_wait(int fd, const char *needle, const char *needle2, int ms)
{
	char rec[2048];
	int waited = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n > 0) {
			rec[n] = '\0';
			if (strstr(rec, needle) &&
			    (!needle2 || strstr(rec, needle2)))
				return true;
			continue;
		}
		if (n < 0 && errno == EPIPE)	/* records were overwritten */
			continue;
		if (waited >= ms)
			return false;
		sleep_ms(20);
		waited += 20;
	}
}

/* Physical address of @va from /proc/self/pagemap (needs root). */
int virt_to_phys(const void *va, uint64_t *phys)
{
	uint64_t ent;
	off_t off;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return why("open pagemap: %s", strerror(errno));
	off = (uintptr_t)va / PAGE * sizeof(ent);
	if (pread(fd, &ent, sizeof(ent), off) != sizeof(ent)) {
		close(fd);
		return why("read pagemap: %s", strerror(errno));
	}
	close(fd);
	if (!(ent >> 63))
		return why("page %p is not present", va);
	ent &= (1ULL << 55) - 1;
	if (!ent)
		return why("pagemap hides PFNs (not root?)");
	*phys = ent * PAGE + (uintptr_t)va % PAGE;
	return 0;
}

void fill(uint8_t *buf, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + seed + (i >> 8));
}

/* Bytes of @got that differ from @want; *first is the first of them. */
size_t compare(const uint8_t *want, const uint8_t *got, size_t len,
	       size_t *first)
{
	size_t bad = 0;

	for (size_t i = 0; i < len; i++) {
		if (want[i] != got[i]) {
			if (!bad)
				*first = i;
			bad++;
		}
	}
	return bad;
}

/* Bytes of @buf that are not @val. */
size_t check_byte(const uint8_t *buf, size_t len, uint8_t val, size_t *first)
{
	size_t bad = 0;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] != val) {
			if (!bad)
				*first = i;
			bad++;
		}
	}
	return bad;
}

void sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * One edu DMA transfer through a mmap()ed BAR0, waiting for it to finish.
 * @to_ram: edu buffer -> @dst in RAM, else @src in RAM -> edu buffer.
 */
int edu_dma(void *bar, uint64_t src, uint64_t dst, uint64_t cnt, bool to_ram)
{
	int ms;

	mmio_write64(bar, EDU_DMA_SRC, src);
	mmio_write64(bar, EDU_DMA_DST, dst);
	mmio_write64(bar, EDU_DMA_CNT, cnt);
	mmio_write64(bar, EDU_DMA_CMD,
		     EDU_DMA_RUN | (to_ram ? EDU_DMA_TO_RAM : 0));
	for (ms = 0; ms < 5000; ms += 2) {
		if (!(mmio_read64(bar, EDU_DMA_CMD) & EDU_DMA_RUN))
			return 0;
		sleep_ms(2);
	}
	return why("edu DMA %#llx -> %#llx did not complete in 5 s",
		   (unsigned long long)src, (unsigned long long)dst);
}
