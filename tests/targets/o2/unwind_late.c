// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libunwind_late.so: dlopen'ed by unwind_c after attach; -O2, no frame
 * pointers, its leak one frame below its entry point. */
#include <stdlib.h>

void *volatile late_kept;

__attribute__((noinline, noclone)) void late_inner(size_t n)
{
	late_kept = malloc(n);
	__asm__ volatile("" ::: "memory"); /* a real call, not a jump */
}

void late_leak(size_t n)
{
	late_inner(n);
	__asm__ volatile("" ::: "memory");
}
