/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A hash map from 64-bit keys (addresses) to pointers, for symbol caches. */
#ifndef LT_ADDRMAP_H
#define LT_ADDRMAP_H

#include <stddef.h>
#include <stdint.h>

struct addrmap_slot {
	uint64_t key;
	void *val; /* NULL: empty */
};

struct addrmap {
	struct addrmap_slot *slots;
	size_t cap, used;
};

/* The value stored under key, or NULL. */
void *addrmap_get(const struct addrmap *m, uint64_t key);

/* Store val (not NULL) under key, replacing any value: 0 or -ENOMEM. */
int addrmap_put(struct addrmap *m, uint64_t key, void *val);

/* Remove key and return its value (NULL if absent); the caller frees it. */
void *addrmap_del(struct addrmap *m, uint64_t key);

/*
 * Iterate: start with *pos = 0; each call returns the next used slot, or
 * NULL at the end. The map must not change during the walk.
 */
struct addrmap_slot *addrmap_next(const struct addrmap *m, size_t *pos);

/* Free the table, and each value with free_val unless it is NULL. */
void addrmap_free(struct addrmap *m, void (*free_val)(void *));

#endif
