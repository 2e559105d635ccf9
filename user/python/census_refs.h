/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The references a container holds, read from the local copy of a
 * process's heap: list and tuple items, dict keys and values (every
 * layout 3.8-3.13), set members, a cell's content, and the attributes of
 * class instances (slots, instance dict pointer, 3.11/3.12 values arrays,
 * 3.13 inline values). Every length and pointer comes from target memory:
 * bounded and checked, never trusted.
 */
#ifndef LT_CENSUS_REFS_H
#define LT_CENSUS_REFS_H

#include <stdint.h>
#include "python/census_holders.h"

/* dict keys + values, other containers: key 0. */
typedef void (*census_ref_fn)(void *ctx, uint64_t key, uint64_t value);

enum census_refs_result {
	CENSUS_REFS_OK = 0,
	CENSUS_REFS_TRUNCATED = 1,   /* more than max_items: the first read */
	CENSUS_REFS_UNREADABLE = -1, /* fields insane or items not readable */
	CENSUS_REFS_NONE = -2,	     /* not a container we read */
};

/* The object at obj of type t: each reference it holds, to fn. */
enum census_refs_result census_refs_each(struct census_mem *m,
					 const struct census_py_layout *l,
					 const struct census_type *t,
					 uint64_t obj, uint64_t max_items,
					 census_ref_fn fn, void *ctx);

/* The dict at dict: each (key, value) pair. */
enum census_refs_result census_refs_dict(struct census_mem *m,
					 const struct census_py_layout *l,
					 uint64_t dict, uint64_t max_items,
					 census_ref_fn fn, void *ctx);

/* A str object's text when it is compact ASCII of at most len - 1 bytes:
 * 0, or -1. */
int census_refs_ascii(struct census_mem *m, const struct census_py_layout *l,
		      uint64_t str, char *out, size_t len);

#endif
