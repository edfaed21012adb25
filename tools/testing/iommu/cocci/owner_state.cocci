// SPDX-License-Identifier: GPL-2.0
/// The owner state of a group (iommu_group::owner_state, owner_users,
/// owner) is written by drivers/iommu/core/owner.c only, whose one
/// transition function checks every event against the current state.
//
// Confidence: High
// Options: --no-includes --include-headers

virtual report

@r depends on report@
struct iommu_group *g;
expression E;
assignment operator aop;
position p;
@@
(
g->owner_state@p aop E
|
g->owner_users@p aop E
|
g->owner@p aop E
|
g->owner_users@p++
|
g->owner_users@p--
)

@script:python depends on report@
p << r.p;
@@
if not p[0].file.endswith("/owner.c"):
	coccilib.report.print_report(p[0],
		"owner state of a group written outside owner.c")
