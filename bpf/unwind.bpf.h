/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Native stack walk by DWARF CFI rows (x86-64), included by the program.
 * User space loads each file's rows once into one array (a table is a
 * range of it) and, per process, its executable mappings with their load
 * bias. Each frame costs a mapping search, a row search (both binary, over
 * arrays the verifier inlines) and one user read of the return address
 * (16 bytes when rbp is saved next to it). Modules without CFI, and code in
 * no file (JIT compilers keep frame pointers), are walked by frame
 * pointers, whose bounds checks end the walk at garbage. A pc in none of
 * the process's mappings (or a process without a table: just exec'd)
 * costs one bpf_find_vma (5.17+), which finds its file's table by inode.
 */
#ifndef LT_UNWIND_BPF_H
#define LT_UNWIND_BPF_H

#include "lt_unwind.h"

#define UC_REGS_OFF	120 /* ucontext at sp, mcontext at +40, rbp at its +80 */
#define LT_VM_EXEC	0x4 /* VM_EXEC */
#define LT_ENOENT	2
#define LT_UNWIND_BATCH 4 /* frames per call of lt_unwind_steps */

const volatile bool unwind_dwarf = false;
const volatile bool unwind_bpf_loop = false;
const volatile bool unwind_memo = true; /* reuse a thread's last walk */
const volatile __u32 unwind_max_rows = 1;
const volatile bool unwind_find_vma = false; /* the kernel has bpf_find_vma */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* sized by user space */
	__type(key, __u32);
	__type(value, struct lt_unwind_row);
} unwind_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LT_UNWIND_MAX_TABLES);
	__type(key, __u32);
	__type(value, struct lt_unwind_table);
} unwind_tables SEC(".maps");

/* The tables' bucket indexes: see struct lt_unwind_table. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* sized by user space */
	__type(key, __u32);
	__type(value, __u32);
} unwind_index SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct lt_unwind_proc);
} unwind_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lt_unwind_file_key);
	__type(value, struct lt_unwind_file);
} unwind_files SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lt_unwind_state);
} unwind_scratch SEC(".maps");

/* The stack words a memo is checked against. */
struct memo_buf {
	__u8 bytes[LT_MEMO_SPAN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct memo_buf);
} memo_scratch SEC(".maps");

/*
 * Bumped (user space, or here) whenever a process's tables, its Python
 * state or a stored stack changes: every memo made before is stale.
 */
__u64 walk_gen;

/* The walk read val at addr: keep it, or give up the memo. */
static __always_inline void memo_note(struct lt_unwind_state *s, __u64 addr,
				      __u64 val)
{
	__u64 off = addr - s->memo.sp;
	__u32 n = s->memo.n;

	if (!s->memo_ok)
		return;
	if (addr < s->memo.sp || off > LT_MEMO_SPAN - 8 || (off & 7) ||
	    n >= LT_MEMO_WORDS) {
		s->memo_ok = 0;
		return;
	}
	s->memo.off[n & (LT_MEMO_WORDS - 1)] = off;
	s->memo.val[n & (LT_MEMO_WORDS - 1)] = val;
	s->memo.n = n + 1;
	if (off + 8 > s->memo.span)
		s->memo.span = off + 8;
}

/* The walk uses rbp: the register it began with, if not reloaded yet. */
static __always_inline void memo_use_bp(struct lt_unwind_state *s)
{
	if (s->bp_initial)
		s->memo.bp_used = 1;
}

/* Where the main thread's frames end: its first stack pointer. */
static __always_inline __u64 main_stack_top(void)
{
	struct task_struct *task;

	if (task_btf)
		return bpf_get_current_task_btf()->mm->start_stack;
	task = (void *)bpf_get_current_task();
	return BPF_CORE_READ(task, mm, start_stack);
}

/* Read len (at most LT_STACK_WINDOW) bytes of user stack into the window. */
static __always_inline bool window_read(struct lt_unwind_state *s, __u64 base,
					__u64 len)
{
	if (len > LT_STACK_WINDOW)
		len = LT_STACK_WINDOW;
	barrier_var(len);
	if (len < 16 || bpf_probe_read_user(s->win, len, (void *)base))
		return false;
	s->win_base = base;
	s->win_len = len;
	return true;
}

/*
 * Refill the window for a read at addr: from a little below it (a frame's
 * saved registers sit under its return address), never below the frame's
 * stack pointer, up to the end of the main thread's frames; where the
 * stack ends sooner (a thread's, a signal stack), to the end of the page.
 */
