/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Unit tests for user/sym/elffile.c on this very test program: its
 * build-id against readelf's, its load bias and code offsets against
 * where main() really is in memory and in the file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/procmaps.h"
#include "sym/elffile.h"

int main(void);

static char self[4096];

static void test_open_errors(void **state)
{
	char path[] = "/tmp/lt-elffile-XXXXXX";
	struct elf_file f;
	int fd = mkstemp(path);

	assert_int_equal(elffile_open("/nonexistent/lt", &f), -ENOENT);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not an ELF file\n", 16), 16);
	close(fd);
	assert_int_equal(elffile_open(path, &f), -ENOEXEC);
	assert_null(f.elf);
	assert_int_equal(f.fd, -1);
	unlink(path);
}

/* The build-id as readelf -n prints it. */
static void readelf_build_id(char *hex, size_t len)
{
	char cmd[4200], line[512];
	FILE *p;

	hex[0] = '\0';
	snprintf(cmd, sizeof(cmd), "readelf -n '%s'", self);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		const char *at = strstr(line, "Build ID: ");

		if (at)
			snprintf(hex, len, "%.*s", (int)strcspn(at + 10, "\n"),
				 at + 10);
	}
	pclose(p);
}

static void test_build_id(void **state)
{
	unsigned char id[ELFFILE_BUILD_ID_MAX];
	char hex[2 * ELFFILE_BUILD_ID_MAX + 1], want[256];
	struct elf_file f;
	size_t len;

	readelf_build_id(want, sizeof(want));
	if (!want[0])
		skip(); /* built without a build-id */
	assert_int_equal(elffile_open(self, &f), 0);
	len = elffile_build_id(f.elf, id);
	assert_int_equal(len, strlen(want) / 2);
	assert_string_equal(elffile_build_id_hex(id, len, hex, sizeof(hex)),
			    want);
	elffile_close(&f);
}

static void test_build_id_hex_bounded(void **state)
{
	static const unsigned char id[] = { 0x00, 0xab, 0x7f, 0x10 };
	char buf[6];

	assert_string_equal(elffile_build_id_hex(id, 4, buf, sizeof(buf)),
			    "00ab");
	assert_string_equal(elffile_build_id_hex(id, 0, buf, sizeof(buf)), "");
}

/* Our own executable's code mapping (not at offset 0), from maps. */
static const struct map_entry *self_mapping(struct map_entry *maps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(maps[i].path, self) && maps[i].executable)
			return &maps[i];
	return NULL;
}

static void test_bias_and_code_offset(void **state)
{
	struct map_entry *maps = NULL;
	const struct map_entry *e;
	struct elf_loads loads;
	uint64_t vaddr, size, bias, off;
	unsigned char in_file[16];
	struct elf_file f;
	size_t n = 0;

	assert_int_equal(procmaps_read(getpid(), &maps, &n), 0);
	e = self_mapping(maps, n);
	assert_non_null(e);
	assert_int_equal(elffile_open(self, &f), 0);
	assert_int_equal(elffile_loads(f.elf, &loads), 0);
	assert_int_equal(elffile_symbol_extent(f.elf, "main", &vaddr, &size),
			 0);
	assert_true(size > 0);
	assert_int_equal(elffile_bias(&loads, e->start, e->offset, &bias), 0);
	/* The bias takes main's link-time address to where it runs. */
	assert_int_equal(vaddr + bias, (uint64_t)(uintptr_t)&main);
	/* Its file offset holds the bytes that run. */
	off = elffile_code_offset(&loads, vaddr);
	assert_true(off > 0);
	assert_int_equal(pread(f.fd, in_file, sizeof(in_file), off),
			 sizeof(in_file));
	assert_memory_equal(in_file, (const void *)(uintptr_t)&main,
			    sizeof(in_file));
	/* An offset no segment holds has no bias (PIE, not ET_EXEC). */
	if (!loads.exec)
		assert_int_equal(
			elffile_bias(&loads, e->start, 1ULL << 40, &bias),
			-ENOENT);
	assert_int_equal(elffile_code_offset(&loads, 1), 0);
	elffile_close(&f);
	free(maps);
}

static int count_symbol(const GElf_Sym *sym, const char *name, void *ctx)
{
	int *n = ctx;

	assert_int_not_equal(sym->st_shndx, SHN_UNDEF);
	assert_true(sym->st_value != 0);
	(*n)++;
	return !strcmp(name, "test_open_errors") ? 7 : 0;
}

static void test_symbols_and_sections(void **state)
{
	uint64_t addr, size;
	struct elf_file f;
	GElf_Shdr sh;
	int n = 0;

	assert_int_equal(elffile_open(self, &f), 0);
	/* A non-zero return stops the walk and is passed on. */
	assert_int_equal(elffile_each_symbol(f.elf, count_symbol, &n), 7);
	assert_true(n > 0);
	assert_int_equal(
		elffile_symbol_extent(f.elf, "no_such_symbol_lt", &addr, &size),
		-ENOENT);
	assert_non_null(elffile_section(f.elf, ".text", &sh));
	assert_int_equal(sh.sh_type, SHT_PROGBITS);
	assert_null(elffile_section(f.elf, ".no_such_section", &sh));
	elffile_close(&f);
}

static void test_from_fd_leaves_fd(void **state)
{
	int fd = open(self, O_RDONLY | O_CLOEXEC);
	struct elf_file f;

	assert_true(fd >= 0);
	assert_int_equal(elffile_from_fd(fd, &f), 0);
	elffile_close(&f);
	/* Still open: the caller's to close. */
	assert_int_equal(fcntl(fd, F_GETFD) >= 0, 1);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_build_id),
		cmocka_unit_test(test_build_id_hex_bounded),
		cmocka_unit_test(test_bias_and_code_offset),
		cmocka_unit_test(test_symbols_and_sections),
		cmocka_unit_test(test_from_fd_leaves_fd),
	};
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return 1;
	self[n] = '\0';
	return cmocka_run_group_tests(tests, NULL, NULL);
}
