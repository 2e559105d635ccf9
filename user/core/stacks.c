// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/keyhash.h"
#include "leaktrace.h"
#include "core/stacks.h"
#include "kernel/kmaps.h"

struct stack_store {
	const struct kmaps *maps; /* NULL: no kernel (unit tests) */
	struct hashmap stacks;	  /* id -> struct lt_stack */
};

struct stack_store *stack_store_new(const struct kmaps *maps)
{
	struct stack_store *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->maps = maps;
	keyhash_u64_init(&s->stacks);
	return s;
}

void stack_store_free(struct stack_store *s)
{
	if (!s)
		return;
	keyhash_clear(&s->stacks, free);
	free(s);
}

/*
 * Stacks never change once stored (ids are content hashes), so each id is
 * read from the map once; the copy outlives the kernel's entry when
 * user/reclaim.c deletes it there.
 */
static const struct lt_stack *lookup(struct stack_store *s, uint64_t id)
{
	struct lt_stack *st = keyhash_get(&s->stacks, id);

	if (st)
		return st;
	st = malloc(sizeof(*st));
	if (!st)
		return NULL;
	if (kmaps_read_stack(s->maps, id, st) || st->len > LT_MAX_STACK_DEPTH ||
	    st->py_len > LT_MAX_PY_FRAMES || hashmap__add(&s->stacks, id, st)) {
		free(st);
		return NULL;
	}
	return st;
}

int stack_store_keep(struct stack_store *s, uint64_t id,
		     const struct lt_stack *from)
{
	struct lt_stack *st;

	if (keyhash_get(&s->stacks, id))
		return 0;
	if (from->len > LT_MAX_STACK_DEPTH || from->py_len > LT_MAX_PY_FRAMES)
		return -EINVAL;
	st = malloc(sizeof(*st));
	if (!st)
		return -ENOMEM;
	*st = *from;
	if (hashmap__add(&s->stacks, id, st)) {
		free(st);
		return -ENOMEM;
	}
	return 0;
}

void stack_store_drop(struct stack_store *s, uint64_t id)
{
	struct lt_stack *st = NULL;

	if (hashmap__delete(&s->stacks, id, NULL, &st))
		free(st);
}

long stack_store_ids(struct stack_store *s, uint64_t **ids)
{
	struct hashmap_entry *e;
	size_t bkt, n = 0;

	*ids = calloc(hashmap__size(&s->stacks) + 1, sizeof(**ids));
	if (!*ids)
		return -ENOMEM;
	hashmap__for_each_entry(&s->stacks, e, bkt)
		(*ids)[n++] = e->key;
	return n;
}

size_t stack_store_count(const struct stack_store *s)
{
	return hashmap__size(&s->stacks);
}

static size_t pseudo_frame(struct frame *out, const char *name)
{
	out->addr = 0;
	out->sym = NULL;
	out->py = NULL;
	out->pseudo = name;
	return 1;
}

/*
 * The Python frames of the allocating thread, innermost first, follow the
 * native frames we could unwind (CPython has no frame pointers, so those
 * are usually the direct caller of malloc, which tells the object type).
 */
static size_t python_frames(struct traced_proc *p, const struct lt_stack *st,
			    struct frame *out, size_t max)
{
	size_t i, n = st->py_len < LT_MAX_PY_FRAMES ? st->py_len
						    : LT_MAX_PY_FRAMES;

	if (n > max)
		n = max;
	for (i = 0; i < n; i++) {
		out[i].addr = st->py[i].code;
		out[i].sym = NULL;
		out[i].pseudo = p && p->py ? NULL : "[python]";
		out[i].py = p && p->py ? py_decode(p->py, &st->py[i]) : NULL;
	}
	return n;
}

/* One frame per function at addr: inlined calls first. */
static size_t expand(struct frame *out, size_t max, uint64_t addr,
		     const struct sym_frames *sf)
{
	size_t i, n = sf ? sf->n : 1;

	if (n > max)
		n = max;
	for (i = 0; i < n; i++) {
		out[i].addr = addr;
		out[i].pseudo = NULL;
		out[i].py = NULL;
		out[i].sym = sf ? &sf->f[i] : NULL;
	}
	return n;
}

void stack_name_python(struct stack_store *s, struct traced_proc *p,
		       uint64_t stack_id)
{
	struct frame frames[LT_MAX_PY_FRAMES];
	const struct lt_stack *st;
	size_t i;

	if (!p || !p->py || stack_id <= LT_STACK_ALLOCATOR)
		return;
	st = lookup(s, stack_id);
	if (!st)
		return;
	for (i = 0; i < st->py_len && i < LT_MAX_PY_FRAMES; i++)
		py_decoder_recheck(p->py, st->py[i].code);
	python_frames(p, st, frames, LT_MAX_PY_FRAMES);
}

size_t stack_frames(struct stack_store *s, struct traced_proc *p,
		    uint64_t stack_id, struct frame *out, size_t max)
{
	const struct lt_stack *st;
	size_t i, n = 0;

	if (!max)
		return 0;
	if (stack_id == LT_STACK_ALLOCATOR)
		return pseudo_frame(out, "[allocator]");
	st = stack_id == LT_STACK_UNKNOWN ? NULL : lookup(s, stack_id);
	if (!st || !st->len)
		return pseudo_frame(out, "[unknown stack]");
	for (i = 0; i < st->len && n < max; i++) {
		const struct sym_frames *sf =
			p && p->sym ? symbolizer_lookup(p->sym, st->ips[i])
				    : NULL;

		n += expand(out + n, max - n, st->ips[i], sf);
	}
	return n + python_frames(p, st, out + n, max - n);
}
