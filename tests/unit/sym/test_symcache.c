/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Unit tests for the symbolizer and its cache (user/symcache.c,
 * user/symbolize.c, user/debuginfo.c), on this very
 * process: its own functions, lines and inlined calls.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <elfutils/libdwelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "sym/debuginfo.h"
#include "sym/elffile.h"
#include "sym/symbolize.h"
#include "sym/symcache.h"

#define THIS_FILE "test_symcache.c"

static volatile uint64_t recorded;
static int plain_line, inl_line, outer_line;

/* The return address of its call: a frame of the caller, as in a stack. */
static __attribute__((noinline)) void record_return(void)
{
	recorded = (uint64_t)(uintptr_t)__builtin_return_address(0);
	__asm__ volatile("" ::: "memory");
}

static __attribute__((noinline)) void probe_plain(void)
{
	plain_line = __LINE__ + 1;
	record_return();
	__asm__ volatile("" ::: "memory");
}

static inline __attribute__((always_inline)) void probe_inlined(void)
{
	inl_line = __LINE__ + 1;
	record_return();
}

static __attribute__((noinline)) void probe_outer(void)
{
	outer_line = __LINE__ + 1;
	probe_inlined();
	__asm__ volatile("" ::: "memory");
}

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

struct fixture {
	struct symcache *cache;
	struct symbolizer *a, *b;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->cache = symcache_new();
	f->a = symbolizer_new(f->cache, getpid());
	f->b = symbolizer_new(f->cache, getpid());
	if (!f->cache || !f->a || !f->b || symbolizer_refresh(f->a))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	symbolizer_free(f->a);
	symbolizer_free(f->b);
	symcache_free(f->cache);
	free(f);
	return 0;
}

static void test_function_file_line(void **state)
{
	struct fixture *f = *state;
	const struct sym_frames *sf;
	char text[512];

	probe_plain();
	sf = symbolizer_lookup(f->a, recorded);
	assert_int_equal(sf->n, 1);
	assert_string_equal(sf->f[0].name, "probe_plain");
	assert_string_equal(base(sf->f[0].file), THIS_FILE);
	assert_int_equal(sf->f[0].line, plain_line);
	assert_false(sf->f[0].inlined);
	assert_string_equal(sf->f[0].module, "test_symcache");
	assert_true(sf->f[0].offset > 0);
	assert_true(strlen(sf->f[0].build_id) >= 16);

	frame_sym_text(&sf->f[0], text, sizeof(text));
	snprintf(text + 256, 256, "probe_plain+0x%llx (%s:%d) [test_symcache]",
		 (unsigned long long)sf->f[0].offset, THIS_FILE, plain_line);
	assert_string_equal(text, text + 256);
}

static void test_inlined_frames(void **state)
{
	struct fixture *f = *state;
	const struct sym_frames *sf;
	char text[256], want[256];

	probe_outer();
	sf = symbolizer_lookup(f->a, recorded);
	assert_int_equal(sf->n, 2);
	assert_string_equal(sf->f[0].name, "probe_inlined");
	assert_true(sf->f[0].inlined);
	assert_int_equal(sf->f[0].line, inl_line);
	assert_int_equal(sf->f[0].offset, 0);
	assert_string_equal(sf->f[1].name, "probe_outer");
	assert_false(sf->f[1].inlined);
	assert_int_equal(sf->f[1].line, outer_line);
	assert_string_equal(base(sf->f[1].file), THIS_FILE);

	frame_sym_text(&sf->f[0], text, sizeof(text));
	snprintf(want, sizeof(want),
		 "probe_inlined (%s:%d) [test_symcache] (inlined)", THIS_FILE,
		 inl_line);
	assert_string_equal(text, want);
	assert_string_equal(frame_sym_short(&sf->f[0], text, sizeof(text)),
			    "probe_inlined");
}

