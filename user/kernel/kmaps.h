/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The kernel side's maps, for the rest of user space: loss counters, heap
 * aggregates, stacks, the traced processes and their Python settings, the
 * event ring. Only this module and the loader see the BPF skeleton; the
 * loader makes the handle after loading (kmaps_new).
 */
#ifndef LT_KMAPS_H
#define LT_KMAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <bpf/libbpf.h>
#include "leaktrace.h"

struct kmaps;
struct leaktrace_bpf;
struct raw_stat;
struct hashmap;

/* A handle on a loaded skeleton's maps (NULL: out of memory). */
struct kmaps *kmaps_new(const struct leaktrace_bpf *skel);
void kmaps_free(struct kmaps *k);

/* Loss and health counters, summed over CPUs (zeros where unreadable). */
void kmaps_read_counters(const struct kmaps *k, uint64_t out[LT_C_NR]);

/* Every heap aggregate (process, age epoch, stack), *out to free. */
int kmaps_read_heap(const struct kmaps *k, struct raw_stat **out, size_t *n);

/* One stored stack. 0, or -errno (-ENOENT: not there). */
int kmaps_read_stack(const struct kmaps *k, uint64_t id, struct lt_stack *out);

/* Called for each stored stack; non-zero stops the walk with that value. */
typedef int (*kmaps_stack_fn)(uint64_t id, const struct lt_stack *st,
			      void *ctx);

/* Every stack in the kernel's map, read in batches with its contents. */
int kmaps_walk_stacks(const struct kmaps *k, kmaps_stack_fn fn, void *ctx);

/* Delete the stacks, in batches; returns how many were there. */
size_t kmaps_delete_stacks(const struct kmaps *k, const uint64_t *ids,
			   size_t n);

/* Trace pid's mapping syscalls and, with probes limited to it, its calls. */
int kmaps_add_target(const struct kmaps *k, pid_t pid);

/* Tell the kernel side where a process keeps its Python frames. */
int kmaps_set_python(const struct kmaps *k, pid_t pid,
		     const struct lt_py_config *config);

/*
 * Drop what the kernel keeps for processes that exited (blocks,
 * aggregates, target and Python entries), so a reused PID starts clean.
 * Returns the blocks and aggregates removed.
 */
long kmaps_forget_processes(const struct kmaps *k, const pid_t *pids, size_t n);

/* The maps of the DWARF walk's tables (--unwind=dwarf). */
struct kmaps_unwind {
	int rows_fd, tables_fd, index_fd, procs_fd, files_fd;
	uint32_t rows_max, tables_max, index_max;
	volatile uint64_t *walk_gen; /* bumped: the kernel's walk memos stale */
};
const struct kmaps_unwind *kmaps_unwind(const struct kmaps *k);

/* A process that exec'd, and the image it began (see lt_image_cmp). */
struct kmaps_exec {
	pid_t tgid;
	uint32_t image;
	long dropped; /* out: its blocks from before the exec */
};

/*
 * Processes exec'd: drop their blocks allocated before (they went with the
 * old image), taking them out of their aggregates, in one walk of the block
 * map for all of them (a walk costs the map's size, not its contents).
 * execs must be sorted by tgid, one entry each. Where freed blocks are
 * kept as slots the kernel's sweep does it (and deletes the slots), racing
 * no free. Returns the blocks dropped.
 */
long kmaps_drop_before(const struct kmaps *k, struct kmaps_exec *execs,
		       size_t n);

/*
 * Where the kernel keeps freed blocks' entries for reuse: delete them all
 * once they take a sixteenth of the block map (a walk of it). Returns how
 * many were deleted (0 if it was not due), or -errno.
 */
long kmaps_sweep_free_slots(const struct kmaps *k);

/* The ring of mapping, fork, exit and new-stack events. */
struct ring_buffer *kmaps_event_ring(const struct kmaps *k,
				     ring_buffer_sample_fn fn, void *ctx);

#endif
