// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The census in reports: a text section and JSON members per process. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
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
}

/* Names are validated as UTF-8 text without control characters. */
static void json_name(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void json_status(FILE *out, const struct py_census *c)
{
	fprintf(out,
		",\"python_census\":{\"complete\":%s,\"objects\":%" PRIu64
		",\"types\":%" PRIu64 ",\"objects_skipped\":%" PRIu64
		",\"lists_incomplete\":%u,\"torn_links\":%" PRIu64
		",\"elapsed_ms\":%.3f,\"reads\":%" PRIu64
		",\"bytes_read\":%" PRIu64,
		c->gens_incomplete ? "false" : "true", c->objects, c->types,
		c->skipped, c->gens_incomplete, c->torn, c->elapsed_ms,
		c->mem.syscalls, c->mem.bytes_read);
	if (c->gens_incomplete)
		fprintf(out, ",\"stopped\":\"%s\"", census_stop_name(c->stop));
	fputc('}', out);
}

void census_print_json(FILE *out, const struct py_census *c, int top)
{
	const struct census_row **rows;
	size_t i, n;

	if (!c || !c->usable || !c->rows.censuses)
		return;
	json_status(out, c);
	fprintf(out, ",\"python_objects\":[");
	n = ranked(c, top, &rows);
	for (i = 0; i < n; i++) {
		fprintf(out, "%s{\"type\":", i ? "," : "");
		json_name(out, rows[i]->name);
		fprintf(out,
			",\"count\":%" PRIu64 ",\"count_growth\":%" PRId64
			",\"growth_since_attach\":%" PRId64
			",\"bytes\":%" PRIu64 "}",
			rows[i]->count, census_row_growth(rows[i]),
			census_row_since_attach(rows[i]), rows[i]->bytes);
	}
	fputc(']', out);
	free(rows);
}
