/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests for user/mappings.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mappings.h"

#define ALL UINT64_MAX
#define PID 100
#define KB  1024ULL

static int setup(void **state)
{
	*state = mtrack_new();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	mtrack_free(*state);
	return 0;
}

/* The stats of t must be exactly want[0..nwant). */
static void check_stats(const struct mtrack *t, uint64_t max_ts,
			const struct mstat *want, size_t nwant)
{
	struct mstat *got;
	long n = mtrack_stats(t, max_ts, &got);
	size_t i;

	assert_int_equal(n, nwant);
	if (n == 0)
		assert_null(got);
	for (i = 0; i < nwant; i++) {
		if (got[i].tgid != want[i].tgid ||
		    got[i].stack_id != want[i].stack_id ||
		    got[i].bytes != want[i].bytes ||
		    got[i].count != want[i].count)
			fail_msg("stat %zu: got {%u, %llu, %lld, %lld}, "
				 "want {%u, %llu, %lld, %lld}",
				 i, got[i].tgid,
				 (unsigned long long)got[i].stack_id,
				 (long long)got[i].bytes,
				 (long long)got[i].count, want[i].tgid,
				 (unsigned long long)want[i].stack_id,
				 (long long)want[i].bytes,
				 (long long)want[i].count);
	}
	free(got);
}

#define CHECK(t, max_ts, ...)                                                  \
	do {                                                                   \
		const struct mstat want_[] = { __VA_ARGS__ };                  \
		check_stats(t, max_ts, want_, sizeof(want_) / sizeof(*want_)); \
	} while (0)

#define CHECK_EMPTY(t, max_ts) check_stats(t, max_ts, NULL, 0)

/* {tgid, stack, bytes, count} */
#define S(tgid, stack, bytes, count)                                           \
	{                                                                      \
		(tgid), (stack), (int64_t)(bytes), (count)                     \
	}

static void test_empty(void **state)
{
	struct mtrack *t = *state;

	CHECK_EMPTY(t, ALL);
	mtrack_unmap(t, PID, 0x1000, 0x1000);
	mtrack_drop_process(t, PID);
	assert_false(mtrack_remap(t, PID, 0x1000, 0x1000, 0x2000, 0x1000));
	mtrack_map(t, PID, 0x1000, 0, 5, 1);
	CHECK_EMPTY(t, ALL);
}

static void test_map_and_unmap_exact(void **state)
{
	struct mtrack *t = *state;

	mtrack_map(t, PID, 0x10000, 12 * KB, 7, 1);
	CHECK(t, ALL, S(PID, 7, 12 * KB, 1));
	mtrack_unmap(t, PID, 0x10000, 12 * KB);
	CHECK_EMPTY(t, ALL);
}

static void test_map_over_existing(void **state)
{
	struct mtrack *t = *state;

	mtrack_map(t, PID, 0x1000, 0x4000, 1, 1); /* [1000, 5000) */
	mtrack_map(t, PID, 0x3000, 0x4000, 2, 2); /* [3000, 7000) */
	CHECK(t, ALL, S(PID, 1, 0x2000, 1), S(PID, 2, 0x4000, 1));
	/* MAP_FIXED over the middle of stack 2 splits it. */
	mtrack_map(t, PID, 0x4000, 0x1000, 3, 3);
	CHECK(t, ALL, S(PID, 1, 0x2000, 1), S(PID, 2, 0x3000, 2),
	      S(PID, 3, 0x1000, 1));
	/* Exactly over an existing record replaces it. */
	mtrack_map(t, PID, 0x4000, 0x1000, 4, 4);
	CHECK(t, ALL, S(PID, 1, 0x2000, 1), S(PID, 2, 0x3000, 2),
	      S(PID, 4, 0x1000, 1));
	/* Covering everything leaves one record. */
	mtrack_map(t, PID, 0, 0x10000, 5, 5);
	CHECK(t, ALL, S(PID, 5, 0x10000, 1));
}

