// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "leaktrace.skel.h"
#include "core/snapshot.h"
#include "kernel/kmaps.h"
#include "lib/keyhash.h"
#include "lib/proc.h"
#include "lib/vec.h"

/* Entries per batch read: aggregates are small, stacks 1.5 KB each. */
#define HEAP_BATCH  4096
#define STACK_BATCH 256
#define KEY_BATCH   4096

struct kmaps {
	int counters, stats, allocs, stacks, targets, py_procs, events;
	int sweep_prog, sweep_execs; /* sweep_prog -1: none */
	volatile uint64_t *sweep_deleted;
	uint32_t allocs_max;
	struct kmaps_unwind unwind;
};

struct kmaps *kmaps_new(const struct leaktrace_bpf *skel)
{
	struct kmaps *k = malloc(sizeof(*k));

	if (!k)
		return NULL;
	k->counters = bpf_map__fd(skel->maps.counters);
	k->stats = bpf_map__fd(skel->maps.stats);
	k->allocs = bpf_map__fd(skel->maps.allocs);
	k->allocs_max = bpf_map__max_entries(skel->maps.allocs);
	k->sweep_prog = skel->rodata->reuse_blocks
				? bpf_program__fd(skel->progs.sweep_blocks)
				: -1;
	k->sweep_execs = bpf_map__fd(skel->maps.sweep_execs);
	k->sweep_deleted = (volatile uint64_t *)&skel->bss->sweep_deleted;
	k->stacks = bpf_map__fd(skel->maps.stacks);
	k->targets = bpf_map__fd(skel->maps.targets);
	k->py_procs = bpf_map__fd(skel->maps.py_procs);
	k->unwind.rows_fd = bpf_map__fd(skel->maps.unwind_rows);
	k->unwind.tables_fd = bpf_map__fd(skel->maps.unwind_tables);
	k->unwind.procs_fd = bpf_map__fd(skel->maps.unwind_procs);
	k->unwind.files_fd = bpf_map__fd(skel->maps.unwind_files);
	k->unwind.rows_max = bpf_map__max_entries(skel->maps.unwind_rows);
	k->unwind.tables_max = bpf_map__max_entries(skel->maps.unwind_tables);
	k->unwind.index_fd = bpf_map__fd(skel->maps.unwind_index);
	k->unwind.index_max = bpf_map__max_entries(skel->maps.unwind_index);
	k->events = bpf_map__fd(skel->maps.events);
	k->unwind.walk_gen = (volatile uint64_t *)&skel->bss->walk_gen;
	return k;
}

void kmaps_free(struct kmaps *k)
{
	free(k);
}

/* Called with each batch read; non-zero stops the walk with that value. */
typedef int (*kmaps_visit_fn)(const void *keys, const void *vals, size_t n,
			      void *ctx);

/*
 * The one walk over a hash map: batch reads (5.6+, and 5.8 is required)
 * of up to batch entries, each batch handed to visit.
 */
static int kmaps_walk(int fd, size_t key_size, size_t val_size, size_t batch,
		      kmaps_visit_fn visit, void *ctx)
{
	char *keys = malloc(batch * key_size), *vals = malloc(batch * val_size);
	char in_batch[32], out_batch[32]; /* every key type fits */
	bool first = true;
	int err = 0;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		__u32 count = batch;

		if (bpf_map_lookup_batch(fd, first ? NULL : in_batch, out_batch,
					 keys, vals, &count, NULL))
			err = -errno;
		if (err && err != -ENOENT)
			break;
		if (count) {
			int stop = visit(keys, vals, count, ctx);

			if (stop) {
				err = stop;
				break;
			}
		}
		if (err) /* ENOENT: that was the last batch */
			break;
		memcpy(in_batch, out_batch, sizeof(in_batch));
		first = false;
	}
out:
	free(keys);
	free(vals);
	return err == -ENOENT ? 0 : err;
}

