// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The raw cost of a uprobe: programs that only count their hits, for the
 * floor benchmark (bench/uprobe_floor.c).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

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
int count_return(void *ctx)
{
	return count(1);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
