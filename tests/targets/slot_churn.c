/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * slot_churn [N] [K] [S] [R]: churn() allocates N blocks of 48 bytes, all
 * live at once (N addresses), then frees them all; leak_here() then leaks
 * K blocks of S bytes and churn_again() allocates and frees N blocks of 48
 * bytes one at a time. Then two threads each run R rounds of churn() on
 * N/2 blocks, and leak_in_round() leaks a block of S bytes after each.
 * Defaults N=100000 K=10 S=4096 R=0. The tracer keeps an entry per freed
 * address for its next block: here N of them are left for its sweep, and
 * their addresses are allocated again after it; with R, sweeps run while
 * both threads free and allocate at swept addresses.
 */
#include <pthread.h>
#include "target.h"

#define USAGE                                                                  \
	"[N blocks churned (100000)] [K blocks (10)] [S bytes (4096)] [R rounds (0)]"
#define MAX_N (1 << 21)
#define MAX_K (1 << 16)

static void *volatile churned[MAX_N];
static void *volatile kept[MAX_K];
static long long nulls;

static long long n_blocks, rounds;
static size_t leak_size;
static void *volatile round_leaks[2][1024];
static long long round_nulls[2];

/* Allocates n blocks at from[0..n), all live at once, then frees them. */
LT_LEAKFN void churn_at(void *volatile *from, long long n, long long *fails)
{
	long long i;

	for (i = 0; i < n; i++) {
		from[i] = malloc(48);
		if (!from[i])
			(*fails)++;
	}
	for (i = 0; i < n; i++)
		free(from[i]);
}

LT_LEAKFN void churn(long long n)
{
	churn_at(churned, n, &nulls);
}

LT_LEAKFN void leak_in_round(int t, long long r)
{
	round_leaks[t][r] = malloc(leak_size);
	if (!round_leaks[t][r])
		round_nulls[t]++;
}

static void *round_thread(void *arg)
{
	int t = (int)(long)arg;
	long long half = n_blocks / 2, r;

	for (r = 0; r < rounds; r++) {
		churn_at(churned + t * half, half, &round_nulls[t]);
		leak_in_round(t, r);
	}
	return NULL;
}

static void run_rounds(void)
{
	pthread_t th[2];
	int t;

	for (t = 0; t < 2; t++)
		if (pthread_create(&th[t], NULL, round_thread, (void *)(long)t))
			nulls++;
	for (t = 0; t < 2; t++)
		pthread_join(th[t], NULL);
	nulls += round_nulls[0] + round_nulls[1];
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
	rounds = lt_arg(3, 0, 0, USAGE);
	if (n > MAX_N || k > MAX_K || rounds > 1024)
		lt_usage(USAGE);
	n_blocks = n;
	leak_size = s;
	lt_setup();
	lt_wait_go();

	churn(n);
	/* The tracer sweeps at most once a second. */
	sleep(2);
	for (i = 0; i < k; i++)
		leak_here(i, s);
	churn_again(n);
	if (rounds)
		run_rounds();

	lt_check(!nulls, "malloc returned NULL");
	{
		struct lt_expect e[] = {
			{ "leak_here", "heap", k * s, k },
			{ "leak_in_round", "heap", 2 * rounds * s, 2 * rounds },
			{ "churn_at", "heap", 0, 0 },
			{ "churn_again", "heap", 0, 0 },
		};

		lt_report(e, LT_ARRAY_SIZE(e));
	}
	lt_finish();
}