/* Counters first..last-1 summed over CPUs into out (0 where unread). */
static void read_counters(const struct kmaps *k, unsigned int first,
			  unsigned int last, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	uint64_t *vals;
	unsigned int c;

	memset(out, 0, (last - first) * sizeof(*out));
	if (ncpu <= 0)
		return;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return;
	for (c = first; c < last; c++) {
		__u32 key = c;

		if (bpf_map_lookup_elem(k->counters, &key, vals))
			continue;
		for (i = 0; i < ncpu; i++)
			out[c - first] += vals[i];
	}
	free(vals);
}

void kmaps_read_counters(const struct kmaps *k, uint64_t out[LT_C_NR])
{
	read_counters(k, 0, LT_C_NR, out);
}

struct heap_read {
	struct raw_stat *rows;
	size_t n, cap;
};

static int add_heap_batch(const void *keys, const void *vals, size_t n,
			  void *ctx)
{
	const struct lt_stat_key *k = keys;
	const struct lt_stat *v = vals;
	struct heap_read *h = ctx;
	size_t i;

	if (VEC_RESERVE(&h->rows, &h->cap, h->n + n))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct raw_stat *r = &h->rows[h->n++];

		r->tgid = k[i].tgid;
		r->epoch = k[i].epoch;
		r->stack_id = k[i].stack_id;
		r->bytes = v[i].bytes;
		r->count = v[i].count;
	}
	return 0;
}

int kmaps_read_heap(const struct kmaps *k, struct raw_stat **out, size_t *n)
{
	struct heap_read h = { 0 };
	int err = kmaps_walk(k->stats, sizeof(struct lt_stat_key),
			     sizeof(struct lt_stat), HEAP_BATCH, add_heap_batch,
			     &h);

	*out = h.rows;
	*n = h.n;
	return err;
}

int kmaps_read_stack(const struct kmaps *k, uint64_t id, struct lt_stack *out)
{
	if (!k)
		return -ENOENT;
	return bpf_map_lookup_elem(k->stacks, &id, out) ? -errno : 0;
}

struct stack_visit {
	kmaps_stack_fn fn;
	void *ctx;
};

static int visit_stack_batch(const void *keys, const void *vals, size_t n,
			     void *ctx)
{
	const uint64_t *ids = keys;
	const struct lt_stack *stacks = vals;
	struct stack_visit *v = ctx;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		if (ids[i] <= LT_STACK_ALLOCATOR) /* reserved: never stored */
			continue;
		err = v->fn(ids[i], &stacks[i], v->ctx);
		if (err)
			return err;
	}
	return 0;
}

int kmaps_walk_stacks(const struct kmaps *k, kmaps_stack_fn fn, void *ctx)
{
	struct stack_visit v = { .fn = fn, .ctx = ctx };

	return kmaps_walk(k->stacks, sizeof(uint64_t), sizeof(struct lt_stack),
			  STACK_BATCH, visit_stack_batch, &v);
}

/* A thread's memo of its last walk may name a stack about to go. */
static void stale_walks(const struct kmaps *k)
{
	__atomic_add_fetch(k->unwind.walk_gen, 1, __ATOMIC_SEQ_CST);
}

size_t kmaps_delete_stacks(const struct kmaps *k, const uint64_t *ids, size_t n)
{
	size_t done = 0, deleted = 0;

	if (n)
		stale_walks(k);
	while (done < n) {
		__u32 count = n - done < KEY_BATCH ? n - done : KEY_BATCH;

		/* One syscall a batch; it stops at a key that is gone. */
		if (!bpf_map_delete_batch(k->stacks, ids + done, &count,
					  NULL)) {
			done += count;
			deleted += count;
			continue;
		}
		done += count;
		deleted += count;
		if (done < n && !bpf_map_delete_elem(k->stacks, &ids[done]))
			deleted++;
		done++;
	}
	return deleted;
}

int kmaps_add_target(const struct kmaps *k, pid_t pid)
{
	__u32 key = pid;
	__u8 one = 1;

	return bpf_map_update_elem(k->targets, &key, &one, BPF_ANY) ? -errno
								    : 0;
}

