/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * late_start [MS]: sleeps MS milliseconds (default 500) before anything
 * else, then leak_late() leaks 5 blocks of 1000 bytes. For checking that a
 * system-wide tracer sees processes that start after it attached.
 */
#include "target.h"

#define USAGE	"[MS delay (500)]"
#define NBLOCKS 5
#define BLOCK	1000

static void *volatile kept[NBLOCKS];

LT_LEAKFN void leak_late(void)
{
	int i;

	for (i = 0; i < NBLOCKS; i++)
		kept[i] = malloc(BLOCK);
}

int main(int argc, char **argv)
{
	long long ms;
	int i;

	lt_parse("late_start", argc, argv, USAGE);
	ms = lt_arg(0, 500, 0, USAGE);
	lt_sleep_ms(ms);
	lt_setup();
	lt_wait_go();

	leak_late();

	for (i = 0; i < NBLOCKS; i++)
		lt_check(kept[i], "malloc returned NULL");
	{
		struct lt_expect e[] = {
			{ "leak_late", "heap", NBLOCKS * BLOCK, NBLOCKS },
		};

		lt_report(e, LT_ARRAY_SIZE(e));
	}
	lt_finish();
}
