/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests for user/folded.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export/folded.h"

#define OUT_NAME "out.folded"

/* A scratch directory per test, and the output path inside it. */
struct scratch {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct scratch *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	strcpy(s->dir, "/tmp/lt-folded-XXXXXX");
	if (!mkdtemp(s->dir)) {
		free(s);
		return -1;
	}
	snprintf(s->path, sizeof(s->path), "%s/%s", s->dir, OUT_NAME);
	*state = s;
	return 0;
}

/* Remove the scratch directory; entries left behind are the test's job. */
static int teardown(void **state)
{
	struct scratch *s = *state;

	unlink(s->path);
	rmdir(s->dir);
	free(s);
	return 0;
}

static char *frame(const char *name, size_t len)
{
	static char buf[64];

	assert_true(len <= sizeof(buf));
	memset(buf, '#', sizeof(buf));
	assert_ptr_equal(folded_frame(buf, len, name), buf);
	return buf;
}

static void test_frame_plain(void **state)
{
	assert_string_equal(frame("main", 64), "main");
	assert_string_equal(frame("operator new(unsigned long)", 64),
			    "operator new(unsigned long)");
	assert_string_equal(frame("std::map<int, int>::insert", 64),
			    "std::map<int, int>::insert");
	assert_string_equal(frame("h\xc3\xa9llo", 64), "h\xc3\xa9llo");
}

static void test_frame_sanitizes(void **state)
{
	assert_string_equal(frame("a;b;c", 64), "a_b_c");
	assert_string_equal(frame("x\ty", 64), "x_y");
	assert_string_equal(frame("x\ny\rz", 64), "x_y_z");
	assert_string_equal(frame("del\x7f", 64), "del_");
	assert_string_equal(frame("\x01", 64), "_");
	assert_string_equal(frame(";", 64), "_");
}

static void test_frame_trims(void **state)
{
	assert_string_equal(frame("  foo  ", 64), "foo");
	assert_string_equal(frame("\t foo bar \n", 64), "foo bar");
	assert_string_equal(frame(" ; ", 64), "_");
}

static void test_frame_unknown(void **state)
{
	assert_string_equal(frame("", 64), "[unknown]");
	assert_string_equal(frame("   \t\n", 64), "[unknown]");
	assert_string_equal(frame(NULL, 64), "[unknown]");
}

static void test_frame_truncates(void **state)
{
	char buf[4] = "xyz";

	assert_string_equal(frame("abcdef", 4), "abc");
	assert_string_equal(frame("abc", 4), "abc");
	/* No trailing blank is left by the cut. */
	assert_string_equal(frame("ab cd", 4), "ab");
	/* A UTF-8 character cut in half is dropped whole. */
	assert_string_equal(frame("h\xc3\xa9llo", 3), "h");
	assert_string_equal(frame("h\xc3\xa9llo", 4), "h\xc3\xa9");
	assert_string_equal(frame("\xe2\x82\xac\xe2\x82\xac", 6),
			    "\xe2\x82\xac");
	assert_string_equal(frame("\xe2\x82\xac", 3), "[u");
	assert_string_equal(frame("abc", 1), "");
	/* A zero-length buffer is not written. */
	assert_ptr_equal(folded_frame(buf, 0, "abc"), buf);
	assert_string_equal(buf, "xyz");
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 20);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	assert_false(ferror(f));
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The directory must hold exactly the entry named only, or nothing. */
static void assert_dir_holds(const char *dir, const char *only)
{
	struct dirent *de;
	int found = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!only || strcmp(de->d_name, only) != 0)
			fail_msg("unexpected file %s/%s", dir, de->d_name);
		found++;
	}
	closedir(d);
	assert_int_equal(found, only ? 1 : 0);
}

static void assert_file_is(const char *path, const char *expected)
{
	char *got = read_file(path);

	assert_string_equal(got, expected);
	free(got);
}

