/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Parsing and printing of durations and byte sizes given by users. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/units.h"

/* Exact fractions of an hour in nanoseconds need a 128-bit product. */
#ifndef __SIZEOF_INT128__
#error "units.c needs a compiler with unsigned __int128"
#endif

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC  1000000000ULL

/* More fraction digits than this cannot change the result by a whole ns. */
#define MAX_FRACTION_DIGITS 18

struct duration_unit {
	const char *name;
	uint64_t ns;
};

static const struct duration_unit duration_units[] = {
	{ "", NSEC_PER_SEC }, /* a bare number is seconds */
	{ "ns", 1 },
	{ "us", NSEC_PER_USEC },
	{ "ms", NSEC_PER_MSEC },
	{ "s", NSEC_PER_SEC },
	{ "m", 60 * NSEC_PER_SEC },
	{ "h", 3600 * NSEC_PER_SEC },
};

static const char binary_prefixes[] = "KMGT";

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Decimal digits at *s into *val, advancing *s past them. Returns the
 * number of digits, or -1 on overflow.
 */
static int parse_digits(const char **s, uint64_t *val)
{
	const char *p = *s;
	uint64_t v = 0;
	int ndigits;

	while (is_digit(*p)) {
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
			return -1;
		p++;
	}
	*val = v;
	ndigits = (int)(p - *s);
	*s = p;
	return ndigits;
}

/*
 * Fraction digits at *s as numerator and power-of-ten denominator,
 * advancing *s past all of them; digits beyond MAX_FRACTION_DIGITS are
 * dropped. Returns the number of digits seen.
 */
static int parse_fraction(const char **s, uint64_t *num, uint64_t *den)
{
	const char *p = *s;
	int ndigits = 0;

	*num = 0;
	*den = 1;
	for (; is_digit(*p); p++, ndigits++) {
		if (ndigits >= MAX_FRACTION_DIGITS)
			continue;
		*num = *num * 10 + (uint64_t)(*p - '0');
		*den *= 10;
	}
	*s = p;
	return ndigits;
}

/* floor(num / den * unit_ns), exact; num < den keeps it below unit_ns. */
static uint64_t fraction_ns(uint64_t num, uint64_t den, uint64_t unit_ns)
{
	return (uint64_t)((unsigned __int128)num * unit_ns / den);
}

static const struct duration_unit *find_duration_unit(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]);
	     i++) {
		if (strcmp(duration_units[i].name, name) == 0)
			return &duration_units[i];
	}
	return NULL;
}

int parse_duration_ns(const char *s, uint64_t *ns)
{
	const struct duration_unit *unit;
	uint64_t whole = 0, num = 0, den = 1, result;
	int nwhole, nfrac = 0;

	if (!s)
		return -EINVAL;
	nwhole = parse_digits(&s, &whole);
	if (nwhole < 0)
		return -EINVAL;
	if (*s == '.') {
		s++;
		nfrac = parse_fraction(&s, &num, &den);
		/* "5." and "." are more likely typos than intent. */
		if (nfrac == 0)
			return -EINVAL;
	}
	if (nwhole == 0 && nfrac == 0)
		return -EINVAL;
	unit = find_duration_unit(s);
	if (!unit)
		return -EINVAL;
	if (__builtin_mul_overflow(whole, unit->ns, &result))
		return -EINVAL;
	if (__builtin_add_overflow(result, fraction_ns(num, den, unit->ns),
				   &result))
		return -EINVAL;
	*ns = result;
	return 0;
}

/* The shift for a size suffix ("", "B", "K", "k", "KB", "KiB", ...). */
static int size_suffix_shift(const char *s)
{
	const char *prefix;

	if (*s == '\0' || strcasecmp(s, "b") == 0)
		return 0;
	prefix = strchr(binary_prefixes, toupper((unsigned char)*s));
	if (!prefix || *prefix == '\0')
		return -1;
	s++;
	if (*s != '\0' && strcasecmp(s, "b") != 0 && strcasecmp(s, "ib") != 0)
		return -1;
	return 10 * (int)(prefix - binary_prefixes + 1);
}

int parse_size(const char *s, uint64_t *bytes)
{
	uint64_t val;
	int shift;

	if (!s || parse_digits(&s, &val) <= 0)
		return -EINVAL;
	shift = size_suffix_shift(s);
	if (shift < 0)
		return -EINVAL;
	if (shift > 0 && val > (UINT64_MAX >> shift))
		return -EINVAL;
	*bytes = val << shift;
	return 0;
}

char *format_bytes(char *buf, size_t len, int64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB",
					     "TiB", "PiB", "EiB" };
	const size_t nunits = sizeof(units) / sizeof(units[0]);
	const char *sign = bytes < 0 ? "-" : "";
	/* Negate in unsigned arithmetic so INT64_MIN works too. */
	uint64_t mag = bytes < 0 ? -(uint64_t)bytes : (uint64_t)bytes;
	double val;
	size_t u = 0;

	if (len == 0)
		return buf;
	if (mag < 1024) {
		snprintf(buf, len, "%s%" PRIu64 " B", sign, mag);
		return buf;
	}
	val = (double)mag / 1024;
	/* Move up a unit when "%.1f" would round to 1024.0. */
	while (val >= 1023.95 && u + 1 < nunits) {
		val /= 1024;
		u++;
	}
	snprintf(buf, len, "%s%.1f %s", sign, val, units[u]);
	return buf;
}

int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
