/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * slot_churn [N] [K] [S]: churn() allocates N blocks of 48 bytes, all live
 * at once (N addresses), then frees them all; leak_here() then leaks K
 * blocks of S bytes and churn_again() allocates and frees N blocks of 48
 * bytes one at a time. Defaults N=100000 K=10 S=4096. The tracer keeps an
 * entry per freed address for its next block: here N of them are left
 * for its sweep, and their addresses are allocated again after it.
 */
#include "target.h"

#define USAGE "[N blocks churned (100000)] [K blocks (10)] [S bytes (4096)]"
#define MAX_N (1 << 21)
#define MAX_K (1 << 16)

static void *volatile churned[MAX_N];
static void *volatile kept[MAX_K];
static long long nulls;

LT_LEAKFN void churn(long long n)
{
	long long i;

	for (i = 0; i < n; i++) {
		churned[i] = malloc(48);
		if (!churned[i])
			nulls++;
	}
	for (i = 0; i < n; i++)
		free(churned[i]);
}

LT_LEAKFN void leak_here(long long i, size_t size)
{
	kept[i] = malloc(size);
	if (!kept[i])
		nulls++;
}

LT_LEAKFN void churn_again(long long n)
{
	long long i;

	for (i = 0; i < n; i++) {
		void *volatile p = malloc(48);

		if (!p)
			nulls++;
		free(p);
	}
}

int main(int argc, char **argv)
{
	long long n, k, s, i;

	lt_parse("slot_churn", argc, argv, USAGE);
	n = lt_arg(0, 100000, 0, USAGE);
	k = lt_arg(1, 10, 0, USAGE);
	s = lt_arg(2, 4096, 0, USAGE);
	if (n > MAX_N || k > MAX_K)
		lt_usage(USAGE);
	lt_setup();
	lt_wait_go();

	churn(n);
	/* The tracer sweeps at most once a second. */
	sleep(2);
	for (i = 0; i < k; i++)
		leak_here(i, s);
	churn_again(n);

	lt_check(!nulls, "malloc returned NULL");
	{
		struct lt_expect e[] = {
			{ "leak_here", "heap", k * s, k },
			{ "churn", "heap", 0, 0 },
			{ "churn_again", "heap", 0, 0 },
		};

		lt_report(e, LT_ARRAY_SIZE(e));
	}
	lt_finish();
}
