/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest side of the IOMMU end-to-end tests: shared declarations.
 */
#ifndef IOMMU_E2E_H
#define IOMMU_E2E_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define E2E_DRIVER	"iommu_e2e"
#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8

/* edu BAR0 registers (QEMU hw/misc/edu.c) */
#define EDU_REG_ID	0x00
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_DMA_RUN	0x1
#define EDU_DMA_TO_RAM	0x2
#define EDU_BUF_ADDR	0x40000
#define EDU_BUF_SIZE	4096
/*
 * Bytes per transfer.  QEMU up to 7.2 rejects a transfer that ends at the
 * end of the edu buffer, and aborts: stay clear of it.
 */
#define EDU_XFER	4032

#define PAGE		4096UL

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BIT_ULL(nr)	(1ULL << (nr))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define BDF_LEN		16

/* The edu devices the guest was booted with. */
struct topo {
	char single[BDF_LEN];		/* alone in its IOMMU group */
	int single_group;
	char shared[2][BDF_LEN];	/* two edu sharing one IOMMU group */
	int shared_group;
	/*
	 * alone in its IOMMU group and with a reset method (a secondary bus
	 * reset, behind a root port of its own on x86_64); "" if none
	 */
	char reset[BDF_LEN];
	char all[8][BDF_LEN];		/* every edu, to restore their state */
	int nr_all;
	int nr_primed;			/* given their group by a bind */
	char error[256];		/* why the topology is not usable */
};

/*
 * The IOMMU the guest runs behind (e2e.iommu= on the kernel command line,
 * "-i" of iommu-e2e): how to recognise it and how it reports a DMA fault.
 */
struct iommu_model {
	/* intel, intel-sm, amd, virtio; arm64-smmuv3, arm64-virtio */
	const char *name;
	/*
	 * Whether IOMMU @iommu (its name in /sys/class/iommu) is of this
	 * model and set up as the row needs: 0 with a short description in
	 * @what, or why().
	 */
	int (*check)(const char *iommu, char *what, size_t size);
	const char *fault;		/* what the fault report is called */
	/*
	 * The two strings the kernel log record of a write fault by @bdf at
	 * @addr contains; NULL when the model reports no faults.
	 */
	void (*fault_needles)(char *n1, char *n2, size_t size,
			      const char *bdf, uint64_t addr);
	/*
	 * Where the report takes several records: the two strings of a
	 * record that must follow the first one; NULL when one says it all.
	 */
	void (*fault_needles_next)(char *n1, char *n2, size_t size,
				   const char *bdf, uint64_t addr);
	const char *no_fault_report;	/* why not, when it reports none */
	/*
	 * Why DMA by the edu behind the PCIe-to-PCI bridge (the shared group)
	 * cannot be checked on this model; NULL when it can.
	 */
	const char *no_bridge_dma;
	/*
	 * Bytes the edu writes in a DMA meant to fault (0: EDU_XFER), so that
	 * it makes few enough reports to get past the log's rate limit.
	 */
	unsigned int fault_xfer;
	/*
	 * Linux gives a device its IOMMU group only when a driver first
	 * binds (ACPI VIOT and device tree endpoints are configured from
	 * dma_configure()).
	 */
	bool group_on_bind;
	/*
	 * Why the fail-nth tests cannot run behind it, when they cannot: its
	 * driver has no clean way out of an allocation failed in a path that
	 * may not fail.
	 */
	const char *no_fail_nth;
};

/*
 * A test that passes but could not check everything ends its detail with
 * E2E_NOT_CHECKED "<what>: <why>"; that part goes into the results file.
 */
#define E2E_NOT_CHECKED	"; not checked: "

/*
 * MMIO on the edu BAR0 that VFIO mmap()ed, as readl() and writeq() do it
 * on __iomem in the kernel: every access is made, once, at its width and
 * in program order (no barrier is implied).  MMIO() is the one place the
 * program makes a volatile access; nothing else may.
 */
#define MMIO(type, bar, reg)	(*(volatile type *)((char *)(bar) + (reg)))

static inline uint32_t mmio_read32(void *bar, unsigned int reg)
{
	return MMIO(uint32_t, bar, reg);
}

static inline uint64_t mmio_read64(void *bar, unsigned int reg)
{
	return MMIO(uint64_t, bar, reg);
}

static inline void mmio_write64(void *bar, unsigned int reg, uint64_t val)
{
	MMIO(uint64_t, bar, reg) = val;
}

/*
 * A fail-nth test's PASS detail ends with E2E_FAULTS "<count>"; that part
 * goes into the results file, and the summary adds the counts up.
 */
