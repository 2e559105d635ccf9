/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Stacks: frame-pointer walks, the search for return addresses at a
 * syscall, and the stack store (each stack once, under a 64-bit hash).
 */
#ifndef LT_STACK_BPF_H
#define LT_STACK_BPF_H

/* Words above the user stack pointer searched for return addresses. */
#define SCAN_WORDS     32
/* Largest distance between two frame pointers we follow. */
#define MAX_FRAME_SIZE (1 << 20)

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 17);
	__type(key, __u64);
	__type(value, struct lt_stack);
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lt_stack);
} stack_scratch SEC(".maps");

#include "unwind.bpf.h"

/*
 * Follow frame pointers from fp, appending return addresses to st.
 * A frame is {saved fp, return address}; saved frame pointers must grow
 * towards the stack bottom, which stops the walk at garbage. In code built
 * without frame pointers (CPython) %rbp is any register, so there each
 * return address must also follow a call instruction. Frames are read
 * through the DWARF walk's stack window.
 */
static __always_inline void walk_frames(struct lt_stack *st, __u64 fp,
					bool strict)
{
	__u32 zero = 0;
	struct lt_unwind_state *s = bpf_map_lookup_elem(&unwind_scratch, &zero);
	__u64 frame[2];

	if (!s)
		return;
	s->win_len = 0;
	s->stack_top = main_stack_top();
	for (int i = 0; i < LT_MAX_STACK_DEPTH; i++) {
		__u32 n = st->len;

		s->sp = fp; /* the window starts at the frame */
		if (!fp || !stack_read(s, frame, sizeof(frame), fp))
			break;
		if (frame[1] < 4096 || (strict && !arch_follows_call(frame[1])))
			break;
		barrier_var(n);
		if (n >= LT_MAX_STACK_DEPTH)
			break;
		st->ips[n] = frame[1];
		st->len = n + 1;
		if (frame[0] <= fp || frame[0] - fp > MAX_FRAME_SIZE)
			break;
		fp = frame[0];
	}
}

/*
 * Code objects can only be read while the process lives: a new stack with
 * Python frames is named by user space at once, not at the next report,
 * which may come after the process exited. New stacks are rare once a
 * program has warmed up, so the wake-up costs little.
 */
static __always_inline void announce_python_stack(__u64 id)
{
	struct lt_event ev = {
		.kind = LT_EV_NEW_STACK,
		.tgid = current_tgid(),
		.stack_id = id,
	};

	if (bpf_ringbuf_output(&events, &ev, sizeof(ev), BPF_RB_FORCE_WAKEUP))
		count(LT_C_EVENTS_LOST);
}

/*
 * Hash the stack in st, store it once, and return its id; *clean is
 * false when that counted a loss (a collision, a full map).
 */
static __always_inline __u64 intern_stack_clean(struct lt_stack *st,
						bool *clean)
{
	__u64 h = 0x9e3779b97f4a7c15ULL, check = 0x2545f4914f6cdd1dULL;
	struct lt_stack *old;
	__u64 id;

	*clean = false;
	for (int i = 0; i < LT_MAX_STACK_DEPTH; i++) {
		if (i >= st->len)
			break;
		h = lt_mix64(h ^ st->ips[i]);
		check = (check ^ st->ips[i]) * 0x100000001b3ULL;
	}
	for (int i = 0; i < LT_MAX_PY_FRAMES; i++) {
		__u64 v;

		if (i >= st->py_len)
			break;
		v = st->py[i].code ^ ((__u64)st->py[i].pos << 32);
		h = lt_mix64(h ^ v);
		check = (check ^ v) * 0x100000001b3ULL;
	}
	st->check = (__u32)(check ^ (check >> 32)) ^ st->len ^ st->py_len << 8;
	id = h | 2; /* never a reserved id */

	old = bpf_map_lookup_elem(&stacks, &id);
	if (old) {
		*clean = old->len == st->len && old->py_len == st->py_len &&
			 old->check == st->check;
		if (!*clean)
			count(LT_C_STACK_COLLISION);
		return id;
	}
	if (bpf_map_update_elem(&stacks, &id, st, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&stacks, &id)) {
		count(LT_C_STACK_MAP_FULL);
		return LT_STACK_UNKNOWN;
	}
	*clean = true;
	if (st->py_len)
		announce_python_stack(id);
	return id;
}

