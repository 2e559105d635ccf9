/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The growth baseline: what --svg-growth and pprof's base compare against. */
#ifndef LT_BASELINE_H
#define LT_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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

#endif
