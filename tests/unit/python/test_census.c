// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The census walker over fake process images: exact counts, and every kind
 * of broken list (torn links, loops, wild pointers, non-types) counted as
 * such, bounded, never a crash or a hang. Rows: growth and ranking.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "python/census_rows.h"
#include "census_image.h"

struct fixture {
	struct image im;
	uint64_t type_type, heads[CENSUS_GENS];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int g;

	f->im.mem = calloc(1, IMG_SIZE);
	f->type_type =
		image_type(&f->im, 0, "type", 880, 40, TPFLAG_TYPE_SUBCLASS);
	for (g = 0; g < CENSUS_GENS; g++)
		f->heads[g] = image_head(&f->im);
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

static void walk(struct fixture *f, struct census_walk *w, uint64_t max)
{
	struct census_gc_layout l = { .type_type = f->type_type };
	struct census_limits lim = { max, 5000000000ull };
	struct census_mem *m = image_mem(&f->im, 1 << 20);

	memcpy(l.heads, f->heads, sizeof(l.heads));
	census_walk_init(w);
	assert_int_equal(census_walk_run(w, m, &l, &lim), 0);
	census_mem_free(m);
}

static const struct census_type *type_named(const struct census_walk *w,
					    const char *name)
{
	size_t i;

	for (i = 0; i < w->n_types; i++)
		if (w->types[i].valid && !strcmp(w->types[i].name, name))
			return &w->types[i];
	return NULL;
}

static void test_counts_every_list(void **state)
{
	struct fixture *f = *state;
	uint64_t a =
		image_type(&f->im, f->type_type, "A", 24, 0, TPFLAG_HEAPTYPE);
	uint64_t tup = image_type(&f->im, f->type_type, "tuple", 24, 8, 0);
	struct census_walk w;
	int i;

	for (i = 0; i < 5; i++)
		image_object(&f->im, f->heads[i % CENSUS_GENS], a, 0);
	image_object(&f->im, f->heads[3], tup, 3);
	image_object(&f->im, f->heads[1], tup, -2);
	walk(f, &w, 1000);
	assert_int_equal(w.gens_incomplete, 0);
	assert_int_equal(w.objects, 7);
	assert_int_equal(type_named(&w, "A")->count, 5);
	assert_int_equal(type_named(&w, "A")->bytes, 5 * 24);
	assert_int_equal(type_named(&w, "tuple")->count, 2);
	assert_int_equal(type_named(&w, "tuple")->bytes, 24 + 24 + 24 + 16);
	assert_int_equal(w.torn, 0);
	census_walk_free(&w);
}

static void test_metaclass_and_non_types(void **state)
{
	struct fixture *f = *state;
	uint64_t meta = image_type(&f->im, f->type_type, "ABCMeta", 900, 40,
				   TPFLAG_TYPE_SUBCLASS | TPFLAG_HEAPTYPE);
	uint64_t abc = image_type(&f->im, meta, "Sized", 16, 0, 0);
	/* Its type is a type without TYPE_SUBCLASS: not a metaclass. */
	uint64_t plain = image_type(&f->im, f->type_type, "P", 16, 0, 0);
	uint64_t fake = image_type(&f->im, plain, "Fake", 16, 0, 0);
	struct census_walk w;

	image_object(&f->im, f->heads[0], abc, 0);
	image_object(&f->im, f->heads[0], fake, 0);
	image_object(&f->im, f->heads[0], IMG_BASE + IMG_SIZE + 4096, 0);
	image_object(&f->im, f->heads[0], 0, 0);
	walk(f, &w, 1000);
	assert_int_equal(w.gens_incomplete, 0);
	assert_int_equal(w.objects, 1);
	assert_int_equal(w.skipped, 3);
	assert_non_null(type_named(&w, "Sized"));
	assert_null(type_named(&w, "Fake"));
	census_walk_free(&w);
}

static void test_insane_types_skipped(void **state)
{
	struct fixture *f = *state;
	uint64_t huge = image_type(&f->im, f->type_type, "Huge", 1 << 30, 0, 0);
	uint64_t nogc = image_type(&f->im, f->type_type, "NoGC", 16, 0, 0);
	uint64_t ctl = image_type(&f->im, f->type_type, "bad\nname", 16, 0, 0);
	struct census_walk w;

	put64(&f->im, nogc + PYTYPE_FLAGS, TPFLAG_READY);
	image_object(&f->im, f->heads[0], huge, 0);
	image_object(&f->im, f->heads[0], nogc, 0);
	image_object(&f->im, f->heads[0], ctl, 0);
	walk(f, &w, 1000);
	assert_int_equal(w.objects, 0);
	assert_int_equal(w.skipped, 3);
	census_walk_free(&w);
}

static void test_torn_back_link_counted(void **state)
{
	struct fixture *f = *state;
	uint64_t a = image_type(&f->im, f->type_type, "A", 16, 0, 0);
	struct census_walk w;
	uint64_t n;

	image_object(&f->im, f->heads[0], a, 0);
	n = image_object(&f->im, f->heads[0], a, 0);
	image_object(&f->im, f->heads[0], a, 0);
	put64(&f->im, n + 8, 0x1234560); /* a stale _gc_prev */
	walk(f, &w, 1000);
	assert_int_equal(w.objects, 3);
	assert_int_equal(w.torn, 1);
	assert_int_equal(w.gens_incomplete, 1);
	assert_int_equal(w.stop, CENSUS_CHANGED);
	census_walk_free(&w);
}

static void test_loop_without_head_stops(void **state)
{
	struct fixture *f = *state;
	uint64_t a = image_type(&f->im, f->type_type, "A", 16, 0, 0);
	struct census_walk w;
	uint64_t first, last;

	first = image_object(&f->im, f->heads[2], a, 0);
	image_object(&f->im, f->heads[2], a, 0);
	last = image_object(&f->im, f->heads[2], a, 0);
	put64(&f->im, last, first); /* loops, never back to the head */
	image_object(&f->im, f->heads[3], a, 0);
	walk(f, &w, 1u << 20);
	assert_int_equal(w.objects, 4);
	assert_int_equal(w.gens_incomplete, 1);
	assert_int_equal(w.stop, CENSUS_CYCLE);
	census_walk_free(&w);
}

static void test_wild_link_stops_list(void **state)
{
	struct fixture *f = *state;
	uint64_t a = image_type(&f->im, f->type_type, "A", 16, 0, 0);
	struct census_walk w;
	uint64_t n;

	n = image_object(&f->im, f->heads[0], a, 0);
	put64(&f->im, n, 0xdeadbeef000); /* out of every mapping */
	image_object(&f->im, f->heads[1], a, 0);
	put64(&f->im, f->heads[2], IMG_BASE + 3); /* misaligned */
	walk(f, &w, 1000);
	assert_int_equal(w.objects, 2);
	assert_int_equal(w.gens_incomplete, 2);
	assert_int_equal(w.stop, CENSUS_BAD_LINK);
	census_walk_free(&w);
}

static void test_step_limit(void **state)
{
	struct fixture *f = *state;
	uint64_t a = image_type(&f->im, f->type_type, "A", 16, 0, 0);
	struct census_walk w;
	int i;

	for (i = 0; i < 100; i++)
		image_object(&f->im, f->heads[0], a, 0);
	walk(f, &w, 10);
	assert_int_equal(w.objects, 10);
	assert_int_equal(w.stop, CENSUS_STEP_LIMIT);
	assert_int_equal(w.gens_incomplete, 1);
	census_walk_free(&w);
}

/* Chunks are read a few at a time and copies span their boundaries. */
static void test_mem_reads_across_chunks(void **state)
{
	struct fixture *f = *state;
	struct census_mem_stats st;
	struct census_mem *m = image_mem(&f->im, 0);
	uint64_t at = IMG_BASE + CENSUS_CHUNK - 4, v = 0x1122334455667788ull;
	uint8_t big[3 * CENSUS_CHUNK];
	uint64_t got;

	put64(&f->im, at, v);
	assert_int_equal(census_mem_read(m, at, &got, 8), 0);
	assert_int_equal(got, v);
	assert_int_equal(census_mem_read(m, IMG_BASE, big, sizeof(big)), 0);
	assert_int_equal(census_mem_read(m, IMG_BASE + IMG_SIZE - 4, &got, 8),
			 -1);
	assert_int_equal(census_mem_read(m, IMG_BASE - 8, &got, 8), -1);
	census_mem_stats(m, &st);
	assert_int_equal(st.syscalls, 1); /* one read-ahead covered it all */
	census_mem_free(m);
}

/* A library's 16 KiB read-only part and its data share a 64 KiB chunk:
 * the part read second must be read, not taken from the unread bytes. */
static void test_mem_two_mappings_in_one_chunk(void **state)
{
	struct fixture *f = *state;
	struct census_src src = { image_read, &f->im };
	struct census_range r[2] = { { IMG_BASE, IMG_BASE + 0x4000 },
				     { IMG_BASE + 0x4000,
				       IMG_BASE + 0x10000 } };
	struct census_mem *m = census_mem_new(&src, r, 2, 1 << 20);
	struct census_mem_stats st;
	uint64_t got;

	put64(&f->im, IMG_BASE + 0x100, 0xaaaa);
	put64(&f->im, IMG_BASE + 0x4100, 0xbbbb);
	assert_int_equal(census_mem_read(m, IMG_BASE + 0x4100, &got, 8), 0);
	assert_int_equal(got, 0xbbbb);
	assert_int_equal(census_mem_read(m, IMG_BASE + 0x100, &got, 8), 0);
	assert_int_equal(got, 0xaaaa);
	assert_int_equal(census_mem_read(m, IMG_BASE + 0x4100, &got, 8), 0);
	assert_int_equal(got, 0xbbbb);
	/* Across the boundary: two mappings, never one read. */
	assert_int_equal(census_mem_read(m, IMG_BASE + 0x3ffc, &got, 8), -1);
	census_mem_stats(m, &st);
	assert_int_equal(st.syscalls, 2);
	census_mem_free(m);
}

/* The first read of the image hides one node's type (a stale copy). */
struct stale_src {
	struct image *im;
	uint64_t node;
	int reads;
};

static ssize_t stale_read(void *ctx, uint64_t addr, void *const *bufs,
			  size_t n_bufs, size_t buf_len)
{
	struct stale_src *s = ctx;
	ssize_t done = image_read(s->im, addr, bufs, n_bufs, buf_len);
	uint64_t at = s->node + 24;

	if (s->reads++ == 0 && done > 0 && at >= addr &&
	    at + 8 <= addr + (uint64_t)done && at + 8 <= addr + buf_len)
		memset((uint8_t *)bufs[0] + (at - addr), 0xff, 8);
	return done;
}

static void test_stale_node_read_again(void **state)
{
	struct fixture *f = *state;
	uint64_t a = image_type(&f->im, f->type_type, "A", 16, 0, 0);
	struct stale_src s = { &f->im, 0, 0 };
	struct census_src src = { stale_read, &s };
	struct census_range r = { IMG_BASE, IMG_BASE + CENSUS_CHUNK };
	struct census_gc_layout l = { .type_type = f->type_type };
	struct census_limits lim = { 1000, 5000000000ull };
	struct census_walk w;
	struct census_mem *m;

	image_object(&f->im, f->heads[0], a, 0);
	s.node = image_object(&f->im, f->heads[0], a, 0);
	image_object(&f->im, f->heads[0], a, 0);
	memcpy(l.heads, f->heads, sizeof(l.heads));
	m = census_mem_new(&src, &r, 1, 1 << 20);
	census_walk_init(&w);
	census_walk_run(&w, m, &l, &lim);
	assert_int_equal(type_named(&w, "A")->count, 3);
	assert_int_equal(w.reread, 1);
	assert_int_equal(w.skipped, 0);
	census_walk_free(&w);
	census_mem_free(m);
}

static void fake_walk(struct census_walk *w, const char *const *names,
		      const uint64_t *counts, size_t n)
{
	size_t i;

	census_walk_init(w);
	w->types = calloc(n, sizeof(*w->types));
	w->n_types = w->cap_types = n;
	for (i = 0; i < n; i++) {
		w->types[i].valid = true;
		snprintf(w->types[i].name, CENSUS_NAME_MAX, "%s", names[i]);
		w->types[i].count = counts[i];
	}
}

static void test_rows_growth_and_rank(void **state)
{
	static const char *const names[] = { "dict", "A", "A", "list" };
	const uint64_t first[] = { 10, 1, 2, 5 }, second[] = { 12, 5, 2, 5 };
	const uint64_t third[] = { 11, 0, 0, 9 };
	const struct census_row *out[8];
	struct census_rows rows = { 0 };
	struct census_walk w;

	fake_walk(&w, names, first, 4);
	assert_int_equal(census_rows_update(&rows, &w), 0);
	census_walk_free(&w);
	assert_int_equal(census_rows_ranked(&rows, out, 8), 3);
	assert_int_equal(census_row_growth(out[0]), 0); /* the baseline */
	assert_string_equal(out[0]->name, "dict");	/* most objects */
	fake_walk(&w, names, second, 4);
	census_rows_update(&rows, &w);
	census_walk_free(&w);
	assert_int_equal(census_rows_ranked(&rows, out, 2), 2);
	assert_string_equal(out[0]->name, "A"); /* two types, one name */
	assert_int_equal(out[0]->count, 7);
	assert_int_equal(census_row_growth(out[0]), 4);
	assert_string_equal(out[1]->name, "dict");
	fake_walk(&w, names, third, 4);
	census_rows_update(&rows, &w);
	census_walk_free(&w);
	/* A is gone: not listed; list grew 4 since the last census. */
	assert_int_equal(census_rows_ranked(&rows, out, 8), 2);
	assert_string_equal(out[0]->name, "list");
	assert_int_equal(census_row_growth(out[0]), 4);
	assert_int_equal(census_row_since_attach(out[0]), 4);
	assert_int_equal(census_row_since_attach(out[1]), 1);
	census_rows_free(&rows);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_counts_every_list, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_metaclass_and_non_types,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_insane_types_skipped,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_back_link_counted,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop_without_head_stops,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_wild_link_stops_list,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_step_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mem_reads_across_chunks,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_mem_two_mappings_in_one_chunk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_node_read_again,
						setup, teardown),
		cmocka_unit_test(test_rows_growth_and_rank),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
