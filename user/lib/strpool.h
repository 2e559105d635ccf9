/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Interned strings: one copy of each distinct string, owned by the pool
 * and valid until it is freed (the report model's and the profiles').
 */
#ifndef LT_STRPOOL_H
#define LT_STRPOOL_H

struct strpool;

/* The pool's copy of s (made on first use; *pool created if NULL). NULL
 * when out of memory. */
const char *strpool_intern(struct strpool **pool, const char *s);

void strpool_free(struct strpool *pool);

#endif
