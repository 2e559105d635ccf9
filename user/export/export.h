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
#include "report/report.h"

struct exporter;

/* NULL after an error line (a bad --pyroscope URL, no memory). With
 * process_roots, graphs and pushes get one root frame per process. */
struct exporter *exporter_new(const struct options *o, bool process_roots);

/* Write and push whatever the options ask for; failures are warnings. */
void exporter_report(struct exporter *e, const struct report *r);

void exporter_free(struct exporter *e);

#endif
