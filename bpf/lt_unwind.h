/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * DWARF CFI unwinding, types shared by the BPF walk and user space (x86-64).
 * User space turns each file's .eh_frame/.debug_frame into sorted rows; the
 * kernel finds the row of a pc by binary search and applies it.
 */
#ifndef LT_UNWIND_H
#define LT_UNWIND_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* How the canonical frame address (CFA) of a row is found. */
enum lt_cfa_type {
	LT_CFA_NONE,	/* no CFI here: try frame pointers */
	LT_CFA_RSP,	/* CFA = rsp + cfa_off */
	LT_CFA_RBP,	/* CFA = rbp + cfa_off */
	LT_CFA_PLT,	/* CFA = rsp + cfa_off + ((pc & 15) >= rbp_off) * 8 */
	LT_CFA_SIGNAL,	/* sigreturn trampoline: registers in the ucontext */
	LT_CFA_END,	/* return address undefined: outermost frame */
	LT_CFA_INVALID, /* a rule we do not follow: stop here */
	LT_CFA_GO_CGO,	/* Go's asmcgocall into C: back to the goroutine */
};

/* How the caller's rbp is recovered. */
enum lt_rbp_type {
	LT_RBP_SAME,	/* unchanged */
	LT_RBP_AT_CFA,	/* saved at CFA + rbp_off */
	LT_RBP_UNKNOWN, /* not recoverable: unknown from here on */
};

/* One row: the rule from pc up to the next row's pc. 12 bytes. */
struct lt_unwind_row {
	__u32 pc; /* ELF virtual address (files above 4 GiB get no table) */
	__s32 cfa_off;
	__s16 rbp_off;
	__u8 cfa_type;
	__u8 rbp_type;
};

/*
 * Where a table's rows sit in the kernel's one row array, and its bucket
 * index in the index array: index[index_first + b] is the row (from
 * first) holding at base + (b << shift); index_n is buckets + 1.
 */
struct lt_unwind_table {
	__u32 first;
	__u32 count;
	__u32 index_first;
	__u32 index_n;
	__u32 base;
	__u8 shift;
	__u8 pad[3];
};

/* A bucket's search spans at most this many rows: this many steps. */
#define LT_UNWIND_BUCKET_ROWS  128
#define LT_UNWIND_BUCKET_STEPS 7

#define LT_UNWIND_MAX_MAPS   256	 /* executable mappings per process */
#define LT_UNWIND_MAX_TABLES 16384	 /* files with a table */
#define LT_UNWIND_NO_TABLE   0xffffffffU /* module walked by frame pointers */
#define LT_UNWIND_NO_ROOM    0xfffffffeU /* the same, its CFI left out: a loss */

/* A PT_LOAD segment: file offset, ELF address and size. */
struct lt_unwind_load {
	__u64 offset, vaddr, filesz;
};

#define LT_UNWIND_MAX_LOADS 8

/*
 * A file with a table, by the kernel's view of its inode (dev in the
 * kernel's encoding, major << 20 | minor), for the walk to find the
 * mapping of a pc itself when the process has no table yet (just exec'd
 * or spawned) or the pc is in none of its mappings (just mapped).
 */
struct lt_unwind_file_key {
	__u32 dev;
	__u32 pad;
	__u64 ino;
};

struct lt_unwind_file {
	__u32 table; /* index in the tables map, or LT_UNWIND_NO_* */
	__u32 n_loads;
	__u64 eval_lo, eval_hi; /* _PyEval_EvalFrameDefault's ELF range, or 0 */
	struct lt_unwind_load loads[LT_UNWIND_MAX_LOADS];
};

/* One executable mapping of a process: pc - bias is the ELF address. */
struct lt_unwind_map {
	__u64 start;
	__u64 end;
	__u64 bias;
	__u32 table; /* index in the tables map, or LT_UNWIND_NO_* */
	__u32 pad;
};

/*
 * A process's executable mappings, sorted by start. For CPython, the walk
 * stops at the innermost eval loop frame, where the Python frames follow.
 */
struct lt_unwind_proc {
	__u32 n;
	__u32 gen;		/* bumped by user space at each rescan */
	__u64 eval_lo, eval_hi; /* _PyEval_EvalFrameDefault, or 0 */
	struct lt_unwind_map maps[LT_UNWIND_MAX_MAPS];
};

/*
 * A thread's last walk, reused while nothing it depended on changed: the
 * registers it started from (rbp only if it was used before being
 * reloaded), every stack word it read, at offsets from sp, and the
 * generation of the tables, processes and stacks it used. Walks that
 * read elsewhere, failed a read, or counted a loss are not kept.
 */
#define LT_MEMO_WORDS 16
#define LT_MEMO_SPAN  1024 /* bytes above sp its words may lie in */

struct lt_walk_memo {
	__u64 pc, sp, bp;
	__u64 gen;
	__u64 stack_id; /* 0: nothing kept */
	__u32 tgid;
	__u16 span; /* bytes from sp that hold every word read */
	__u8 n;
	__u8 bp_used;
	__u16 off[LT_MEMO_WORDS];
	__u64 val[LT_MEMO_WORDS];
};

/*
 * Bytes of user stack the walk reads at once: a read costs about the same
 * for 8 bytes as for 2 KiB, and callers' frames lie just above each other,
 * so one read serves many frames.
 */
#define LT_STACK_WINDOW 2048

/*
 * Where one walk is, between steps (per CPU). The mapping of the last
 * frame is kept: most callers sit in the same file, and then a frame
 * costs no process lookup and no mapping search. So is the window of
 * user stack last read: win_len bytes from win_base.
 */
struct lt_unwind_state {
	__u64 pc, sp, bp;
	__u32 tgid;
	__u8 bp_valid;
	__u8 pc_exact;	 /* pc is not a return address (after a signal frame) */
	__u8 proc_known; /* the process was looked up: has_proc, eval_* */
	__u8 has_proc;
	__u8 no_table; /* a frame walked by frame pointers for want of one */
	__u8 pad[7];
	__u64 eval_lo, eval_hi;
	__u64 map_start, map_end, map_bias;    /* the last frame's mapping */
	__u32 rows_first, rows_count;	       /* its rows; count 0: by fp */
	__u32 index_first, index_n, rows_base; /* its table's index */
	__u8 index_shift;
	__u8 pad2[3];
	__u8 memo_ok;	 /* the walk so far can be kept in a memo */
	__u8 bp_initial; /* bp is still the register the walk began with */
	__u8 pad3[6];
	struct lt_walk_memo memo;
	__u64 stack_top; /* the main thread's frames lie below (0: unknown) */
	__u64 win_base;
	__u32 win_len;
	__u32 pad4;
	__u8 win[LT_STACK_WINDOW + 16]; /* +16: a masked offset's words */
};

#endif /* LT_UNWIND_H */
