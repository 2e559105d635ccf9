/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests for user/export/profile.c: allocator names, strings, samples. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "export/profile.h"

static void test_allocator_names(void **state)
{
	assert_true(profile_is_allocator("malloc"));
	assert_true(profile_is_allocator("operator new(unsigned long)"));
	assert_true(profile_is_allocator("PyMem_Malloc"));
	/* Only allocator entry points, not everything called __libc_. */
	assert_false(profile_is_allocator("__libc_start_call_main"));
	assert_false(profile_is_allocator("mallocate_things"));
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
		cmocka_unit_test(test_allocator_names),
		cmocka_unit_test(test_intern),
		cmocka_unit_test(test_samples_and_modules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
