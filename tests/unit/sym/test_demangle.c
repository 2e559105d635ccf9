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

static void test_rust_legacy(void **state)
{
	/* rustc 1.63's names: hash dropped, escapes and ".." decoded. */
	assert_string_equal(
		demangle_name(
			"_ZN9rust_leak12leak_vectors17h32e20372b8240f2fE"),
		"rust_leak::leak_vectors");
	assert_string_equal(
		demangle_name(
			"_ZN63_$LT$alloc..alloc..Global$u20$as$u20$core..alloc..Allocator$GT$8allocate17h8d507859e6801047E"),
		"<alloc::alloc::Global as core::alloc::Allocator>::allocate");
	assert_string_equal(
		demangle_name(
			"_ZN3std2rt10lang_start28_$u7b$$u7b$closure$u7d$$u7d$17h7feb4e67792f359dE"),
		"std::rt::lang_start::{{closure}}");
	assert_string_equal(
		demangle_name(
			"_ZN4core3ptr85drop_in_place$LT$std..rt..lang_start$LT$$LP$$RP$$GT$..$u7b$$u7b$closure$u7d$$u7d$$GT$17h73a127dd25d8f72fE"),
		"core::ptr::drop_in_place<std::rt::lang_start<()>::{{closure}}>");
	/* Not a hash (15 digits, a capital): left as __cxa_demangle gives. */
	assert_string_equal(demangle_name("_ZN1a1b16h0123456789abcdeE"),
			    "a::b::h0123456789abcde");
	assert_string_equal(demangle_name("_ZN1a1b17h0123456789ABCDEFE"),
			    "a::b::h0123456789ABCDEF");
	/* An escape that is not one, or not printable, stays as it is. */
	assert_string_equal(demangle_name("_ZN5a$u1$17h0123456789abcdefE"),
			    "a$u1$");
	assert_string_equal(demangle_name("_ZN6a$u0a$17h0123456789abcdefE"),
			    "a$u0a$");
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
		cmocka_unit_test(test_rust_legacy),
		cmocka_unit_test(test_not_mangled),
		cmocka_unit_test(test_cached),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
