// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Python decoders against known tables and against random bytes: target
 * memory is untrusted, so garbage must give -1 or "[unknown python]",
 * never a crash, an out-of-bounds read (run under valgrind/ASan) or a hang.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "python/pylines.h"
#include "python/python.h"

#define ROUNDS 20000

/* 3.8: lnotab pairs (addr delta, line delta). */
static void test_lnotab(void **state)
{
	const uint8_t t[] = { 4, 1, 6, 2, 10, (uint8_t)-1 };

	assert_int_equal(py_line_lnotab(t, sizeof(t), 10, 0), 10);
	assert_int_equal(py_line_lnotab(t, sizeof(t), 10, 4), 11);
	assert_int_equal(py_line_lnotab(t, sizeof(t), 10, 9), 11);
	assert_int_equal(py_line_lnotab(t, sizeof(t), 10, 10), 13);
	assert_int_equal(py_line_lnotab(t, sizeof(t), 10, 20), 12);
}

/* 3.10: (size delta, line delta) ranges; -128 means no line. */
static void test_linetable_310(void **state)
{
	const uint8_t t[] = { 6, 0, 4, 2, 8, 0x80, 2, 1 };

	assert_int_equal(py_line_linetable(t, sizeof(t), 5, 0), 5);
	assert_int_equal(py_line_linetable(t, sizeof(t), 5, 6), 7);
	assert_int_equal(py_line_linetable(t, sizeof(t), 5, 12), -1);
	/* the running line survives a no-line range */
	assert_int_equal(py_line_linetable(t, sizeof(t), 5, 18), 8);
	assert_int_equal(py_line_linetable(t, sizeof(t), 5, 20), -1);
}

/* 3.11+: location entries; kind 15 does not reset the running line. */
static void test_locations(void **state)
{
	const uint8_t t[] = {
		0x80 | 13 << 3 | 1, 0x04,	   /* 2 units, line += 2 */
		0x80 | 11 << 3 | 0, 0,	  0,	   /* 1 unit, line += 1 */
		0x80 | 15 << 3 | 2,		   /* 3 units, no line */
		0x80 | 10 << 3 | 0, 0,	  0,	   /* 1 unit, same line */
		0x80 | 14 << 3 | 0, 0x03, 0, 0, 0, /* line -= 1, long form */
	};

	assert_int_equal(py_line_locations(t, sizeof(t), 20, 0), 22);
	assert_int_equal(py_line_locations(t, sizeof(t), 20, 1), 22);
	assert_int_equal(py_line_locations(t, sizeof(t), 20, 2), 23);
	assert_int_equal(py_line_locations(t, sizeof(t), 20, 4), -1);
	assert_int_equal(py_line_locations(t, sizeof(t), 20, 6), 23);
	assert_int_equal(py_line_locations(t, sizeof(t), 20, 7), 22);
	assert_int_equal(py_line_locations(t, sizeof(t), 20, 8), -1);
}

/* One 3.11 "no column" entry of 1 unit: line += delta (svarint). */
static size_t put_line_delta(uint8_t *t, int delta)
{
	uint32_t v =
		delta < 0 ? ((uint32_t)-delta << 1) | 1 : (uint32_t)delta << 1;
	size_t n = 0;

	t[n++] = 0x80 | 13 << 3;
	do {
		t[n] = v & 63;
		v >>= 6;
		if (v)
			t[n] |= 64;
		n++;
	} while (v);
	return n;
}

/*
 * Hostile tables whose line sums leave int (found by tests/fuzz/fuzz_pylines:
 * signed overflow): no line, not a wrapped one.
 */
static void test_line_sum_overflow(void **state)
{
	uint8_t t[128], lnotab[64];
	size_t n = 0;
	int i;

	for (i = 0; i < 10; i++)
		n += put_line_delta(t + n, 1 << 28);
	assert_int_equal(py_line_locations(t, n, 1, 3), 1 + 4 * (1 << 28));
	assert_int_equal(py_line_locations(t, n, 1, 9), -1);
	for (i = 0; i < 64; i += 2) {
		lnotab[i] = 1;
		lnotab[i + 1] = 127;
	}
	assert_int_equal(
		py_line_lnotab(lnotab, sizeof(lnotab), INT_MAX - 5, 40), -1);
}

static void random_bytes(uint8_t *b, size_t n, unsigned int *seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = rand_r(seed);
}

/* Exactly-sized heap copies so ASan/valgrind catch any overread. */
static void test_line_tables_random(void **state)
{
	unsigned int seed = 1234;
	int r;

	for (r = 0; r < ROUNDS; r++) {
		size_t n = rand_r(&seed) % 64;
		uint8_t *t = malloc(n ? n : 1);
		uint32_t pos = rand_r(&seed) % 512;
		int line;

		assert_non_null(t);
		random_bytes(t, n, &seed);
		line = py_line_lnotab(t, n, 1, pos);
		line += py_line_linetable(t, n, 1, pos);
		line += py_line_locations(t, n, 1, pos);
		(void)line;
		free(t);
	}
}