int kmaps_set_python(const struct kmaps *k, pid_t pid,
		     const struct lt_py_config *config)
{
	__u32 key = pid;
	int err = bpf_map_update_elem(k->py_procs, &key, config, BPF_ANY);

	stale_walks(k); /* Python processes' walks are not kept */
	return err ? -errno : 0;
}

/* Keys of the listed processes, collected first and deleted after. */
struct doomed_keys {
	const pid_t *pids;
	size_t n_pids, key_size;
	char *keys;
	size_t n, cap;
};

/* Both key types start with the tgid. */
static int collect_doomed(const void *keys, const void *vals, size_t n,
			  void *ctx)
{
	struct doomed_keys *d = ctx;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *key = (const char *)keys + i * d->key_size;

		if (!proc_listed(d->pids, d->n_pids, *(const __u32 *)key))
			continue;
		if (vec_reserve((void **)&d->keys, &d->cap, d->n + 1,
				d->key_size))
			return -ENOMEM;
		memcpy(d->keys + d->n++ * d->key_size, key, d->key_size);
	}
	return 0;
}

/* Deleting while walking a hash map restarts the walk: keys first. */
static long forget_in_map(int fd, size_t key_size, size_t val_size,
			  const pid_t *pids, size_t n)
{
	struct doomed_keys d = { .pids = pids,
				 .n_pids = n,
				 .key_size = key_size };
	size_t i;

	kmaps_walk(fd, key_size, val_size, KEY_BATCH, collect_doomed, &d);
	for (i = 0; i < d.n; i++)
		bpf_map_delete_elem(fd, d.keys + i * key_size);
	free(d.keys);
	return d.n;
}

long kmaps_forget_processes(const struct kmaps *k, const pid_t *pids, size_t n)
{
	long removed;
	size_t i;

	if (!n)
		return 0;
	removed = forget_in_map(k->stats, sizeof(struct lt_stat_key),
				sizeof(struct lt_stat), pids, n);
	removed += forget_in_map(k->allocs, sizeof(struct lt_alloc_key),
				 sizeof(struct lt_alloc_info), pids, n);
	for (i = 0; i < n; i++) {
		__u32 key = pids[i];

		bpf_map_delete_elem(k->targets, &key);
		bpf_map_delete_elem(k->py_procs, &key);
	}
	stale_walks(k);
	return removed;
}

struct old_blocks {
	struct kmaps_exec *execs; /* sorted by tgid */
	size_t n_execs;
	struct lt_alloc_key *keys;
	struct lt_alloc_info *infos;
	size_t n, cap;
};

static int cmp_exec_tgid(const void *key, const void *elem)
{
	pid_t tgid = *(const pid_t *)key;
	const struct kmaps_exec *e = elem;

	return (tgid > e->tgid) - (tgid < e->tgid);
}

static struct kmaps_exec *exec_of(const struct old_blocks *o, __u32 tgid)
{
	pid_t key = (pid_t)tgid;

	return bsearch(&key, o->execs, o->n_execs, sizeof(*o->execs),
		       cmp_exec_tgid);
}

static int keep_old(struct old_blocks *o, const struct lt_alloc_key *key,
		    const struct lt_alloc_info *info)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 256;
		void *kk = realloc(o->keys, cap * sizeof(*o->keys));
		void *vv =
			kk ? realloc(o->infos, cap * sizeof(*o->infos)) : NULL;

		if (kk)
			o->keys = kk;
		if (!vv)
			return -ENOMEM;
		o->infos = vv;
		o->cap = cap;
	}
	o->keys[o->n] = *key;
	o->infos[o->n++] = *info;
	return 0;
}

static int collect_old(const void *keys, const void *vals, size_t n, void *ctx)
{
	const struct lt_alloc_key *k = keys;
	const struct lt_alloc_info *v = vals;
	struct old_blocks *o = ctx;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct kmaps_exec *e = exec_of(o, k[i].tgid);

		if (e && lt_image_cmp(v[i].image, e->image) < 0 &&
		    keep_old(o, &k[i], &v[i]))
			return -ENOMEM;
	}
	return 0;
}