static __always_inline __u64 intern_stack(struct lt_stack *st)
{
	bool clean;

	return intern_stack_clean(st, &clean);
}

/*
 * The native walk from the allocator's return, or the thread's memo of
 * it when it still holds. Python processes are walked each time: their
 * Python frames change under the same native stack.
 */
static __always_inline __u64 dwarf_return_stack(struct lt_stack *st,
						struct pt_regs *regs,
						__u32 tgid,
						struct lt_walk_memo *memo)
{
	__u64 pc = PT_REGS_IP(regs), sp = PT_REGS_SP(regs);
	__u64 bp = PT_REGS_FP(regs), id;
	bool clean, python;

	if (!unwind_memo)
		memo = NULL;
	if (memo && memo_matches(memo, pc, sp, bp, tgid))
		return memo->stack_id;
	unwind_walk(pc, sp, bp);
	python = py_frames(st, tgid);
	id = intern_stack_clean(st, &clean);
	if (memo)
		memo_keep(memo, tgid, id, clean && !python);
	return id;
}

static __always_inline struct lt_stack *scratch_stack(void)
{
	__u32 zero = 0;
	struct lt_stack *st = bpf_map_lookup_elem(&stack_scratch, &zero);

	if (st) {
		st->len = 0;
		st->py_len = 0;
	}
	return st;
}

/*
 * Stack of an allocator call, taken at its return, where the kernel has
 * put the real return address back in %rip: the direct caller comes free
 * (right even when the caller has no frame pointer), and %rbp is the
 * caller's again, so the rest follows the caller's frame pointers.
 */
static __always_inline __u64 return_stack(struct pt_regs *regs, __u32 tgid,
					  struct lt_walk_memo *memo)
{
	struct lt_stack *st = scratch_stack();

	if (!st)
		return LT_STACK_UNKNOWN;
	if (unwind_dwarf)
		return dwarf_return_stack(st, regs, tgid, memo);
	st->ips[0] = PT_REGS_IP(regs);
	st->len = 1;
	py_frames(st, tgid);
	walk_frames(st, PT_REGS_FP(regs), st->py_len);
	return intern_stack(st);
}

/*
 * Is fp, found at or above sp, the base of a frame-pointer frame? Then
 * fp+8 holds a return address.
 */
static __always_inline bool is_frame_base(__u64 fp, __u64 sp)
{
	__u64 ret;

	if (fp <= sp || fp - sp > MAX_FRAME_SIZE)
		return false;
	if (bpf_probe_read_user(&ret, sizeof(ret), (void *)(fp + 8)))
		return false;
	return arch_follows_call(ret);
}

/*
 * Stack at a syscall made from a libc wrapper. Wrappers such as mmap() keep
 * no frame, and some (sbrk) reuse %rbp as a scratch register, so search the
 * words above the stack pointer for return addresses until a frame-pointer
 * frame is found, then follow frame pointers from there.
 */
static __always_inline __u64 syscall_stack(struct pt_regs *regs)
{
	struct lt_stack *st = scratch_stack();
	__u64 words[SCAN_WORDS] = {};
	__u64 sp = ARCH_USER_SP(regs);
	__u64 fp = ARCH_USER_FP(regs);

	if (!st)
		return LT_STACK_UNKNOWN;
	if (unwind_dwarf) {
		/* The wrapper's CFI says where everything is: no scan. */
		unwind_walk(ARCH_USER_IP(regs), sp, fp);
		py_frames(st, current_tgid());
		return intern_stack(st);
	}
	st->ips[0] = ARCH_USER_IP(regs);
	st->len = 1;
	if (!is_frame_base(fp, sp))
		fp = 0;
	if (bpf_probe_read_user(words, sizeof(words), (void *)sp))
		bpf_probe_read_user(words, 8 * 8, (void *)sp);

	for (int i = 0; i < SCAN_WORDS; i++) {
		__u64 slot = sp + 8 * i, w = words[i];
		__u32 n = st->len;

		if (fp && slot >= fp)
			break;
		if (!fp && w > slot && is_frame_base(w, slot)) {
			fp = w;
			continue;
		}
		if (n < 8 && arch_follows_call(w)) {
			st->ips[n & 7] = w;
			st->len = n + 1;
		}
	}
	if (fp)
		walk_frames(st, fp, false);
	py_frames(st, current_tgid());
	return intern_stack(st);
}

#endif /* LT_STACK_BPF_H */
