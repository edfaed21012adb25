// SPDX-License-Identifier: GPL-2.0
/*
 * Guest side of the IOMMU end-to-end tests: the two edu of the shared group
 * fought over by two processes for a fixed time.  Each process takes one
 * edu and, round after round, binds it to vfio-pci and opens it through a
 * type1 container or a cdev bound to iommufd (alternately) for a DMA round
 * trip, or binds it to the test module (a DMA API user), then lets go.
 * The two collide on the group's DMA ownership all the time: a refusal is
 * expected, a DMA that fails once VFIO handed the device over is not, and
 * neither is any splat on the console (lockdep, KASAN, WARN).
 *
 * Afterwards nothing may be left over: both edu unbound, the group on its
 * default domain of the type it had, owned by nobody (our core's debugfs
 * file says so), and usable: one more VFIO round trip through it works.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"

#define STORM_MS	3000
#define STORM_IOVA	0x100000ULL
#define STORM_BIND_TRIES	40
#define STORM_BIND_WAIT_MS	5

/* What one process did, sent back to the parent through a pipe */
struct storm_tally {
	unsigned int rounds;
	unsigned int vfio_opened;
	unsigned int vfio_refused;
	unsigned int module_bound;
	unsigned int module_refused;
	/* The errno of the last refused bind of the module */
	int module_errno;
	/* The first DMA that failed on a device VFIO had handed over */
	char failure[256];
};

/*
 * A DMA round trip through what VFIO mapped or, where the edu behind the
 * bridge cannot DMA (iommu_model::no_bridge_dma), the map and unmap alone.
 */
static int storm_dma(struct vfio *v, uint8_t *buf, unsigned int seed)
{
	if (!e2e_iommu->no_bridge_dma)
		return round_trip(v, buf, STORM_IOVA, seed);
	if (vfio_map(v, buf, STORM_IOVA, RT_SIZE))
		return -1;
	return vfio_unmap(v, STORM_IOVA, RT_SIZE);
}

static void storm_vfio_round(const char *bdf, enum vfio_kind kind,
			     uint8_t *buf, struct storm_tally *st)
{
	struct vfio v;

	if (pci_bind(bdf, "vfio-pci") || vfio_open(&v, kind, bdf)) {
		st->vfio_refused++;
		return;
	}
	st->vfio_opened++;
	if (storm_dma(&v, buf, st->rounds) && !st->failure[0])
		snprintf(st->failure, sizeof(st->failure), "%s, %s: %s", bdf,
			 vfio_kind_name(kind), e2e_why);
	vfio_close(&v);
}

/*
 * A bind is over in a moment while the other process holds the group for
 * a whole VFIO round: keep trying for a while, so that binds get in too.
 */
static void storm_module_round(const char *bdf, struct storm_tally *st)
{
	int tries, ret;

	for (tries = 0; tries < STORM_BIND_TRIES; tries++) {
		ret = pci_bind(bdf, E2E_DRIVER);
		if (!ret) {
			st->module_bound++;
			return;
		}
		st->module_refused++;
		st->module_errno = -ret;
		sleep_ms(STORM_BIND_WAIT_MS);
	}
}

/* One process's share of the storm; never returns */
static void storm_child(const char *bdf, int out)
{
	uint64_t end = now_ms() + STORM_MS;
	struct storm_tally st = {};
	uint8_t *buf = alloc_locked(RT_SIZE);

	if (!buf)
		snprintf(st.failure, sizeof(st.failure), "buffer: %s",
			 strerror(errno));
	while (buf && now_ms() < end) {
		switch (st.rounds % 3) {
		case 0:
			storm_vfio_round(bdf, VFIO_KIND_CONTAINER, buf, &st);
			break;
		case 1:
			storm_vfio_round(bdf, VFIO_KIND_CDEV, buf, &st);
			break;
		default:
			storm_module_round(bdf, &st);
			break;
		}
		pci_release(bdf);
		st.rounds++;
	}
	free_locked(buf, RT_SIZE);
	if (write(out, &st, sizeof(st)) != sizeof(st))
		_exit(1);
	_exit(0);
}

/* The group's debugfs file without its blocking domain, which may stay */
static int group_state(int group, char *buf, size_t size)
{
	char path[PATH_MAX], *line;
	int n;

	snprintf(path, sizeof(path), "/sys/kernel/debug/iommu/groups/%d",
		 group);
	n = sysfs_read(path, buf, size);
	if (n < 0)
		return n;
	line = strstr(buf, "blocking domain:");
	if (line)
		memmove(line, line + strcspn(line, "\n") + 1,
			strlen(line + strcspn(line, "\n") + 1) + 1);
	return 0;
}

static int group_type(int group, char *buf, size_t size)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/type", group);
	return sysfs_read(path, buf, size) < 0 ? -1 : 0;
}

