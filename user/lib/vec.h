/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Growing arrays: room for one more (or n more) elements in a malloc'd
 * array and its capacity, doubling, with every size computation checked
 * for overflow. On failure the array and capacity are left as they were.
 */
#ifndef LT_VEC_H
#define LT_VEC_H

#include <stddef.h>

/*
 * Make *arr (elements of elem_size bytes, *cap of them allocated) hold at
 * least need elements: 0, -ENOMEM, or -EOVERFLOW when need * elem_size
 * does not fit in a size_t. New elements are not initialized.
 */
int vec_reserve(void **arr, size_t *cap, size_t need, size_t elem_size);

/* vec_reserve for a typed pointer: VEC_RESERVE(&t->procs, &t->cap, n). */
#define VEC_RESERVE(arrp, capp, need)                                          \
	vec_reserve((void **)(arrp), (capp), (need), sizeof(**(arrp)))

/* Room for element *len (then len + 1 elements): 0 or -errno. */
#define VEC_ROOM(arrp, lenp, capp)                                             \
	vec_reserve((void **)(arrp), (capp), *(lenp) + 1, sizeof(**(arrp)))

#endif
