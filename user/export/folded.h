/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Folded stacks ("root;caller;leaf bytes"), the flame graph input format. */
#ifndef LT_FOLDED_H
#define LT_FOLDED_H

#include <stddef.h>
#include <stdint.h>

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

#endif
