/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The ELF layer: opening a file with libelf, its build-id, its loadable
 * segments and load bias, its sections and symbols. Everything that reads
 * ELF (symbols for probes, the symbol cache, debug files, placement,
 * Python detection) goes through here.
 */
#ifndef LT_ELFFILE_H
#define LT_ELFFILE_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELFFILE_BUILD_ID_MAX 64 /* bytes; longer notes count as none */
#define ELFFILE_MAX_LOADS    16 /* PT_LOAD segments kept */

struct elf_file {
	int fd; /* -1 when the caller keeps the fd */
	Elf *elf;
};

/* Open path as an ELF file: 0, -errno, or -ENOEXEC (not ELF). */
int elffile_open(const char *path, struct elf_file *f);

/* An ELF handle on fd, which stays the caller's: 0 or -ENOEXEC. */
int elffile_from_fd(int fd, struct elf_file *f);

void elffile_close(struct elf_file *f);

/*
 * The GNU build-id note copied to id (ELFFILE_BUILD_ID_MAX bytes): its
 * length, 0 when there is none (or one too long to be real).
 */
size_t elffile_build_id(Elf *elf, unsigned char *id);

/* The hexadecimal form of a build-id, in buf (2 * len + 1 bytes). */
char *elffile_build_id_hex(const unsigned char *id, size_t len, char *buf,
			   size_t buf_len);

struct elf_load {
	uint64_t vaddr, offset, filesz, memsz;
	uint32_t flags; /* PF_X, PF_W, PF_R */
};

struct elf_loads {
	bool exec; /* ET_EXEC: loaded at its own addresses */
	size_t n;
	struct elf_load seg[ELFFILE_MAX_LOADS];
};

/* The file's PT_LOAD segments (the first 16): 0 or -ENOEXEC when none. */
int elffile_loads(Elf *elf, struct elf_loads *out);

/*
 * Load bias of the file mapped at map_start from file offset map_offset
 * (one line of /proc/PID/maps): runtime address = vaddr + bias. 0 for
 * ET_EXEC; -ENOENT when no segment holds map_offset.
 */
int elffile_bias(const struct elf_loads *l, uint64_t map_start,
		 uint64_t map_offset, uint64_t *bias);

/* The file offset of vaddr in an executable segment, 0 when none. */
uint64_t elffile_code_offset(const struct elf_loads *l, uint64_t vaddr);

/* The section named name (its header in *sh), or NULL. */
Elf_Scn *elffile_section(Elf *elf, const char *name, GElf_Shdr *sh);

/*
 * Call fn for each defined symbol (not SHN_UNDEF, value not 0) of .dynsym,
 * then of .symtab, until it returns non-zero, which is returned.
 */
typedef int (*elffile_sym_fn)(const GElf_Sym *sym, const char *name, void *ctx);
int elffile_each_symbol(Elf *elf, elffile_sym_fn fn, void *ctx);

/* Value and size of the first defined symbol named name: 0 or -ENOENT. */
int elffile_symbol_extent(Elf *elf, const char *name, uint64_t *addr,
			  uint64_t *size);

#endif
