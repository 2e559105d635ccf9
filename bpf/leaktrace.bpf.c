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

#define EEXIST	  17
#define MAX_ERRNO 4095

#define NR_MMAP	  9
#define NR_MUNMAP 11
#define NR_BRK	  12
#define NR_MREMAP 25

#define PROT_EXEC      0x4
/* Words above the user stack pointer searched for return addresses. */
#define SCAN_WORDS     32
/* Largest distance between two frame pointers we follow. */
#define MAX_FRAME_SIZE (1 << 20)

const volatile bool system_wide = false;
const volatile __u32 self_tgid = 0;
const volatile __u64 min_size = 0;
const volatile __u64 max_size = ~0ULL;
const volatile __u64 epoch_ns = 0;
const volatile __u64 page_size = 4096;
const volatile __u64 sample_bytes = 0; /* mean gap; 0: every allocation */
const volatile __u32 neglog_q16[LT_SAMPLE_TABLE];
const volatile __u32 gain_q16[LT_SAMPLE_TABLE];
/* One uprobe session per call (6.13+): a return is trapped only if asked. */
const volatile bool use_sessions = false;

extern bool bpf_session_is_return(void) __ksym __weak;

/* What a pending call's return does. */
enum track_mode {
	TRACK_NESTED,  /* the allocator calling itself: the outer call counts */
	TRACK_SAMPLED, /* record the result */
	TRACK_UNSAMPLED, /* sampled out: only a realloc's old block goes */
};

/* Processes traced when not system-wide. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 20);
	__type(key, struct lt_alloc_key);
	__type(value, struct lt_alloc_info);
} allocs SEC(".maps");

/*
 * Aggregates are never deleted while the process lives (the kernel adds
 * through a looked-up pointer), so this bounds the (process, stack, age)
 * triples seen over a run: room for many, paid for only when used.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 19);
	__type(key, struct lt_stat_key);
	__type(value, struct lt_stat);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 17);
	__type(key, __u64);
	__type(value, struct lt_stack);
} stacks SEC(".maps");

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
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, struct thread_state);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lt_stack);
} stack_scratch SEC(".maps");

/* Traced processes running a CPython interpreter. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct lt_py_config);
} py_procs SEC(".maps");

/* One Python frame, read in one go; room for a word at any masked offset. */
struct py_buf {
	__u8 bytes[128 + 8];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct py_buf);
} py_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LT_C_NR);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

static __always_inline void count(enum lt_counter c)
{
	__u32 key = c;
	__u64 *val = bpf_map_lookup_elem(&counters, &key);

	if (val)
		*val += 1;
}

static __always_inline bool is_target(__u32 tgid)
{
	if (system_wide)
		return tgid != self_tgid;
	return bpf_map_lookup_elem(&targets, &tgid) != NULL;
}

/*
 * Allocator probes are attached per traced process unless system-wide, and
 * the kernel filters them by process: no map lookup needed.
 */
static __always_inline bool probe_hits_target(__u32 tgid)
{
	return !system_wide || tgid != self_tgid;
}

static __always_inline __u32 epoch_of(__u64 ts_ns)
{
	return epoch_ns ? ts_ns / epoch_ns : 0;
}

static __always_inline __u64 page_align(__u64 len)
{
	return (len + page_size - 1) & ~(page_size - 1);
}

/* ---- stacks ---------------------------------------------------------- */

/*
 * True when the bytes just before addr end in a call instruction, i.e. addr
 * is a plausible return address. Used to pick return addresses out of
 * stack words when frame pointers are missing (x86-64 encodings).
 */
static __always_inline bool follows_call(__u64 addr)
{
	__u8 b[8];

	if (addr < 4096 ||
	    bpf_probe_read_user(b, sizeof(b), (void *)(addr - 8)))
		return false;
	if (b[3] == 0xe8) /* call rel32 */
		return true;
	if (b[2] == 0xff && b[3] == 0x15) /* call *disp32(%rip) */
		return true;
	if (b[6] == 0xff && (b[7] & 0xf8) == 0xd0) /* call *%reg */
		return true;
	if (b[5] == 0xff && (b[6] & 0xf8) == 0x50) /* call *disp8(%reg) */
		return true;
	return false;
}

