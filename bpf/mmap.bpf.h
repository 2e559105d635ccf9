/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Mapping syscalls: mmap, munmap, mremap and brk from the raw syscall
 * tracepoints, sent in order through the event ring.
 */
#ifndef LT_MMAP_BPF_H
#define LT_MMAP_BPF_H

#define PROT_EXEC 0x4

static __always_inline void emit(struct lt_event *ev, bool wake)
{
	__u64 flags = wake ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;

	ev->ts_ns = bpf_ktime_get_ns();
	if (bpf_ringbuf_output(&events, ev, sizeof(*ev), flags))
		count(LT_C_EVENTS_LOST);
}

static __always_inline bool is_mapping_syscall(long nr)
{
	return nr == NR_MMAP || nr == NR_MUNMAP || nr == NR_MREMAP ||
	       nr == NR_BRK;
}

static __always_inline __u64 current_brk(void)
{
	struct task_struct *task = (void *)bpf_get_current_task();

	return BPF_CORE_READ(task, mm, brk);
}

static __always_inline void emit_munmap(__u32 tgid, __u64 addr, __u64 len)
{
	struct lt_event ev = {
		.kind = LT_EV_MUNMAP,
		.tgid = tgid,
		.addr = addr,
		.len = page_align(len),
	};

	/* munmap rejects unaligned addresses: nothing would change. */
	if (len && !(addr & (page_size - 1)))
		emit(&ev, false);
}

/*
 * Is the thread inside the last sampled-out call whose return was not
 * trapped? Its frame is live while the stack is below its return slot and
 * the slot still holds the return address it had at entry.
 */
static __always_inline bool in_untrapped_call(struct thread_state *ts, __u64 sp)
{
	__u64 slot = ts->untrapped_slot;

	if (!slot || sp >= slot)
		return false;
	if (read_ptr(slot) == ts->untrapped_ret)
		return true;
	ts->untrapped_slot = 0;
	return false;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long nr)
{
	struct pending_syscall *sys;
	struct thread_state *ts;
	__u64 id;

	if (nr != NR_RT_SIGRETURN && !is_mapping_syscall(nr))
		return 0;
	id = current_ids();
	if (nr == NR_RT_SIGRETURN) {
		signal_return((__u32)id);
		return 0;
	}
	if (!is_target(id >> 32))
		return 0;
	/*
	 * munmap is recorded before it runs, so a racing mmap that reuses
	 * the range is always seen after it.
	 */
	if (nr == NR_MUNMAP) {
		emit_munmap(id >> 32, ARCH_SYSCALL_ARG0(regs),
			    ARCH_SYSCALL_ARG1(regs));
		return 0;
	}
	ts = thread_state((__u32)id);
	if (!ts)
		return 0;
	sys = &ts->sys;
	sys->nr = nr;
	sys->args[0] = ARCH_SYSCALL_ARG0(regs);
	sys->args[1] = ARCH_SYSCALL_ARG1(regs);
	sys->args[2] = ARCH_SYSCALL_ARG2(regs);
	sys->args[3] = ARCH_SYSCALL_ARG3(regs);
	/* Inside malloc & co the mapping is the allocator's own. */
	if (in_allocator(ts) || in_untrapped_call(ts, ARCH_USER_SP(regs)))
		sys->stack_id = LT_STACK_ALLOCATOR;
	else if (nr != NR_MREMAP)
		sys->stack_id = syscall_stack(regs);
	if (nr == NR_BRK)
		sys->old_brk = current_brk();
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	long nr = ARCH_SYSCALL_NR(regs);
	struct lt_event ev = {};
	struct pending_syscall sys;
	struct thread_state *ts;
	__u64 id;
	__u32 tid;

	if (nr == NR_MUNMAP || !is_mapping_syscall(nr))
		return 0;
	id = current_ids();
	ev.tgid = id >> 32;
	tid = (__u32)id;
	if (!is_target(ev.tgid))
		return 0;
	ts = bpf_map_lookup_elem(&threads, &tid);
	if (!ts || ts->sys.nr != nr)
		return 0;
	sys = ts->sys;
	ts->sys.nr = 0;
	if ((unsigned long)ret >= (unsigned long)-MAX_ERRNO)
		return 0;

	ev.stack_id = sys.stack_id;
	ev.addr = ret;
	if (nr == NR_MMAP) {
		ev.kind = LT_EV_MMAP;
		ev.len = page_align(sys.args[1]);
		ev.prot = sys.args[2];
		ev.flags = sys.args[3];
		/* New code mapped: user space refreshes its module list. */
		emit(&ev, ev.prot & PROT_EXEC);
	} else if (nr == NR_MREMAP) {
		ev.kind = LT_EV_MREMAP;
		ev.old_addr = sys.args[0];
		ev.old_len = page_align(sys.args[1]);
		ev.len = page_align(sys.args[2]);
		emit(&ev, false);
	} else if ((__u64)ret != sys.old_brk && sys.old_brk) {
		ev.kind = LT_EV_BRK;
		ev.old_addr = sys.old_brk;
		emit(&ev, false);
	}
	return 0;
}

#endif /* LT_MMAP_BPF_H */
