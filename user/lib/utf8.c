// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* UTF-8 validation for the writers of JSON and SVG text. */
#include <stdlib.h>
#include <string.h>
#include "lib/utf8.h"

static bool is_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/* Shortest forms only, no surrogates, nothing above U+10FFFF (RFC 3629). */
size_t utf8_char_len(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return is_cont(s[1]) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (!is_cont(s[1]) || !is_cont(s[2]))
			return 0;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (!is_cont(s[1]) || !is_cont(s[2]) || !is_cont(s[3]))
			return 0;
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

bool utf8_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	for (; *s; s += n)
		if (!(n = utf8_char_len(s)))
			return false;
	return true;
}

char *utf8_repaired(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	char *out = malloc(3 * strlen(str) + 1), *o = out;
	size_t n;

	if (!out)
		return NULL;
	for (; *s; s += n ? n : 1) {
		n = utf8_char_len(s);
		if (n) {
			memcpy(o, s, n);
			o += n;
		} else {
			memcpy(o, UTF8_REPLACEMENT, 3);
			o += 3;
		}
	}
	*o = '\0';
	return out;
}
