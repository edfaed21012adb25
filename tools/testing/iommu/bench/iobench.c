// SPDX-License-Identifier: GPL-2.0
/*
 * iobench: real block I/O through the IOMMU, for make bench-io.
 *
 * usage: iobench [-n <ios>] [-c <case>[,<case>...]] <block device>
 *
 * Runs O_DIRECT I/O on the block device (the guest's NVMe disk) through
 * io_uring, at a true queue depth of QD: each completion reaped is
 * replaced by a new request in the same io_uring_enter() that waits for
 * the next one.  The cases:
 *
 *   randread_4k    4 KiB reads at random 4 KiB-aligned offsets
 *   randwrite_4k   4 KiB writes at random 4 KiB-aligned offsets
 *   seqread_128k   128 KiB reads, one after the other over the disk
 *   seqwrite_128k  128 KiB writes, one after the other over the disk
 *
 * each for a fixed number of I/Os (-n overrides it for every case) after
 * an untimed warm-up of an eighth as many, with the same offsets on every
 * run.  Raw io_uring system calls, no liburing: the program is built
 * static for a busybox initramfs.
 *
 * Timing.  run-bench-io.sh boots the guest under QEMU TCG with
 * -icount shift=0,sleep=off: guest time counts guest instructions, 1 ns
 * each, and the TSC runs on that clock.  But when every vCPU is halted
 * QEMU moves the clock forward to the next timer at once (sleep=off), so
 * the time an I/O takes in the guest mostly counts the timer ticks that
 * passed while the host served it.  The instructions an I/O costs have to
 * come from the time the guest was busy, and the kernel keeps no precise
 * count of that here: the benchmark kernels tick periodically, so idle
 * time in /proc/stat is a sample per 4 ms tick, and cpuidle's residency
 * counts the interrupt handlers that end an idle period (they run right
 * after HLT, inside the timed window) as idle.
 *
 * So the program brings its own idle loop: a child process at SCHED_IDLE
 * that runs two instructions per iteration, counting the iterations.  It
 * runs whenever nothing else can, so the vCPU never halts and the clock
 * never jumps; the guest's busy time over a case is the TSC's elapsed
 * time less twice the iterations counted, exact to a few instructions per
 * context switch.  A calibration first checks that, with nothing else to
 * do, the soaker accounts for (nearly) all the elapsed time; it fails the
 * run otherwise (no icount, or not shift=0).
 *
 * Each case prints
 *
 *   IOBENCH <case> iops=<n> ns_per_io=<n> ios=<n> busy_ns=<n> elapsed_ns=<n>
 *	irqs=<n>
 *
 * on one line.  ns_per_io is busy_ns / ios: the guest instructions one
 * I/O costs, the whole path (io_uring, block layer, NVMe driver, DMA
 * mapping and IOMMU, interrupt, context switches and the timer ticks
 * meanwhile).  iops is ios over the elapsed guest time, which also counts
 * the soaker's time while the host served the I/O: it depends on the
 * host, not only on the guest kernel.  irqs counts the NVMe's interrupts:
 * the slower the host, the fewer completions each finds, and the more
 * interrupts, wake-ups and system calls the guest spends per I/O.
 * "IOBENCH <case> error=<errno or res>" reports a failure; "IOBENCH done"
 * ends a complete run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/io_uring.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#ifndef __x86_64__
#error "iobench counts x86 instructions in its idle loop"
#endif

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#define QD			32
#define MAX_BS			(128 * 1024)
/* Instructions per iteration of soak()'s loop */
#define SOAK_INSNS		2
/* The calibration's sleep, and the share of it the soaker must account for */
#define CAL_NS			100000000LL
#define CAL_MAX_BUSY_PPM	20000

struct bench_case {
	const char *name;
	__u8 op;
	unsigned int bs;
	bool seq;
	unsigned long ios;
};

static const struct bench_case cases[] = {
	{ "randread_4k",   IORING_OP_READ,  4096,   false, 20000 },
	{ "randwrite_4k",  IORING_OP_WRITE, 4096,   false, 20000 },
	{ "seqread_128k",  IORING_OP_READ,  MAX_BS, true,  4000 },
	{ "seqwrite_128k", IORING_OP_WRITE, MAX_BS, true,  4000 },
};

