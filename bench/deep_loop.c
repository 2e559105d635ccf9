// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Benchmark workload of the native walk: DEPTH nested calls, then PAIRS
 * malloc/free pairs at the bottom, so every stack has DEPTH + a few frames.
 * Prints the wall time per pair in nanoseconds.
 * Usage: deep_loop PAIRS DEPTH
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long pairs;

static __attribute__((noinline)) void bottom(void)
{
	for (long i = 0; i < pairs; i++) {
		void *volatile p = malloc(16 + (i & 1023));

		free(p);
	}
}

static __attribute__((noinline)) int descend(int depth)
{
	volatile int here = depth; /* a real frame per level */

	if (depth <= 1)
		bottom();
	else
		descend(depth - 1);
	return here;
}

int main(int argc, char **argv)
{
	int depth = argc > 2 ? atoi(argv[2]) : 5;
	struct timespec a, b;

	pairs = argc > 1 ? atol(argv[1]) : 100000;
	if (pairs < 1 || depth < 1 || depth > 10000)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &a);
	descend(depth);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.1f\n",
	       ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / pairs);
	return 0;
}
