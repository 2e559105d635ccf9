// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer: CPython code objects, strings and bytes objects as the
 * decoder reads them from the traced process (here: our own memory, read
 * the same way). Input: 1 byte picks 3.8-3.13, 4 bytes the frame position;
 * the rest is the memory at the code object. An 8-byte word whose low byte
 * is 0xa5 becomes a pointer into that memory (offset in the upper bytes),
 * so the fuzzer can build linked objects.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "python/python.h"

#define MEM_SIZE 8192
#define PTR_MARK 0xa5

static uint8_t mem[MEM_SIZE] __attribute__((aligned(16)));

static void relocate(size_t n)
{
	for (size_t off = 0; off + 8 <= n; off += 8) {
		uint64_t w;

		memcpy(&w, mem + off, sizeof(w));
		if ((w & 0xff) != PTR_MARK)
			continue;
		w = (uint64_t)(uintptr_t)(mem + ((w >> 8) % MEM_SIZE));
		memcpy(mem + off, &w, sizeof(w));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct py_interp interp = { .major = 3 };
	struct lt_py_frame f = { 0 };
	const struct py_sym *sym;
	struct py_decoder *d;
	size_t n;

	if (size < 5)
		return 0;
	interp.minor = 8 + data[0] % 6;
	interp.layout = py_layout_for(interp.minor);
	memcpy(&f.pos, data + 1, sizeof(f.pos));
	n = size - 5 < MEM_SIZE ? size - 5 : MEM_SIZE;
	memset(mem, 0, sizeof(mem));
	memcpy(mem, data + 5, n);
	relocate(n);
	f.code = (uint64_t)(uintptr_t)mem;
	d = py_decoder_new(getpid(), &interp);
	if (!d)
		return 0;
	sym = py_decode(d, &f);
	if (!sym ||
	    strnlen(sym->name, sizeof(sym->name)) == sizeof(sym->name) ||
	    strnlen(sym->file, sizeof(sym->file)) == sizeof(sym->file))
		abort();
	py_decoder_recheck(d, f.code);
	py_decode(d, &f);
	py_decoder_free(d);
	return 0;
}