static void test_resolved_once_shared_by_processes(void **state)
{
	struct fixture *f = *state;
	struct symcache_stats before, after;
	const struct sym_frames *first, *again, *other;

	probe_plain();
	first = symbolizer_lookup(f->a, recorded);
	symcache_get_stats(f->cache, &before);

	again = symbolizer_lookup(f->a, recorded);
	symcache_get_stats(f->cache, &after);
	assert_ptr_equal(again, first);
	assert_int_equal(after.resolved, before.resolved);
	assert_int_equal(after.cache_hits, before.cache_hits + 1);

	/* Another process mapping the same binaries: no module opened
	 * again, the address not resolved again. */
	assert_int_equal(symbolizer_refresh(f->b), 0);
	symcache_get_stats(f->cache, &after);
	assert_int_equal(after.modules, before.modules);
	other = symbolizer_lookup(f->b, recorded);
	assert_ptr_equal(other, first);
	symcache_get_stats(f->cache, &after);
	assert_int_equal(after.resolved, before.resolved);
}

static void test_kept_after_refresh_and_free(void **state)
{
	struct fixture *f = *state;
	struct symcache_stats st;
	const struct sym_frames *sf;
	size_t modules;

	probe_plain();
	symbolizer_lookup(f->a, recorded);
	symcache_get_stats(f->cache, &st);
	modules = st.modules;

	/* Refreshing changes nothing that is still mapped. */
	assert_int_equal(symbolizer_refresh(f->a), 0);
	symcache_get_stats(f->cache, &st);
	assert_int_equal(st.modules, modules);

	/* A process gone: its modules stay idle for the next one. */
	symbolizer_free(f->b);
	f->b = symbolizer_new(f->cache, getpid());
	assert_non_null(f->b);
	symcache_get_stats(f->cache, &st);
	assert_int_equal(st.modules, modules);
	assert_int_equal(symbolizer_refresh(f->b), 0);
	sf = symbolizer_lookup(f->b, recorded);
	assert_string_equal(sf->f[0].name, "probe_plain");
}

static void test_unknown_address(void **state)
{
	struct fixture *f = *state;
	const struct sym_frames *sf = symbolizer_lookup(f->a, 0x10);
	char text[64];

	assert_int_equal(sf->n, 1);
	assert_string_equal(sf->f[0].name, "");
	assert_string_equal(frame_sym_text(&sf->f[0], text, sizeof(text)),
			    "[unknown]");
	sf = symbolizer_lookup(f->a, 0);
	assert_string_equal(sf->f[0].module, "");
}

static void test_anon_and_perf_map(void **state)
{
	struct fixture *f = *state;
	unsigned char *code = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const struct sym_frames *sf;
	char path[64], text[128], want[128];
	FILE *map;

	assert_true(code != MAP_FAILED);
	assert_int_equal(symbolizer_refresh(f->a), 0);
	sf = symbolizer_lookup(f->a, (uintptr_t)code + 0x21);
	assert_string_equal(frame_sym_text(&sf->f[0], text, sizeof(text)),
			    "[anon]+0x21");

	/* A JIT names its code in /tmp/perf-PID.map, maybe later. */
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	map = fopen(path, "w");
	assert_non_null(map);
	fprintf(map, "%lx 40 jitted_fn\n", (unsigned long)(uintptr_t)code);
	fclose(map);
	assert_int_equal(symbolizer_refresh(f->a), 0);
	unlink(path);
	sf = symbolizer_lookup(f->a, (uintptr_t)code + 0x21);
	snprintf(want, sizeof(want), "jitted_fn+0x21 [perf-%d.map]",
		 (int)getpid());
	assert_string_equal(frame_sym_text(&sf->f[0], text, sizeof(text)),
			    want);
	assert_string_equal(frame_sym_short(&sf->f[0], text, sizeof(text)),
			    "jitted_fn");
	/* Past the entry's size: anonymous again. */
	sf = symbolizer_lookup(f->a, (uintptr_t)code + 0x81);
	assert_string_equal(frame_sym_text(&sf->f[0], text, sizeof(text)),
			    "[anon]+0x81");
	munmap(code, 4096);
}