/*
 * Follow frame pointers from fp, appending return addresses to st.
 * A frame is {saved fp, return address}; saved frame pointers must grow
 * towards the stack bottom, which stops the walk at garbage. In code built
 * without frame pointers (CPython) %rbp is any register, so there each
 * return address must also follow a call instruction.
 */
static __always_inline void walk_frames(struct lt_stack *st, __u64 fp,
					bool strict)
{
	__u64 frame[2];

	for (int i = 0; i < LT_MAX_STACK_DEPTH; i++) {
		__u32 n = st->len;

		if (!fp ||
		    bpf_probe_read_user(frame, sizeof(frame), (void *)fp))
			break;
		if (frame[1] < 4096 || (strict && !follows_call(frame[1])))
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

/* ---- Python frames --------------------------------------------------- */

static __always_inline __u64 read_ptr(__u64 addr)
{
	__u64 v = 0;

	if (bpf_probe_read_user(&v, sizeof(v), (void *)addr))
		return 0;
	return v;
}

/* The PyThreadState of the current thread, from its glibc TSS slot. */
static __always_inline __u64 py_thread_state(const struct lt_py_config *c)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__s32 tss[2];
	__u64 fsbase;

	if (bpf_probe_read_user(tss, sizeof(tss), (void *)c->tss_addr))
		return 0;
	/* Keys >= 32 live in a second-level block we do not follow. */
	if (!tss[0] || tss[1] < 0 || tss[1] >= 32)
		return 0;
	fsbase = BPF_CORE_READ(task, thread.fsbase);
	return read_ptr(fsbase + c->pthread_specific + tss[1] * 16 + 8);
}

static __always_inline __u64 py_first_frame(const struct lt_py_config *c,
					    __u64 tstate)
{
	__u64 frame = read_ptr(tstate + c->tstate_frame);

	if (c->cframe_frame != LT_PY_NO_OFFSET && frame)
		frame = read_ptr(frame + c->cframe_frame);
	return frame;
}

static __always_inline __u32 buf_u32(const struct py_buf *b, __u32 off)
{
	return *(__u32 *)&b->bytes[off & 0x7f];
}

static __always_inline __u64 buf_u64(const struct py_buf *b, __u32 off)
{
	return *(__u64 *)&b->bytes[off & 0x7f];
}

static __always_inline __u32 py_position(const struct lt_py_config *c,
					 const struct py_buf *b, __u64 code)
{
	if (c->pos_is_pointer)
		return (__u32)(buf_u64(b, c->frame_pos) - code);
	return buf_u32(b, c->frame_pos);
}

/* Shim frames (C calling into Python, 3.12+) are skipped, not followed. */
static __always_inline bool py_is_shim(const struct lt_py_config *c,
				       const struct py_buf *b)
{
	return c->frame_owner != LT_PY_NO_OFFSET &&
	       b->bytes[c->frame_owner & 0x7f] == 3;
}

static __always_inline void py_frames(struct lt_stack *st, __u32 tgid)
{
	const struct lt_py_config *c = bpf_map_lookup_elem(&py_procs, &tgid);
	__u32 zero = 0, size;
	struct py_buf *b;
	__u64 frame;

	st->py_len = 0;
	if (!c)
		return;
	b = bpf_map_lookup_elem(&py_scratch, &zero);
	if (!b)
		return;
	frame = py_first_frame(c, py_thread_state(c));
	size = c->frame_size & 0x7f;
	for (int i = 0; i < 2 * LT_MAX_PY_FRAMES && frame; i++) {
		__u32 n = st->py_len;
		__u64 code;

		if (!size || bpf_probe_read_user(b->bytes, size, (void *)frame))
			break;
		frame = buf_u64(b, c->frame_back);
		if (py_is_shim(c, b))
			continue;
		barrier_var(n);
		if (n >= LT_MAX_PY_FRAMES) {
			count(LT_C_PY_FRAMES_TRUNCATED);
			break;
		}
		code = buf_u64(b, c->frame_code);
		st->py[n].code = code;
		st->py[n].pos = py_position(c, b, code);
		st->py_len = n + 1;
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
		.tgid = bpf_get_current_pid_tgid() >> 32,
		.stack_id = id,
	};

	if (bpf_ringbuf_output(&events, &ev, sizeof(ev), BPF_RB_FORCE_WAKEUP))
		count(LT_C_EVENTS_LOST);
}

/* Hash the stack in st, store it once, and return its id. */
static __always_inline __u64 intern_stack(struct lt_stack *st)
{
	__u64 h = 0x9e3779b97f4a7c15ULL, check = 0x2545f4914f6cdd1dULL;
	struct lt_stack *old;
	__u64 id;

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
		if (old->len != st->len || old->py_len != st->py_len ||
		    old->check != st->check)
			count(LT_C_STACK_COLLISION);
		return id;
	}
	if (bpf_map_update_elem(&stacks, &id, st, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&stacks, &id)) {
		count(LT_C_STACK_MAP_FULL);
		return LT_STACK_UNKNOWN;
	}
	if (st->py_len)
		announce_python_stack(id);
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
static __always_inline __u64 return_stack(struct pt_regs *regs)
{
	struct lt_stack *st = scratch_stack();

	if (!st)
		return LT_STACK_UNKNOWN;
	st->ips[0] = PT_REGS_IP(regs);
	st->len = 1;
	py_frames(st, bpf_get_current_pid_tgid() >> 32);
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
	return follows_call(ret);
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
	__u64 sp = BPF_CORE_READ(regs, sp);
	__u64 fp = BPF_CORE_READ(regs, bp);

	if (!st)
		return LT_STACK_UNKNOWN;
	st->ips[0] = BPF_CORE_READ(regs, ip);
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
		if (n < 8 && follows_call(w)) {
			st->ips[n & 7] = w;
			st->len = n + 1;
		}
	}
	if (fp)
		walk_frames(st, fp, false);
	py_frames(st, bpf_get_current_pid_tgid() >> 32);
	return intern_stack(st);
}

