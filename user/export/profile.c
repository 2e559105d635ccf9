// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Profiles: the exporters' common input. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "export/profile.h"
#include "lib/strpool.h"
#include "lib/vec.h"

/* ---- frames ------------------------------------------------------------ */

/* Callers and wrappers of the allocator: their frames get its colour. */
static const char *const allocator_names[] = {
	"malloc",
	"calloc",
	"realloc",
	"reallocarray",
	"free",
	"posix_memalign",
	"aligned_alloc",
	"memalign",
	"valloc",
	"pvalloc",
	"mmap",
	"mmap64",
	"mremap",
	"munmap",
	"brk",
	"sbrk",
	"xmalloc",
	"xcalloc",
	"xrealloc",
	"g_malloc",
	"g_malloc0",
	"g_realloc",
	"__rust_alloc",
	"__rust_realloc",
	"__rust_alloc_zeroed",
};

static const char *const allocator_prefixes[] = {
	"operator new",	    "__libc_malloc",	"__libc_calloc",
	"__libc_realloc",   "__libc_memalign",	"__libc_valloc",
	"__libc_pvalloc",   "__libc_free",	"PyMem_",
	"_PyMem_",	    "PyObject_Malloc",	"PyObject_Calloc",
	"PyObject_Realloc", "_PyObject_Malloc", "je_malloc",
	"je_calloc",	    "je_realloc",	"je_mallocx",
	"je_rallocx",	    "tc_malloc",	"tc_calloc",
	"tc_realloc",	    "tc_new",
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

bool profile_is_allocator(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(allocator_names); i++)
		if (!strcmp(name, allocator_names[i]))
			return true;
	for (i = 0; i < ARRAY_LEN(allocator_prefixes); i++)
		if (!strncmp(name, allocator_prefixes[i],
			     strlen(allocator_prefixes[i])))
			return true;
	return false;
}

/* ---- strings ----------------------------------------------------------- */

const char *profile_intern(struct profile *p, const char *s)
{
	return strpool_intern(&p->pool, s);
}

/* ---- samples and modules ----------------------------------------------- */

int profile_add(struct profile *p, const struct prof_frame *frames, size_t n,
		int64_t bytes, int64_t count, int64_t base_bytes, pid_t pid,
		const char *comm)
{
	struct prof_sample *s;

	if (VEC_ROOM(&p->samples, &p->n, &p->cap))
		return -ENOMEM;
	s = &p->samples[p->n];
	memset(s, 0, sizeof(*s));
	s->frames = calloc(n ? n : 1, sizeof(*frames));
	if (!s->frames)
		return -ENOMEM;
	if (n)
		memcpy(s->frames, frames, n * sizeof(*frames));
	s->n_frames = n;
	s->bytes = bytes;
	s->count = count;
	s->base_bytes = base_bytes;
	s->pid = pid;
	s->comm = comm;
	p->n++;
	return 0;
}

const struct prof_module *profile_module(struct profile *p,
					 const struct prof_module *m)
{
	struct prof_module *nm;
	size_t i;

	for (i = 0; i < p->n_modules; i++)
		if (p->modules[i]->pid == m->pid &&
		    p->modules[i]->start == m->start)
			return p->modules[i];
	if (VEC_ROOM(&p->modules, &p->n_modules, &p->cap_modules))
		return NULL;
	nm = malloc(sizeof(*nm));
	if (!nm)
		return NULL;
	*nm = *m;
	nm->path = profile_intern(p, m->path ? m->path : "");
	nm->build_id = profile_intern(p, m->build_id ? m->build_id : "");
	if (!nm->path || !nm->build_id) {
		free(nm);
		return NULL;
	}
	p->modules[p->n_modules++] = nm;
	return nm;
}

int64_t profile_total_bytes(const struct profile *p, int64_t *count)
{
	int64_t bytes = 0, blocks = 0;
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (p->samples[i].bytes <= 0)
			continue;
		bytes += p->samples[i].bytes;
		blocks += p->samples[i].count;
	}
	if (count)
		*count = blocks;
	return bytes;
}

void profile_free(struct profile *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->samples[i].frames);
	free(p->samples);
	for (i = 0; i < p->n_modules; i++)
		free(p->modules[i]);
	free(p->modules);
	strpool_free(p->pool);
	memset(p, 0, sizeof(*p));
}
