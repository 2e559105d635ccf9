/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Allocator calls: each thread's pending calls between entry and return,
 * Poisson sampling of allocated bytes, the classic entry and return
 * uprobes, and the session program (6.13+) that sees both and decides at
 * entry whether the return is trapped.
 */
#ifndef LT_ALLOC_BPF_H
#define LT_ALLOC_BPF_H

extern bool bpf_session_is_return(void) __ksym __weak;

/* What a pending call's return does. */
enum track_mode {
	TRACK_NESTED,  /* the allocator calling itself: the outer call counts */
	TRACK_SAMPLED, /* record the result */
	TRACK_UNSAMPLED, /* sampled out: only a realloc's old block goes */
};

/*
 * A pending entry that is no call: a signal handler started on top of the
 * calls below it (see signal.bpf.h). ret_slot is the interrupted stack
 * pointer; size and arg bound the alternate stack the handler runs on
 * (0, 0: the interrupted stack).
 */
#define LT_F_SIGNAL LT_F_NR

/* An allocator call between its entry and its return. */
struct pending_call {
	__u64 ret_slot; /* stack address holding the caller's return address */
	__u64 size;
	__u64 arg; /* realloc: old block; posix_memalign: result pointer */
	__u32 func;
	__u32 track; /* outermost call whose result we record */
};

/* A mapping syscall between sys_enter and sys_exit. */
struct pending_syscall {
	__u64 nr;
	__u64 args[4];
	__u64 stack_id;
	__u64 old_brk;
};

struct thread_state {
	__u32 depth;
	__u32 sample_ready;
	__s64 sample_left; /* bytes until this thread's next sample */
	/*
	 * Sessions: the last sampled-out call, whose return is not trapped.
	 * Its return slot and the return address in it tell whether a
	 * mapping syscall is made from inside it (the allocator's own).
	 */
	__u64 untrapped_slot;
	__u64 untrapped_ret;
	struct pending_call calls[LT_MAX_NEST];
	struct pending_syscall sys;
	struct lt_walk_memo memo; /* the last allocation's stack */
};

/*
 * Each thread's state: in task storage where the kernel has it for these
 * programs (freed with the thread, and found from the task, no hash),
 * else in an LRU hash by thread id (user space sizes the one not used
 * down to nothing).
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct thread_state);
} thread_store SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, struct thread_state);
} threads SEC(".maps");

const volatile bool use_task_storage = false;

/* The current thread's state in task storage; flags may create it. */
static __always_inline struct thread_state *task_thread_state(__u64 flags)
{
	return bpf_task_storage_get(&thread_store, bpf_get_current_task_btf(),
				    NULL, flags);
}

/* The current thread's state (tid: its id), or NULL. */
static __always_inline struct thread_state *thread_find(__u32 tid)
{
	if (use_task_storage)
		return task_thread_state(0);
	return bpf_map_lookup_elem(&threads, &tid);
}

/* An exponential gap with mean sample_bytes, from the -ln(u) table. */
static __always_inline __s64 next_gap(void)
{
	__u32 u = bpf_get_prandom_u32() & (LT_SAMPLE_TABLE - 1);

	return (neglog_q16[u] * sample_bytes) >> 16;
}

/*
 * Poisson sampling of allocated bytes, per thread, decided at allocation:
 * a block is sampled when the next sample point falls inside it.
 */
static __always_inline bool take_sample(struct thread_state *ts, __u64 size)
{
	if (!ts->sample_ready) {
		ts->sample_left = next_gap();
		ts->sample_ready = 1;
	}
	ts->sample_left -= size;
	if (ts->sample_left > 0)
		return false;
	ts->sample_left = next_gap();
	return true;
}

/* The current thread's state, made on first use; NULL if it cannot be. */
static __always_inline struct thread_state *thread_state(__u32 tid)
{
	static const struct thread_state empty;
	struct thread_state *ts;

	if (use_task_storage) {
		ts = task_thread_state(BPF_LOCAL_STORAGE_GET_F_CREATE);
	} else {
		ts = thread_find(tid);
		if (!ts) {
			bpf_map_update_elem(&threads, &tid, &empty,
					    BPF_NOEXIST);
			ts = thread_find(tid);
		}
	}
	if (!ts)
		count(LT_C_THREAD_LOST);
	return ts;
}

/*
 * Drop pending calls whose frames are gone (left by longjmp or a lost
 * return): a live outer call sits above the current return slot, or at it
 * when it tail-called us (glibc's reallocarray jumps to realloc). The same
 * function at the same slot is a new call, not a tail call.
 */
static __always_inline bool in_handler(const struct pending_call *sig, __u64 sp)
{
	if (sig->arg)
		return sp >= sig->size && sp < sig->arg;
	return sp < sig->ret_slot;
}

