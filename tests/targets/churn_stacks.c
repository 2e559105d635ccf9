/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * churn_stacks [R rounds (8)] [D depth (7)] [N bytes (12345)] [P paced (1)]:
 * R rounds, each allocating one block from 2^D distinct stacks and freeing
 * them all (R * 2^D distinct stacks in total: the round's number picks the
 * path of the first levels), then leak_named() leaks N bytes in one block.
 * With P=1 the target prints "round I done" after each round and waits for
 * SIGUSR1 before the next one, so the tracer can report (and reclaim the
 * stacks of the round) in between; with P=0 the rounds run back to back.
 *
 * Distinct stacks: at each level, descend() calls the next level through
 * left() or right(), two call sites, so each path has its own return
 * addresses.
 */
#include "target.h"

#define USAGE	   "[R rounds (8)] [D depth (7)] [N bytes (12345)] [P paced (1)]"
#define MAX_BLOCKS (1 << 16)

static void *blocks[MAX_BLOCKS];
static long long nulls;

LT_LEAKFN void churn_alloc(long long slot)
{
	void *p = malloc(64);

	if (!p)
		nulls++;
	blocks[slot] = p;
}

LT_LEAKFN void descend(int level, int depth, unsigned long path,
		       long long slot);

LT_LEAKFN void left(int level, int depth, unsigned long path, long long slot)
{
	descend(level, depth, path, slot);
}

LT_LEAKFN void right(int level, int depth, unsigned long path, long long slot)
{
	descend(level, depth, path, slot);
}

LT_LEAKFN void descend(int level, int depth, unsigned long path, long long slot)
{
	if (level == depth) {
		churn_alloc(slot);
		return;
	}
	if (path >> level & 1)
		left(level + 1, depth, path, slot);
	else
		right(level + 1, depth, path, slot);
}

LT_LEAKFN void *leak_named(size_t size)
{
	void *p = malloc(size);

	if (!p)
		nulls++;
	return p;
}

static int bits_for(long long n)
{
	int b = 0;

	while ((1LL << b) < n)
		b++;
	return b;
}

/* One block from each of the round's 2^depth stacks, then free them. */
static void round_of(long long round, int rbits, int depth)
{
	long long i, n = 1LL << depth;

	for (i = 0; i < n; i++)
		descend(0, rbits + depth,
			(unsigned long)round | (unsigned long)i << rbits, i);
	for (i = 0; i < n; i++)
		free(blocks[i]);
}

int main(int argc, char **argv)
{
	static void *volatile kept;
	long long rounds, depth, size, paced, r;
	int rbits;

	lt_parse("churn_stacks", argc, argv, USAGE);
	rounds = lt_arg(0, 8, 1, USAGE);
	depth = lt_arg(1, 7, 0, USAGE);
	size = lt_arg(2, 12345, 1, USAGE);
	paced = lt_arg(3, 1, 0, USAGE);
	rbits = bits_for(rounds);
	if ((1LL << depth) > MAX_BLOCKS || rbits + depth > 62)
		lt_usage(USAGE);
	lt_setup();
	lt_wait_go();

	for (r = 0; r < rounds; r++) {
		round_of(r, rbits, depth);
		if (!paced)
			continue;
		lt_printfd(1, "round %lld done\n", r);
		if (lt_wait_signal() == SIGTERM)
			exit(0);
	}
	kept = leak_named(size);

	lt_check(!nulls, "malloc returned NULL");
	lt_check(kept != NULL, "leak_named got NULL");
	{
		struct lt_expect e[] = {
			{ "leak_named", "heap", size, 1 },
			{ "churn_alloc", "heap", 0, 0 },
		};

		lt_report(e, LT_ARRAY_SIZE(e));
	}
	lt_finish();
}