static void test_unmap_several(void **state)
{
	struct mtrack *t = *state;

	mtrack_map(t, PID, 0x1000, 0x1000, 1, 1); /* [1000, 2000) */
	mtrack_map(t, PID, 0x3000, 0x1000, 2, 1); /* [3000, 4000) */
	mtrack_map(t, PID, 0x5000, 0x1000, 3, 1); /* [5000, 6000) */
	mtrack_map(t, PID, 0x7000, 0x1000, 4, 1); /* [7000, 8000) */
	/* Cuts the tail of 1, removes 2, cuts the head of 3. */
	mtrack_unmap(t, PID, 0x1800, 0x3c00);
	CHECK(t, ALL, S(PID, 1, 0x800, 1), S(PID, 3, 0xc00, 1),
	      S(PID, 4, 0x1000, 1));
	/* What is left of 3 really is [5400, 6000). */
	mtrack_unmap(t, PID, 0x5000, 0x400);
	CHECK(t, ALL, S(PID, 1, 0x800, 1), S(PID, 3, 0xc00, 1),
	      S(PID, 4, 0x1000, 1));
	mtrack_unmap(t, PID, 0x5fff, 1);
	CHECK(t, ALL, S(PID, 1, 0x800, 1), S(PID, 3, 0xbff, 1),
	      S(PID, 4, 0x1000, 1));
	/* Ranges touching records without overlapping change nothing. */
	mtrack_unmap(t, PID, 0x1800, 0x800);
	mtrack_unmap(t, PID, 0x6000, 0x1000);
	mtrack_unmap(t, PID, 0x8000, 0x1000);
	mtrack_unmap(t, PID, 0x7000, 0);
	CHECK(t, ALL, S(PID, 1, 0x800, 1), S(PID, 3, 0xbff, 1),
	      S(PID, 4, 0x1000, 1));
	/* An unmap running past the top of memory is clamped. */
	mtrack_unmap(t, PID, 0x1000, UINT64_MAX);
	CHECK_EMPTY(t, ALL);
}

static void test_unmap_head_and_tail(void **state)
{
	struct mtrack *t = *state;

	mtrack_map(t, PID, 0x10000, 0x10000, 9, 1); /* [10000, 20000) */
	mtrack_unmap(t, PID, 0x8000, 0x9000);	    /* head: to 11000 */
	CHECK(t, ALL, S(PID, 9, 0xf000, 1));
	mtrack_unmap(t, PID, 0x1f000, 0x5000); /* tail: from 1f000 */
	CHECK(t, ALL, S(PID, 9, 0xe000, 1));
	/* The record is now [11000, 1f000): check both edges. */
	mtrack_unmap(t, PID, 0x11000, 1);
	mtrack_unmap(t, PID, 0x1efff, 1);
	CHECK(t, ALL, S(PID, 9, 0xe000 - 2, 1));
	mtrack_unmap(t, PID, 0x11001, 0xdffe);
	CHECK_EMPTY(t, ALL);
}

static void test_unmap_punches_hole(void **state)
{
	struct mtrack *t = *state;

	mtrack_map(t, PID, 0x10000, 0x10000, 7, 5); /* [10000, 20000) */
	mtrack_unmap(t, PID, 0x14000, 0x1000);
	/* Both halves keep stack 7 and timestamp 5. */
	CHECK(t, ALL, S(PID, 7, 0xf000, 2));
	CHECK(t, 5, S(PID, 7, 0xf000, 2));
	CHECK_EMPTY(t, 4);
	/* The halves are exactly [10000, 14000) and [15000, 20000). */
	mtrack_unmap(t, PID, 0x14000, 0x1000);
	CHECK(t, ALL, S(PID, 7, 0xf000, 2));
	mtrack_unmap(t, PID, 0x10000, 0x4000);
	CHECK(t, ALL, S(PID, 7, 0xb000, 1));
	mtrack_unmap(t, PID, 0x15000, 0xb000);
	CHECK_EMPTY(t, ALL);
}

