// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Type objects of a census, read once per walk: a type is believed only
 * when its own type is PyType_Type or a metaclass (a type whose flags say
 * it subclasses type), its sizes are sane and its name is readable text.
 */
#include <stdlib.h>
#include <string.h>
#include "python/census_walk.h"
#include "lib/vec.h"

#define MAX_TYPES     (1 << 20) /* distinct type objects per walk */
#define META_DEPTH    4		/* metaclass of metaclass of ... */
#define MAX_BASICSIZE (1 << 20)
#define MAX_ITEMSIZE  (1 << 16)

static uint64_t word(const uint8_t *b, size_t off)
{
	uint64_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

static size_t hash_addr(uint64_t a, size_t cap)
{
	return (size_t)((a >> 3) * 0x9E3779B97F4A7C15ull >> 17) & (cap - 1);
}

static int grow_index(struct census_walk *w)
{
	size_t cap = w->type_index_cap ? w->type_index_cap * 2 : 256, i;
	int32_t *idx = malloc(cap * sizeof(*idx));

	if (!idx)
		return -1;
	memset(idx, 0xff, cap * sizeof(*idx));
	for (i = 0; i < w->n_types; i++) {
		size_t s = hash_addr(w->types[i].addr, cap);

		while (idx[s] >= 0)
			s = (s + 1) & (cap - 1);
		idx[s] = (int32_t)i;
	}
	free(w->type_index);
	w->type_index = idx;
	w->type_index_cap = cap;
	return 0;
}

static int find(const struct census_walk *w, uint64_t addr)
{
	size_t s;

	if (!w->type_index_cap)
		return -1;
	s = hash_addr(addr, w->type_index_cap);
	while (w->type_index[s] >= 0) {
		if (w->types[w->type_index[s]].addr == addr)
			return w->type_index[s];
		s = (s + 1) & (w->type_index_cap - 1);
	}
	return -1;
}

static struct census_type *append(struct census_walk *w, uint64_t addr)
{
	size_t s;

	if (w->n_types >= MAX_TYPES)
		return NULL;
	if (VEC_ROOM(&w->types, &w->n_types, &w->cap_types))
		return NULL;
	if (2 * (w->n_types + 1) > w->type_index_cap && grow_index(w))
		return NULL;
	s = hash_addr(addr, w->type_index_cap);
	while (w->type_index[s] >= 0)
		s = (s + 1) & (w->type_index_cap - 1);
	w->type_index[s] = (int32_t)w->n_types;
	memset(&w->types[w->n_types], 0, sizeof(w->types[0]));
	w->types[w->n_types].addr = addr;
	return &w->types[w->n_types++];
}

/* Well-formed UTF-8 (no overlong forms or surrogates checked: names are
 * printed, not decoded). */
static bool utf8_ok(const uint8_t *s)
{
	while (*s) {
		int extra = *s < 0x80		  ? 0
			    : (*s & 0xe0) == 0xc0 ? 1
			    : (*s & 0xf0) == 0xe0 ? 2
			    : (*s & 0xf8) == 0xf0 ? 3
						  : -1;

		if (extra < 0)
			return false;
		for (s++; extra; extra--, s++)
			if ((*s & 0xc0) != 0x80)
				return false;
	}
	return true;
}

/* Printable UTF-8, NUL-terminated within the bound. */
bool census_type_read_name(struct census_mem *m, uint64_t addr, char *out)
{
	size_t i;

	for (i = 0; i < CENSUS_NAME_MAX; i++) {
		uint8_t c;

		if (census_mem_read(m, addr + i, &c, 1))
			return false;
		out[i] = (char)c;
		if (!c)
			return i > 0 && utf8_ok((const uint8_t *)out);
		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return false;
}

/* Is the object at addr a type? Its type must be type or a metaclass. */
static bool is_type(struct census_mem *m, uint64_t type_type, uint64_t addr,
		    uint8_t *buf)
{
	uint8_t meta[PYTYPE_READ];
	uint64_t t;
	int depth;

	if (!addr || addr & 7 || census_mem_read(m, addr, buf, PYTYPE_READ))
		return false;
	t = word(buf, 8);
	for (depth = 0; depth < META_DEPTH; depth++) {
		if (t == type_type)
			return true;
		if (!t || t & 7 || census_mem_read(m, t, meta, PYTYPE_READ) ||
		    !(word(meta, PYTYPE_FLAGS) & TPFLAG_TYPE_SUBCLASS))
			return false;
		t = word(meta, 8);
	}
	return false;
}

static void fill(struct census_type *ct, struct census_mem *m,
		 uint64_t type_type, uint64_t addr)
{
	uint8_t buf[PYTYPE_READ];
	int64_t basic, item;
	uint64_t flags;

	if (!is_type(m, type_type, addr, buf))
		return;
	basic = (int64_t)word(buf, PYTYPE_BASICSIZE);
	item = (int64_t)word(buf, PYTYPE_ITEMSIZE);
	flags = word(buf, PYTYPE_FLAGS);
	/* Only GC types are on the lists; sizes must be sane. */
	if (!(flags & TPFLAG_HAVE_GC) || !(flags & TPFLAG_READY) ||
	    basic < 16 || basic > MAX_BASICSIZE || item < 0 ||
	    item > MAX_ITEMSIZE)
		return;
	if (!census_type_read_name(m, word(buf, PYTYPE_NAME), ct->name))
		return;
	ct->basicsize = basic;
	ct->itemsize = item;
	ct->weaklist = (int64_t)word(buf, PYTYPE_WEAKLIST);
	ct->flags = flags;
	ct->valid = true;
}

int census_type_get(struct census_walk *w, struct census_mem *m,
		    uint64_t type_type, uint64_t addr)
{
	struct census_type *ct;
	int i = find(w, addr);

	if (i >= 0)
		return w->types[i].valid ? i : -1;
	ct = append(w, addr);
	if (!ct)
		return -1;
	fill(ct, m, type_type, addr);
	return ct->valid ? (int)(ct - w->types) : -1;
}
