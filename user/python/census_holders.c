// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Holders of the growing types. One scan over the objects a census walk
 * counted: each container's references to objects of a chosen type are
 * summed per (container, type), in a bounded table, and per (container
 * type, type), exactly. The biggest containers are then named: a module
 * global (a module object's dict maps a key to them) or a class attribute
 * (a class's tp_dict does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "python/census_holders.h"
#include "python/census_refs.h"

#define PYTYPE_DICT 264 /* tp_dict, 3.8-3.13 */
#define MODULE_DICT 16	/* PyModuleObject.md_dict */
#define CLOCK_EVERY 256 /* containers between clock reads */
#define MAX_GROUPS  (1 << 14)
#define KEY_MAX	    120

struct held {	       /* one (container, type) pair */
	uint64_t addr; /* the container, 0: empty slot */
	int32_t kind;  /* its type, an index into the walk's types */
	uint32_t slot;
	uint64_t count;
	char *name;
};

struct group {	      /* (container type, held type): exact sums */
	int32_t kind; /* -1: empty */
	uint32_t slot;
	uint64_t count, holders, named_count, named_holders;
};

struct scan {
	const struct census_walk *w;
	struct census_mem *m;
	const struct census_py_layout *l;
	const struct census_holder_limits *lim;
	struct census_holders *h;
	int8_t *slot_of; /* per walk type: chosen type, or -1 */
	struct held *held;
	size_t held_cap, n_held;
	struct group *groups;
	size_t n_groups;
	uint64_t holder; /* the container being read */
	int32_t holder_kind;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static size_t hash2(uint64_t a, uint32_t b, size_t cap)
{
	return (size_t)(((a >> 3) ^ ((uint64_t)b << 40)) *
				0x9E3779B97F4A7C15ull >>
			20) &
	       (cap - 1);
}

static struct group *group_for(struct scan *s, int32_t kind, uint32_t slot)
{
	size_t i = hash2((uint64_t)kind << 3, slot, MAX_GROUPS);

	while (s->groups[i].kind >= 0) {
		if (s->groups[i].kind == kind && s->groups[i].slot == slot)
			return &s->groups[i];
		i = (i + 1) & (MAX_GROUPS - 1);
	}
	if (2 * (s->n_groups + 1) > MAX_GROUPS)
		return NULL;
	s->n_groups++;
	s->groups[i].kind = kind;
	s->groups[i].slot = slot;
	return &s->groups[i];
}

/* Count one reference in the per-container table: false when full. */
static bool count_held(struct scan *s, uint32_t slot, bool *is_new)
{
	size_t i = hash2(s->holder, slot, s->held_cap);

	while (s->held[i].addr) {
		if (s->held[i].addr == s->holder && s->held[i].slot == slot) {
			s->held[i].count++;
			*is_new = false;
			return true;
		}
		i = (i + 1) & (s->held_cap - 1);
	}
	if (s->n_held >= s->lim->max_holders)
		return false;
	s->held[i].addr = s->holder;
	s->held[i].kind = s->holder_kind;
	s->held[i].slot = slot;
	s->held[i].count = 1;
	s->n_held++;
	*is_new = true;
	return true;
}

static void note(void *ctx, uint64_t key, uint64_t value)
{
	struct scan *s = ctx;
	uint64_t refs[2] = { key, value };
	int k;

	for (k = 0; k < 2; k++) {
		const struct census_type *t;
		struct group *g;
		bool is_new = false;
		int8_t slot;

		if (!refs[k] || refs[k] & 7 || refs[k] == s->holder)
			continue;
		s->h->references++;
		t = census_walk_seen(s->w, refs[k] - 16);
		if (!t)
			continue;
		slot = s->slot_of[t - s->w->types];
		if (slot < 0)
			continue;
		g = group_for(s, s->holder_kind, (uint32_t)slot);
		if (!g) {
			s->h->unattributed++;
			continue;
		}
		g->count++;
		if (!count_held(s, (uint32_t)slot, &is_new))
			s->h->unattributed++;
		g->holders += is_new;
	}
}

static bool over_limits(struct scan *s, uint64_t start, uint64_t done)
{
	if (s->h->references >= s->lim->max_references) {
		s->h->stop = CENSUS_STEP_LIMIT;
		return true;
	}
	if (done % CLOCK_EVERY == 0 && mono_ns() - start > s->lim->max_ns) {
		s->h->stop = CENSUS_TIME_LIMIT;
		return true;
	}
	return false;
}

static void scan_all(struct scan *s)
{
	const struct census_walk *w = s->w;
	uint64_t start = mono_ns(), visited = 0;
	size_t i;

	for (i = 0; i < w->seen_cap; i++) {
		enum census_refs_result r;
		const struct census_type *t;

		if (!w->seen[i])
			continue;
		if (over_limits(s, start, visited)) {
			s->h->not_scanned = w->n_seen - visited;
			return;
		}
		visited++;
		if (w->seen_type[i] < 0)
			continue;
		t = &w->types[w->seen_type[i]];
		s->holder = w->seen[i] + 16;
		s->holder_kind = w->seen_type[i];
		r = census_refs_each(s->m, s->l, t, s->holder,
				     s->lim->max_items, note, s);
		if (r == CENSUS_REFS_NONE)
			continue;
		s->h->containers++;
		s->h->unreadable += r == CENSUS_REFS_UNREADABLE;
		s->h->truncated += r == CENSUS_REFS_TRUNCATED;
	}
}

/* ---- naming the biggest holders ---- */

struct namer {
	struct scan *s;
	struct held **cands;
	size_t n_cands;
	const char *prefix; /* "module" or "module.Class" */
	const char *want;   /* looking up one key: its text */
	uint64_t found;	    /* ... and its value */
};

static void find_key(void *ctx, uint64_t key, uint64_t value)
{
	struct namer *n = ctx;
	char text[KEY_MAX];

	if (n->found ||
	    census_refs_ascii(n->s->m, n->s->l, key, text, sizeof(text)))
		return;
	if (!strcmp(text, n->want))
		n->found = value;
}

static void name_holder(struct held *c, const char *prefix, const char *key)
{
	size_t len = strlen(prefix) + 1 + strlen(key) + 1;

	if (c->name)
		return; /* the first name found stays */
	c->name = malloc(len < HOLDER_NAME_MAX ? len : HOLDER_NAME_MAX);
	if (c->name)
		snprintf(c->name, len < HOLDER_NAME_MAX ? len : HOLDER_NAME_MAX,
			 "%s.%s", prefix, key);
}

static void match_value(void *ctx, uint64_t key, uint64_t value)
{
	struct namer *n = ctx;
	char text[KEY_MAX];
	size_t i;

	for (i = 0; i < n->n_cands; i++) {
		if (n->cands[i]->addr != value || n->cands[i]->name)
			continue;
		if (!census_refs_ascii(n->s->m, n->s->l, key, text,
				       sizeof(text)))
			name_holder(n->cands[i], n->prefix, text);
	}
}

/* The str value of key in dict, into out: 0, or -1. */
static int dict_string(struct namer *n, uint64_t dict, const char *key,
		       char *out, size_t len)
{
	n->want = key;
	n->found = 0;
	census_refs_dict(n->s->m, n->s->l, dict, n->s->lim->max_items, find_key,
			 n);
	return census_refs_ascii(n->s->m, n->s->l, n->found, out, len);
}

static void name_in_dict(struct namer *n, uint64_t dict, const char *prefix)
{
	size_t i;

	n->prefix = prefix;
	census_refs_dict(n->s->m, n->s->l, dict, n->s->lim->max_items,
			 match_value, n);
	for (i = 0; i < n->n_cands; i++)
		if (n->cands[i]->addr == dict)
			name_holder(n->cands[i], prefix, "__dict__");
}

static void name_module(struct namer *n, uint64_t obj)
{
	char mod[KEY_MAX];
	uint64_t dict;

	if (census_mem_read(n->s->m, obj + MODULE_DICT, &dict, 8) || !dict ||
	    dict_string(n, dict, "__name__", mod, sizeof(mod)))
		return;
	name_in_dict(n, dict, mod);
}

static void name_class(struct namer *n, uint64_t obj)
{
	uint8_t t[PYTYPE_DICT + 8];
	char mod[KEY_MAX], cls[CENSUS_NAME_MAX],
		prefix[KEY_MAX + CENSUS_NAME_MAX + 2];
	uint64_t dict, flags, name;

	if (census_mem_read(n->s->m, obj, t, sizeof(t)))
		return;
	memcpy(&flags, t + PYTYPE_FLAGS, 8);
	memcpy(&dict, t + PYTYPE_DICT, 8);
	memcpy(&name, t + PYTYPE_NAME, 8);
	if (!(flags & TPFLAG_HEAPTYPE) || !dict ||
	    !census_type_read_name(n->s->m, name, cls))
		return;
	if (!strchr(cls, '.') &&
	    !dict_string(n, dict, "__module__", mod, sizeof(mod)))
		snprintf(prefix, sizeof(prefix), "%s.%s", mod, cls);
	else
		snprintf(prefix, sizeof(prefix), "%s", cls);
	name_in_dict(n, dict, prefix);
}

static bool is_module_type(const struct census_type *t)
{
	return !(t->flags & TPFLAG_HEAPTYPE) && !strcmp(t->name, "module");
}

/* Modules first: a module global is the better name. */
static void name_all(struct namer *n)
{
	const struct census_walk *w = n->s->w;
	int pass;
	size_t i;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < w->seen_cap; i++) {
			const struct census_type *t;

			if (!w->seen[i] || w->seen_type[i] < 0)
				continue;
			t = &w->types[w->seen_type[i]];
			if (pass == 0 && is_module_type(t))
				name_module(n, w->seen[i] + 16);
			else if (pass == 1 && t->flags & TPFLAG_TYPE_SUBCLASS)
				name_class(n, w->seen[i] + 16);
		}
	}
}

/* ---- the summary ---- */

static int by_slot_count(const void *a, const void *b)
{
	const struct held *x = *(const struct held *const *)a;
	const struct held *y = *(const struct held *const *)b;

	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The biggest holders of each type, to be named. */
static struct held **candidates(struct scan *s, size_t *n)
{
	struct held **all = malloc((s->n_held ? s->n_held : 1) * sizeof(*all));
	size_t i, k = 0, out = 0, run = 0;

	if (!all)
		return NULL;
	for (i = 0; i < s->held_cap; i++)
		if (s->held[i].addr)
			all[k++] = &s->held[i];
	qsort(all, k, sizeof(*all), by_slot_count);
	for (i = 0; i < k; i++) {
		run = i && all[i]->slot == all[i - 1]->slot ? run + 1 : 0;
		if (run < HOLDER_NAMED)
			all[out++] = all[i];
	}
	*n = out;
	return all;
}

static int add_line(struct census_holders *h, uint32_t slot, const char *name,
		    const char *container, uint64_t count, uint64_t holders)
{
	struct census_holder *l, *grown;

	grown = realloc(h->lines, (h->n_lines + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	h->lines = grown;
	l = &h->lines[h->n_lines++];
	memset(l, 0, sizeof(*l));
	l->slot = slot;
	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->container, sizeof(l->container), "%s", container);
	l->count = count;
	l->holders = holders;
	return 0;
}

static int by_slot_then_count(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	if (x->count - x->named_count != y->count - y->named_count)
		return x->count - x->named_count > y->count - y->named_count
			       ? -1
			       : 1;
	return x->kind - y->kind;
}

/* Per held type: named holders first, then by count. */
static int by_line(const void *a, const void *b)
{
	const struct census_holder *x = a, *y = b;

	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	if (!x->name[0] != !y->name[0])
		return x->name[0] ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Named holders, then per held type the biggest unnamed groups. */
static int summarise(struct scan *s, struct held **cands, size_t n_cands)
{
	struct census_holders *h = s->h;
	struct group *g = s->groups;
	size_t i, k = 0, run = 0;

	for (i = 0; i < n_cands; i++) {
		struct group *grp;

		if (!cands[i]->name)
			continue;
		grp = group_for(s, cands[i]->kind, cands[i]->slot);
		if (grp) {
			grp->named_count += cands[i]->count;
			grp->named_holders++;
		}
		if (add_line(h, cands[i]->slot, cands[i]->name,
			     s->w->types[cands[i]->kind].name, cands[i]->count,
			     1))
			return -1;
	}
	for (i = 0; i < MAX_GROUPS; i++)
		if (g[i].kind >= 0 && g[i].count > g[i].named_count)
			g[k++] = g[i];
	qsort(g, k, sizeof(*g), by_slot_then_count);
	for (i = 0; i < k; i++) {
		run = i && g[i].slot == g[i - 1].slot ? run + 1 : 0;
		if (run >= HOLDER_GROUPS)
			continue;
		if (add_line(h, g[i].slot, "", s->w->types[g[i].kind].name,
			     g[i].count - g[i].named_count,
			     g[i].holders - g[i].named_holders))
			return -1;
	}
	if (h->n_lines)
		qsort(h->lines, h->n_lines, sizeof(*h->lines), by_line);
	return 0;
}

static int choose(struct scan *s, const char *const *types, size_t n)
{
	const struct census_walk *w = s->w;
	size_t i, k;

	s->slot_of = malloc((w->n_types ? w->n_types : 1) * sizeof(int8_t));
	if (!s->slot_of)
		return -1;
	memset(s->slot_of, 0xff, w->n_types ? w->n_types : 1);
	for (k = 0; k < n; k++)
		snprintf(s->h->types[k], CENSUS_NAME_MAX, "%s", types[k]);
	s->h->n_types = n;
	for (i = 0; i < w->n_types; i++)
		for (k = 0; w->types[i].valid && k < n; k++)
			if (!strcmp(w->types[i].name, types[k]))
				s->slot_of[i] = (int8_t)k;
	return 0;
}

static int tables(struct scan *s)
{
	size_t i;

	s->held_cap = 1;
	while (s->held_cap < 2 * s->lim->max_holders)
		s->held_cap <<= 1;
	s->held = calloc(s->held_cap, sizeof(*s->held));
	s->groups = calloc(MAX_GROUPS, sizeof(*s->groups));
	if (!s->held || !s->groups)
		return -1;
	for (i = 0; i < MAX_GROUPS; i++)
		s->groups[i].kind = -1;
	return 0;
}

static void scan_free(struct scan *s)
{
	size_t i;

	for (i = 0; s->held && i < s->held_cap; i++)
		if (s->held[i].name)
			free(s->held[i].name);
	free(s->held);
	free(s->groups);
	free(s->slot_of);
}

int census_holders_find(struct census_holders *h, const struct census_walk *w,
			struct census_mem *m, const struct census_py_layout *l,
			const char *const *types, size_t n_types,
			const struct census_holder_limits *lim)
{
	struct scan s = { .w = w, .m = m, .l = l, .lim = lim, .h = h };
	struct namer nm = { .s = &s };
	uint64_t start = mono_ns();
	int err = -1;

	memset(h, 0, sizeof(*h));
	if (n_types > HOLDER_TYPES)
		n_types = HOLDER_TYPES;
	if (choose(&s, types, n_types) || tables(&s))
		goto out;
	if (n_types)
		scan_all(&s);
	nm.cands = candidates(&s, &nm.n_cands);
	if (!nm.cands)
		goto out;
	if (nm.n_cands)
		name_all(&nm);
	err = summarise(&s, nm.cands, nm.n_cands);
	free(nm.cands);
out:
	h->elapsed_ns = mono_ns() - start;
	scan_free(&s);
	return err;
}

void census_holders_free(struct census_holders *h)
{
	free(h->lines);
	memset(h, 0, sizeof(*h));
}
