// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * leaktrace kernel side: uprobes on the allocator entry points and returns,
 * raw syscall tracepoints for mmap/munmap/mremap/brk.
 *
 * Heap blocks are aggregated here, per (process, stack): every allocation
 * and free updates the outstanding bytes of its stack, so a report only reads
 * the aggregates. Mapping changes go to user space through one ring buffer,
 * in order, where an interval map applies partial unmaps and remaps exactly.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "leaktrace.h"
#include "arch.h"

/* In this order: each part uses the ones before it. */
#include "common.bpf.h"
#include "python.bpf.h"
#include "stack.bpf.h"
#include "heap.bpf.h"
#include "alloc.bpf.h"
#include "signal.bpf.h"
#include "mmap.bpf.h"

SEC("tp_btf/sched_process_exit")
int BPF_PROG(process_exit, struct task_struct *task)
{
	struct lt_event ev = { .kind = LT_EV_EXIT };

	ev.tgid = current_tgid(); /* the exiting task */
	if (!is_target(ev.tgid) || BPF_CORE_READ(task, signal, live.counter))
		return 0;
	emit(&ev, true);
	return 0;
}

/*
 * Children of traced processes (gunicorn workers) are traced too: the
 * syscalls at once, the allocator once user space has attached to them.
 * They start with their parent's mappings, which user space copies.
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(process_fork, struct task_struct *parent,
	     struct task_struct *child)
{
	struct lt_event ev = { .kind = LT_EV_FORK };
	const struct lt_py_config *py;
	__u32 ptgid;
	__u8 one = 1;

	if (BPF_CORE_READ(child, tgid) == BPF_CORE_READ(parent, tgid))
		return 0;	/* a new thread */
	ptgid = current_tgid(); /* the parent */
	if (!is_target(ptgid))
		return 0;
	ev.tgid = child_tgid(parent, child);
	if (!ev.tgid)
		return 0;
	unwind_copy_proc(ptgid, ev.tgid);
	ev.old_addr = ptgid;
	/* System-wide, user space only copies the parent's mappings. */
	if (system_wide) {
		emit(&ev, false);
		return 0;
	}
	bpf_map_update_elem(&targets, &ev.tgid, &one, BPF_ANY);
	py = bpf_map_lookup_elem(&py_procs, &ptgid);
	if (py)
		bpf_map_update_elem(&py_procs, &ev.tgid, py, BPF_ANY);
	emit(&ev, true);
	return 0;
}

/*
 * A traced process execs: its blocks from before are gone with the old
 * image (user space drops them, by image) and so are its Python frames.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(process_exec, struct task_struct *task, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	struct lt_event ev = { .kind = LT_EV_EXEC };

	ev.tgid = current_tgid(); /* the task that execs */
	if (!is_target(ev.tgid))
		return 0;
	bpf_map_delete_elem(&py_procs, &ev.tgid);
	ev.addr = BPF_CORE_READ(task, self_exec_id); /* exec incremented it */
	emit(&ev, true);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
