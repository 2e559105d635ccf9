/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Unit tests for user/addrmap.c: put, get, delete and iteration checked
 * against a plain array on random operations (deletion moves entries back
 * in the probe sequence, which is where bugs would hide).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lib/addrmap.h"

#define NKEYS 3000

/* model[k]: the value stored under key k * 4096 (pointers to tags). */
static char tags[NKEYS];
static void *model[NKEYS];

static uint64_t key_of(size_t k)
{
	return (uint64_t)k * 4096; /* page-aligned, like addresses */
}

static void check_all(const struct addrmap *m)
{
	size_t k, pos = 0, seen = 0, used = 0;
	struct addrmap_slot *s;

	for (k = 0; k < NKEYS; k++) {
		assert_ptr_equal(addrmap_get(m, key_of(k)), model[k]);
		used += model[k] != NULL;
	}
	while ((s = addrmap_next(m, &pos))) {
		assert_true(s->key % 4096 == 0 && s->key / 4096 < NKEYS);
		assert_ptr_equal(s->val, model[s->key / 4096]);
		seen++;
	}
	assert_int_equal(seen, used);
	assert_int_equal(m->used, used);
}

static void test_random_ops(void **state)
{
	struct addrmap m = { 0 };
	int round;

	(void)state;
	memset(model, 0, sizeof(model));
	srand(42);
	for (round = 0; round < 200000; round++) {
		/* Keys from a window that moves: fills, then empties areas. */
		size_t k = (round / 50 + rand() % 600) % NKEYS;

		if (rand() % 3) {
			assert_int_equal(addrmap_put(&m, key_of(k), &tags[k]),
					 0);
			model[k] = &tags[k];
		} else {
			assert_ptr_equal(addrmap_del(&m, key_of(k)), model[k]);
			model[k] = NULL;
		}
		if (round % 5000 == 0)
			check_all(&m);
	}
	check_all(&m);
	addrmap_free(&m, NULL);
}

static void test_delete_all(void **state)
{
	struct addrmap m = { 0 };
	size_t k, pos = 0;

	(void)state;
	memset(model, 0, sizeof(model));
	for (k = 0; k < NKEYS; k++) {
		assert_int_equal(addrmap_put(&m, key_of(k), &tags[k]), 0);
		model[k] = &tags[k];
	}
	check_all(&m);
	for (k = 0; k < NKEYS; k += 2) {
		assert_ptr_equal(addrmap_del(&m, key_of(k)), &tags[k]);
		model[k] = NULL;
	}
	check_all(&m);
	for (k = 1; k < NKEYS; k += 2)
		assert_ptr_equal(addrmap_del(&m, key_of(k)), &tags[k]);
	assert_int_equal(m.used, 0);
	assert_null(addrmap_next(&m, &pos));
	assert_null(addrmap_del(&m, key_of(1)));
	addrmap_free(&m, NULL);
}

static void test_empty(void **state)
{
	struct addrmap m = { 0 };
	size_t pos = 0;

	(void)state;
	assert_null(addrmap_get(&m, 1));
	assert_null(addrmap_del(&m, 1));
	assert_null(addrmap_next(&m, &pos));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_delete_all),
		cmocka_unit_test(test_random_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
