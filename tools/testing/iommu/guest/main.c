// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-e2e: guest side of the IOMMU end-to-end tests.
 *
 *   iommu-e2e list [-i <iommu>] [-m <mode>] [<test>...]
 *	the result names, "<row>/<name>", one a line (of every test the
 *	row runs by default, or of the <test>s named)
 *   iommu-e2e run [-i <iommu>] [-m <mode>] [-o <file>] [-s <seed>] [<test>...]
 *	run the tests (all by default; shuffled when a seed is given), each
 *	in a child process, and print "PASS <row>/<name>: <detail>" or
 *	"FAIL <row>/<name>: <reason>" on stdout; <file> gets
 *	"PASS <row>/<name>" (with ": not checked: <what>: <why>" when the test
 *	could not check everything) or the FAIL line, then
 *	"E2E-DONE <passed> <failed>"
 *   iommu-e2e report [-i <iommu>] [-o <file>]
 *	IOMMU groups and the main round trips, readable, on stdout and <file>
 *
 * <iommu> is the IOMMU the guest runs behind, intel (the default),
 * intel-sm, amd or virtio (see iommu.c); <row> is "e2e-<iommu>".  <mode>,
 * strict or lazy, is the IOMMU flush mode the kernel was booted in
 * (iommu.strict=1 or 0) on a row that sets it: <row> is then
 * "e2e-<iommu>-<mode>", the disk tests want that mode's domain type, and
 * the tests meant for such a row (dma-mode) run too.
 *
 * The checks themselves are in tests.c, see there.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "e2e.h"

#define TEST_TIMEOUT_S	120

struct verdict {
	char name[64];
	/* PASS or XFAIL (upstream's known gap) pass; FAIL or XPASS do not */
	bool pass;
	char tag[8];
	char detail[1024];
};

static FILE *sink;
static char row[32];

/* A line on stdout and, when there is one, on the results sink. */
static __printf(2, 3) void out(bool to_sink, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	if (sink && to_sink) {
		va_start(ap, fmt);
		vfprintf(sink, fmt, ap);
		va_end(ap);
		fflush(sink);
	}
}

