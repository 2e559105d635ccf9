// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unwind tables in the kernel, one per file, shared by all processes. */
#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <bpf/bpf.h>

#include "lib/log.h"
#include "sym/elffile.h"
#include "unwind/unwind_cache.h"
#include "unwind/unwind_index.h"

#define EVAL_SYMBOL "_PyEval_EvalFrameDefault"

void unwind_cache_init(struct unwind_cache *c,
		       const struct unwind_cache_maps *maps)
{
	memset(c, 0, sizeof(*c));
	c->maps = *maps;
}

void unwind_cache_free(struct unwind_cache *c)
{
	free(c->mods);
	c->mods = NULL;
	c->n = c->cap = 0;
}

static struct unwind_module *find_file(struct unwind_cache *c, dev_t dev,
				       ino_t ino)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->mods[i].dev == dev && c->mods[i].ino == ino)
			return &c->mods[i];
	return NULL;
}

static struct unwind_module *find_build_id(struct unwind_cache *c,
					   const unsigned char *id, size_t len)
{
	for (size_t i = 0; len && i < c->n; i++)
		if (c->mods[i].build_id_len == len &&
		    !memcmp(c->mods[i].build_id, id, len))
			return &c->mods[i];
	return NULL;
}

/* Segments and the eval loop's symbol, from the ELF headers. */
static void read_layout(int fd, struct unwind_module *m)
{
	uint64_t lo, size;
	Elf *elf;
	size_t n;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return;
	if (!elf_getphdrnum(elf, &n))
		for (size_t i = 0; i < n && m->n_loads < UNWIND_MAX_LOADS;
		     i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(elf, (int)i, &ph) &&
			    ph.p_type == PT_LOAD)
				m->loads[m->n_loads++] =
					(struct lt_unwind_load){ ph.p_offset,
								 ph.p_vaddr,
								 ph.p_filesz };
		}
	if (!elffile_symbol_extent(elf, EVAL_SYMBOL, &lo, &size) && size) {
		m->eval_lo = lo;
		m->eval_hi = lo + size;
	}
	elf_end(elf);
}

/*
 * n values of size bytes into an array map from key first, in batches
 * where the kernel has them.
 */
static int upload_array(int fd, const void *values, size_t size, size_t n,
			uint32_t first)
{
	enum { BATCH = 4096 };
	uint32_t keys[BATCH];
	const char *v = values;

	for (size_t i = 0; i < n; i += BATCH) {
		uint32_t count = n - i < BATCH ? n - i : BATCH;

		for (uint32_t k = 0; k < count; k++)
			keys[k] = first + i + k;
		if (!bpf_map_update_batch(fd, keys, v + i * size, &count, NULL))
			continue;
		for (uint32_t k = 0; k < count; k++)
			if (bpf_map_update_elem(fd, &keys[k],
						v + (i + k) * size, BPF_ANY))
				return -errno;
	}
	return 0;
}

/* Is there room for n rows and an index of n_index entries? */
static bool table_fits(struct unwind_cache *c, size_t n, uint32_t n_index)
{
	const struct unwind_cache_maps *m = &c->maps;

	if (n <= m->rows_max - c->rows_used && c->tables_used < m->tables_max &&
	    n_index <= m->index_max - c->index_used)
		return true;
	if (!c->rows_full++)
		lt_warn("unwind: the kernel's table of %u rows is full: modules mapped from now on are walked by frame pointers",
			m->rows_max);
	return false;
}

