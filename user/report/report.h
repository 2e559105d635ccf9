/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One report: per-process totals and the stacks to show, built from a
 * snapshot, then printed as text or JSON and exported as folded stacks.
 */
#ifndef LT_REPORT_H
#define LT_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include "leaktrace.h"
#include "core/procs.h"
#include "core/snapshot.h"
#include "core/stacks.h"

struct proc_report {
	struct traced_proc *proc;
	int64_t heap_bytes, heap_count;
	int64_t map_bytes, map_count;
	int64_t allocator_map_bytes;	    /* the allocator's own mappings */
	int64_t growth;			    /* since the previous report */
	const struct stack_row **by_growth; /* growth > 0, largest first */
	size_t n_by_growth;
	const struct stack_row **by_bytes; /* final report: most bytes first */
	size_t n_by_bytes;
	const struct stack_row **all; /* every stack with bytes, for export */
	size_t n_all;
};

struct report {
	struct timespec wall;
	double elapsed_s;  /* since attach */
	double interval_s; /* since the previous report */
	bool final;
	int top;
	uint64_t losses[LT_C_NR];
	/* --objects, since attach: censuses that could not finish, objects
	 * on the GC lists whose type could not be read. */
	uint64_t census_incomplete, census_skipped;
	uint64_t min_age_ns;
	uint64_t sample_bytes; /* --sample period, 0: exact */
	struct proc_report *procs;
	size_t n_procs;
	struct stack_store *stacks;
};

/* Group rows by process and rank them. Rows must outlive the report. */
int report_build(struct report *r, const struct snapshot *snap,
		 struct proc_table *procs, int top, bool final);
void report_free(struct report *r);

void report_print_text(FILE *out, const struct report *r);
void report_print_json(FILE *out, const struct report *r);

/* Folded stacks of outstanding bytes, root first; process root frames
 * when more than one process is traced. */
int report_write_folded(const struct report *r, const char *path,
			bool process_roots);

/* Names of the loss counters, as used in text and JSON. */
const char *loss_name(enum lt_counter c);

#endif
