/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * growth [C] [S] [L] [B] [P]: a large cache that stays the same next to a
 * small leak that grows, for differential flame graphs. After the go
 * signal fill_cache() keeps C blocks of S bytes and "cache filled" is
 * printed; after a second SIGUSR1 leak_slowly() leaks L blocks of B bytes,
 * one every P ms. Defaults C=128 S=32768 L=20 B=4096 P=50.
 */
#include "target.h"

#define USAGE                                                                  \
	"[C cache blocks (128)] [S bytes (32768)] [L leaks (20)] [B bytes (4096)] [P ms (50)]"
#define MAX_BLOCKS 4096

static void *volatile cache[MAX_BLOCKS];
static void *volatile leaked[MAX_BLOCKS];
static long long nulls;

LT_LEAKFN void fill_cache(long long i, size_t size)
{
	cache[i] = malloc(size);
	if (!cache[i])
		nulls++;
}

LT_LEAKFN void leak_slowly(long long i, size_t size)
{
	leaked[i] = malloc(size);
	if (!leaked[i])
		nulls++;
}

int main(int argc, char **argv)
{
	long long c, s, l, b, p, i;

	lt_parse("growth", argc, argv, USAGE);
	c = lt_arg(0, 128, 0, USAGE);
	s = lt_arg(1, 32768, 1, USAGE);
	l = lt_arg(2, 20, 0, USAGE);
	b = lt_arg(3, 4096, 1, USAGE);
	p = lt_arg(4, 50, 0, USAGE);
	if (c > MAX_BLOCKS || l > MAX_BLOCKS)
		lt_usage(USAGE);
	lt_setup();
	lt_wait_go();

	for (i = 0; i < c; i++)
		fill_cache(i, s);
	lt_printfd(1, "cache filled\n");
	if (!lt.now && lt_wait_signal() == SIGTERM)
		exit(0);
	for (i = 0; i < l; i++) {
		leak_slowly(i, b);
		lt_sleep_ms(p);
	}

	lt_check(!nulls, "malloc returned NULL");
	{
		struct lt_expect e[] = {
			{ "fill_cache", "heap", c * s, c },
			{ "leak_slowly", "heap", l * b, l },
		};

		lt_report(e, LT_ARRAY_SIZE(e));
	}
	lt_finish();
}
