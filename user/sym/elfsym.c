// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <unistd.h>
#include "sym/elfsym.h"

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

static Elf_Scn *section_named(Elf *elf, const char *want, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh->sh_name);
		if (name && !strcmp(name, want))
			return scn;
	}
	return NULL;
}

/* The GOT slot the dynamic linker fills with name's address. */
static uint64_t got_slot(Elf *elf, const char *name)
{
	GElf_Shdr rsh, dsh;
	Elf_Scn *rela = section_named(elf, ".rela.plt", &rsh);
	Elf_Scn *dyn = section_named(elf, ".dynsym", &dsh);
	Elf_Data *rdata, *ddata;
	size_t i;

	if (!rela || !dyn || !rsh.sh_entsize)
		return 0;
	rdata = elf_getdata(rela, NULL);
	ddata = elf_getdata(dyn, NULL);
	for (i = 0; rdata && ddata && i < rsh.sh_size / rsh.sh_entsize; i++) {
		GElf_Rela r;
		GElf_Sym sym;
		const char *sname;

		if (!gelf_getrela(rdata, i, &r) ||
		    !gelf_getsym(ddata, GELF_R_SYM(r.r_info), &sym))
			continue;
		sname = elf_strptr(elf, dsh.sh_link, sym.st_name);
		if (sname && !strcmp(sname, name))
			return r.r_offset;
	}
	return 0;
}

/* The 16-byte PLT entry whose jmp *disp32(%rip) goes through got. */
static uint64_t plt_stub(Elf *elf, uint64_t got)
{
	static const char *const plts[] = { ".plt.sec", ".plt" };
	size_t k, i;

	for (k = 0; got && k < 2; k++) {
		GElf_Shdr sh;
		Elf_Scn *scn = section_named(elf, plts[k], &sh);
		Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
		const uint8_t *b = d ? d->d_buf : NULL;

		for (i = 0; b && i + 6 <= d->d_size; i++) {
			int32_t disp;

			if (b[i] != 0xff || b[i + 1] != 0x25)
				continue;
			memcpy(&disp, b + i + 2, 4);
			if (sh.sh_addr + i + 6 + disp == got)
				return sh.sh_addr + (i & ~15UL);
		}
	}
	return 0;
}

static long count_calls_in(const uint8_t *b, size_t n, uint64_t vaddr,
			   uint64_t t1, uint64_t t2)
{
	long count = 0;
	size_t i;

	for (i = 0; i + 5 <= n; i++) {
		int32_t rel;
		uint64_t target;

		if (b[i] != 0xe8)
			continue;
		memcpy(&rel, b + i + 1, 4);
		target = vaddr + i + 5 + rel;
		if ((t1 && target == t1) || (t2 && target == t2))
			count++;
	}
	return count;
}

/* Address and size of a defined symbol, from .dynsym then .symtab. */
static int symbol_extent(Elf *elf, const char *name, uint64_t *addr,
			 uint64_t *size)
{
	static const Elf64_Word types[] = { SHT_DYNSYM, SHT_SYMTAB };
	size_t k;

	for (k = 0; k < 2; k++) {
		Elf_Scn *scn = NULL;
		GElf_Shdr sh;

		while ((scn = elf_nextscn(elf, scn))) {
			Elf_Data *d = elf_getdata(scn, NULL);
			size_t i;

			if (!gelf_getshdr(scn, &sh) || sh.sh_type != types[k] ||
			    !d || !sh.sh_entsize)
				continue;
			for (i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
				GElf_Sym sym;
				const char *n;

				if (!gelf_getsym(d, i, &sym) ||
				    !is_defined(&sym))
					continue;
				n = elf_strptr(elf, sh.sh_link, sym.st_name);
				if (n && !strcmp(n, name)) {
					*addr = sym.st_value;
					*size = sym.st_size;
					return 0;
				}
			}
		}
	}
	return -ENOENT;
}

long elf_count_calls(const char *path, const char *caller, const char *callee)
{
	uint64_t func, size, stub, from, len;
	const uint8_t *b;
	Elf_Scn *text;
	Elf_Data *d;
	GElf_Shdr sh;
	long count = -ENOENT;
	int fd;
	Elf *elf = open_elf(path, &fd);

	if (!elf)
		return -errno;
	text = section_named(elf, ".text", &sh);
	d = text ? elf_getdata(text, NULL) : NULL;
	if (!d || !d->d_buf || symbol_extent(elf, callee, &func, &size))
		goto out;
	stub = plt_stub(elf, got_slot(elf, callee));
	from = sh.sh_addr;
	len = d->d_size;
	if (caller && symbol_extent(elf, caller, &from, &len))
		goto out;
	if (from < sh.sh_addr || from + len > sh.sh_addr + d->d_size)
		goto out;
	b = (const uint8_t *)d->d_buf + (from - sh.sh_addr);
	count = count_calls_in(b, len, from, func, stub);
out:
	elf_end(elf);
	close(fd);
	return count;
}
