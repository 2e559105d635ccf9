/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Types shared by the BPF program and the user-space loader. */
#ifndef LEAKTRACE_H
#define LEAKTRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define LT_MAX_STACK_DEPTH 127
#define LT_MAX_PY_FRAMES   32
#define LT_MAX_NEST	   4
#define LT_COMM_LEN	   16

/*
 * Reserved stack ids have bit 1 clear; real ids are 64-bit hashes with
 * bit 1 set. User space keeps more of them (core/mappings.c).
 */
#define LT_STACK_UNKNOWN      0ULL /* user stack could not be captured */
#define LT_STACK_ALLOCATOR    1ULL /* mapping made by the allocator itself */
/* User space only: mapped memory found in /proc/PID/maps after lost events. */
#define LT_STACK_UNATTRIBUTED 4ULL

/* Loss and health counters, summed over CPUs by user space. */
enum lt_counter {
	LT_C_ALLOC_MAP_FULL,  /* live-block map full (or the block's slot
			       * mid-sweep): allocation not tracked */
	LT_C_STACK_MAP_FULL,  /* stack map full: counted under unknown stack */
	LT_C_STATS_MAP_FULL,  /* per-stack aggregate map full */
	LT_C_STACK_COLLISION, /* two different stacks hashed to one id */
	LT_C_RET_NO_ENTRY,    /* return probe without a matching entry */
	LT_C_FREE_UNKNOWN,    /* free of a block allocated before attach */
	LT_C_EVENTS_LOST,     /* mapping events dropped: ring buffer full */
	LT_C_NEST_OVERFLOW,   /* allocator calls nested deeper than we track */
	LT_C_STACK_FAILED,    /* a user stack could not be read */
	LT_C_PY_FRAMES_TRUNCATED, /* Python stack deeper than we record */
	LT_C_FREE_MISSED,     /* a block's address came back, its free unseen */
	LT_C_STACK_TRUNCATED, /* native stack deeper than we record */
	LT_C_STACK_NO_TABLE,  /* native stack partly walked without its table */
	LT_C_THREAD_LOST, /* a thread's state could not be had: not traced */
	LT_C_NR,
	/* Not a loss: freed blocks' slots kept (+1 a free, -1 a reuse), the
	 * hint for when to sweep them; reset by each sweep. */
	LT_C_FREE_SLOTS = LT_C_NR,
	LT_C_ALL,
};

/* Allocator functions, one entry program each; the return path is shared. */
enum lt_func {
	LT_F_MALLOC,
	LT_F_CALLOC,
	LT_F_REALLOC,
	LT_F_REALLOCARRAY,
	LT_F_POSIX_MEMALIGN,
	LT_F_ALIGNED_ALLOC,
	LT_F_MEMALIGN,
	LT_F_VALLOC,
	LT_F_PVALLOC,
	LT_F_FREE,
	LT_F_NR,
};

struct lt_alloc_key {
	__u32 tgid;
	__u32 pad;
	__u64 addr;
};

/* One live heap block. */
struct lt_alloc_info {
	__u64 size; /* bytes counted for it: the size, or its sampling weight */
	__u64 stack_id;
	__u32 epoch;   /* its age bucket: see struct lt_stat_key */
	__u32 image;   /* the process image it was allocated in: see below */
	__u64 count_w; /* blocks counted for it (LT_COUNT_ONE units if sampled) */
};

/*
 * A process image: the low 32 bits of the task's self_exec_id, which each
 * exec increments and threads and forks inherit. A block of an image
 * older than its process's is of a program that exec'd since (compared
 * modulo 2^32). No clock is read per allocation for it: on some machines
 * that costs more than the rest of the bookkeeping.
 */
static inline int lt_image_cmp(__u32 a, __u32 b)
{
	return (int)(a - b);
}

/* An exec whose older blocks the sweep drops, and how many it dropped. */
struct lt_sweep_exec {
	__u32 image; /* the image the exec began */
	__u32 pad;
	__u64 dropped;
};

