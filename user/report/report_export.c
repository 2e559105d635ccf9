// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A report as a profile for the exporters (flame graphs, pprof): the
 * model's frames with their kinds and mapped files, and the growth
 * baseline.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "export/export.h"

/* ---- baseline ---------------------------------------------------------- */

static int cmp_base(const void *a, const void *b)
{
	const struct base_row *x = a, *y = b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return x->stack_id < y->stack_id ? -1 : x->stack_id > y->stack_id;
}

int baseline_take(struct baseline *b, const struct report *r)
{
	size_t i, j, n = 0;

	for (i = 0; i < r->n_procs; i++)
		n += r->procs[i].n_all;
	free(b->rows);
	b->rows = calloc(n + 1, sizeof(*b->rows));
	b->n = 0;
	if (!b->rows)
		return -ENOMEM;
	for (i = 0; i < r->n_procs; i++)
		for (j = 0; j < r->procs[i].n_all; j++) {
			const struct stack_row *row = r->procs[i].all[j]->row;

			b->rows[b->n].tgid = row->tgid;
			b->rows[b->n].stack_id = row->stack_id;
			b->rows[b->n++].bytes = row_bytes(row);
		}
	qsort(b->rows, b->n, sizeof(*b->rows), cmp_base);
	b->taken = true;
	b->at_s = r->elapsed_s;
	return 0;
}

int64_t baseline_bytes(const struct baseline *b, uint32_t tgid,
		       uint64_t stack_id)
{
	struct base_row key = { .tgid = tgid, .stack_id = stack_id };
	const struct base_row *hit;

	if (!b->n)
		return 0;
	hit = bsearch(&key, b->rows, b->n, sizeof(*b->rows), cmp_base);
	return hit ? hit->bytes : 0;
}

void baseline_free(struct baseline *b)
{
	free(b->rows);
	memset(b, 0, sizeof(*b));
}

/* ---- frames and samples ------------------------------------------------ */

/* The mapped file of a native frame, as the model resolved it. */
static const struct prof_module *frame_module(struct profile *p, pid_t pid,
					      const struct report_frame *f)
{
	struct prof_module m = { .pid = pid };

	if (!f->has_sym || !f->module[0] || !f->map.path)
		return NULL;
	m.start = f->map.start;
	m.limit = f->map.limit;
	m.offset = f->map.offset;
	m.path = f->map.path;
	m.build_id = f->build_id;
	return profile_module(p, &m);
}

static enum frame_kind prof_kind(const struct report_frame *f, const char *name)
{
	if (f->kind == RF_PSEUDO)
		return strcmp(name, "[allocator]") ? FK_PSEUDO : FK_ALLOCATOR;
	if (f->kind == RF_PYTHON)
		return FK_PYTHON;
	return profile_is_allocator(name) ? FK_ALLOCATOR : FK_NATIVE;
}

static int convert_frame(struct profile *p, pid_t pid,
			 const struct report_frame *f, struct prof_frame *out)
{
	bool python = f->kind == RF_PYTHON;
	bool source = python || (f->has_sym && f->file[0] && f->line > 0);
	char name[512];

	report_frame_short(f, name, sizeof(name));
	memset(out, 0, sizeof(*out));
	out->kind = prof_kind(f, name);
	out->name = profile_intern(p, name);
	if (f->kind != RF_PSEUDO && !python && *f->raw_name &&
	    strcmp(f->raw_name, f->function))
		out->system_name = profile_intern(p, f->raw_name);
	out->file = profile_intern(p, source ? f->file : "");
	out->line = source && f->line > 0 ? f->line : 0;
	out->inlined = f->kind == RF_INLINED;
	if (f->kind != RF_PSEUDO && !python) {
		out->addr = f->addr;
		out->module = frame_module(p, pid, f);
	}
	return out->name && out->file ? 0 : -ENOMEM;
}

static int add_row(struct profile *p, const struct proc_report *pr,
		   const struct report_stack *st, int64_t base)
{
	struct prof_frame *pf = calloc(st->n_frames + 1, sizeof(*pf));
	const char *comm = profile_intern(p, pr->comm);
	const struct stack_row *row = st->row;
	size_t i;
	int err = pf && comm ? 0 : -ENOMEM;

	for (i = 0; i < st->n_frames && !err; i++)
		err = convert_frame(p, pr->pid, &st->frames[i], &pf[i]);
	if (!err)
		err = profile_add(p, pf, st->n_frames, row_bytes(row),
				  row->heap_count + row->map_count, base,
				  pr->pid, comm);
	free(pf);
	return err;
}

static int add_proc(struct profile *p, const struct proc_report *pr,
		    const struct baseline *b)
{
	bool with_base = b && b->taken;
	int err = 0;
	size_t j;

	for (j = 0; j < pr->n_all && !err; j++) {
		const struct stack_row *row = pr->all[j]->row;
		int64_t base =
			with_base ? baseline_bytes(b, row->tgid, row->stack_id)
				  : row_bytes(row);

		/* Freed stacks stay in a growth graph's colours. */
		if (row_bytes(row) > 0 || (with_base && base > 0))
			err = add_row(p, pr, pr->all[j], base);
	}
	return err;
}

int profile_from_report(struct profile *p, const struct report *r,
			const struct baseline *b)
{
	int err = 0;
	size_t i;

	memset(p, 0, sizeof(*p));
	p->wall = r->wall;
	p->elapsed_s = r->elapsed_s;
	p->interval_s = r->interval_s;
	p->final = r->final;
	p->n_procs = r->n_procs;
	p->baseline_known = b && b->taken;
	p->baseline_s = b ? b->at_s : 0;
	for (i = 0; i < r->n_procs && !err; i++)
		err = add_proc(p, &r->procs[i], b);
	return err;
}
