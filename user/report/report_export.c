// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A report as a profile for the exporters: frames parsed once, the mapped
 * file (path, build-id) of each native frame, the growth baseline.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "export/export.h"
#include "export/folded.h"
#include "lib/procmaps.h"

/* Inlined calls may give a stack more frames than return addresses. */
#ifdef STACK_MAX_FRAMES
#define MAX_FRAMES STACK_MAX_FRAMES
#else
#define MAX_FRAMES LT_MAX_STACK_DEPTH
#endif

#define NT_BUILD_ID 3 /* NT_GNU_BUILD_ID */

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
			const struct stack_row *row = r->procs[i].all[j];

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

/* ---- modules ----------------------------------------------------------- */

struct proc_maps {
	struct map_entry *maps;
	size_t n;
	pid_t pid;
};

static const struct prof_module *known_module(const struct profile *p,
					      pid_t pid, uint64_t start)
{
	size_t i;

	for (i = 0; i < p->n_modules; i++)
		if (p->modules[i]->pid == pid && p->modules[i]->start == start)
			return p->modules[i];
	return NULL;
}

/*
 * The mapping of a native frame: from /proc/PID/maps while the process
 * lives, else just the module's name and where its addresses start.
 */
static const struct prof_module *frame_module(struct profile *p,
					      const struct proc_maps *pm,
					      const struct frame *f)
{
	const struct map_entry *e;
	struct prof_module m = { .pid = pm->pid };

	if (!f->sym || !f->sym->module[0])
		return NULL;
	e = pm->maps ? procmaps_find(pm->maps, pm->n, f->addr) : NULL;
	if (e && e->path[0] == '/') {
		m.start = e->start;
		m.limit = e->end;
		m.offset = e->offset;
		m.path = e->path;
	} else {
		m.start = f->addr - f->sym->module_offset;
		m.limit = m.start + 1;
		m.path = f->sym->module;
	}
	if (known_module(p, m.pid, m.start))
		return known_module(p, m.pid, m.start);
	/* The symbolizer read it from the same file, once per module. */
	m.build_id = f->sym->build_id;
	return profile_module(p, &m);
}

/* ---- frames and samples ------------------------------------------------ */

/*
 * Kind, name, file and line of a frame: the symbolizer's and the Python
 * decoder's fields where they have them, the frame's text otherwise.
 */
static void frame_details(const struct frame *f, struct frame_info *fi)
{
	char short_name[512], text[1024];

	frame_short_name(f, short_name, sizeof(short_name));
	frame_text(f, text, sizeof(text));
	frame_info_parse(fi, short_name, text, f->pseudo);
	if (f->py) {
		fi->kind = FK_PYTHON;
		snprintf(fi->name, sizeof(fi->name), "%s", f->py->name);
		snprintf(fi->file, sizeof(fi->file), "%s", f->py->file);
		fi->line = f->py->line > 0 ? f->py->line : 0;
	}
	if (!f->sym)
		return;
	fi->inlined = f->sym->inlined;
	if (f->sym->file[0] && f->sym->line) {
		snprintf(fi->file, sizeof(fi->file), "%s", f->sym->file);
		fi->line = f->sym->line;
	}
}

static int convert_frame(struct profile *p, const struct proc_maps *pm,
			 const struct frame *f, struct prof_frame *out)
{
	struct frame_info fi;

	frame_details(f, &fi);
	memset(out, 0, sizeof(*out));
	out->name = profile_intern(p, fi.name);
	out->file = profile_intern(p, fi.file);
	out->line = fi.line;
	out->kind = fi.kind;
	out->inlined = fi.inlined;
	if (fi.kind != FK_PSEUDO && fi.kind != FK_PYTHON) {
		out->addr = f->addr;
		out->module = frame_module(p, pm, f);
	}
	return out->name && out->file ? 0 : -ENOMEM;
}

static int add_row(struct profile *p, const struct report *r,
		   const struct proc_report *pr, const struct proc_maps *pm,
		   const struct stack_row *row, int64_t base)
{
	struct frame *frames = calloc(MAX_FRAMES, sizeof(*frames));
	struct prof_frame *pf = calloc(MAX_FRAMES, sizeof(*pf));
	const char *comm = profile_intern(p, pr->proc->comm);
	size_t i, n;
	int err = frames && pf && comm ? 0 : -ENOMEM;

	if (!err) {
		n = stack_frames(r->stacks, pr->proc, row->stack_id, frames,
				 MAX_FRAMES);
		for (i = 0; i < n && !err; i++)
			err = convert_frame(p, pm, &frames[i], &pf[i]);
	}
	if (!err)
		err = profile_add(p, pf, n, row_bytes(row),
				  row->heap_count + row->map_count, base,
				  pr->proc->pid, comm);
	free(frames);
	free(pf);
	return err;
}

static int add_proc(struct profile *p, const struct report *r,
		    const struct proc_report *pr, const struct baseline *b)
{
	struct proc_maps pm = { .pid = pr->proc->pid };
	bool with_base = b && b->taken;
	int err = 0;
	size_t j;

	if (!pr->proc->exited)
		procmaps_read(pm.pid, &pm.maps, &pm.n);
	for (j = 0; j < pr->n_all && !err; j++) {
		const struct stack_row *row = pr->all[j];
		int64_t base =
			with_base ? baseline_bytes(b, row->tgid, row->stack_id)
				  : row_bytes(row);

		/* Freed stacks stay in a growth graph's colours. */
		if (row_bytes(row) > 0 || (with_base && base > 0))
			err = add_row(p, r, pr, &pm, row, base);
	}
	free(pm.maps);
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
		err = add_proc(p, r, &r->procs[i], b);
	return err;
}

/* ---- folded text ------------------------------------------------------- */

static void fold_frame(FILE *f, const char *name, bool first)
{
	char safe[600];

	if (!first)
		fputc(';', f);
	fputs(folded_frame(safe, sizeof(safe), name), f);
}

char *profile_folded(const struct profile *p, bool process_roots, size_t *len)
{
	char *buf = NULL, root[128];
	FILE *f = open_memstream(&buf, len);
	size_t i, j;

	if (!f)
		return NULL;
	for (i = 0; i < p->n; i++) {
		const struct prof_sample *s = &p->samples[i];

		if (s->bytes <= 0)
			continue;
		if (process_roots) {
			snprintf(root, sizeof(root), "%s (%d)",
				 s->comm ? s->comm : "?", s->pid);
			fold_frame(f, root, true);
		}
		for (j = s->n_frames; j-- > 0;)
			fold_frame(f, s->frames[j].name,
				   !process_roots && j + 1 == s->n_frames);
		if (!s->n_frames && !process_roots)
			fputs("[unknown stack]", f);
		fprintf(f, " %lld\n", (long long)s->bytes);
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
