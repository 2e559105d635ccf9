// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * C++ names through __cxa_demangle, each demangled once; Rust's legacy
 * names (Itanium-shaped) then lose their hash and escapes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sym/demangle.h"

/* libstdc++'s demangler (cxxabi.h is C++ only). */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len,
			    int *status);

#define MAX_NAME 4096 /* longer names are left mangled */

struct dm_entry {
	char *mangled;
	char *plain;
};

static struct dm_entry *table;
static size_t table_cap, table_used;

static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static int grow_table(void)
{
	size_t cap = table_cap ? 2 * table_cap : 1024;
	struct dm_entry *t = calloc(cap, sizeof(*t));

	if (!t)
		return -1;
	for (size_t i = 0; i < table_cap; i++) {
		size_t j;

		if (!table[i].mangled)
			continue;
		for (j = name_hash(table[i].mangled) & (cap - 1); t[j].mangled;
		     j = (j + 1) & (cap - 1))
			;
		t[j] = table[i];
	}
	free(table);
	table = t;
	table_cap = cap;
	return 0;
}

/* Rust legacy: the last path segment is "h" and 16 hex digits. */
static char *rust_hash(char *plain)
{
	size_t len = strlen(plain), i;
	char *h;

	if (len < 19)
		return NULL;
	h = plain + len - 19;
	if (strncmp(h, "::h", 3))
		return NULL;
	for (i = 3; i < 19; i++)
		if (!strchr("0123456789abcdef", h[i]))
			return NULL;
	return h;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "$LT$" -> '<', "$u20$" -> ' '...: the character, or 0 if none. */
static char rust_escape(const char *s, size_t *used)
{
	static const struct {
		const char *esc;
		char c;
	} table[] = { { "$SP$", '@' }, { "$BP$", '*' }, { "$RF$", '&' },
		      { "$LT$", '<' }, { "$GT$", '>' }, { "$LP$", '(' },
		      { "$RP$", ')' }, { "$C$", ',' } };
	size_t i;
	int hi, lo;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		size_t n = strlen(table[i].esc);

		if (!strncmp(s, table[i].esc, n)) {
			*used = n;
			return table[i].c;
		}
	}
	if (s[1] != 'u' || (hi = hex_digit(s[2])) < 0 ||
	    (lo = hex_digit(s[3])) < 0 || s[4] != '$')
		return 0;
	/* Printable ASCII only: the name goes to terminals and JSON. */
	if (hi * 16 + lo < 0x20 || hi * 16 + lo > 0x7e)
		return 0;
	*used = 5;
	return (char)(hi * 16 + lo);
}

/* Does the mangled name end in a Rust legacy hash ("17h" 16 hex "E")? */
static bool rust_mangled(const char *name)
{
	size_t len = strlen(name);

	return len > 23 && !strncmp(name, "_ZN", 3) && name[len - 1] == 'E' &&
	       !strncmp(name + len - 20, "17h", 3);
}

static bool path_sep(const char *s)
{
	return (s[0] == '.' && s[1] == '.') || (s[0] == ':' && s[1] == ':');
}

/*
 * In place (the result is never longer): drop the hash, turn ".." into
 * "::" and escapes into their characters; a segment escaped with a
 * leading "_$" loses the underscore.
 */
static void rust_legacy(char *plain)
{
	char *hash = rust_hash(plain), *in = plain, *out = plain;
	bool segment_start = true;

	if (!hash)
		return;
	*hash = '\0';
	while (*in) {
		size_t used;
		char c;

		if (segment_start && in[0] == '_' && in[1] == '$') {
			in++;
			segment_start = false;
			continue;
		}
		segment_start = path_sep(in);
		if (segment_start) {
			*out++ = ':';
			*out++ = ':';
			in += 2;
			continue;
		}
		if (in[0] == '$' && (c = rust_escape(in, &used))) {
			*out++ = c;
			in += used;
			continue;
		}
		*out++ = *in++;
	}
	*out = '\0';
}

const char *demangle_name(const char *name)
{
	struct dm_entry *e;
	char *plain;
	int status = 0;
	size_t i;

	if (!name || name[0] != '_' || name[1] != 'Z' ||
	    strnlen(name, MAX_NAME) >= MAX_NAME)
		return name;
	if (2 * (table_used + 1) > table_cap && grow_table())
		return name;
	for (i = name_hash(name) & (table_cap - 1); table[i].mangled;
	     i = (i + 1) & (table_cap - 1))
		if (!strcmp(table[i].mangled, name))
			return table[i].plain ? table[i].plain : name;
	e = &table[i];
	plain = __cxa_demangle(name, NULL, NULL, &status);
	e->mangled = strdup(name);
	if (!e->mangled) {
		free(plain);
		return name;
	}
	e->plain = status == 0 ? plain : NULL;
	if (status)
		free(plain);
	else if (rust_mangled(name))
		rust_legacy(plain);
	table_used++;
	return e->plain ? e->plain : name;
}
