/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests for user/lib/vec.c (growing arrays) and user/lib/monotime.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "lib/monotime.h"
#include "lib/vec.h"

static void test_room_grows_and_keeps(void **state)
{
	uint32_t *arr = NULL;
	size_t n = 0, cap = 0, i;

	for (i = 0; i < 100000; i++) {
		assert_int_equal(VEC_ROOM(&arr, &n, &cap), 0);
		assert_true(cap > n);
		arr[n++] = i * 3;
	}
	for (i = 0; i < n; i++)
		assert_int_equal(arr[i], i * 3);
	/* Doubling: few reallocations, little slack. */
	assert_true(cap >= n && cap < 2 * n);
	free(arr);
}

static void test_reserve_exact_need(void **state)
{
	char *arr = NULL;
	size_t cap = 0;

	assert_int_equal(VEC_RESERVE(&arr, &cap, 5), 0);
	assert_int_equal(cap, 16); /* the smallest array */
	assert_int_equal(VEC_RESERVE(&arr, &cap, 16), 0);
	assert_int_equal(cap, 16); /* already room: nothing changes */
	assert_int_equal(VEC_RESERVE(&arr, &cap, 1000), 0);
	assert_int_equal(cap, 1024);
	arr[999] = 1;
	free(arr);
}

static void test_overflow_leaves_array(void **state)
{
	uint64_t *arr = NULL, *before;
	size_t cap = 0;

	assert_int_equal(VEC_RESERVE(&arr, &cap, 4), 0);
	before = arr;
	arr[3] = 42;
	/* need * 8 bytes does not fit in a size_t. */
	assert_int_equal(VEC_RESERVE(&arr, &cap, SIZE_MAX / 4), -EOVERFLOW);
	assert_ptr_equal(arr, before);
	assert_int_equal(cap, 16);
	assert_int_equal(arr[3], 42);
	/* Doubling past SIZE_MAX: asks for exactly need, which fails. */
	assert_int_equal(vec_reserve((void **)&arr, &cap, SIZE_MAX - 1, 1),
			 -ENOMEM);
	assert_int_equal(cap, 16);
	assert_int_equal(arr[3], 42);
	free(arr);
}

static void test_monotime_moves_forward(void **state)
{
	struct timespec pause = { 0, 2000000 }; /* 2 ms */
	uint64_t a = monotime_ns(), b;

	nanosleep(&pause, NULL);
	b = monotime_ns();
	/* The clock is monotonic and counts nanoseconds: at least the 2 ms
	 * slept passed (no upper bound: the machine may be busy). */
	assert_true(b >= a + 2000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_room_grows_and_keeps),
		cmocka_unit_test(test_reserve_exact_need),
		cmocka_unit_test(test_overflow_leaves_array),
		cmocka_unit_test(test_monotime_moves_forward),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
