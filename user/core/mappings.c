/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Outstanding mapped bytes per (process, stack).
 *
 * Each process keeps its live ranges as non-overlapping records in a treap
 * (a binary search tree ordered by start address, heap-ordered by a random
 * priority), so lookups, inserts and range removals take O(log n) expected
 * time however the addresses arrive. A sorted array would pay a memmove of
 * the whole array for every mapping placed below the others, which is what
 * the kernel's top-down mmap layout does all the time. Processes are kept
 * in an array sorted by tgid.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/mappings.h"
#include "lib/vec.h"

/* One live range [start, end) and who mapped it when. */
struct mrec {
	uint64_t start;
	uint64_t end;
	uint64_t stack_id;
	uint64_t ts_ns;
	uint32_t prio;
	struct mrec *left;
	struct mrec *right;
};

struct mproc {
	uint32_t tgid;
	size_t nrecs;
	struct mrec *root;
};

struct mtrack {
	struct mproc *procs; /* sorted by tgid */
	size_t nprocs;
	size_t cap;
	uint32_t rng; /* xorshift state for treap priorities */
};

/* ---- Treap primitives ---------------------------------------------- */

static uint32_t next_prio(struct mtrack *t)
{
	uint32_t x = t->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	t->rng = x;
	return x;
}

/* Split by start address: *lo gets starts below key, *hi the rest. */
static void treap_split(struct mrec *n, uint64_t key, struct mrec **lo,
			struct mrec **hi)
{
	if (!n) {
		*lo = NULL;
		*hi = NULL;
	} else if (n->start < key) {
		treap_split(n->right, key, &n->right, hi);
		*lo = n;
	} else {
		treap_split(n->left, key, lo, &n->left);
		*hi = n;
	}
}

/* Join two treaps where every start in lo is below every start in hi. */
static struct mrec *treap_merge(struct mrec *lo, struct mrec *hi)
{
	if (!lo)
		return hi;
	if (!hi)
		return lo;
	if (lo->prio > hi->prio) {
		lo->right = treap_merge(lo->right, hi);
		return lo;
	}
	hi->left = treap_merge(lo, hi->left);
	return hi;
}

static struct mrec *treap_last(struct mrec *n)
{
	while (n && n->right)
		n = n->right;
	return n;
}

/* Free a subtree; returns how many records it held. */
static size_t treap_free(struct mrec *n)
{
	size_t count = 0;

	while (n) {
		struct mrec *right = n->right;

		count += treap_free(n->left) + 1;
		free(n);
		n = right;
	}
	return count;
}

/* The lowest record ending above addr (ends ascend like starts). */
static struct mrec *treap_first_ending_after(struct mrec *n, uint64_t addr)
{
	struct mrec *found = NULL;

