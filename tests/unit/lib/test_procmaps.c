/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests for user/procmaps.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/procmaps.h"

static struct map_entry *new_entry(void)
{
	struct map_entry *e = malloc(sizeof(*e));

	assert_non_null(e);
	memset(e, 0xa5, sizeof(*e));
	return e;
}

static void test_parse_file_backed(void **state)
{
	struct map_entry *e = new_entry();

	assert_int_equal(
		procmaps_parse_line("7f12a000-7f12b000 r-xp 00001000 fd:01 "
				    "1234567   "
				    "/usr/lib/x86_64-linux-gnu/libc.so.6",
				    e),
		0);
	assert_int_equal(e->start, 0x7f12a000);
	assert_int_equal(e->end, 0x7f12b000);
	assert_int_equal(e->offset, 0x1000);
	assert_int_equal(e->dev_major, 0xfd);
	assert_int_equal(e->dev_minor, 1);
	assert_int_equal(e->inode, 1234567);
	assert_true(e->readable);
	assert_false(e->writable);
	assert_true(e->executable);
	assert_false(e->shared);
	assert_false(e->deleted);
	assert_string_equal(e->path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	free(e);
}

static void test_parse_newline_and_wide_fields(void **state)
{
	struct map_entry *e = new_entry();

	assert_int_equal(
		procmaps_parse_line("7fffb2c3d000-7fffb2c5e000 rw-s 1a2b3c4d5e "
				    "103:1f 18446744073709551615 /dev/shm/x\n",
				    e),
		0);
	assert_int_equal(e->start, 0x7fffb2c3d000ULL);
	assert_int_equal(e->end, 0x7fffb2c5e000ULL);
	assert_int_equal(e->offset, 0x1a2b3c4d5eULL);
	/* Device numbers are hex: "103" is 259. */
	assert_int_equal(e->dev_major, 0x103);
	assert_int_equal(e->dev_minor, 0x1f);
	assert_int_equal(e->inode, UINT64_MAX);
	assert_true(e->readable);
	assert_true(e->writable);
	assert_false(e->executable);
	assert_true(e->shared);
	assert_string_equal(e->path, "/dev/shm/x");
	free(e);
}

static void test_parse_anonymous(void **state)
{
	static const char *const lines[] = {
		"7f0000000000-7f0000021000 rw-p 00000000 00:00 0",
		"7f0000000000-7f0000021000 rw-p 00000000 00:00 0\n",
		"7f0000000000-7f0000021000 rw-p 00000000 00:00 0    \n",
	};
	struct map_entry *e = new_entry();
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		assert_int_equal(procmaps_parse_line(lines[i], e), 0);
		assert_int_equal(e->start, 0x7f0000000000ULL);
		assert_int_equal(e->end, 0x7f0000021000ULL);
		assert_int_equal(e->inode, 0);
		assert_int_equal(e->dev_major, 0);
		assert_string_equal(e->path, "");
		assert_false(e->deleted);
	}
	free(e);
}

static void test_parse_pseudo_paths(void **state)
{
	struct map_entry *e = new_entry();

	assert_int_equal(procmaps_parse_line("55d4c1a00000-55d4c1a21000 rw-p "
					     "00000000 00:00 0          "
					     "[heap]\n",
					     e),
			 0);
	assert_string_equal(e->path, "[heap]");
	assert_int_equal(procmaps_parse_line("7ffd0000-7ffd1000 rw-p 00000000 "
					     "00:00 0\t[stack]",
					     e),
			 0);
	assert_string_equal(e->path, "[stack]");
	assert_int_equal(procmaps_parse_line("ffffffffff600000-ffffffffff601000"
					     " --xp 00000000 00:00 0  "
					     "[vsyscall]\n",
					     e),
			 0);
	assert_int_equal(e->start, 0xffffffffff600000ULL);
	assert_false(e->readable);
	assert_false(e->writable);
	assert_true(e->executable);
	assert_string_equal(e->path, "[vsyscall]");
	free(e);
}

static void test_parse_spaces_and_deleted(void **state)
{
	struct map_entry *e = new_entry();

	assert_int_equal(procmaps_parse_line("1000-2000 r--p 00000000 08:02 42 "
					     "  /opt/my app/lib two.so\n",
					     e),
			 0);
	assert_string_equal(e->path, "/opt/my app/lib two.so");
	assert_false(e->deleted);

	assert_int_equal(procmaps_parse_line("1000-2000 r-xp 00000000 00:01 7 "
					     "/memfd:jit code (deleted)\n",
					     e),
			 0);
	assert_string_equal(e->path, "/memfd:jit code");
	assert_true(e->deleted);

	/* Only a trailing " (deleted)" counts. */
	assert_int_equal(procmaps_parse_line("1000-2000 r-xp 00000000 00:01 7 "
					     "/a (deleted)/b",
					     e),
			 0);
	assert_string_equal(e->path, "/a (deleted)/b");
	assert_false(e->deleted);
	assert_int_equal(procmaps_parse_line("1000-2000 r-xp 00000000 00:01 7 "
					     "/x(deleted)",
					     e),
			 0);
	assert_string_equal(e->path, "/x(deleted)");
	assert_false(e->deleted);
	free(e);
}