static void test_remap_move(void **state)
{
	struct mtrack *t = *state;

	mtrack_map(t, PID, 0x10000, 0x3000, 1, 10);
	assert_true(mtrack_remap(t, PID, 0x10000, 0x3000, 0x80000, 0x3000));
	CHECK(t, ALL, S(PID, 1, 0x3000, 1));
	/* The timestamp moves along. */
	CHECK_EMPTY(t, 9);
	/* Nothing is left at the old place. */
	mtrack_unmap(t, PID, 0x10000, 0x3000);
	CHECK(t, ALL, S(PID, 1, 0x3000, 1));
	mtrack_unmap(t, PID, 0x80000, 0x3000);
	CHECK_EMPTY(t, ALL);
}

static void test_remap_in_place(void **state)
{
	struct mtrack *t = *state;

	mtrack_map(t, PID, 0x10000, 0x1000, 2, 1);
	assert_true(mtrack_remap(t, PID, 0x10000, 0x1000, 0x10000, 0x4000));
	CHECK(t, ALL, S(PID, 2, 0x4000, 1));
	assert_true(mtrack_remap(t, PID, 0x10000, 0x4000, 0x10000, 0x2000));
	CHECK(t, ALL, S(PID, 2, 0x2000, 1));
	mtrack_unmap(t, PID, 0x11000, 0x1000);
	CHECK(t, ALL, S(PID, 2, 0x1000, 1));
}

static void test_remap_misses(void **state)
{
	struct mtrack *t = *state;

	mtrack_map(t, PID, 0x10000, 0x1000, 3, 1);
	/* Ranges ending at or starting after the record do not hit it. */
	assert_false(mtrack_remap(t, PID, 0xf000, 0x1000, 0x40000, 0x1000));
	assert_false(mtrack_remap(t, PID, 0x11000, 0x1000, 0x40000, 0x1000));
	assert_false(
		mtrack_remap(t, PID + 1, 0x10000, 0x1000, 0x40000, 0x1000));
	assert_false(mtrack_remap(t, PID, 0x11000, 0, 0x40000, 0x1000));
	CHECK(t, ALL, S(PID, 3, 0x1000, 1));
}

static void test_remap_part_of_record(void **state)
{
	struct mtrack *t = *state;

	mtrack_map(t, PID, 0x10000, 0x4000, 4, 1);
	assert_true(mtrack_remap(t, PID, 0x11000, 0x1000, 0x40000, 0x2000));
	CHECK(t, ALL, S(PID, 4, 0x5000, 3));
}

static void test_remap_takes_lowest_hit(void **state)
{
	struct mtrack *t = *state;

	mtrack_map(t, PID, 0x1000, 0x1000, 1, 1); /* [1000, 2000) */
	mtrack_map(t, PID, 0x2000, 0x1000, 2, 2); /* [2000, 3000) */
	/* Starting in a gap before the records still hits stack 1 first. */
	assert_true(mtrack_remap(t, PID, 0x800, 0x1000, 0x9000, 0x1000));
	CHECK(t, ALL, S(PID, 1, 0x1800, 2), S(PID, 2, 0x1000, 1));
	assert_true(mtrack_remap(t, PID, 0x1800, 0x1000, 0xa000, 0x1000));
	CHECK(t, ALL, S(PID, 1, 0x2000, 2), S(PID, 2, 0x800, 1));
	CHECK(t, 1, S(PID, 1, 0x2000, 2));
}

static void test_remap_duplicate(void **state)
{
	struct mtrack *t = *state;

	/* mremap(old_len 0) copies a shared mapping; the old one stays. */
	mtrack_map(t, PID, 0x10000, 0x2000, 5, 1);
	assert_true(mtrack_remap(t, PID, 0x10000, 0, 0x40000, 0x2000));
	CHECK(t, ALL, S(PID, 5, 0x4000, 2));
}

