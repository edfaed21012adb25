// SPDX-License-Identifier: GPL-2.0
/*
 * Guest side of the IOMMU end-to-end tests: real drivers doing real block
 * I/O through the DMA-IOMMU layer.
 *
 * run-e2e.sh gives the guest two disks behind the row's IOMMU, each a PCI
 * device alone in its IOMMU group: a QEMU NVMe controller with serial
 * DISK_NVME_SERIAL and a modern virtio-blk that offers
 * VIRTIO_F_ACCESS_PLATFORM (iommu_platform=on), so that virtio_ring maps
 * its rings and buffers with the DMA API too.  For each disk the test
 *
 *   - finds the block device by its sysfs identity and its PCI device by
 *     the block device's path in sysfs;
 *   - checks that the PCI device is behind the row's IOMMU, in a group of
 *     its own whose default domain translates DMA ("DMA" or "DMA-FQ"; on a
 *     row that sets the flush mode, exactly the type of that mode):
 *     otherwise the I/O below proves nothing about the IOMMU;
 *   - writes DISK_BYTES with O_DIRECT in requests of 4 KiB to 1 MiB in a
 *     pseudo-random size sequence, from page-aligned buffers, the data a
 *     pattern of the byte offset and a seed drawn at run time (so data of
 *     another run, or of another offset, cannot match); reads it all back
 *     in another size sequence into a buffer poisoned before every read
 *     (so a read whose DMA never landed cannot match either), and
 *     compares every byte;
 *   - checks that the disk's I/O statistics count every sector both ways
 *     (no cache served any of it), and that DMA API debugging, when the
 *     kernel has it, counted no error meanwhile.
 *
 * dma-mode, on the rows that set the flush mode (-m), checks that every
 * translating default domain is of that mode's type.
 */
#define _GNU_SOURCE		/* O_DIRECT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"

#define DISK_NVME_SERIAL	"e2e-nvme"
#define DISK_BYTES		(64UL << 20)
#define DISK_MAX_REQ		(1024UL * 1024)
#define DISK_POISON		0xa5
/* virtio-blk modern (non-transitional) PCI device ID */
#define VIRTIO_BLK_MODERN_ID	0x1042
#define VIRTIO_F_ACCESS_PLATFORM	33
#define DMA_API_ERRORS		"/sys/kernel/debug/dma-api/error_count"
/* Fixed seeds of the two request size sequences. */
#define WRITE_SIZES_SEED	0x5eed0001ULL
#define READ_SIZES_SEED		0x5eed0002ULL

const char *e2e_flush;

/* The domain type a translating group must have on this row, or NULL. */
static const char *flush_type(void)
{
	if (!e2e_flush)
		return NULL;
	return strcmp(e2e_flush, "strict") ? "DMA-FQ" : "DMA";
}

