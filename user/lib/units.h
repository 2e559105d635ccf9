/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Parsing and printing of durations and byte sizes given by users. */
#ifndef LT_UNITS_H
#define LT_UNITS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse a duration: a non-negative decimal number with an optional unit
 * "ns", "us", "ms", "s", "m", "h" (no unit means seconds), e.g. "10",
 * "2.5", "500ms", "3m". Returns 0 and the value in nanoseconds, or -EINVAL
 * (empty, junk, negative, overflow).
 */
int parse_duration_ns(const char *s, uint64_t *ns);

/*
 * Parse a byte size: a non-negative integer with an optional binary unit
 * "K", "M", "G", "T" (also "k", "KB", "KiB", ...), e.g. "512K", "4MiB".
 * Returns 0 or -EINVAL (empty, junk, negative, overflow).
 */
int parse_size(const char *s, uint64_t *bytes);

/* "1.5 MiB", "512 B", "-3.0 KiB" into buf; returns buf. */
char *format_bytes(char *buf, size_t len, int64_t bytes);

/* The value of a hexadecimal digit, or -1. */
int hex_digit(char c);

#endif