/* ---- heap accounting ------------------------------------------------- */

static __always_inline bool stat_add(__u32 tgid, __u64 stack_id, __u64 ts_ns,
				     __s64 bytes, __s64 blocks)
{
	struct lt_stat_key key = {
		.tgid = tgid,
		.epoch = epoch_of(ts_ns),
		.stack_id = stack_id,
	};
	struct lt_stat *st = bpf_map_lookup_elem(&stats, &key);

	if (!st) {
		struct lt_stat zero = {};
		long err =
			bpf_map_update_elem(&stats, &key, &zero, BPF_NOEXIST);

		if (err && err != -EEXIST) {
			count(LT_C_STATS_MAP_FULL);
			return false;
		}
		st = bpf_map_lookup_elem(&stats, &key);
		if (!st)
			return false;
	}
	__sync_fetch_and_add(&st->bytes, bytes);
	__sync_fetch_and_add(&st->count, blocks);
	return true;
}

/* The recorded block at addr, or NULL. */
static __always_inline struct lt_alloc_info *lookup_block(__u32 tgid,
							  __u64 addr)
{
	struct lt_alloc_key key = { .tgid = tgid, .addr = addr };

	return bpf_map_lookup_elem(&allocs, &key);
}

/* Sampling leaves most blocks out: missing them is normal then. */
static __always_inline void count_unknown_free(void)
{
	if (!sample_bytes)
		count(LT_C_FREE_UNKNOWN);
}

static __always_inline void retire_block(__u32 tgid, __u64 addr,
					 const struct lt_alloc_info *found)
{
	struct lt_alloc_key key = { .tgid = tgid, .addr = addr };
	struct lt_alloc_info info = *found;

	if (bpf_map_delete_elem(&allocs, &key))
		return; /* a racing free got it */
	stat_add(tgid, info.stack_id, info.ts_ns, -(__s64)info.size,
		 -(__s64)info.count_w);
}

static __always_inline void untrack_block(__u32 tgid, __u64 addr)
{
	struct lt_alloc_info *found = lookup_block(tgid, addr);

	if (found)
		retire_block(tgid, addr, found);
	else
		count_unknown_free();
}

/*
 * What a recorded block stands for. Sampled, a block of size s was picked
 * with probability p = 1 - exp(-s/T), so it counts for s/p bytes, T*g(s/T),
 * and 1/p blocks: the sums are unbiased estimates of the real ones.
 */
