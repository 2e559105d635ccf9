/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Exports at every report: --svg, --svg-growth, --pprof and --pyroscope,
 * all from one profile built from the report.
 */
#ifndef LT_EXPORT_H
#define LT_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cli/cli.h"
#include "export/profile.h"
#include "report/report.h"

/* Outstanding bytes per (process, stack) when the growth baseline was taken. */
struct base_row {
	uint32_t tgid;
	uint64_t stack_id;
	int64_t bytes;
};

struct baseline {
	struct base_row *rows; /* sorted by (tgid, stack_id) */
	size_t n;
	bool taken;
	double at_s; /* since attach */
};

int baseline_take(struct baseline *b, const struct report *r);
int64_t baseline_bytes(const struct baseline *b, uint32_t tgid,
		       uint64_t stack_id);
void baseline_free(struct baseline *b);

/*
 * The report's stacks with outstanding bytes (and, with a baseline, the
 * ones that had bytes then) as a profile; base_bytes come from b, or equal
 * bytes when b is NULL or not taken yet.
 */
int profile_from_report(struct profile *p, const struct report *r,
			const struct baseline *b);

struct exporter;

/* NULL after an error line (a bad --pyroscope URL, no memory). With
 * process_roots, graphs and pushes get one root frame per process. */
struct exporter *exporter_new(const struct options *o, bool process_roots);

/* Write and push whatever the options ask for; failures are warnings. */
void exporter_report(struct exporter *e, const struct report *r);

void exporter_free(struct exporter *e);

#endif