/* ---- finding debug files --------------------------------------------- */

struct tree {
	char root[64];
	unsigned char id[64];
	size_t id_len;
};

/* A copy of this test program (its build-id, its CRC) at path to. */
static int copy_self(const char *to)
{
	char self[256], cmd[1024];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return -1;
	self[n] = '\0';
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p \"$(dirname '%s')\" && cp '%s' '%s'", to, self, to);
	return system(cmd);
}

static void self_build_id(struct tree *t)
{
	int fd = open("/proc/self/exe", O_RDONLY);
	Elf *elf;
	const void *id;
	ssize_t len;

	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	len = dwelf_elf_gnu_build_id(elf, &id);
	assert_true(len > 0 && len <= 64);
	memcpy(t->id, id, len);
	t->id_len = len;
	elf_end(elf);
	close(fd);
}

static uint32_t crc_of(const char *path)
{
	unsigned char buf[65536];
	uLong crc = crc32(0, NULL, 0);
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		crc = crc32(crc, buf, n);
	close(fd);
	return crc;
}

static void test_debug_file_by_build_id_under_root(void **state)
{
	struct tree t;
	char hex[129], path[128], want[256], *found = NULL;
	struct debug_want w = { 0 };
	int fd;

	strcpy(t.root, "/tmp/lt-dbgroot-XXXXXX");
	assert_non_null(mkdtemp(t.root));
	self_build_id(&t);
	elffile_build_id_hex(t.id, t.id_len, hex, sizeof(hex));
	snprintf(want, sizeof(want), "%s/usr/lib/debug/.build-id/%.2s/%s.debug",
		 t.root, hex, hex + 2);
	assert_int_equal(copy_self(want), 0);

	w.id = t.id;
	w.id_len = t.id_len;
	fd = debuginfo_find_local(t.root, "/app/prog", &w, &found);
	assert_true(fd >= 0);
	assert_string_equal(found, want);
	close(fd);
	free(found);

	/* Another build-id is not taken. */
	t.id[0] ^= 0xff;
	fd = debuginfo_find_local(t.root, "/app/prog", &w, &found);
	assert_int_equal(fd, -1);

	snprintf(path, sizeof(path), "rm -rf '%s'", t.root);
	assert_int_equal(system(path), 0);
}

static void test_debug_file_by_debuglink(void **state)
{
	struct tree t;
	char path[256], *found = NULL;
	struct debug_want w = { .link = "prog.debug" };
	int fd;

	strcpy(t.root, "/tmp/lt-dbgroot-XXXXXX");
	assert_non_null(mkdtemp(t.root));
	snprintf(path, sizeof(path), "%s/app/.debug/prog.debug", t.root);
	assert_int_equal(copy_self(path), 0);

	/* No build-id: the debuglink's CRC decides. */
	w.crc = crc_of(path);
	fd = debuginfo_find_local(t.root, "/app/prog", &w, &found);
	assert_true(fd >= 0);
	assert_string_equal(found, path);
	close(fd);
	free(found);

	w.crc ^= 1;
	fd = debuginfo_find_local(t.root, "/app/prog", &w, &found);
	assert_int_equal(fd, -1);

	snprintf(path, sizeof(path), "rm -rf '%s'", t.root);
	assert_int_equal(system(path), 0);
}

static void test_fetch_without_servers(void **state)
{
	unsigned char id[20] = { 1, 2, 3 };
	char *found = (char *)1;

	unsetenv("DEBUGINFOD_URLS");
	assert_int_equal(debuginfo_fetch(id, sizeof(id), &found), -1);
	assert_null(found);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_function_file_line, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_inlined_frames, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_resolved_once_shared_by_processes, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_kept_after_refresh_and_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_address, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_anon_and_perf_map, setup,
						teardown),
		cmocka_unit_test(test_debug_file_by_build_id_under_root),
		cmocka_unit_test(test_debug_file_by_debuglink),
		cmocka_unit_test(test_fetch_without_servers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
