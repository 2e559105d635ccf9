// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * C++ and Rust names through libiberty's demanglers (the code behind
 * __cxa_demangle and c++filt), each demangled once. The streaming forms
 * are used so that a name whose back-references expand exponentially
 * costs no more than DEMANGLE_MAX_PLAIN bytes of output.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <libiberty/demangle.h>

#include "sym/demangle.h"

/* As __cxa_demangle prints: parameters, const and volatile. */
#define DM_OPTIONS (DMGL_PARAMS | DMGL_ANSI)

#define MAX_NAME  4096 /* longer names are left mangled */
/* Back-references can make a short name demangle to a huge one. */
#define TRUNCATED "..."

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

/*
 * Output goes to a fixed buffer; once it is full, the demangler is left by
 * longjmp, which is safe because libiberty's callback demanglers keep all
 * their state on the stack. Static: the sink is written through a pointer
 * between setjmp and longjmp (the table makes this single-threaded anyway).
 */
static struct dm_sink {
	char buf[DEMANGLE_MAX_PLAIN + 1];
	size_t len;
	jmp_buf full;
} sink;

static void sink_put(const char *s, size_t n, void *opaque)
{
	struct dm_sink *k = opaque;
	size_t room = DEMANGLE_MAX_PLAIN - k->len;

	if (n > room) {
		memcpy(k->buf + k->len, s, room);
		k->len = DEMANGLE_MAX_PLAIN;
		longjmp(k->full, 1);
	}
	memcpy(k->buf + k->len, s, n);
	k->len += n;
}

/* Rust's own scheme first (legacy names are Itanium-shaped), then C++. */
static bool demangle_into_sink(const char *name)
{
	sink.len = 0;
	if (rust_demangle_callback(name, DM_OPTIONS, sink_put, &sink))
		return true;
	sink.len = 0;
	return cplus_demangle_v3_callback(name, DM_OPTIONS, sink_put, &sink);
}

/* The plain name (cut at DEMANGLE_MAX_PLAIN), or NULL if there is none. */
static char *demangle_bounded(const char *name)
{
	if (setjmp(sink.full)) {
		memcpy(sink.buf + DEMANGLE_MAX_PLAIN - strlen(TRUNCATED),
		       TRUNCATED, strlen(TRUNCATED));
		return strndup(sink.buf, DEMANGLE_MAX_PLAIN);
	}
	if (!demangle_into_sink(name) || !sink.len)
		return NULL;
	return strndup(sink.buf, sink.len);
}

const char *demangle_name(const char *name)
{
	struct dm_entry *e;
	size_t i;

	/* Itanium (C++, Rust legacy) or Rust v0 */
	if (!name || name[0] != '_' || (name[1] != 'Z' && name[1] != 'R') ||
	    strnlen(name, MAX_NAME) >= MAX_NAME)
		return name;
	if (2 * (table_used + 1) > table_cap && grow_table())
		return name;
	for (i = name_hash(name) & (table_cap - 1); table[i].mangled;
	     i = (i + 1) & (table_cap - 1))
		if (!strcmp(table[i].mangled, name))
			return table[i].plain ? table[i].plain : name;
	e = &table[i];
	e->mangled = strdup(name);
	if (!e->mangled)
		return name;
	e->plain = demangle_bounded(name);
	table_used++;
	return e->plain ? e->plain : name;
}

void demangle_forget(void)
{
	for (size_t i = 0; i < table_cap; i++) {
		free(table[i].mangled);
		free(table[i].plain);
	}
	free(table);
	table = NULL;
	table_cap = table_used = 0;
}