/* After the storm: nothing left over, and the group still works */
static void storm_check_after(const struct topo *t, const char *type,
			      const char *state, bool have_state,
			      const char *name, const char *summary)
{
	char type2[32] = "", state2[2048] = "", unchecked[320] = "";
	uint8_t *buf = NULL;
	struct vfio v;

	if (group_type(t->shared_group, type2, sizeof(type2)) ||
	    strcmp(type, type2)) {
		result(name, false, "group %d's type went from %.*s to %.*s",
		       t->shared_group, (int)strcspn(type, "\n"), type,
		       (int)strcspn(type2, "\n"), type2);
		return;
	}
	if (have_state &&
	    (group_state(t->shared_group, state2, sizeof(state2)) ||
	     strcmp(state, state2))) {
		result(name, false, "group %d was left as:\n%s", t->shared_group,
		       state2);
		return;
	}
	buf = alloc_locked(RT_SIZE);
	if (!buf || pci_bind(t->shared[0], "vfio-pci") ||
	    vfio_open(&v, VFIO_KIND_CONTAINER, t->shared[0])) {
		result(name, false, "group %d unusable after the storm: %s",
		       t->shared_group, buf ? e2e_why : strerror(errno));
		goto out;
	}
	if (!have_state)
		snprintf(unchecked, sizeof(unchecked),
			 "owner and current domain: no group debugfs file on this core");
	if (e2e_iommu->no_bridge_dma)
		snprintf(unchecked + strlen(unchecked),
			 sizeof(unchecked) - strlen(unchecked), "%sDMA: %s",
			 unchecked[0] ? "; " : "", e2e_iommu->no_bridge_dma);
	if (storm_dma(&v, buf, 0x77))
		result(name, false, "DMA after the storm: %s", e2e_why);
	else
		result(name, true, "%s; group %d left unowned on its %.*s default domain, VFIO works on it%s%s",
		       summary, t->shared_group, (int)strcspn(type, "\n"), type,
		       unchecked[0] ? E2E_NOT_CHECKED : "", unchecked);
	vfio_close(&v);
out:
	free_locked(buf, RT_SIZE);
	pci_release(t->shared[0]);
}

void test_bind_storm(const struct topo *t)
{
	char type[32] = "", state[2048] = "", summary[256], *p = summary;
	const char *name = "bind-storm";
	struct storm_tally st[2] = {};
	bool have_state, ok = true;
	int pipes[2][2], i;
	pid_t pid[2];

	if (group_type(t->shared_group, type, sizeof(type))) {
		result(name, false, "cannot read group %d's type",
		       t->shared_group);
		return;
	}
	have_state = !group_state(t->shared_group, state, sizeof(state));
	if (!have_state && !e2e_core_upstream) {
		result(name, false, "cannot read group %d's debugfs file",
		       t->shared_group);
		return;
	}

	fflush(NULL);
	for (i = 0; i < 2; i++) {
		if (pipe(pipes[i])) {
			result(name, false, "pipe: %s", strerror(errno));
			return;
		}
		pid[i] = fork();
		if (!pid[i]) {
			close(pipes[i][0]);
			storm_child(t->shared[i], pipes[i][1]);
		}
		close(pipes[i][1]);
	}
	for (i = 0; i < 2; i++) {
		int status = 0;

		if (pid[i] < 0 ||
		    read(pipes[i][0], &st[i], sizeof(st[i])) != sizeof(st[i]))
			snprintf(st[i].failure, sizeof(st[i].failure),
				 "process %d reported nothing", i);
		close(pipes[i][0]);
		if (pid[i] > 0)
			waitpid(pid[i], &status, 0);
	}

	for (i = 0; i < 2; i++)
		p += snprintf(p, summary + sizeof(summary) - p,
			      "%s%s: %u rounds, VFIO %u opened %u refused, %s %u bound %u refused%s%s",
			      i ? "; " : "", t->shared[i], st[i].rounds,
			      st[i].vfio_opened, st[i].vfio_refused, E2E_DRIVER,
			      st[i].module_bound, st[i].module_refused,
			      st[i].module_errno ? " last " : "",
			      st[i].module_errno ? strerror(st[i].module_errno) : "");
	for (i = 0; i < 2 && ok; i++) {
		if (st[i].failure[0]) {
			result(name, false, "%s", st[i].failure);
			ok = false;
		} else if (!st[i].vfio_opened || !st[i].module_bound) {
			result(name, false, "%s never got through: %s",
			       t->shared[i], summary);
			ok = false;
		}
	}
	if (ok)
		storm_check_after(t, type, state, have_state, name, summary);
	pci_release(t->shared[0]);
	pci_release(t->shared[1]);
}
