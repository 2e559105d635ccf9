/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sizes [MIB]: leak_sizes() leaks about MIB MiB (default 1024) in blocks of
 * many sizes, 16 B to 256 KiB (log-uniform, fixed seed), never touched, so
 * little of it becomes resident; churn_sizes() allocates and frees as much.
 * For --sample: the estimate must come close to the exact total printed.
 */
#include "target.h"

#define MAX_BLOCKS (1 << 20)

static void *volatile *kept;

/* Sizes spread evenly over 16 B .. 256 KiB on a log scale. */
static size_t next_size(unsigned int *seed)
{
	int shift = 4 + rand_r(seed) % 14;
	size_t base = (size_t)1 << shift;

	return base + rand_r(seed) % base;
}

LT_LEAKFN long long leak_sizes(long long target, long *count)
{
	unsigned int seed = 42;
	long long total = 0;
	long n = 0;

	while (total < target && n < MAX_BLOCKS) {
		size_t size = next_size(&seed);

		kept[n] = malloc(size);
		if (!kept[n])
			break;
		total += size;
		n++;
	}
	*count = n;
	return total;
}

LT_LEAKFN void churn_sizes(long n)
{
	unsigned int seed = 7;
	long i;

	for (i = 0; i < n; i++)
		free(malloc(next_size(&seed)));
}

int main(int argc, char **argv)
{
	long long mib, total;
	long count = 0;

	lt_parse("sizes", argc, argv, "[MIB]");
	mib = lt_arg(0, 1024, 1, "[MIB]");
	lt_setup();
	kept = calloc(MAX_BLOCKS, sizeof(*kept));
	lt_check(kept != NULL, "calloc of the block table failed");
	lt_wait_go();

	total = leak_sizes(mib << 20, &count);
	churn_sizes(count);
	{
		struct lt_expect e[] = {
			{ "leak_sizes", "heap", total, count },
			{ "churn_sizes", "heap", 0, 0 },
		};

		lt_report(e, LT_ARRAY_SIZE(e));
	}
	lt_finish();
}
