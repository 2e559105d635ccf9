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

/*
 * The stack of ranges mapped but not counted (mtrack_reserve): never a
 * kernel stack id (those have bit 1 set) nor one leaktrace.h reserves.
 */
#define MTRACK_RESERVED (~0ULL ^ 2)

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
 * A range that is mapped but not counted: reserved address space with no
 * access (PROT_NONE), or memory mapped before tracing began. Known, so a
 * resync does not take it for memory whose mapping event was lost.
 */
void mtrack_reserve(struct mtrack *t, uint32_t tgid, uint64_t addr,
		    uint64_t len);

/* fork: the child starts with the parent's ranges, none of them counted. */
void mtrack_fork(struct mtrack *t, uint32_t parent, uint32_t child);

/* One mapping of the process as the kernel lists it now. */
struct mrange {
	uint64_t start, end;
	bool counts; /* memory the tracker counts (not PROT_NONE) */
};

struct mresync {
	int64_t dropped_bytes; /* counted bytes held that are mapped no more */
	int64_t filled_bytes;  /* counted bytes found that were unknown */
};

/*
 * Make a process's ranges agree with live[0..n) (sorted, not overlapping:
 * /proc/PID/maps), after events were lost: what lies outside every live
 * range is dropped; what lies in one and is unknown is added with
 * fill_stack when the range counts (else MTRACK_RESERVED); what is
 * known keeps its stack. Returns 0 or -ENOMEM (then nothing changed).
 */
int mtrack_resync(struct mtrack *t, uint32_t tgid, const struct mrange *live,
		  size_t n, uint64_t fill_stack, struct mresync *out);

/* The processes with ranges, ascending, in a malloc'd array: count or -ENOMEM. */
long mtrack_tgids(const struct mtrack *t, uint32_t **out);

/*
 * Per (tgid, stack_id) sums of counted records made at or before max_ts_ns
 * (UINT64_MAX: all), sorted by (tgid, stack_id), in a malloc'd array.
 * Returns the number of entries (0 with *out = NULL when none), or -ENOMEM.
 */
long mtrack_stats(const struct mtrack *t, uint64_t max_ts_ns,
		  struct mstat **out);

#endif
