/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Unit tests for the vendored user/lib/hashmap.c through the helpers of
 * user/lib/keyhash.h: 64-bit keys against a plain array on random adds,
 * replacements and deletes, iteration, string keys, clearing with values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/keyhash.h"

#define NKEYS 3000

/* model[k]: the value stored under key k * 4096 (pointers to tags). */
static char tags[NKEYS];
static void *model[NKEYS];

static uint64_t key_of(size_t k)
{
	return (uint64_t)k * 4096; /* page-aligned, like addresses */
}

static void check_all(const struct hashmap *m)
{
	struct hashmap_entry *e;
	size_t k, bkt, seen = 0, used = 0;

	for (k = 0; k < NKEYS; k++) {
		assert_ptr_equal(keyhash_get(m, key_of(k)), model[k]);
		used += model[k] != NULL;
	}
	hashmap__for_each_entry(m, e, bkt) {
		assert_true(e->key % 4096 == 0 && e->key / 4096 < NKEYS);
		assert_ptr_equal(e->pvalue, model[e->key / 4096]);
		seen++;
	}
	assert_int_equal(seen, used);
	assert_int_equal(hashmap__size(m), used);
}

static void test_random_ops(void **state)
{
	struct hashmap m;
	int round;

	keyhash_u64_init(&m);
	memset(model, 0, sizeof(model));
	srand(7);
	for (round = 0; round < 40; round++) {
		int op;

		for (op = 0; op < 500; op++) {
			size_t k = rand() % NKEYS;
			void *old = NULL;

			if (rand() % 3) {
				assert_int_equal(hashmap__set(&m, key_of(k),
							      &tags[k], NULL,
							      &old),
						 0);
				assert_ptr_equal(old, model[k]);
				model[k] = &tags[k];
			} else {
				bool had = hashmap__delete(&m, key_of(k), NULL,
							   &old);

				assert_int_equal(had, model[k] != NULL);
				assert_ptr_equal(old, model[k]);
				model[k] = NULL;
			}
		}
		check_all(&m);
	}
	hashmap__clear(&m);
	assert_int_equal(hashmap__size(&m), 0);
	assert_null(keyhash_get(&m, key_of(1)));
}

static void test_add_refuses_existing(void **state)
{
	struct hashmap m;
	static char a, b;

	keyhash_u64_init(&m);
	assert_null(keyhash_get(&m, 42)); /* empty: no buckets yet */
	assert_int_equal(hashmap__add(&m, 42, &a), 0);
	assert_int_equal(hashmap__add(&m, 42, &b), -EEXIST);
	assert_ptr_equal(keyhash_get(&m, 42), &a);
	/* Keys with the top bit set are longs below zero: still keys. */
	assert_int_equal(hashmap__add(&m, UINT64_MAX, &b), 0);
	assert_ptr_equal(keyhash_get(&m, UINT64_MAX), &b);
	assert_null(keyhash_get(&m, 0));
	hashmap__clear(&m);
}

static int freed;

static void count_free(void *p)
{
	freed++;
	free(p);
}

static void test_clear_frees_values(void **state)
{
	struct hashmap m;
	int i;

	keyhash_u64_init(&m);
	for (i = 0; i < 100; i++)
		assert_int_equal(hashmap__add(&m, i, malloc(8)), 0);
	freed = 0;
	keyhash_clear(&m, count_free);
	assert_int_equal(freed, 100);
	assert_int_equal(hashmap__size(&m), 0);
	/* The map can be used again after clearing. */
	assert_int_equal(hashmap__add(&m, 1, &freed), 0);
	assert_ptr_equal(keyhash_get(&m, 1), &freed);
	keyhash_clear(&m, NULL);
}

static void test_string_keys(void **state)
{
	struct hashmap m;
	char key[32];
	long val = 0;
	int i;

	hashmap__init(&m, keyhash_str, keyhash_str_equal, NULL);
	assert_int_equal(hashmap__add(&m, "malloc", 1), 0);
	assert_int_equal(hashmap__add(&m, "free", 2), 0);
	/* Equal content, another pointer: the same key. */
	snprintf(key, sizeof(key), "mal%s", "loc");
	assert_true(hashmap__find(&m, key, &val));
	assert_int_equal(val, 1);
	assert_false(hashmap__find(&m, "calloc", &val));
	for (i = 0; i < 1000; i++) {
		char *k = malloc(16);

		snprintf(k, 16, "k%d", i);
		assert_int_equal(hashmap__add(&m, k, i), 0);
	}
	assert_int_equal(hashmap__size(&m), 1002);
	assert_true(hashmap__find(&m, "k999", &val));
	assert_int_equal(val, 999);
	{
		struct hashmap_entry *e;
		size_t bkt;

		hashmap__for_each_entry(&m, e, bkt)
			if (((const char *)e->pkey)[0] == 'k')
				free((void *)e->pkey);
	}
	hashmap__clear(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_ops),
		cmocka_unit_test(test_add_refuses_existing),
		cmocka_unit_test(test_clear_frees_values),
		cmocka_unit_test(test_string_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
