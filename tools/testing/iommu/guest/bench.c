// SPDX-License-Identifier: GPL-2.0
/*
 * Guest side of the IOMMU end-to-end tests: bench-smoke.
 *
 * make bench is not part of make check, so nothing else would notice its
 * module no longer building against this kernel or failing a case.  This
 * test loads bench/iommu_bench.ko, which run-e2e.sh builds like the test
 * module, with a few short batches of one case of each kind, binds it to
 * the singleton edu (its probe runs the cases) and requires a figure from
 * every case and no error.  No figure is judged: a debug kernel's timing
 * means nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "e2e.h"

#define BENCH_MODULE	"/lib/modules/iommu_bench.ko"
#define BENCH_DRIVER	"iommu_bench"
#define BENCH_ITERS	2
#define BENCH_WAIT_MS	30000

/* One case of each kind: streaming, sg, coherent, IOMMU API, ownership */
static const char *const smoke_cases[] = {
	"map_page_1", "map_sg_16", "coherent_4k", "iommu_map_4k",
	"attach_detach", "claim_attach_release",
};

struct smoke {
	int figures[ARRAY_SIZE(smoke_cases)];
	char error[160];
	bool done;
};

/* Account one "BENCH ..." console line to its case. */
static void smoke_line(struct smoke *s, const char *line)
{
	size_t len;

	if (!strcmp(line, "done")) {
		s->done = true;
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(smoke_cases); i++) {
		len = strlen(smoke_cases[i]);
		if (strncmp(line, smoke_cases[i], len) ||
		    (line[len] != '.' && line[len] != ' '))
			continue;
		if (strstr(line, "error=")) {
			if (!s->error[0])
				snprintf(s->error, sizeof(s->error), "%s",
					 line);
		} else if (strstr(line, "median_ns=")) {
			s->figures[i]++;
		}
		return;
	}
}

/* Read kernel log records until "BENCH done" or @ms have passed. */
static void smoke_collect(struct smoke *s, int kmsg, int ms)
{
	char rec[1024], *msg, *end;
	int waited = 0;
	ssize_t n;

	while (!s->done) {
		n = read(kmsg, rec, sizeof(rec) - 1);
		if (n > 0) {
			rec[n] = '\0';
			msg = strstr(rec, ";BENCH ");
			if (!msg)
				continue;
			msg += strlen(";BENCH ");
			end = strchr(msg, '\n');
			if (end)
				*end = '\0';
			smoke_line(s, msg);
			continue;
		}
		if (n < 0 && errno == EPIPE)	/* records were overwritten */
			continue;
		if (waited >= ms)
			return;
		sleep_ms(20);
		waited += 20;
	}
}

static int smoke_load(void)
{
	char params[256];
	size_t off = 0;
	int fd, ret;

	off += snprintf(params, sizeof(params), "iters=%d cases=", BENCH_ITERS);
	for (size_t i = 0; i < ARRAY_SIZE(smoke_cases); i++)
		off += snprintf(params + off, sizeof(params) - off, "%s%s",
				i ? "," : "", smoke_cases[i]);
	fd = open(BENCH_MODULE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return why("open %s: %s", BENCH_MODULE, strerror(errno));
	ret = syscall(SYS_finit_module, fd, params, 0);
	if (ret)
		ret = why("load %s: %s", BENCH_MODULE, strerror(errno));
	close(fd);
	return ret;
}

void test_bench_smoke(const struct topo *t)
{
	struct smoke s = { 0 };
	int kmsg, ret, missing = -1;

	kmsg = kmsg_open();
	if (kmsg < 0) {
		result("bench-smoke", false, "%s", e2e_why);
		return;
	}
	if (smoke_load()) {
		result("bench-smoke", false, "%s", e2e_why);
		goto out;
	}
	ret = pci_bind(t->single, BENCH_DRIVER);
	if (ret) {
		result("bench-smoke", false, "bind %s to %s: %s", t->single,
		       BENCH_DRIVER, strerror(-ret));
	} else {
		smoke_collect(&s, kmsg, BENCH_WAIT_MS);
		for (size_t i = 0; i < ARRAY_SIZE(smoke_cases); i++)
			if (!s.figures[i] && missing < 0)
				missing = i;
		if (s.error[0])
			result("bench-smoke", false, "%s: %s", t->single,
			       s.error);
		else if (missing >= 0)
			result("bench-smoke", false,
			       "%s: no figure from case %s", t->single,
			       smoke_cases[missing]);
		else if (!s.done)
			result("bench-smoke", false,
			       "%s: no \"BENCH done\" within %d ms",
			       t->single, BENCH_WAIT_MS);
		else
			result("bench-smoke", true,
			       "%s: %zu cases, %d batches each, every figure reported",
			       t->single, ARRAY_SIZE(smoke_cases),
			       BENCH_ITERS);
	}
	pci_release(t->single);
	if (syscall(SYS_delete_module, BENCH_DRIVER, O_NONBLOCK))
		note("unload %s: %s", BENCH_DRIVER, strerror(errno));
out:
	close(kmsg);
}
