/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * checksum_churn [MILLISECONDS (2000)]: after go, calls the allocator for
 * about that long, or until SIGUSR2 (malloc, calloc, realloc, free; 16 B
 * to 4 KiB), filling
 * each block with a pattern and folding what it reads back into a
 * checksum, in rounds of 4096 calls. It then prints
 * {"target":"checksum_churn","rounds":N,"checksum":"0x..."} where the
 * checksum covers exactly N rounds, a pure function of N: the test
 * recomputes it untraced (checksum_churn --rounds N, without the 10 ms
 * pause the timed run takes after each round) and compares. A probe
 * that harmed the process (a wrong return, a stray trap) shows there, or
 * as a crash.
 */
#include "target.h"

#define USAGE	    "[MILLISECONDS (2000)] | --rounds N"
#define ROUND_CALLS 4096
#define SLOTS	    64

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	stop = 1;
}

static unsigned next_rand(unsigned *s)
{
	*s = *s * 1103515245 + 12345;
	return *s >> 8;
}

static uint64_t fold(uint64_t sum, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sum = (sum ^ p[i]) * 0x100000001b3ULL;
	return sum;
}

/* One round: the same calls and the same checksum every time. */
LT_LEAKFN uint64_t churn_round(uint64_t sum, unsigned round)
{
	unsigned char *slots[SLOTS] = { 0 };
	size_t sizes[SLOTS] = { 0 };
	unsigned seed = round * 2654435761u + 1;
	int c, i;

	for (c = 0; c < ROUND_CALLS; c++) {
		unsigned r = next_rand(&seed);
		size_t size = 16 + next_rand(&seed) % 4081;

		i = r % SLOTS;
		if (!slots[i]) {
			slots[i] = (r & 0x100) ? calloc(1, size) : malloc(size);
			if (!slots[i])
				return 0;
			memset(slots[i], (int)(r >> 16), size);
			sizes[i] = size;
		} else if (r & 0x200) {
			unsigned char *p = realloc(slots[i], size);

			if (!p)
				return 0;
			if (size > sizes[i])
				memset(p + sizes[i], (int)(r >> 20),
				       size - sizes[i]);
			slots[i] = p;
			sizes[i] = size;
		} else {
			sum = fold(sum, slots[i], sizes[i]);
			free(slots[i]);
			slots[i] = NULL;
		}
	}
	for (i = 0; i < SLOTS; i++) {
		if (slots[i])
			sum = fold(sum, slots[i], sizes[i]);
		free(slots[i]);
	}
	return sum;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	uint64_t sum = 0xcbf29ce484222325ULL, end;
	long long ms, rounds = -1;
	unsigned n = 0;

	if (argc == 3 && !strcmp(argv[1], "--rounds")) {
		rounds = atoll(argv[2]);
		argc = 1;
	}
	lt_parse("checksum_churn", argc, argv, USAGE);
	ms = lt_arg(0, 2000, 1, USAGE);
	if (rounds < 0) {
		signal(SIGUSR2, on_stop);
		lt_setup();
		lt_wait_go();
	}
	end = now_ms() + ms;
	while (rounds >= 0 ? n < rounds : now_ms() < end && !stop) {
		sum = churn_round(sum, n);
		/* Timed: mostly idle, so --rounds N recomputes it quickly. */
		if (rounds < 0)
			lt_sleep_ms(10);
		if (!sum) {
			lt_printfd(2, "checksum_churn: allocation failed\n");
			return 3;
		}
		n++;
	}
	lt_printfd(1,
		   "{\"target\":\"checksum_churn\",\"rounds\":%u,"
		   "\"checksum\":\"0x%016llx\"}\n",
		   n, (unsigned long long)sum);
	return 0;
}