static int open_sink(const char *path)
{
	struct termios tio;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOCTTY, 0644);
	if (fd < 0) {
		fprintf(stderr, "iommu-e2e: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* A serial port: no "\n" -> "\r\n". */
	if (isatty(fd) && !tcgetattr(fd, &tio)) {
		cfmakeraw(&tio);
		tcsetattr(fd, TCSANOW, &tio);
	}
	sink = fdopen(fd, "w");
	return sink ? 0 : -1;
}

static void close_sink(void)
{
	if (!sink)
		return;
	fflush(sink);
	if (isatty(fileno(sink)))
		tcdrain(fileno(sink));
	fclose(sink);
	sink = NULL;
	if (isatty(STDOUT_FILENO))
		tcdrain(STDOUT_FILENO);
}

/* Every edu back to no driver and no driver_override. */
static void restore(const struct topo *t)
{
	for (int i = 0; i < t->nr_all; i++)
		pci_release(t->all[i]);
}

/*
 * Run @tst in a child and collect its verdicts into @v, one per expected
 * result; a result the child did not print is a failure.
 */
static void run_test(const struct test *tst, const struct topo *t,
		     struct verdict *v)
{
	char line[1200], why_missing[128] = "no result";
	int p[2], status, i, n;
	FILE *in;
	pid_t pid;

	for (n = 0; n < E2E_MAX_RESULTS && tst->results[n]; n++) {
		snprintf(v[n].name, sizeof(v[n].name), "%s", tst->results[n]);
		v[n].pass = false;
		snprintf(v[n].tag, sizeof(v[n].tag), "FAIL");
		v[n].detail[0] = '\0';
	}

	if (t->error[0] && strcmp(tst->name, "topology") && !tst->no_edu) {
		for (i = 0; i < n; i++)
			snprintf(v[i].detail, sizeof(v[i].detail),
				 "no usable topology: %s", t->error);
		return;
	}

	fflush(NULL);
	pid = pipe(p) ? -1 : fork();
	if (pid < 0) {
		for (i = 0; i < n; i++)
			snprintf(v[i].detail, sizeof(v[i].detail),
				 "cannot start: %s", strerror(errno));
		return;
	}
	if (!pid) {
		close(p[0]);
		dup2(p[1], STDOUT_FILENO);
		close(p[1]);
		if (sink)
			close(fileno(sink));
		alarm(TEST_TIMEOUT_S);
		tst->fn(t);
		fflush(stdout);
		_exit(0);
	}
	close(p[1]);
	in = fdopen(p[0], "r");
	while (in && fgets(line, sizeof(line), in)) {
		char verdict[8], name[64];
		int off = 0;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%7s e2e/%63[^:]: %n", verdict, name, &off) < 2 ||
		    !off) {
			fprintf(stderr, "# %s\n", line);
			continue;
		}
		for (i = 0; i < n; i++) {
			if (strcmp(v[i].name, name) || v[i].detail[0])
				continue;
			v[i].pass = !strcmp(verdict, "PASS") ||
				    !strcmp(verdict, "XFAIL");
			snprintf(v[i].tag, sizeof(v[i].tag), "%s", verdict);
			snprintf(v[i].detail, sizeof(v[i].detail), "%s",
				 line + off);
			if (!v[i].detail[0])
				snprintf(v[i].detail, sizeof(v[i].detail), "-");
		}
	}
	if (in)
		fclose(in);
	else
		close(p[0]);
	waitpid(pid, &status, 0);
	if (WIFSIGNALED(status))
		snprintf(why_missing, sizeof(why_missing),
			 "no result, test killed by signal %d%s",
			 WTERMSIG(status),
			 WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
	else if (WEXITSTATUS(status))
		snprintf(why_missing, sizeof(why_missing),
			 "no result, test exited with %d",
			 WEXITSTATUS(status));
	for (i = 0; i < n; i++) {
		if (!v[i].detail[0]) {
			v[i].pass = false;
			snprintf(v[i].tag, sizeof(v[i].tag), "FAIL");
			snprintf(v[i].detail, sizeof(v[i].detail), "%s",
				 why_missing);
		}
	}
	restore(t);
}

static const struct test *find_test(const char *name)
{
	for (int i = 0; i < nr_tests; i++)
		if (!strcmp(tests[i].name, name))
			return &tests[i];
	return NULL;
}

/*
 * The tests named in @argv, or every test the row runs by default (those
 * meant for a row with a flush mode only there), into @order; how many, or
 * -1 when a name is unknown.
 */
static int select_tests(int argc, char **argv, const struct test **order)
{
	int n = 0;

	if (argc) {
		for (int i = 0; i < argc && n < 64; i++) {
			order[n] = find_test(argv[i]);
			if (!order[n]) {
				fprintf(stderr, "iommu-e2e: no test %s\n",
					argv[i]);
				return -1;
			}
			n++;
		}
		return n;
	}
	for (int i = 0; i < nr_tests && n < 64; i++)
		if (!tests[i].flush_row || e2e_flush)
			order[n++] = &tests[i];
	return n;
}

static int cmd_list(int argc, char **argv)
{
	const struct test *order[64];
	int n = select_tests(argc, argv, order);

	if (n < 0)
		return 2;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < E2E_MAX_RESULTS && order[i]->results[j]; j++)
			printf("%s/%s\n", row, order[i]->results[j]);
	return 0;
}

