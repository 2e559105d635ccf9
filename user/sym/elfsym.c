// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <unistd.h>
#include "sym/elffile.h"
#include "sym/elfsym.h"

static bool is_defined_function(const GElf_Sym *sym)
{
	int type = GELF_ST_TYPE(sym->st_info);

	return (type == STT_FUNC || type == STT_GNU_IFUNC) &&
	       sym->st_shndx != SHN_UNDEF && sym->st_value;
}

/* What a lookup wants: which symbols, and what to store for each. */
struct sym_query {
	const char *const *names;
	size_t n;
	uint64_t *out;
	bool functions; /* file offsets of functions, else vaddrs of any */
	struct elf_loads loads;
};

static int match_symbol(const GElf_Sym *sym, const char *name, void *ctx)
{
	const struct sym_query *q = ctx;
	size_t k;

	if (q->functions && !is_defined_function(sym))
		return 0;
	for (k = 0; k < q->n; k++) {
		if (q->out[k] || strcmp(name, q->names[k]))
			continue;
		q->out[k] = q->functions ? elffile_code_offset(&q->loads,
							       sym->st_value)
					 : sym->st_value;
	}
	return 0;
}

static int lookup_symbols(const char *path, struct sym_query *q)
{
	struct elf_file f;
	int err;

	memset(q->out, 0, q->n * sizeof(*q->out));
	err = elffile_open(path, &f);
	if (err)
		return err;
	elffile_loads(f.elf, &q->loads);
	elffile_each_symbol(f.elf, match_symbol, q);
	elffile_close(&f);
	return 0;
}

int elf_function_offsets(const char *path, const char *const *names, size_t n,
			 uint64_t *offsets)
{
	struct sym_query q = {
		.names = names, .n = n, .out = offsets, .functions = true
	};

	return lookup_symbols(path, &q);
}

int elf_symbol_addresses(const char *path, const char *const *names, size_t n,
			 uint64_t *vaddrs)
{
	struct sym_query q = { .names = names, .n = n, .out = vaddrs };

	return lookup_symbols(path, &q);
}

int elf_load_bias(const char *path, uint64_t map_start, uint64_t map_offset,
		  uint64_t *bias)
{
	struct elf_loads loads;
	struct elf_file f;
	int err = elffile_open(path, &f);

	if (err)
		return err;
	err = elffile_loads(f.elf, &loads);
	if (!err)
		err = elffile_bias(&loads, map_start, map_offset, bias);
	elffile_close(&f);
	return err;
}

/* The GOT slot the dynamic linker fills with name's address. */
static uint64_t got_slot(Elf *elf, const char *name)
{
	GElf_Shdr rsh, dsh;
	Elf_Scn *rela = elffile_section(elf, ".rela.plt", &rsh);
	Elf_Scn *dyn = elffile_section(elf, ".dynsym", &dsh);
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
		Elf_Scn *scn = elffile_section(elf, plts[k], &sh);
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

long elf_count_calls(const char *path, const char *caller, const char *callee)
{
	uint64_t func, size, stub, from, len;
	const uint8_t *b;
	Elf_Scn *text;
	Elf_Data *d;
	GElf_Shdr sh;
	long count = -ENOENT;
	struct elf_file f;
	Elf *elf;

	if ((count = elffile_open(path, &f)))
		return count;
	count = -ENOENT;
	elf = f.elf;
	text = elffile_section(elf, ".text", &sh);
	d = text ? elf_getdata(text, NULL) : NULL;
	if (!d || !d->d_buf || elffile_symbol_extent(elf, callee, &func, &size))
		goto out;
	stub = plt_stub(elf, got_slot(elf, callee));
	from = sh.sh_addr;
	len = d->d_size;
	if (caller && elffile_symbol_extent(elf, caller, &from, &len))
		goto out;
	if (from < sh.sh_addr || from + len > sh.sh_addr + d->d_size)
		goto out;
	b = (const uint8_t *)d->d_buf + (from - sh.sh_addr);
	count = count_calls_in(b, len, from, func, stub);
out:
	elffile_close(&f);
	return count;
}
