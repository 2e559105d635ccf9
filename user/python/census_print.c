// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The census in reports: a text section and JSON members per process. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/json.h"
#include "python/census_priv.h"

#define MAX_TOP 10000

static void human_bytes(char *buf, size_t len, uint64_t b)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u)
		snprintf(buf, len, "%.1f %s", v, units[u]);
	else
		snprintf(buf, len, "%" PRIu64 " B", b);
}

static size_t ranked(const struct py_census *c, int top,
		     const struct census_row ***out)
{
	size_t max = top > 0 && top < MAX_TOP ? (size_t)top : MAX_TOP;

	*out = malloc(max * sizeof(**out));
	return *out ? census_rows_ranked(&c->rows, *out, max) : 0;
}

static void print_status(FILE *out, const struct py_census *c)
{
	fprintf(out,
		"  Python objects (GC-tracked, like objgraph): %" PRIu64
		" live in %" PRIu64 " types; census %.1f ms, %" PRIu64
		" reads of %" PRIu64 " KiB",
		c->objects, c->types, c->elapsed_ms, c->mem.syscalls,
		c->mem.bytes_read >> 10);
	if (c->gens_incomplete)
		fprintf(out, "; INCOMPLETE: %u of 4 lists not finished (%s)",
			c->gens_incomplete, census_stop_name(c->stop));
	if (c->skipped)
		fprintf(out, "; %" PRIu64 " objects skipped (unreadable type)",
			c->skipped);
	fputc('\n', out);
}

static void print_holders_status(FILE *out, const struct census_holders *h)
{
	fprintf(out,
		"    held by (referrers of the %zu types that grew most; scan %.1f ms, %" PRIu64
		" containers, %" PRIu64 " references)",
		h->n_types, h->elapsed_ns / 1e6, h->containers, h->references);
	if (h->stop != CENSUS_DONE)
		fprintf(out,
			"; INCOMPLETE (%s): %" PRIu64 " objects not scanned",
			census_stop_name(h->stop), h->not_scanned);
	if (h->unreadable || h->truncated)
		fprintf(out,
			"; %" PRIu64 " containers unreadable, %" PRIu64
			" cut short",
			h->unreadable, h->truncated);
	if (h->unattributed)
		fprintf(out, "; %" PRIu64 " references not attributed",
			h->unattributed);
	fputs(":\n", out);
}

static void print_holders(FILE *out, const struct census_holders *h)
{
	size_t i;

	if (!h->n_types)
		return;
	print_holders_status(out, h);
	for (i = 0; i < h->n_lines; i++) {
		const struct census_holder *l = &h->lines[i];
		const char *type = h->types[l->slot];

		if (l->name[0])
			fprintf(out, "      %s (%s) holds %" PRIu64 " %s\n",
				l->name, l->container, l->count, type);
		else
			fprintf(out,
				"      %" PRIu64 " %s object%s hold%s %" PRIu64
				" %s\n",
				l->holders, l->container,
				l->holders == 1 ? "" : "s",
				l->holders == 1 ? "s" : "", l->count, type);
	}
}

void census_print_text(FILE *out, const struct py_census *c, int top)
{
	const struct census_row **rows;
	size_t i, n;

	if (!c)
		return;
	if (!c->usable) {
		fprintf(out,
			"  Python objects: no census (GC state not valid)\n");
		return;
	}
	if (!c->rows.censuses)
		return;
	print_status(out, c);
	n = ranked(c, top, &rows);
	if (n)
		fprintf(out, "    %-40s %10s %10s %12s %12s\n", "type", "count",
			"growth", "since attach", "bytes");
	for (i = 0; i < n; i++) {
		char b[32];

		human_bytes(b, sizeof(b), rows[i]->bytes);
		fprintf(out,
			"    %-40s %10" PRIu64 " %+10" PRId64 " %+12" PRId64
			" %12s\n",
			rows[i]->name, rows[i]->count,
			census_row_growth(rows[i]),
			census_row_since_attach(rows[i]), b);
	}
	free(rows);
	print_holders(out, &c->holders);
}

