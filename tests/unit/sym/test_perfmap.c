/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests for user/perfmap.c: the /tmp/perf-PID.map reader. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sym/perfmap.h"

static int parse(const char *line, uint64_t *start, uint64_t *size, char *name,
		 size_t len)
{
	const char *n;
	size_t nl;
	int err = perfmap_parse_line(line, strlen(line), start, size, &n, &nl);

	if (!err)
		snprintf(name, len, "%.*s", (int)nl, n);
	return err;
}

static void test_parse_good(void **state)
{
	uint64_t start, size;
	char name[64];

	assert_int_equal(parse("7f0000001000 40 jit_fn", &start, &size, name,
			       sizeof(name)),
			 0);
	assert_int_equal(start, 0x7f0000001000ULL);
	assert_int_equal(size, 0x40);
	assert_string_equal(name, "jit_fn");

	/* 0x prefixes, tabs, spaces in names, CRLF endings. */
	assert_int_equal(parse("0x10\t0X20  LazyCompile:~run app.js:3\r",
			       &start, &size, name, sizeof(name)),
			 0);
	assert_int_equal(start, 0x10);
	assert_int_equal(size, 0x20);
	assert_string_equal(name, "LazyCompile:~run app.js:3");
}

static void test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"zz 10 name",
		"10 zz name",
		"10 0 empty_size",
		"10 20",
		"10 20   ",
		"10",
		"ffffffffffffffff 10 wraps",
		"11111111111111111 10 too_long",
		"-10 20 negative",
	};
	uint64_t start, size;
	char name[64];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
			parse(bad[i], &start, &size, name, sizeof(name)),
			-EINVAL);
}

static const char *name_at(struct perfmap *m, uint64_t addr)
{
	const struct perfmap_entry *e = perfmap_find(m, addr);

	return e ? e->name : NULL;
}

static void test_feed_lines_split_across_reads(void **state)
{
	static const char text[] = "1000 100 first\n"
				   "garbage line\n"
				   "2000 80 second\n"
				   "3000 10 third\n";
	struct perfmap m;
	size_t i;

	/* One byte at a time: every line is split somewhere. */
	perfmap_init(&m);
	for (i = 0; i < sizeof(text) - 1; i++)
		assert_int_equal(perfmap_feed(&m, text + i, 1), 0);
	assert_int_equal(m.n, 3);
	assert_string_equal(name_at(&m, 0x1000), "first");
	assert_string_equal(name_at(&m, 0x10ff), "first");
	assert_null(name_at(&m, 0x1100));
	assert_null(name_at(&m, 0xfff));
	assert_string_equal(name_at(&m, 0x207f), "second");
	assert_string_equal(name_at(&m, 0x3000), "third");
	perfmap_free(&m);
}

static void test_unfinished_line_waits(void **state)
{
	struct perfmap m;
	unsigned int gen;

	perfmap_init(&m);
	assert_int_equal(perfmap_feed(&m, "1000 10 a\n2000 10 b", 19), 0);
	assert_int_equal(m.n, 1);
	assert_null(name_at(&m, 0x2000));
	gen = m.gen;
	assert_int_equal(perfmap_feed(&m, "cd\n", 3), 0);
	assert_int_equal(m.n, 2);
	assert_true(m.gen != gen);
	assert_string_equal(name_at(&m, 0x2000), "bcd");
	perfmap_free(&m);
}

static void test_latest_line_wins(void **state)
{
	static const char text[] = "1000 1000 old_big\n"
				   "1400 100 newer_inside\n"
				   "1000 1000 old_big_again\n"
				   "1800 100 newest_inside\n";
	struct perfmap m;

	/* Code regenerated over older code: the newest line names it. */
	perfmap_init(&m);
	assert_int_equal(perfmap_feed(&m, text, sizeof(text) - 1), 0);
	assert_string_equal(name_at(&m, 0x1450), "old_big_again");
	assert_string_equal(name_at(&m, 0x1850), "newest_inside");
	assert_string_equal(name_at(&m, 0x1000), "old_big_again");
	assert_null(name_at(&m, 0x2000));
	perfmap_free(&m);
}

static void test_many_entries(void **state)
{
	char line[64];
	struct perfmap m;
	int i, len;

	/* Written out of order, found by binary search. */
	perfmap_init(&m);
	for (i = 0; i < 10000; i++) {
		int k = (i * 7919) % 10000;

		len = snprintf(line, sizeof(line), "%x 10 fn_%d\n",
			       0x100000 + k * 0x20, k);
		assert_int_equal(perfmap_feed(&m, line, len), 0);
	}
	for (i = 0; i < 10000; i += 97) {
		snprintf(line, sizeof(line), "fn_%d", i);
		assert_string_equal(name_at(&m, 0x100000 + i * 0x20 + 5), line);
		assert_null(name_at(&m, 0x100000 + i * 0x20 + 0x10));
	}
	perfmap_free(&m);
}

static void test_file_appended_after_open(void **state)
{
	char path[] = "/tmp/lt-perfmap-XXXXXX";
	int fd = mkstemp(path);
	struct perfmap m;
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "a000 20 before_open\n");
	fflush(f);

	perfmap_init(&m);
	assert_int_equal(perfmap_open(&m, path), 0);
	assert_string_equal(name_at(&m, 0xa010), "before_open");
	assert_null(name_at(&m, 0xb000));

	/* Removed, as a JIT's map is when the process exits: still read. */
	unlink(path);
	fprintf(f, "b000 20 after_open\nc000 20 half");
	fflush(f);
	assert_int_equal(perfmap_update(&m), 0);
	assert_string_equal(name_at(&m, 0xb000), "after_open");
	assert_null(name_at(&m, 0xc000));
	fprintf(f, "_done\n");
	fclose(f);
	assert_int_equal(perfmap_update(&m), 0);
	assert_string_equal(name_at(&m, 0xc000), "half_done");
	perfmap_free(&m);
}

static void test_missing_file(void **state)
{
	struct perfmap m;

	perfmap_init(&m);
	assert_int_equal(perfmap_open(&m, "/nonexistent/perf-1.map"), -ENOENT);
	assert_int_equal(m.fd, -1);
	assert_null(name_at(&m, 0x1000));
	perfmap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_feed_lines_split_across_reads),
		cmocka_unit_test(test_unfinished_line_waits),
		cmocka_unit_test(test_latest_line_wins),
		cmocka_unit_test(test_many_entries),
		cmocka_unit_test(test_file_appended_after_open),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