static void test_brk(void **state)
{
	struct mtrack *t = *state;

	mtrack_brk(t, PID, 0x1000, 0x1010, 1, 1);
	CHECK(t, ALL, S(PID, 1, 16, 1));
	mtrack_brk(t, PID, 0x1010, 0x1100, 2, 2);
	CHECK(t, ALL, S(PID, 1, 16, 1), S(PID, 2, 0xf0, 1));
	mtrack_brk(t, PID, 0x1100, 0x1100, 3, 3);
	CHECK(t, ALL, S(PID, 1, 16, 1), S(PID, 2, 0xf0, 1));
	/* Shrinking works at byte granularity across records. */
	mtrack_brk(t, PID, 0x1100, 0x1008, 3, 3);
	CHECK(t, ALL, S(PID, 1, 8, 1));
	mtrack_brk(t, PID, 0x1008, 0x1000, 3, 3);
	CHECK_EMPTY(t, ALL);
	/* Shrinking an unknown process is harmless. */
	mtrack_brk(t, PID + 1, 0x2000, 0x1000, 3, 3);
	CHECK_EMPTY(t, ALL);
}

static void test_drop_process(void **state)
{
	struct mtrack *t = *state;

	mtrack_map(t, 1, 0x1000, 0x1000, 1, 1);
	mtrack_map(t, 2, 0x1000, 0x2000, 1, 1);
	mtrack_map(t, 3, 0x1000, 0x3000, 1, 1);
	mtrack_drop_process(t, 2);
	mtrack_drop_process(t, 4);
	CHECK(t, ALL, S(1, 1, 0x1000, 1), S(3, 1, 0x3000, 1));
	mtrack_map(t, 2, 0x5000, 0x1000, 9, 1);
	CHECK(t, ALL, S(1, 1, 0x1000, 1), S(2, 9, 0x1000, 1),
	      S(3, 1, 0x3000, 1));
	mtrack_drop_process(t, 1);
	mtrack_drop_process(t, 3);
	mtrack_drop_process(t, 2);
	CHECK_EMPTY(t, ALL);
}

static void test_stats_sorted_and_filtered(void **state)
{
	struct mtrack *t = *state;

	mtrack_map(t, 30, 0x9000, 0x1000, 5, 100);
	mtrack_map(t, 10, 0x9000, 0x1000, 9, 300);
	mtrack_map(t, 10, 0x1000, 0x1000, 9, 100);
	mtrack_map(t, 10, 0x5000, 0x2000, 3, 200);
	mtrack_map(t, 20, 0x1000, 0x1000, UINT64_MAX, 100);
	mtrack_map(t, 20, 0x3000, 0x1000, 0, 100);
	mtrack_map(t, 30, 0x1000, 0x4000, 5, 200);
	CHECK(t, ALL, S(10, 3, 0x2000, 1), S(10, 9, 0x2000, 2),
	      S(20, 0, 0x1000, 1), S(20, UINT64_MAX, 0x1000, 1),
	      S(30, 5, 0x5000, 2));
	CHECK(t, 200, S(10, 3, 0x2000, 1), S(10, 9, 0x1000, 1),
	      S(20, 0, 0x1000, 1), S(20, UINT64_MAX, 0x1000, 1),
	      S(30, 5, 0x5000, 2));
	CHECK(t, 199, S(10, 9, 0x1000, 1), S(20, 0, 0x1000, 1),
	      S(20, UINT64_MAX, 0x1000, 1), S(30, 5, 0x1000, 1));
	CHECK_EMPTY(t, 99);
}

/*
 * Many records arriving top-down, as the kernel's mmap layout hands them
 * out: must stay fast and exact.
 */
