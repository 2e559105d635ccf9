/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Native unwinding state in user space: the --unwind mode, the tables
 * cache, and per process the table of its executable mappings the BPF
 * walk searches (refreshed at attach and whenever new code is mapped).
 */
#ifndef LT_UNWIND_PROCS_H
#define LT_UNWIND_PROCS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "kernel/kmaps.h"
#include "unwind/unwind_cache.h"

enum unwind_mode {
	UNWIND_DWARF, /* CFI rows, frame pointers where a module has none */
	UNWIND_FP,    /* frame pointers only: the cheapest walk */
};

#define UNWIND_PENDING_MAX 4096

struct unwind_procs {
	struct unwind_cache cache;
	int procs_fd;
	volatile uint64_t *walk_gen; /* bumped at each change of procs_fd */
	uint64_t scans;
	/* Processes that mapped new code, rescanned after the event batch. */
	pid_t pending[UNWIND_PENDING_MAX];
	size_t n_pending;
};

/* Parse --unwind's value: 0, or -EINVAL. */
int unwind_parse_mode(const char *s, enum unwind_mode *mode);
const char *unwind_mode_name(enum unwind_mode mode);

/*
 * Should the walk run in bpf_loop? Only where the kernel has it (5.17+),
 * and not when LEAKTRACE_NO_BPF_LOOP is set (to test the unrolled loop).
 */
bool unwind_want_bpf_loop(void);

/*
 * Can the walk find a pc's file itself (bpf_find_vma, 5.17+)? Not when
 * LEAKTRACE_NO_FIND_VMA is set (to test the walk without it).
 */
bool unwind_want_find_vma(void);

/*
 * Rows the kernel array holds: bounds the tables' kernel memory.
 * LEAKTRACE_UNWIND_ROWS sets it (tests: tables that do not fit).
 */
uint32_t unwind_rows_max(bool system_wide);

/* The size of the tables' index array for a rows array of rows. */
uint32_t unwind_index_max(uint32_t rows);

void unwind_procs_init(struct unwind_procs *u, const struct kmaps_unwind *k);
void unwind_procs_free(struct unwind_procs *u);

/* (Re)read pid's executable mappings and load what the walk needs. */
int unwind_procs_scan(struct unwind_procs *u, pid_t pid);

/*
 * pid mapped new code: rescan it at the next flush. Events only mark, so
 * reading the ring keeps up with a fork storm; a flush after each batch
 * does the scans, each process once.
 */
void unwind_procs_mark(struct unwind_procs *u, pid_t pid);
void unwind_procs_flush(struct unwind_procs *u);

/*
 * -c: build the tables of the files the command will map (its executable
 * and the libraries its dynamic linker lists) before it is released, so
 * the rescan at its first mmaps finds them cached.
 */
void unwind_procs_prepare(struct unwind_procs *u, const char *cmd);

/* Every process but self (system-wide mode at attach). */
void unwind_procs_scan_all(struct unwind_procs *u, pid_t self);

/* The process is gone. */
void unwind_procs_drop(struct unwind_procs *u, pid_t pid);

#endif
