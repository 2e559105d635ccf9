/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Census results by type name, kept from one census to the next for
 * growth: types are merged by name as objgraph does (two classes of one
 * name are one row).
 */
#ifndef LT_CENSUS_ROWS_H
#define LT_CENSUS_ROWS_H

#include <stddef.h>
#include <stdint.h>
#include "python/census_walk.h"

struct census_row {
	char name[CENSUS_NAME_MAX];
	uint64_t count, bytes; /* at the last census */
	uint64_t prev;	       /* at the census before it */
	uint64_t attach;       /* at the first census */
	uint64_t type_addr;    /* one type object of that name, last census */
};

struct census_rows {
	struct census_row *rows;
	size_t n, cap;
	int32_t *index;
	size_t index_cap;
	unsigned censuses; /* taken so far */
};

void census_rows_free(struct census_rows *r);

/* Fold one walk's types into the rows. Returns 0 or -1 (no memory). */
int census_rows_update(struct census_rows *r, const struct census_walk *w);

static inline int64_t census_row_growth(const struct census_row *row)
{
	return (int64_t)row->count - (int64_t)row->prev;
}

static inline int64_t census_row_since_attach(const struct census_row *row)
{
	return (int64_t)row->count - (int64_t)row->attach;
}

/*
 * The rows with live objects, most growth first (then most objects, then
 * by name): at most max of them into out. Returns how many.
 */
size_t census_rows_ranked(const struct census_rows *r,
			  const struct census_row **out, size_t max);

#endif