static void load_table(struct unwind_cache *c, struct unwind_module *m,
		       const struct unwind_table *t)
{
	struct lt_unwind_table kt = { .first = c->rows_used, .count = t->n };
	uint32_t id = c->tables_used;
	struct unwind_index ix;
	int rc;

	/*
	 * One huge file must not take everyone's room: at most half the
	 * array, so libLLVM-14 (949 k rows) fits system-wide (2 M rows).
	 */
	m->table = LT_UNWIND_NO_ROOM; /* until loaded */
	if (t->n > c->maps.rows_max / 2) {
		lt_debug(
			"unwind: %zu rows are more than half of the kernel's table: frame pointers there",
			t->n);
		return;
	}
	rc = unwind_index_build(t->rows, t->n, &ix);
	if (rc) {
		lt_debug(
			"unwind: no index of %zu rows (%s): frame pointers there",
			t->n, strerror(-rc));
		return;
	}
	kt.index_first = c->index_used;
	kt.index_n = ix.n;
	kt.base = ix.base;
	kt.shift = ix.shift;
	if (table_fits(c, t->n, ix.n) &&
	    !upload_array(c->maps.rows_fd, t->rows, sizeof(*t->rows), t->n,
			  kt.first) &&
	    !upload_array(c->maps.index_fd, ix.starts, sizeof(*ix.starts), ix.n,
			  kt.index_first) &&
	    !bpf_map_update_elem(c->maps.tables_fd, &id, &kt, BPF_ANY)) {
		c->rows_used += t->n;
		c->index_used += ix.n;
		c->tables_used++;
		m->table = id;
		m->rows = t->n;
	}
	unwind_index_free(&ix);
}

/*
 * The module in the walk's files map, under the kernel's view of its
 * inode, with no table too: a file without CFI is not a loss there.
 */
static void publish_file(struct unwind_cache *c, const struct unwind_module *m)
{
	struct lt_unwind_file_key key = {
		.dev = (uint32_t)(major(m->dev) << 20 | minor(m->dev)),
		.ino = m->ino,
	};
	struct lt_unwind_file f = {
		.table = m->table,
		.n_loads = (uint32_t)m->n_loads,
		.eval_lo = m->eval_lo,
		.eval_hi = m->eval_hi,
	};

	if (c->maps.files_fd < 0)
		return;
	memcpy(f.loads, m->loads, m->n_loads * sizeof(*m->loads));
	if (bpf_map_update_elem(c->maps.files_fd, &key, &f, BPF_ANY))
		lt_debug("unwind: file %u:%u/%llu not published: %s",
			 major(m->dev), minor(m->dev),
			 (unsigned long long)m->ino, strerror(errno));
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

const struct unwind_module *unwind_cache_get(struct unwind_cache *c, int fd,
					     const struct stat *st,
					     const char *name)
{
	struct unwind_module *m = find_file(c, st->st_dev, st->st_ino), *same;
	struct unwind_table t;
	struct timespec t0;
	int rc;

	if (m)
		return m;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		void *p = realloc(c->mods, cap * sizeof(*c->mods));

		if (!p)
			return NULL;
		c->mods = p;
		c->cap = cap;
	}
	m = &c->mods[c->n];
	memset(m, 0, sizeof(*m));
	m->dev = st->st_dev;
	m->ino = st->st_ino;
	m->table = LT_UNWIND_NO_TABLE;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = unwind_table_build(fd, &t);
	read_layout(fd, m);
	if (!rc) {
		memcpy(m->build_id, t.build_id, t.build_id_len);
		m->build_id_len = t.build_id_len;
		same = find_build_id(c, t.build_id, t.build_id_len);
		if (same) { /* the same file elsewhere (a container's copy) */
			m->table = same->table;
			m->rows = same->rows;
		} else
			load_table(c, m, &t);
		unwind_table_free(&t);
	}
	c->n++;
	publish_file(c, m);
	if (m->table < LT_UNWIND_NO_ROOM)
		lt_debug("unwind %s: dwarf, %u rows (%.3f s)", name, m->rows,
			 seconds_since(&t0));
	else
		lt_debug("unwind %s: frame pointers (%s)", name,
			 rc ? "no usable CFI" : "no room for its rows");
	c->n_built++;
	return m;
}

bool unwind_module_bias(const struct unwind_module *m, uint64_t start,
			uint64_t off, uint64_t *bias)
{
	for (int i = 0; i < m->n_loads; i++) {
		const struct lt_unwind_load *l = &m->loads[i];

		if (off >= l->offset && off - l->offset < l->filesz + 4096) {
			*bias = start - (l->vaddr + (off - l->offset));
			return true;
		}
	}
	return false;
}
