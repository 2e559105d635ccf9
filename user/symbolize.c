// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "proc.h"
#include "procmaps.h"
#include "symbolize.h"

struct cache_slot {
	uint64_t addr;
	struct frame_sym *sym;
};

struct known_module {
	uint64_t start;
	uint64_t inode;
};

struct symbolizer {
	pid_t pid;
	Dwfl *dwfl;
	struct known_module *modules;
	size_t n_modules, cap_modules;
	struct cache_slot *cache;
	size_t cache_cap, cache_used;
};

static char *no_debuginfo_path;
static const Dwfl_Callbacks dwfl_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &no_debuginfo_path,
};

struct symbolizer *symbolizer_new(pid_t pid)
{
	struct symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->pid = pid;
	s->dwfl = dwfl_begin(&dwfl_callbacks);
	if (!s->dwfl) {
		free(s);
		return NULL;
	}
	return s;
}

void symbolizer_free(struct symbolizer *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->cache_cap; i++)
		free(s->cache[i].sym);
	free(s->cache);
	free(s->modules);
	dwfl_end(s->dwfl);
	free(s);
}

static bool module_known(const struct symbolizer *s, const struct map_entry *e)
{
	size_t i;

	for (i = 0; i < s->n_modules; i++)
		if (s->modules[i].inode == e->inode &&
		    s->modules[i].start <= e->start)
			return true;
	return false;
}

static int remember_module(struct symbolizer *s, const struct map_entry *e)
{
	if (s->n_modules == s->cap_modules) {
		size_t cap = s->cap_modules ? 2 * s->cap_modules : 32;
		struct known_module *m = realloc(s->modules, cap * sizeof(*m));

		if (!m)
			return -ENOMEM;
		s->modules = m;
		s->cap_modules = cap;
	}
	s->modules[s->n_modules].start = e->start;
	s->modules[s->n_modules].inode = e->inode;
	s->n_modules++;
	return 0;
}

/*
 * Load bias of the module whose mapping e (executable, file offset
 * e->offset) came from the loadable segment covering that offset.
 */
static int load_bias(int fd, const struct map_entry *e, uint64_t *bias)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	size_t i, nphdr;
	GElf_Ehdr eh;
	int err = -ENOEXEC;

	if (!elf)
		return err;
	if (!gelf_getehdr(elf, &eh) || elf_getphdrnum(elf, &nphdr))
		goto out;
	for (i = 0; i < nphdr; i++) {
		GElf_Phdr ph;
		uint64_t page_off, page_vaddr;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		page_off = ph.p_offset & ~0xfffULL;
		page_vaddr = ph.p_vaddr & ~0xfffULL;
		if (e->offset < page_off ||
		    e->offset >= ph.p_offset + ph.p_filesz)
			continue;
		*bias = eh.e_type == ET_EXEC
				? 0
				: e->start - (e->offset - page_off) -
					  page_vaddr;
		err = 0;
		break;
	}
out:
	elf_end(elf);
	return err;
}

/* Open the mapped file as the process sees it, even if replaced. */
static int open_mapped(pid_t pid, const struct map_entry *e, char *path,
		       size_t len)
{
	int fd;

	if (!e->deleted) {
		proc_root_path(pid, e->path, path, len);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			return fd;
	}
	snprintf(path, len, "/proc/%d/map_files/%llx-%llx", pid,
		 (unsigned long long)e->start, (unsigned long long)e->end);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static void report_module(struct symbolizer *s, const struct map_entry *e)
{
	char path[4200];
	uint64_t bias;
	int fd = open_mapped(s->pid, e, path, sizeof(path));

	if (fd < 0)
		return;
	if (load_bias(fd, e, &bias)) {
		close(fd);
		return;
	}
	/* libdwfl owns fd from here on. */
	if (!dwfl_report_elf(s->dwfl, e->path, path, fd, bias, true))
		lt_debug("pid %d: cannot load symbols of %s: %s", s->pid,
			 e->path, dwfl_errmsg(-1));
}

int symbolizer_refresh(struct symbolizer *s)
{
	struct map_entry *maps = NULL;
	size_t i, n = 0;
	int err = procmaps_read(s->pid, &maps, &n);

	if (err)
		return err;
	dwfl_report_begin_add(s->dwfl);
	for (i = 0; i < n; i++) {
		const struct map_entry *e = &maps[i];

		if (!e->executable || !e->inode || e->path[0] != '/' ||
		    module_known(s, e))
			continue;
		if (remember_module(s, e))
			break;
		report_module(s, e);
	}
	dwfl_report_end(s->dwfl, NULL, NULL);
	free(maps);
	return 0;
}

static void resolve(struct symbolizer *s, uint64_t addr, struct frame_sym *f)
{
	uint64_t lookup = addr ? addr - 1 : 0;
	Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, lookup);
	const char *modname, *name, *base;
	GElf_Addr start = 0, off = 0;
	GElf_Sym sym;

	memset(f, 0, sizeof(*f));
	if (!mod)
		return;
	modname = dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL,
				   NULL);
	base = modname ? strrchr(modname, '/') : NULL;
	snprintf(f->module, sizeof(f->module), "%s",
		 base	   ? base + 1
		 : modname ? modname
			   : "");
	f->module_offset = addr - start;
	name = dwfl_module_addrinfo(mod, lookup, &off, &sym, NULL, NULL, NULL);
	if (name) {
		snprintf(f->name, sizeof(f->name), "%s", name);
		f->offset = off + 1;
	}
}

static uint64_t hash_addr(uint64_t a)
{
	a ^= a >> 33;
	a *= 0xff51afd7ed558ccdULL;
	a ^= a >> 33;
	return a;
}

static int cache_grow(struct symbolizer *s)
{
	size_t cap = s->cache_cap ? 2 * s->cache_cap : 1024, i;
	struct cache_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < s->cache_cap; i++) {
		size_t j;

		if (!s->cache[i].sym)
			continue;
		j = hash_addr(s->cache[i].addr) & (cap - 1);
		while (slots[j].sym)
			j = (j + 1) & (cap - 1);
		slots[j] = s->cache[i];
	}
	free(s->cache);
	s->cache = slots;
	s->cache_cap = cap;
	return 0;
}

const struct frame_sym *symbolizer_lookup(struct symbolizer *s, uint64_t addr)
{
	static struct frame_sym fallback;
	size_t j;

	if (2 * (s->cache_used + 1) > s->cache_cap && cache_grow(s)) {
		resolve(s, addr, &fallback);
		return &fallback;
	}
	j = hash_addr(addr) & (s->cache_cap - 1);
	while (s->cache[j].sym) {
		if (s->cache[j].addr == addr)
			return s->cache[j].sym;
		j = (j + 1) & (s->cache_cap - 1);
	}
	s->cache[j].sym = malloc(sizeof(struct frame_sym));
	if (!s->cache[j].sym) {
		resolve(s, addr, &fallback);
		return &fallback;
	}
	s->cache[j].addr = addr;
	s->cache_used++;
	resolve(s, addr, s->cache[j].sym);
	return s->cache[j].sym;
}

char *frame_sym_text(const struct frame_sym *f, char *buf, size_t len)
{
	if (f->name[0])
		snprintf(buf, len, "%s+0x%llx (%s)", f->name,
			 (unsigned long long)f->offset, f->module);
	else if (f->module[0])
		snprintf(buf, len, "%s+0x%llx", f->module,
			 (unsigned long long)f->module_offset);
	else
		snprintf(buf, len, "[unknown]");
	return buf;
}
