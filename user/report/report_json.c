// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* --json: one JSON object per report, on one line. */
#include <string.h>
#include "lib/json.h"
#include "python/census.h"
#include "report/report.h"

/* The schema's kinds: inlined, JIT and anonymous code are native. */
static const char *json_kind(const struct report_frame *f)
{
	if (f->kind == RF_PYTHON)
		return "python";
	return f->kind == RF_PSEUDO ? "pseudo" : "native";
}

static void json_frame(struct json *j, const struct report_frame *f)
{
	bool native = f->kind != RF_PYTHON && f->kind != RF_PSEUDO;
	char text[1024];

	json_object_begin(j);
	json_key(j, "addr");
	json_hex(j, f->addr);
	json_key(j, "kind");
	json_string(j, json_kind(f));
	json_key(j, "symbol");
	json_string(j, f->function);
	json_key(j, "mangled"); /* the symbol when it was demangled, else "" */
	json_string(j, native && strcmp(f->raw_name, f->function) ? f->raw_name
								  : "");
	json_key(j, "offset");
	json_uint(j, native ? f->offset : 0);
	json_key(j, "module");
	json_string(j, native ? f->module : "");
	json_key(j, "text");
	json_string(j, report_frame_text(f, text, sizeof(text)));
	json_key(j, "file");
	json_string(j, f->kind == RF_PSEUDO ? "" : f->file);
	json_key(j, "line");
	json_int(j, f->kind == RF_PSEUDO ? 0 : f->line);
	json_key(j, "inlined");
	json_bool(j, f->kind == RF_INLINED);
	json_key(j, "build_id");
	json_string(j, native ? f->build_id : "");
	json_object_end(j);
}

static void json_count(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_int(j, v);
}

static void json_stack(struct json *j, const struct report_stack *st)
{
	const struct stack_row *row = st->row;
	int window, grew = row_trend(row, &window);
	size_t i;

	json_object_begin(j);
	json_key(j, "id");
	json_hex(j, row->stack_id);
	json_count(j, "growth_bytes", row->growth);
	json_count(j, "bytes", row_bytes(row));
	json_count(j, "count", row->heap_count + row->map_count);
	json_count(j, "heap_bytes", row->heap_bytes);
	json_count(j, "heap_count", row->heap_count);
	json_count(j, "mapped_bytes", row->map_bytes);
	json_count(j, "mapped_count", row->map_count);
	json_count(j, "trend_grew", grew);
	json_count(j, "trend_reports", window);
	json_key(j, "frames");
	json_array_begin(j);
	for (i = 0; i < st->n_frames; i++)
		json_frame(j, &st->frames[i]);
	json_array_end(j);
	json_object_end(j);
}

static void json_stacks(struct json *j, const char *key,
			struct report_stack *const *stacks, size_t n)
{
	size_t i;

	json_key(j, key);
	json_array_begin(j);
	for (i = 0; i < n; i++)
		json_stack(j, stacks[i]);
	json_array_end(j);
}

/* Every process has the key (null when it does not run CPython). */
static void json_python(struct json *j, const struct proc_report *pr)
{
	char version[16];

	json_key(j, "python");
	if (!pr->python) {
		json_null(j);
		return;
	}
	snprintf(version, sizeof(version), "3.%d", pr->py_minor);
	json_object_begin(j);
	json_key(j, "version");
	json_string(j, version);
	json_key(j, "mode");
	json_string(j, pr->py_objects ? "objects" : "arenas");
	json_object_end(j);
}

static void json_proc(struct json *j, const struct report *r,
		      const struct proc_report *pr)
{
	json_object_begin(j);
	json_count(j, "pid", pr->pid);
	json_key(j, "comm");
	json_string(j, pr->comm);
	json_key(j, "alive");
	json_bool(j, !pr->exited);
	json_count(j, "rss_bytes", pr->rss);
	json_count(j, "rss_growth_bytes",
		   pr->rss >= 0 && pr->rss_at_attach >= 0
			   ? pr->rss - pr->rss_at_attach
			   : 0);
	json_count(j, "heap_bytes", pr->heap_bytes);
	json_count(j, "heap_count", pr->heap_count);
	json_count(j, "mapped_bytes", pr->map_bytes);
	json_count(j, "mapped_count", pr->map_count);
	json_count(j, "allocator_mapped_bytes", pr->allocator_map_bytes);
	json_count(j, "unattributed_mapped_bytes", pr->unattributed_map_bytes);
	json_count(j, "unattributed_mapped_count", pr->unattributed_map_count);
	json_count(j, "growth_bytes", pr->growth);
	json_count(j, "growth_since_attach_bytes",
		   pr->heap_bytes + pr->map_bytes);
	json_python(j, pr);
	census_print_json(j, pr->census, r->top);
	json_stacks(j, "stacks", pr->by_growth, pr->n_by_growth);
	if (r->final)
		json_stacks(j, "top_outstanding", pr->by_bytes, pr->n_by_bytes);
	json_object_end(j);
}

static void json_header(struct json *j, const struct report *r)
{
	char when[40];
	struct tm tm;
	int c;

	gmtime_r(&r->wall.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_key(j, "type");
	json_string(j, "report");
	json_key(j, "time");
	json_string(j, when);
	json_key(j, "final");
	json_bool(j, r->final);
	json_key(j, "elapsed_s");
	json_fixed(j, r->elapsed_s, 3);
	json_key(j, "interval_s");
	json_fixed(j, r->interval_s, 3);
	json_key(j, "mode");
	json_string(j, r->sample_bytes ? "sampled" : "exact");
	json_key(j, "sample_bytes");
	json_uint(j, r->sample_bytes);
	json_key(j, "unwind");
	json_string(j, r->unwind ? r->unwind : "dwarf");
	json_key(j, "min_age_s");
	json_fixed(j, r->min_age_ns / 1e9, 3);
	json_key(j, "losses");
	json_object_begin(j);
	for (c = 0; c < LT_C_NR; c++) {
		json_key(j, loss_name(c));
		json_uint(j, r->losses[c]);
	}
	json_key(j, "census_incomplete");
	json_uint(j, r->census_incomplete);
	json_key(j, "census_objects_skipped");
	json_uint(j, r->census_skipped);
	json_object_end(j);
	json_key(j, "mapping_resyncs");
	json_uint(j, r->map_resyncs);
}

void report_print_json(FILE *out, const struct report *r)
{
	struct json j;
	size_t i;

	json_init(&j, out);
	json_object_begin(&j);
	json_header(&j, r);
	json_key(&j, "processes");
	json_array_begin(&j);
	for (i = 0; i < r->n_procs; i++)
		json_proc(&j, r, &r->procs[i]);
	json_array_end(&j);
	json_object_end(&j);
	fputc('\n', out);
	fflush(out);
}
