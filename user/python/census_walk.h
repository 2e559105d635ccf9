/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One census: the interpreter's GC generation lists walked in a local copy
 * of the process's memory, live objects counted by type. The lists change
 * while they are read: every node is checked, the walk is bounded in steps
 * and time, and what could not be walked is counted, never guessed.
 */
#ifndef LT_CENSUS_WALK_H
#define LT_CENSUS_WALK_H

#include <stdbool.h>
#include <stdint.h>
#include "python/census_mem.h"

#define CENSUS_NAME_MAX 128
#define CENSUS_GENS	4 /* three generations and the permanent one */

/* PyTypeObject fields and flags (the same 3.8-3.13, checked with gdb). */
#define PYTYPE_NAME	     24
#define PYTYPE_BASICSIZE     32
#define PYTYPE_ITEMSIZE	     40
#define PYTYPE_FLAGS	     168
#define PYTYPE_WEAKLIST	     208 /* tp_weaklistoffset */
#define PYTYPE_READ	     216 /* bytes of a type object we read */
#define TPFLAG_HEAPTYPE	     (1ull << 9)
#define TPFLAG_READY	     (1ull << 12)
#define TPFLAG_HAVE_GC	     (1ull << 14)
#define TPFLAG_TYPE_SUBCLASS (1ull << 31)

/* Where the lists are; found per version by census.c. */
struct census_gc_layout {
	uint64_t heads[CENSUS_GENS]; /* addresses of the PyGC_Head sentinels */
	uint64_t type_type;	     /* &PyType_Type */
};

struct census_limits {
	uint64_t max_objects; /* nodes visited before giving up */
	uint64_t max_ns;      /* time for one walk */
};

struct census_type {
	uint64_t addr; /* the type object */
	bool valid;
	char name[CENSUS_NAME_MAX];
	int64_t basicsize, itemsize, weaklist;
	uint64_t flags;
	uint64_t count, bytes;
};

/* Why a walk stopped early. */
enum census_stop {
	CENSUS_DONE,
	CENSUS_BAD_HEAD,   /* a list head is not readable */
	CENSUS_BAD_LINK,   /* a node pointer led out of readable memory */
	CENSUS_CYCLE,	   /* a node seen before (lists moved under us) */
	CENSUS_STEP_LIMIT, /* max_objects reached */
	CENSUS_TIME_LIMIT,
	CENSUS_CHANGED, /* back links did not match: the list moved */
	CENSUS_NO_MEMORY,
};

struct census_walk {
	struct census_type *types;
	size_t n_types, cap_types;
	int32_t *type_index; /* open addressing over types */
	size_t type_index_cap;
	/* Every object counted: node address -> index in types. */
	uint64_t *seen;
	int32_t *seen_type;
	size_t seen_cap, n_seen;
	uint64_t objects; /* counted */
	uint64_t skipped; /* on the lists, but no valid type */
	uint64_t reread;  /* counted after a fresh read of a stale copy */
	uint64_t torn;	  /* back link did not match: list changed */
	uint32_t gens_incomplete; /* lists we could not finish */
	enum census_stop stop;	  /* the first reason a list stopped early */
	uint64_t elapsed_ns;
};

void census_walk_init(struct census_walk *w);
void census_walk_free(struct census_walk *w);

/* Walk all lists. Returns 0 (w->gens_incomplete says whether complete). */
int census_walk_run(struct census_walk *w, struct census_mem *m,
		    const struct census_gc_layout *l,
		    const struct census_limits *lim);

/* The type recorded for the object whose PyGC_Head is at node, or NULL. */
const struct census_type *census_walk_seen(const struct census_walk *w,
					   uint64_t node);

/* Validate and name the type object at addr (cached): index, or -1. */
int census_type_get(struct census_walk *w, struct census_mem *m,
		    uint64_t type_type, uint64_t addr);

/* A type's tp_name at addr into out (CENSUS_NAME_MAX): printable UTF-8,
 * NUL-terminated within the bound, or false. */
bool census_type_read_name(struct census_mem *m, uint64_t addr, char *out);

const char *census_stop_name(enum census_stop s);

#endif
