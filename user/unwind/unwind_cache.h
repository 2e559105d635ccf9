/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Unwind tables in the kernel, one per file: built once per build-id (or
 * device and inode when there is none), shared by every process mapping
 * the file. Rows go to one BPF array, each table a range of it.
 */
#ifndef LT_UNWIND_CACHE_H
#define LT_UNWIND_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include "unwind/unwind_table.h"

#define UNWIND_MAX_LOADS LT_UNWIND_MAX_LOADS

struct unwind_module {
	dev_t dev;
	ino_t ino;
	unsigned char build_id[UNWIND_BUILD_ID_MAX];
	size_t build_id_len;
	uint32_t table; /* LT_UNWIND_NO_*: frame pointers */
	uint32_t rows;
	struct lt_unwind_load loads[UNWIND_MAX_LOADS];
	int n_loads;
	uint64_t eval_lo, eval_hi; /* _PyEval_EvalFrameDefault's ELF range */
};

/* The walk's maps the tables go to, and their sizes. */
struct unwind_cache_maps {
	int rows_fd, tables_fd, index_fd;
	int files_fd; /* the walk's files by inode; -1: none */
	uint32_t rows_max, tables_max, index_max;
};

struct unwind_cache {
	struct unwind_module *mods;
	size_t n, cap;
	struct unwind_cache_maps maps;
	uint32_t rows_used, tables_used, index_used;
	uint64_t rows_full; /* modules left to frame pointers: no room */
	uint64_t n_built;   /* files read (each once) */
};

void unwind_cache_init(struct unwind_cache *c,
		       const struct unwind_cache_maps *maps);
void unwind_cache_free(struct unwind_cache *c);

/*
 * The module of the open file fd (stat st, name for -v): from the cache,
 * or built and loaded now. NULL only when out of memory.
 */
const struct unwind_module *unwind_cache_get(struct unwind_cache *c, int fd,
					     const struct stat *st,
					     const char *name);

/* The load bias of a mapping of m at start with file offset off. */
bool unwind_module_bias(const struct unwind_module *m, uint64_t start,
			uint64_t off, uint64_t *bias);

#endif
