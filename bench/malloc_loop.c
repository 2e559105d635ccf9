// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Benchmark workload: N malloc/free pairs of sizes 16 B..4 KiB on T threads,
 * optionally leaking 1 %. Prints the wall time per pair in nanoseconds.
 * Usage: malloc_loop PAIRS [THREADS [LEAK_PERCENT]]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long pairs_per_thread;
static int leak_percent;

static __attribute__((noinline)) void *work(void *arg)
{
	unsigned int seed = (unsigned int)(long)arg;
	long i;

	for (i = 0; i < pairs_per_thread; i++) {
		size_t size = 16 + (rand_r(&seed) % 4081);
		void *p = malloc(size);

		if (leak_percent && (long)(rand_r(&seed) % 100) < leak_percent)
			continue;
		free(p);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long pairs = argc > 1 ? atol(argv[1]) : 1000000;
	int threads = argc > 2 ? atoi(argv[2]) : 1, t;
	pthread_t tids[64];
	struct timespec a, b;
	double ns;

	leak_percent = argc > 3 ? atoi(argv[3]) : 0;
	if (threads < 1 || threads > 64 || pairs < 1)
		return 2;
	pairs_per_thread = pairs / threads;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (t = 0; t < threads; t++)
		pthread_create(&tids[t], NULL, work, (void *)(long)(t + 1));
	for (t = 0; t < threads; t++)
		pthread_join(tids[t], NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
	printf("%.1f\n", ns / (pairs_per_thread * threads));
	return 0;
}