struct ring {
	int fd;
	unsigned int *sq_tail, *sq_mask;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static unsigned long long *soak_count;

static unsigned long long tsc(void)
{
	return __rdtsc();
}

/*
 * The idle loop (a child process): two instructions per iteration, so
 * that the iterations count the instructions it ran (check_idle_loop()
 * fails the run if the compiler made it anything else).  SCHED_IDLE, so that
 * any other task that can run preempts it at once.
 */
static void soak(void)
{
	unsigned long long *count = soak_count;
	struct sched_param sp = { 0 };

	if (sched_setscheduler(0, SCHED_IDLE, &sp))
		_exit(1);
	/* "lock addq $1, (reg)" and a jump back to it */
	for (;;)
		__atomic_fetch_add(count, 1, __ATOMIC_RELAXED);
}

static unsigned long long soaked_ns(void)
{
	return SOAK_INSNS * __atomic_load_n(soak_count, __ATOMIC_RELAXED);
}

static int ring_setup(struct ring *r)
{
	struct io_uring_params p;
	size_t sq_len, cq_len;
	unsigned int *array;
	void *sq, *cq;

	memset(&p, 0, sizeof(p));
	r->fd = syscall(__NR_io_uring_setup, QD, &p);
	if (r->fd < 0)
		return -errno;
	sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		if (cq_len > sq_len)
			sq_len = cq_len;
		cq_len = sq_len;
	}
	sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	if (sq == MAP_FAILED)
		return -errno;
	cq = sq;
	if (!(p.features & IORING_FEAT_SINGLE_MMAP)) {
		cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
		if (cq == MAP_FAILED)
			return -errno;
	}
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe),
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		       r->fd, IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED)
		return -errno;
	r->sq_tail = sq + p.sq_off.tail;
	r->sq_mask = sq + p.sq_off.ring_mask;
	r->cq_head = cq + p.cq_off.head;
	r->cq_tail = cq + p.cq_off.tail;
	r->cq_mask = cq + p.cq_off.ring_mask;
	r->cqes = cq + p.cq_off.cqes;
	/* SQ slot i always holds SQE i: the SQEs are filled in ring order. */
	array = sq + p.sq_off.array;
	for (unsigned int i = 0; i < p.sq_entries; i++)
		array[i] = i;
	return 0;
}

/* xorshift64*: the random offsets, the same on every run */
static __u64 rnd(__u64 *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dULL;
}

struct run {
	const struct bench_case *c;
	int fd;
	__u64 disk_size, seq_off, rnd_state;
	char *bufs;
	unsigned int free_slots[QD], nfree;
};

/* Queue the next request, into a free buffer slot, without submitting it. */
static void queue_io(struct ring *r, struct run *run)
{
	const struct bench_case *c = run->c;
	unsigned int tail = *r->sq_tail;
	struct io_uring_sqe *sqe = &r->sqes[tail & *r->sq_mask];
	unsigned int slot = run->free_slots[--run->nfree];
	__u64 off;

	if (c->seq) {
		if (run->seq_off + c->bs > run->disk_size)
			run->seq_off = 0;
		off = run->seq_off;
		run->seq_off += c->bs;
	} else {
		off = rnd(&run->rnd_state) % (run->disk_size / c->bs) * c->bs;
	}
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = c->op;
	sqe->fd = run->fd;
	sqe->addr = (unsigned long)(run->bufs + (size_t)slot * MAX_BS);
	sqe->len = c->bs;
	sqe->off = off;
	sqe->user_data = slot;
	/* The SQE before the tail that publishes it to the kernel */
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
}

/*
 * @n I/Os at queue depth QD: keep QD requests in flight, each
 * io_uring_enter() submitting the requests that replace those completed
 * since the last one and waiting for at least one more completion.
 * Returns 0 or a negative errno (or the failed request's result).
 */
static int run_ios(struct ring *r, struct run *run, unsigned long n)
{
	unsigned long issued = 0, done = 0;
	unsigned int to_submit = 0, inflight = 0;
	unsigned int head, tail;
	int ret;

	while (done < n) {
		while (run->nfree && issued < n) {
			queue_io(r, run);
			issued++;
			to_submit++;
		}
		ret = syscall(__NR_io_uring_enter, r->fd, to_submit, 1,
			      IORING_ENTER_GETEVENTS, NULL, 0);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		to_submit -= ret;
		inflight += ret;
		head = *r->cq_head;
		tail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
		for (; head != tail; head++) {
			struct io_uring_cqe *cqe = &r->cqes[head & *r->cq_mask];

			if (cqe->res != (int)run->c->bs)
				return cqe->res < 0 ? cqe->res : -EIO;
			run->free_slots[run->nfree++] = cqe->user_data;
			inflight--;
			done++;
		}
		__atomic_store_n(r->cq_head, head, __ATOMIC_RELEASE);
	}
	return inflight ? -EPROTO : 0;
}

/*
 * The interrupts the NVMe's queues have taken so far, on every CPU: the
 * /proc/interrupts lines that end in "nvme0q<n>".  How many completions
 * each finds depends on how fast the host served the I/Os, and what the
 * guest spends per I/O with it.
 */
static unsigned long long nvme_irqs(void)
{
	unsigned long long sum = 0;
	char line[512], *p, *end;
	FILE *f;

	f = fopen("/proc/interrupts", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, " nvme0q"))
			continue;
		p = strchr(line, ':');
		if (!p)
			continue;
		for (p++;; p = end) {
			unsigned long long n = strtoull(p, &end, 10);

			if (end == p)
				break;
			sum += n;
		}
	}
	fclose(f);
	return sum;
}

