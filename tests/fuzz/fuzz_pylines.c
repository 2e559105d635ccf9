// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer: CPython line tables (co_lnotab, 3.10 co_linetable, 3.11+
 * location tables) read from the traced process. Input: 1 byte picks the
 * format, 4 bytes the position, 2 the first line; the rest is the table,
 * copied to an exactly sized buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "python/pylines.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t pos;
	uint16_t first;
	uint8_t *table;
	size_t n;

	if (size < 7)
		return 0;
	memcpy(&pos, data + 1, sizeof(pos));
	memcpy(&first, data + 5, sizeof(first));
	n = size - 7;
	table = malloc(n ? n : 1);
	if (!table)
		return 0;
	memcpy(table, data + 7, n);
	switch (data[0] % 3) {
	case 0:
		py_line_lnotab(table, n, first, pos);
		break;
	case 1:
		py_line_linetable(table, n, first, pos);
		break;
	default:
		py_line_locations(table, n, first, pos);
		break;
	}
	free(table);
	return 0;
}
