/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A table's bucket index: the rows cut into buckets of 2^shift bytes of
 * code, each bucket's first row noted, so the walk's search of a pc's row
 * runs over one bucket's rows (LT_UNWIND_BUCKET_ROWS at most: a few steps)
 * and not over the whole table (15 steps for libc).
 */
#ifndef LT_UNWIND_INDEX_H
#define LT_UNWIND_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include "lt_unwind.h"

struct unwind_index {
	uint32_t
		*starts; /* starts[b]: the row holding at base + (b << shift) */
	uint32_t n;	 /* buckets + 1: the last start is the last row */
	uint32_t base;	 /* the first row's pc */
	uint8_t shift;
};

/*
 * Index rows (n of them, sorted by pc, distinct): the coarsest buckets
 * (at least 16 bytes) in which a search never spans more than
 * LT_UNWIND_BUCKET_ROWS rows. 0, -EINVAL for no rows, -E2BIG when the
 * index would have more entries than the table has rows (a file whose
 * code is sparse and dense at once), -ENOMEM.
 */
int unwind_index_build(const struct lt_unwind_row *rows, size_t n,
		       struct unwind_index *ix);

void unwind_index_free(struct unwind_index *ix);

/*
 * The row holding at pc, found through the index as the kernel's walk
 * finds it (for tests), or NULL when pc is below the first row.
 */
const struct lt_unwind_row *unwind_index_find(const struct unwind_index *ix,
					      const struct lt_unwind_row *rows,
					      size_t n, uint64_t pc);

#endif