static int cmd_run(int argc, char **argv, unsigned int seed, bool shuffle)
{
	const struct test *order[64];
	int n, passed = 0, failed = 0;
	struct verdict v[E2E_MAX_RESULTS];
	struct topo t;

	n = select_tests(argc, argv, order);
	if (n < 0)
		return 2;
	if (shuffle) {
		srand(seed);
		for (int i = n - 1; i > 0; i--) {
			int j = rand() % (i + 1);
			const struct test *tmp = order[i];

			order[i] = order[j];
			order[j] = tmp;
		}
	}

	topo_discover(&t);
	restore(&t);
	note("edu devices: alone %s (group %d), shared %s %s (group %d)%s%s",
	     t.single[0] ? t.single : "-", t.single_group,
	     t.shared[0][0] ? t.shared[0] : "-",
	     t.shared[1][0] ? t.shared[1] : "-", t.shared_group,
	     t.error[0] ? ": " : "", t.error);
	if (shuffle)
		note("test order shuffled with seed %u", seed);

	for (int i = 0; i < n; i++) {
		note("running %s", order[i]->name);
		run_test(order[i], &t, v);
		for (int j = 0; j < E2E_MAX_RESULTS && order[i]->results[j]; j++) {
			if (v[j].pass) {
				const char *partial = strstr(v[j].detail,
							     E2E_NOT_CHECKED);
				const char *faults = strstr(v[j].detail,
							    E2E_FAULTS);

				passed++;
				out(false, "%s %s/%s: %s\n", v[j].tag, row,
				    v[j].name, v[j].detail);
				if (sink && strcmp(v[j].tag, "PASS"))
					fprintf(sink, "%s %s/%s: %s\n", v[j].tag,
						row, v[j].name, v[j].detail);
				else if (sink && faults)
					fprintf(sink, "PASS %s/%s: %s\n", row,
						v[j].name, faults + 2);
				else if (sink && partial)
					fprintf(sink, "PASS %s/%s: %s\n", row,
						v[j].name, partial + 2);
				else if (sink)
					fprintf(sink, "PASS %s/%s\n", row,
						v[j].name);
			} else {
				failed++;
				out(true, "%s %s/%s: %s\n", v[j].tag, row,
				    v[j].name, v[j].detail);
			}
		}
	}
	out(true, "E2E-DONE %d %d\n", passed, failed);
	close_sink();
	return failed ? 1 : 0;
}

static void report_groups(void)
{
	char path[PATH_MAX], type[32], members[32][BDF_LEN];
	int groups[256], ng = 0;
	struct dirent *de;
	DIR *dir;

	dir = opendir("/sys/kernel/iommu_groups");
	if (!dir) {
		out(true, "No IOMMU groups: %s\n", strerror(errno));
		return;
	}
	while ((de = readdir(dir)) && ng < 256)
		if (de->d_name[0] != '.')
			groups[ng++] = atoi(de->d_name);
	closedir(dir);
	for (int i = 1; i < ng; i++)	/* few groups: insertion sort */
		for (int j = i; j > 0 && groups[j - 1] > groups[j]; j--) {
			int tmp = groups[j];

			groups[j] = groups[j - 1];
			groups[j - 1] = tmp;
		}

	out(true, "IOMMU groups (%d):\n", ng);
	for (int i = 0; i < ng; i++) {
		int nd;

		snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/type",
			 groups[i]);
		if (sysfs_read(path, type, sizeof(type)) < 0)
			snprintf(type, sizeof(type), "?");
		nd = group_devices(groups[i], members, 32);
		for (int j = 0; j < nd && j < 32; j++) {
			char vendor[16] = "0x?", device[16] = "0x?", drv[64];
			char group[16] = "";
			const char *edu = "";

			snprintf(path, sizeof(path),
				 "/sys/bus/pci/devices/%s/vendor", members[j]);
			sysfs_read(path, vendor, sizeof(vendor));
			snprintf(path, sizeof(path),
				 "/sys/bus/pci/devices/%s/device", members[j]);
			sysfs_read(path, device, sizeof(device));
			if (pci_driver(members[j], drv, sizeof(drv)) || !drv[0])
				snprintf(drv, sizeof(drv), "no driver");
			if (strtoul(vendor, NULL, 0) == EDU_VENDOR &&
			    strtoul(device, NULL, 0) == EDU_DEVICE)
				edu = nd == 1 ? "  [edu, alone in its group]" :
						"  [edu, shared group]";
			if (!j)
				snprintf(group, sizeof(group), "%d", groups[i]);
			out(true, "  %-4s %-8s %s  %s:%s  %s%s\n", group,
			    j ? "" : type, members[j], vendor + 2, device + 2,
			    drv, edu);
		}
	}
}

