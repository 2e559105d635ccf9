/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Command line. */
#ifndef LT_CLI_H
#define LT_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "unwind/unwind_procs.h"

#define LT_MAX_PIDS   64
#define LT_MAX_LABELS 32

/* --max-stacks: a stack takes about 1.6 KB of kernel memory. */
#define LT_MAX_STACKS_LIMIT (1L << 22)

struct options {
	pid_t pids[LT_MAX_PIDS];
	int n_pids;
	const char *command; /* -c: run this under tracing */
	uint64_t interval_ns;
	long count; /* reports before exiting, 0: until stopped */
	int top;
	uint64_t min_size;
	uint64_t max_size;
	uint64_t min_age_ns;
	uint64_t sample_bytes; /* --sample: mean bytes between samples */
	const char *lib;       /* allocator library to probe instead of libc */
	const char *symbol_prefix;
	bool no_placement; /* probe allocator functions at their entry */
	bool no_sessions;  /* classic uprobes even if sessions exist */
	/* --max-stacks: size of the kernel's stack map, 0: the default */
	long max_stacks;
	const char *folded;
	bool pymalloc;	    /* probe PyObject_Malloc & co too */
	bool objects;	    /* --objects: census of Python objects */
	bool file_mappings; /* count file-backed mappings too */
	bool json;
	const char *output; /* -o: reports go here instead of stdout */
	FILE *report_out;   /* stdout or -o's file, set by cli_check_options */
	enum unwind_mode unwind; /* --unwind: dwarf (default) or fp */
	int verbose;
	/* Exports, rewritten or pushed at every report. */
	const char *svg;	/* flame graph of outstanding bytes */
	const char *svg_growth; /* flame graph coloured by growth */
	uint64_t baseline_ns;	/* growth baseline: first report after this */
	bool baseline_set;
	const char *pprof;
	const char *pyroscope; /* server URL */
	const char *app_name;
	const char *labels[LT_MAX_LABELS]; /* "key=value" */
	int n_labels;
};

/* Exit codes besides 0. */
#define LT_EXIT_USAGE	2
#define LT_EXIT_FAILURE 1

/*
 * Parse argv into o. Returns 0 to go on, or an exit status (after printing
 * help, the version, or one error line): 0 for --help/--version is returned
 * as -1 so callers can tell "stop, success" from "go on".
 */
int parse_options(int argc, char **argv, struct options *o);

#endif