	while (n) {
		if (n->end > addr) {
			found = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return found;
}

static struct mrec *new_record(struct mtrack *t, uint64_t start, uint64_t end,
			       uint64_t stack_id, uint64_t ts_ns)
{
	struct mrec *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->start = start;
	r->end = end;
	r->stack_id = stack_id;
	r->ts_ns = ts_ns;
	r->prio = next_prio(t);
	return r;
}

/* ---- Processes ----------------------------------------------------- */

/* Index of tgid in t->procs, or where it would be inserted. */
static size_t proc_index(const struct mtrack *t, uint32_t tgid)
{
	size_t lo = 0, hi = t->nprocs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->procs[mid].tgid < tgid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct mproc *find_proc(const struct mtrack *t, uint32_t tgid)
{
	size_t i = proc_index(t, tgid);

	if (i < t->nprocs && t->procs[i].tgid == tgid)
		return &t->procs[i];
	return NULL;
}

static struct mproc *find_or_add_proc(struct mtrack *t, uint32_t tgid)
{
	size_t i = proc_index(t, tgid);

	if (i < t->nprocs && t->procs[i].tgid == tgid)
		return &t->procs[i];
	if (VEC_ROOM(&t->procs, &t->nprocs, &t->cap))
		return NULL;
	memmove(&t->procs[i + 1], &t->procs[i],
		(t->nprocs - i) * sizeof(*t->procs));
	t->nprocs++;
	t->procs[i] = (struct mproc){ .tgid = tgid };
	return &t->procs[i];
}

/* ---- Range operations on one process ------------------------------- */

/* The exclusive end of [addr, addr+len), clamped at the top of memory. */
static uint64_t range_end(uint64_t addr, uint64_t len)
{
	uint64_t end;

	if (__builtin_add_overflow(addr, len, &end))
		return UINT64_MAX;
	return end;
}

/*
 * The last record of lo starts below a and may reach past it: keep its
 * head, and when it also reaches past b move its tail into *hi (nothing
 * in *hi can start before that record ends, so the tail goes first).
 */
static void cut_straddler_at_start(struct mtrack *t, struct mproc *p,
				   struct mrec *lo, struct mrec **hi,
				   uint64_t a, uint64_t b)
{
	struct mrec *last = treap_last(lo);
	struct mrec *tail;

	if (!last || last->end <= a)
		return;
	if (last->end > b) {
		tail = new_record(t, b, last->end, last->stack_id, last->ts_ns);
		/* Without memory the tail is lost: under-report, not crash. */
		if (tail) {
			*hi = treap_merge(tail, *hi);
			p->nrecs++;
		}
	}
	last->end = a;
}

/* Remove [a, b) from p: drop covered records, trim or split cut ones. */
static void unmap_range(struct mtrack *t, struct mproc *p, uint64_t a,
			uint64_t b)
{
	struct mrec *lo, *mid, *hi, *last;

	if (a >= b)
		return;
	treap_split(p->root, a, &lo, &hi);
	cut_straddler_at_start(t, p, lo, &hi, a, b);
	treap_split(hi, b, &mid, &hi);
	/* mid holds records starting in [a, b); its last may run past b. */
	last = treap_last(mid);
	if (last && last->end > b) {
		struct mrec *keep;

		treap_split(mid, last->start, &mid, &keep);
		keep->start = b;
		hi = treap_merge(keep, hi);
	}
	p->nrecs -= treap_free(mid);
	p->root = treap_merge(lo, hi);
}

/* Add [a, b), which must not overlap any record of p. */
static void insert_range(struct mtrack *t, struct mproc *p, uint64_t a,
			 uint64_t b, uint64_t stack_id, uint64_t ts_ns)
{
	struct mrec *lo, *hi, *r;

	r = new_record(t, a, b, stack_id, ts_ns);
	if (!r)
		return;
	treap_split(p->root, a, &lo, &hi);
	p->root = treap_merge(treap_merge(lo, r), hi);
	p->nrecs++;
}

static void map_range(struct mtrack *t, struct mproc *p, uint64_t a, uint64_t b,
		      uint64_t stack_id, uint64_t ts_ns)
{
	if (a >= b)
		return;
	unmap_range(t, p, a, b);
	insert_range(t, p, a, b, stack_id, ts_ns);
}

/* ---- Public API ---------------------------------------------------- */

struct mtrack *mtrack_new(void)
{
	struct mtrack *t = calloc(1, sizeof(*t));

	if (t)
		t->rng = 0x9e3779b9; /* any non-zero seed */
	return t;
}

void mtrack_free(struct mtrack *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nprocs; i++)
		treap_free(t->procs[i].root);
	free(t->procs);
	free(t);
}

void mtrack_map(struct mtrack *t, uint32_t tgid, uint64_t addr, uint64_t len,
		uint64_t stack_id, uint64_t ts_ns)
{
	struct mproc *p;

	if (len == 0)
		return;
	p = find_or_add_proc(t, tgid);
	if (p)
		map_range(t, p, addr, range_end(addr, len), stack_id, ts_ns);
}

void mtrack_unmap(struct mtrack *t, uint32_t tgid, uint64_t addr, uint64_t len)
{
	struct mproc *p = find_proc(t, tgid);

	if (p)
		unmap_range(t, p, addr, range_end(addr, len));
}

bool mtrack_remap(struct mtrack *t, uint32_t tgid, uint64_t old_addr,
		  uint64_t old_len, uint64_t new_addr, uint64_t new_len)
{
	struct mproc *p = find_proc(t, tgid);
	uint64_t old_end = range_end(old_addr, old_len);
	uint64_t stack_id, ts_ns;
	struct mrec *hit;

	if (!p)
		return false;
	hit = treap_first_ending_after(p->root, old_addr);
	if (!hit)
		return false;
	/* old_len 0 duplicates a shared mapping: only old_addr must hit. */
	if (old_len ? hit->start >= old_end : hit->start > old_addr)
		return false;
	stack_id = hit->stack_id;
	ts_ns = hit->ts_ns;
	unmap_range(t, p, old_addr, old_end);
	map_range(t, p, new_addr, range_end(new_addr, new_len), stack_id,
		  ts_ns);
	return true;
}

void mtrack_brk(struct mtrack *t, uint32_t tgid, uint64_t old_brk,
		uint64_t new_brk, uint64_t stack_id, uint64_t ts_ns)
{
	if (new_brk > old_brk)
		mtrack_map(t, tgid, old_brk, new_brk - old_brk, stack_id,
			   ts_ns);
	else if (new_brk < old_brk)
		mtrack_unmap(t, tgid, new_brk, old_brk - new_brk);
}

void mtrack_drop_process(struct mtrack *t, uint32_t tgid)
{
	size_t i = proc_index(t, tgid);

	if (i >= t->nprocs || t->procs[i].tgid != tgid)
		return;
	treap_free(t->procs[i].root);
	memmove(&t->procs[i], &t->procs[i + 1],
		(t->nprocs - i - 1) * sizeof(*t->procs));
	t->nprocs--;
}

void mtrack_reserve(struct mtrack *t, uint32_t tgid, uint64_t addr,
		    uint64_t len)
{
	mtrack_map(t, tgid, addr, len, MTRACK_RESERVED, 0);
}

/* Insert a copy of every record of n into p, uncounted. */
static void copy_uncounted(struct mtrack *t, struct mproc *p,
			   const struct mrec *n)
{
	while (n) {
		copy_uncounted(t, p, n->left);
		insert_range(t, p, n->start, n->end, MTRACK_RESERVED, 0);
		n = n->right;
	}
}

void mtrack_fork(struct mtrack *t, uint32_t parent, uint32_t child)
{
	struct mproc *c, *p;

	mtrack_drop_process(t, child); /* a reused pid's leftovers */
	if (!find_proc(t, parent))
		return;
	c = find_or_add_proc(t, child);
	/* find_or_add_proc may move the array: look the parent up again. */
	p = find_proc(t, parent);
	if (c && p)
		copy_uncounted(t, c, p->root);
}

long mtrack_tgids(const struct mtrack *t, uint32_t **out)
{
	size_t i;

	*out = NULL;
	if (!t->nprocs)
		return 0;
	*out = calloc(t->nprocs, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < t->nprocs; i++)
		(*out)[i] = t->procs[i].tgid;
	return (long)t->nprocs;
}

/* ---- Resynchronisation --------------------------------------------- */

/* The records of a process in address order, and the new ones made. */
struct resync {
	struct mtrack *t;
	struct mrec **old;
	size_t n_old, next;	     /* next: first old record not yet passed */
	struct mrec *root;	     /* the new treap */
	struct mrec *last;	     /* its highest record */
	const struct mrec *last_src; /* the old record last was cut from */
	size_t nrecs;
	uint64_t fill_stack;
	int64_t kept;	/* counted bytes kept from old records */
	int64_t filled; /* counted bytes added */
	bool nomem;
};

static bool is_counted(uint64_t stack_id)
{
	return stack_id != MTRACK_RESERVED;
}

static void flatten(struct mrec *n, struct mrec **out, size_t *i)
{
	while (n) {
		flatten(n->left, out, i);
		out[(*i)++] = n;
		n = n->right;
	}
}

/*
 * Append [a, b) to the new treap. A piece of the record the previous one
 * came from (src), or more filler right after filler, extends it: one
 * mapping split by mprotect stays one record.
 */
static void resync_emit(struct resync *r, uint64_t a, uint64_t b,
			uint64_t stack_id, uint64_t ts_ns,
			const struct mrec *src)
{
	struct mrec *n;

	if (r->last && r->last->end == a && r->last_src == src &&
	    r->last->stack_id == stack_id) {
		r->last->end = b;
		return;
	}
	n = new_record(r->t, a, b, stack_id, ts_ns);
	if (!n) {
		r->nomem = true;
		return;
	}
	r->root = treap_merge(r->root, n);
	r->last = n;
	r->last_src = src;
	r->nrecs++;
}

static void fill(struct resync *r, uint64_t a, uint64_t b, bool counts)
{
	uint64_t stack_id = counts ? r->fill_stack : MTRACK_RESERVED;

	if (a >= b)
		return;
	if (is_counted(stack_id))
		r->filled += (int64_t)(b - a);
	resync_emit(r, a, b, stack_id, 0, NULL);
}

/* Keep what old records hold of one live range; fill what they do not. */
static void resync_range(struct resync *r, const struct mrange *l)
{
	uint64_t pos = l->start;
	size_t i;

	while (r->next < r->n_old && r->old[r->next]->end <= l->start)
		r->next++;
	for (i = r->next; i < r->n_old && r->old[i]->start < l->end; i++) {
		const struct mrec *o = r->old[i];
		uint64_t a = o->start > pos ? o->start : pos;
		uint64_t b = o->end < l->end ? o->end : l->end;

		fill(r, pos, a, l->counts);
		resync_emit(r, a, b, o->stack_id, o->ts_ns, o);
		if (is_counted(o->stack_id))
			r->kept += (int64_t)(b - a);
		pos = b;
	}
	fill(r, pos, l->end, l->counts);
}

static int64_t counted_bytes(struct mrec *const *recs, size_t n)
{
	int64_t sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (is_counted(recs[i]->stack_id))
			sum += (int64_t)(recs[i]->end - recs[i]->start);
	return sum;
}

static int resync_proc(struct mtrack *t, struct mproc *p,
		       const struct mrange *live, size_t n, uint64_t fill_stack,
		       struct mresync *out)
{
	struct resync r = { .t = t, .fill_stack = fill_stack };
	size_t i = 0;

	r.old = calloc(p->nrecs + 1, sizeof(*r.old));
	if (!r.old)
		return -ENOMEM;
	flatten(p->root, r.old, &i);
	r.n_old = i;
	for (i = 0; i < n && !r.nomem; i++)
		if (live[i].start < live[i].end)
			resync_range(&r, &live[i]);
	if (r.nomem) {
		treap_free(r.root);
		free(r.old);
		return -ENOMEM;
	}
	out->dropped_bytes = counted_bytes(r.old, r.n_old) - r.kept;
	out->filled_bytes = r.filled;
	treap_free(p->root);
	p->root = r.root;
	p->nrecs = r.nrecs;
	free(r.old);
	return 0;
}

int mtrack_resync(struct mtrack *t, uint32_t tgid, const struct mrange *live,
		  size_t n, uint64_t fill_stack, struct mresync *out)
{
	struct mproc *p = find_or_add_proc(t, tgid);

	*out = (struct mresync){ 0 };
	if (!p)
		return -ENOMEM;
	return resync_proc(t, p, live, n, fill_stack, out);
}

/* ---- Statistics ---------------------------------------------------- */

struct stats_cursor {
	struct mstat *out;
	size_t n;
	uint32_t tgid;
	uint64_t max_ts_ns;
};

/* One mstat per qualifying record, in address order. */
static void collect_records(const struct mrec *n, struct stats_cursor *c)
{
	while (n) {
		collect_records(n->left, c);
		if (n->ts_ns <= c->max_ts_ns && is_counted(n->stack_id)) {
			c->out[c->n++] = (struct mstat){
				.tgid = c->tgid,
				.stack_id = n->stack_id,
				.bytes = (int64_t)(n->end - n->start),
				.count = 1,
			};
		}
		n = n->right;
	}
}

static int cmp_stack_id(const void *a, const void *b)
{
	const struct mstat *x = a, *y = b;

	return (x->stack_id > y->stack_id) - (x->stack_id < y->stack_id);
}

/* Sort stats[0..n) by stack and fold equal stacks; returns the new n. */
static size_t merge_by_stack(struct mstat *stats, size_t n)
{
	size_t i, out = 0;

	qsort(stats, n, sizeof(*stats), cmp_stack_id);
	for (i = 0; i < n; i++) {
		if (out > 0 && stats[out - 1].stack_id == stats[i].stack_id) {
			stats[out - 1].bytes += stats[i].bytes;
			stats[out - 1].count += stats[i].count;
		} else {
			stats[out++] = stats[i];
		}
	}
	return out;
}

long mtrack_stats(const struct mtrack *t, uint64_t max_ts_ns,
		  struct mstat **out)
{
	struct stats_cursor c = { .max_ts_ns = max_ts_ns };
	size_t i, total = 0;

	*out = NULL;
	for (i = 0; i < t->nprocs; i++)
		total += t->procs[i].nrecs;
	if (total == 0)
		return 0;
	c.out = calloc(total, sizeof(*c.out));
	if (!c.out)
		return -ENOMEM;
	/* Processes are in tgid order, so each one's block stays in order. */
	for (i = 0; i < t->nprocs; i++) {
		size_t first = c.n;

		c.tgid = t->procs[i].tgid;
		collect_records(t->procs[i].root, &c);
		c.n = first + merge_by_stack(c.out + first, c.n - first);
	}
	if (c.n == 0) {
		free(c.out);
		return 0;
	}
	*out = c.out;
	return (long)c.n;
}
