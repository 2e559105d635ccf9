/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Hash and equality functions for lib/hashmap.h (libbpf's hash map): keys
 * that are 64-bit numbers (addresses, stack ids) or C strings.
 */
#ifndef LT_KEYHASH_H
#define LT_KEYHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "lib/hashmap.h"

/* hash_bits() keeps the top bits of a multiplicative hash, so aligned
 * addresses (equal low bits) spread as well as any. */
static inline size_t keyhash_u64(long key, void *ctx)
{
	return (size_t)key;
}

static inline bool keyhash_u64_equal(long a, long b, void *ctx)
{
	return a == b;
}

static inline size_t keyhash_str(long key, void *ctx)
{
	return str_hash((const char *)key);
}

static inline bool keyhash_str_equal(long a, long b, void *ctx)
{
	return !strcmp((const char *)a, (const char *)b);
}

/* A map from 64-bit numbers to pointers, empty. */
static inline void keyhash_u64_init(struct hashmap *m)
{
	hashmap__init(m, keyhash_u64, keyhash_u64_equal, NULL);
}

/* The pointer stored under key, or NULL. */
static inline void *keyhash_get(const struct hashmap *m, uint64_t key)
{
	void *val = NULL;

	return hashmap__find(m, key, &val) ? val : NULL;
}

/* Free each value with free_val, then the map's entries (not the map). */
void keyhash_clear(struct hashmap *m, void (*free_val)(void *));

#endif
