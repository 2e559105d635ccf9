/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Outstanding mapped bytes per (process, stack), from mmap, munmap, mremap
 * and brk events applied in order. Ranges are half-open [addr, addr+len).
 */
#ifndef LT_MAPPINGS_H
#define LT_MAPPINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mtrack;

struct mstat {
	uint32_t tgid;
	uint64_t stack_id;
	int64_t bytes; /* bytes currently mapped by this stack */
	int64_t count; /* live mapping records of this stack */
};

struct mtrack *mtrack_new(void);
void mtrack_free(struct mtrack *t);

/* A new mapping. Whatever it overlaps is unmapped first (MAP_FIXED). */
void mtrack_map(struct mtrack *t, uint32_t tgid, uint64_t addr, uint64_t len,
		uint64_t stack_id, uint64_t ts_ns);

/* Unmap a range: records it covers go, records it cuts are trimmed or split. */
void mtrack_unmap(struct mtrack *t, uint32_t tgid, uint64_t addr, uint64_t len);

/*
 * mremap: the range [old_addr, +old_len) now lives at [new_addr, +new_len).
 * The new range keeps the stack and timestamp of the record the old range
 * hit (the lowest one). Returns false when no tracked record was hit (the
 * mapping predates tracing); then nothing is added.
 */
bool mtrack_remap(struct mtrack *t, uint32_t tgid, uint64_t old_addr,
		  uint64_t old_len, uint64_t new_addr, uint64_t new_len);

/* The break moved from old_brk to new_brk: growth maps, shrink unmaps. */
void mtrack_brk(struct mtrack *t, uint32_t tgid, uint64_t old_brk,
		uint64_t new_brk, uint64_t stack_id, uint64_t ts_ns);

/* Forget everything about a process (it exited). */
void mtrack_drop_process(struct mtrack *t, uint32_t tgid);

/*
 * Per (tgid, stack_id) sums of records made at or before max_ts_ns
 * (UINT64_MAX: all), sorted by (tgid, stack_id), in a malloc'd array.
 * Returns the number of entries (0 with *out = NULL when none), or -ENOMEM.
 */
long mtrack_stats(const struct mtrack *t, uint64_t max_ts_ns,
		  struct mstat **out);

#endif
