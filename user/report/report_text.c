// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The human-readable report on stdout. */
#include <inttypes.h>
#include <string.h>
#include "python/census.h"
#include "report/report.h"
#include "lib/log.h"
#include "lib/units.h"

static const char *signed_bytes(char *buf, size_t len, int64_t v)
{
	char tmp[24];

	format_bytes(tmp, sizeof(tmp), v);
	snprintf(buf, len, "%s%s", v > 0 ? "+" : "", tmp);
	return buf;
}

/* A stack that grew in most recent reports is the one to look at. */
static const char *trend_label(const struct stack_row *row)
{
	int window, grew = row_trend(row, &window);

	if (window >= 3 && grew * 4 >= window * 3)
		return "  << grows steadily";
	if (window >= 3 && grew == 1)
		return "  (grew once)";
	return "";
}

static void print_frames(FILE *out, const struct report_stack *st)
{
	char text[1200], safe[1200]; /* names come from the target's files */
	size_t i;

	for (i = 0; i < st->n_frames; i++)
		fprintf(out, "        %s\n",
			lt_escape(safe, sizeof(safe),
				  report_frame_text(&st->frames[i], text,
						    sizeof(text))));
}

static void print_growth_row(FILE *out, const struct report_stack *st)
{
	const struct stack_row *row = st->row;
	char g[32], b[32];
	int window, grew = row_trend(row, &window);

	fprintf(out,
		"    %s  outstanding %s in %" PRId64
		" blocks, grew in %d of the last %d reports%s\n",
		signed_bytes(g, sizeof(g), row->growth),
		format_bytes(b, sizeof(b), row_bytes(row)),
		row->heap_count + row->map_count, grew, window,
		trend_label(row));
	print_frames(out, st);
}

static void print_bytes_row(FILE *out, const struct report_stack *st)
{
	const struct stack_row *row = st->row;
	char b[32], h[32], m[32];

	fprintf(out, "    %s in %" PRId64 " blocks (heap %s, mapped %s)%s\n",
		format_bytes(b, sizeof(b), row_bytes(row)),
		row->heap_count + row->map_count,
		format_bytes(h, sizeof(h), row->heap_bytes),
		format_bytes(m, sizeof(m), row->map_bytes), trend_label(row));
	print_frames(out, st);
}

static void print_header(FILE *out, const struct proc_report *pr)
{
	char heap[32], map[32], alloc[32], g[32], total[32], rss[32], rss_g[32];
	char comm[4 * sizeof(pr->comm)]; /* a target names itself: escaped */

	fprintf(out,
		"pid %d (%s)%s: heap %s in %" PRId64
		" blocks, mapped %s in %" PRId64
		" mappings (allocator's own mappings %s)\n",
		pr->pid, lt_escape(comm, sizeof(comm), pr->comm),
		pr->exited ? " [exited]" : "",
		format_bytes(heap, sizeof(heap), pr->heap_bytes),
		pr->heap_count, format_bytes(map, sizeof(map), pr->map_bytes),
		pr->map_count,
		format_bytes(alloc, sizeof(alloc), pr->allocator_map_bytes));
	if (pr->unattributed_map_bytes)
		fprintf(out,
			"  of which %s unattributed: found in /proc/%d/maps after lost mapping events, stack unknown\n",
			format_bytes(map, sizeof(map),
				     pr->unattributed_map_bytes),
			pr->pid);
	fprintf(out, "  growth %s this interval, %s since attach",
		signed_bytes(g, sizeof(g), pr->growth),
		signed_bytes(total, sizeof(total),
			     pr->heap_bytes + pr->map_bytes));
	if (pr->rss >= 0 && pr->rss_at_attach >= 0 && !pr->exited)
		fprintf(out, "; RSS %s (%s since attach)",
			format_bytes(rss, sizeof(rss), pr->rss),
			signed_bytes(rss_g, sizeof(rss_g),
				     pr->rss - pr->rss_at_attach));
	fputc('\n', out);
	if (pr->python && pr->py_objects)
		fprintf(out,
			"  CPython 3.%d: every object traced (--pymalloc probes on PyObject_Malloc)\n",
			pr->py_minor);
	else if (pr->python)
		fprintf(out,
			"  CPython 3.%d: Python frames on; objects up to 512 B are counted as the pymalloc arenas they fill\n",
			pr->py_minor);
}

static void print_proc(FILE *out, const struct report *r,
		       const struct proc_report *pr)
{
	size_t i;

	print_header(out, pr);
	census_print_text(out, pr->census, r->top);
	if (!pr->n_by_growth)
		fprintf(out, "  no stack grew in this interval\n");
	else
		fprintf(out, "  top %zu stacks by growth in this interval:\n",
			pr->n_by_growth);
	for (i = 0; i < pr->n_by_growth; i++)
		print_growth_row(out, pr->by_growth[i]);
	if (!r->final || !pr->n_by_bytes)
		return;
	fprintf(out, "  top %zu stacks by outstanding bytes:\n",
		pr->n_by_bytes);
	for (i = 0; i < pr->n_by_bytes; i++)
		print_bytes_row(out, pr->by_bytes[i]);
}

static void print_losses(FILE *out, const struct report *r)
{
	bool any = false;
	int c;

	fprintf(out, "losses:");
	for (c = 0; c < LT_C_NR; c++) {
		if (!r->losses[c])
			continue;
		fprintf(out, "%s %s %" PRIu64, any ? "," : "", loss_name(c),
			r->losses[c]);
		any = true;
	}
	if (r->census_incomplete || r->census_skipped) {
		fprintf(out,
			"%s census_incomplete %" PRIu64
			", census_objects_skipped %" PRIu64,
			any ? "," : "", r->census_incomplete,
			r->census_skipped);
		any = true;
	}
	fprintf(out, "%s\n", any ? "" : " none");
	if (r->map_resyncs)
		fprintf(out,
			"mappings resynchronised with /proc/PID/maps after lost events: %" PRIu64
			" time%s since attach\n",
			r->map_resyncs, r->map_resyncs == 1 ? "" : "s");
}

void report_print_text(FILE *out, const struct report *r)
{
	struct tm tm;
	char when[32];
	size_t i;

	localtime_r(&r->wall.tv_sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(out,
		"\n%s %s report: %.1f s interval, %.1f s since attach, native stacks by %s%s\n",
		when, r->final ? "final" : "leaktrace", r->interval_s,
		r->elapsed_s, r->unwind ? r->unwind : "dwarf",
		r->min_age_ns ? " (allocations younger than --min-age left out)"
			      : "");
	if (r->sample_bytes) {
		char gap[32];

		fprintf(out,
			"mode: sampled, one sample every %s allocated on average; heap bytes and blocks are estimates\n",
			format_bytes(gap, sizeof(gap), r->sample_bytes));
	}
	if (!r->n_procs)
		fprintf(out, "no outstanding allocations traced yet\n");
	for (i = 0; i < r->n_procs; i++)
		print_proc(out, r, &r->procs[i]);
	print_losses(out, r);
	fflush(out);
}
