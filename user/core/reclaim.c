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
#include "leaktrace.h"
#include "core/reclaim.h"
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

/* Delete the kernel's unused stacks, each copied first. */
static size_t delete_unused(const struct kmaps *k, struct stack_store *store,
			    const struct hashmap *live,
			    const struct hashmap *in_kernel)
{
	struct hashmap_entry *e;
	size_t bkt, deleted = 0;

	hashmap__for_each_entry(in_kernel, e, bkt) {
		uint64_t id = e->key;

		if (keyhash_get(live, id) || stack_store_copy(store, id))
			continue; /* in use, or no copy: keep it there */
		if (kmaps_delete_stack(k, id))
			deleted++;
	}
	return deleted;
}

int reclaim_stacks(const struct kmaps *k, struct stack_store *store,
		   const struct raw_stat *heap, size_t n_heap,
		   const struct mstat *maps, size_t n_maps,
		   struct reclaim_pass *out)
{
	struct hashmap live, in_kernel;
	long dropped;
	int err;

	*out = (struct reclaim_pass){ 0 };
	keyhash_u64_init(&live);
	keyhash_u64_init(&in_kernel);
	err = live_ids(&live, heap, n_heap, maps, n_maps);
	if (!err)
		err = kmaps_stack_ids(k, &in_kernel);
	if (err)
		goto out;
	out->kernel = hashmap__size(&in_kernel);
	/* Before deleting, so this pass's deletions keep their copies. */
	dropped = drop_copies(store, &live, &in_kernel);
	if (dropped < 0) {
		err = dropped;
		goto out;
	}
	out->dropped = dropped;
	out->deleted = delete_unused(k, store, &live, &in_kernel);
	out->copies = stack_store_count(store);
out:
	hashmap__clear(&live);
	hashmap__clear(&in_kernel);
	return err;
}
