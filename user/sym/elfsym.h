/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Finding function symbols in ELF files, as file offsets for uprobes. */
#ifndef LT_ELFSYM_H
#define LT_ELFSYM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Look up each of names[0..n) as a defined function in the ELF file at path
 * (.dynsym, then .symtab) and store the file offset of its first
 * instruction in offsets[i], 0 when absent. Returns 0 or -errno
 * (-ENOEXEC: not an ELF file).
 */
int elf_function_offsets(const char *path, const char *const *names, size_t n,
			 uint64_t *offsets);

/*
 * Like elf_function_offsets, for any defined symbol (data too), giving its
 * virtual address as linked (st_value), 0 when absent.
 */
int elf_symbol_addresses(const char *path, const char *const *names, size_t n,
			 uint64_t *vaddrs);

/*
 * Load bias of an ELF file mapped at map_start from file offset map_offset
 * (one line of /proc/PID/maps): runtime address = vaddr + bias.
 */
int elf_load_bias(const char *path, uint64_t map_start, uint64_t map_offset,
		  uint64_t *bias);

/*
 * How many call instructions in the function caller (NULL: all of .text)
 * call the function callee, directly or through its PLT stub (x86-64 call
 * rel32). Tells whether a build routes calls through an exported function
 * or inlined it (LTO). Returns the count or -errno.
 */
long elf_count_calls(const char *path, const char *caller, const char *callee);

#endif