static __always_inline void block_weight(__u64 size, __u64 *bytes,
					 __u64 *blocks)
{
	__u64 idx;

	*bytes = size;
	*blocks = 1;
	if (!sample_bytes)
		return;
	*blocks = LT_COUNT_ONE;
	idx = size * (LT_SAMPLE_TABLE / LT_SAMPLE_XMAX) / sample_bytes;
	if (!size || idx >= LT_SAMPLE_TABLE)
		return;
	*bytes = (sample_bytes * gain_q16[idx & (LT_SAMPLE_TABLE - 1)]) >> 16;
	*blocks = *bytes * LT_COUNT_ONE / size;
}

static __always_inline void track_block(__u32 tgid, __u64 addr, __u64 size,
					__u64 stack_id)
{
	struct lt_alloc_key key = { .tgid = tgid, .addr = addr };
	struct lt_alloc_info info = {
		.stack_id = stack_id,
		/* Only age buckets need the time. */
		.ts_ns = epoch_ns ? bpf_ktime_get_ns() : 0,
	};
	long err;

	if (size < min_size || size > max_size)
		return;
	block_weight(size, &info.size, &info.count_w);
	if (!stat_add(tgid, stack_id, info.ts_ns, info.size, info.count_w))
		return;
	err = bpf_map_update_elem(&allocs, &key, &info, BPF_NOEXIST);
	if (err == -EEXIST) {
		/* The free of the old block was missed: retire it first. */
		untrack_block(tgid, addr);
		err = bpf_map_update_elem(&allocs, &key, &info, BPF_NOEXIST);
	}
	if (err) {
		count(LT_C_ALLOC_MAP_FULL);
		stat_add(tgid, stack_id, info.ts_ns, -(__s64)info.size,
			 -(__s64)info.count_w);
	}
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

/* ---- allocator calls ------------------------------------------------- */

static __always_inline struct thread_state *thread_state(__u32 tid)
{
	struct thread_state *ts = bpf_map_lookup_elem(&threads, &tid);
	static const struct thread_state empty;

	if (ts)
		return ts;
	bpf_map_update_elem(&threads, &tid, &empty, BPF_NOEXIST);
	return bpf_map_lookup_elem(&threads, &tid);
}

/*
 * Drop pending calls whose frames are gone (left by longjmp or a lost
 * return): a live outer call sits above the current return slot, or at it
 * when it tail-called us (glibc's reallocarray jumps to realloc). The same
 * function at the same slot is a new call, not a tail call.
 */
static __always_inline void drop_stale_calls(struct thread_state *ts,
					     __u64 ret_slot, __u32 func)
{
	for (int i = 0; i < LT_MAX_NEST; i++) {
		struct pending_call *top;
		__u32 d = ts->depth;

		if (d == 0 || d > LT_MAX_NEST)
			break;
		top = &ts->calls[(d - 1) & (LT_MAX_NEST - 1)];
		if (top->ret_slot > ret_slot ||
		    (top->ret_slot == ret_slot && top->func != func))
			break;
		ts->depth = d - 1;
	}
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
	__u64 id = bpf_get_current_pid_tgid();
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
	track = d == 0 ? TRACK_SAMPLED : TRACK_NESTED;
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
					   struct pending_call *c, __u64 ret)
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
		track_block(tgid, ret, c->size, return_stack(regs));
}