/* Garbage "code objects" in our own memory, read like a target's. */
static void test_decode_garbage(void **state)
{
	static uint8_t junk[1 << 16] __attribute__((aligned(16)));
	struct py_interp interp = { .major = 3 };
	unsigned int seed = 99;
	int minor, r;

	for (minor = 8; minor <= 13; minor++) {
		struct py_decoder *d;

		interp.minor = minor;
		interp.layout = py_layout_for(minor);
		assert_non_null(interp.layout);
		d = py_decoder_new(getpid(), &interp);
		assert_non_null(d);
		for (r = 0; r < 500; r++) {
			struct lt_py_frame f;
			const struct py_sym *sym;
			size_t off =
				(rand_r(&seed) % (sizeof(junk) - 4096)) & ~7UL;
			uint64_t *words = (uint64_t *)(junk + off);
			size_t w;

			random_bytes(junk + off, 4096, &seed);
			/* Pointers inside the junk make the decoder follow. */
			for (w = 0; w < 512; w += 3)
				words[w] =
					(uint64_t)(uintptr_t)(junk +
							      (rand_r(&seed) %
							       sizeof(junk)));
			f.code = (uint64_t)(uintptr_t)words;
			f.pos = rand_r(&seed);
			sym = py_decode(d, &f);
			assert_non_null(sym);
			assert_true(strlen(sym->name) < sizeof(sym->name));
		}
		py_decoder_free(d);
	}
}

/* A compact ASCII str object, as CPython lays it out, in our own memory. */
static void fake_str(uint8_t *obj, const struct py_layout *l, const char *text)
{
	uint32_t state =
		(1 << 2) | (1 << 5) | (1 << 6); /* kind 1, compact, ascii */
	uint64_t len = strlen(text);

	memcpy(obj + 16, &len, sizeof(len));
	memcpy(obj + 32, &state, sizeof(state));
	memcpy(obj + l->ascii_header, text, len);
}

static void put_ptr(uint8_t *obj, uint32_t off, const void *p)
{
	uint64_t v = (uint64_t)(uintptr_t)p;

	memcpy(obj + off, &v, sizeof(v));
}

/*
 * A code object freed and another allocated at its address: the name read
 * first stays until a new stack makes the decoder look again; names handed
 * out before stay valid.
 */
static void test_reused_code_address(void **state)
{
	static uint8_t code[512], file[128], name1[128], name2[128], table[64];
	struct py_interp interp = { .major = 3, .minor = 11 };
	const struct py_sym *first, *again, *renamed;
	struct lt_py_frame f = { .code = (uint64_t)(uintptr_t)code };
	const struct py_layout *l = py_layout_for(11);
	struct py_decoder *d;
	uint32_t line = 10;

	interp.layout = l;
	fake_str(file, l, "/srv/app.py");
	fake_str(name1, l, "first");
	fake_str(name2, l, "second");
	put_ptr(code, l->code_filename, file);
	put_ptr(code, l->code_qualname, name1);
	put_ptr(code, l->code_linetable, table); /* empty bytes object */
	memcpy(code + l->code_firstlineno, &line, sizeof(line));
	d = py_decoder_new(getpid(), &interp);
	assert_non_null(d);

	first = py_decode(d, &f);
	assert_string_equal(first->name, "app.first");
	py_decoder_recheck(d, f.code); /* unchanged: same name */
	assert_ptr_equal(py_decode(d, &f), first);

	put_ptr(code, l->code_qualname, name2);
	line = 20;
	memcpy(code + l->code_firstlineno, &line, sizeof(line));
	again = py_decode(d, &f);
	assert_ptr_equal(again, first); /* cached until rechecked */
	py_decoder_recheck(d, f.code);
	renamed = py_decode(d, &f);
	assert_string_equal(renamed->name, "app.second");
	assert_string_equal(first->name, "app.first");
	py_decoder_free(d);
}

static void test_unsupported_versions(void **state)
{
	assert_null(py_layout_for(7));
	assert_null(py_layout_for(14));
	assert_non_null(py_layout_for(8));
	assert_non_null(py_layout_for(13));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lnotab),
		cmocka_unit_test(test_linetable_310),
		cmocka_unit_test(test_locations),
		cmocka_unit_test(test_line_sum_overflow),
		cmocka_unit_test(test_line_tables_random),
		cmocka_unit_test(test_decode_garbage),
		cmocka_unit_test(test_reused_code_address),
		cmocka_unit_test(test_unsupported_versions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
