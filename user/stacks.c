// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "leaktrace.h"
#include "stacks.h"

struct stack_slot {
	uint64_t id;
	struct lt_stack *stack;
};

struct stack_store {
	int fd;
	struct stack_slot *slots;
	size_t cap, used;
};

struct stack_store *stack_store_new(int stacks_fd)
{
	struct stack_store *s = calloc(1, sizeof(*s));

	if (s)
		s->fd = stacks_fd;
	return s;
}

void stack_store_free(struct stack_store *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->cap; i++)
		free(s->slots[i].stack);
	free(s->slots);
	free(s);
}

static size_t slot_of(uint64_t id, size_t cap)
{
	return (id * 0x9e3779b97f4a7c15ULL >> 20) & (cap - 1);
}

static int grow(struct stack_store *s)
{
	size_t cap = s->cap ? 2 * s->cap : 1024, i;
	struct stack_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < s->cap; i++) {
		size_t j;

		if (!s->slots[i].stack)
			continue;
		j = slot_of(s->slots[i].id, cap);
		while (slots[j].stack)
			j = (j + 1) & (cap - 1);
		slots[j] = s->slots[i];
	}
	free(s->slots);
	s->slots = slots;
	s->cap = cap;
	return 0;
}

/* Stacks never change once stored, so each id is read from the map once. */
static const struct lt_stack *lookup(struct stack_store *s, uint64_t id)
{
	struct lt_stack *st;
	size_t j;

	if (2 * (s->used + 1) > s->cap && grow(s))
		return NULL;
	for (j = slot_of(id, s->cap); s->slots[j].stack;
	     j = (j + 1) & (s->cap - 1))
		if (s->slots[j].id == id)
			return s->slots[j].stack;
	st = malloc(sizeof(*st));
	if (!st)
		return NULL;
	if (bpf_map_lookup_elem(s->fd, &id, st) ||
	    st->len > LT_MAX_STACK_DEPTH) {
		free(st);
		return NULL;
	}
	s->slots[j].id = id;
	s->slots[j].stack = st;
	s->used++;
	return st;
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

	if (!p || !p->py || stack_id <= LT_STACK_ALLOCATOR)
		return;
	st = lookup(s, stack_id);
	if (st)
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

char *frame_text(const struct frame *f, char *buf, size_t len)
{
	if (f->pseudo)
		snprintf(buf, len, "%s", f->pseudo);
	else if (f->py && f->py->line >= 0)
		snprintf(buf, len, "%s (%s:%d)", f->py->name, f->py->file,
			 f->py->line);
	else if (f->py)
		snprintf(buf, len, "%s (%s)", f->py->name, f->py->file);
	else if (f->sym)
		frame_sym_text(f->sym, buf, len);
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)f->addr);
	return buf;
}

char *frame_short_name(const struct frame *f, char *buf, size_t len)
{
	if (f->pseudo)
		snprintf(buf, len, "%s", f->pseudo);
	else if (f->py)
		snprintf(buf, len, "%s", f->py->name);
	else if (f->sym)
		frame_sym_short(f->sym, buf, len);
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)f->addr);
	return buf;
}