static __always_inline bool window_fill(struct lt_unwind_state *s, __u64 addr)
{
	__u64 base = addr, len = LT_STACK_WINDOW;

	if (addr >= s->sp)
		base = addr - s->sp > 64 ? addr - 64 : s->sp;
	if (s->stack_top > base && s->stack_top - base < len)
		len = s->stack_top - base;
	s->win_len = 0;
	if (window_read(s, base, len))
		return true;
	return window_read(s, addr, 4096 - (addr & 4095));
}

/* Read 8 or 16 bytes of user stack at addr, through the window. */
static __always_inline bool stack_read(struct lt_unwind_state *s, __u64 *dst,
				       __u32 len, __u64 addr)
{
	__u64 off = addr - s->win_base;

	if (addr < s->win_base || off + len > s->win_len) {
		if (!window_fill(s, addr) || addr < s->win_base ||
		    addr - s->win_base + len > s->win_len)
			return !bpf_probe_read_user(dst, len & 24,
						    (void *)addr);
		off = addr - s->win_base;
	}
	off &= LT_STACK_WINDOW - 1;
	dst[0] = *(__u64 *)&s->win[off];
	if (len > 8)
		dst[1] = *(__u64 *)&s->win[off + 8];
	return true;
}

/* The mapping of pc in p, or NULL. */
static __always_inline const struct lt_unwind_map *
unwind_find_map(const struct lt_unwind_proc *p, __u64 pc)
{
	__u32 lo = 0, hi = p->n;

	if (hi > LT_UNWIND_MAX_MAPS)
		hi = LT_UNWIND_MAX_MAPS;
	for (int i = 0; i < 9 && lo < hi; i++) {
		__u32 mid = (lo + hi) / 2;

		if (mid >= LT_UNWIND_MAX_MAPS)
			return NULL;
		if (pc < p->maps[mid].start)
			hi = mid;
		else if (pc >= p->maps[mid].end)
			lo = mid + 1;
		else
			return &p->maps[mid];
	}
	return NULL;
}

/*
 * The row holding at rel (the last row whose pc <= rel) in the kept
 * table, or NULL. The table's index narrows the search to one bucket:
 * rows[lo].pc <= rel < rows[hi].pc, at most LT_UNWIND_BUCKET_ROWS apart.
 */
static __always_inline const struct lt_unwind_row *
unwind_find_row(const struct lt_unwind_state *s, __u64 rel)
{
	__u32 b, k, lo, hi;
	const __u32 *at, *next;

	if (rel < s->rows_base || rel > 0xffffffffULL || s->index_n < 2)
		return NULL;
	if (s->rows_count <= LT_UNWIND_BUCKET_ROWS) { /* one bucket */
		lo = 0;
		hi = s->rows_count;
	} else {
		b = (__u32)((rel - s->rows_base) >> (s->index_shift & 31));
		if (b > s->index_n - 2)
			b = s->index_n - 2;
		k = s->index_first + b;
		at = bpf_map_lookup_elem(&unwind_index, &k);
		k++;
		next = bpf_map_lookup_elem(&unwind_index, &k);
		if (!at || !next)
			return NULL;
		lo = *at;
		hi = *next + 1;
		if (hi > s->rows_count || lo >= hi)
			return NULL;
	}
	lo += s->rows_first;
	hi += s->rows_first;
	for (int i = 0; i < LT_UNWIND_BUCKET_STEPS && hi - lo > 1; i++) {
		__u32 mid = lo + (hi - lo) / 2;
		const struct lt_unwind_row *r;

		r = bpf_map_lookup_elem(&unwind_rows, &mid);
		if (!r)
			return NULL;
		if (r->pc <= rel)
			lo = mid;
		else
			hi = mid;
	}
	if (hi - lo != 1)
		return NULL;
	return bpf_map_lookup_elem(&unwind_rows, &lo);
}

/* Caller of a frame-pointer frame: {saved rbp, return address} at rbp. */
static __always_inline int unwind_fp_step(struct lt_unwind_state *s)
{
	__u64 frame[2];

	memo_use_bp(s);
	if (!s->bp_valid || s->bp < s->sp || s->bp - s->sp > MAX_FRAME_SIZE)
		return 1;
	if (!stack_read(s, frame, sizeof(frame), s->bp)) {
		s->memo_ok = 0;
		return 1;
	}
	memo_note(s, s->bp, frame[0]);
	memo_note(s, s->bp + 8, frame[1]);
	s->bp_initial = 0;
	s->pc = frame[1];
	s->sp = s->bp + 16;
	s->bp = frame[0];
	s->pc_exact = 0;
	return 0;
}

