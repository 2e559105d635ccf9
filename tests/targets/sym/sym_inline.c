/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sym_inline [K]: inl_outer() leaks K blocks of 512 bytes through two
 * always-inlined functions, inl_mid() and inl_leaf(), so one return
 * address stands for three source frames. Built with -O2.
 */
#include "../target.h"

#define USAGE "[K blocks (10)]"
#define MAX_K 4096
#define SIZE  512

static void *volatile kept[MAX_K];
static long long nulls;

static inline __attribute__((always_inline)) void inl_leaf(long long i)
{
	void *p = malloc(SIZE); /* SYM-INL-LEAF */

	if (!p)
		nulls++;
	kept[i] = p;
}

static inline __attribute__((always_inline)) void inl_mid(long long i)
{
	inl_leaf(i); /* SYM-INL-MID */
}

LT_LEAKFN void inl_outer(long long k)
{
	long long i;

	for (i = 0; i < k; i++)
		inl_mid(i); /* SYM-INL-OUTER */
}

int main(int argc, char **argv)
{
	long long k;

	lt_parse("sym_inline", argc, argv, USAGE);
	k = lt_arg(0, 10, 0, USAGE);
	if (k > MAX_K)
		lt_usage(USAGE);
	lt_setup();
	lt_wait_go();

	inl_outer(k);

	lt_check(!nulls, "malloc returned NULL");
	{
		/* The allocator's direct caller is the innermost frame. */
		struct lt_expect e[] = {
			{ "inl_leaf", "heap", k * SIZE, k },
		};

		lt_report(e, LT_ARRAY_SIZE(e));
	}
	lt_finish();
}
