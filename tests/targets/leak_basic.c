/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * leak_basic [K] [S]: leak_here() leaks K blocks of S bytes; balanced()
 * allocates and frees as many, interleaved. Defaults K=10 S=4096.
 */
#include "target.h"

#define USAGE "[K blocks (10)] [S bytes (4096)]"
#define MAX_K (1 << 20)

static void *volatile kept[MAX_K];
static long long nulls;

LT_LEAKFN void leak_here(long long i, size_t size)
{
	void *p = malloc(size);

	if (!p)
		nulls++;
	kept[i] = p;
}

LT_LEAKFN void balanced(size_t size)
{
	void *volatile p = malloc(size);

	if (!p)
		nulls++;
	free(p);
}

int main(int argc, char **argv)
{
	long long k, s, i;

	lt_parse("leak_basic", argc, argv, USAGE);
	k = lt_arg(0, 10, 0, USAGE);
	s = lt_arg(1, 4096, 0, USAGE);
	if (k > MAX_K)
		lt_usage(USAGE);
	lt_setup();
	lt_wait_go();

	for (i = 0; i < k; i++) {
		leak_here(i, s);
		balanced(s);
	}

	lt_check(!nulls, "malloc returned NULL");
	{
		struct lt_expect e[] = {
			{ "leak_here", "heap", k * s, k },
			{ "balanced", "heap", 0, 0 },
		};

		lt_report(e, LT_ARRAY_SIZE(e));
	}
	lt_finish();
}