/* Interrupted context of a signal frame: rbp..rip of the mcontext. */
static __always_inline int unwind_signal_step(struct lt_unwind_state *s)
{
	__u64 r[7]; /* rbp rbx rdx rax rcx rsp rip */

	s->memo_ok = 0; /* rare: not worth keeping */
	if (bpf_probe_read_user(r, sizeof(r), (void *)(s->sp + UC_REGS_OFF)))
		return 1;
	s->bp = r[0];
	s->bp_valid = 1;
	s->sp = r[5];
	s->pc = r[6];
	s->pc_exact = 1;
	return 0;
}

/*
 * Caller of runtime.asmcgocall's call into C, on the system stack (g0):
 * asmcgocall saved at sp+48 the goroutine g and at sp+40 its stack
 * pointer as a depth below g->stack.hi (at g+8), or with no g the stack
 * pointer itself; there, the return address into asmcgocall's caller.
 * rbp needs nothing: C restored it, and Go's CFI never reads it.
 */
static __always_inline int unwind_go_cgo_step(struct lt_unwind_state *s)
{
	__u64 saved[2], hi = 0, sp; /* depth (or sp), g */

	s->memo_ok = 0; /* reads the goroutine, off this stack */
	if (bpf_probe_read_user(saved, sizeof(saved), (void *)(s->sp + 40)))
		return 1;
	if (saved[1] && bpf_probe_read_user(&hi, 8, (void *)(saved[1] + 8)))
		return 1;
	sp = saved[1] ? hi - saved[0] : saved[0];
	if (bpf_probe_read_user(&s->pc, 8, (void *)sp))
		return 1;
	s->sp = sp + 8;
	s->pc_exact = 0;
	return 0;
}

/* Apply a CFA row: return address at CFA - 8, rbp as the row says. */
static __always_inline int unwind_row_step(struct lt_unwind_state *s,
					   const struct lt_unwind_row *r)
{
	__u64 cfa, w[2];

	switch (r->cfa_type) {
	case LT_CFA_RSP:
		cfa = s->sp + r->cfa_off;
		break;
	case LT_CFA_RBP:
		memo_use_bp(s);
		if (!s->bp_valid)
			return 1;
		cfa = s->bp + r->cfa_off;
		break;
	case LT_CFA_PLT:
		cfa = s->sp + r->cfa_off +
		      ((s->pc & 15) >= (__u64)r->rbp_off ? 8 : 0);
		break;
	case LT_CFA_SIGNAL:
		return unwind_signal_step(s);
	case LT_CFA_NONE:
		return unwind_fp_step(s);
	case LT_CFA_GO_CGO:
		return unwind_go_cgo_step(s);
	default: /* end of stack, or a rule we do not follow */
		return 1;
	}
	if (cfa <= s->sp || cfa - s->sp > MAX_FRAME_SIZE)
		return 1;
	if (r->rbp_type == LT_RBP_AT_CFA && r->rbp_off == -16) {
		if (!stack_read(s, w, sizeof(w), cfa - 16)) {
			s->memo_ok = 0;
			return 1;
		}
		memo_note(s, cfa - 16, w[0]);
		memo_note(s, cfa - 8, w[1]);
		s->bp = w[0];
		s->bp_valid = 1;
		s->bp_initial = 0;
		s->pc = w[1];
	} else {
		if (!stack_read(s, &s->pc, 8, cfa - 8)) {
			s->memo_ok = 0;
			return 1;
		}
		memo_note(s, cfa - 8, s->pc);
		if (r->rbp_type == LT_RBP_AT_CFA) {
			s->bp_valid =
				stack_read(s, &s->bp, 8, cfa + r->rbp_off);
			if (s->bp_valid)
				memo_note(s, cfa + r->rbp_off, s->bp);
			else
				s->memo_ok = 0;
			s->bp_initial = 0;
		} else if (r->rbp_type == LT_RBP_UNKNOWN) {
			s->bp_valid = 0;
			s->bp_initial = 0;
		}
	}
	s->sp = cfa;
	s->pc_exact = 0;
	return 0;
}

