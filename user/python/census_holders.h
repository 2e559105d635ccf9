/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Who holds the growing objects: after a census walk, the referents of
 * every container it saw (list, tuple, dict, set, cell, the attributes of
 * class instances: slots, instance dicts and inline values) are read in
 * the same local copy of the heap; references to objects of the chosen
 * types are summed per holding container. The biggest holders are named
 * by the module global or class attribute that maps to them.
 */
#ifndef LT_CENSUS_HOLDERS_H
#define LT_CENSUS_HOLDERS_H

#include <stdint.h>
#include "python/census_walk.h"

#define HOLDER_TYPES	10 /* types whose holders are looked for */
#define HOLDER_NAMED	5  /* biggest holders per type given a name */
#define HOLDER_GROUPS	3  /* unnamed holders: lines per type */
#define HOLDER_NAME_MAX 256

/* What differs between versions (offsets verified with gdb). */
struct census_py_layout {
	int minor;	      /* 3.minor */
	uint64_t str_type;    /* &PyUnicode_Type, to check key strings */
	uint32_t ascii_data;  /* sizeof(PyASCIIObject) */
	uint32_t cached_keys; /* PyHeapTypeObject.ht_cached_keys */
};

/* One line of the summary. */
struct census_holder {
	uint32_t slot;			 /* index into the chosen types */
	char name[HOLDER_NAME_MAX];	 /* "" when nothing names it */
	char container[CENSUS_NAME_MAX]; /* the holder's type */
	uint64_t count;			 /* references to that type */
	uint64_t holders;		 /* containers summed in the line */
};

/* Why the scan stopped early (CENSUS_DONE: it did not). */
struct census_holders {
	char types[HOLDER_TYPES][CENSUS_NAME_MAX];
	size_t n_types;
	struct census_holder *lines;
	size_t n_lines;
	uint64_t containers;   /* scanned */
	uint64_t references;   /* referents checked */
	uint64_t unreadable;   /* containers whose items could not be read */
	uint64_t truncated;    /* containers with more items than scanned */
	uint64_t not_scanned;  /* left when a limit stopped the scan */
	uint64_t unattributed; /* references past the holder table's bound */
	enum census_stop stop;
	uint64_t elapsed_ns;
};

struct census_holder_limits {
	uint64_t max_references; /* referents checked in one scan */
	uint64_t max_ns;
	uint64_t max_items;   /* items read from one container */
	uint64_t max_holders; /* distinct (holder, type) pairs counted */
};

/*
 * Look for the holders of the objects whose type name is one of types
 * (at most HOLDER_TYPES), among the objects w counted. Results in h
 * (freed by census_holders_free). Returns 0, or -1 when out of memory.
 */
int census_holders_find(struct census_holders *h, const struct census_walk *w,
			struct census_mem *m, const struct census_py_layout *l,
			const char *const *types, size_t n_types,
			const struct census_holder_limits *lim);
void census_holders_free(struct census_holders *h);

#endif
