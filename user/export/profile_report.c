// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A report as a profile for the exporters (flame graphs, pprof): the
 * model's frames with their kinds and mapped files.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "export/profile_report.h"

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
