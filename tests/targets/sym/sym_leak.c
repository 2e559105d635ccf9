/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sym_leak [K] [S]: sym_leak_here() leaks K blocks of S bytes, called
 * from sym_caller(). Built several ways (tests/sym.mk) to check where
 * debug info is found: in the binary, by build-id, by .gnu_debuglink,
 * from debuginfod. SYM_VARIANT makes each build's build-id its own.
 * The tests find the expected lines by the SYM-* markers.
 */
#include "../target.h"

#ifndef SYM_VARIANT
#define SYM_VARIANT "sym_leak"
#endif
/* Empty with -rdynamic: the functions are then named by .dynsym too. */
#ifndef SYM_STATIC
#define SYM_STATIC static
#endif

#define USAGE "[K blocks (10)] [S bytes (4096)]"
#define MAX_K 4096

static void *volatile kept[MAX_K];
static long long nulls;
const char sym_variant[] = SYM_VARIANT;

/* static: stripped, only debug info (not .dynsym) can name it. */
SYM_STATIC LT_LEAKFN void sym_leak_here(long long i, size_t size)
{
	void *p = malloc(size); /* SYM-LEAK */

	if (!p)
		nulls++;
	kept[i] = p;
}

SYM_STATIC LT_LEAKFN void sym_caller(long long k, size_t size)
{
	long long i;

	for (i = 0; i < k; i++)
		sym_leak_here(i, size); /* SYM-CALL */
}

int main(int argc, char **argv)
{
	long long k, s;

	lt_parse(sym_variant, argc, argv, USAGE);
	k = lt_arg(0, 10, 0, USAGE);
	s = lt_arg(1, 4096, 0, USAGE);
	if (k > MAX_K)
		lt_usage(USAGE);
	lt_setup();
	lt_wait_go();

	sym_caller(k, s);

	lt_check(!nulls, "malloc returned NULL");
	{
		struct lt_expect e[] = {
			{ "sym_leak_here", "heap", k * s, k },
		};

		lt_report(e, LT_ARRAY_SIZE(e));
	}
	lt_finish();
}
