// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kernel/allocator.h"
#include "kernel/linkmap.h"
#include "lib/proc.h"
#include "lib/procmaps.h"
#include "sym/elfsym.h"
#include "lib/vec.h"

/* Prefixed APIs that allocators keep next to (or instead of) malloc. */
static const char *const other_prefixes[] = { "je_", "tc_", "mi_" };

bool allocator_defines(const char *path, const char *prefix)
{
	char m[64], f[64];
	const char *names[2] = { m, f };
	uint64_t off[2];

	snprintf(m, sizeof(m), "%smalloc", prefix);
	snprintf(f, sizeof(f), "%sfree", prefix);
	return !elf_function_offsets(path, names, 2, off) && off[0] && off[1];
}

/* Offset of PREFIXmalloc in path, 0 when absent. */
static uint64_t malloc_offset(const char *path, const char *prefix)
{
	char m[64];
	const char *names[1] = { m };
	uint64_t off = 0;

	snprintf(m, sizeof(m), "%smalloc", prefix);
	if (elf_function_offsets(path, names, 1, &off))
		return 0;
	return off;
}

/* Open the file the process maps: through its root, else map_files. */
static int module_path(pid_t pid, const struct map_entry *e,
		       struct allocator_module *m)
{
	struct stat st;
	int err;

	snprintf(m->name, sizeof(m->name), "%s", e->path);
	err = proc_mapped_path(pid, e, m->path, sizeof(m->path), &st);
	if (err)
		return err;
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	return 0;
}

struct module_list {
	struct allocator_module *v;
	size_t n, cap;
};

static bool listed(const struct module_list *l, const struct map_entry *e)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, e->path) ||
		    procmaps_same_file(e, l->v[i].dev, l->v[i].ino))
			return true;
	return false;
}

/* Append the module e belongs to, unless it is there already. */
static int add_module(struct module_list *l, pid_t pid,
		      const struct map_entry *e, bool executable)
{
	struct allocator_module *m;

	if (!e->inode || !e->path[0] || e->path[0] == '[' || listed(l, e))
		return 0;
	if (VEC_ROOM(&l->v, &l->n, &l->cap))
		return -ENOMEM;
	m = &l->v[l->n];
	memset(m, 0, sizeof(*m));
	m->executable = executable;
	if (module_path(pid, e, m))
		return 0; /* unmapped meanwhile: not a candidate */
	l->n++;
	return 0;
}

static const struct map_entry *exe_entry(pid_t pid,
					 const struct map_entry *maps, size_t n)
{
	char path[64];
	struct stat st;
	size_t i;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if (stat(path, &st))
		return NULL;
	for (i = 0; i < n; i++)
		if (procmaps_same_file(&maps[i], st.st_dev, st.st_ino))
			return &maps[i];
	return NULL;
}

/* Modules the link map does not name, by falling address (load order). */
static int add_by_address(struct module_list *l, pid_t pid,
			  const struct map_entry *maps, size_t n)
{
	size_t i;
	int err;

	for (i = n; i-- > 0;) {
		if (!maps[i].executable)
			continue;
		err = add_module(l, pid, &maps[i], false);
		if (err)
			return err;
	}
	return 0;
}

static int add_linked(struct module_list *l, pid_t pid,
		      const struct map_entry *maps, size_t n)
{
	uint64_t *ld = calloc(LINKMAP_MAX, sizeof(*ld));
	int count, i, err = 0;

	if (!ld)
		return -ENOMEM;
	count = linkmap_read(pid, ld, LINKMAP_MAX);
	for (i = 0; i < count && !err; i++) {
		const struct map_entry *e = procmaps_find(maps, n, ld[i]);

		if (e)
			err = add_module(l, pid, e, false);
	}
	free(ld);
	return err ? err : count > 0;
}

int allocator_modules(pid_t pid, struct allocator_module **mods, size_t *n,
		      bool *load_order)
{
	struct module_list l = { 0 };
	struct map_entry *maps = NULL;
	const struct map_entry *exe;
	size_t nmaps = 0;
	int err;

	err = procmaps_read(pid, &maps, &nmaps);
	if (err)
		return err;
	exe = exe_entry(pid, maps, nmaps);
	err = exe ? add_module(&l, pid, exe, true) : 0;
	if (!err)
		err = add_linked(&l, pid, maps, nmaps);
	*load_order = err > 0;
	if (err >= 0)
		err = add_by_address(&l, pid, maps, nmaps);
	free(maps);
	if (err < 0) {
		free(l.v);
		return err;
	}
	*mods = l.v;
	*n = l.n;
	return 0;
}

static void append(char *buf, size_t len, const char *fmt, const char *arg)
{
	size_t used = strlen(buf);

	if (used < len)
		snprintf(buf + used, len - used, fmt, arg);
}

/* A module after the one serving malloc with a prefixed allocator. */
static void note_others(const struct allocator_module *mods, size_t n,
			struct allocator_choice *c)
{
	size_t i, k;

	for (i = 0; i < n && c->n_others < ALLOCATOR_MAX_OTHERS; i++) {
		uint64_t plain;

		if ((int)i == c->index)
			continue;
		plain = malloc_offset(mods[i].path, "");
		for (k = 0;
		     k < sizeof(other_prefixes) / sizeof(*other_prefixes);
		     k++) {
			uint64_t own =
				malloc_offset(mods[i].path, other_prefixes[k]);

			/* tcmalloc's tc_malloc is its malloc: an alias. */
			if (!own || own == plain ||
			    !allocator_defines(mods[i].path, other_prefixes[k]))
				continue;
			c->others[c->n_others] = i;
			snprintf(c->other_prefix[c->n_others],
				 sizeof(c->other_prefix[0]), "%s",
				 other_prefixes[k]);
			c->n_others++;
			break;
		}
	}
}

int allocator_choose(const struct allocator_module *mods, size_t n,
		     bool load_order, struct allocator_choice *c)
{
	char before[sizeof(c->why)] = "";
	size_t i;

	memset(c, 0, sizeof(*c));
	c->index = -1;
	c->load_order = load_order;
	for (i = 0; i < n && c->index < 0; i++) {
		if (allocator_defines(mods[i].path, ""))
			c->index = i;
		else
			append(before, sizeof(before), "%s ", mods[i].name);
	}
	if (c->index < 0)
		snprintf(c->why, sizeof(c->why),
			 "no module defines malloc and free (%zu looked at)",
			 n);
	else
		snprintf(
			c->why, sizeof(c->why),
			"%.300s is the first module to define malloc and free in %s%s%.600s%s",
			mods[c->index].name,
			load_order ? "the dynamic linker's lookup order"
				   : "load order (no link map)",
			before[0] ? "; none in: " : "", before,
			before[0] ? "before it" : "");
	note_others(mods, n, c);
	return 0;
}
