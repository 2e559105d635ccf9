/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Stack id reclaim. The kernel's stack map is bounded (--max-stacks), so
 * after each report the stacks that hold nothing any more are deleted
 * from it; user space keeps its own copy while anything may still refer
 * to them. The kernel side stores a stack again the next time it sees it
 * (ids are content hashes, so the id and the copy stay valid).
 */
#ifndef LT_RECLAIM_H
#define LT_RECLAIM_H

#include <stddef.h>
#include <stdint.h>
#include "core/mappings.h"
#include "core/snapshot.h"
#include "core/stacks.h"

struct reclaim_pass {
	size_t kernel;	/* entries in the kernel's stack map before */
	size_t deleted; /* entries deleted from it */
	size_t dropped; /* user-space copies dropped */
	size_t copies;	/* user-space copies kept */
};

/*
 * One pass, given every heap aggregate (all processes and age epochs, as
 * read from the kernel) and every mapping aggregate. Returns 0 or -errno;
 * *out says what was done.
 */
int reclaim_stacks(const struct kmaps *k, struct stack_store *store,
		   const struct raw_stat *heap, size_t n_heap,
		   const struct mstat *maps, size_t n_maps,
		   struct reclaim_pass *out);

#endif