static void json_u64(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_uint(j, v);
}

static void json_holders_status(struct json *j, const struct census_holders *h)
{
	if (!h->n_types)
		return;
	json_key(j, "referrer_scan");
	json_object_begin(j);
	json_key(j, "complete");
	json_bool(j, h->stop == CENSUS_DONE);
	json_u64(j, "types", h->n_types);
	json_u64(j, "containers", h->containers);
	json_u64(j, "references", h->references);
	json_u64(j, "containers_unreadable", h->unreadable);
	json_u64(j, "containers_cut_short", h->truncated);
	json_u64(j, "objects_not_scanned", h->not_scanned);
	json_u64(j, "references_not_attributed", h->unattributed);
	json_key(j, "elapsed_ms");
	json_fixed(j, h->elapsed_ns / 1e6, 3);
	if (h->stop != CENSUS_DONE) {
		json_key(j, "stopped");
		json_string(j, census_stop_name(h->stop));
	}
	json_object_end(j);
}

/* "referrers" of a row whose type was looked at. */
static void json_referrers(struct json *j, const struct census_holders *h,
			   const char *type)
{
	size_t slot, i;

	for (slot = 0; slot < h->n_types; slot++)
		if (!strcmp(h->types[slot], type))
			break;
	if (slot == h->n_types)
		return;
	json_key(j, "referrers");
	json_array_begin(j);
	for (i = 0; i < h->n_lines; i++) {
		const struct census_holder *l = &h->lines[i];

		if (l->slot != slot)
			continue;
		json_object_begin(j);
		json_key(j, "holder");
		if (l->name[0])
			json_string(j, l->name);
		else
			json_null(j);
		json_key(j, "container");
		json_string(j, l->container);
		json_u64(j, "count", l->count);
		json_u64(j, "containers", l->holders);
		json_object_end(j);
	}
	json_array_end(j);
}

static void json_status(struct json *j, const struct py_census *c)
{
	json_key(j, "python_census");
	json_object_begin(j);
	json_key(j, "complete");
	json_bool(j, !c->gens_incomplete);
	json_u64(j, "objects", c->objects);
	json_u64(j, "types", c->types);
	json_u64(j, "objects_skipped", c->skipped);
	json_u64(j, "objects_reread", c->reread);
	json_u64(j, "lists_incomplete", c->gens_incomplete);
	json_u64(j, "torn_links", c->torn);
	json_key(j, "elapsed_ms");
	json_fixed(j, c->elapsed_ms, 3);
	json_u64(j, "reads", c->mem.syscalls);
	json_u64(j, "bytes_read", c->mem.bytes_read);
	if (c->gens_incomplete) {
		json_key(j, "stopped");
		json_string(j, census_stop_name(c->stop));
	}
	json_holders_status(j, &c->holders);
	json_object_end(j);
}

void census_print_json(struct json *j, const struct py_census *c, int top)
{
	const struct census_row **rows;
	size_t i, n;

	if (!c || !c->usable || !c->rows.censuses)
		return;
	json_status(j, c);
	json_key(j, "python_objects");
	json_array_begin(j);
	n = ranked(c, top, &rows);
	for (i = 0; i < n; i++) {
		json_object_begin(j);
		json_key(j, "type");
		json_string(j, rows[i]->name);
		json_u64(j, "count", rows[i]->count);
		json_key(j, "count_growth");
		json_int(j, census_row_growth(rows[i]));
		json_key(j, "growth_since_attach");
		json_int(j, census_row_since_attach(rows[i]));
		json_u64(j, "bytes", rows[i]->bytes);
		json_referrers(j, &c->holders, rows[i]->name);
		json_object_end(j);
	}
	json_array_end(j);
	free(rows);
}
