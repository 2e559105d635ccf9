// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <elfutils/libdwelf.h>
#include "sym/elffile.h"

#define PAGE_MASK_4K (~0xfffULL)

int elffile_from_fd(int fd, struct elf_file *f)
{
	f->fd = -1;
	f->elf = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOEXEC;
	f->elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (f->elf && elf_kind(f->elf) == ELF_K_ELF)
		return 0;
	elffile_close(f);
	return -ENOEXEC;
}

int elffile_open(const char *path, struct elf_file *f)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	f->fd = -1;
	f->elf = NULL;
	if (fd < 0)
		return -errno;
	err = elffile_from_fd(fd, f);
	if (err) {
		close(fd);
		return err;
	}
	f->fd = fd;
	return 0;
}

void elffile_close(struct elf_file *f)
{
	if (f->elf)
		elf_end(f->elf);
	if (f->fd >= 0)
		close(f->fd);
	f->elf = NULL;
	f->fd = -1;
}

size_t elffile_build_id(Elf *elf, unsigned char *id)
{
	const void *note = NULL;
	ssize_t len = dwelf_elf_gnu_build_id(elf, &note);

	if (len <= 0 || len > ELFFILE_BUILD_ID_MAX)
		return 0;
	memcpy(id, note, len);
	return len;
}

char *elffile_build_id_hex(const unsigned char *id, size_t len, char *buf,
			   size_t buf_len)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < len && 2 * i + 2 < buf_len; i++)
		snprintf(buf + 2 * i, 3, "%02x", id[i]);
	return buf;
}

int elffile_loads(Elf *elf, struct elf_loads *out)
{
	size_t i, n;
	GElf_Ehdr eh;

	memset(out, 0, sizeof(*out));
	if (!gelf_getehdr(elf, &eh) || elf_getphdrnum(elf, &n))
		return -ENOEXEC;
	out->exec = eh.e_type == ET_EXEC;
	for (i = 0; i < n && out->n < ELFFILE_MAX_LOADS; i++) {
		struct elf_load *l = &out->seg[out->n];
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		l->vaddr = ph.p_vaddr;
		l->offset = ph.p_offset;
		l->filesz = ph.p_filesz;
		l->memsz = ph.p_memsz;
		l->flags = ph.p_flags;
		out->n++;
	}
	return out->n ? 0 : -ENOEXEC;
}

int elffile_bias(const struct elf_loads *l, uint64_t map_start,
		 uint64_t map_offset, uint64_t *bias)
{
	size_t i;

	if (l->exec) {
		*bias = 0;
		return 0;
	}
	for (i = 0; i < l->n; i++) {
		const struct elf_load *s = &l->seg[i];
		uint64_t page_off = s->offset & PAGE_MASK_4K;

		if (map_offset < page_off ||
		    map_offset >= s->offset + s->filesz)
			continue;
		/* The mapping starts at the page holding the segment. */
		*bias = map_start - (map_offset - page_off) -
			(s->vaddr & PAGE_MASK_4K);
		return 0;
	}
	return -ENOENT;
}

uint64_t elffile_code_offset(const struct elf_loads *l, uint64_t vaddr)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct elf_load *s = &l->seg[i];

		if ((s->flags & PF_X) && vaddr >= s->vaddr &&
		    vaddr < s->vaddr + s->memsz)
			return vaddr - s->vaddr + s->offset;
	}
	return 0;
}

Elf_Scn *elffile_section(Elf *elf, const char *name, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *n;

		if (!gelf_getshdr(scn, sh))
			continue;
		n = elf_strptr(elf, shstrndx, sh->sh_name);
		if (n && !strcmp(n, name))
			return scn;
	}
	return NULL;
}

static int each_in_table(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh,
			 elffile_sym_fn fn, void *ctx)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, count;
	int ret;

	if (!data || !sh->sh_entsize)
		return 0;
	count = sh->sh_size / sh->sh_entsize;
	for (i = 0; i < count; i++) {
		GElf_Sym sym;
		const char *name;

		if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF ||
		    !sym.st_value)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (name && (ret = fn(&sym, name, ctx)))
			return ret;
	}
	return 0;
}

int elffile_each_symbol(Elf *elf, elffile_sym_fn fn, void *ctx)
{
	static const Elf64_Word types[] = { SHT_DYNSYM, SHT_SYMTAB };
	size_t k;
	int ret;

	for (k = 0; k < 2; k++) {
		Elf_Scn *scn = NULL;
		GElf_Shdr sh;

		while ((scn = elf_nextscn(elf, scn)))
			if (gelf_getshdr(scn, &sh) && sh.sh_type == types[k] &&
			    (ret = each_in_table(elf, scn, &sh, fn, ctx)))
				return ret;
	}
	return 0;
}

struct extent_query {
	const char *name;
	uint64_t *addr, *size;
};

static int match_extent(const GElf_Sym *sym, const char *name, void *ctx)
{
	const struct extent_query *q = ctx;

	if (strcmp(name, q->name))
		return 0;
	*q->addr = sym->st_value;
	*q->size = sym->st_size;
	return 1;
}

int elffile_symbol_extent(Elf *elf, const char *name, uint64_t *addr,
			  uint64_t *size)
{
	struct extent_query q = { name, addr, size };

	return elffile_each_symbol(elf, match_extent, &q) ? 0 : -ENOENT;
}
