/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* libsymlib.so: a leak inside a shared library (load bias of a DSO). */
#include <stdlib.h>

static void *volatile kept[4096];

__attribute__((noinline)) int symlib_leak(long long i, size_t size)
{
	void *p = malloc(size); /* SYM-LIB-LEAK */

	kept[i & 4095] = p;
	return p != NULL;
}
