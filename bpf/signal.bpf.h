/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Signal handlers: a handler that interrupts an allocator call is not the
 * allocator calling itself. Its delivery pushes a marker on the thread's
 * pending calls, so the calls the handler makes count on their own; the
 * marker goes at rt_sigreturn, or, when the handler left by longjmp, at
 * the next call made outside the handler's stack (drop_stale_calls).
 */
#ifndef LT_SIGNAL_BPF_H
#define LT_SIGNAL_BPF_H

#define LT_SIG_DFL    0
#define LT_SIG_IGN    1
#define LT_SA_ONSTACK 0x08000000

/* The user stack pointer the signal interrupted (5.15+), else the top. */
static __always_inline __u64 interrupted_sp(void)
{
	struct pt_regs *regs;

	if (!bpf_core_enum_value_exists(enum bpf_func_id,
					BPF_FUNC_task_pt_regs))
		return ~0ULL; /* no longjmp detection on the same stack */
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	return ARCH_USER_SP(regs);
}

SEC("tp_btf/signal_deliver")
int BPF_PROG(signal_deliver, int sig, struct kernel_siginfo *info,
	     struct k_sigaction *ka)
{
	__u64 id = current_ids(), handler, sp, alt, alt_size;
	struct task_struct *task = bpf_get_current_task_btf();
	struct pending_call *mark;
	struct thread_state *ts;
	__u32 tid = (__u32)id, d;

	if (!probe_hits_target(id >> 32))
		return 0;
	ts = thread_find(tid);
	/* Nothing pending: the handler's calls count on their own anyway. */
	if (!ts || !ts->depth)
		return 0;
	handler = (__u64)BPF_CORE_READ(ka, sa.sa_handler);
	if (handler == LT_SIG_DFL || handler == LT_SIG_IGN)
		return 0;
	d = ts->depth;
	if (d >= LT_MAX_NEST) {
		count(LT_C_NEST_OVERFLOW);
		return 0;
	}
	sp = interrupted_sp();
	alt = BPF_CORE_READ(task, sas_ss_sp);
	alt_size = BPF_CORE_READ(task, sas_ss_size);
	/* Already on the alternate stack: the handler nests on it. */
	if (!(BPF_CORE_READ(ka, sa.sa_flags) & LT_SA_ONSTACK) || !alt_size ||
	    (sp >= alt && sp < alt + alt_size))
		alt = alt_size = 0;
	barrier_var(d);
	mark = &ts->calls[d & (LT_MAX_NEST - 1)];
	mark->ret_slot = sp;
	mark->size = alt;
	mark->arg = alt + alt_size;
	mark->func = LT_F_SIGNAL;
	mark->track = TRACK_NESTED;
	ts->depth = d + 1;
	return 0;
}

/* The handler returns: drop its marker and what it left above it. */
static __always_inline void signal_return(__u32 tid)
{
	struct thread_state *ts = thread_find(tid);

	if (!ts)
		return;
	for (int i = 0; i < LT_MAX_NEST; i++) {
		__u32 d = ts->depth;

		if (d == 0 || d > LT_MAX_NEST)
			return;
		ts->depth = d - 1;
		if (ts->calls[(d - 1) & (LT_MAX_NEST - 1)].func == LT_F_SIGNAL)
			return;
	}
}

#endif /* LT_SIGNAL_BPF_H */
