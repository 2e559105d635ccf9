/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Unit tests for user/unwind/unwind_cache.c and unwind_procs.c: load
 * biases of mappings, and the --unwind option's values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "unwind/unwind_procs.h"

/* A PIE's usual segments: r--, r-x at 0x1000, r-- , rw- at +0x1000. */
static const struct unwind_module pie = {
	.loads = { { 0x0, 0x0, 0x6e0 },
		   { 0x1000, 0x1000, 0x2f5 },
		   { 0x2000, 0x2000, 0x1a4 },
		   { 0x2db8, 0x3db8, 0x268 } },
	.n_loads = 4,
};

static void test_bias_pie(void **state)
{
	uint64_t bias = 0;

	/* r-x mapped at 0x555555555000 from file offset 0x1000. */
	assert_true(unwind_module_bias(&pie, 0x555555555000, 0x1000, &bias));
	assert_int_equal(bias, 0x555555554000);
	/* A pc then maps back to its ELF address. */
	assert_int_equal(0x555555555123 - bias, 0x1123);
}

static void test_bias_non_pie(void **state)
{
	const struct unwind_module exe = {
		.loads = { { 0x0, 0x400000, 0x500 },
			   { 0x1000, 0x401000, 0x300 } },
		.n_loads = 2,
	};
	uint64_t bias = 1;

	assert_true(unwind_module_bias(&exe, 0x401000, 0x1000, &bias));
	assert_int_equal(bias, 0);
}

static void test_bias_unknown_offset(void **state)
{
	uint64_t bias;

	assert_false(unwind_module_bias(&pie, 0x7f0000000000, 0x100000, &bias));
}

static void test_parse_mode(void **state)
{
	enum unwind_mode m = UNWIND_FP;

	assert_int_equal(unwind_parse_mode("dwarf", &m), 0);
	assert_int_equal(m, UNWIND_DWARF);
	assert_int_equal(unwind_parse_mode("fp", &m), 0);
	assert_int_equal(m, UNWIND_FP);
	assert_int_equal(unwind_parse_mode("DWARF", &m), -EINVAL);
	assert_int_equal(unwind_parse_mode("", &m), -EINVAL);
	assert_string_equal(unwind_mode_name(UNWIND_DWARF), "dwarf");
	assert_string_equal(unwind_mode_name(UNWIND_FP), "fp");
	assert_true(unwind_rows_max(true) >= unwind_rows_max(false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bias_pie),
		cmocka_unit_test(test_bias_non_pie),
		cmocka_unit_test(test_bias_unknown_offset),
		cmocka_unit_test(test_parse_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
