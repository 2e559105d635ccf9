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

static __always_inline bool stat_add(__u32 tgid, __u64 stack_id, __u32 epoch,
				     __s64 bytes, __s64 blocks)
{
	struct lt_stat_key key = {
		.tgid = tgid,
		.epoch = epoch,
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

/*
 * Freed blocks keep their entry, as a free slot (count_w 0), for the next
 * block at that address (allocators hand addresses back out at once): a
 * free and the next allocation then write in place instead of deleting
 * and inserting, the two dearest map operations. Slots are claimed by
 * compare-and-swap on count_w; sweep_blocks deletes the slots left over.
 * Set by the loader where the kernel has what this needs (5.14+).
 */
const volatile bool reuse_blocks = false;

#define LT_SLOT_SWEPT (~0ULL) /* count_w of a slot the sweep is deleting */

static __always_inline bool weight_live(__u64 w)
{
	return w && w != LT_SLOT_SWEPT;
}

/* The entry at addr, live block or free slot, or NULL. */
static __always_inline struct lt_alloc_info *lookup_slot(__u32 tgid, __u64 addr)
{
	struct lt_alloc_key key = { .tgid = tgid, .addr = addr };

	return bpf_map_lookup_elem(&allocs, &key);
}

/* The recorded block at addr, or NULL. */
static __always_inline struct lt_alloc_info *lookup_block(__u32 tgid,
							  __u64 addr)
{
	struct lt_alloc_info *b = lookup_slot(tgid, addr);

	if (b && reuse_blocks && !weight_live(b->count_w))
		return NULL;
	return b;
}

/* Sampling leaves most blocks out: missing them is normal then. */
static __always_inline void count_unknown_free(void)
{
	if (!sample_bytes)
		count(LT_C_FREE_UNKNOWN);
}

/*
 * Take a live block's weight, leaving a free slot: the caller that gets
 * it non-zero owns the block's retirement (a racing free, or the sweep,
 * gets 0).
 */
static __always_inline __u64 claim_weight(struct lt_alloc_info *b)
{
	__u64 w = b->count_w;

	if (!weight_live(w) ||
	    __sync_val_compare_and_swap(&b->count_w, w, 0) != w)
		return 0;
	return w;
}

static __always_inline void retire_block(__u32 tgid, __u64 addr,
					 struct lt_alloc_info *found)
{
	struct lt_alloc_key key = { .tgid = tgid, .addr = addr };
	struct lt_alloc_info info = *found;

	if (reuse_blocks) {
		info.count_w = claim_weight(found);
		if (!info.count_w)
			return; /* a racing free got it */
		count_add(LT_C_FREE_SLOTS, 1);
	} else if (bpf_map_delete_elem(&allocs, &key)) {
		return; /* a racing free got it */
	}
	stat_add(tgid, info.stack_id, info.epoch, -(__s64)info.size,
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
 * Record info in the entry already at addr: a free slot, or a live block
 * whose free was missed (retired first). False if there is none, or the
 * sweep is deleting it (it deletes by key: deleting it here and inserting
 * anew could have the sweep delete the new block).
 */
static __always_inline bool reuse_slot(__u32 tgid, __u64 addr,
				       const struct lt_alloc_info *info)
{
	struct lt_alloc_key key = { .tgid = tgid, .addr = addr };
	struct lt_alloc_info *slot = bpf_map_lookup_elem(&allocs, &key);

	if (!slot || slot->count_w == LT_SLOT_SWEPT)
		return false;
	if (slot->count_w) {
		count(LT_C_FREE_MISSED);
		retire_block(tgid, addr, slot);
	}
	slot->size = info->size;
	slot->stack_id = info->stack_id;
	slot->epoch = info->epoch;
	slot->image = info->image;
	/* Publishes the fields above: a reader trusts them once live. */
	if (__sync_val_compare_and_swap(&slot->count_w, 0, info->count_w))
		return false;
	count_add(LT_C_FREE_SLOTS, -1);
	return true;
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
	info.epoch = current_epoch();
	info.image = current_image(); /* tells blocks from before an exec */
	block_weight(size, &info.size, &info.count_w);
	if (!stat_add(tgid, stack_id, info.epoch, info.size, info.count_w))
		return;
	if (reuse_blocks && reuse_slot(tgid, addr, &info))
		return;
	err = bpf_map_update_elem(&allocs, &key, &info, BPF_NOEXIST);
	if (err == -EEXIST && reuse_blocks) {
		/* The sweep was deleting the slot: by now it has, mostly. */
		if (reuse_slot(tgid, addr, &info))
			return;
		err = bpf_map_update_elem(&allocs, &key, &info, BPF_NOEXIST);
	} else if (err == -EEXIST) {
		/* The free of the old block was missed: retire it first. */
		count(LT_C_FREE_MISSED);
		untrack_block(tgid, addr);
		err = bpf_map_update_elem(&allocs, &key, &info, BPF_NOEXIST);
	}
	if (err) {
		count(LT_C_ALLOC_MAP_FULL);
		stat_add(tgid, stack_id, info.epoch, -(__s64)info.size,
			 -(__s64)info.count_w);
	}
}

/*
 * What sweep_blocks also drops: blocks of a process from before its exec
 * (they went with the old image), by process: the new image in, count out.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct lt_sweep_exec);
} sweep_execs SEC(".maps");

/* Free slots the sweep deleted, over the run. */
__u64 sweep_deleted;

/* Delete an entry whose count_w was w, if the sweep can claim it. */
static __always_inline bool sweep_claim(struct lt_alloc_key *key,
					struct lt_alloc_info *b, __u64 w)
{
	if (__sync_val_compare_and_swap(&b->count_w, w, LT_SLOT_SWEPT) != w)
		return false;
	bpf_map_delete_elem(&allocs, key);
	return true;
}

static long sweep_one(struct bpf_map *map, struct lt_alloc_key *key,
		      struct lt_alloc_info *b, void *ctx)
{
	struct lt_alloc_info info = *b;
	struct lt_sweep_exec *e;

	if (info.count_w == LT_SLOT_SWEPT) {
		bpf_map_delete_elem(&allocs, key); /* a delete that failed */
		return 0;
	}
	if (!info.count_w) {
		/* user space reset LT_C_FREE_SLOTS; only the sweep runs this */
		if (sweep_claim(key, b, 0))
			sweep_deleted++;
		return 0;
	}
	e = bpf_map_lookup_elem(&sweep_execs, &key->tgid);
	if (!e || lt_image_cmp(info.image, e->image) >= 0 ||
	    !sweep_claim(key, b, info.count_w))
		return 0;
	stat_add(key->tgid, info.stack_id, info.epoch, -(__s64)info.size,
		 -(__s64)info.count_w);
	__sync_fetch_and_add(&e->dropped, 1);
	return 0;
}

/*
 * Run by user space (test_run): deletes free slots and blocks from before
 * an exec, each claimed as a free would claim it.
 */
SEC("syscall")
int sweep_blocks(void *ctx)
{
	bpf_for_each_map_elem(&allocs, sweep_one, NULL, 0);
	return 0;
}

#endif /* LT_HEAP_BPF_H */
