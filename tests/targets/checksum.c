/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * checksum [ROUNDS [THREADS]]: a deterministic multi-threaded allocator
 * workload for kill soaks. Each thread (default 4) runs ROUNDS (default
 * 200000) steps of malloc, calloc, realloc, free and mmap/munmap of sizes
 * from its own seeded generator, writes a pattern into every block and
 * folds what it reads back into a checksum. Prints "checksum HEX" and
 * exits 0: the same HEX traced or not, whatever happens to the tracer.
 * Starts at once (no go signal).
 */
#include <pthread.h>
#include <sys/mman.h>
#include "target.h"

#define USAGE "[ROUNDS (200000) [THREADS (4)]]"
#define LIVE  64

struct worker {
	pthread_t t;
	uint64_t seed;
	long rounds;
	uint64_t sum;
};

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t fold(uint64_t sum, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i += 61)
		sum = (sum ^ p[i]) * 0x100000001b3ULL;
	return sum;
}

static void fill(unsigned char *p, size_t n, uint64_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(v + i);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned char *live[LIVE] = { 0 };
	size_t size[LIVE] = { 0 };
	long r;
	int i;

	for (r = 0; r < w->rounds; r++) {
		uint64_t v = next(&w->seed);
		int slot = v % LIVE;
		size_t n = 1 + (v >> 8) % 4096;

		if (live[slot]) {
			w->sum = fold(w->sum, live[slot], size[slot]);
			if ((v >> 20) % 4 == 0) {
				unsigned char *q = realloc(live[slot], n);

				lt_check(q, "realloc");
				live[slot] = q;
				size[slot] = n;
				fill(q, n, v);
				continue;
			}
			free(live[slot]);
		}
		live[slot] = (v >> 24) % 3 ? malloc(n) : calloc(1, n);
		lt_check(live[slot], "malloc");
		size[slot] = n;
		fill(live[slot], n, v);
		if ((v >> 32) % 64 == 0) {
			unsigned char *m =
				mmap(NULL, 8192, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			lt_check(m != MAP_FAILED, "mmap");
			fill(m, 8192, v);
			w->sum = fold(w->sum, m, 8192);
			munmap(m, 8192);
		}
	}
	for (i = 0; i < LIVE; i++) {
		if (live[i])
			w->sum = fold(w->sum, live[i], size[i]);
		free(live[i]);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct worker w[16];
	uint64_t sum = 0;
	long rounds;
	int n, i;

	lt_parse("checksum", argc, argv, USAGE);
	rounds = lt_arg(0, 200000, 1, USAGE);
	n = lt_arg(1, 4, 1, USAGE);
	if (n > 16)
		lt_usage(USAGE);
	for (i = 0; i < n; i++) {
		w[i].seed = 0x9e3779b97f4a7c15ULL * (i + 1);
		w[i].rounds = rounds;
		w[i].sum = 0xcbf29ce484222325ULL;
		lt_check(!pthread_create(&w[i].t, NULL, work, &w[i]),
			 "pthread_create");
	}
	for (i = 0; i < n; i++) {
		pthread_join(w[i].t, NULL);
		sum = sum * 31 + w[i].sum;
	}
	lt_printfd(1, "checksum %016llx\n", (unsigned long long)sum);
	return 0;
}
