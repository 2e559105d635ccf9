// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/addrmap.h"

/* Addresses share their low bits (alignment): mix before masking. */
static size_t slot_of(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return key & (cap - 1);
}

static struct addrmap_slot *find(const struct addrmap *m, uint64_t key)
{
	size_t j;

	if (!m->cap)
		return NULL;
	for (j = slot_of(key, m->cap); m->slots[j].val;
	     j = (j + 1) & (m->cap - 1))
		if (m->slots[j].key == key)
			return &m->slots[j];
	return &m->slots[j];
}

void *addrmap_get(const struct addrmap *m, uint64_t key)
{
	struct addrmap_slot *s = find(m, key);

	return s ? s->val : NULL;
}

static int grow(struct addrmap *m)
{
	size_t cap = m->cap ? 2 * m->cap : 256, i;
	struct addrmap_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->slots[i].val)
			continue;
		j = slot_of(m->slots[i].key, cap);
		while (slots[j].val)
			j = (j + 1) & (cap - 1);
		slots[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

int addrmap_put(struct addrmap *m, uint64_t key, void *val)
{
	struct addrmap_slot *s;

	/* Half full at most, so probes stay short. */
	if (2 * (m->used + 1) > m->cap && grow(m))
		return -ENOMEM;
	s = find(m, key);
	if (!s->val)
		m->used++;
	s->key = key;
	s->val = val;
	return 0;
}

/* Linear probing: close the gap by moving back the entries that may. */
static void close_gap(struct addrmap *m, size_t gap)
{
	size_t mask = m->cap - 1, j = gap;

	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!m->slots[j].val)
			break;
		home = slot_of(m->slots[j].key, m->cap);
		/* Movable unless its home lies in (gap, j]. */
		if (((j - home) & mask) >= ((j - gap) & mask)) {
			m->slots[gap] = m->slots[j];
			gap = j;
		}
	}
	m->slots[gap].key = 0;
	m->slots[gap].val = NULL;
}

void *addrmap_del(struct addrmap *m, uint64_t key)
{
	struct addrmap_slot *s = find(m, key);
	void *val;

	if (!s || !s->val)
		return NULL;
	val = s->val;
	close_gap(m, s - m->slots);
	m->used--;
	return val;
}

struct addrmap_slot *addrmap_next(const struct addrmap *m, size_t *pos)
{
	while (*pos < m->cap) {
		struct addrmap_slot *s = &m->slots[(*pos)++];

		if (s->val)
			return s;
	}
	return NULL;
}

void addrmap_free(struct addrmap *m, void (*free_val)(void *))
{
	size_t i;

	for (i = 0; free_val && i < m->cap; i++)
		if (m->slots[i].val)
			free_val(m->slots[i].val);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}
