// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Bucket indexes of unwind tables: see unwind_index.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "unwind/unwind_index.h"

#define MIN_SHIFT 4  /* 16 bytes hold at most 16 rows: always fine */
#define MAX_SHIFT 24 /* coarser buckets save nothing worth having */

static uint32_t bucket_count(const struct lt_unwind_row *rows, size_t n,
			     unsigned int shift)
{
	return ((rows[n - 1].pc - rows[0].pc) >> shift) + 1;
}

/*
 * Fill starts (buckets + 1 entries) for shift; false when some bucket's
 * search would span more than LT_UNWIND_BUCKET_ROWS rows.
 */
static bool fill_starts(const struct lt_unwind_row *rows, size_t n,
			unsigned int shift, uint32_t *starts, uint32_t buckets)
{
	size_t row = 0;

	for (uint32_t b = 0; b < buckets; b++) {
		uint64_t at = rows[0].pc + ((uint64_t)b << shift);

		while (row + 1 < n && rows[row + 1].pc <= at)
			row++;
		starts[b] = (uint32_t)row;
		if (b && starts[b] - starts[b - 1] + 1 > LT_UNWIND_BUCKET_ROWS)
			return false;
	}
	starts[buckets] = (uint32_t)(n - 1);
	return starts[buckets] - starts[buckets - 1] + 1 <=
	       LT_UNWIND_BUCKET_ROWS;
}

int unwind_index_build(const struct lt_unwind_row *rows, size_t n,
		       struct unwind_index *ix)
{
	ix->starts = NULL;
	ix->n = 0;
	if (!n || n > UINT32_MAX)
		return -EINVAL;
	/* Coarsest first: the first shift that fits is the smallest index. */
	for (unsigned int shift = MAX_SHIFT; shift >= MIN_SHIFT; shift--) {
		uint32_t buckets = bucket_count(rows, n, shift);

		if (buckets > n + 1)
			break;
		if (!ix->starts) {
			/* Finer buckets only grow: room for the finest. */
			uint64_t most = bucket_count(rows, n, MIN_SHIFT);

			if (most > n + 1)
				most = n + 1;
			ix->starts = malloc((most + 1) * sizeof(*ix->starts));
			if (!ix->starts)
				return -ENOMEM;
		}
		if (fill_starts(rows, n, shift, ix->starts, buckets)) {
			ix->n = buckets + 1;
			ix->base = rows[0].pc;
			ix->shift = (uint8_t)shift;
			return 0;
		}
	}
	unwind_index_free(ix);
	return -E2BIG;
}

void unwind_index_free(struct unwind_index *ix)
{
	free(ix->starts);
	ix->starts = NULL;
	ix->n = 0;
}

const struct lt_unwind_row *unwind_index_find(const struct unwind_index *ix,
					      const struct lt_unwind_row *rows,
					      size_t n, uint64_t pc)
{
	uint64_t b;
	uint32_t lo, hi;

	if (ix->n < 2 || pc < ix->base || pc > UINT32_MAX)
		return NULL;
	b = (pc - ix->base) >> ix->shift;
	if (b > ix->n - 2)
		b = ix->n - 2;
	lo = ix->starts[b];
	hi = ix->starts[b + 1] + 1; /* rows[lo].pc <= pc < rows[hi].pc */
	if (hi > n || lo >= hi)
		return NULL;
	for (int i = 0; i < LT_UNWIND_BUCKET_STEPS && hi - lo > 1; i++) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (rows[mid].pc <= pc)
			lo = mid;
		else
			hi = mid;
	}
	return hi - lo == 1 ? &rows[lo] : NULL;
}
