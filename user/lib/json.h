/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one JSON writer: objects, arrays and values with the commas put in
 * for the caller, and strings that are always valid JSON whatever bytes
 * they hold (names come from target memory, DWARF and perf maps): quotes,
 * backslashes and control characters are escaped, invalid UTF-8 becomes
 * U+FFFD.
 */
#ifndef LT_JSON_H
#define LT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *out;
	int depth;
	bool has_items[JSON_MAX_DEPTH]; /* a comma before the next value */
	bool after_key;
};

void json_init(struct json *j, FILE *out);

void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);

/* The key of the next value in an object. */
void json_key(struct json *j, const char *key);

void json_string(struct json *j, const char *s); /* NULL: "" */
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
void json_fixed(struct json *j, double v, int decimals); /* "%.*f" */
void json_hex(struct json *j, uint64_t v);		 /* "0x1a" */

/* s as a JSON string, quotes included, on out. */
void json_write_string(FILE *out, const char *s);

#endif