static int cmd_report(void)
{
	static const struct {
		const char *test, *result, *title;
	} items[] = {
		{ "vfio-container", "vfio-container",
		  "VFIO container round trip" },
		{ "vfio-cdev", "vfio-cdev", "VFIO cdev+iommufd round trip" },
		{ "module", "module-dma-api", "Kernel DMA API round trip" },
		{ "module", "module-paging-domain",
		  "Own paging domain round trip" },
	};
	struct verdict v[E2E_MAX_RESULTS];
	struct utsname u;
	struct topo t;
	const char *last = "";
	int failed = 0;

	uname(&u);
	topo_discover(&t);
	restore(&t);
	out(true, "\n==== IOMMU end-to-end report: Linux %s, %s IOMMU ====\n",
	    u.release, e2e_iommu->name);
	report_groups();
	if (t.error[0])
		out(true, "edu topology: %s\n", t.error);
	else
		out(true, "edu: %s alone in group %d; %s and %s share group %d\n",
		    t.single, t.single_group, t.shared[0], t.shared[1],
		    t.shared_group);
	for (int g = 0; !t.error[0] && g < 2; g++) {
		char path[PATH_MAX], buf[4096];
		int id = g ? t.shared_group : t.single_group;

		snprintf(path, sizeof(path),
			 "/sys/kernel/debug/iommu/groups/%d", id);
		if (sysfs_read(path, buf, sizeof(buf)) >= 0)
			out(true, "%s:\n%s\n", path, buf);
		else
			out(true, "%s: none (%s core)\n", path,
			    e2e_core_upstream ? "upstream's" : "our");
	}
	out(true, "Round trips:\n");
	for (size_t i = 0; i < ARRAY_SIZE(items); i++) {
		const struct test *tst = find_test(items[i].test);

		if (strcmp(last, items[i].test))
			run_test(tst, &t, v);
		last = items[i].test;
		for (int j = 0; j < E2E_MAX_RESULTS && tst->results[j]; j++) {
			if (strcmp(v[j].name, items[i].result))
				continue;
			failed += !v[j].pass;
			out(true, "  %-30s %s\n      %s\n", items[i].title,
			    v[j].pass ? "ok" : "FAILED", v[j].detail);
		}
	}
	out(true, "==== end of report ====\n");
	close_sink();
	return failed ? 1 : 0;
}

static int print_usage(void)
{
	fprintf(stderr,
		"usage: iommu-e2e list [-i iommu] [-m mode] [test...]\n"
		"       iommu-e2e run [-i iommu] [-m mode] [-c core] [-o file] [-s seed] [test...]\n"
		"       iommu-e2e report [-i iommu] [-c core] [-o file]\n"
		"iommu: %s\ncore: ours (default), upstream\n"
		"mode: strict, lazy (the row's iommu.strict=)\n",
		iommu_model_names());
	return 2;
}

int main(int argc, char **argv)
{
	bool shuffle = false;
	unsigned int seed = 0;
	const char *cmd;
	int opt;

	if (argc < 2)
		return print_usage();
	cmd = argv[1];
	argc--;
	argv++;
	while ((opt = getopt(argc, argv, "c:i:m:o:s:")) != -1) {
		switch (opt) {
		case 'c':
			e2e_core_upstream = !strcmp(optarg, "upstream");
			break;
		case 'i':
			e2e_iommu = iommu_model_find(optarg);
			if (!e2e_iommu) {
				fprintf(stderr, "iommu-e2e: no IOMMU %s\n",
					optarg);
				return print_usage();
			}
			break;
		case 'm':
			if (strcmp(optarg, "strict") && strcmp(optarg, "lazy")) {
				fprintf(stderr, "iommu-e2e: no mode %s\n",
					optarg);
				return print_usage();
			}
			e2e_flush = optarg;
			break;
		case 'o':
			if (open_sink(optarg))
				return 2;
			break;
		case 's':
			seed = strtoul(optarg, NULL, 0);
			shuffle = true;
			break;
		default:
			return print_usage();
		}
	}
	snprintf(row, sizeof(row), "e2e-%s%s%s", e2e_iommu->name,
		 e2e_flush ? "-" : "", e2e_flush ?: "");
	if (!strcmp(cmd, "list"))
		return cmd_list(argc - optind, argv + optind);
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - optind, argv + optind, seed, shuffle);
	if (!strcmp(cmd, "report"))
		return cmd_report();
	return print_usage();
}
