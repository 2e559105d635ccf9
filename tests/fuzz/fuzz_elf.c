// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer: ELF files a traced process maps (any file can be mapped):
 * symbol tables for probes, the load bias, call counting, and the module
 * cache (build-id note, debuglink, DWARF through libdw) with lookups.
 * The input is a file in memory (memfd) named /proc/self/fd/N.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "sym/elffile.h"
#include "sym/elfsym.h"
#include "sym/symcache.h"

static struct symcache *cache;

static void symbols(const char *path)
{
	static const char *const names[] = { "malloc", "free", "_PyRuntime",
					     "" };
	uint64_t out[4], bias;

	elf_function_offsets(path, names, 4, out);
	elf_symbol_addresses(path, names, 4, out);
	elf_load_bias(path, 0x400000, 0, &bias);
	elf_load_bias(path, 0x7f0000001000, 0x1000, &bias);
	elf_count_calls(path, NULL, "malloc");
	elf_count_calls(path, "main", "free");
}

static int count_symbol(const GElf_Sym *sym, const char *name, void *ctx)
{
	*(size_t *)ctx += strlen(name) + (sym->st_value & 1);
	return 0;
}

/* The ELF layer itself: build-id note, segments, bias, sections, symbols. */
static void layer(int fd)
{
	unsigned char id[ELFFILE_BUILD_ID_MAX];
	char hex[2 * ELFFILE_BUILD_ID_MAX + 1];
	struct elf_loads loads;
	struct elf_file f;
	uint64_t bias, addr, size;
	GElf_Shdr sh;
	size_t n = 0, len;

	if (elffile_from_fd(fd, &f))
		return;
	len = elffile_build_id(f.elf, id);
	if (len > ELFFILE_BUILD_ID_MAX)
		abort();
	elffile_build_id_hex(id, len, hex, sizeof(hex));
	if (!elffile_loads(f.elf, &loads)) {
		elffile_bias(&loads, 0x400000, 0, &bias);
		elffile_bias(&loads, 0x7f0000003000, 0x3000, &bias);
		elffile_code_offset(&loads, 0x1040);
	}
	elffile_section(f.elf, ".text", &sh);
	elffile_section(f.elf, ".gnu_debuglink", &sh);
	elffile_each_symbol(f.elf, count_symbol, &n);
	elffile_symbol_extent(f.elf, "malloc", &addr, &size);
	elffile_close(&f);
}

static void module(const char *path, const uint8_t *data, size_t size)
{
	struct sc_module *m;
	uint64_t bias;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	m = symcache_module(cache, fd, path, ""); /* takes fd */
	if (!m)
		return;
	sc_module_bias(m, 0x400000, 0, &bias);
	sc_module_name(m);
	for (size_t i = 0; i + 8 <= size && i < 128; i += 8) {
		uint64_t addr;

		memcpy(&addr, data + i, sizeof(addr));
		sc_module_lookup(m, addr % (1u << 24));
	}
	sc_module_put(m);
	symcache_trim(cache);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd;

	if (!cache)
		cache = symcache_new();
	fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		layer(fd);
		symbols(path);
		module(path, data, size);
	}
	close(fd);
	return 0;
}
