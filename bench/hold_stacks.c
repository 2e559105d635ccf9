/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * hold_stacks [BLOCKS (1000000)] [STACKS (100000)] [SIZE (16)]: for
 * bench/footprint.sh. Prints "ready PID", waits for SIGUSR1, then holds
 * BLOCKS blocks of SIZE bytes allocated from STACKS distinct stacks (at
 * each level of a recursion, one of two call sites: 2^depth paths), prints
 * "holding BLOCKS blocks over STACKS stacks" and waits for SIGTERM.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone, used))

static void **blocks;
static long nulls;

NOINLINE void hold(long slot, size_t size)
{
	blocks[slot] = malloc(size);
	if (!blocks[slot])
		nulls++;
}

NOINLINE void descend(int level, int depth, unsigned long path, long slot,
		      size_t size);

NOINLINE void left(int level, int depth, unsigned long path, long slot,
		   size_t size)
{
	descend(level, depth, path, slot, size);
}

NOINLINE void right(int level, int depth, unsigned long path, long slot,
		    size_t size)
{
	descend(level, depth, path, slot, size);
}

NOINLINE void descend(int level, int depth, unsigned long path, long slot,
		      size_t size)
{
	if (level == depth) {
		hold(slot, size);
		return;
	}
	if (path >> level & 1)
		left(level + 1, depth, path, slot, size);
	else
		right(level + 1, depth, path, slot, size);
}

static long arg(int argc, char **argv, int i, long def)
{
	return argc > i ? atol(argv[i]) : def;
}

int main(int argc, char **argv)
{
	long n = arg(argc, argv, 1, 1000000),
	     stacks = arg(argc, argv, 2, 100000);
	size_t size = arg(argc, argv, 3, 16);
	int depth = 0, sig;
	sigset_t set;
	long i;

	while ((1L << depth) < stacks)
		depth++;
	blocks = calloc(n, sizeof(*blocks));
	if (n < 1 || stacks < 1 || !blocks) {
		fprintf(stderr,
			"usage: hold_stacks [BLOCKS] [STACKS] [SIZE]\n");
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	if (sigwait(&set, &sig) || sig == SIGTERM)
		return 0;
	for (i = 0; i < n; i++)
		descend(0, depth, i % stacks, i, size);
	printf("holding %ld blocks over %ld stacks (%ld NULL)\n", n, stacks,
	       nulls);
	fflush(stdout);
	while (!sigwait(&set, &sig) && sig != SIGTERM)
		;
	return 0;
}
