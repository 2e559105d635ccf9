// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <limits.h>
#include "python/pylines.h"

/*
 * Lines are summed in 64 bits: a hostile table of large deltas would
 * overflow an int. A sum outside 0..INT_MAX is no line.
 */
static int line_or_none(int64_t line)
{
	return line >= 0 && line <= INT_MAX ? (int)line : -1;
}

int py_line_lnotab(const uint8_t *table, size_t len, int firstlineno,
		   uint32_t lasti_bytes)
{
	uint64_t addr = 0;
	int64_t line = firstlineno;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		addr += table[i];
		if (addr > lasti_bytes)
			break;
		line += (int8_t)table[i + 1];
	}
	return line_or_none(line);
}

int py_line_linetable(const uint8_t *table, size_t len, int firstlineno,
		      uint32_t offset_bytes)
{
	uint64_t start, end = 0;
	int64_t line = firstlineno;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		int8_t ldelta = (int8_t)table[i + 1];

		start = end;
		end += table[i];
		/* -128: this range has no line; the running line stays. */
		if (ldelta != -128)
			line += ldelta;
		if (offset_bytes >= start && offset_bytes < end)
			return ldelta == -128 ? -1 : line_or_none(line);
	}
	return -1;
}

/* Varints of 6-bit chunks, 0x40 meaning "more"; bounded by the table. */
static int read_varint(const uint8_t *t, size_t len, size_t *i, uint32_t *out)
{
	uint32_t v = 0;
	int shift = 0;
	uint8_t b;

	do {
		if (*i >= len || shift > 30)
			return -1;
		b = t[(*i)++];
		v |= (uint32_t)(b & 63) << shift;
		shift += 6;
	} while (b & 64);
	*out = v;
	return 0;
}

static int read_svarint(const uint8_t *t, size_t len, size_t *i, int *out)
{
	uint32_t v;

	if (read_varint(t, len, i, &v))
		return -1;
	*out = v & 1 ? -(int)(v >> 1) : (int)(v >> 1);
	return 0;
}

/*
 * One location entry: update the running line, say whether the range has a
 * line at all. Kinds: 0-9 short (one byte), 10-12 one-line (line += k-10,
 * two bytes), 13 no column (line += svarint), 14 long (svarint, 3 varints),
 * 15 no location (running line unchanged).
 */
static int step_entry(const uint8_t *t, size_t len, size_t *i, int kind,
		      int64_t *line, int *has_line)
{
	uint32_t skip;
	int delta, k;

	*has_line = kind != 15;
	if (kind < 10) {
		*i += 1;
	} else if (kind < 13) {
		*line += kind - 10;
		*i += 2;
	} else if (kind == 13 || kind == 14) {
		if (read_svarint(t, len, i, &delta))
			return -1;
		*line += delta;
		for (k = 0; kind == 14 && k < 3; k++)
			if (read_varint(t, len, i, &skip))
				return -1;
	}
	return *i <= len ? 0 : -1;
}

int py_line_locations(const uint8_t *table, size_t len, int firstlineno,
		      uint32_t unit)
{
	uint64_t start = 0;
	int64_t line = firstlineno;
	size_t i = 0;

	while (i < len) {
		uint8_t b = table[i++];
		int has_line, kind = (b >> 3) & 15;
		uint64_t end = start + (b & 7) + 1;

		if (!(b & 0x80))
			return -1; /* not the first byte of an entry */
		if (step_entry(table, len, &i, kind, &line, &has_line))
			return -1;
		if (unit >= start && unit < end)
			return has_line ? line_or_none(line) : -1;
		start = end;
	}
	return -1;
}
