// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Referents of containers, per CPython version. Layouts verified with gdb
 * on the pyenv builds 3.8-3.13 (see the shared notes):
 *   list: ob_size +16, ob_item +24, allocated +32; tuple: items at +24;
 *   set: mask +32, table +40 ({key, hash}, 16 bytes); cell: ob_ref +16;
 *   dict: ma_keys +32, ma_values +40.
 */
#include <string.h>
#include "python/census_refs.h"

#define TPFLAG_INLINE_VALUES  (1ull << 2) /* 3.13 */
#define TPFLAG_MANAGED_DICT   (1ull << 4) /* 3.11+ */
#define TPFLAG_LIST_SUBCLASS  (1ull << 25)
#define TPFLAG_TUPLE_SUBCLASS (1ull << 26)
#define TPFLAG_DICT_SUBCLASS  (1ull << 29)
#define LIST_SIZE	      40   /* sizeof(PyListObject) */
#define DICT_SIZE	      48   /* sizeof(PyDictObject) */
#define MAX_BODY	      4096 /* bytes of an instance scanned as slots */
#define MAX_DICT_LOG2	      30
#define BLOCK_WORDS	      384 /* words read from the copy at a time */
#define MAX_STR		      (1 << 20)

static uint64_t word(const void *b, size_t off)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)b + off, sizeof(v));
	return v;
}

/*
 * n entries of stride bytes at addr; from each, the words at key_off and
 * value_off (key_off < 0: no key).
 */
static int each_entry(struct census_mem *m, uint64_t addr, uint64_t n,
		      size_t stride, int key_off, size_t value_off,
		      census_ref_fn fn, void *ctx)
{
	uint64_t buf[BLOCK_WORDS];
	size_t per = sizeof(buf) / stride;

	while (n) {
		size_t k = n < per ? (size_t)n : per, i;

		if (census_mem_read(m, addr, buf, k * stride))
			return -1;
		for (i = 0; i < k; i++) {
			const uint8_t *e = (const uint8_t *)buf + i * stride;
			uint64_t v = word(e, value_off);
			uint64_t key =
				key_off < 0 ? 0 : word(e, (size_t)key_off);

			if (v || key)
				fn(ctx, key, v);
		}
		addr += k * stride;
		n -= k;
	}
	return 0;
}

static enum census_refs_result words(struct census_mem *m, uint64_t addr,
				     uint64_t n, uint64_t max, census_ref_fn fn,
				     void *ctx)
{
	bool cut = n > max;

	if (each_entry(m, addr, cut ? max : n, 8, -1, 0, fn, ctx))
		return CENSUS_REFS_UNREADABLE;
	return cut ? CENSUS_REFS_TRUNCATED : CENSUS_REFS_OK;
}

/* Where a dict's entries are: per version. */
struct dict_shape {
	uint64_t entries, n;
	size_t stride, key_off, value_off;
};

static int shape_before_311(const uint64_t *k, uint64_t keys,
			    struct dict_shape *s)
{
	uint64_t size = k[1], width;

	if (size < 8 || size > (1ull << MAX_DICT_LOG2) || size & (size - 1) ||
	    k[4] > size)
		return -1;
	width = size <= 0xff ? 1 : size <= 0xffff ? 2 : 4;
	s->entries = keys + 40 + size * width;
	s->n = k[4];
	s->stride = 24;
	s->key_off = 8;
	s->value_off = 16;
	return 0;
}

static int shape_from_311(const uint64_t *k, uint64_t keys,
			  struct dict_shape *s)
{
	const uint8_t *b = (const uint8_t *)k;
	unsigned log2_size = b[8], log2_index = b[9], kind = b[10];

	if (log2_size < 3 || log2_size > MAX_DICT_LOG2 ||
	    log2_index < log2_size || log2_index > log2_size + 3 || kind > 2 ||
	    k[3] > (1ull << log2_size))
		return -1;
	s->entries = keys + 32 + (1ull << log2_index);
	s->n = k[3];
	s->stride = kind ? 16 : 24;
	s->key_off = kind ? 0 : 8;
	s->value_off = kind ? 8 : 16;
	return 0;
}

/* A split dict's values: where they are, or 0 to skip them. */
static uint64_t split_values(struct census_mem *m, int minor, uint64_t values)
{
	uint8_t head[8];

	if (values & 7)
		return 0;
	if (minor < 13)
		return values;
	/* 3.13: {capacity, size, embedded, valid}, then the values. Values
	 * embedded in an instance are read as that instance's. */
	if (census_mem_read(m, values, head, sizeof(head)) || head[2])
		return 0;
	return values + 8;
}

