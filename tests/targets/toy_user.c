/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * toy_user: leaks through libtoyalloc (toy_malloc & co), to test --lib and
 * --symbol-prefix. leak_toy() keeps 6 blocks of 300 bytes, toy_balanced()
 * frees all it takes, and libc malloc leaks in leak_libc(), which must not
 * be seen when only the toy allocator is probed.
 */
#include "target.h"

void *toy_malloc(size_t size);
void toy_free(void *p);
void *toy_calloc(size_t n, size_t size);
void *toy_realloc(void *p, size_t size);

#define NBLOCKS 6
#define BLOCK	300

static void *volatile kept[NBLOCKS + 1];

LT_LEAKFN void leak_toy(void)
{
	int i;

	for (i = 0; i < NBLOCKS - 1; i++)
		kept[i] = toy_malloc(BLOCK);
	/* realloc(NULL) allocates; a grown copy replaces a calloc'd block */
	kept[NBLOCKS - 1] = toy_realloc(toy_calloc(1, 100), BLOCK);
}

LT_LEAKFN void toy_balanced(void)
{
	int i;

	for (i = 0; i < 20; i++)
		toy_free(toy_malloc(BLOCK * 2));
}

LT_LEAKFN void leak_libc(void)
{
	kept[NBLOCKS] = malloc(4000);
}

int main(int argc, char **argv)
{
	lt_parse("toy_user", argc, argv, "");
	if (lt.npos)
		lt_usage("");
	lt_setup();
	lt_wait_go();

	leak_toy();
	toy_balanced();
	leak_libc();
	{
		struct lt_expect e[] = {
			{ "leak_toy", "heap", NBLOCKS * BLOCK, NBLOCKS },
			{ "toy_balanced", "heap", 0, 0 },
			{ "leak_libc", "heap", 0, 0 },
		};

		lt_report(e, LT_ARRAY_SIZE(e));
	}
	lt_finish();
}