static void test_many_records(void **state)
{
	const uint64_t n = 100000, page = 4096, top = 0x7f0000000000ULL;
	struct mtrack *t = *state;
	uint64_t i;

	for (i = 0; i < n; i++)
		mtrack_map(t, PID, top - (i + 1) * page, page, i % 4, i);
	CHECK(t, ALL, S(PID, 0, n / 4 * page, n / 4),
	      S(PID, 1, n / 4 * page, n / 4), S(PID, 2, n / 4 * page, n / 4),
	      S(PID, 3, n / 4 * page, n / 4));
	/* Punch a hole in every record. */
	for (i = 0; i < n; i++)
		mtrack_unmap(t, PID, top - (i + 1) * page + 100, 10);
	CHECK(t, 3, S(PID, 0, page - 10, 2), S(PID, 1, page - 10, 2),
	      S(PID, 2, page - 10, 2), S(PID, 3, page - 10, 2));
	/* One unmap across all but the lowest and highest records. */
	mtrack_unmap(t, PID, top - (n - 1) * page, (n - 2) * page);
	CHECK(t, ALL, S(PID, 0, page - 10, 2), S(PID, 3, page - 10, 2));
}

/* ---- Randomised comparison with a byte-per-address model ---------- */

#define SPACE  512 /* addresses modelled */
#define NO_REC 0

struct model {
	uint32_t rec[2][SPACE]; /* record id owning each byte, per tgid */
	uint64_t stack[1 + 20000];
	uint64_t ts[1 + 20000];
	uint32_t next_id;
};

static uint32_t model_new_rec(struct model *m, uint64_t stack, uint64_t ts)
{
	uint32_t id = ++m->next_id;

	assert_true(id < sizeof(m->stack) / sizeof(m->stack[0]));
	m->stack[id] = stack;
	m->ts[id] = ts;
	return id;
}

static void model_fill(struct model *m, int p, uint64_t a, uint64_t b,
		       uint32_t id)
{
	for (; a < b && a < SPACE; a++)
		m->rec[p][a] = id;
}

static bool model_remap(struct model *m, int p, uint64_t oa, uint64_t ol,
			uint64_t na, uint64_t nl)
{
	uint64_t a, hit_end = ol ? oa + ol : oa + 1;
	uint32_t id;

	for (a = oa; a < hit_end && a < SPACE; a++) {
		if (m->rec[p][a] != NO_REC)
			break;
	}
	if (a >= hit_end || a >= SPACE)
		return false;
	id = m->rec[p][a];
	model_fill(m, p, oa, oa + ol, NO_REC);
	model_fill(m, p, na, na + nl,
		   model_new_rec(m, m->stack[id], m->ts[id]));
	return true;
}

/* Stats of the model: a record is a maximal run of one id. */
static size_t model_stats(const struct model *m, uint64_t max_ts,
			  struct mstat *out)
{
	size_t n = 0;
	int p, s;
	uint64_t a;

	for (p = 0; p < 2; p++) {
		for (s = 0; s < 4; s++) {
			struct mstat st = { .tgid = (uint32_t)p + 1,
					    .stack_id = (uint64_t)s };

			for (a = 0; a < SPACE; a++) {
				uint32_t id = m->rec[p][a];

				if (id == NO_REC ||
				    m->stack[id] != (uint64_t)s ||
				    m->ts[id] > max_ts)
					continue;
				st.bytes++;
				if (a == 0 || m->rec[p][a - 1] != id)
					st.count++;
			}
			if (st.count)
				out[n++] = st;
		}
	}
	return n;
}

static uint64_t rnd(uint64_t below)
{
	return (uint64_t)rand() % below;
}

static void random_step(struct mtrack *t, struct model *m, uint64_t ts)
{
	int p = (int)rnd(2);
	uint32_t tgid = (uint32_t)p + 1;
	uint64_t a = rnd(SPACE), len = rnd(64), b = rnd(SPACE), len2 = rnd(64),
		 stack = rnd(4);

	if (a + len > SPACE)
		len = SPACE - a;
	if (b + len2 > SPACE)
		len2 = SPACE - b;
	switch (rnd(5)) {
	case 0:
	case 1:
		mtrack_map(t, tgid, a, len, stack, ts);
		if (len)
			model_fill(m, p, a, a + len,
				   model_new_rec(m, stack, ts));
		break;
	case 2:
		mtrack_unmap(t, tgid, a, len);
		model_fill(m, p, a, a + len, NO_REC);
		break;
	case 3:
		assert_int_equal(mtrack_remap(t, tgid, a, len, b, len2),
				 model_remap(m, p, a, len, b, len2));
		break;
	default:
		mtrack_brk(t, tgid, a, b, stack, ts);
		if (b > a)
			model_fill(m, p, a, b, model_new_rec(m, stack, ts));
		else
			model_fill(m, p, b, a, NO_REC);
		break;
	}
}

