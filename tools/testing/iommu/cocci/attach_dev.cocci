// SPDX-License-Identifier: GPL-2.0
/// A driver's attach_dev() is called from grp_dev_attach_now() only
/// (drivers/iommu/core/attach.c): every other path moves devices through
/// it, so that deferral, tracing and the group's invariants are kept in
/// one place.
//
// Confidence: High
// Options: --no-includes --include-headers

virtual report

@r depends on report@
identifier fn != grp_dev_attach_now;
expression ops, domain, dev;
position p;
@@
fn(...)
{
<+...
ops->attach_dev@p(domain, dev)
...+>
}

@script:python depends on report@
p << r.p;
fn << r.fn;
@@
coccilib.report.print_report(p[0],
	"attach_dev() called from %s(), not from grp_dev_attach_now()" % fn)
