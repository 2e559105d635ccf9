/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * CPython line tables: from a frame's position in its code object to the
 * source line, per interpreter version. The tables come from the traced
 * process and are untrusted: every function is bounded by the table length
 * and returns -1 for positions or tables it cannot make sense of.
 */
#ifndef LT_PYLINES_H
#define LT_PYLINES_H

#include <stddef.h>
#include <stdint.h>

/* 3.8, 3.9: co_lnotab, position = f_lasti in bytes. */
int py_line_lnotab(const uint8_t *table, size_t len, int firstlineno,
		   uint32_t lasti_bytes);

/* 3.10: co_linetable, position = byte offset (f_lasti * 2). */
int py_line_linetable(const uint8_t *table, size_t len, int firstlineno,
		      uint32_t offset_bytes);

/* 3.11+: location table (co_linetable), position in 2-byte code units. */
int py_line_locations(const uint8_t *table, size_t len, int firstlineno,
		      uint32_t unit);

#endif
