// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "lib/vec.h"

#define VEC_MIN_CAP 16

int vec_reserve(void **arr, size_t *cap, size_t need, size_t elem_size)
{
	size_t grown = *cap ? *cap : VEC_MIN_CAP, bytes;
	void *p;

	if (need <= *cap)
		return 0;
	while (grown < need)
		if (__builtin_mul_overflow(grown, 2, &grown))
			grown = need; /* doubling overflows: exactly need */
	if (__builtin_mul_overflow(grown, elem_size, &bytes))
		return -EOVERFLOW;
	p = realloc(*arr, bytes ? bytes : 1);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = grown;
	return 0;
}
