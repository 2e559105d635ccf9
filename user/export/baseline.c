// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The growth baseline: outstanding bytes per (process, stack) at one report. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "export/baseline.h"

static int cmp_base(const void *a, const void *b)
{
	const struct base_row *x = a, *y = b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return x->stack_id < y->stack_id ? -1 : x->stack_id > y->stack_id;
}

int baseline_take(struct baseline *b, const struct report *r)
{
	size_t i, j, n = 0;

	for (i = 0; i < r->n_procs; i++)
		n += r->procs[i].n_all;
	free(b->rows);
	b->rows = calloc(n + 1, sizeof(*b->rows));
	b->n = 0;
	if (!b->rows)
		return -ENOMEM;
	for (i = 0; i < r->n_procs; i++)
		for (j = 0; j < r->procs[i].n_all; j++) {
			const struct stack_row *row = r->procs[i].all[j]->row;

			b->rows[b->n].tgid = row->tgid;
			b->rows[b->n].stack_id = row->stack_id;
			b->rows[b->n++].bytes = row_bytes(row);
		}
	qsort(b->rows, b->n, sizeof(*b->rows), cmp_base);
	b->taken = true;
	b->at_s = r->elapsed_s;
	return 0;
}

int64_t baseline_bytes(const struct baseline *b, uint32_t tgid,
		       uint64_t stack_id)
{
	struct base_row key = { .tgid = tgid, .stack_id = stack_id };
	const struct base_row *hit;

	if (!b->n)
		return 0;
	hit = bsearch(&key, b->rows, b->n, sizeof(*b->rows), cmp_base);
	return hit ? hit->bytes : 0;
}

void baseline_free(struct baseline *b)
{
	free(b->rows);
	memset(b, 0, sizeof(*b));
}
