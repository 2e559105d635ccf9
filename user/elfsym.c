// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <unistd.h>
#include "elfsym.h"

/* Virtual address to file offset through the loadable segments. */
static uint64_t vaddr_to_offset(Elf *elf, uint64_t vaddr)
{
	size_t i, nphdr;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &nphdr))
		return 0;
	for (i = 0; i < nphdr; i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD ||
		    !(ph.p_flags & PF_X))
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_memsz)
			return vaddr - ph.p_vaddr + ph.p_offset;
	}
	return 0;
}

static bool is_defined_function(const GElf_Sym *sym)
{
	int type = GELF_ST_TYPE(sym->st_info);

	return (type == STT_FUNC || type == STT_GNU_IFUNC) &&
	       sym->st_shndx != SHN_UNDEF && sym->st_value;
}

static bool is_defined(const GElf_Sym *sym)
{
	return sym->st_shndx != SHN_UNDEF && sym->st_value;
}

/* What a lookup wants: which symbols, and what to store for each. */
struct sym_query {
	const char *const *names;
	size_t n;
	uint64_t *out;
	bool functions; /* file offsets of functions, else vaddrs of any */
};

static void match_symbol(Elf *elf, const GElf_Sym *sym, const char *name,
			 const struct sym_query *q)
{
	size_t k;

	if (!(q->functions ? is_defined_function(sym) : is_defined(sym)))
		return;
	for (k = 0; k < q->n; k++) {
		if (q->out[k] || strcmp(name, q->names[k]))
			continue;
		q->out[k] = q->functions ? vaddr_to_offset(elf, sym->st_value)
					 : sym->st_value;
	}
}

static void scan_symtab(Elf *elf, Elf_Scn *scn, const struct sym_query *q)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	GElf_Shdr sh;
	size_t i, count;

	if (!data || !gelf_getshdr(scn, &sh) || !sh.sh_entsize)
		return;
	count = sh.sh_size / sh.sh_entsize;
	for (i = 0; i < count; i++) {
		GElf_Sym sym;
		const char *name;

		if (!gelf_getsym(data, i, &sym))
			continue;
		name = elf_strptr(elf, sh.sh_link, sym.st_name);
		if (name)
			match_symbol(elf, &sym, name, q);
	}
}

static void scan_sections(Elf *elf, Elf64_Word type, const struct sym_query *q)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == type)
			scan_symtab(elf, scn, q);
}

static Elf *open_elf(const char *path, int *fd)
{
	Elf *elf;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return NULL;
	elf = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF)
		return elf;
	if (elf)
		elf_end(elf);
	close(*fd);
	errno = ENOEXEC;
	return NULL;
}

static int lookup_symbols(const char *path, const struct sym_query *q)
{
	int fd;
	Elf *elf;

	memset(q->out, 0, q->n * sizeof(*q->out));
	elf = open_elf(path, &fd);
	if (!elf)
		return -errno;
	scan_sections(elf, SHT_DYNSYM, q);
	scan_sections(elf, SHT_SYMTAB, q);
	elf_end(elf);
	close(fd);
	return 0;
}

int elf_function_offsets(const char *path, const char *const *names, size_t n,
			 uint64_t *offsets)
{
	struct sym_query q = { names, n, offsets, true };

	return lookup_symbols(path, &q);
}

int elf_symbol_addresses(const char *path, const char *const *names, size_t n,
			 uint64_t *vaddrs)
{
	struct sym_query q = { names, n, vaddrs, false };

	return lookup_symbols(path, &q);
}

int elf_load_bias(const char *path, uint64_t map_start, uint64_t map_offset,
		  uint64_t *bias)
{
	size_t i, nphdr;
	GElf_Ehdr eh;
	int fd, err = -ENOEXEC;
	Elf *elf = open_elf(path, &fd);

	if (!elf)
		return -errno;
	if (!gelf_getehdr(elf, &eh) || elf_getphdrnum(elf, &nphdr))
		goto out;
	for (i = 0; i < nphdr; i++) {
		uint64_t page_off, page_vaddr;
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		page_off = ph.p_offset & ~0xfffULL;
		page_vaddr = ph.p_vaddr & ~0xfffULL;
		if (map_offset < page_off ||
		    map_offset >= ph.p_offset + ph.p_filesz)
			continue;
		*bias = eh.e_type == ET_EXEC
				? 0
				: map_start - (map_offset - page_off) -
					  page_vaddr;
		err = 0;
		break;
	}
out:
	elf_end(elf);
	close(fd);
	return err;
}
