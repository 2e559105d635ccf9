/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* UTF-8 validation for the writers of JSON and SVG text. */
#ifndef LT_UTF8_H
#define LT_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Length (1 to 4) of the valid UTF-8 character at s, or 0 when the bytes
 * there are not one (RFC 3629: shortest forms only, no surrogates, nothing
 * above U+10FFFF). Reads no further than a NUL.
 */
size_t utf8_char_len(const unsigned char *s);

#define UTF8_REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

/* Is s valid UTF-8 throughout? */
bool utf8_valid(const char *s);

/* A malloc'd copy of s with each invalid byte replaced by U+FFFD. */
char *utf8_repaired(const char *s);

#endif
