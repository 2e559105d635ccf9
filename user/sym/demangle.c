// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* C++ names through __cxa_demangle, each demangled once. */
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
	table_used++;
	return e->plain ? e->plain : name;
}