static __always_inline void drop_stale_calls(struct thread_state *ts,
					     __u64 ret_slot, __u32 func)
{
	for (int i = 0; i < LT_MAX_NEST; i++) {
		struct pending_call *top;
		__u32 d = ts->depth;

		if (d == 0 || d > LT_MAX_NEST)
			break;
		top = &ts->calls[(d - 1) & (LT_MAX_NEST - 1)];
		/* A handler left by longjmp is gone like a frame. */
		if (top->func == LT_F_SIGNAL) {
			if (in_handler(top, ret_slot))
				break;
		} else if (top->ret_slot > ret_slot ||
			   (top->ret_slot == ret_slot && top->func != func)) {
			break;
		}
		ts->depth = d - 1;
	}
}

/*
 * Is the thread inside an allocator call right now? Not when a signal
 * handler runs on top of it: the handler's calls are calls of their own.
 */
static __always_inline bool in_allocator(const struct thread_state *ts)
{
	__u32 d = ts->depth;

	if (d == 0 || d > LT_MAX_NEST)
		return false;
	return ts->calls[(d - 1) & (LT_MAX_NEST - 1)].func != LT_F_SIGNAL;
}

/*
 * Sessions: a sampled-out call is not trapped at its return, unless it is
 * a realloc of a recorded block. Mapping syscalls it makes must still be
 * seen as the allocator's: remember where it returns to.
 */
static __always_inline bool trap_unsampled(struct thread_state *ts, __u32 tgid,
					   enum lt_func func, __u64 arg,
					   __u64 ret_slot)
{
	if ((func == LT_F_REALLOC || func == LT_F_REALLOCARRAY) && arg &&
	    lookup_block(tgid, arg))
		return true;
	ts->untrapped_slot = ret_slot;
	if (bpf_probe_read_user(&ts->untrapped_ret, sizeof(ts->untrapped_ret),
				(void *)ret_slot))
		ts->untrapped_slot = 0;
	return false;
}

/*
 * An allocator call begins: push what its return needs. Returns whether
 * its return must be trapped (sessions ask; classic return probes always
 * fire, so there every call is pushed).
 */
static __always_inline bool enter_call(struct pt_regs *regs, enum lt_func func,
				       __u64 size, __u64 arg)
{
	__u64 id = current_ids();
	__u64 ret_slot = PT_REGS_SP(regs);
	struct pending_call *call;
	struct thread_state *ts;
	__u32 d, track;

	if (!probe_hits_target(id >> 32))
		return false;
	ts = thread_state((__u32)id);
	if (!ts)
		return false;
	drop_stale_calls(ts, ret_slot, func);
	d = ts->depth;
	/* Calls the allocator makes to itself belong to the outer call. */
	track = in_allocator(ts) ? TRACK_NESTED : TRACK_SAMPLED;
	if (track == TRACK_SAMPLED && sample_bytes && !take_sample(ts, size))
		track = TRACK_UNSAMPLED;
	if (use_sessions) {
		if (track == TRACK_NESTED)
			return false;
		if (track == TRACK_UNSAMPLED &&
		    !trap_unsampled(ts, id >> 32, func, arg, ret_slot))
			return false;
	}
	if (d >= LT_MAX_NEST) {
		count(LT_C_NEST_OVERFLOW);
		return false;
	}
	/* Keep the mask: the verifier needs the bound on this register. */
	barrier_var(d);
	call = &ts->calls[d & (LT_MAX_NEST - 1)];
	call->ret_slot = ret_slot;
	call->size = size;
	call->arg = arg;
	call->func = func;
	call->track = track;
	ts->depth = d + 1;
	return true;
}

/* Pop the call this return belongs to; false if there is none. */
static __always_inline bool pop_call(struct thread_state *ts, __u64 ret_sp,
				     struct pending_call *out)
{
	__u32 d;

	drop_stale_calls(ts, ret_sp - 8, LT_F_NR);
	d = ts->depth;
	if (d == 0 || d > LT_MAX_NEST)
		return false;
	*out = ts->calls[(d - 1) & (LT_MAX_NEST - 1)];
	if (out->ret_slot != ret_sp - 8)
		return false;
	ts->depth = d - 1;
	return true;
}

static __always_inline void finish_realloc(struct pt_regs *regs, __u32 tgid,
					   struct pending_call *c, __u64 ret,
					   struct lt_walk_memo *memo)
{
	if (!ret) {
		/* realloc(p, 0) freed p; any other failure keeps it. */
		if (c->size == 0 && c->arg)
			untrack_block(tgid, c->arg);
		return;
	}
	if (c->arg)
		untrack_block(tgid, c->arg);
	if (c->track == TRACK_SAMPLED)
		track_block(tgid, ret, c->size, return_stack(regs, tgid, memo));
}

