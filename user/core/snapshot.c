// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "leaktrace.h"
#include "core/snapshot.h"

static int cmp_key(uint32_t at, uint64_t as, uint32_t bt, uint64_t bs)
{
	if (at != bt)
		return at < bt ? -1 : 1;
	if (as != bs)
		return as < bs ? -1 : 1;
	return 0;
}

static int cmp_raw(const void *a, const void *b)
{
	const struct raw_stat *x = a, *y = b;

	return cmp_key(x->tgid, x->stack_id, y->tgid, y->stack_id);
}

static void merge_heap(struct stack_row *rows, size_t *n, struct raw_stat *heap,
		       size_t n_heap, uint32_t epoch_limit)
{
	size_t i;

	if (n_heap) /* heap may be NULL then, which qsort does not allow */
		qsort(heap, n_heap, sizeof(*heap), cmp_raw);
	for (i = 0; i < n_heap; i++) {
		struct stack_row *last = *n ? &rows[*n - 1] : NULL;

		if (heap[i].epoch >= epoch_limit)
			continue;
		if (!last || cmp_key(last->tgid, last->stack_id, heap[i].tgid,
				     heap[i].stack_id)) {
			last = &rows[(*n)++];
			memset(last, 0, sizeof(*last));
			last->tgid = heap[i].tgid;
			last->stack_id = heap[i].stack_id;
		}
		last->heap_bytes += heap[i].bytes;
		last->heap_count += heap[i].count;
	}
}

/* Both inputs sorted: a merge join into a new array. */
static struct stack_row *merge_maps(const struct stack_row *rows, size_t n,
				    const struct mstat *maps, size_t n_maps,
				    size_t *n_out)
{
	struct stack_row *out = calloc(n + n_maps + 1, sizeof(*out));
	size_t i = 0, j = 0, k = 0;

	if (!out)
		return NULL;
	while (i < n || j < n_maps) {
		int c = i == n	      ? 1
			: j == n_maps ? -1
				      : cmp_key(rows[i].tgid, rows[i].stack_id,
						maps[j].tgid, maps[j].stack_id);

		if (c <= 0)
			out[k] = rows[i++];
		if (c >= 0) {
			out[k].tgid = maps[j].tgid;
			out[k].stack_id = maps[j].stack_id;
			out[k].map_bytes = maps[j].bytes;
			out[k].map_count = maps[j].count;
			j++;
		}
		k++;
	}
	*n_out = k;
	return out;
}

static const struct stack_row *find_row(const struct snapshot *s, uint32_t tgid,
					uint64_t stack_id)
{
	size_t lo = 0, hi = s ? s->n : 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = cmp_key(s->rows[mid].tgid, s->rows[mid].stack_id, tgid,
				stack_id);

		if (!c)
			return &s->rows[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static bool row_empty(const struct stack_row *r)
{
	return !r->heap_bytes && !r->heap_count && !r->map_bytes &&
	       !r->map_count;
}

/* Growth and trend against the previous report; drop rows long empty. */
static size_t apply_history(struct stack_row *rows, size_t n,
			    const struct snapshot *prev)
{
	size_t i, kept = 0;

	for (i = 0; i < n; i++) {
		struct stack_row *r = &rows[i];
		const struct stack_row *p =
			find_row(prev, r->tgid, r->stack_id);

		if (row_empty(r) && (!p || row_empty(p)))
			continue;
		r->growth = row_bytes(r) - (p ? row_bytes(p) : 0);
		r->trend_bits =
			((p ? p->trend_bits : 0) << 1) | (r->growth > 0);
		r->reports = p ? p->reports + 1 : 1;
		if (r->reports > 32)
			r->reports = 32;
		rows[kept++] = *r;
	}
	return kept;
}

int snapshot_build(struct snapshot *out, struct raw_stat *heap, size_t n_heap,
		   uint32_t epoch_limit, const struct mstat *maps,
		   size_t n_maps, const struct snapshot *prev)
{
	struct stack_row *rows = calloc(n_heap + 1, sizeof(*rows));
	size_t n = 0;

	if (!rows)
		return -ENOMEM;
	merge_heap(rows, &n, heap, n_heap, epoch_limit);
	out->rows = merge_maps(rows, n, maps, n_maps, &out->n);
	free(rows);
	if (!out->rows)
		return -ENOMEM;
	out->n = apply_history(out->rows, out->n, prev);
	return 0;
}

int row_trend(const struct stack_row *r, int *window)
{
	int w = r->reports < LT_TREND_WINDOW ? r->reports : LT_TREND_WINDOW;
	uint32_t mask = w >= 32 ? ~0U : (1U << w) - 1;

	*window = w;
	return __builtin_popcount(r->trend_bits & mask);
}

void snapshot_free(struct snapshot *s)
{
	free(s->rows);
	s->rows = NULL;
	s->n = 0;
}