static bool translating(const char *type)
{
	return !strcmp(type, "DMA") || !strcmp(type, "DMA-FQ");
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* xorshift64*: the request size sequences */
static uint64_t rnd(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dULL;
}

/*
 * A request size of 4 KiB to 1 MiB, log-uniform: 2^k pages plus up to as
 * many again, k from 0 to 8, capped at DISK_MAX_REQ.
 */
static size_t next_size(uint64_t *state)
{
	uint64_t r = rnd(state);
	size_t pages = 1UL << (r % 9);

	pages += (r >> 8) % pages;
	if (pages * PAGE > DISK_MAX_REQ)
		pages = DISK_MAX_REQ / PAGE;
	return pages * PAGE;
}

/* The 8 bytes at byte offset @off (a multiple of 8) of a run of @seed. */
static uint64_t pattern(uint64_t seed, uint64_t off)
{
	uint64_t x = seed ^ (off * 0x9e3779b97f4a7c15ULL);

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	return x;
}

static void fill_pattern(uint64_t *buf, size_t len, uint64_t seed,
			 uint64_t off)
{
	for (size_t i = 0; i < len / 8; i++)
		buf[i] = pattern(seed, off + i * 8);
}

/*
 * Compare @buf, read from byte offset @off, with the pattern; 0, or why()
 * with the first bad byte and the number of bad 8-byte words.
 */
static int check_pattern(const uint64_t *buf, size_t len, uint64_t seed,
			 uint64_t off)
{
	size_t bad = 0, first = 0;
	uint64_t want = 0, got = 0;
	int b;

	for (size_t i = 0; i < len / 8; i++) {
		uint64_t w = pattern(seed, off + i * 8);

		if (buf[i] == w)
			continue;
		if (!bad++) {
			first = i;
			want = w;
			got = buf[i];
		}
	}
	if (!bad)
		return 0;
	/* The first differing byte of the first differing word */
	for (b = 0; b < 7; b++)
		if (((const uint8_t *)&want)[b] != ((const uint8_t *)&got)[b])
			break;
	return why("read back at offset %llu: %#x, want %#x (%zu of %zu words bad in %zu bytes)",
		   (unsigned long long)(off + first * 8 + b),
		   ((const uint8_t *)&got)[b], ((const uint8_t *)&want)[b],
		   bad, len / 8, len);
}

/* The last "dddd:bb:dd.f" component of @path, the PCI device, into @bdf. */
static int path_pci_dev(const char *path, char *bdf)
{
	char real[PATH_MAX], *save, *comp;
	unsigned int d, b, s, f;
	bool found = false;
	int n;

	if (!realpath(path, real))
		return why("realpath %s: %s", path, strerror(errno));
	for (comp = strtok_r(real, "/", &save); comp;
	     comp = strtok_r(NULL, "/", &save)) {
		n = 0;
		if (sscanf(comp, "%4x:%2x:%2x.%1x%n", &d, &b, &s, &f, &n) == 4 &&
		    n == (int)strlen(comp) && n == 12) {
			snprintf(bdf, BDF_LEN, "%s", comp);
			found = true;
		}
	}
	if (!found)
		return why("%s is not below a PCI device", path);
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* /sys/block entries starting with @prefix, sorted; returns how many. */
static int block_devices(const char *prefix, char names[][32], int max)
{
	struct dirent *de;
	DIR *dir;
	int n = 0;

	dir = opendir("/sys/block");
	if (!dir)
		return why("no /sys/block: %s", strerror(errno));
	while ((de = readdir(dir)) && n < max)
		if (!strncmp(de->d_name, prefix, strlen(prefix)))
			snprintf(names[n++], 32, "%s", de->d_name);
	closedir(dir);
	qsort(names, n, 32, cmp_name);
	return n;
}

/*
 * The NVMe namespace whose controller has serial DISK_NVME_SERIAL, on a
 * PCIe controller; its block device name in @blk, PCI device in @bdf.
 */
static int find_nvme(char *blk, char *bdf, char *what, size_t size)
{
	char names[16][32], path[PATH_MAX], val[64], seen[256] = "";
	int n = block_devices("nvme", names, 16), len;

	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/sys/block/%s/device/serial",
			 names[i]);
		len = sysfs_read(path, val, sizeof(val));
		if (len < 0) {
			snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen),
				 " %s (no serial)", names[i]);
			continue;
		}
		/* The controller's attribute is the 20-byte field, padded. */
		while (len > 0 && val[len - 1] == ' ')
			val[--len] = '\0';
		if (strcmp(val, DISK_NVME_SERIAL)) {
			snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen),
				 " %s (serial %s)", names[i], val);
			continue;
		}
		snprintf(path, sizeof(path), "/sys/block/%s/device/transport",
			 names[i]);
		if (sysfs_read(path, val, sizeof(val)) < 0 ||
		    strcmp(val, "pcie"))
			return why("%s: transport %s, not pcie", names[i], val);
		snprintf(path, sizeof(path), "/sys/block/%s", names[i]);
		if (path_pci_dev(path, bdf))
			return -1;
		snprintf(blk, 32, "%s", names[i]);
		snprintf(what, size, "NVMe %s (serial %s)", blk,
			 DISK_NVME_SERIAL);
		return 0;
	}
	return why("no NVMe namespace of a controller with serial %s in /sys/block:%s",
		   DISK_NVME_SERIAL, seen[0] ? seen : " none");
}

/*
 * The virtio-blk disk, on a modern virtio PCI device that negotiated
 * VIRTIO_F_ACCESS_PLATFORM: without it virtio_ring bypasses the DMA API,
 * and so the IOMMU.
 */
static int find_virtio_blk(char *blk, char *bdf, char *what, size_t size)
{
	char names[16][32], path[PATH_MAX], val[128];
	int n = block_devices("vd", names, 16);

	if (n < 0)
		return -1;
	if (n != 1)
		return why("%d virtio-blk disks (/sys/block/vd*), run-e2e.sh gives one",
			   n);
	snprintf(blk, 32, "%s", names[0]);
	snprintf(path, sizeof(path), "/sys/block/%s", blk);
	if (path_pci_dev(path, bdf))
		return -1;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", bdf);
	if (sysfs_read(path, val, sizeof(val)) < 0 ||
	    strtoul(val, NULL, 0) != VIRTIO_BLK_MODERN_ID)
		return why("%s: PCI device %s has device ID %s, not the modern virtio-blk %#x",
			   blk, bdf, val, VIRTIO_BLK_MODERN_ID);
	snprintf(path, sizeof(path), "/sys/block/%s/device/features", blk);
	if (sysfs_read(path, val, sizeof(val)) <= VIRTIO_F_ACCESS_PLATFORM)
		return why("%s: cannot read the virtio features (%s)", blk,
			   path);
	if (val[VIRTIO_F_ACCESS_PLATFORM] != '1')
		return why("%s: no VIRTIO_F_ACCESS_PLATFORM, virtio bypasses the DMA API",
			   blk);
	snprintf(what, size, "virtio-blk %s (ACCESS_PLATFORM)", blk);
	return 0;
}