/* An allocator call returns: record what it allocated. */
static __always_inline void leave_call(struct pt_regs *regs)
{
	__u64 id = current_ids();
	__u64 ret = PT_REGS_RC(regs), addr;
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct pending_call c;
	struct thread_state *ts;

	if (!probe_hits_target(tgid))
		return;
	ts = thread_find(tid);
	if (!ts || !pop_call(ts, PT_REGS_SP(regs), &c)) {
		count(LT_C_RET_NO_ENTRY);
		return;
	}
	if (c.track == TRACK_NESTED)
		return;

	switch (c.func) {
	case LT_F_REALLOC:
	case LT_F_REALLOCARRAY:
		finish_realloc(regs, tgid, &c, ret, &ts->memo);
		break;
	case LT_F_POSIX_MEMALIGN:
		if (c.track != TRACK_SAMPLED || (int)ret != 0 ||
		    bpf_probe_read_user(&addr, sizeof(addr), (void *)c.arg))
			break;
		track_block(tgid, addr, c.size,
			    return_stack(regs, tgid, &ts->memo));
		break;
	default:
		if (ret && c.track == TRACK_SAMPLED)
			track_block(tgid, ret, c.size,
				    return_stack(regs, tgid, &ts->memo));
		break;
	}
}

SEC("uretprobe")
int BPF_KRETPROBE(alloc_return)
{
	leave_call(ctx);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(malloc_entry, __u64 size)
{
	enter_call(ctx, LT_F_MALLOC, size, 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(calloc_entry, __u64 nmemb, __u64 size)
{
	enter_call(ctx, LT_F_CALLOC, nmemb * size, 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(realloc_entry, __u64 ptr, __u64 size)
{
	enter_call(ctx, LT_F_REALLOC, size, ptr);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(reallocarray_entry, __u64 ptr, __u64 nmemb, __u64 size)
{
	enter_call(ctx, LT_F_REALLOCARRAY, nmemb * size, ptr);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(posix_memalign_entry, __u64 memptr, __u64 align, __u64 size)
{
	enter_call(ctx, LT_F_POSIX_MEMALIGN, size, memptr);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(aligned_alloc_entry, __u64 align, __u64 size)
{
	enter_call(ctx, LT_F_ALIGNED_ALLOC, size, 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(memalign_entry, __u64 align, __u64 size)
{
	enter_call(ctx, LT_F_MEMALIGN, size, 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(valloc_entry, __u64 size)
{
	enter_call(ctx, LT_F_VALLOC, size, 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(pvalloc_entry, __u64 size)
{
	enter_call(ctx, LT_F_PVALLOC, size, 0);
	return 0;
}

/*
 * Might the thread be inside an allocator call? Every call we track has
 * its return trapped, so not when the kernel holds no pending uretprobe
 * return for the thread: then its state need not be looked up.
 */
static __always_inline bool maybe_in_call(void)
{
	struct uprobe_task *ut;

	if (!task_btf ||
	    !bpf_core_field_exists(struct uprobe_task, return_instances))
		return true;
	ut = bpf_get_current_task_btf()->utask;
	return ut && ut->return_instances;
}

/*
 * The block is looked up first: a free of a block not recorded (most of
 * them when sampling) costs that one lookup.
 */
static __always_inline void free_call(struct pt_regs *regs, __u64 ptr)
{
	__u64 id = current_ids();
	struct lt_alloc_info *found;
	struct thread_state *ts = NULL;
	__u32 tid = (__u32)id;

	if (!ptr || !probe_hits_target(id >> 32))
		return;
	found = lookup_block(id >> 32, ptr);
	if (!found && sample_bytes)
		return;
	if (maybe_in_call())
		ts = thread_find(tid);
	if (ts) {
		drop_stale_calls(ts, PT_REGS_SP(regs), LT_F_FREE);
		/* realloc(p, 0) frees inside realloc: its return handles it. */
		if (in_allocator(ts))
			return;
	}
	if (found)
		retire_block(id >> 32, ptr, found);
	else
		count_unknown_free();
}

SEC("uprobe")
int BPF_KPROBE(free_entry, __u64 ptr)
{
	free_call(ctx, ptr);
	return 0;
}

/*
 * Sessions: one program for every allocator function of a library but
 * free (free_entry has a link of its own), the function in the link's
 * cookie. At entry, returning 1 tells the kernel not to trap this call's
 * return.
 */
static __always_inline bool session_enter(struct pt_regs *regs, __u64 func)
{
	__u64 a = PT_REGS_PARM1(regs), b = PT_REGS_PARM2(regs);
	__u64 c = PT_REGS_PARM3(regs);

	switch (func) {
	case LT_F_MALLOC:
	case LT_F_VALLOC:
	case LT_F_PVALLOC:
		return enter_call(regs, func, a, 0);
	case LT_F_CALLOC:
		return enter_call(regs, func, a * b, 0);
	case LT_F_REALLOC:
		return enter_call(regs, func, b, a);
	case LT_F_REALLOCARRAY:
		return enter_call(regs, func, b * c, a);
	case LT_F_POSIX_MEMALIGN:
		return enter_call(regs, func, c, a);
	case LT_F_ALIGNED_ALLOC:
	case LT_F_MEMALIGN:
		return enter_call(regs, func, b, 0);
	}
	return false;
}

SEC("uprobe")
int alloc_session(struct pt_regs *ctx)
{
	if (bpf_session_is_return()) {
		leave_call(ctx);
		return 0;
	}
	return session_enter(ctx, bpf_get_attach_cookie(ctx)) ? 0 : 1;
}

#endif /* LT_ALLOC_BPF_H */
