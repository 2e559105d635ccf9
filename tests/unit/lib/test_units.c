/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests for user/units.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "lib/units.h"

#define SENTINEL 0xdeadbeefULL

static uint64_t duration_ok(const char *s)
{
	uint64_t ns = SENTINEL;

	if (parse_duration_ns(s, &ns) != 0)
		fail_msg("parse_duration_ns(\"%s\") failed", s);
	return ns;
}

/* A rejected input returns -EINVAL and leaves the output alone. */
static void assert_duration_rejected(const char *s)
{
	uint64_t ns = SENTINEL;

	if (parse_duration_ns(s, &ns) != -EINVAL)
		fail_msg("parse_duration_ns(\"%s\") was accepted", s);
	assert_int_equal(ns, SENTINEL);
}

static uint64_t size_ok(const char *s)
{
	uint64_t bytes = SENTINEL;

	if (parse_size(s, &bytes) != 0)
		fail_msg("parse_size(\"%s\") failed", s);
	return bytes;
}

static void assert_size_rejected(const char *s)
{
	uint64_t bytes = SENTINEL;

	if (parse_size(s, &bytes) != -EINVAL)
		fail_msg("parse_size(\"%s\") was accepted", s);
	assert_int_equal(bytes, SENTINEL);
}

static void test_duration_units(void **state)
{
	assert_int_equal(duration_ok("10"), 10000000000ULL);
	assert_int_equal(duration_ok("0"), 0);
	assert_int_equal(duration_ok("7ns"), 7);
	assert_int_equal(duration_ok("250us"), 250000);
	assert_int_equal(duration_ok("500ms"), 500000000);
	assert_int_equal(duration_ok("3s"), 3000000000ULL);
	assert_int_equal(duration_ok("3m"), 180000000000ULL);
	assert_int_equal(duration_ok("2h"), 7200000000000ULL);
	assert_int_equal(duration_ok("007"), 7000000000ULL);
}

static void test_duration_decimals(void **state)
{
	assert_int_equal(duration_ok("2.5"), 2500000000ULL);
	assert_int_equal(duration_ok("0.5s"), 500000000);
	assert_int_equal(duration_ok(".5"), 500000000);
	/* Exact, not 99999999 from binary floating point. */
	assert_int_equal(duration_ok("0.1s"), 100000000);
	assert_int_equal(duration_ok("0.3"), 300000000);
	assert_int_equal(duration_ok("1.5ms"), 1500000);
	assert_int_equal(duration_ok("1.5m"), 90000000000ULL);
	assert_int_equal(duration_ok("0.25h"), 900000000000ULL);
	assert_int_equal(duration_ok("1.0000000001h"), 3600000000360ULL);
	assert_int_equal(duration_ok("0.000000001"), 1);
	/* Below one nanosecond truncates. */
	assert_int_equal(duration_ok("0.0000000009"), 0);
	assert_int_equal(duration_ok("1.9ns"), 1);
	/* Very long fractions are accepted. */
	assert_int_equal(duration_ok("1.0000000000000000000000000001"),
			 1000000000ULL);
}

static void test_duration_limits(void **state)
{
	assert_int_equal(duration_ok("18446744073709551615ns"), UINT64_MAX);
	assert_int_equal(duration_ok("18446744073.709551615"), UINT64_MAX);
	assert_duration_rejected("18446744073709551616ns");
	assert_duration_rejected("18446744073.709551616");
	assert_duration_rejected("18446744074");
	assert_duration_rejected("5124096h");
	assert_duration_rejected("99999999999999999999999999");
}

static void test_duration_rejects(void **state)
{
	static const char *const bad[] = {
		"",	"abc", "-1",   "-0.5", "+1",   " 1",   "1 ",
		"1s ",	"1x",  "1sec", "1S",   "1 s",  "inf",  "nan",
		"infs", "1e3", "5.",   ".",    ".s",   "1..2", "1.2.3",
		"ms",	"s",   "0x10", "1,5",  "1ms2", "1hs",  "1.5.s",
	};
	uint64_t ns = SENTINEL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_duration_rejected(bad[i]);
	assert_int_equal(parse_duration_ns(NULL, &ns), -EINVAL);
	assert_int_equal(ns, SENTINEL);
}

