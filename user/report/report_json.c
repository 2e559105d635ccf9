// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* --json: one JSON object per report, on one line. */
#include <inttypes.h>
#include <string.h>
#include "python/census.h"
#include "report/report.h"

#define MAX_FRAMES STACK_MAX_FRAMES

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/* Source location and module identity, when known. */
static void json_frame_source(FILE *out, const struct frame_sym *sym)
{
	fprintf(out, ",\"file\":");
	json_string(out, sym ? sym->file : "");
	fprintf(out, ",\"line\":%u,\"inlined\":%s,\"build_id\":",
		sym ? sym->line : 0, sym && sym->inlined ? "true" : "false");
	json_string(out, sym ? sym->build_id : "");
}

/* Python frames carry their own file and line; -1: no line. */
static void json_python_source(FILE *out, const struct py_sym *py)
{
	fprintf(out, ",\"file\":");
	json_string(out, py->file);
	fprintf(out, ",\"line\":%d,\"inlined\":false,\"build_id\":\"\"",
		py->line);
}

static const char *frame_kind(const struct frame *f)
{
	if (f->py)
		return "python";
	return f->pseudo ? "pseudo" : "native";
}

static void json_frame(FILE *out, const struct frame *f)
{
	char text[1024];

	fprintf(out, "{\"addr\":\"0x%" PRIx64 "\",\"kind\":\"%s\",\"symbol\":",
		f->addr, frame_kind(f));
	if (f->pseudo)
		json_string(out, f->pseudo);
	else if (f->py)
		json_string(out, f->py->name);
	else
		json_string(out, f->sym ? f->sym->name : "");
	fprintf(out, ",\"offset\":%" PRIu64 ",\"module\":",
		f->sym ? f->sym->offset : 0);
	json_string(out, f->sym ? f->sym->module : "");
	fprintf(out, ",\"text\":");
	json_string(out, frame_text(f, text, sizeof(text)));
	if (f->py)
		json_python_source(out, f->py);
	else
		json_frame_source(out, f->sym);
	fputc('}', out);
}

static void json_row(FILE *out, const struct report *r, struct traced_proc *p,
		     const struct stack_row *row)
{
	struct frame frames[MAX_FRAMES];
	size_t i, n = stack_frames(r->stacks, p, row->stack_id, frames,
				   MAX_FRAMES);
	int window, grew = row_trend(row, &window);

	fprintf(out,
		"{\"id\":\"0x%" PRIx64 "\",\"growth_bytes\":%" PRId64
		",\"bytes\":%" PRId64 ",\"count\":%" PRId64,
		row->stack_id, row->growth, row_bytes(row),
		row->heap_count + row->map_count);
	fprintf(out,
		",\"heap_bytes\":%" PRId64 ",\"heap_count\":%" PRId64
		",\"mapped_bytes\":%" PRId64 ",\"mapped_count\":%" PRId64,
		row->heap_bytes, row->heap_count, row->map_bytes,
		row->map_count);
	fprintf(out, ",\"trend_grew\":%d,\"trend_reports\":%d,\"frames\":[",
		grew, window);
	for (i = 0; i < n; i++) {
		if (i)
			fputc(',', out);
		json_frame(out, &frames[i]);
	}
	fprintf(out, "]}");
}

static void json_rows(FILE *out, const struct report *r,
		      const struct proc_report *pr, const char *key,
		      const struct stack_row *const *rows, size_t n)
{
	size_t i;

	fprintf(out, ",\"%s\":[", key);
	for (i = 0; i < n; i++) {
		if (i)
			fputc(',', out);
		json_row(out, r, pr->proc, rows[i]);
	}
	fputc(']', out);
}

static void json_proc(FILE *out, const struct report *r,
		      const struct proc_report *pr)
{
	const struct traced_proc *p = pr->proc;

	fprintf(out, "{\"pid\":%d,\"comm\":", p->pid);
	json_string(out, p->comm);
	fprintf(out,
		",\"alive\":%s,\"rss_bytes\":%" PRId64
		",\"rss_growth_bytes\":%" PRId64,
		p->exited ? "false" : "true", p->rss,
		p->rss >= 0 && p->rss_at_attach >= 0 ? p->rss - p->rss_at_attach
						     : 0);
	fprintf(out,
		",\"heap_bytes\":%" PRId64 ",\"heap_count\":%" PRId64
		",\"mapped_bytes\":%" PRId64 ",\"mapped_count\":%" PRId64,
		pr->heap_bytes, pr->heap_count, pr->map_bytes, pr->map_count);
	fprintf(out,
		",\"allocator_mapped_bytes\":%" PRId64
		",\"growth_bytes\":%" PRId64
		",\"growth_since_attach_bytes\":%" PRId64,
		pr->allocator_map_bytes, pr->growth,
		pr->heap_bytes + pr->map_bytes);
	if (p->py)
		fprintf(out,
			",\"python\":{\"version\":\"3.%d\",\"mode\":\"%s\"}",
			p->py_minor, p->py_objects ? "objects" : "arenas");
	census_print_json(out, p->census, r->top);
	json_rows(out, r, pr, "stacks", pr->by_growth, pr->n_by_growth);
	if (r->final)
		json_rows(out, r, pr, "top_outstanding", pr->by_bytes,
			  pr->n_by_bytes);
	fputc('}', out);
}

void report_print_json(FILE *out, const struct report *r)
{
	char when[40];
	struct tm tm;
	size_t i;
	int c;

	gmtime_r(&r->wall.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(out,
		"{\"type\":\"report\",\"time\":\"%s\",\"final\":%s,\"elapsed_s\":%.3f,\"interval_s\":%.3f,\"mode\":\"%s\",\"sample_bytes\":%" PRIu64
		",\"min_age_s\":%.3f,\"losses\":{",
		when, r->final ? "true" : "false", r->elapsed_s, r->interval_s,
		r->sample_bytes ? "sampled" : "exact", r->sample_bytes,
		r->min_age_ns / 1e9);
	for (c = 0; c < LT_C_NR; c++)
		fprintf(out, "%s\"%s\":%" PRIu64, c ? "," : "", loss_name(c),
			r->losses[c]);
	fprintf(out,
		",\"census_incomplete\":%" PRIu64
		",\"census_objects_skipped\":%" PRIu64,
		r->census_incomplete, r->census_skipped);
	fprintf(out, "},\"processes\":[");
	for (i = 0; i < r->n_procs; i++) {
		if (i)
			fputc(',', out);
		json_proc(out, r, &r->procs[i]);
	}
	fprintf(out, "]}\n");
	fflush(out);
}