static int run_case(struct ring *r, const struct bench_case *c, int fd,
		    __u64 disk_size, char *bufs, unsigned long ios)
{
	unsigned long long t0, s0, i0, elapsed, busy, irqs;
	struct run run = {
		.c = c, .fd = fd, .disk_size = disk_size, .bufs = bufs,
		.rnd_state = 0x10be4c400000001ULL + c->bs,
	};
	int ret;

	for (run.nfree = 0; run.nfree < QD; run.nfree++)
		run.free_slots[run.nfree] = run.nfree;
	/* Warm-up: the IOVA caches, the page tables, the request pools */
	ret = run_ios(r, &run, ios / 8);
	if (!ret) {
		i0 = nvme_irqs();
		s0 = soaked_ns();
		t0 = tsc();
		ret = run_ios(r, &run, ios);
		elapsed = tsc() - t0;
		busy = elapsed - (soaked_ns() - s0);
		irqs = nvme_irqs() - i0;
	}
	if (ret) {
		printf("IOBENCH %s error=%d\n", c->name, ret);
		return ret;
	}
	printf("IOBENCH %s iops=%llu ns_per_io=%llu ios=%lu", c->name,
	       elapsed ? ios * 1000000000ULL / elapsed : 0, busy / ios, ios);
	printf(" busy_ns=%llu elapsed_ns=%llu irqs=%llu\n", busy, elapsed, irqs);
	return 0;
}

/*
 * With nothing but the soaker to run for CAL_NS, its count must account
 * for all the elapsed time but the timer ticks and the sleep's own cost:
 * otherwise a guest instruction is not 1 ns of TSC time (no icount, or
 * not shift=0) or the vCPU halted, and busy times would mean nothing.
 */
static int check_idle_loop(void)
{
	struct timespec ts = { 0, CAL_NS };
	unsigned long long t0, s0, elapsed, soaked;
	long long busy;

	s0 = soaked_ns();
	t0 = tsc();
	nanosleep(&ts, NULL);
	elapsed = tsc() - t0;
	soaked = soaked_ns() - s0;
	busy = (long long)elapsed - (long long)soaked;
	printf("IOBENCH calibrate busy_ns=%lld elapsed_ns=%llu\n", busy, elapsed);
	if (busy < 0 || busy > (long long)elapsed / 1000000 * CAL_MAX_BUSY_PPM) {
		printf("IOBENCH calibrate error=not guest instructions (icount?)\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	unsigned long ios = 0;
	__u64 disk_size;
	struct ring ring;
	int fd, opt, ret = 0;
	pid_t soaker;
	char *bufs;

	while ((opt = getopt(argc, argv, "n:c:")) != -1) {
		switch (opt) {
		case 'n':
			ios = strtoul(optarg, NULL, 0);
			break;
		case 'c':
			only = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	setvbuf(stdout, NULL, _IOLBF, 0);

	fd = open(argv[optind], O_RDWR | O_DIRECT);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &disk_size)) {
		printf("IOBENCH setup error=%s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	bufs = mmap(NULL, (size_t)QD * MAX_BS, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	soak_count = mmap(NULL, sizeof(*soak_count), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (bufs == MAP_FAILED || soak_count == MAP_FAILED) {
		printf("IOBENCH setup error=mmap: %s\n", strerror(errno));
		return 1;
	}
	/* Written once, so that the writes' data are pages of our own */
	memset(bufs, 0x5a, (size_t)QD * MAX_BS);
	ret = ring_setup(&ring);
	if (ret) {
		printf("IOBENCH setup error=io_uring: %s\n", strerror(-ret));
		return 1;
	}

	soaker = fork();
	if (soaker < 0) {
		printf("IOBENCH setup error=fork: %s\n", strerror(errno));
		return 1;
	}
	if (!soaker)
		soak();

	ret = check_idle_loop();
	for (size_t i = 0; !ret && i < ARRAY_SIZE(cases); i++) {
		const struct bench_case *c = &cases[i];
		char list[256], name[32];

		/* -c: a comma-separated list of case names */
		snprintf(list, sizeof(list), ",%s,", only ? only : "");
		snprintf(name, sizeof(name), ",%s,", c->name);
		if (!only || strstr(list, name))
			ret = run_case(&ring, c, fd, disk_size, bufs,
				       ios ? ios : c->ios);
	}
	kill(soaker, SIGKILL);
	waitpid(soaker, NULL, 0);
	if (!ret)
		printf("IOBENCH done\n");
	return ret ? 1 : 0;

usage:
	fprintf(stderr, "usage: %s [-n <ios>] [-c <case>[,<case>...]] <block device>\n",
		argv[0]);
	return 2;
}
