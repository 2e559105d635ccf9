// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Following the GC lists in the local copy. A node is a PyGC_Head
 * (_gc_next, _gc_prev with two flag bits) followed by the object
 * (refcount, ob_type, ob_size for variable-sized ones): one 40-byte read.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "python/census_walk.h"

#define NODE_READ   40 /* PyGC_Head + refcount + ob_type + ob_size */
#define CLOCK_EVERY 4096
#define NEXT_FLAGS  1ull /* NEXT_MASK_UNREACHABLE, set while collecting */
#define PREV_FLAGS  3ull
/*
 * An object already counted comes up again when lists moved while we read
 * them (a collection appends a younger list to an older one): skip it. A
 * long run of them is a loop that does not pass the sentinel.
 */
#define MAX_REPEATS 1024
/*
 * Objects made while the walk runs sit in chunks copied before them: the
 * link to one is new, its bytes in the copy are old (a free block). Such a
 * node is read again from the process, one system call each, at most
 * this many per walk.
 */
#define MAX_REREADS 4096

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void census_walk_init(struct census_walk *w)
{
	memset(w, 0, sizeof(*w));
}

void census_walk_free(struct census_walk *w)
{
	free(w->types);
	free(w->type_index);
	free(w->seen);
	free(w->seen_type);
	memset(w, 0, sizeof(*w));
}