enum census_refs_result census_refs_dict(struct census_mem *m,
					 const struct census_py_layout *l,
					 uint64_t dict, uint64_t max_items,
					 census_ref_fn fn, void *ctx)
{
	uint64_t d[DICT_SIZE / 8], k[5], n, vals;
	struct dict_shape s;
	bool cut;
	int err;

	if (census_mem_read(m, dict, d, sizeof(d)) || !d[4] || d[4] & 7 ||
	    census_mem_read(m, d[4], k, sizeof(k)))
		return CENSUS_REFS_UNREADABLE;
	/* Empty dicts share one keys object of size 1 (3.8-3.10) or
	 * log2 size 0 (3.11+): nothing in it to read. */
	if (!(l->minor < 11 ? k[4] : k[3]))
		return CENSUS_REFS_OK;
	err = l->minor < 11 ? shape_before_311(k, d[4], &s)
			    : shape_from_311(k, d[4], &s);
	if (err)
		return CENSUS_REFS_UNREADABLE;
	cut = s.n > max_items;
	n = cut ? max_items : s.n;
	if (!d[5]) {
		err = each_entry(m, s.entries, n, s.stride, (int)s.key_off,
				 s.value_off, fn, ctx);
	} else {
		/* Split: keys in the shared table, values beside. Only the
		 * values can hold objects other than str. */
		vals = split_values(m, l->minor, d[5]);
		err = vals ? each_entry(m, vals, n, 8, -1, 0, fn, ctx) : 0;
	}
	if (err)
		return CENSUS_REFS_UNREADABLE;
	return cut ? CENSUS_REFS_TRUNCATED : CENSUS_REFS_OK;
}

static enum census_refs_result list_refs(struct census_mem *m, uint64_t obj,
					 uint64_t max, census_ref_fn fn,
					 void *ctx)
{
	uint64_t o[LIST_SIZE / 8];
	int64_t size, allocated;

	if (census_mem_read(m, obj, o, sizeof(o)))
		return CENSUS_REFS_UNREADABLE;
	size = (int64_t)o[2];
	allocated = (int64_t)o[4];
	if (size < 0 || size > allocated || (size && (!o[3] || o[3] & 7)))
		return CENSUS_REFS_UNREADABLE;
	return words(m, o[3], (uint64_t)size, max, fn, ctx);
}

static enum census_refs_result tuple_refs(struct census_mem *m, uint64_t obj,
					  uint64_t max, census_ref_fn fn,
					  void *ctx)
{
	uint64_t o[3];

	if (census_mem_read(m, obj, o, sizeof(o)) || (int64_t)o[2] < 0)
		return CENSUS_REFS_UNREADABLE;
	return words(m, obj + 24, o[2], max, fn, ctx);
}

static enum census_refs_result set_refs(struct census_mem *m, uint64_t obj,
					uint64_t max, census_ref_fn fn,
					void *ctx)
{
	uint64_t o[6], slots;
	bool cut;

	if (census_mem_read(m, obj, o, sizeof(o)))
		return CENSUS_REFS_UNREADABLE;
	slots = o[4] + 1;
	if (!o[4] || slots > (1ull << MAX_DICT_LOG2) || slots & (slots - 1) ||
	    !o[5] || o[5] & 7)
		return CENSUS_REFS_UNREADABLE;
	cut = slots > max;
	if (each_entry(m, o[5], cut ? max : slots, 16, -1, 0, fn, ctx))
		return CENSUS_REFS_UNREADABLE;
	return cut ? CENSUS_REFS_TRUNCATED : CENSUS_REFS_OK;
}

/* Entries of a heap type's shared keys (3.11/3.12 values arrays). */
static int64_t cached_entries(struct census_mem *m,
			      const struct census_py_layout *l, uint64_t type)
{
	uint64_t keys, n;

	if (!l->cached_keys ||
	    census_mem_read(m, type + l->cached_keys, &keys, 8) || !keys ||
	    keys & 7 || census_mem_read(m, keys + 24, &n, 8) || n > 255)
		return -1;
	return (int64_t)n;
}

/* 3.11+: the dict pointer (and values) before the object. */
static enum census_refs_result managed_refs(struct census_mem *m,
					    const struct census_py_layout *l,
					    const struct census_type *t,
					    uint64_t obj, uint64_t max,
					    census_ref_fn fn, void *ctx)
{
	uint64_t pre[2], values = 0; /* obj - 32: values (3.11), dict */
	int64_t n = -1;
	uint8_t head[8];

	if (census_mem_read(m, obj - 32, pre, sizeof(pre)))
		return CENSUS_REFS_UNREADABLE;
	if (l->minor == 12 && pre[1] & 1) {
		values = pre[1] + 1; /* tagged: a values array, not a dict */
		pre[1] = 0;
	} else if (l->minor == 11) {
		values = pre[0];
	}
	if (pre[1])
		fn(ctx, 0, pre[1]);
	if (l->minor >= 13 && t->flags & TPFLAG_INLINE_VALUES) {
		values = obj + (uint64_t)t->basicsize;
		if (census_mem_read(m, values, head, sizeof(head)))
			return CENSUS_REFS_UNREADABLE;
		if (!head[3]) /* not valid: the dict holds them */
			return CENSUS_REFS_OK;
		n = head[0];
		values += 8;
	} else if (values) {
		n = cached_entries(m, l, t->addr);
	}
	if (!values)
		return CENSUS_REFS_OK;
	if (n < 0 || values & 7)
		return CENSUS_REFS_UNREADABLE;
	return words(m, values, (uint64_t)n, max, fn, ctx);
}

