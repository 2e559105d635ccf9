/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* sym_libuser [K] [S]: symlib_leak() in libsymlib.so leaks K blocks of S. */
#include "../target.h"

#define USAGE "[K blocks (10)] [S bytes (2048)]"

int symlib_leak(long long i, size_t size);

int main(int argc, char **argv)
{
	long long k, s, i, ok = 0;

	lt_parse("sym_libuser", argc, argv, USAGE);
	k = lt_arg(0, 10, 0, USAGE);
	s = lt_arg(1, 2048, 0, USAGE);
	if (k > 4096)
		lt_usage(USAGE);
	lt_setup();
	lt_wait_go();

	for (i = 0; i < k; i++)
		ok += symlib_leak(i, s); /* SYM-LIB-CALL */

	lt_check(ok == k, "malloc returned NULL");
	{
		struct lt_expect e[] = {
			{ "symlib_leak", "heap", k * s, k },
		};

		lt_report(e, LT_ARRAY_SIZE(e));
	}
	lt_finish();
}
