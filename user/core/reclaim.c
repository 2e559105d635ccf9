// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Why only the stack map is reclaimed, and not the aggregates: the kernel
 * side adds to an aggregate through a pointer it looked up, so an entry
 * deleted between that lookup and the add would lose the add, or, as
 * freed elements are reused at once, put it in another entry. Deleting a
 * stack is safe: its content never changes, the copy is taken before the
 * delete, and a missing stack is simply stored again.
 */
#include <errno.h>
#include <stdlib.h>
#include "lib/keyhash.h"
#include "lib/vec.h"
#include "leaktrace.h"
#include "core/reclaim.h"
#include "core/stacks.h"
#include "kernel/kmaps.h"

static char in_set; /* the value of set members */

static int set_add(struct hashmap *set, uint64_t id)
{
	if (id <= LT_STACK_ALLOCATOR) /* reserved ids are never stored */
		return 0;
	return hashmap__set(set, id, &in_set, NULL, NULL);
}

/* Stacks that still hold heap or mapped memory, in any process or epoch. */
static int live_ids(struct hashmap *live, const struct raw_stat *heap,
		    size_t n_heap, const struct mstat *maps, size_t n_maps)
{
	size_t i;

	for (i = 0; i < n_heap; i++)
		if ((heap[i].bytes || heap[i].count) &&
		    set_add(live, heap[i].stack_id))
			return -ENOMEM;
	for (i = 0; i < n_maps; i++)
		if ((maps[i].bytes || maps[i].count) &&
		    set_add(live, maps[i].stack_id))
			return -ENOMEM;
	return 0;
}

/*
 * Copies of stacks deleted from the kernel in an earlier pass (so no
 * longer there) that nothing holds: a stack seen again is stored again by
 * the kernel and read again. Those deleted in this pass stay one more
 * pass, for allocations whose stack was taken just before the delete.
 */
static long drop_copies(struct stack_store *store, const struct hashmap *live,
			const struct hashmap *in_kernel)
{
	uint64_t *ids;
	long n = stack_store_ids(store, &ids), i, dropped = 0;

	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (keyhash_get(live, ids[i]) || keyhash_get(in_kernel, ids[i]))
			continue;
		stack_store_drop(store, ids[i]);
		dropped++;
	}
	free(ids);
	return dropped;
}

/* The walk over the kernel's stacks: what is there, and what can go. */
struct stack_sweep {
	const struct hashmap *live;
	struct hashmap in_kernel;
	struct stack_store *store;
	uint64_t *doomed; /* unused, and copied */
	size_t n_doomed, cap_doomed;
};

static int sweep_stack(uint64_t id, const struct lt_stack *st, void *ctx)
{
	struct stack_sweep *w = ctx;

	if (set_add(&w->in_kernel, id))
		return -ENOMEM;
	if (keyhash_get(w->live, id) || stack_store_keep(w->store, id, st))
		return 0; /* in use, or no copy: keep it there */
	if (VEC_RESERVE(&w->doomed, &w->cap_doomed, w->n_doomed + 1))
		return -ENOMEM;
	w->doomed[w->n_doomed++] = id;
	return 0;
}

int reclaim_stacks(const struct kmaps *k, struct stack_store *store,
		   const struct raw_stat *heap, size_t n_heap,
		   const struct mstat *maps, size_t n_maps,
		   struct reclaim_pass *out)
{
	struct stack_sweep w = { .store = store };
	struct hashmap live;
	long dropped;
	int err;

	*out = (struct reclaim_pass){ 0 };
	keyhash_u64_init(&live);
	keyhash_u64_init(&w.in_kernel);
	w.live = &live;
	err = live_ids(&live, heap, n_heap, maps, n_maps);
	if (!err)
		err = kmaps_walk_stacks(k, sweep_stack, &w);
	if (err)
		goto out;
	out->kernel = hashmap__size(&w.in_kernel);
	/* Before deleting, so this pass's deletions keep their copies. */
	dropped = drop_copies(store, &live, &w.in_kernel);
	if (dropped < 0) {
		err = dropped;
		goto out;
	}
	out->dropped = dropped;
	out->deleted = kmaps_delete_stacks(k, w.doomed, w.n_doomed);
	out->copies = stack_store_count(store);
out:
	hashmap__clear(&live);
	hashmap__clear(&w.in_kernel);
	free(w.doomed);
	return err;
}