/* An allocator call returns: record what it allocated. */
static __always_inline void leave_call(struct pt_regs *regs)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 ret = PT_REGS_RC(regs), addr;
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct pending_call c;
	struct thread_state *ts;

	if (!probe_hits_target(tgid))
		return;
	ts = bpf_map_lookup_elem(&threads, &tid);
	if (!ts || !pop_call(ts, PT_REGS_SP(regs), &c)) {
		count(LT_C_RET_NO_ENTRY);
		return;
	}
	if (c.track == TRACK_NESTED)
		return;

	switch (c.func) {
	case LT_F_REALLOC:
	case LT_F_REALLOCARRAY:
		finish_realloc(regs, tgid, &c, ret);
		break;
	case LT_F_POSIX_MEMALIGN:
		if (c.track != TRACK_SAMPLED || (int)ret != 0 ||
		    bpf_probe_read_user(&addr, sizeof(addr), (void *)c.arg))
			break;
		track_block(tgid, addr, c.size, return_stack(regs));
		break;
	default:
		if (ret && c.track == TRACK_SAMPLED)
			track_block(tgid, ret, c.size, return_stack(regs));
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
 * The block is looked up first: a free of a block not recorded (most of
 * them when sampling) costs that one lookup.
 */
static __always_inline void free_call(struct pt_regs *regs, __u64 ptr)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct lt_alloc_info *found;
	struct thread_state *ts;
	__u32 tid = (__u32)id;

	if (!ptr || !probe_hits_target(id >> 32))
		return;
	found = lookup_block(id >> 32, ptr);
	if (!found && sample_bytes)
		return;
	ts = bpf_map_lookup_elem(&threads, &tid);
	if (ts) {
		drop_stale_calls(ts, PT_REGS_SP(regs), LT_F_FREE);
		/* realloc(p, 0) frees inside realloc: its return handles it. */
		if (ts->depth)
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
 * Sessions: one program for every allocator function of a library, the
 * function in the link's cookie. At entry, returning 1 tells the kernel
 * not to trap this call's return.
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
	case LT_F_FREE:
		free_call(regs, a);
		return false;
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

/* ---- mapping syscalls ------------------------------------------------ */

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
	__u64 id = bpf_get_current_pid_tgid();
	struct pending_syscall *sys;
	struct thread_state *ts;

	if (!is_mapping_syscall(nr) || !is_target(id >> 32))
		return 0;
	/*
	 * munmap is recorded before it runs, so a racing mmap that reuses
	 * the range is always seen after it.
	 */
	if (nr == NR_MUNMAP) {
		emit_munmap(id >> 32, BPF_CORE_READ(regs, di),
			    BPF_CORE_READ(regs, si));
		return 0;
	}
	ts = thread_state((__u32)id);
	if (!ts)
		return 0;
	sys = &ts->sys;
	sys->nr = nr;
	sys->args[0] = BPF_CORE_READ(regs, di);
	sys->args[1] = BPF_CORE_READ(regs, si);
	sys->args[2] = BPF_CORE_READ(regs, dx);
	sys->args[3] = BPF_CORE_READ(regs, r10);
	/* Inside malloc & co the mapping is the allocator's own. */
	if (ts->depth || in_untrapped_call(ts, BPF_CORE_READ(regs, sp)))
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
	__u64 id = bpf_get_current_pid_tgid();
	long nr = BPF_CORE_READ(regs, orig_ax);
	struct lt_event ev = { .tgid = id >> 32 };
	struct pending_syscall sys;
	struct thread_state *ts;
	__u32 tid = (__u32)id;

	if (nr == NR_MUNMAP || !is_mapping_syscall(nr) || !is_target(id >> 32))
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

SEC("tp_btf/sched_process_exit")
int BPF_PROG(process_exit, struct task_struct *task)
{
	struct lt_event ev = { .kind = LT_EV_EXIT };

	ev.tgid = BPF_CORE_READ(task, tgid);
	if (!is_target(ev.tgid) || BPF_CORE_READ(task, signal, live.counter))
		return 0;
	emit(&ev, true);
	return 0;
}

/*
 * Children of traced processes (gunicorn workers) are traced too: the
 * syscalls at once, the allocator once user space has attached to them.
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(process_fork, struct task_struct *parent,
	     struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	struct lt_event ev = { .kind = LT_EV_FORK };
	const struct lt_py_config *py;
	__u8 one = 1;

	ev.tgid = BPF_CORE_READ(child, tgid);
	if (system_wide || ev.tgid == ptgid || !is_target(ptgid))
		return 0;
	bpf_map_update_elem(&targets, &ev.tgid, &one, BPF_ANY);
	py = bpf_map_lookup_elem(&py_procs, &ptgid);
	if (py)
		bpf_map_update_elem(&py_procs, &ev.tgid, py, BPF_ANY);
	ev.old_addr = ptgid;
	emit(&ev, true);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
