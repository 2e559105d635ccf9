/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Python frames: the current thread's CPython frames, read at each
 * allocation (one read per frame), recorded as code object and position.
 */
#ifndef LT_PYTHON_BPF_H
#define LT_PYTHON_BPF_H

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
	fsbase = ARCH_TLS_BASE(task);
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

/* Appends the Python frames; false if tgid is no Python process. */
static __always_inline bool py_frames(struct lt_stack *st, __u32 tgid)
{
	const struct lt_py_config *c = bpf_map_lookup_elem(&py_procs, &tgid);
	__u32 zero = 0, size;
	struct py_buf *b;
	__u64 frame;

	st->py_len = 0;
	if (!c)
		return false;
	b = bpf_map_lookup_elem(&py_scratch, &zero);
	if (!b)
		return true;
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
	return true;
}

#endif /* LT_PYTHON_BPF_H */