static void test_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"garbage",
		"1000-2000",
		"1000-2000 r-xp",
		"1000-2000 r-xp 0 08:02",
		"1000 2000 r-xp 0 08:02 1 /x",
		"1000-2000 r-xq 0 08:02 1 /x",
		"1000-2000 r?xp 0 08:02 1 /x",
		"1000-2000 xr-p 0 08:02 1 /x",
		"1000-2000 r-x 0 08:02 1 /x",
		"1000-2000 r-xpp 0 08:02 1 /x",
		"1000-g000 r-xp 0 08:02 1 /x",
		"0x1000-2000 r-xp 0 08:02 1 /x",
		"-1000-2000 r-xp 0 08:02 1 /x",
		" 1000-2000 r-xp 0 08:02 1 /x",
		"2000-1000 r-xp 0 08:02 1 /x",
		"10000000000000000-10000000000000001 r-xp 0 08:02 1 /x",
		"1000-2000 r-xp 0 0802 1 /x",
		"1000-2000 r-xp 0 08:02: 1 /x",
		"1000-2000 r-xp 0 100000000:02 1 /x",
		"1000-2000 r-xp 0 08:02 1a /x",
		"1000-2000 r-xp 0 08:02 -1 /x",
		"1000-2000 r-xp 0 08:02 18446744073709551616 /x",
		"1000-2000 r-xp 0 08:02 1/x",
		"1000-2000 r-xp 0 08:02 1 /x\nextra",
		"1000-2000 r-xp 0 08:02 1 /x\n\n",
	};
	struct map_entry *e = new_entry();
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (procmaps_parse_line(bad[i], e) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(procmaps_parse_line(NULL, e), -EINVAL);
	free(e);
}

/* "1000-2000 r--p 00000000 08:02 42 " followed by a path of path_len. */
static char *line_with_path(size_t path_len)
{
	static const char prefix[] = "1000-2000 r--p 00000000 08:02 42 ";
	char *line = malloc(sizeof(prefix) + path_len + 1);

	assert_non_null(line);
	memcpy(line, prefix, sizeof(prefix) - 1);
	line[sizeof(prefix) - 1] = '/';
	memset(line + sizeof(prefix), 'p', path_len - 1);
	line[sizeof(prefix) - 1 + path_len] = '\n';
	line[sizeof(prefix) + path_len] = '\0';
	return line;
}

static void test_parse_long_paths(void **state)
{
	struct map_entry *e = new_entry();
	char *line;

	line = line_with_path(PATH_MAX - 1);
	assert_int_equal(procmaps_parse_line(line, e), 0);
	assert_int_equal(strlen(e->path), PATH_MAX - 1);
	assert_int_equal(e->path[0], '/');
	assert_int_equal(e->path[PATH_MAX - 2], 'p');
	free(line);

	/* Truncating would silently name a different file. */
	line = line_with_path(PATH_MAX);
	assert_int_equal(procmaps_parse_line(line, e), -EINVAL);
	free(line);
	free(e);
}

static struct map_entry range(uint64_t start, uint64_t end)
{
	struct map_entry e;

	memset(&e, 0, sizeof(e));
	e.start = start;
	e.end = end;
	return e;
}

static void test_find(void **state)
{
	struct map_entry *m = calloc(4, sizeof(*m));

	assert_non_null(m);
	m[0] = range(0x1000, 0x3000);
	m[1] = range(0x3000, 0x4000); /* adjacent to m[0] */
	m[2] = range(0x8000, 0x9000); /* after a gap */
	m[3] = range(0xfffffffffffff000ULL, UINT64_MAX);

	assert_null(procmaps_find(m, 4, 0));
	assert_null(procmaps_find(m, 4, 0xfff));
	assert_ptr_equal(procmaps_find(m, 4, 0x1000), &m[0]);
	assert_ptr_equal(procmaps_find(m, 4, 0x2fff), &m[0]);
	assert_ptr_equal(procmaps_find(m, 4, 0x3000), &m[1]);
	assert_ptr_equal(procmaps_find(m, 4, 0x3fff), &m[1]);
	assert_null(procmaps_find(m, 4, 0x4000));
	assert_null(procmaps_find(m, 4, 0x7fff));
	assert_ptr_equal(procmaps_find(m, 4, 0x8000), &m[2]);
	assert_ptr_equal(procmaps_find(m, 4, 0x8fff), &m[2]);
	assert_null(procmaps_find(m, 4, 0x9000));
	assert_ptr_equal(procmaps_find(m, 4, UINT64_MAX - 1), &m[3]);
	assert_null(procmaps_find(m, 4, UINT64_MAX));
	assert_ptr_equal(procmaps_find(m, 1, 0x2000), &m[0]);
	assert_null(procmaps_find(m, 1, 0x3000));
	assert_null(procmaps_find(m, 0, 0x2000));
	assert_null(procmaps_find(NULL, 0, 0x2000));
	free(m);
}

