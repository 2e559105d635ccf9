// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Holders of objects over fake process images (3.11 dict layout): a
 * module global list, a class attribute dict and an unnamed tuple named
 * and counted exactly; broken containers counted as unreadable or cut
 * short; the reference limit stops the scan and says how much was left.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "python/census_holders.h"
#include "census_image.h"

#define ASCII_DATA 48 /* 3.11 */

struct fixture {
	struct image im;
	uint64_t type_type, str_type, head;
	uint64_t list_t, dict_t, tuple_t, module_t, item_t;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->im.mem = calloc(1, IMG_SIZE);
	f->type_type =
		image_type(&f->im, 0, "type", 880, 40, TPFLAG_TYPE_SUBCLASS);
	f->str_type = image_type(&f->im, f->type_type, "str", 48, 1, 0);
	f->list_t = image_type(&f->im, f->type_type, "list", 40, 0, 1ull << 25);
	f->dict_t = image_type(&f->im, f->type_type, "dict", 48, 0, 1ull << 29);
	f->tuple_t =
		image_type(&f->im, f->type_type, "tuple", 24, 8, 1ull << 26);
	f->module_t = image_type(&f->im, f->type_type, "module", 72, 0, 0);
	f->item_t = image_type(&f->im, f->type_type, "GitManager", 16, 0,
			       TPFLAG_HEAPTYPE);
	f->head = image_head(&f->im);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->im.mem);
	free(f);
	return 0;
}

static uint64_t str(struct fixture *f, const char *s)
{
	size_t n = strlen(s);
	uint64_t a = image_alloc(&f->im, ASCII_DATA + n + 1);

	put64(&f->im, a + 8, f->str_type);
	put64(&f->im, a + 16, n);
	put64(&f->im, a + 32, 0x60 | 1 << 2); /* compact, ascii, 1 byte */
	memcpy(f->im.mem + (a + ASCII_DATA - IMG_BASE), s, n + 1);
	return a;
}

static uint64_t obj_of(uint64_t node)
{
	return node + 16;
}

static uint64_t item(struct fixture *f)
{
	return obj_of(image_object(&f->im, f->head, f->item_t, 0));
}

static uint64_t list_of(struct fixture *f, const uint64_t *items, size_t n,
			int64_t allocated)
{
	uint64_t l = obj_of(
		image_object_body(&f->im, f->head, f->list_t, (int64_t)n, 40));
	uint64_t arr = image_alloc(&f->im, 8 * (n ? n : 1));
	size_t i;

	for (i = 0; i < n; i++)
		put64(&f->im, arr + 8 * i, items[i]);
	put64(&f->im, l + 24, arr);
	put64(&f->im, l + 32, (uint64_t)allocated);
	return l;
}

/* A 3.11 unicode-keyed dict of n (key, value) pairs, n <= 5. */
static uint64_t dict_of(struct fixture *f, const char *const *keys,
			const uint64_t *values, size_t n)
{
	uint64_t d =
		obj_of(image_object_body(&f->im, f->head, f->dict_t, 0, 48));
	uint64_t k = image_alloc(&f->im, 32 + 8 + 16 * 8);
	size_t i;

	f->im.mem[k + 8 - IMG_BASE] = 3;  /* log2 size */
	f->im.mem[k + 9 - IMG_BASE] = 3;  /* log2 index bytes */
	f->im.mem[k + 10 - IMG_BASE] = 1; /* unicode keys */
	put64(&f->im, k + 24, n);
	for (i = 0; i < n; i++) {
		put64(&f->im, k + 40 + 16 * i, str(f, keys[i]));
		put64(&f->im, k + 40 + 16 * i + 8, values[i]);
	}
	put64(&f->im, d + 16, n);
	put64(&f->im, d + 32, k);
	return d;
}

static void find(struct fixture *f, struct census_holders *h, uint64_t max_refs)
{
	struct census_gc_layout l = { .type_type = f->type_type };
	struct census_limits lim = { 1 << 20, 5000000000ull };
	struct census_py_layout py = { 11, f->str_type, ASCII_DATA, 0 };
	struct census_holder_limits hl = { max_refs, 5000000000ull, 1000,
					   1 << 10 };
	const char *types[] = { "GitManager" };
	struct census_mem *m = image_mem(&f->im, 1 << 20);
	struct census_walk w;
	int g;

	for (g = 0; g < CENSUS_GENS; g++)
		l.heads[g] = g ? 0 : f->head;
	census_walk_init(&w);
	assert_int_equal(census_walk_run(&w, m, &l, &lim), 0);
	assert_int_equal(census_holders_find(h, &w, m, &py, types, 1, &hl), 0);
	census_walk_free(&w);
	census_mem_free(m);
}

