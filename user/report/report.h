/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The report model: per-process totals and the stacks to show, with every
 * frame resolved once into a struct while the report is built. Text, JSON,
 * folded stacks and the exporters only read the model: printing does no
 * kernel map lookup and no symbol resolution, so a test can build a model
 * by hand and check each format.
 */
#ifndef LT_REPORT_H
#define LT_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "leaktrace.h"
#include "core/procs.h"
#include "core/snapshot.h"

struct stack_store;
struct py_census;

enum report_frame_kind {
	RF_NATIVE,  /* a function of a mapped ELF module */
	RF_INLINED, /* a call inlined into the next frame (its caller) */
	RF_PYTHON,  /* a CPython frame: function, file and line */
	RF_JIT,	    /* code named by /tmp/perf-PID.map */
	RF_ANON,    /* code in memory no module or perf map names */
	RF_PSEUDO,  /* "[allocator]", "[unknown stack]", "[python]" */
};

/* Where a native frame's module is mapped (pprof's mappings). */
struct report_map {
	const char *path; /* as mapped, or the module's name */
	uint64_t start, limit, offset;
};

/* One frame, leaf first in its stack. Strings are never NULL. */
struct report_frame {
	enum report_frame_kind kind;
	const char *function; /* display name; "" when unknown */
	const char *raw_name; /* as in the symbol table (mangled), "" */
	const char *file;     /* source file, "" when unknown */
	int line;	      /* 0 unknown (Python: -1) */
	const char *module;   /* "libc.so.6", "[anon]", "perf-1.map", "" */
	const char *build_id; /* of the module, hex, "" */
	uint64_t addr;	      /* return address; Python: code object */
	uint64_t offset;      /* from the function's start */
	uint64_t module_offset;
	bool has_sym;	       /* native: the symbolizer named it */
	struct report_map map; /* native frames with a module, if asked */
};

/* One (process, stack) row with its frames. */
struct report_stack {
	const struct stack_row *row;
	struct report_frame *frames;
	size_t n_frames;
};

struct proc_report {
	struct traced_proc *proc; /* for the session only; printers use: */
	pid_t pid;
	char comm[64];
	bool exited;
	int64_t rss, rss_at_attach; /* -1: unknown */
	bool python;		    /* CPython frames are decoded */
	int py_minor;
	bool py_objects;		/* --pymalloc probes are on */
	const struct py_census *census; /* --objects, taken before the report */
	int64_t heap_bytes, heap_count;
	int64_t map_bytes, map_count;
	int64_t allocator_map_bytes; /* the allocator's own mappings */
	/* In map_bytes: found in /proc/PID/maps after lost events. */
	int64_t unattributed_map_bytes, unattributed_map_count;
	int64_t growth;			 /* since the previous report */
	struct report_stack *stacks;	 /* every stack with a row */
	struct report_stack **by_growth; /* growth > 0, largest first */
	size_t n_by_growth;
	struct report_stack **by_bytes; /* final report: most bytes first */
	size_t n_by_bytes;
	struct report_stack **all; /* every stack, for export */
	size_t n_all;
};

struct strpool;

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
	/* Mapping tracker resynchronisations with /proc since attach. */
	uint64_t map_resyncs;
	uint64_t min_age_ns;
	uint64_t sample_bytes; /* --sample period, 0: exact */
	const char *unwind;    /* --unwind: "dwarf" or "fp" */
	struct proc_report *procs;
	size_t n_procs;
	/* Inputs of report_build: */
	struct stack_store *stacks;
	bool all_frames; /* resolve every stack (exports), not just shown ones */
	bool with_maps;	 /* fill report_map from /proc/PID/maps */
	struct strpool *pool; /* the frames' strings */
};

/*
 * Group rows by process, rank them and resolve the frames of the stacks
 * to show (all of them with r->all_frames). Rows must outlive the report.
 */
int report_build(struct report *r, const struct snapshot *snap,
		 struct proc_table *procs, int top, bool final);
void report_free(struct report *r);

/* A copy of s owned by the report (shared by equal strings); NULL: ENOMEM. */
const char *report_intern(struct report *r, const char *s);

/*
 * Resolve one stack's frames into st (report_build does this; a test can
 * set frames by hand). 0 or -ENOMEM.
 */
int report_resolve_stack(struct report *r, struct proc_report *pr,
			 struct report_stack *st);

/* For report.c: resolve what a process's report shows; free the strings. */
int report_resolve_proc(struct report *r, struct proc_report *pr);
void report_pool_free(struct report *r);

/* "func+0x1a (file.c:12) [module]", "app.f (app.py:3)", "[allocator]". */
char *report_frame_text(const struct report_frame *f, char *buf, size_t len);

/* "func", "module+0x1234", "app.f": folded stacks and flame graphs. */
char *report_frame_short(const struct report_frame *f, char *buf, size_t len);

void report_print_text(FILE *out, const struct report *r);
void report_print_json(FILE *out, const struct report *r);

/* Names of the loss counters, as used in text and JSON. */
const char *loss_name(enum lt_counter c);

#endif