/*
 * @bdf is behind the row's IOMMU, alone in its group, whose default domain
 * translates (of this row's flush mode, if it sets one).  The group's
 * number and type in @desc.
 */
static int check_translated(const char *bdf, char *desc, size_t size)
{
	char path[PATH_MAX], type[32] = "?", iommu[64], what[128];
	char members[4][BDF_LEN];
	const char *want = flush_type();
	int group, n;

	if (pci_iommu(bdf, iommu, sizeof(iommu)))
		return why("%s is behind no IOMMU", bdf);
	if (e2e_iommu->check(iommu, what, sizeof(what)))
		return why("%s: %s", bdf, e2e_why);
	group = pci_group(bdf);
	if (group < 0)
		return why("%s has no IOMMU group", bdf);
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/type",
		 group);
	sysfs_read(path, type, sizeof(type));
	if (!translating(type))
		return why("%s: group %d has domain type %s, not DMA/DMA-FQ: I/O not translated",
			   bdf, group, type);
	if (want && strcmp(type, want))
		return why("%s: group %d has domain type %s on a %s row, want %s",
			   bdf, group, type, e2e_flush, want);
	n = group_devices(group, members, 4);
	if (n != 1)
		return why("%s: group %d has %d devices, the disk must be alone",
			   bdf, group, n);
	snprintf(desc, size, "%s group %d %s, behind %s", bdf, group, type,
		 what);
	return 0;
}

/*
 * The sectors @blk read and wrote so far, from its I/O statistics
 * (Documentation/block/stat.rst): fields 3 and 7.
 */
static int disk_sectors(const char *blk, uint64_t *rd, uint64_t *wr)
{
	char path[PATH_MAX], val[256];
	unsigned long long f[7];

	snprintf(path, sizeof(path), "/sys/block/%s/stat", blk);
	if (sysfs_read(path, val, sizeof(val)) < 0 ||
	    sscanf(val, "%llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1],
		   &f[2], &f[3], &f[4], &f[5], &f[6]) != 7)
		return why("cannot read %s", path);
	*rd = f[2];
	*wr = f[6];
	return 0;
}

/* DMA API debugging's error count, -1 when the kernel does not debug. */
static long dma_api_errors(void)
{
	char val[32];

	if (sysfs_read(DMA_API_ERRORS, val, sizeof(val)) <= 0)
		return -1;
	return strtol(val, NULL, 10);
}

struct io_stats {
	unsigned int writes, reads;
	size_t min_req, max_req;
	uint64_t write_ns, read_ns;
};

static void count_req(struct io_stats *st, size_t len)
{
	if (!st->min_req || len < st->min_req)
		st->min_req = len;
	if (len > st->max_req)
		st->max_req = len;
}

/*
 * DISK_BYTES from offset 0 of @fd, in the write or the read request size
 * sequence: written from @buf with the pattern of @seed, or read into it
 * and compared with that pattern.
 */
static int disk_pass(int fd, uint8_t *buf, uint64_t seed, bool write,
		     struct io_stats *st)
{
	uint64_t sizes = write ? WRITE_SIZES_SEED : READ_SIZES_SEED;
	uint64_t t0 = now_ns();
	uint64_t off = 0;
	ssize_t done;

	while (off < DISK_BYTES) {
		size_t len = next_size(&sizes);

		if (len > DISK_BYTES - off)
			len = DISK_BYTES - off;
		count_req(st, len);
		if (write) {
			fill_pattern((uint64_t *)buf, len, seed, off);
			done = pwrite(fd, buf, len, off);
			st->writes++;
		} else {
			memset(buf, DISK_POISON, len);
			done = pread(fd, buf, len, off);
			st->reads++;
		}
		if (done < 0)
			return why("%s of %zu bytes at offset %llu: %s",
				   write ? "write" : "read", len,
				   (unsigned long long)off, strerror(errno));
		if ((size_t)done != len)
			return why("%s of %zu bytes at offset %llu: %zd done",
				   write ? "write" : "read", len,
				   (unsigned long long)off, done);
		if (!write && check_pattern((uint64_t *)buf, len, seed, off))
			return -1;
		off += len;
	}
	if (write && fdatasync(fd))
		return why("fdatasync: %s", strerror(errno));
	if (write)
		st->write_ns = now_ns() - t0;
	else
		st->read_ns = now_ns() - t0;
	return 0;
}

/*
 * Seed of this run's data: never the same twice.  GRND_INSECURE: a test
 * pattern needs no cryptographic quality, and must not wait for the
 * entropy pool, which fills slowly under TCG.
 */
