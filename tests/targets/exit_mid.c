/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * exit_mid: leak_before_exit() leaks 3 blocks of 8192 bytes; with --exit the
 * process exits right after, so a tracer must report on process exit.
 */
#include "target.h"

#define USAGE	""
#define NBLOCKS 3
#define BLOCK	8192

static void *volatile kept[NBLOCKS];

LT_LEAKFN void leak_before_exit(void)
{
	int i;

	for (i = 0; i < NBLOCKS; i++)
		kept[i] = malloc(BLOCK);
}

int main(int argc, char **argv)
{
	int i;

	lt_parse("exit_mid", argc, argv, USAGE);
	if (lt.npos)
		lt_usage(USAGE);
	lt_setup();
	lt_wait_go();

	leak_before_exit();

	for (i = 0; i < NBLOCKS; i++)
		lt_check(kept[i], "malloc returned NULL");
	{
		struct lt_expect e[] = {
			{ "leak_before_exit", "heap", NBLOCKS * BLOCK,
			  NBLOCKS },
		};

		lt_report(e, LT_ARRAY_SIZE(e));
	}
	lt_finish();
}