static void test_random_against_model(void **state)
{
	struct mtrack *t = *state;
	struct model *m = calloc(1, sizeof(*m));
	struct mstat want[8];
	uint64_t step;

	assert_non_null(m);
	srand(12345);
	for (step = 1; step <= 4000; step++) {
		uint64_t max_ts = rnd(3) ? ALL : rnd(step + 1);

		random_step(t, m, step);
		check_stats(t, max_ts, want, model_stats(m, max_ts, want));
	}
	free(m);
}

#define UNATTR 4 /* LT_STACK_UNATTRIBUTED */

/* {start, end, counts} */
#define R(a, b, c)                                                             \
	{                                                                      \
		(a), (b), (c)                                                  \
	}

static void resync(struct mtrack *t, const struct mrange *live, size_t n,
		   int64_t dropped, int64_t filled)
{
	struct mresync rs;

	assert_int_equal(mtrack_resync(t, PID, live, n, UNATTR, &rs), 0);
	assert_int_equal(rs.dropped_bytes, dropped);
	assert_int_equal(rs.filled_bytes, filled);
}

static void test_reserve_not_counted(void **state)
{
	struct mtrack *t = *state;

	mtrack_reserve(t, PID, 0x10000, 0x10000);
	CHECK_EMPTY(t, ALL);
	/* A mapping over part of the reservation counts, the rest does not. */
	mtrack_map(t, PID, 0x14000, 0x1000, 7, 1);
	CHECK(t, ALL, S(PID, 7, 0x1000, 1));
	/* mremap of reserved space stays reserved. */
	assert_true(mtrack_remap(t, PID, 0x10000, 0x1000, 0x40000, 0x2000));
	CHECK(t, ALL, S(PID, 7, 0x1000, 1));
}

static void test_resync_drops_and_fills(void **state)
{
	struct mtrack *t = *state;
	/* /proc: [10000, 14000) and [20000, 30000) are mapped. */
	const struct mrange live[] = { R(0x10000, 0x14000, true),
				       R(0x20000, 0x30000, true) };

	mtrack_map(t, PID, 0x10000, 0x4000, 1, 1); /* still there */
	mtrack_map(t, PID, 0x18000, 0x2000, 2, 1); /* unmapped, event lost */
	mtrack_map(t, PID, 0x22000, 0x1000, 3, 1); /* inside an unknown one */
	resync(t, live, 2, 0x2000, 0x10000 - 0x1000);
	CHECK(t, ALL, S(PID, 1, 0x4000, 1), S(PID, 3, 0x1000, 1),
	      S(PID, UNATTR, 0xf000, 2));
	/* Once in agreement, a second resync changes nothing. */
	resync(t, live, 2, 0, 0);
	CHECK(t, ALL, S(PID, 1, 0x4000, 1), S(PID, 3, 0x1000, 1),
	      S(PID, UNATTR, 0xf000, 2));
	/* Later events apply over unattributed memory. */
	mtrack_unmap(t, PID, 0x20000, 0x2000);
	mtrack_map(t, PID, 0x28000, 0x8000, 6, 2);
	CHECK(t, ALL, S(PID, 1, 0x4000, 1), S(PID, 3, 0x1000, 1),
	      S(PID, UNATTR, 0x5000, 1), S(PID, 6, 0x8000, 1));
}