const char *census_stop_name(enum census_stop s)
{
	static const char *const names[] = {
		[CENSUS_DONE] = "complete",
		[CENSUS_BAD_HEAD] = "a list head is not readable",
		[CENSUS_BAD_LINK] = "a link led out of readable memory",
		[CENSUS_CYCLE] = "a list looped (it moved while read)",
		[CENSUS_STEP_LIMIT] = "object limit reached",
		[CENSUS_TIME_LIMIT] = "time limit reached",
		[CENSUS_CHANGED] = "the list changed while read",
		[CENSUS_NO_MEMORY] = "out of memory",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static size_t hash_node(uint64_t a, size_t cap)
{
	return (size_t)((a >> 4) * 0x9E3779B97F4A7C15ull >> 19) & (cap - 1);
}

static int grow_seen(struct census_walk *w)
{
	size_t cap = w->seen_cap ? w->seen_cap * 2 : 1 << 14, i;
	uint64_t *keys = calloc(cap, sizeof(*keys));
	int32_t *vals = malloc(cap * sizeof(*vals));

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -1;
	}
	for (i = 0; i < w->seen_cap; i++) {
		size_t s;

		if (!w->seen[i])
			continue;
		s = hash_node(w->seen[i], cap);
		while (keys[s])
			s = (s + 1) & (cap - 1);
		keys[s] = w->seen[i];
		vals[s] = w->seen_type[i];
	}
	free(w->seen);
	free(w->seen_type);
	w->seen = keys;
	w->seen_type = vals;
	w->seen_cap = cap;
	return 0;
}

/* 1: added, 0: seen before, -1: no memory. Node addresses are never 0. */
static int remember(struct census_walk *w, uint64_t node, int32_t type)
{
	size_t s;

	if (2 * (w->n_seen + 1) > w->seen_cap && grow_seen(w))
		return -1;
	s = hash_node(node, w->seen_cap);
	while (w->seen[s]) {
		if (w->seen[s] == node)
			return 0;
		s = (s + 1) & (w->seen_cap - 1);
	}
	w->seen[s] = node;
	w->seen_type[s] = type;
	w->n_seen++;
	return 1;
}

const struct census_type *census_walk_seen(const struct census_walk *w,
					   uint64_t node)
{
	size_t s;

	if (!w->seen_cap || !node)
		return NULL;
	s = hash_node(node, w->seen_cap);
	while (w->seen[s]) {
		if (w->seen[s] == node)
			return w->seen_type[s] >= 0 ? &w->types[w->seen_type[s]]
						    : NULL;
		s = (s + 1) & (w->seen_cap - 1);
	}
	return NULL;
}

static void count(struct census_type *t, const uint64_t *n)
{
	int64_t size = (int64_t)n[4];

	t->count++;
	t->bytes += (uint64_t)t->basicsize;
	if (!t->itemsize)
		return;
	if (size < 0)
		size = -size;
	/* A torn ob_size must not make one object weigh gigabytes. */
	if (size > (1 << 28) / t->itemsize)
		size = (1 << 28) / t->itemsize;
	t->bytes += (uint64_t)(size * t->itemsize);
}

struct walk_ctx {
	struct census_walk *w;
	struct census_mem *m;
	const struct census_gc_layout *l;
	const struct census_limits *lim;
	uint64_t start_ns, steps, rereads;
};

static bool over_limits(struct walk_ctx *c, enum census_stop *why)
{
	if (c->steps >= c->lim->max_objects) {
		*why = CENSUS_STEP_LIMIT;
		return true;
	}
	if (c->steps % CLOCK_EVERY == 0 &&
	    mono_ns() - c->start_ns > c->lim->max_ns) {
		*why = CENSUS_TIME_LIMIT;
		return true;
	}
	return false;
}

/* The type of the node in n, reading it again when the copy looks stale. */
static int node_type(struct walk_ctx *c, uint64_t node, uint64_t *n)
{
	struct census_walk *w = c->w;
	int type = census_type_get(w, c->m, c->l->type_type, n[3]);
	uint64_t fresh[NODE_READ / 8];

	if (type >= 0 || c->rereads >= MAX_REREADS)
		return type;
	c->rereads++;
	if (census_mem_read_fresh(c->m, node, fresh, NODE_READ))
		return type;
	type = census_type_get(w, c->m, c->l->type_type, fresh[3]);
	if (type >= 0) {
		/* Its type and size as they are now; links as walked. */
		n[3] = fresh[3];
		n[4] = fresh[4];
		w->reread++;
	}
	return type;
}

/* One list, from its sentinel back to it: CENSUS_DONE or why it stopped. */
static enum census_stop walk_list(struct walk_ctx *c, uint64_t head)
{
	struct census_walk *w = c->w;
	uint64_t n[5], prev = head, node, repeats = 0;
	enum census_stop why;

	if (!head || head & 7 || census_mem_read(c->m, head, n, 16))
		return CENSUS_BAD_HEAD;
	node = n[0] & ~NEXT_FLAGS;
	while (node != head) {
		int type, added;

		if (over_limits(c, &why))
			return why;
		c->steps++;
		if (!node || node & 7 ||
		    census_mem_read(c->m, node, n, NODE_READ))
			return CENSUS_BAD_LINK;
		if ((n[1] & ~PREV_FLAGS) != prev)
			w->torn++;
		type = node_type(c, node, n);
		added = remember(w, node, type);
		if (added < 0)
			return CENSUS_NO_MEMORY;
		if (!added) {
			w->torn++;
			if (++repeats > MAX_REPEATS)
				return CENSUS_CYCLE;
		} else {
			repeats = 0;
			if (type < 0) {
				w->skipped++;
			} else {
				count(&w->types[type], n);
				w->objects++;
			}
		}
		prev = node;
		node = n[0] & ~NEXT_FLAGS;
	}
	return CENSUS_DONE;
}

int census_walk_run(struct census_walk *w, struct census_mem *m,
		    const struct census_gc_layout *l,
		    const struct census_limits *lim)
{
	struct walk_ctx c = { w, m, l, lim, mono_ns(), 0, 0 };
	int g;

	for (g = 0; g < CENSUS_GENS; g++) {
		uint64_t torn = w->torn;
		enum census_stop why;

		if (!l->heads[g])
			continue;
		why = walk_list(&c, l->heads[g]);
		/* Torn links: we may have left the list and come back to a
		 * head early, missing part of it. Counted, not trusted. */
		if (why == CENSUS_DONE && w->torn != torn)
			why = CENSUS_CHANGED;
		if (why == CENSUS_DONE)
			continue;
		w->gens_incomplete++;
		if (w->stop == CENSUS_DONE)
			w->stop = why;
		if (why == CENSUS_STEP_LIMIT || why == CENSUS_TIME_LIMIT ||
		    why == CENSUS_NO_MEMORY)
			break;
	}
	w->elapsed_ns = mono_ns() - c.start_ns;
	return 0;
}
