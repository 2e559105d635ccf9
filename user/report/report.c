// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/proc.h"
#include "report/report.h"

static const char *const loss_names[LT_C_NR] = {
	[LT_C_ALLOC_MAP_FULL] = "alloc_map_full",
	[LT_C_STACK_MAP_FULL] = "stack_map_full",
	[LT_C_STATS_MAP_FULL] = "stats_map_full",
	[LT_C_STACK_COLLISION] = "stack_collisions",
	[LT_C_RET_NO_ENTRY] = "return_without_entry",
	[LT_C_FREE_UNKNOWN] = "free_unknown",
	[LT_C_EVENTS_LOST] = "events_lost",
	[LT_C_NEST_OVERFLOW] = "nest_overflow",
	[LT_C_STACK_FAILED] = "stack_failed",
	[LT_C_PY_FRAMES_TRUNCATED] = "python_frames_truncated",
	[LT_C_FREE_MISSED] = "free_missed",
	[LT_C_STACK_TRUNCATED] = "stack_truncated",
	[LT_C_STACK_NO_TABLE] = "stack_no_table",
	[LT_C_THREAD_LOST] = "thread_state_lost",
};

const char *loss_name(enum lt_counter c)
{
	return loss_names[c];
}

static int by_growth_desc(const void *a, const void *b)
{
	const struct stack_row *x = (*(struct report_stack *const *)a)->row;
	const struct stack_row *y = (*(struct report_stack *const *)b)->row;

	if (x->growth != y->growth)
		return x->growth > y->growth ? -1 : 1;
	return row_bytes(x) > row_bytes(y) ? -1 : row_bytes(x) < row_bytes(y);
}

static int by_bytes_desc(const void *a, const void *b)
{
	const struct stack_row *x = (*(struct report_stack *const *)a)->row;
	const struct stack_row *y = (*(struct report_stack *const *)b)->row;

	if (row_bytes(x) != row_bytes(y))
		return row_bytes(x) > row_bytes(y) ? -1 : 1;
	return x->stack_id < y->stack_id ? -1 : x->stack_id > y->stack_id;
}

static void add_totals(struct proc_report *pr, const struct stack_row *r)
{
	if (r->stack_id == LT_STACK_ALLOCATOR) {
		pr->allocator_map_bytes += r->map_bytes;
		pr->heap_bytes += r->heap_bytes;
		pr->heap_count += r->heap_count;
		return;
	}
	if (r->stack_id == LT_STACK_UNATTRIBUTED) { /* no stack to show */
		pr->unattributed_map_bytes += r->map_bytes;
		pr->unattributed_map_count += r->map_count;
		pr->map_bytes += r->map_bytes;
		pr->map_count += r->map_count;
		return;
	}
	pr->heap_bytes += r->heap_bytes;
	pr->heap_count += r->heap_count;
	pr->map_bytes += r->map_bytes;
	pr->map_count += r->map_count;
	pr->stacks[pr->n_all].row = r;
	pr->all[pr->n_all] = &pr->stacks[pr->n_all];
	if (r->growth > 0)
		pr->by_growth[pr->n_by_growth++] = pr->all[pr->n_all];
	pr->n_all++;
}

static size_t limit(size_t n, int top)
{
	return n < (size_t)top ? n : (size_t)top;
}

static int build_proc(struct proc_report *pr, const struct snapshot *snap,
		      size_t first, size_t end, int top, bool final)
{
	size_t i, n = end - first;

	pr->stacks = calloc(n + 1, sizeof(*pr->stacks));
	pr->all = calloc(n + 1, sizeof(*pr->all));
	pr->by_growth = calloc(n + 1, sizeof(*pr->by_growth));
	pr->by_bytes = calloc(n + 1, sizeof(*pr->by_bytes));
	if (!pr->stacks || !pr->all || !pr->by_growth || !pr->by_bytes)
		return -ENOMEM;
	for (i = first; i < end; i++)
		add_totals(pr, &snap->rows[i]);
	pr->growth = pr->heap_bytes + pr->map_bytes - pr->proc->prev_total;
	qsort(pr->by_growth, pr->n_by_growth, sizeof(*pr->by_growth),
	      by_growth_desc);
	pr->n_by_growth = limit(pr->n_by_growth, top);
	qsort(pr->all, pr->n_all, sizeof(*pr->all), by_bytes_desc);
	if (final) {
		memcpy(pr->by_bytes, pr->all, pr->n_all * sizeof(*pr->all));
		pr->n_by_bytes = limit(pr->n_all, top);
	}
	return 0;
}