static void assert_sorted_and_disjoint(const struct map_entry *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		assert_true(m[i].start < m[i].end);
		if (i > 0)
			assert_true(m[i - 1].end <= m[i].start);
	}
}

static void test_read_self(void **state)
{
	uint64_t code = (uint64_t)(uintptr_t)&test_read_self;
	const struct map_entry *e;
	struct map_entry *m;
	char exe[PATH_MAX];
	ssize_t len;
	size_t n;

	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(len > 0);
	exe[len] = '\0';

	assert_int_equal(procmaps_read(getpid(), &m, &n), 0);
	assert_non_null(m);
	assert_true(n > 3);
	assert_sorted_and_disjoint(m, n);
	e = procmaps_find(m, n, code);
	assert_non_null(e);
	assert_true(e->executable);
	assert_true(e->readable);
	assert_false(e->writable);
	assert_false(e->deleted);
	assert_string_equal(e->path, exe);
	assert_true(e->inode != 0);
	free(m);
}

static void test_read_missing_process(void **state)
{
	struct map_entry *m = (struct map_entry *)&m;
	size_t n = 99;

	assert_int_equal(procmaps_read(INT_MAX, &m, &n), -ENOENT);
	assert_null(m);
	assert_int_equal(n, 0);
	assert_int_equal(procmaps_read(-1, &m, &n), -ENOENT);
}

/* A directory chain under base whose path is about want bytes long. */
static void make_deep_dir(char *path, size_t want)
{
	static const char component[] = "/dddddddddddddddddddddddddddddddddddd"
					"dddddddddddddddddddddddddddddddddddd";

	while (strlen(path) + sizeof(component) < want) {
		strcat(path, component);
		assert_int_equal(mkdir(path, 0700), 0);
	}
}

static void remove_deep_dir(char *path, size_t base_len)
{
	while (strlen(path) > base_len) {
		assert_int_equal(rmdir(path), 0);
		*strrchr(path, '/') = '\0';
	}
	assert_int_equal(rmdir(path), 0);
}

/* A real mapping with a long path, blanks and " (deleted)" read back. */
static void test_read_long_deleted_path(void **state)
{
	const long page = sysconf(_SC_PAGESIZE);
	char *path = calloc(1, PATH_MAX);
	char *dir = calloc(1, PATH_MAX);
	const struct map_entry *e;
	struct map_entry *m;
	size_t n, base_len;
	void *addr;
	int fd;

	assert_non_null(path);
	assert_non_null(dir);
	strcpy(dir, "/tmp/lt-procmaps-XXXXXX");
	assert_non_null(mkdtemp(dir));
	base_len = strlen(dir);
	make_deep_dir(dir, 3500);
	snprintf(path, PATH_MAX, "%s/a file with blanks", dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 2 * page), 0);
	addr = mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, page);
	assert_true(addr != MAP_FAILED);
	close(fd);
	assert_int_equal(unlink(path), 0);

	assert_int_equal(procmaps_read(getpid(), &m, &n), 0);
	e = procmaps_find(m, n, (uint64_t)(uintptr_t)addr + 1);
	assert_non_null(e);
	assert_int_equal(e->start, (uint64_t)(uintptr_t)addr);
	assert_int_equal(e->end, (uint64_t)(uintptr_t)addr + page);
	assert_int_equal(e->offset, page);
	assert_true(e->readable);
	assert_false(e->writable);
	assert_false(e->executable);
	assert_true(e->deleted);
	assert_string_equal(e->path, path);
	free(m);

	munmap(addr, page);
	remove_deep_dir(dir, base_len);
	free(dir);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_file_backed),
		cmocka_unit_test(test_parse_newline_and_wide_fields),
		cmocka_unit_test(test_parse_anonymous),
		cmocka_unit_test(test_parse_pseudo_paths),
		cmocka_unit_test(test_parse_spaces_and_deleted),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_parse_long_paths),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_read_self),
		cmocka_unit_test(test_read_missing_process),
		cmocka_unit_test(test_read_long_deleted_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
