// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness: the holder scan (lists, tuples, dicts of every
 * layout, sets, cells, instances, module and class dicts, key strings)
 * over a process image made of the fuzzer's bytes. The list heads,
 * PyType_Type and PyUnicode_Type sit at fixed places; byte 0x80 picks the
 * CPython version; everything else is the input. No crash, no
 * out-of-bounds read (ASan), no hang (the limits), whatever the bytes.
 *
 *   make fuzz && tests/fuzz/bin/fuzz_census_holders -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "python/census_holders.h"
#include "../unit/python/census_image.h"

#define HEADS	  0x100	 /* + 32 * generation */
#define TYPE_TYPE 0x1000 /* PyType_Type */
#define STR_TYPE  0x1200 /* PyUnicode_Type */
#define MINOR_AT  0x80

static const uint32_t cached_keys[] = { 0, 0, 0, 872, 880, 0 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct image im;
	struct census_gc_layout l = { 0 };
	struct census_limits lim = { 1 << 16, 2000000000ull };
	struct census_holder_limits hl = { 1 << 18, 2000000000ull, 1 << 12,
					   1 << 8 };
	struct census_py_layout py = { 0 };
	const char *types[HOLDER_TYPES];
	struct census_holders h;
	struct census_walk w;
	struct census_mem *m;
	size_t i, n = 0;
	int g;

	if (!im.mem)
		im.mem = malloc(IMG_SIZE);
	memset(im.mem, 0, IMG_SIZE);
	memcpy(im.mem, data, size < IMG_SIZE ? size : IMG_SIZE);
	py.minor = 8 + im.mem[MINOR_AT] % 6;
	py.str_type = IMG_BASE + STR_TYPE;
	py.ascii_data = py.minor >= 12 ? 40 : 48;
	py.cached_keys = cached_keys[py.minor - 8];
	/* A small budget so the local copy also starts over mid-scan. */
	m = image_mem(&im, 2 * CENSUS_READAHEAD * CENSUS_CHUNK);
	l.type_type = IMG_BASE + TYPE_TYPE;
	for (g = 0; g < CENSUS_GENS; g++)
		l.heads[g] = IMG_BASE + HEADS + 32 * (uint64_t)g;
	census_walk_init(&w);
	census_walk_run(&w, m, &l, &lim);
	for (i = 0; i < w.n_types && n < HOLDER_TYPES; i++)
		if (w.types[i].valid)
			types[n++] = w.types[i].name;
	census_holders_find(&h, &w, m, &py, types, n, &hl);
	census_holders_free(&h);
	census_walk_free(&w);
	census_mem_free(m);
	return 0;
}
