// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "lib/keyhash.h"

void keyhash_clear(struct hashmap *m, void (*free_val)(void *))
{
	struct hashmap_entry *cur;
	size_t bkt;

	if (free_val)
		hashmap__for_each_entry(m, cur, bkt)
			free_val(cur->pvalue);
	hashmap__clear(m);
}