/* What the printers show of the process, copied at build time. */
static void copy_proc(struct proc_report *pr, struct traced_proc *p)
{
	pr->proc = p;
	pr->pid = p->pid;
	snprintf(pr->comm, sizeof(pr->comm), "%s", p->comm);
	pr->exited = p->exited;
	pr->rss = p->rss;
	pr->rss_at_attach = p->rss_at_attach;
	pr->python = p->py != NULL;
	pr->py_minor = p->py_minor;
	pr->py_objects = p->py_objects;
	pr->census = p->census;
}

static int append_proc(struct report *r, struct traced_proc *p)
{
	struct proc_report *procs =
		realloc(r->procs, (r->n_procs + 1) * sizeof(*procs));

	if (!procs)
		return -ENOMEM;
	r->procs = procs;
	memset(&procs[r->n_procs], 0, sizeof(*procs));
	procs[r->n_procs++].proc = p;
	return 0;
}

static int by_proc_growth(const void *a, const void *b)
{
	const struct proc_report *x = a, *y = b;

	if (x->growth != y->growth)
		return x->growth > y->growth ? -1 : 1;
	return x->pid - y->pid;
}

static bool in_report(const struct report *r, const struct traced_proc *p)
{
	size_t i;

	for (i = 0; i < r->n_procs; i++)
		if (r->procs[i].proc == p)
			return true;
	return false;
}

/* --objects: a process with a census is shown even when no stack has bytes. */
static int add_census_procs(struct report *r, const struct snapshot *snap,
			    struct proc_table *procs, int top, bool final)
{
	size_t i;
	int err;

	for (i = 0; i < procs->n; i++) {
		struct traced_proc *p = procs->procs[i];

		if (!p->census || in_report(r, p))
			continue;
		err = append_proc(r, p);
		if (!err)
			err = build_proc(&r->procs[r->n_procs - 1], snap, 0, 0,
					 top, final);
		if (err)
			return err;
		if (!p->exited)
			p->rss = proc_rss_bytes(p->pid);
		copy_proc(&r->procs[r->n_procs - 1], p);
	}
	return 0;
}

int report_build(struct report *r, const struct snapshot *snap,
		 struct proc_table *procs, int top, bool final)
{
	size_t i = 0;
	int err;

	r->final = final;
	r->top = top;
	while (i < snap->n) {
		size_t end = i;
		struct traced_proc *p =
			procs_get(procs, snap->rows[i].tgid, true);

		while (end < snap->n &&
		       snap->rows[end].tgid == snap->rows[i].tgid)
			end++;
		if (!p)
			return -ENOMEM;
		err = append_proc(r, p);
		if (!err)
			err = build_proc(&r->procs[r->n_procs - 1], snap, i,
					 end, top, final);
		if (err)
			return err;
		if (!p->exited && !proc_alive(p->pid))
			p->exited = true;
		if (!p->exited)
			p->rss = proc_rss_bytes(p->pid);
		copy_proc(&r->procs[r->n_procs - 1], p);
		err = report_resolve_proc(r, &r->procs[r->n_procs - 1]);
		if (err)
			return err;
		i = end;
	}
	err = add_census_procs(r, snap, procs, top, final);
	if (err)
		return err;
	if (r->n_procs) /* r->procs is NULL for none */
		qsort(r->procs, r->n_procs, sizeof(*r->procs), by_proc_growth);
	return 0;
}

void report_free(struct report *r)
{
	size_t i;

	for (i = 0; i < r->n_procs; i++) {
		struct proc_report *pr = &r->procs[i];
		size_t j;

		for (j = 0; pr->stacks && j < pr->n_all; j++)
			free(pr->stacks[j].frames);
		free(pr->stacks);
		free(r->procs[i].all);
		free(r->procs[i].by_growth);
		free(r->procs[i].by_bytes);
	}
	free(r->procs);
	r->procs = NULL;
	r->n_procs = 0;
	report_pool_free(r);
}