static void test_size_units(void **state)
{
	assert_int_equal(size_ok("0"), 0);
	assert_int_equal(size_ok("512"), 512);
	assert_int_equal(size_ok("10B"), 10);
	assert_int_equal(size_ok("512K"), 524288);
	assert_int_equal(size_ok("512k"), 524288);
	assert_int_equal(size_ok("4KB"), 4096);
	assert_int_equal(size_ok("4kB"), 4096);
	assert_int_equal(size_ok("4KiB"), 4096);
	assert_int_equal(size_ok("1M"), 1048576);
	assert_int_equal(size_ok("2MiB"), 2097152);
	assert_int_equal(size_ok("2mb"), 2097152);
	assert_int_equal(size_ok("3G"), 3221225472ULL);
	assert_int_equal(size_ok("3GiB"), 3221225472ULL);
	assert_int_equal(size_ok("1T"), 1099511627776ULL);
	assert_int_equal(size_ok("1TiB"), 1099511627776ULL);
}

static void test_size_limits(void **state)
{
	assert_int_equal(size_ok("18446744073709551615"), UINT64_MAX);
	assert_int_equal(size_ok("16777215T"), 0xffffff0000000000ULL);
	assert_int_equal(size_ok("17179869183G"), 0xffffffffc0000000ULL);
	assert_size_rejected("18446744073709551616");
	assert_size_rejected("16777216T");
	assert_size_rejected("17179869184G");
	assert_size_rejected("18014398509481984K");
}

static void test_size_rejects(void **state)
{
	static const char *const bad[] = {
		"",	"K",	"-1",	"+1",  "1.5M", "1 K",	" 1",
		"1 ",	"1KK",	"1Kb ", "1X",  "1iB",  "1KiBB", "1P",
		"1E",	"0x10", "1e3",	"abc", "1KI",  "1Bi",	"1BB",
		"1K B", "1,5K", "1.0",	"inf", "nan",
	};
	uint64_t bytes = SENTINEL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_size_rejected(bad[i]);
	assert_int_equal(parse_size(NULL, &bytes), -EINVAL);
	assert_int_equal(bytes, SENTINEL);
}

static void assert_formatted(int64_t bytes, const char *expected)
{
	char buf[32];

	assert_ptr_equal(format_bytes(buf, sizeof(buf), bytes), buf);
	assert_string_equal(buf, expected);
}

static void test_format_bytes(void **state)
{
	assert_formatted(0, "0 B");
	assert_formatted(1, "1 B");
	assert_formatted(512, "512 B");
	assert_formatted(1023, "1023 B");
	assert_formatted(1024, "1.0 KiB");
	assert_formatted(1536, "1.5 KiB");
	assert_formatted(3 << 20, "3.0 MiB");
	assert_formatted(5368709120LL, "5.0 GiB");
	assert_formatted(1LL << 40, "1.0 TiB");
	/* 1023.999 KiB would print as "1024.0 KiB": move up a unit. */
	assert_formatted(1048575, "1.0 MiB");
	assert_formatted(1048064, "1023.5 KiB");
	assert_formatted(INT64_MAX, "8.0 EiB");
}

static void test_format_bytes_negative(void **state)
{
	assert_formatted(-1, "-1 B");
	assert_formatted(-512, "-512 B");
	assert_formatted(-1536, "-1.5 KiB");
	assert_formatted(-2LL * 1024 * 1024 * 1024, "-2.0 GiB");
	assert_formatted(INT64_MIN, "-8.0 EiB");
}

static void test_format_bytes_small_buffer(void **state)
{
	char buf[8];

	memset(buf, 'x', sizeof(buf));
	assert_ptr_equal(format_bytes(buf, 4, 1536), buf);
	assert_string_equal(buf, "1.5");
	/* A zero-length buffer is not written at all. */
	memset(buf, 'x', sizeof(buf));
	format_bytes(buf, 0, 1536);
	assert_int_equal(buf[0], 'x');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_units),
		cmocka_unit_test(test_duration_decimals),
		cmocka_unit_test(test_duration_limits),
		cmocka_unit_test(test_duration_rejects),
		cmocka_unit_test(test_size_units),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_size_rejects),
		cmocka_unit_test(test_format_bytes),
		cmocka_unit_test(test_format_bytes_negative),
		cmocka_unit_test(test_format_bytes_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
