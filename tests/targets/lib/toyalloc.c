/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * toyalloc: a tiny allocator with prefixed names (toy_malloc, toy_free...),
 * to test --lib and --symbol-prefix. Blocks come from a static arena with
 * a size header; freed blocks are kept on a list and reused by size.
 */
#include <stddef.h>
#include <string.h>

#define ARENA_SIZE (1 << 20)

struct header {
	size_t size;
	struct header *next_free;
};

static char arena[ARENA_SIZE] __attribute__((aligned(16)));
static size_t arena_used;
static struct header *free_list;

static struct header *reuse(size_t size)
{
	struct header **link, *h;

	for (link = &free_list; (h = *link); link = &h->next_free) {
		if (h->size == size) {
			*link = h->next_free;
			return h;
		}
	}
	return NULL;
}

__attribute__((noinline)) void *toy_malloc(size_t size)
{
	size_t need = (sizeof(struct header) + size + 15) & ~(size_t)15;
	struct header *h = reuse(size);

	if (!h) {
		if (need > ARENA_SIZE - arena_used)
			return NULL;
		h = (struct header *)(arena + arena_used);
		arena_used += need;
		h->size = size;
	}
	return h + 1;
}

__attribute__((noinline)) void toy_free(void *p)
{
	struct header *h;

	if (!p)
		return;
	h = (struct header *)p - 1;
	h->next_free = free_list;
	free_list = h;
}

__attribute__((noinline)) void *toy_calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > (size_t)-1 / size)
		return NULL;
	p = toy_malloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

__attribute__((noinline)) void *toy_realloc(void *p, size_t size)
{
	struct header *h;
	void *q;

	if (!p)
		return toy_malloc(size);
	if (!size) {
		toy_free(p);
		return NULL;
	}
	h = (struct header *)p - 1;
	q = toy_malloc(size);
	if (!q)
		return NULL;
	memcpy(q, p, h->size < size ? h->size : size);
	toy_free(p);
	return q;
}