/* Take a dropped block out of its aggregate (the old image's stacks). */
static void unaccount(const struct kmaps *k, const struct lt_alloc_info *b,
		      __u32 tgid)
{
	struct lt_stat_key key = {
		.tgid = tgid,
		.epoch = b->epoch,
		.stack_id = b->stack_id,
	};
	struct lt_stat st;

	if (bpf_map_lookup_elem(k->stats, &key, &st))
		return;
	st.bytes -= b->size;
	st.count -= b->count_w;
	bpf_map_update_elem(k->stats, &key, &st, BPF_EXIST);
}

/* The free slots the kernel keeps: +1 a free, -1 a reuse, on each CPU. */
static long free_slots(const struct kmaps *k)
{
	uint64_t sum;

	read_counters(k, LT_C_FREE_SLOTS, LT_C_FREE_SLOTS + 1, &sum);
	return (long)sum;
}

/*
 * The count restarts from zero as the sweep deletes every slot (it is a
 * hint for when to sweep: frees racing the sweep may leave it a little
 * off, slots of exited processes deleted with them count until then).
 */
static void reset_free_slots(const struct kmaps *k)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *zeros = ncpu > 0 ? calloc(ncpu, sizeof(*zeros)) : NULL;
	__u32 key = LT_C_FREE_SLOTS;

	if (zeros)
		bpf_map_update_elem(k->counters, &key, zeros, BPF_ANY);
	free(zeros);
}

/* Hand the execs to the sweep, run it, and read back what it dropped. */
static long sweep(const struct kmaps *k, struct kmaps_exec *execs, size_t n)
{
	LIBBPF_OPTS(bpf_test_run_opts, run);
	struct lt_sweep_exec e;
	long dropped = 0;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		__u32 key = execs[i].tgid;

		e = (struct lt_sweep_exec){ .image = execs[i].image };
		bpf_map_update_elem(k->sweep_execs, &key, &e, BPF_ANY);
	}
	reset_free_slots(k);
	err = bpf_prog_test_run_opts(k->sweep_prog, &run) ? -errno : 0;
	for (i = 0; i < n; i++) {
		__u32 key = execs[i].tgid;

		execs[i].dropped = 0;
		if (!bpf_map_lookup_elem(k->sweep_execs, &key, &e))
			execs[i].dropped = e.dropped;
		dropped += execs[i].dropped;
		bpf_map_delete_elem(k->sweep_execs, &key);
	}
	return err ? err : dropped;
}

long kmaps_sweep_free_slots(const struct kmaps *k)
{
	uint64_t before = *k->sweep_deleted;
	long err;

	if (k->sweep_prog < 0 || free_slots(k) < (long)(k->allocs_max / 16))
		return 0;
	err = sweep(k, NULL, 0);
	return err < 0 ? err : (long)(*k->sweep_deleted - before);
}

long kmaps_drop_before(const struct kmaps *k, struct kmaps_exec *execs,
		       size_t n)
{
	struct old_blocks o = { .execs = execs, .n_execs = n };
	long dropped = 0;
	size_t i;

	if (!n)
		return 0;
	if (k->sweep_prog >= 0)
		return sweep(k, execs, n);
	for (i = 0; i < n; i++)
		execs[i].dropped = 0;
	kmaps_walk(k->allocs, sizeof(struct lt_alloc_key),
		   sizeof(struct lt_alloc_info), KEY_BATCH, collect_old, &o);
	for (i = 0; i < o.n; i++) {
		/* A free racing with us took it out already. */
		if (bpf_map_delete_elem(k->allocs, &o.keys[i]))
			continue;
		unaccount(k, &o.infos[i], o.keys[i].tgid);
		exec_of(&o, o.keys[i].tgid)->dropped++;
		dropped++;
	}
	free(o.keys);
	free(o.infos);
	return dropped;
}

struct ring_buffer *kmaps_event_ring(const struct kmaps *k,
				     ring_buffer_sample_fn fn, void *ctx)
{
	return ring_buffer__new(k->events, fn, ctx, NULL);
}

const struct kmaps_unwind *kmaps_unwind(const struct kmaps *k)
{
	return &k->unwind;
}