static void test_resync_clips_and_keeps_records_whole(void **state)
{
	struct mtrack *t = *state;
	/* mprotect split one mapping in three; its tail was unmapped. */
	const struct mrange live[] = { R(0x10000, 0x11000, true),
				       R(0x11000, 0x12000, false),
				       R(0x12000, 0x13000, true) };

	mtrack_map(t, PID, 0x10000, 0x4000, 5, 9);
	resync(t, live, 3, 0x1000, 0);
	/* Still one record, with its stack and timestamp. */
	CHECK(t, ALL, S(PID, 5, 0x3000, 1));
	CHECK_EMPTY(t, 8);
	mtrack_unmap(t, PID, 0x10000, 0x3000);
	CHECK_EMPTY(t, ALL);
}

static void test_resync_reserved_and_baseline(void **state)
{
	struct mtrack *t = *state;
	const struct mrange live[] = { R(0x10000, 0x20000, false),
				       R(0x20000, 0x30000, true) };
	struct mresync rs;

	/* A baseline: everything mapped is known, nothing counted. */
	assert_int_equal(mtrack_resync(t, PID, live, 2, MTRACK_RESERVED, &rs),
			 0);
	assert_int_equal(rs.filled_bytes, 0);
	CHECK_EMPTY(t, ALL);
	/* After losses nothing there is unknown: nothing unattributed. */
	resync(t, live, 2, 0, 0);
	CHECK_EMPTY(t, ALL);
	/* Unknown PROT_NONE space is reserved, not unattributed. */
	mtrack_unmap(t, PID, 0x10000, 0x20000);
	resync(t, live, 2, 0, 0x10000);
	CHECK(t, ALL, S(PID, UNATTR, 0x10000, 1));
	/* Nothing live: everything goes. */
	resync(t, NULL, 0, 0x10000, 0);
	CHECK_EMPTY(t, ALL);
}

static void test_fork_copies_uncounted(void **state)
{
	struct mtrack *t = *state;
	const struct mrange live[] = { R(0x10000, 0x30000, true) };
	struct mresync rs;

	mtrack_map(t, PID, 0x10000, 0x10000, 1, 1);
	mtrack_reserve(t, PID, 0x20000, 0x10000);
	mtrack_map(t, PID + 1, 0x50000, 0x1000, 2, 1); /* stale, reused pid */
	mtrack_fork(t, PID, PID + 1);
	CHECK(t, ALL, S(PID, 1, 0x10000, 1));
	/* The child's copy is known: a resync finds nothing unknown. */
	assert_int_equal(mtrack_resync(t, PID + 1, live, 1, UNATTR, &rs), 0);
	assert_int_equal(rs.filled_bytes, 0);
	CHECK(t, ALL, S(PID, 1, 0x10000, 1));
	/* Forking an untracked process leaves nothing. */
	mtrack_fork(t, PID + 7, PID + 8);
	CHECK(t, ALL, S(PID, 1, 0x10000, 1));
}

static void test_tgids(void **state)
{
	struct mtrack *t = *state;
	uint32_t *tgids;

	assert_int_equal(mtrack_tgids(t, &tgids), 0);
	assert_null(tgids);
	mtrack_map(t, 30, 0x1000, 0x1000, 1, 1);
	mtrack_map(t, 10, 0x1000, 0x1000, 1, 1);
	assert_int_equal(mtrack_tgids(t, &tgids), 2);
	assert_int_equal(tgids[0], 10);
	assert_int_equal(tgids[1], 30);
	free(tgids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_and_unmap_exact, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_map_over_existing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unmap_several, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unmap_head_and_tail, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unmap_punches_hole, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_remap_move, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_remap_in_place, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_remap_misses, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_remap_part_of_record,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_remap_takes_lowest_hit,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_remap_duplicate, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_brk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_process, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stats_sorted_and_filtered,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_records, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_random_against_model,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserve_not_counted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_resync_drops_and_fills,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_resync_clips_and_keeps_records_whole, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_resync_reserved_and_baseline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fork_copies_uncounted,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_tgids, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