static uint64_t run_seed(void)
{
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_INSECURE) != sizeof(seed))
		seed = now_ns() ^ (uint64_t)getpid() << 48;
	return seed | 1;
}

static void test_disk(const char *name,
		      int (*find)(char *blk, char *bdf, char *what,
				  size_t size))
{
	char blk[32], bdf[BDF_LEN], what[96], desc[256], path[PATH_MAX];
	struct io_stats st = { 0 };
	uint64_t seed = run_seed(), disk_size = 0, rd0, wr0, rd, wr;
	long errors_before, errors_after;
	uint8_t *buf;
	int fd;

	if (find(blk, bdf, what, sizeof(what)) ||
	    check_translated(bdf, desc, sizeof(desc))) {
		result(name, false, "%s", e2e_why);
		return;
	}
	buf = mmap(NULL, DISK_MAX_REQ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED) {
		result(name, false, "buffer: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "/dev/%s", blk);
	fd = open(path, O_RDWR | O_DIRECT);
	if (fd < 0) {
		result(name, false, "open %s O_DIRECT: %s", path,
		       strerror(errno));
		goto out;
	}
	if (ioctl(fd, BLKGETSIZE64, &disk_size) || disk_size < DISK_BYTES) {
		result(name, false, "%s: size %llu bytes, need %lu", path,
		       (unsigned long long)disk_size, DISK_BYTES);
		goto close;
	}

	errors_before = dma_api_errors();
	if (disk_sectors(blk, &rd0, &wr0) ||
	    disk_pass(fd, buf, seed, true, &st) ||
	    disk_pass(fd, buf, seed, false, &st) ||
	    disk_sectors(blk, &rd, &wr)) {
		result(name, false, "%s, %s: %s", what, desc, e2e_why);
		goto close;
	}
	errors_after = dma_api_errors();
	/* Every byte went through the driver: no cache served any of it. */
	if (rd - rd0 < DISK_BYTES / 512 || wr - wr0 < DISK_BYTES / 512) {
		result(name, false, "%s, %s: disk stat: %llu sectors read, %llu written, want %lu",
		       what, desc, (unsigned long long)(rd - rd0),
		       (unsigned long long)(wr - wr0), DISK_BYTES / 512);
		goto close;
	}
	if (errors_after != errors_before) {
		result(name, false, "%s, %s: DMA API debugging counted %ld errors (console)",
		       what, desc, errors_after - errors_before);
		goto close;
	}
	result(name, true,
	       "%s, %s: %lu MiB written O_DIRECT in %u requests of %zu KiB-%zu KiB (%.1f s), read back in %u requests (%.1f s), every byte matches, the disk's statistics agree%s",
	       what, desc, DISK_BYTES >> 20, st.writes, st.min_req >> 10,
	       st.max_req >> 10, st.write_ns / 1e9, st.reads,
	       st.read_ns / 1e9,
	       errors_before < 0 ? "" : ", no DMA API debug error");
close:
	close(fd);
out:
	munmap(buf, DISK_MAX_REQ);
}

void test_disk_nvme(const struct topo *t)
{
	(void)t;
	test_disk("disk-nvme", find_nvme);
}

void test_disk_virtio_blk(const struct topo *t)
{
	(void)t;
	test_disk("disk-virtio-blk", find_virtio_blk);
}

/*
 * A row that sets the flush mode: every group whose default domain
 * translates has that mode's type, and the singleton edu's group (the
 * module's DMA API test runs there) is one of them.
 */
void test_dma_mode(const struct topo *t)
{
	const char *want = flush_type();
	char path[PATH_MAX], type[32];
	int translated = 0, single = 0;
	struct dirent *de;
	DIR *dir;

	if (!want) {
		result("dma-mode", false, "no flush mode given (-m strict|lazy)");
		return;
	}
	dir = opendir("/sys/kernel/iommu_groups");
	if (!dir) {
		result("dma-mode", false, "no IOMMU groups: %s",
		       strerror(errno));
		return;
	}
	while ((de = readdir(dir))) {
		int group = atoi(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path),
			 "/sys/kernel/iommu_groups/%d/type", group);
		if (sysfs_read(path, type, sizeof(type)) < 0 ||
		    !translating(type))
			continue;
		if (strcmp(type, want)) {
			closedir(dir);
			result("dma-mode", false, "group %d has domain type %s, want %s (%s)",
			       group, type, want, e2e_flush);
			return;
		}
		translated++;
		single |= group == t->single_group;
	}
	closedir(dir);
	if (!single)
		result("dma-mode", false, "the group of %s (%d) does not translate",
		       t->single, t->single_group);
	else
		result("dma-mode", true, "%d groups with a translating domain, every one %s (%s)",
		       translated, want, e2e_flush);
}
