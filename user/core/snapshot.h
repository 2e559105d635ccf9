/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A report's view of outstanding memory: one row per (process, stack),
 * heap bytes from the kernel's aggregates and mapped bytes from the mapping
 * tracker, with growth and trend against the previous snapshot.
 */
#ifndef LT_SNAPSHOT_H
#define LT_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include "core/mappings.h"

/* How many past reports the trend looks at. */
#define LT_TREND_WINDOW 8

struct stack_row {
	uint32_t tgid;
	uint64_t stack_id;
	int64_t heap_bytes;
	int64_t heap_count;
	int64_t map_bytes;
	int64_t map_count;
	int64_t growth; /* change of heap+map since the last report */
	uint32_t
		trend_bits; /* bit 0: grew in this report, bit 1: the one before.. */
	uint32_t reports; /* reports this row has been in, capped */
};

struct snapshot {
	struct stack_row *rows; /* sorted by (tgid, stack_id) */
	size_t n;
};

struct raw_stat {
	uint32_t tgid;
	uint32_t epoch;
	uint64_t stack_id;
	int64_t bytes;
	int64_t count;
};

/*
 * Build a snapshot from the kernel's per-(tgid, epoch, stack) heap stats
 * (epochs from epoch_limit on left out: too young for --min-age) and the mapping tracker's per-stack
 * stats, and compute growth and trend against prev (may be empty).
 */
int snapshot_build(struct snapshot *out, struct raw_stat *heap, size_t n_heap,
		   uint32_t epoch_limit, const struct mstat *maps,
		   size_t n_maps, const struct snapshot *prev);

/* How many of the last reports (up to the window) this row grew in. */
int row_trend(const struct stack_row *r, int *window);

static inline int64_t row_bytes(const struct stack_row *r)
{
	return r->heap_bytes + r->map_bytes;
}

void snapshot_free(struct snapshot *s);

#endif
