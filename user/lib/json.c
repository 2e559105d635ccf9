// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The JSON writer (see json.h). */
#include <inttypes.h>
#include "lib/json.h"
#include "lib/utf8.h"

void json_init(struct json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->has_items[0] = false;
	j->after_key = false;
}

/* The separator before a value (or a key) at the current depth. */
static void before_value(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->has_items[j->depth])
		fputc(',', j->out);
	j->has_items[j->depth] = true;
}

static void open_container(struct json *j, char c)
{
	before_value(j);
	fputc(c, j->out);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->has_items[j->depth] = false;
}

static void close_container(struct json *j, char c)
{
	fputc(c, j->out);
	if (j->depth > 0)
		j->depth--;
}

void json_object_begin(struct json *j)
{
	open_container(j, '{');
}

void json_object_end(struct json *j)
{
	close_container(j, '}');
}

void json_array_begin(struct json *j)
{
	open_container(j, '[');
}

void json_array_end(struct json *j)
{
	close_container(j, ']');
}

void json_key(struct json *j, const char *key)
{
	before_value(j);
	json_write_string(j->out, key);
	fputc(':', j->out);
	j->after_key = true;
}

void json_string(struct json *j, const char *s)
{
	before_value(j);
	json_write_string(j->out, s);
}

void json_int(struct json *j, int64_t v)
{
	before_value(j);
	fprintf(j->out, "%" PRId64, v);
}

void json_uint(struct json *j, uint64_t v)
{
	before_value(j);
	fprintf(j->out, "%" PRIu64, v);
}

void json_bool(struct json *j, bool v)
{
	before_value(j);
	fputs(v ? "true" : "false", j->out);
}

void json_null(struct json *j)
{
	before_value(j);
	fputs("null", j->out);
}

void json_fixed(struct json *j, double v, int decimals)
{
	before_value(j);
	/* NaN and infinities are not JSON. */
	if (v != v || v > 1e300 || v < -1e300)
		v = 0;
	fprintf(j->out, "%.*f", decimals, v);
}

void json_hex(struct json *j, uint64_t v)
{
	before_value(j);
	fprintf(j->out, "\"0x%" PRIx64 "\"", v);
}

void json_write_string(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");

	fputc('"', out);
	while (*s) {
		size_t n = utf8_char_len(s);

		if (!n) {
			fputs(UTF8_REPLACEMENT, out);
			s++;
		} else if (*s == '"' || *s == '\\') {
			fprintf(out, "\\%c", *s++);
		} else if (*s < 0x20) {
			fprintf(out, "\\u%04x", *s++);
		} else {
			fwrite(s, 1, n, out);
			s += n;
		}
	}
	fputc('"', out);
}
