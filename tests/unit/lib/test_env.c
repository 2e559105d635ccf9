/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests for user/lib/env.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "lib/env.h"

#define NAME "LT_TEST_ENV_FLAG"

static void test_unset_is_off(void **state)
{
	unsetenv(NAME);
	assert_false(env_flag(NAME));
}

static void test_empty_and_zero_are_off(void **state)
{
	setenv(NAME, "", 1);
	assert_false(env_flag(NAME));
	setenv(NAME, "0", 1);
	assert_false(env_flag(NAME));
}

static void test_anything_else_is_on(void **state)
{
	setenv(NAME, "1", 1);
	assert_true(env_flag(NAME));
	setenv(NAME, "yes", 1);
	assert_true(env_flag(NAME));
	setenv(NAME, "00", 1);
	assert_true(env_flag(NAME));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unset_is_off),
		cmocka_unit_test(test_empty_and_zero_are_off),
		cmocka_unit_test(test_anything_else_is_on),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
