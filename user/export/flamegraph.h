/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Self-contained interactive SVG flame graphs of a profile: outstanding
 * bytes, or growth against a baseline (widths still outstanding bytes).
 */
#ifndef LT_FLAMEGRAPH_H
#define LT_FLAMEGRAPH_H

#include <stdbool.h>
#include <stdio.h>
#include "export/profile.h"

#define FG_WIDTH 1200 /* px; the frames span FG_WIDTH - 2 * FG_PAD */
#define FG_PAD	 10

struct fg_options {
	const char *title;
	const char *subtitle; /* what and when; totals are added */
	bool growth;	      /* colour by bytes - base_bytes */
	bool process_roots;   /* a "comm (pid)" frame above each process */
};

/* Write p as an SVG document to out. 0 or -errno. */
int flamegraph_write(FILE *out, const struct profile *p,
		     const struct fg_options *o);

#endif