/*
 * A class instance: the words of its body past what its C base lays out
 * (slots, and the dict pointer before 3.11), but not its weakref list.
 */
static enum census_refs_result body_refs(struct census_mem *m,
					 const struct census_type *t,
					 uint64_t obj, uint64_t from,
					 census_ref_fn fn, void *ctx)
{
	uint64_t body[MAX_BODY / 8], end = (uint64_t)t->basicsize, i;
	uint64_t weak = (uint64_t)t->weaklist;

	if (t->itemsize || end <= from)
		return CENSUS_REFS_OK; /* var-sized: slots after the items */
	if (end > MAX_BODY)
		end = MAX_BODY;
	if (census_mem_read(m, obj, body, (size_t)end))
		return CENSUS_REFS_UNREADABLE;
	for (i = from / 8; i < end / 8; i++)
		if (body[i] && i * 8 != weak)
			fn(ctx, 0, body[i]);
	return (uint64_t)t->basicsize > end ? CENSUS_REFS_TRUNCATED
					    : CENSUS_REFS_OK;
}

static bool builtin_named(const struct census_type *t, const char *name)
{
	return !(t->flags & TPFLAG_HEAPTYPE) && !strcmp(t->name, name);
}

static enum census_refs_result worse(enum census_refs_result a,
				     enum census_refs_result b)
{
	if (a == CENSUS_REFS_UNREADABLE || b == CENSUS_REFS_UNREADABLE)
		return CENSUS_REFS_UNREADABLE;
	return a == CENSUS_REFS_TRUNCATED ? a : b;
}

static enum census_refs_result
base_refs(struct census_mem *m, const struct census_py_layout *l,
	  const struct census_type *t, uint64_t obj, uint64_t max,
	  census_ref_fn fn, void *ctx, uint64_t *body_from)
{
	uint64_t cell;

	*body_from = 16;
	if (t->flags & TPFLAG_LIST_SUBCLASS) {
		*body_from = LIST_SIZE;
		return list_refs(m, obj, max, fn, ctx);
	}
	if (t->flags & TPFLAG_DICT_SUBCLASS) {
		*body_from = DICT_SIZE;
		return census_refs_dict(m, l, obj, max, fn, ctx);
	}
	if (t->flags & TPFLAG_TUPLE_SUBCLASS)
		return tuple_refs(m, obj, max, fn, ctx);
	if (builtin_named(t, "set") || builtin_named(t, "frozenset"))
		return set_refs(m, obj, max, fn, ctx);
	if (builtin_named(t, "cell")) {
		if (census_mem_read(m, obj + 16, &cell, 8))
			return CENSUS_REFS_UNREADABLE;
		if (cell)
			fn(ctx, 0, cell);
		return CENSUS_REFS_OK;
	}
	return CENSUS_REFS_NONE;
}

enum census_refs_result census_refs_each(struct census_mem *m,
					 const struct census_py_layout *l,
					 const struct census_type *t,
					 uint64_t obj, uint64_t max_items,
					 census_ref_fn fn, void *ctx)
{
	enum census_refs_result r;
	uint64_t from;

	r = base_refs(m, l, t, obj, max_items, fn, ctx, &from);
	if (!(t->flags & TPFLAG_HEAPTYPE))
		return r;
	/* A class: its own attributes too, whatever its base. */
	if (r == CENSUS_REFS_NONE)
		r = CENSUS_REFS_OK;
	r = worse(r, body_refs(m, t, obj, from, fn, ctx));
	if (l->minor >= 11 && t->flags & TPFLAG_MANAGED_DICT)
		r = worse(r, managed_refs(m, l, t, obj, max_items, fn, ctx));
	return r;
}

int census_refs_ascii(struct census_mem *m, const struct census_py_layout *l,
		      uint64_t str, char *out, size_t len)
{
	uint64_t head[5]; /* refcount, type, length, hash, state */
	uint64_t n;
	size_t i;

	if (!str || str & 7 || census_mem_read(m, str, head, sizeof(head)) ||
	    head[1] != l->str_type)
		return -1;
	n = head[2];
	/* state: compact (bit 5) and ascii (bit 6). */
	if ((head[4] & 0x60) != 0x60 || n >= len || n > MAX_STR ||
	    census_mem_read(m, str + l->ascii_data, out, (size_t)n))
		return -1;
	out[n] = 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 ||
		    (unsigned char)out[i] > 0x7e)
			return -1;
	return 0;
}
