/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Heap bookkeeping: live blocks keyed by (process, address), outstanding
 * bytes and blocks per (process, stack, age bucket) updated atomically,
 * and what a sampled block weighs.
 */
#ifndef LT_HEAP_BPF_H
#define LT_HEAP_BPF_H

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
	struct lt_alloc_info info = { .stack_id = stack_id };
	long err;

	if (size < min_size || size > max_size)
		return;
	/* Age buckets, and telling blocks from before an exec. */
	info.ts_ns = bpf_ktime_get_ns();
	block_weight(size, &info.size, &info.count_w);
	if (!stat_add(tgid, stack_id, info.ts_ns, info.size, info.count_w))
		return;
	err = bpf_map_update_elem(&allocs, &key, &info, BPF_NOEXIST);
	if (err == -EEXIST) {
		/* The free of the old block was missed: retire it first. */
		count(LT_C_FREE_MISSED);
		untrack_block(tgid, addr);
		err = bpf_map_update_elem(&allocs, &key, &info, BPF_NOEXIST);
	}
	if (err) {
		count(LT_C_ALLOC_MAP_FULL);
		stat_add(tgid, stack_id, info.ts_ns, -(__s64)info.size,
			 -(__s64)info.count_w);
	}
}

#endif /* LT_HEAP_BPF_H */