static void test_write_merges_and_sorts(void **state)
{
	struct scratch *s = *state;
	const struct folded_line lines[] = {
		{ "main;b", 10 }, { "main;a", 5 },   { "main;b", 7 },
		{ "zero", 0 },	  { "main;a;c", 0 }, { "main;a;c", 3 },
		{ "x", 0 },	  { "x", 0 },	     { "Main;z", 1 },
		{ "main", 2 },
	};
	struct stat st;

	assert_int_equal(
		folded_write(s->path, lines, sizeof(lines) / sizeof(lines[0])),
		0);
	/* Byte order: upper case first, a prefix before its extensions. */
	assert_file_is(s->path, "Main;z 1\n"
				"main 2\n"
				"main;a 5\n"
				"main;a;c 3\n"
				"main;b 17\n");
	assert_dir_holds(s->dir, OUT_NAME);
	assert_int_equal(stat(s->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
}

static void test_write_replaces(void **state)
{
	struct scratch *s = *state;
	const struct folded_line first[] = { { "a;b", 1 }, { "c", 2 } };
	const struct folded_line second[] = { { "d", 4 } };

	assert_int_equal(folded_write(s->path, first, 2), 0);
	assert_file_is(s->path, "a;b 1\nc 2\n");
	assert_int_equal(folded_write(s->path, second, 1), 0);
	assert_file_is(s->path, "d 4\n");
	assert_dir_holds(s->dir, OUT_NAME);
}

static void test_write_empty(void **state)
{
	struct scratch *s = *state;
	const struct folded_line zeros[] = { { "a", 0 }, { "b", 0 } };

	assert_int_equal(folded_write(s->path, NULL, 0), 0);
	assert_file_is(s->path, "");
	assert_int_equal(folded_write(s->path, zeros, 2), 0);
	assert_file_is(s->path, "");
	assert_dir_holds(s->dir, OUT_NAME);
}

static void test_write_saturates(void **state)
{
	struct scratch *s = *state;
	const struct folded_line lines[] = {
		{ "big", UINT64_MAX - 1 },
		{ "big", 5 },
		{ "max", UINT64_MAX },
	};

	assert_int_equal(folded_write(s->path, lines, 3), 0);
	assert_file_is(s->path, "big 18446744073709551615\n"
				"max 18446744073709551615\n");
}

static void test_write_many(void **state)
{
	struct scratch *s = *state;
	const size_t n = 20000, distinct = 1000;
	struct folded_line *lines = calloc(n, sizeof(*lines));
	char(*names)[32] = calloc(distinct, sizeof(*names));
	char *got, *line, expected[64];
	size_t i;

	assert_non_null(lines);
	assert_non_null(names);
	for (i = 0; i < distinct; i++)
		snprintf(names[i], sizeof(names[i]), "main;f%04zu", i);
	/* Each stack appears n / distinct times, in scrambled order. */
	for (i = 0; i < n; i++) {
		lines[i].stack = names[(i * 7919) % distinct];
		lines[i].bytes = 3;
	}
	assert_int_equal(folded_write(s->path, lines, n), 0);
	got = read_file(s->path);
	line = got;
	for (i = 0; i < distinct; i++) {
		snprintf(expected, sizeof(expected), "main;f%04zu %zu\n", i,
			 3 * (n / distinct));
		assert_memory_equal(line, expected, strlen(expected));
		line += strlen(expected);
	}
	assert_int_equal(*line, '\0');
	free(got);
	free(names);
	free(lines);
}

static void test_write_missing_dir(void **state)
{
	struct scratch *s = *state;
	const struct folded_line lines[] = { { "a", 1 } };
	char path[192];

	snprintf(path, sizeof(path), "%s/no-such-dir/out.folded", s->dir);
	assert_int_equal(folded_write(path, lines, 1), -ENOENT);
	assert_dir_holds(s->dir, NULL);
}

static void test_write_over_directory(void **state)
{
	struct scratch *s = *state;
	const struct folded_line lines[] = { { "a", 1 } };

	/* rename() fails late: the temporary file must still go away. */
	assert_int_equal(mkdir(s->path, 0700), 0);
	assert_int_equal(folded_write(s->path, lines, 1), -EISDIR);
	assert_int_equal(rmdir(s->path), 0);
	assert_dir_holds(s->dir, NULL);
}

static void test_write_bad_lines(void **state)
{
	struct scratch *s = *state;
	const struct folded_line no_stack[] = { { "a", 1 }, { NULL, 1 } };
	const struct folded_line empty_stack[] = { { "", 1 } };

	assert_int_equal(folded_write(s->path, no_stack, 2), -EINVAL);
	assert_int_equal(folded_write(s->path, empty_stack, 1), -EINVAL);
	assert_int_equal(folded_write(s->path, NULL, 1), -EINVAL);
	assert_int_equal(folded_write(NULL, empty_stack, 0), -EINVAL);
	assert_dir_holds(s->dir, NULL);
}

#define SCRATCH_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_plain),
		cmocka_unit_test(test_frame_sanitizes),
		cmocka_unit_test(test_frame_trims),
		cmocka_unit_test(test_frame_unknown),
		cmocka_unit_test(test_frame_truncates),
		SCRATCH_TEST(test_write_merges_and_sorts),
		SCRATCH_TEST(test_write_replaces),
		SCRATCH_TEST(test_write_empty),
		SCRATCH_TEST(test_write_saturates),
		SCRATCH_TEST(test_write_many),
		SCRATCH_TEST(test_write_missing_dir),
		SCRATCH_TEST(test_write_over_directory),
		SCRATCH_TEST(test_write_bad_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
