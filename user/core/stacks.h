/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Stacks captured by the kernel side, read once per id and kept. */
#ifndef LT_STACKS_H
#define LT_STACKS_H

#include <stddef.h>
#include <stdint.h>
#include "leaktrace.h"
#include "core/procs.h"
#include "python/python.h"
#include "sym/symbolize.h"

struct stack_store;
struct kmaps;

struct stack_store *stack_store_new(const struct kmaps *maps);
void stack_store_free(struct stack_store *s);

/*
 * For reclaim (user/core/reclaim.c): keep a copy of id read by the caller
 * (0 once the store holds one), forget a copy, and list the ids held
 * (*ids to free; the count, or -ENOMEM).
 */
int stack_store_keep(struct stack_store *s, uint64_t id,
		     const struct lt_stack *from);
void stack_store_drop(struct stack_store *s, uint64_t id);
long stack_store_ids(struct stack_store *s, uint64_t **ids);
size_t stack_store_count(const struct stack_store *s);

/* Frames of one stack once inlined calls are expanded. */
#define STACK_MAX_FRAMES (4 * LT_MAX_STACK_DEPTH)

/*
 * One printable frame of a stack, leaf first. A return address with
 * inlined calls gives several frames, innermost first, all with its addr:
 * those with sym->inlined set, then the function holding the code.
 */
struct frame {
	uint64_t addr;
	const struct frame_sym *sym; /* NULL for pseudo and Python frames */
	const struct py_sym *py;     /* a Python frame */
	const char *pseudo;	     /* "[allocator]", "[unknown stack]" */
};

/*
 * The frames of (tgid, stack_id), symbolized with the process's
 * symbolizer, inlined calls expanded. Returns the count (at most max;
 * the outermost frames are left out when there are more).
 */
size_t stack_frames(struct stack_store *s, struct traced_proc *p,
		    uint64_t stack_id, struct frame *out, size_t max);

/*
 * Name only the Python frames of a stack (cached by the process's decoder),
 * while the process still lives; native frames wait for a report.
 */
void stack_name_python(struct stack_store *s, struct traced_proc *p,
		       uint64_t stack_id);

#endif
