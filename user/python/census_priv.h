/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Inside a process's census: shared by census.c and its printers. */
#ifndef LT_CENSUS_PRIV_H
#define LT_CENSUS_PRIV_H

#include "python/census.h"
#include "python/census_holders.h"
#include "python/census_rows.h"
#include "python/census_walk.h"

struct py_census {
	pid_t pid;
	int minor;
	bool usable; /* the GC state looked valid */
	struct census_gc_layout layout;
	struct census_py_layout py;
	struct census_rows rows;
	/* The last census. */
	uint64_t objects, skipped, reread, torn, types;
	uint32_t gens_incomplete;
	enum census_stop stop;
	double elapsed_ms;
	double cpu_ms; /* leaktrace's CPU for it: copy, walk, holders */
	struct census_mem_stats mem;
	struct census_holders holders; /* of the last census's growing types */
	/* Since attach. */
	uint64_t total_incomplete, total_skipped;
};

#endif
