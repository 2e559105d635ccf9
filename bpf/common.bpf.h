/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What every part of the kernel side shares: the settings user space fills
 * in before load, the traced processes, loss counters, the event ring.
 */
#ifndef LT_COMMON_BPF_H
#define LT_COMMON_BPF_H

#define EEXIST	  17
#define MAX_ERRNO 4095

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
/*
 * leaktrace's own PID namespace (dev and inode of /proc/self/ns/pid) when
 * it is not the initial one: PIDs are then those leaktrace sees. 0: the
 * initial namespace, host PIDs at no extra cost.
 */
const volatile __u64 pidns_dev = 0;
const volatile __u64 pidns_ino = 0;
/* The kernel has bpf_get_current_task_btf (5.11+). */
const volatile bool task_btf = false;

/* Processes traced when not system-wide. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LT_C_ALL);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

static __always_inline void count_add(enum lt_counter c, __s64 n)
{
	__u32 key = c;
	__u64 *val = bpf_map_lookup_elem(&counters, &key);

	if (val)
		*val += n;
}

static __always_inline void count(enum lt_counter c)
{
	count_add(c, 1);
}

/*
 * tgid << 32 | tid of the current thread in leaktrace's PID namespace, as
 * bpf_get_current_pid_tgid() gives them; 0 for a thread whose namespace
 * is not leaktrace's: leaktrace cannot name it, so it is not traced.
 */
static __always_inline __u64 current_ids(void)
{
	struct bpf_pidns_info ns;
	struct task_struct *task;

	if (!pidns_ino && task_btf) { /* two loads: cheaper than the helper */
		task = bpf_get_current_task_btf();
		return (__u64)task->tgid << 32 | (__u32)task->pid;
	}
	if (!pidns_ino)
		return bpf_get_current_pid_tgid();
	if (bpf_get_ns_current_pid_tgid(pidns_dev, pidns_ino, &ns, sizeof(ns)))
		return 0;
	return (__u64)ns.tgid << 32 | ns.pid;
}

static __always_inline __u32 current_tgid(void)
{
	return current_ids() >> 32;
}

/*
 * The PID of a new process in leaktrace's namespace, from its parent (the
 * current task, in that namespace): the parent's level is the namespace's.
 */
static __always_inline __u32 child_tgid(struct task_struct *parent,
					struct task_struct *child)
{
	struct pid *pid = BPF_CORE_READ(child, thread_pid);
	unsigned int level;
	int nr = 0;

	if (!pidns_ino)
		return BPF_CORE_READ(child, tgid);
	level = BPF_CORE_READ(parent, thread_pid, level);
	if (level > BPF_CORE_READ(pid, level))
		return 0;
	bpf_core_read(&nr, sizeof(nr), &pid->numbers[level].nr);
	return nr;
}

/* The current task's process image (see lt_image_cmp). */
static __always_inline __u32 current_image(void)
{
	struct task_struct *task;

	if (task_btf) /* a typed pointer: a plain load, no helper */
		return bpf_get_current_task_btf()->self_exec_id;
	task = (void *)bpf_get_current_task();
	return BPF_CORE_READ(task, self_exec_id);
}

static __always_inline bool is_target(__u32 tgid)
{
	if (system_wide)
		return tgid && tgid != self_tgid;
	return bpf_map_lookup_elem(&targets, &tgid) != NULL;
}

/*
 * Allocator probes are attached per traced process unless system-wide, and
 * the kernel filters them by process: no map lookup needed.
 */
static __always_inline bool probe_hits_target(__u32 tgid)
{
	return !system_wide || (tgid && tgid != self_tgid);
}

/* The age bucket of an allocation now: the clock is read for --min-age. */
static __always_inline __u32 current_epoch(void)
{
	return epoch_ns ? bpf_ktime_get_ns() / epoch_ns : 0;
}

static __always_inline __u64 page_align(__u64 len)
{
	return (len + page_size - 1) & ~(page_size - 1);
}

static __always_inline __u64 read_ptr(__u64 addr)
{
	__u64 v = 0;

	if (bpf_probe_read_user(&v, sizeof(v), (void *)addr))
		return 0;
	return v;
}

#endif /* LT_COMMON_BPF_H */
