// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Interned strings on the vendored hash map. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "lib/keyhash.h"
#include "lib/strpool.h"

struct strpool {
	struct hashmap map; /* string -> itself */
};

const char *strpool_intern(struct strpool **pool, const char *s)
{
	char *copy;
	long hit = 0;

	if (!*pool) {
		*pool = calloc(1, sizeof(**pool));
		if (!*pool)
			return NULL;
		hashmap__init(&(*pool)->map, keyhash_str, keyhash_str_equal,
			      NULL);
	}
	if (hashmap__find(&(*pool)->map, s, &hit))
		return (const char *)hit;
	copy = strdup(s);
	if (!copy)
		return NULL;
	if (hashmap__add(&(*pool)->map, copy, copy)) {
		free(copy);
		return NULL;
	}
	return copy;
}

void strpool_free(struct strpool *pool)
{
	if (!pool)
		return;
	keyhash_clear(&pool->map, free);
	free(pool);
}
