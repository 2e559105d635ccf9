/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests for user/sym/demangle.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sym/demangle.h"

static void test_cxx_names(void **state)
{
	assert_string_equal(demangle_name("_Znwm"),
			    "operator new(unsigned long)");
	assert_string_equal(
		demangle_name(
			"_ZNSt6vectorIlSaIlEE17_M_realloc_insertIJRKlEEEvN9__gnu_cxx17__normal_iteratorIPlS1_EEDpOT_"),
		"void std::vector<long, std::allocator<long> >::_M_realloc_insert<long const&>(__gnu_cxx::__normal_iterator<long*, std::vector<long, std::allocator<long> > >, long const&)");
}

static void test_not_mangled(void **state)
{
	const char *c = "malloc";

	assert_ptr_equal(demangle_name(c), c);
	assert_null(demangle_name(NULL));
	/* Looks mangled but is not: kept as it is. */
	assert_string_equal(demangle_name("_Zgarbage("), "_Zgarbage(");
}

static void test_cached(void **state)
{
	char name[64];
	const char *first;

	/* Many names grow the table; each is demangled once and kept. */
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "_Z5f%04dv", i);
		assert_non_null(demangle_name(name));
	}
	first = demangle_name("_Z5f0042v");
	assert_string_equal(first, "f0042()");
	assert_ptr_equal(demangle_name("_Z5f0042v"), first);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cxx_names),
		cmocka_unit_test(test_not_mangled),
		cmocka_unit_test(test_cached),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
