// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness of the unwind-table builder: the input is an ELF file
 * (a traced process maps whatever it likes), read through libelf/libdw's
 * CFI and our FDE decoding. Every row must be sorted and in range, and
 * the table's bucket index must find every row's own pc.
 * Built and run by tests/fuzz/fuzz.mk (make fuzz, make fuzz-run).
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "unwind/unwind_index.h"
#include "unwind/unwind_table.h"

static void check_index(const struct unwind_table *t)
{
	struct unwind_index ix;

	if (unwind_index_build(t->rows, t->n, &ix))
		return; /* refused (too sparse): the file is walked by fp */
	for (size_t i = 0; i < t->n; i++)
		if (unwind_index_find(&ix, t->rows, t->n, t->rows[i].pc) !=
		    &t->rows[i])
			abort();
	unwind_index_free(&ix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unwind_table t;
	int fd = memfd_create("fuzz-elf", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size &&
	    !unwind_table_build(fd, &t)) {
		for (size_t i = 1; i < t.n; i++)
			if (t.rows[i].pc <= t.rows[i - 1].pc ||
			    t.rows[i].cfa_type > LT_CFA_INVALID)
				abort();
		check_index(&t);
		unwind_table_free(&t);
	}
	close(fd);
	return 0;
}
