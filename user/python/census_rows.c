// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "python/census_rows.h"
#include "lib/vec.h"

#define MAX_ROWS (1 << 20)

static size_t hash_name(const char *s, size_t cap)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 1099511628211ull;
	return (size_t)h & (cap - 1);
}

void census_rows_free(struct census_rows *r)
{
	free(r->rows);
	free(r->index);
	memset(r, 0, sizeof(*r));
}

static int reindex(struct census_rows *r, size_t cap)
{
	int32_t *idx = malloc(cap * sizeof(*idx));
	size_t i;

	if (!idx)
		return -1;
	memset(idx, 0xff, cap * sizeof(*idx));
	for (i = 0; i < r->n; i++) {
		size_t s = hash_name(r->rows[i].name, cap);

		while (idx[s] >= 0)
			s = (s + 1) & (cap - 1);
		idx[s] = (int32_t)i;
	}
	free(r->index);
	r->index = idx;
	r->index_cap = cap;
	return 0;
}

static struct census_row *row_for(struct census_rows *r, const char *name)
{
	struct census_row *row;
	size_t s;

	if (r->index_cap) {
		for (s = hash_name(name, r->index_cap); r->index[s] >= 0;
		     s = (s + 1) & (r->index_cap - 1))
			if (!strcmp(r->rows[r->index[s]].name, name))
				return &r->rows[r->index[s]];
	}
	if (r->n >= MAX_ROWS)
		return NULL;
	if (VEC_ROOM(&r->rows, &r->n, &r->cap))
		return NULL;
	if (2 * (r->n + 1) > r->index_cap &&
	    reindex(r, r->index_cap ? 2 * r->index_cap : 512))
		return NULL;
	row = &r->rows[r->n];
	memset(row, 0, sizeof(*row));
	snprintf(row->name, sizeof(row->name), "%s", name);
	for (s = hash_name(name, r->index_cap); r->index[s] >= 0;
	     s = (s + 1) & (r->index_cap - 1))
		;
	r->index[s] = (int32_t)r->n++;
	return row;
}

int census_rows_update(struct census_rows *r, const struct census_walk *w)
{
	size_t i;
	int err = 0;

	for (i = 0; i < r->n; i++) {
		r->rows[i].prev = r->rows[i].count;
		r->rows[i].count = r->rows[i].bytes = 0;
	}
	for (i = 0; i < w->n_types; i++) {
		const struct census_type *t = &w->types[i];
		struct census_row *row;

		if (!t->valid || !t->count)
			continue;
		row = row_for(r, t->name);
		if (!row) {
			err = -1;
			continue;
		}
		row->count += t->count;
		row->bytes += t->bytes;
		row->type_addr = t->addr;
	}
	/* The first census is the baseline: no growth yet. */
	for (i = 0; !r->censuses && i < r->n; i++)
		r->rows[i].prev = r->rows[i].attach = r->rows[i].count;
	r->censuses++;
	return err;
}

static int by_growth(const void *a, const void *b)
{
	const struct census_row *x = *(const struct census_row *const *)a;
	const struct census_row *y = *(const struct census_row *const *)b;
	int64_t gx = census_row_growth(x), gy = census_row_growth(y);

	if (gx != gy)
		return gx > gy ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->name, y->name);
}

size_t census_rows_ranked(const struct census_rows *r,
			  const struct census_row **out, size_t max)
{
	const struct census_row **all;
	size_t i, n = 0;

	if (!max || !r->n)
		return 0;
	all = malloc(r->n * sizeof(*all));
	if (!all)
		return 0;
	for (i = 0; i < r->n; i++)
		if (r->rows[i].count)
			all[n++] = &r->rows[i];
	qsort(all, n, sizeof(*all), by_growth);
	if (n > max)
		n = max;
	memcpy(out, all, n * sizeof(*out));
	free(all);
	return n;
}