#define E2E_FAULTS	"; faults injected: "

/* util.c */
extern const struct iommu_model *e2e_iommu;
/* The kernel runs upstream's iommu.c, not our core (e2e.core=, "-c") */
extern bool e2e_core_upstream;
const struct iommu_model *iommu_model_find(const char *name);
const char *iommu_model_names(void);
extern char e2e_why[512];
__printf(1, 2) int why(const char *fmt, ...);
__printf(1, 2) void note(const char *fmt, ...);
__printf(3, 4) void result(const char *name, bool pass, const char *fmt, ...);

void result_gap(const char *name, bool pass, const char *gap,
		const char *detail);
int sysfs_read(const char *path, char *buf, size_t size);
int sysfs_write(const char *path, const char *val);
int pci_driver(const char *bdf, char *drv, size_t size);
int pci_group(const char *bdf);
int pci_iommu(const char *bdf, char *name, size_t size);
int group_devices(int group, char names[][BDF_LEN], int max);
int pci_bind(const char *bdf, const char *drv);
int pci_unbind(const char *bdf);
void pci_release(const char *bdf);
int topo_discover(struct topo *t);

int kmsg_open(void);
bool kmsg_wait(int fd, const char *needle, const char *needle2, int ms);
int virt_to_phys(const void *va, uint64_t *phys);

void fill(uint8_t *buf, size_t len, unsigned int seed);
size_t compare(const uint8_t *want, const uint8_t *got, size_t len,
	       size_t *first);
size_t check_byte(const uint8_t *buf, size_t len, uint8_t val,
		  size_t *first);
int edu_dma(void *bar, uint64_t src, uint64_t dst, uint64_t cnt, bool to_ram);
void sleep_ms(unsigned int ms);

/* vfio.c */
enum vfio_kind { VFIO_KIND_CONTAINER, VFIO_KIND_CDEV };

struct iova_range {
	uint64_t start;
	uint64_t last;
};

struct vfio {
	enum vfio_kind kind;
	int container;
	int group;
	int iommufd;
	int device;
	uint32_t ioas;
	void *bar;
	size_t bar_size;
	struct iova_range ranges[16];
	int nr_ranges;
};

const char *vfio_kind_name(enum vfio_kind kind);
int vfio_own(struct vfio *v, enum vfio_kind kind, const char *bdf);
int vfio_open(struct vfio *v, enum vfio_kind kind, const char *bdf);
void vfio_close(struct vfio *v);
int vfio_reset(struct vfio *v);
int vfio_map(struct vfio *v, void *va, uint64_t iova, uint64_t len);
int vfio_unmap(struct vfio *v, uint64_t iova, uint64_t len);
bool vfio_iova_ok(struct vfio *v, uint64_t iova, uint64_t len);
int vfio_cdev_path(const char *bdf, char *path, size_t size);
int vfio_device_setup(int device, void **bar, size_t *size);

/* failnth.c */
void test_fail_nth_container(const struct topo *t);
void test_fail_nth_cdev(const struct topo *t);
void test_fail_nth_type(const struct topo *t);
void test_fail_nth_bind(const struct topo *t);

/* disk.c */
/* The row's flush mode, "strict" or "lazy" (-m), NULL for the default */
extern const char *e2e_flush;
void test_disk_nvme(const struct topo *t);
void test_disk_virtio_blk(const struct topo *t);
void test_dma_mode(const struct topo *t);
/* bench.c */
void test_bench_smoke(const struct topo *t);

/* tests.c */
#define RT_SIZE		(4 * PAGE)	/* buffer mapped for a round trip */

uint64_t now_ms(void);
/* RAM that stays put for the device: mapped, populated and locked */
void *alloc_locked(size_t size);
void free_locked(void *buf, size_t size);
/*
 * Map a RT_SIZE buffer at @iova, copy a pattern of @seed RAM -> edu -> RAM
 * through it, unmap, and check every byte: 0, or why().
 */
int round_trip(struct vfio *v, uint8_t *buf, uint64_t iova, unsigned int seed);

/* storm.c */
void test_bind_storm(const struct topo *t);

/* The IOMMU just logged a fault: the next test to want one waits */
void fault_stamp(void);
/* Result lines one test may print */
#define E2E_MAX_RESULTS	6

struct test {
	const char *name;
	/* the result lines it must print */
	const char *results[E2E_MAX_RESULTS];
	void (*fn)(const struct topo *t);
	bool no_edu;			/* runs without the edu topology */
	bool flush_row;			/* only on a row with a flush mode */
};

extern const struct test tests[];
extern const int nr_tests;

#endif /* IOMMU_E2E_H */