static const struct census_holder *line(const struct census_holders *h,
					const char *name, const char *cont)
{
	size_t i;

	for (i = 0; i < h->n_lines; i++)
		if (!strcmp(h->lines[i].name, name) &&
		    !strcmp(h->lines[i].container, cont))
			return &h->lines[i];
	return NULL;
}

static void test_named_holders(void **state)
{
	struct fixture *f = *state;
	uint64_t a[3] = { item(f), item(f), item(f) }, b[2] = { item(f) };
	const char *mkeys[] = { "__name__", "registry" };
	const char *ckeys[] = { "__module__", "cache" };
	const char *bkeys[] = { "x", "y" };
	uint64_t reg = list_of(f, a, 3, 4), cache, cls, mod, tup;
	uint64_t mvals[2], cvals[2];
	struct census_holders h;
	const struct census_holder *l;

	b[1] = item(f);
	cache = dict_of(f, bkeys, b, 2);
	mvals[0] = str(f, "app");
	mvals[1] = reg;
	cvals[0] = str(f, "app");
	cvals[1] = cache;
	/* The class Reg: a heap type whose tp_dict maps cache. */
	cls = obj_of(image_object_body(&f->im, f->head, f->type_type, 0,
				       IMG_TYPE_SIZE));
	put64(&f->im, cls + PYTYPE_NAME, str(f, "Reg") + ASCII_DATA);
	put64(&f->im, cls + PYTYPE_FLAGS, TPFLAG_HEAPTYPE | TPFLAG_READY);
	put64(&f->im, cls + 264, dict_of(f, ckeys, cvals, 2));
	mod = obj_of(image_object_body(&f->im, f->head, f->module_t, 0, 72));
	put64(&f->im, mod + 16, dict_of(f, mkeys, mvals, 2));
	tup = obj_of(image_object_body(&f->im, f->head, f->tuple_t, 1, 32));
	put64(&f->im, tup + 24, a[0]);

	find(f, &h, 1 << 20);
	assert_int_equal(h.stop, CENSUS_DONE);
	l = line(&h, "app.registry", "list");
	assert_non_null(l);
	assert_int_equal(l->count, 3);
	l = line(&h, "app.Reg.cache", "dict");
	assert_non_null(l);
	assert_int_equal(l->count, 2);
	l = line(&h, "", "tuple");
	assert_non_null(l);
	assert_int_equal(l->count, 1);
	assert_int_equal(l->holders, 1);
	assert_int_equal(h.unreadable, 0);
	census_holders_free(&h);
}

static void test_broken_containers_counted(void **state)
{
	struct fixture *f = *state;
	uint64_t a[2] = { item(f), item(f) }, big[2000], d;
	struct census_holders h;
	size_t i;

	list_of(f, a, 2, 1); /* ob_size > allocated */
	for (i = 0; i < 2000; i++)
		big[i] = a[i & 1];
	list_of(f, big, 2000, 2000); /* more than max_items (1000) */
	d = dict_of(f, NULL, NULL, 0);
	put64(&f->im, d + 32, 0x10); /* keys outside the image */
	/* A list whose items point anywhere. */
	big[0] = 0xdeadbeef0;
	big[1] = IMG_BASE + IMG_SIZE - 8;
	list_of(f, big, 2, 2);

	find(f, &h, 1 << 20);
	assert_int_equal(h.unreadable, 2);
	assert_int_equal(h.truncated, 1);
	assert_non_null(line(&h, "", "list"));
	assert_int_equal(line(&h, "", "list")->count, 1000);
	census_holders_free(&h);
}

static void test_reference_limit_stops(void **state)
{
	struct fixture *f = *state;
	uint64_t a[4] = { item(f), item(f), item(f), item(f) };
	struct census_holders h;
	int i;

	for (i = 0; i < 50; i++)
		list_of(f, a, 4, 4);
	find(f, &h, 10);
	assert_int_equal(h.stop, CENSUS_STEP_LIMIT);
	assert_true(h.not_scanned > 0);
	assert_true(h.references >= 10 && h.references < 20);
	census_holders_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_named_holders, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_broken_containers_counted,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reference_limit_stops,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
