/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Naming the code addresses of a traced process, with elfutils' libdwfl. */
#ifndef LT_SYMBOLIZE_H
#define LT_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct frame_sym {
	char name[256];		/* function, "" when unknown */
	uint64_t offset;	/* of the address from the function start */
	char module[256];	/* file name of the module, "" when unknown */
	uint64_t module_offset; /* address in the module's own addresses */
};

struct symbolizer;

struct symbolizer *symbolizer_new(pid_t pid);
void symbolizer_free(struct symbolizer *s);

/* Learn the modules the process maps now (no-op for ones already known). */
int symbolizer_refresh(struct symbolizer *s);

/*
 * Name a return address (looked up at addr - 1 so a call at the end of a
 * function is attributed to it). Results are cached.
 */
const struct frame_sym *symbolizer_lookup(struct symbolizer *s, uint64_t addr);

/* "func+0x1a (module)", "module+0x1234" or "[unknown]". */
char *frame_sym_text(const struct frame_sym *f, char *buf, size_t len);

#endif
