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

static void scan_symtab(Elf *elf, Elf_Scn *scn, const char *const *names,
			size_t n, uint64_t *offsets)
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
		size_t k;

		if (!gelf_getsym(data, i, &sym) || !is_defined_function(&sym))
			continue;
		name = elf_strptr(elf, sh.sh_link, sym.st_name);
		if (!name)
			continue;
		for (k = 0; k < n; k++)
			if (!offsets[k] && !strcmp(name, names[k]))
				offsets[k] = vaddr_to_offset(elf, sym.st_value);
	}
}

static void scan_sections(Elf *elf, Elf64_Word type, const char *const *names,
			  size_t n, uint64_t *offsets)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == type)
			scan_symtab(elf, scn, names, n, offsets);
}

int elf_function_offsets(const char *path, const char *const *names, size_t n,
			 uint64_t *offsets)
{
	int fd, err = 0;
	Elf *elf;

	memset(offsets, 0, n * sizeof(*offsets));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		err = -ENOEXEC;
		goto out;
	}
	scan_sections(elf, SHT_DYNSYM, names, n, offsets);
	scan_sections(elf, SHT_SYMTAB, names, n, offsets);
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}
