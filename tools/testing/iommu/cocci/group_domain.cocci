// SPDX-License-Identifier: GPL-2.0
/// iommu_group::domain is read without the group mutex (by
/// iommu_get_domain_for_dev() and the DMA API), so it is written only with
/// WRITE_ONCE(), by a function that holds the group mutex and says so
/// (iommu_grp_assert_locked() or lockdep_assert_held()).
//
// Confidence: High
// Options: --no-includes --include-headers

virtual report

@plain depends on report@
struct iommu_group *g;
expression E;
position p;
@@
g->domain@p = E

@script:python depends on report@
p << plain.p;
@@
coccilib.report.print_report(p[0],
	"iommu_group::domain written without WRITE_ONCE()")

@unlocked depends on report@
identifier fn;
struct iommu_group *g;
expression E;
position p;
@@
fn(...)
{
... when != iommu_grp_assert_locked(g)
    when != lockdep_assert_held(&g->mutex)
WRITE_ONCE@p(g->domain, E);
...
}

@script:python depends on report@
p << unlocked.p;
fn << unlocked.fn;
@@
coccilib.report.print_report(p[0],
	"iommu_group::domain written in %s() without asserting the group mutex" % fn)
