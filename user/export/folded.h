/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Folded stacks ("root;caller;leaf bytes"), the flame graph input format. */
#ifndef LT_FOLDED_H
#define LT_FOLDED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "report/report.h"

struct folded_line {
	const char *stack; /* frames root first, joined by ';' */
	uint64_t bytes;
};

/*
 * Copy a frame name into buf so it is safe inside a folded line: ';' and
 * control characters become '_', leading/trailing blanks are dropped, an
 * empty name becomes "[unknown]". Returns buf.
 */
char *folded_frame(char *buf, size_t len, const char *name);

/*
 * Write lines to path atomically (a temporary file in the same directory,
 * then rename). Lines with the same stack are merged by adding their bytes;
 * lines with 0 bytes are left out; output is sorted by stack.
 * Returns 0 or -errno.
 */
int folded_write(const char *path, const struct folded_line *lines, size_t n);

/* The same merged, sorted text in memory (*len bytes); NULL: no memory. */
char *folded_text(const struct folded_line *lines, size_t n, size_t *len);

/*
 * One stack of a report as a folded line, root first, with a "comm (pid)"
 * root frame if asked; malloc'd, NULL without memory.
 */
char *folded_stack(const struct proc_report *pr, const struct report_stack *st,
		   bool process_root);

/*
 * The stacks of r with outstanding bytes as folded text (--folded and the
 * Pyroscope push), or written to path (0 or -errno).
 */
char *folded_report_text(const struct report *r, bool process_roots,
			 size_t *len);
int folded_write_report(const struct report *r, const char *path,
			bool process_roots);

#endif
