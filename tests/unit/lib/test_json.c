/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests for user/lib/json.c: structure, escaping, UTF-8 repair. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/utf8.h"

static char *escaped(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	json_write_string(f, s);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void check(const char *in, const char *want)
{
	char *got = escaped(in);

	assert_string_equal(got, want);
	free(got);
}

static void test_escapes(void **state)
{
	check("plain", "\"plain\"");
	check("", "\"\"");
	check(NULL, "\"\"");
	check("q\"b\\s/", "\"q\\\"b\\\\s/\"");
	check("\n\t\r\x01\x1f", "\"\\u000a\\u0009\\u000d\\u0001\\u001f\"");
	check("\x1b[31mred\x7f", "\"\\u001b[31mred\x7f\"");
}

static void test_utf8_valid_kept(void **state)
{
	/* 2, 3 and 4 byte forms, the highest code point. */
	check("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf",
	      "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"");
}

#define FFFD "\xef\xbf\xbd"

static void test_utf8_repaired(void **state)
{
	check("\xff", "\"" FFFD "\"");
	check("a\x80z", "\"a" FFFD "z\"");
	/* Cut short, at the end and before ASCII. */
	check("\xe2\x82", "\"" FFFD FFFD "\"");
	check("\xc3(", "\"" FFFD "(\"");
	/* Overlong forms, surrogates, above U+10FFFF. */
	check("\xc0\xaf", "\"" FFFD FFFD "\"");
	check("\xe0\x80\xaf", "\"" FFFD FFFD FFFD "\"");
	check("\xed\xa0\x80", "\"" FFFD FFFD FFFD "\"");
	check("\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");
	check("\xf5\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");
	/* A quote after a broken lead byte is still escaped. */
	check("\xe2\"", "\"" FFFD "\\\"\"");
}

/* The copy pprof's strings get: valid input unchanged, bad bytes U+FFFD. */
static void test_repaired_copy(void **state)
{
	char *s;

	assert_true(utf8_valid("caf\xc3\xa9"));
	assert_false(utf8_valid("a\xed\xa0\x80"));
	s = utf8_repaired("caf\xc3\xa9");
	assert_string_equal(s, "caf\xc3\xa9");
	free(s);
	s = utf8_repaired("\xff\x01\xe2\x82");
	assert_string_equal(s, FFFD "\x01" FFFD FFFD);
	assert_true(utf8_valid(s));
	free(s);
}

static void test_structure(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_init(&j, f);
	json_object_begin(&j);
	json_key(&j, "a");
	json_int(&j, -5);
	json_key(&j, "list");
	json_array_begin(&j);
	json_uint(&j, 18446744073709551615ULL);
	json_bool(&j, true);
	json_null(&j);
	json_object_begin(&j);
	json_object_end(&j);
	json_array_begin(&j);
	json_array_end(&j);
	json_fixed(&j, 1.23456, 3);
	json_hex(&j, 0xab);
	json_string(&j, "k\"");
	json_array_end(&j);
	json_key(&j, "q\"k");
	json_fixed(&j, 0.0 / 0.0, 1);
	json_object_end(&j);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(
		buf,
		"{\"a\":-5,\"list\":[18446744073709551615,true,null,{},[],1.235,\"0xab\",\"k\\\"\"],\"q\\\"k\":0.0}");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_utf8_valid_kept),
		cmocka_unit_test(test_utf8_repaired),
		cmocka_unit_test(test_repaired_copy),
		cmocka_unit_test(test_structure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
