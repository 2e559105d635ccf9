// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The raw cost of a uprobe: programs that only count their hits, for the
 * floor benchmark (bench/uprobe_floor.c).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/*
 * uprobe_floor run --frames N: each return also does N times what the
 * native walk does at least per frame, one user read and one map lookup,
 * so the slope between two N is the price of that pair.
 */
const volatile __u32 frame_work = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static __always_inline int count(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&hits, &slot);

	if (n)
		(*n)++;
	return 0;
}

SEC("uprobe")
int count_entry(void *ctx)
{
	return count(0);
}

SEC("uretprobe")
int count_return(struct pt_regs *ctx)
{
	__u64 sp = PT_REGS_SP(ctx), word, sum = 0;

	for (__u32 i = 0; i < 64 && i < frame_work; i++) {
		__u32 key = i;
		__u64 *row;

		if (bpf_probe_read_user(&word, sizeof(word),
					(void *)(sp + 8 * i)))
			break;
		row = bpf_map_lookup_elem(&rows, &key);
		if (row)
			sum += *row ^ word;
	}
	if (sum == 1) /* keeps the loop's work from being optimised out */
		count(0);
	return count(1);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
