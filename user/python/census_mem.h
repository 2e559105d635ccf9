/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A local copy of the parts of a process's memory a census walks: read in
 * large chunks (one system call for many objects), clipped to the readable
 * mappings, bounded in memory. The copy is a snapshot of moving memory:
 * callers validate everything they read from it.
 */
#ifndef LT_CENSUS_MEM_H
#define LT_CENSUS_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CENSUS_CHUNK	 (64u << 10) /* bytes per cached chunk */
#define CENSUS_READAHEAD 4	     /* chunks read by one system call */

/* Where bytes come from: the process, or a fake image in tests. */
struct census_src {
	/* Read up to len bytes at addr into buf: bytes read, or -1. */
	ssize_t (*read)(void *ctx, uint64_t addr, void *const *bufs,
			size_t n_bufs, size_t buf_len);
	void *ctx;
};

struct census_range {
	uint64_t start, end; /* readable: [start, end) */
};

struct census_mem;

/*
 * ranges: the readable mappings, sorted by start (copied). max_bytes bounds
 * the local copy; when it is full, it starts again empty.
 */
struct census_mem *census_mem_new(const struct census_src *src,
				  const struct census_range *ranges, size_t n,
				  size_t max_bytes);
void census_mem_free(struct census_mem *m);

/* Copy len bytes at addr into buf: 0, or -1 when not readable. */
int census_mem_read(struct census_mem *m, uint64_t addr, void *buf, size_t len);

/*
 * Copy len bytes at addr straight from the source (one system call), not
 * from the local copy, which may predate them: 0, or -1.
 */
int census_mem_read_fresh(struct census_mem *m, uint64_t addr, void *buf,
			  size_t len);

/* Is [addr, addr + len) inside one readable range? */
int census_mem_readable(const struct census_mem *m, uint64_t addr, size_t len);

struct census_mem_stats {
	uint64_t syscalls, bytes_read, resets;
	size_t peak_bytes;
};
void census_mem_stats(const struct census_mem *m, struct census_mem_stats *s);

/* The process as a source: process_vm_readv, nothing else. */
struct census_src census_src_process(pid_t *pid);

#endif
