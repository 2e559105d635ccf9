// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "leaktrace.h"
#include "core/snapshot.h"

#define BATCH 4096

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

static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
	void *p;
	size_t cap2 = *cap ? *cap : 256;

	if (need <= *cap)
		return 0;
	while (cap2 < need)
		cap2 *= 2;
	p = realloc(*arr, cap2 * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = cap2;
	return 0;
}

static void add_raw(struct raw_stat *r, const struct lt_stat_key *k,
		    const struct lt_stat *v)
{
	r->tgid = k->tgid;
	r->epoch = k->epoch;
	r->stack_id = k->stack_id;
	r->bytes = v->bytes;
	r->count = v->count;
}

/* Pre-5.6 kernels have no batch operations: walk keys one by one. */
static int read_heap_by_key(int fd, struct raw_stat **out, size_t *n,
			    size_t *cap)
{
	struct lt_stat_key key, next, *prev = NULL;
	struct lt_stat val;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		if (grow((void **)out, cap, *n + 1, sizeof(**out)))
			return -ENOMEM;
		add_raw(&(*out)[(*n)++], &key, &val);
	}
	return 0;
}

int snapshot_read_heap(int fd, struct raw_stat **out, size_t *n)
{
	static struct lt_stat_key keys[BATCH];
	static struct lt_stat vals[BATCH];
	struct lt_stat_key in_batch, out_batch;
	size_t cap = 0;
	bool first = true;
	int err;

	*out = NULL;
	*n = 0;
	for (;;) {
		__u32 count = BATCH, i;

		err = bpf_map_lookup_batch(fd, first ? NULL : &in_batch,
					   &out_batch, keys, vals, &count,
					   NULL);
		if (err && errno != ENOENT) {
			if (first && (errno == EINVAL || errno == ENOTSUP))
				return read_heap_by_key(fd, out, n, &cap);
			return -errno;
		}
		if (grow((void **)out, &cap, *n + count, sizeof(**out)))
			return -ENOMEM;
		for (i = 0; i < count; i++)
			add_raw(&(*out)[(*n)++], &keys[i], &vals[i]);
		if (err) /* ENOENT: that was the last batch */
			return 0;
		in_batch = out_batch;
		first = false;
	}
}

static void merge_heap(struct stack_row *rows, size_t *n, struct raw_stat *heap,
		       size_t n_heap, uint32_t epoch_limit)
{
	size_t i;

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
