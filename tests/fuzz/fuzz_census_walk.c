// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness: the census walker over a process image made of the
 * fuzzer's bytes. Where the GC list heads and PyType_Type sit is fixed;
 * everything they point at is the input. No crash, no out-of-bounds
 * read (ASan), no hang (the step limit), whatever the bytes.
 *
 *   make fuzz && tests/fuzz/bin/fuzz_census_walk -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "python/census_rows.h"
#include "../unit/python/census_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct image im;
	struct census_gc_layout l = { 0 };
	struct census_limits lim = { 1 << 16, 2000000000ull };
	struct census_rows rows = { 0 };
	struct census_walk w;
	struct census_mem *m;
	int g;

	if (!im.mem)
		im.mem = malloc(IMG_SIZE);
	memset(im.mem, 0, IMG_SIZE);
	memcpy(im.mem, data, size < IMG_SIZE ? size : IMG_SIZE);
	/* A small budget so the local copy also starts over mid-walk. */
	m = image_mem(&im, 2 * CENSUS_READAHEAD * CENSUS_CHUNK);
	l.type_type = IMG_BASE + 0x1000;
	for (g = 0; g < CENSUS_GENS; g++)
		l.heads[g] = IMG_BASE + 0x100 + 24 * (uint64_t)g;
	census_walk_init(&w);
	census_walk_run(&w, m, &l, &lim);
	census_rows_update(&rows, &w);
	census_walk_free(&w);
	census_rows_free(&rows);
	census_mem_free(m);
	return 0;
}
