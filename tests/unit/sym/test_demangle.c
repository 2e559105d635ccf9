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

static void test_rust_v0(void **state)
{
	/* rustc -C symbol-mangling-version=v0; c++filt -s rust agrees but
	 * for the crate hashes, which it prints as [fdfd2bd8633a6659]. */
	assert_string_equal(
		demangle_name("_RNvCsfq2Zq5gqAK1_2v012leak_vectors"),
		"v0::leak_vectors");
	assert_string_equal(
		demangle_name(
			"_RINvNvMs2_NtCslNYArtu3iFV_5alloc7raw_vecINtB8_11RawVecInnerpE7reserve21do_reserve_and_handleNtNtBa_5alloc6GlobalEBa_"),
		"<alloc::raw_vec::RawVecInner<_>>::reserve::do_reserve_and_handle::<alloc::alloc::Global>");
	/* Not v0 after all: kept. */
	assert_string_equal(demangle_name("_Rgarbage"), "_Rgarbage");
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

/* f(A..., A..., ...): 507 bytes that refer back 200 times, 20 KB plain. */
static void test_long_result_cut(void **state)
{
	char name[1024], *at = name;
	const char *plain;

	at += sprintf(at, "_Z1f100");
	memset(at, 'A', 100);
	at += 100;
	for (int i = 0; i < 200; i++)
		at += sprintf(at, "S_");
	plain = demangle_name(name);
	assert_int_equal(strlen(plain), DEMANGLE_MAX_PLAIN);
	assert_int_equal(strncmp(plain, "f(AAAA", 6), 0);
	assert_string_equal(plain + DEMANGLE_MAX_PLAIN - 3, "...");
}

/* A<B, B>, A<A<B, B>, A<B, B> >, ...: each argument twice the last, so
 * 30 of them would print 2^30 times; the output stops at the bound. */
static void test_doubling_result_cut(void **state)
{
	char name[512], *at = name;
	const char *plain;

	at += sprintf(at, "_Z1f1AI1BS0_E");
	for (int j = 1; j < 30; j++)
		at += sprintf(at, "S_IS%c_S%c_E",
			      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[j],
			      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[j]);
	plain = demangle_name(name);
	assert_int_equal(strlen(plain), DEMANGLE_MAX_PLAIN);
	assert_int_equal(strncmp(plain, "f(A<B, B>, A<A<B, B>, A<B, B> >", 31),
			 0);
}

static void test_forget(void **state)
{
	const char *first = demangle_name("_Z6forgetv");

	assert_string_equal(first, "forget()");
	demangle_forget();
	/* Demangled again into a fresh table. */
	assert_string_equal(demangle_name("_Z6forgetv"), "forget()");
	assert_string_equal(demangle_name("_Znwm"),
			    "operator new(unsigned long)");
	demangle_forget();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cxx_names),
		cmocka_unit_test(test_rust_legacy),
		cmocka_unit_test(test_rust_v0),
		cmocka_unit_test(test_not_mangled),
		cmocka_unit_test(test_cached),
		cmocka_unit_test(test_long_result_cut),
		cmocka_unit_test(test_doubling_result_cut),
		cmocka_unit_test(test_forget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
