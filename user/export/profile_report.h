/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The bridge from the report model to the exporters' profiles. */
#ifndef LT_PROFILE_REPORT_H
#define LT_PROFILE_REPORT_H

#include "export/baseline.h"
#include "export/profile.h"
#include "report/report.h"

/*
 * The report's stacks with outstanding bytes (and, with a baseline, the
 * ones that had bytes then) as a profile; base_bytes come from b, or equal
 * bytes when b is NULL or not taken yet.
 */
int profile_from_report(struct profile *p, const struct report *r,
			const struct baseline *b);

#endif