/* Keep a mapping's range and its table's rows in s. */
static __always_inline void unwind_keep_map(struct lt_unwind_state *s,
					    __u64 start, __u64 end, __u64 bias,
					    __u32 table)
{
	const struct lt_unwind_table *t = NULL;

	s->map_start = start;
	s->map_end = end;
	s->map_bias = bias;
	s->rows_first = 0;
	s->rows_count = 0;
	if (table == LT_UNWIND_NO_ROOM) /* CFI we had no room for */
		s->no_table = 1;
	else if (table != LT_UNWIND_NO_TABLE)
		t = bpf_map_lookup_elem(&unwind_tables, &table);
	if (t && t->index_n >= 2) {
		s->rows_first = t->first;
		s->rows_count = t->count;
		s->index_first = t->index_first;
		s->index_n = t->index_n;
		s->rows_base = t->base;
		s->index_shift = t->shift;
	}
}

/* What bpf_find_vma's callback learnt of the vma of a pc. */
struct unwind_vma {
	__u64 start, end, bias;
	__u64 eval_lo, eval_hi; /* ELF addresses */
	__u32 table;
	__u8 file;  /* file-backed and executable */
	__u8 known; /* and its file is in unwind_files */
};

/* The load bias of a mapping at start, file offset off, of file f. */
static __always_inline bool unwind_file_bias(const struct lt_unwind_file *f,
					     __u64 start, __u64 off,
					     __u64 *bias)
{
	for (int i = 0; i < LT_UNWIND_MAX_LOADS; i++) {
		const struct lt_unwind_load *l = &f->loads[i];

		if (i >= f->n_loads)
			break;
		if (off >= l->offset && off - l->offset < l->filesz + 4096) {
			*bias = start - (l->vaddr + (off - l->offset));
			return true;
		}
	}
	return false;
}

/*
 * The vma's file by the kernel's inode: files whose stat differs (an
 * overlayfs file, a btrfs subvolume) simply miss.
 */
static long unwind_vma_cb(struct task_struct *task, struct vm_area_struct *vma,
			  void *data)
{
	struct unwind_vma *v = data;
	struct lt_unwind_file_key key = {};
	const struct lt_unwind_file *f;
	struct inode *inode;
	__u64 off, flags = 0;

	v->start = BPF_CORE_READ(vma, vm_start);
	v->end = BPF_CORE_READ(vma, vm_end);
	inode = BPF_CORE_READ(vma, vm_file, f_inode);
	/* vm_flags is const since 6.3: read it into a plain variable */
	bpf_core_read(&flags, sizeof(flags), &vma->vm_flags);
	if (!inode || !(flags & LT_VM_EXEC))
		return 0;
	v->file = 1;
	key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	key.ino = BPF_CORE_READ(inode, i_ino);
	f = bpf_map_lookup_elem(&unwind_files, &key);
	off = BPF_CORE_READ(vma, vm_pgoff) * page_size;
	if (!f || !unwind_file_bias(f, v->start, off, &v->bias))
		return 0;
	v->known = 1;
	v->table = f->table;
	v->eval_lo = f->eval_lo;
	v->eval_hi = f->eval_hi;
	return 0;
}

/*
 * The mapping of s->pc by the kernel's vmas, for a pc the process's table
 * does not have. Kept in s whatever it is, so the next frames in the same
 * vma cost nothing more. Returns as unwind_enter_map.
 */
static __always_inline int unwind_enter_vma(struct lt_unwind_state *s)
{
	struct unwind_vma v = {};
	struct task_struct *task;
	long err;

	s->memo_ok = 0; /* the vmas may change with no new generation */
	if (!unwind_find_vma) {
		/* Without a table for the process, not a JIT's frame. */
		s->no_table |= !s->has_proc;
		return 1;
	}
	task = bpf_get_current_task_btf();
	err = bpf_find_vma(task, s->pc, unwind_vma_cb, &v, 0);
	if (err == -LT_ENOENT) /* in no vma: garbage the frame checks end */
		return 1;
	if (err) { /* the mmap lock is busy: as without bpf_find_vma */
		s->no_table |= !s->has_proc;
		return 1;
	}
	s->no_table |= v.file && !v.known; /* mapped before its table */
	if (!v.known) /* anonymous (JIT) code keeps frame pointers */
		v.table = LT_UNWIND_NO_TABLE;
	unwind_keep_map(s, v.start, v.end, v.bias, v.table);
	if (v.eval_hi && !s->eval_hi) {
		s->eval_lo = v.eval_lo + v.bias;
		s->eval_hi = v.eval_hi + v.bias;
	}
	if (s->pc >= s->eval_lo && s->pc < s->eval_hi)
		return 2;
	return 0;
}