/*
 * Byte sampling (--sample): tables of -ln(u) for exponential gaps and of
 * g(x) = x / (1 - exp(-x)) for weights, x = size / period in
 * [0, LT_SAMPLE_XMAX), both in 16.16 fixed point. Sampled block counts are
 * kept in 1/LT_COUNT_ONE units.
 */
#define LT_SAMPLE_TABLE 1024
#define LT_SAMPLE_XMAX	16
#define LT_COUNT_ONE	1024

/*
 * Outstanding heap bytes per (process, stack, age bucket). The epoch is
 * CLOCK_MONOTONIC / epoch_ns at the allocation (always 0 unless --min-age
 * is used: only then is the clock read),
 * so reports can leave out young allocations without walking live blocks.
 */
struct lt_stat_key {
	__u32 tgid;
	__u32 epoch;
	__u64 stack_id;
};

struct lt_stat {
	__s64 bytes; /* outstanding bytes */
	__s64 count; /* outstanding blocks */
};

/*
 * A Python frame: code object and position, decoded in user space. The code
 * object is not read here (a read per frame doubles the walk's cost): user
 * space checks it when a stack is first seen.
 */
struct lt_py_frame {
	__u64 code; /* PyCodeObject address */
	__u32 pos;  /* f_lasti, or instruction pointer - code (3.11+) */
	__u32 pad;
};

/*
 * A captured stack: native return addresses, leaf (direct caller) first,
 * then the allocating thread's Python frames, innermost first.
 */
struct lt_stack {
	__u32 len;
	__u32 check; /* second hash: detects id collisions */
	__u32 py_len;
	__u32 pad;
	__u64 ips[LT_MAX_STACK_DEPTH];
	struct lt_py_frame py[LT_MAX_PY_FRAMES];
};

#define LT_PY_NO_OFFSET 0xffffffffU

/*
 * Where a CPython interpreter keeps its frames, per traced process: filled
 * in by user space from the interpreter's version.
 */
struct lt_py_config {
	__u64 tss_addr;		/* Py_tss_t {int initialized; int key} */
	__u32 pthread_specific; /* glibc: struct pthread specific_1stblock */
	__u32 tstate_frame;	/* tstate->frame / ->cframe / ->current_frame */
	__u32 cframe_frame;	/* cframe->current_frame, or LT_PY_NO_OFFSET */
	__u32 frame_back;
	__u32 frame_code;
	__u32 frame_pos;
	__u32 frame_owner;    /* LT_PY_NO_OFFSET before 3.11 */
	__u32 frame_size;     /* bytes to read per frame (<= 128) */
	__u32 pos_is_pointer; /* 3.11+: prev_instr/instr_ptr */
	__u32 pos_is_int;     /* <= 3.10: int f_lasti */
};

enum lt_event_kind {
	LT_EV_MMAP,   /* [addr, addr+len) mapped */
	LT_EV_MUNMAP, /* [addr, addr+len) unmapped */
	LT_EV_MREMAP, /* [old_addr, +old_len) moved/resized to [addr, +len) */
	LT_EV_BRK,    /* program break moved from old_addr to addr */
	LT_EV_EXIT,   /* the whole process exited */
	LT_EV_FORK,   /* a traced process forked: tgid is the child */
	LT_EV_NEW_STACK, /* first sight of a stack with Python frames */
	LT_EV_EXEC,	 /* a traced process ran execve: addr, its new image */
};

/* Mapping changes, in the order they happened (one ring buffer). */
struct lt_event {
	__u32 kind;
	__u32 tgid;
	__u64 addr;
	__u64 len;
	__u64 old_addr;
	__u64 old_len;
	__u64 stack_id;
	__u64 ts_ns;
	__u32 prot;
	__u32 flags;
};

/* 64-bit finalizer mix (from MurmurHash3's fmix64 constants): stack ids. */
static inline __u64 lt_mix64(__u64 h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

#endif /* LEAKTRACE_H */
