/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tracepoints of the IOMMU core: every change of a group's owner state,
 * domain and PASIDs, and the end of a device's deferred attach.  Each is
 * emitted by the one function that makes the change, under the group mutex,
 * after the change took effect.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM iommu_core

#if !defined(_IOMMU_CORE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _IOMMU_CORE_TRACE_H

#include <linux/device.h>
#include <linux/tracepoint.h>

#define iommu_core_owner_names				\
	{ 0, "free" }, { 1, "DMA API" }, { 2, "claimed" }

TRACE_EVENT(iommu_core_owner,
	TP_PROTO(int group, int from, int to, unsigned int users),
	TP_ARGS(group, from, to, users),
	TP_STRUCT__entry(
		__field(int, group)
		__field(int, from)
		__field(int, to)
		__field(unsigned int, users)
	),
	TP_fast_assign(
		__entry->group = group;
		__entry->from = from;
		__entry->to = to;
		__entry->users = users;
	),
	TP_printk("group=%d owner %s -> %s users=%u", __entry->group,
		  __print_symbolic(__entry->from, iommu_core_owner_names),
		  __print_symbolic(__entry->to, iommu_core_owner_names),
		  __entry->users)
);

TRACE_EVENT(iommu_core_domain,
	TP_PROTO(int group, unsigned int from_type, unsigned int to_type),
	TP_ARGS(group, from_type, to_type),
	TP_STRUCT__entry(
		__field(int, group)
		__field(unsigned int, from_type)
		__field(unsigned int, to_type)
	),
	TP_fast_assign(
		__entry->group = group;
		__entry->from_type = from_type;
		__entry->to_type = to_type;
	),
	TP_printk("group=%d domain type %#x -> %#x", __entry->group,
		  __entry->from_type, __entry->to_type)
);

TRACE_EVENT(iommu_core_deferred_done,
	TP_PROTO(struct device *dev, int group),
	TP_ARGS(dev, group),
	TP_STRUCT__entry(
		__string(device, dev_name(dev))
		__field(int, group)
	),
	TP_fast_assign(
		__assign_str(device);
		__entry->group = group;
	),
	TP_printk("device=%s group=%d deferred attach ended",
		  __get_str(device), __entry->group)
);

TRACE_EVENT(iommu_core_pasid,
	TP_PROTO(int group, unsigned int pasid, bool attached),
	TP_ARGS(group, pasid, attached),
	TP_STRUCT__entry(
		__field(int, group)
		__field(unsigned int, pasid)
		__field(bool, attached)
	),
	TP_fast_assign(
		__entry->group = group;
		__entry->pasid = pasid;
		__entry->attached = attached;
	),
	TP_printk("group=%d pasid=%u %s", __entry->group, __entry->pasid,
		  __entry->attached ? "attached" : "detached")
);

#endif /* _IOMMU_CORE_TRACE_H */

#undef TRACE_INCLUDE_PATH
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_PATH ../../drivers/iommu/core
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
