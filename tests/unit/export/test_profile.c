/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests for user/profile.c: frame parsing, strings, samples. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "export/profile.h"

static struct frame_info parse(const char *short_name, const char *text,
			       const char *pseudo)
{
	struct frame_info fi;

	frame_info_parse(&fi, short_name, text, pseudo);
	return fi;
}

static void test_native_with_source(void **state)
{
	struct frame_info fi =
		parse("leak_here",
		      "leak_here+0x14 (leak_basic.c:16) [leak_basic]", NULL);

	assert_int_equal(fi.kind, FK_NATIVE);
	assert_string_equal(fi.name, "leak_here");
	assert_string_equal(fi.file, "leak_basic.c");
	assert_int_equal(fi.line, 16);
	assert_false(fi.inlined);
}

static void test_native_without_source(void **state)
{
	struct frame_info fi = parse("main", "main+0x8c [app]", NULL);

	assert_int_equal(fi.kind, FK_NATIVE);
	assert_string_equal(fi.file, "");
	assert_int_equal(fi.line, 0);
	/* C++ scopes and times are not file positions. */
	fi = parse("std::map<int, int>::insert",
		   "std::map<int, int>::insert+0x10 [libfoo.so]", NULL);
	assert_int_equal(fi.line, 0);
	assert_string_equal(fi.name, "std::map<int, int>::insert");
	fi = parse("at", "at 12:30 [x]", NULL);
	assert_int_equal(fi.line, 0);
	fi = parse("f", "f (a.c:0)", NULL);
	assert_int_equal(fi.line, 0);
	fi = parse("", "0x1234", NULL);
	assert_string_equal(fi.name, "[unknown]");
}

static void test_inlined(void **state)
{
	struct frame_info fi =
		parse("inl", "inl (util.h:3) [app] (inlined)", NULL);

	assert_true(fi.inlined);
	assert_string_equal(fi.file, "util.h");
	assert_int_equal(fi.line, 3);
	assert_string_equal(fi.name, "inl");
}

static void test_python(void **state)
{
	struct frame_info fi =
		parse("handle", "handle (app/server.py:42)", NULL);

	assert_int_equal(fi.kind, FK_PYTHON);
	assert_string_equal(fi.name, "handle");
	assert_string_equal(fi.file, "app/server.py");
	assert_int_equal(fi.line, 42);
	/* A position in the short name is taken off it. */
	fi = parse("server.Cache.put (/srv/cache.py:7)", "", NULL);
	assert_int_equal(fi.kind, FK_PYTHON);
	assert_string_equal(fi.name, "server.Cache.put");
	assert_string_equal(fi.file, "/srv/cache.py");
	assert_int_equal(fi.line, 7);
}

static void test_allocator_and_pseudo(void **state)
{
	assert_int_equal(parse(NULL, NULL, "[allocator]").kind, FK_ALLOCATOR);
	assert_int_equal(parse(NULL, NULL, "[unknown stack]").kind, FK_PSEUDO);
	assert_string_equal(parse(NULL, NULL, "[unknown stack]").name,
			    "[unknown stack]");
	assert_int_equal(parse("malloc", "malloc+0x1 [libc.so.6]", NULL).kind,
			 FK_ALLOCATOR);
	assert_int_equal(parse("operator new(unsigned long)", "", NULL).kind,
			 FK_ALLOCATOR);
	assert_int_equal(parse("PyMem_Malloc", "", NULL).kind, FK_ALLOCATOR);
	/* Only allocator entry points, not everything called __libc_. */
	assert_int_equal(parse("__libc_start_call_main", "", NULL).kind,
			 FK_NATIVE);
	assert_int_equal(parse("mallocate_things", "", NULL).kind, FK_NATIVE);
}

static void test_intern(void **state)
{
	struct profile p = { 0 };
	const char *a = profile_intern(&p, "alpha");
	char name[32];
	int i;

	assert_non_null(a);
	assert_ptr_equal(profile_intern(&p, "alpha"), a);
	assert_ptr_not_equal(profile_intern(&p, "beta"), a);
	/* Growing the table keeps every string where it was. */
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		assert_string_equal(profile_intern(&p, name), name);
	}
	assert_ptr_equal(profile_intern(&p, "alpha"), a);
	profile_free(&p);
}

static void test_samples_and_modules(void **state)
{
	struct profile p = { 0 };
	struct prof_module m = {
		.path = "/bin/app", .start = 0x1000, .limit = 0x2000, .pid = 7
	};
	const struct prof_module *mod = profile_module(&p, &m);
	struct prof_frame f[2] = {
		{ .name = profile_intern(&p, "leaf"),
		  .file = "",
		  .module = mod },
		{ .name = profile_intern(&p, "main"), .file = "" },
	};
	int64_t count;

	assert_non_null(mod);
	assert_string_equal(mod->path, "/bin/app");
	assert_string_equal(mod->build_id, "");
	assert_ptr_equal(profile_module(&p, &m), mod);
	m.pid = 8;
	assert_ptr_not_equal(profile_module(&p, &m), mod);
	assert_int_equal(p.n_modules, 2);

	assert_int_equal(profile_add(&p, f, 2, 100, 2, 50, 7, "app"), 0);
	assert_int_equal(profile_add(&p, f, 1, 0, 0, 10, 7, "app"), 0);
	assert_int_equal(profile_add(&p, f, 1, 30, 1, 0, 7, "app"), 0);
	assert_int_equal(p.n, 3);
	/* The caller's array may change after: frames are copied. */
	f[0].name = "changed";
	assert_string_equal(p.samples[0].frames[0].name, "leaf");
	assert_int_equal(profile_total_bytes(&p, &count), 130);
	assert_int_equal(count, 3);
	profile_free(&p);
	assert_int_equal(p.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_native_with_source),
		cmocka_unit_test(test_native_without_source),
		cmocka_unit_test(test_inlined),
		cmocka_unit_test(test_python),
		cmocka_unit_test(test_allocator_and_pseudo),
		cmocka_unit_test(test_intern),
		cmocka_unit_test(test_samples_and_modules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
