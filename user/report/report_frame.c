// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Frames of the report model: resolved once from the stack store (kernel
 * stack, symbolizer, Python decoder) while the report is built, their
 * strings copied into the report, and their text for the formats.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/stacks.h"
#include "lib/procmaps.h"
#include "lib/strpool.h"
#include "report/report.h"

/* ---- strings ------------------------------------------------------------ */

const char *report_intern(struct report *r, const char *s)
{
	return s && *s ? strpool_intern(&r->pool, s) : "";
}

void report_pool_free(struct report *r)
{
	strpool_free(r->pool);
	r->pool = NULL;
}

/* ---- resolving ---------------------------------------------------------- */

static enum report_frame_kind sym_kind(const struct frame_sym *sym)
{
	if (sym->inlined)
		return RF_INLINED;
	if (sym->jit)
		return RF_JIT;
	return sym->anon ? RF_ANON : RF_NATIVE;
}

static void fill_sym(struct report_frame *out, const struct frame_sym *sym,
		     const char *strs[5])
{
	out->kind = sym_kind(sym);
	strs[0] = sym->name;
	strs[1] = sym->mangled && *sym->mangled ? sym->mangled : sym->name;
	strs[2] = sym->file;
	strs[3] = sym->module;
	strs[4] = sym->build_id;
	out->line = (int)sym->line;
	out->offset = sym->offset;
	out->module_offset = sym->module_offset;
	out->has_sym = true;
}

static int resolve_frame(struct report *r, const struct frame *f,
			 struct report_frame *out)
{
	const char *strs[5] = { "", "", "", "", "" };
	const char **dst[5] = { &out->function, &out->raw_name, &out->file,
				&out->module, &out->build_id };
	int i;

	memset(out, 0, sizeof(*out));
	out->addr = f->addr;
	if (f->pseudo) {
		out->kind = RF_PSEUDO;
		strs[0] = f->pseudo;
	} else if (f->py) {
		out->kind = RF_PYTHON;
		strs[0] = strs[1] = f->py->name;
		strs[2] = f->py->file;
		out->line = f->py->line;
	} else if (f->sym) {
		fill_sym(out, f->sym, strs);
	}
	for (i = 0; i < 5; i++)
		if (!(*dst[i] = report_intern(r, strs[i])))
			return -ENOMEM;
	out->map.path = "";
	return 0;
}

/*
 * The mapping of a native frame: from /proc/PID/maps while the process
 * lives, else just the module's name and where its addresses start.
 */
static void resolve_map(const struct map_entry *maps, size_t n,
			struct report_frame *f)
{
	const struct map_entry *e;

	if (!f->has_sym || !f->module[0])
		return;
	e = maps ? procmaps_find(maps, n, f->addr) : NULL;
	if (e && e->path[0] == '/') {
		f->map.start = e->start;
		f->map.limit = e->end;
		f->map.offset = e->offset;
		f->map.path = e->path;
	} else {
		f->map.start = f->addr - f->module_offset;
		f->map.limit = f->map.start + 1;
		f->map.path = f->module;
	}
}

int report_resolve_stack(struct report *r, struct proc_report *pr,
			 struct report_stack *st)
{
	struct frame frames[STACK_MAX_FRAMES];
	size_t i, n;

	if (st->frames)
		return 0;
	n = stack_frames(r->stacks, pr->proc, st->row->stack_id, frames,
			 STACK_MAX_FRAMES);
	st->frames = calloc(n ? n : 1, sizeof(*st->frames));
	if (!st->frames)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (resolve_frame(r, &frames[i], &st->frames[i]))
			return -ENOMEM;
	st->n_frames = n;
	return 0;
}

static int resolve_maps(struct report *r, struct proc_report *pr)
{
	struct map_entry *maps = NULL;
	size_t i, j, n = 0;

	if (!pr->exited)
		procmaps_read(pr->pid, &maps, &n);
	for (i = 0; i < pr->n_all; i++)
		for (j = 0; j < pr->all[i]->n_frames; j++)
			resolve_map(maps, n, &pr->all[i]->frames[j]);
	/* Paths are kept: the maps go. */
	for (i = 0; i < pr->n_all; i++)
		for (j = 0; j < pr->all[i]->n_frames; j++) {
			struct report_map *m = &pr->all[i]->frames[j].map;

			if (!(m->path = report_intern(r, m->path))) {
				free(maps);
				return -ENOMEM;
			}
		}
	free(maps);
	return 0;
}

/* The stacks the report shows (or exports) get their frames. */
int report_resolve_proc(struct report *r, struct proc_report *pr)
{
	size_t i;
	int err = 0;

	for (i = 0; i < pr->n_by_growth && !err; i++)
		err = report_resolve_stack(r, pr, pr->by_growth[i]);
	for (i = 0; i < pr->n_by_bytes && !err; i++)
		err = report_resolve_stack(r, pr, pr->by_bytes[i]);
	for (i = 0; r->all_frames && i < pr->n_all && !err; i++)
		err = report_resolve_stack(r, pr, pr->all[i]);
	if (!err && r->all_frames && r->with_maps)
		err = resolve_maps(r, pr);
	return err;
}

/* ---- text --------------------------------------------------------------- */

/* Native frames read as the symbolizer writes them. */
static struct frame_sym as_sym(const struct report_frame *f)
{
	return (struct frame_sym){ .name = f->function,
				   .offset = f->offset,
				   .file = f->file,
				   .line = f->line > 0 ? (unsigned int)f->line
						       : 0,
				   .inlined = f->kind == RF_INLINED,
				   .module = f->module,
				   .module_offset = f->module_offset,
				   .build_id = f->build_id };
}

static char *sym_text(const struct report_frame *f, char *buf, size_t len)
{
	struct frame_sym sym = as_sym(f);

	return frame_sym_text(&sym, buf, len);
}

static char *sym_short(const struct report_frame *f, char *buf, size_t len)
{
	struct frame_sym sym = as_sym(f);

	return frame_sym_short(&sym, buf, len);
}

char *report_frame_text(const struct report_frame *f, char *buf, size_t len)
{
	if (f->kind == RF_PSEUDO)
		snprintf(buf, len, "%s", f->function);
	else if (f->kind == RF_PYTHON && f->line >= 0)
		snprintf(buf, len, "%s (%s:%d)", f->function, f->file, f->line);
	else if (f->kind == RF_PYTHON)
		snprintf(buf, len, "%s (%s)", f->function, f->file);
	else if (f->has_sym)
		sym_text(f, buf, len);
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)f->addr);
	return buf;
}

char *report_frame_short(const struct report_frame *f, char *buf, size_t len)
{
	if (f->kind == RF_PSEUDO || f->kind == RF_PYTHON)
		snprintf(buf, len, "%s", f->function);
	else if (f->has_sym)
		sym_short(f, buf, len);
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)f->addr);
	return buf;
}
