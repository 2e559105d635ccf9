/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Unit tests for user/unwind/unwind_index.c: a pc's row found through a
 * table's bucket index is the row the whole table's search finds, for
 * every pc of real tables (libc, libstdc++) and of made-up ones, and no
 * bucket spans more rows than the kernel's search steps cover.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>

#include "unwind/unwind_index.h"
#include "unwind/unwind_table.h"

/* Every bucket's search fits the kernel's bound. */
static void assert_buckets_bounded(const struct unwind_index *ix, size_t n)
{
	assert_true(ix->n >= 2);
	assert_int_equal(ix->starts[ix->n - 1], n - 1);
	for (uint32_t b = 0; b + 1 < ix->n; b++) {
		assert_true(ix->starts[b] <= ix->starts[b + 1]);
		assert_true(ix->starts[b + 1] - ix->starts[b] + 1 <=
			    LT_UNWIND_BUCKET_ROWS);
	}
}

/* The index finds what the plain search finds, from below to beyond. */
static void assert_same_rows(const struct unwind_table *t,
			     const struct unwind_index *ix, uint64_t step)
{
	uint64_t lo = t->rows[0].pc, hi = t->rows[t->n - 1].pc;
	uint64_t from = lo > 64 ? lo - 64 : 0;

	for (uint64_t pc = from; pc <= hi + 64; pc += step)
		assert_ptr_equal(unwind_index_find(ix, t->rows, t->n, pc),
				 unwind_table_find(t, pc));
	/* Every row's own pc, and the byte before it. */
	for (size_t i = 0; i < t->n; i++) {
		uint64_t pc = t->rows[i].pc;

		assert_ptr_equal(unwind_index_find(ix, t->rows, t->n, pc),
				 &t->rows[i]);
		if (pc)
			assert_ptr_equal(
				unwind_index_find(ix, t->rows, t->n, pc - 1),
				unwind_table_find(t, pc - 1));
	}
}

static void check_file(const char *path)
{
	struct unwind_table t;
	struct unwind_index ix;

	if (unwind_table_build_path(path, &t))
		fail_msg("no table for %s", path);
	assert_int_equal(unwind_index_build(t.rows, t.n, &ix), 0);
	assert_buckets_bounded(&ix, t.n);
	/* Small: well under one entry per row (10 to 30 rows an entry). */
	assert_true(ix.n < t.n / 4);
	assert_same_rows(&t, &ix, 3);
	unwind_index_free(&ix);
	unwind_table_free(&t);
}

static void test_libc(void **state)
{
	check_file("/lib/x86_64-linux-gnu/libc.so.6");
}

static void test_libstdcxx(void **state)
{
	check_file("/usr/lib/x86_64-linux-gnu/libstdc++.so.6");
}

static void made_up(struct unwind_table *t, size_t n, uint32_t base,
		    uint32_t (*gap)(size_t))
{
	t->rows = calloc(n, sizeof(*t->rows));
	assert_non_null(t->rows);
	t->n = n;
	for (size_t i = 0; i < n; i++) {
		t->rows[i].pc = base;
		t->rows[i].cfa_type = LT_CFA_RSP;
		base += gap(i);
	}
}

static uint32_t gap_dense_then_sparse(size_t i)
{
	return i < 100 ? 1 : 40; /* a row per byte, then ordinary code */
}

static uint32_t gap_even(size_t i)
{
	return 40;
}

static void test_made_up_tables(void **state)
{
	uint32_t (*gaps[])(size_t) = { gap_dense_then_sparse, gap_even };
	size_t sizes[] = { 1, 2, 64, 65, 1000 };

	for (size_t g = 0; g < 2; g++)
		for (size_t k = 0; k < 5; k++) {
			struct unwind_table t = { 0 };
			struct unwind_index ix;

			made_up(&t, sizes[k], 0x1000, gaps[g]);
			assert_int_equal(unwind_index_build(t.rows, t.n, &ix),
					 0);
			assert_buckets_bounded(&ix, t.n);
			assert_same_rows(&t, &ix, 1);
			unwind_index_free(&ix);
			free(t.rows);
		}
}

/* Dense code far apart: finer buckets than rows would be: refused. */
static uint32_t gap_clusters(size_t i)
{
	return i % 150 == 149 ? 1u << 24 : 1;
}

static void test_too_sparse_refused(void **state)
{
	struct unwind_table t = { 0 };
	struct unwind_index ix;

	made_up(&t, 300, 0x1000, gap_clusters);
	assert_int_equal(unwind_index_build(t.rows, t.n, &ix), -E2BIG);
	assert_null(ix.starts);
	assert_int_equal(unwind_index_build(t.rows, 0, &ix), -EINVAL);
	free(t.rows);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_libc),
		cmocka_unit_test(test_libstdcxx),
		cmocka_unit_test(test_made_up_tables),
		cmocka_unit_test(test_too_sparse_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