/*
 * Find the mapping of s->pc and keep it, with its rows, in s. Returns 0
 * when found, 1 to walk this frame by frame pointers (no table for the
 * process, code in no file), 2 to stop (the Python frames take over).
 */
static __always_inline int unwind_enter_map(struct lt_unwind_state *s)
{
	const struct lt_unwind_proc *p;
	const struct lt_unwind_map *m;

	p = bpf_map_lookup_elem(&unwind_procs, &s->tgid);
	if (!s->proc_known) {
		s->proc_known = 1;
		s->has_proc = p != NULL;
		if (p) {
			s->eval_lo = p->eval_lo;
			s->eval_hi = p->eval_hi;
		}
	}
	if (!p)
		return unwind_enter_vma(s);
	if (s->pc >= s->eval_lo && s->pc < s->eval_hi)
		return 2;
	m = unwind_find_map(p, s->pc);
	if (!m) /* JIT code, or a file mapped since the last rescan */
		return unwind_enter_vma(s);
	unwind_keep_map(s, m->start, m->end, m->bias, m->table);
	return 0;
}

/*
 * One frame: record the pc, then find the caller's registers. Returns 0
 * to go on, 1 at the end of the stack or anything we cannot follow, 2
 * (only when !enter, before anything is done) when the pc left the kept
 * mapping: the mapping search is left to lt_unwind_step.
 */
static __always_inline int unwind_frame(struct lt_unwind_state *s,
					struct lt_stack *st, const bool enter)
{
	const struct lt_unwind_row *r;
	bool fp_only, in_map;
	__u32 n = st->len;
	int found;

	if (s->pc < 4096)
		return 1;
	fp_only = s->proc_known && !s->has_proc && !unwind_find_vma;
	in_map = s->proc_known && s->pc >= s->map_start && s->pc < s->map_end;
	if (!enter && !fp_only && !in_map)
		return 2;
	if (n >= LT_MAX_STACK_DEPTH) {
		count(LT_C_STACK_TRUNCATED);
		s->memo_ok = 0; /* a memo would not count it again */
		return 1;
	}
	st->ips[n] = s->pc;
	st->len = n + 1;
	if (fp_only)
		return unwind_fp_step(s);
	if (in_map) {
		if (s->pc >= s->eval_lo && s->pc < s->eval_hi)
			return 1; /* the Python frames take over */
	} else {
		found = unwind_enter_map(s);
		if (found == 2)
			return 1;
		if (found == 1) {
			s->map_end = 0; /* nothing kept */
			return unwind_fp_step(s);
		}
	}
	if (!s->rows_count) /* a module without CFI */
		return unwind_fp_step(s);
	r = unwind_find_row(s, s->pc - s->map_bias - !s->pc_exact);
	if (!r)
		return 1;
	return unwind_row_step(s, r);
}

/*
 * One frame, the mapping searched for when the pc left the kept one. A
 * global function, so the verifier checks it once, not per frame.
 */
__noinline int lt_unwind_step(__u32 unused)
{
	struct lt_unwind_state *s;
	struct lt_stack *st;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&unwind_scratch, &zero);
	st = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (!s || !st)
		return 1;
	return unwind_frame(s, st, true);
}

/*
 * Up to LT_UNWIND_BATCH frames in the kept mapping: with the kernel's
 * return thunks a call costs about what a frame does, so most frames
 * share one. Returns as unwind_frame does (2: lt_unwind_step's turn).
 */
__noinline int lt_unwind_steps(__u32 unused)
{
	struct lt_unwind_state *s;
	struct lt_stack *st;
	__u32 zero = 0;
	int rc = 0;

	s = bpf_map_lookup_elem(&unwind_scratch, &zero);
	st = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (!s || !st)
		return 1;
	for (int i = 0; i < LT_UNWIND_BATCH && !rc; i++)
		rc = unwind_frame(s, st, false);
	return rc;
}

/* At least one frame: 0 to go on, 1 to stop. */
static __always_inline int unwind_some(void)
{
	int rc = lt_unwind_steps(0);

	if (rc == 2)
		rc = lt_unwind_step(0);
	return rc ? 1 : 0;
}

