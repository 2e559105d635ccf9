/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Mapping syscalls: mmap, munmap, mremap and brk from the per-syscall
 * tracepoints (raw syscall tracepoints on older kernels), sent in order
 * through the event ring.
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

/* A mapping syscall (or rt_sigreturn) begins, regs the user's registers. */
static __always_inline void syscall_enter(struct pt_regs *regs, long nr)
{
	struct pending_syscall *sys;
	struct thread_state *ts;
	__u64 id;

	id = current_ids();
	if (nr == NR_RT_SIGRETURN) {
		signal_return((__u32)id);
		return;
	}
	if (!is_target(id >> 32))
		return;
	/*
	 * munmap is recorded before it runs, so a racing mmap that reuses
	 * the range is always seen after it.
	 */
	if (nr == NR_MUNMAP) {
		emit_munmap(id >> 32, ARCH_SYSCALL_ARG0(regs),
			    ARCH_SYSCALL_ARG1(regs));
		return;
	}
	ts = thread_state((__u32)id);
	if (!ts)
		return;
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
}

/* A mapping syscall other than munmap returned ret. */
static __always_inline void syscall_exit(long nr, long ret)
{
	struct lt_event ev = {};
	struct pending_syscall sys;
	struct thread_state *ts;
	__u64 id;
	__u32 tid;

	id = current_ids();
	ev.tgid = id >> 32;
	tid = (__u32)id;
	if (!is_target(ev.tgid))
		return;
	ts = thread_find(tid);
	if (!ts || ts->sys.nr != nr)
		return;
	sys = ts->sys;
	ts->sys.nr = 0;
	if ((unsigned long)ret >= (unsigned long)-MAX_ERRNO)
		return;

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
}

/*
 * Raw syscall tracepoints: every syscall of every process runs them (the
 * uretprobe syscall of each trapped return too), so they are the fallback
 * for kernels without bpf_task_pt_regs (before 5.15).
 */
SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long nr)
{
	if (nr == NR_RT_SIGRETURN || is_mapping_syscall(nr))
		syscall_enter(regs, nr);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	long nr = ARCH_SYSCALL_NR(regs);

	if (nr != NR_MUNMAP && is_mapping_syscall(nr))
		syscall_exit(nr, ret);
	return 0;
}

/*
 * Per-syscall tracepoints: the kernel runs a program only for its own
 * syscall. The user's registers come from the task.
 */
struct syscall_exit_ctx {
	__u64 common; /* struct trace_entry */
	int syscall_nr;
	long ret;
};

static __always_inline struct pt_regs *user_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

#define SYSCALL_ENTER_PROG(name, nr)                                           \
	SEC("tracepoint/syscalls/sys_enter_" #name)                            \
	int sys_enter_##name(void *ctx)                                        \
	{                                                                      \
		syscall_enter(user_regs(), nr);                                \
		return 0;                                                      \
	}

#define SYSCALL_EXIT_PROG(name, nr)                                            \
	SEC("tracepoint/syscalls/sys_exit_" #name)                             \
	int sys_exit_##name(struct syscall_exit_ctx *ctx)                      \
	{                                                                      \
		syscall_exit(nr, ctx->ret);                                    \
		return 0;                                                      \
	}

SYSCALL_ENTER_PROG(mmap, NR_MMAP)
SYSCALL_ENTER_PROG(munmap, NR_MUNMAP)
SYSCALL_ENTER_PROG(mremap, NR_MREMAP)
SYSCALL_ENTER_PROG(brk, NR_BRK)
SYSCALL_ENTER_PROG(rt_sigreturn, NR_RT_SIGRETURN)
SYSCALL_EXIT_PROG(mmap, NR_MMAP)
SYSCALL_EXIT_PROG(mremap, NR_MREMAP)
SYSCALL_EXIT_PROG(brk, NR_BRK)

#endif /* LT_MMAP_BPF_H */