static long unwind_loop_cb(__u64 i, void *ctx)
{
	return unwind_some();
}

/* Walk from the registers given, appending to the stack in stack_scratch. */
static __always_inline void unwind_walk(__u64 pc, __u64 sp, __u64 bp)
{
	__u32 zero = 0;
	struct lt_unwind_state *s = bpf_map_lookup_elem(&unwind_scratch, &zero);

	if (!s)
		return;
	s->pc = pc;
	s->sp = sp;
	s->bp = bp;
	s->bp_valid = 1;
	s->pc_exact = 0;
	s->proc_known = 0;
	s->no_table = 0;
	s->eval_lo = s->eval_hi = 0;
	s->map_start = s->map_end = 0;
	s->memo_ok = 1;
	s->bp_initial = 1;
	s->memo.pc = pc;
	s->memo.sp = sp;
	s->memo.bp = bp;
	s->memo.gen = *(volatile __u64 *)&walk_gen;
	s->memo.n = 0;
	s->memo.span = 0;
	s->memo.bp_used = 0;
	s->win_len = 0;
	s->stack_top = main_stack_top();
	s->tgid = current_tgid(); /* user space keys tables by its own PIDs */
	if (unwind_bpf_loop) {
		bpf_loop(LT_MAX_STACK_DEPTH + 1, unwind_loop_cb, NULL, 0);
	} else {
		for (int i = 0; i <= LT_MAX_STACK_DEPTH; i++)
			if (unwind_some())
				break;
	}
	if (s->no_table) { /* once per stack, however many frames */
		count(LT_C_STACK_NO_TABLE);
		s->memo_ok = 0; /* a memo would not count it again */
	}
}

/* Does m still give the stack a walk from these registers would? */
static __always_inline bool memo_matches(const struct lt_walk_memo *m, __u64 pc,
					 __u64 sp, __u64 bp, __u32 tgid)
{
	__u32 zero = 0, span = m->span;
	struct memo_buf *b;

	if (!m->stack_id || m->gen != *(volatile __u64 *)&walk_gen ||
	    m->tgid != tgid || m->pc != pc || m->sp != sp ||
	    (m->bp_used && m->bp != bp))
		return false;
	if (!span)
		return true;
	b = bpf_map_lookup_elem(&memo_scratch, &zero);
	if (!b || span > LT_MEMO_SPAN ||
	    bpf_probe_read_user(b->bytes, span, (void *)sp))
		return false;
	for (int i = 0; i < LT_MEMO_WORDS; i++) {
		__u32 off;

		if (i >= m->n)
			break;
		off = m->off[i];
		if (off > LT_MEMO_SPAN - 8)
			return false;
		if (*(__u64 *)&b->bytes[off] != m->val[i])
			return false;
	}
	return true;
}

/* Keep the walk just made, as stack id, in m (if it can be kept). */
static __always_inline void memo_keep(struct lt_walk_memo *m, __u32 tgid,
				      __u64 stack_id, bool keep)
{
	__u32 zero = 0;
	struct lt_unwind_state *s = bpf_map_lookup_elem(&unwind_scratch, &zero);

	m->stack_id = 0;
	if (!s || !keep || !s->memo_ok)
		return;
	*m = s->memo;
	m->tgid = tgid;
	m->stack_id = stack_id;
}

/* A forked child has its parent's mappings until it maps or execs. */
static __always_inline void unwind_copy_proc(__u32 parent, __u32 child)
{
	const struct lt_unwind_proc *p;

	if (!unwind_dwarf)
		return;
	p = bpf_map_lookup_elem(&unwind_procs, &parent);
	if (p)
		bpf_map_update_elem(&unwind_procs, &child, p, BPF_ANY);
}

/*
 * An exec replaces every mapping: the table (perhaps the parent's, copied
 * at fork) is dropped. Until user space has rescanned the process (at the
 * mmaps of its libraries) the walk finds its files' tables through its
 * vmas (bpf_find_vma), or, on kernels without it, uses frame pointers.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(unwind_exec, struct task_struct *task, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	__u32 tgid = current_tgid(); /* the task that execs */

	if (unwind_dwarf) {
		bpf_map_delete_elem(&unwind_procs, &tgid);
		__sync_fetch_and_add(&walk_gen, 1);
	}
	return 0;
}

#endif /* LT_UNWIND_BPF_H */
