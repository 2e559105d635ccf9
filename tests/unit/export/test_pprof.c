/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Unit tests for user/pprof.c: the output is decoded again with a small
 * protobuf reader written here and compared with the profile it came from.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "export/pprof.h"

#define MAX_ITEMS 64
#define MAX_REP	  16

/* ---- a protobuf reader ------------------------------------------------- */

struct field {
	int num, wire;
	uint64_t v;	     /* varint */
	const uint8_t *data; /* length-delimited */
	size_t len;
};

static uint64_t varint(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;
	int shift = 0;

	while (*p < end) {
		uint8_t b = *(*p)++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
		shift += 7;
	}
	fail_msg("truncated varint");
	return 0;
}

/* The next field of [*p, end), false at the end. */
static bool next_field(const uint8_t **p, const uint8_t *end, struct field *f)
{
	uint64_t key;

	if (*p >= end)
		return false;
	key = varint(p, end);
	f->num = key >> 3;
	f->wire = key & 7;
	if (f->wire == 0) {
		f->v = varint(p, end);
	} else if (f->wire == 2) {
		f->len = varint(p, end);
		f->data = *p;
		assert_true(*p + f->len <= end);
		*p += f->len;
	} else {
		fail_msg("unexpected wire type %d", f->wire);
	}
	return true;
}

/* Packed varints (or a single unpacked one) into out. */
static size_t packed(const struct field *f, uint64_t *out, size_t n, size_t max)
{
	const uint8_t *p = f->data;

	if (f->wire == 0) {
		assert_true(n < max);
		out[n++] = f->v;
		return n;
	}
	while (p < f->data + f->len) {
		assert_true(n < max);
		out[n++] = varint(&p, f->data + f->len);
	}
	return n;
}

struct d_sample {
	uint64_t locs[MAX_REP], vals[MAX_REP];
	size_t n_locs, n_vals;
	uint64_t pid;
	int64_t comm;
};

struct d_location {
	uint64_t id, mapping, addr;
	uint64_t funcs[MAX_REP], lines[MAX_REP];
	size_t n_lines;
};

struct d_function {
	uint64_t id, name, file;
};

struct d_mapping {
	uint64_t id, start, limit, file, build_id, has_functions;
};

struct decoded {
	char *strings[256];
	size_t n_strings;
	uint64_t types[2][2];
	size_t n_types;
	uint64_t default_type, time, duration;
	struct d_sample samples[MAX_ITEMS];
	struct d_location locs[MAX_ITEMS];
	struct d_function funcs[MAX_ITEMS];
	struct d_mapping maps[MAX_ITEMS];
	size_t n_samples, n_locs, n_funcs, n_maps;
};

static void decode_label(struct decoded *d, struct d_sample *s,
			 const struct field *f)
{
	const uint8_t *p = f->data, *end = f->data + f->len;
	uint64_t key = 0, str = 0, num = 0;
	struct field g;

	while (next_field(&p, end, &g)) {
		if (g.num == 1)
			key = g.v;
		else if (g.num == 2)
			str = g.v;
		else if (g.num == 3)
			num = g.v;
	}
	if (!strcmp(d->strings[key], "pid"))
		s->pid = num;
	else if (!strcmp(d->strings[key], "comm"))
		s->comm = str;
}

static void decode_sample(struct decoded *d, const struct field *f)
{
	const uint8_t *p = f->data, *end = f->data + f->len;
	struct d_sample *s = &d->samples[d->n_samples++];
	struct field g;

	memset(s, 0, sizeof(*s));
	while (next_field(&p, end, &g)) {
		if (g.num == 1)
			s->n_locs = packed(&g, s->locs, s->n_locs, MAX_REP);
		else if (g.num == 2)
			s->n_vals = packed(&g, s->vals, s->n_vals, MAX_REP);
		else if (g.num == 3)
			decode_label(d, s, &g);
	}
}

static void decode_location(struct decoded *d, const struct field *f)
{
	const uint8_t *p = f->data, *end = f->data + f->len;
	struct d_location *l = &d->locs[d->n_locs++];
	struct field g, h;

	memset(l, 0, sizeof(*l));
	while (next_field(&p, end, &g)) {
		const uint8_t *q = g.data;

		if (g.num == 1)
			l->id = g.v;
		else if (g.num == 2)
			l->mapping = g.v;
		else if (g.num == 3)
			l->addr = g.v;
		if (g.num != 4)
			continue;
		while (next_field(&q, g.data + g.len, &h)) {
			if (h.num == 1)
				l->funcs[l->n_lines] = h.v;
			else if (h.num == 2)
				l->lines[l->n_lines] = h.v;
		}
		l->n_lines++;
	}
}

static void decode_function(struct decoded *d, const struct field *f)
{
	const uint8_t *p = f->data, *end = f->data + f->len;
	struct d_function *fn = &d->funcs[d->n_funcs++];
	struct field g;

	memset(fn, 0, sizeof(*fn));
	while (next_field(&p, end, &g)) {
		if (g.num == 1)
			fn->id = g.v;
		else if (g.num == 2)
			fn->name = g.v;
		else if (g.num == 4)
			fn->file = g.v;
	}
}

static void decode_mapping(struct decoded *d, const struct field *f)
{
	const uint8_t *p = f->data, *end = f->data + f->len;
	struct d_mapping *m = &d->maps[d->n_maps++];
	struct field g;

	memset(m, 0, sizeof(*m));
	while (next_field(&p, end, &g)) {
		if (g.num == 1)
			m->id = g.v;
		else if (g.num == 2)
			m->start = g.v;
		else if (g.num == 3)
			m->limit = g.v;
		else if (g.num == 5)
			m->file = g.v;
		else if (g.num == 6)
			m->build_id = g.v;
		else if (g.num == 7)
			m->has_functions = g.v;
	}
}

static void decode_value_type(struct decoded *d, const struct field *f)
{
	const uint8_t *p = f->data, *end = f->data + f->len;
	struct field g;

	assert_true(d->n_types < 2);
	while (next_field(&p, end, &g))
		d->types[d->n_types][g.num - 1] = g.v;
	d->n_types++;
}

static void decode(const uint8_t *buf, size_t len, struct decoded *d)
{
	const uint8_t *p = buf, *end = buf + len;
	struct field f;

	memset(d, 0, sizeof(*d));
	/* Strings first: the other messages refer to them. */
	while (next_field(&p, end, &f))
		if (f.num == 6)
			d->strings[d->n_strings++] =
				strndup((char *)f.data, f.len);
	for (p = buf; next_field(&p, end, &f);) {
		if (f.num == 1)
			decode_value_type(d, &f);
		else if (f.num == 2)
			decode_sample(d, &f);
		else if (f.num == 3)
			decode_mapping(d, &f);
		else if (f.num == 4)
			decode_location(d, &f);
		else if (f.num == 5)
			decode_function(d, &f);
		else if (f.num == 9)
			d->time = f.v;
		else if (f.num == 10)
			d->duration = f.v;
		else if (f.num == 14)
			d->default_type = f.v;
	}
}

static void decoded_free(struct decoded *d)
{
	size_t i;

	for (i = 0; i < d->n_strings; i++)
		free(d->strings[i]);
}

static const struct d_location *location(const struct decoded *d, uint64_t id)
{
	size_t i;

	for (i = 0; i < d->n_locs; i++)
		if (d->locs[i].id == id)
			return &d->locs[i];
	fail_msg("no location %llu", (unsigned long long)id);
	return NULL;
}

static const struct d_function *function(const struct decoded *d, uint64_t id)
{
	size_t i;

	for (i = 0; i < d->n_funcs; i++)
		if (d->funcs[i].id == id)
			return &d->funcs[i];
	fail_msg("no function %llu", (unsigned long long)id);
	return NULL;
}

/* "name:line name:line ..." of a sample, leaf first, lines of inlined
 * calls as they come in each location. */
static void sample_text(const struct decoded *d, const struct d_sample *s,
			char *buf, size_t len)
{
	size_t i, j, used = 0;

	buf[0] = '\0';
	for (i = 0; i < s->n_locs; i++) {
		const struct d_location *l = location(d, s->locs[i]);

		for (j = 0; j < l->n_lines; j++)
			used += snprintf(
				buf + used, len - used, "%s%s:%llu",
				used ? " " : "",
				d->strings[function(d, l->funcs[j])->name],
				(unsigned long long)l->lines[j]);
		if (i + 1 < s->n_locs)
			used += snprintf(buf + used, len - used, " |");
	}
}

/* ---- the profile ------------------------------------------------------- */

static struct prof_frame frame(struct profile *p, const char *name,
			       const char *file, int line, uint64_t addr,
			       const struct prof_module *m)
{
	struct prof_frame f = { .addr = addr, .module = m, .line = line };

	f.name = profile_intern(p, name);
	f.file = profile_intern(p, file);
	f.kind = m ? FK_NATIVE : FK_PYTHON;
	return f;
}

/*
 * Sample 1: inl (inlined into outer) | outer | main, 4096 B in 2.
 * Sample 2: handle (app.py:9) | main, 100 B in 1, in another process.
 * Sample 3: 0 B, left out.
 */
static void build(struct profile *p)
{
	struct prof_module m = { .path = "/usr/bin/app",
				 .build_id = "abcdef0123",
				 .start = 0x400000,
				 .limit = 0x401000,
				 .pid = 42 };
	const struct prof_module *mod;
	struct prof_frame f[3];

	memset(p, 0, sizeof(*p));
	p->wall.tv_sec = 1700000000;
	p->elapsed_s = 2.5;
	mod = profile_module(p, &m);
	f[0] = frame(p, "inl", "util.h", 3, 0x400100, mod);
	f[0].inlined = true;
	f[1] = frame(p, "outer", "app.c", 20, 0x400100, mod);
	f[2] = frame(p, "main", "app.c", 50, 0x400200, mod);
	assert_int_equal(profile_add(p, f, 3, 4096, 2, 0, 42, "app"), 0);
	f[0] = frame(p, "handle", "/srv/app.py", 9, 0, NULL);
	f[1] = f[2];
	assert_int_equal(profile_add(p, f, 2, 100, 1, 0, 43, "py"), 0);
	assert_int_equal(profile_add(p, f, 2, 0, 0, 50, 43, "py"), 0);
}

static void test_structure(void **state)
{
	struct decoded d;
	struct profile p;
	unsigned char *buf;
	char text[512];
	size_t len;

	build(&p);
	assert_int_equal(pprof_encode_raw(&p, &buf, &len), 0);
	decode(buf, len, &d);
	assert_string_equal(d.strings[0], "");
	assert_int_equal(d.n_types, 2);
	assert_string_equal(d.strings[d.types[0][0]], "inuse_objects");
	assert_string_equal(d.strings[d.types[0][1]], "count");
	assert_string_equal(d.strings[d.types[1][0]], "inuse_space");
	assert_string_equal(d.strings[d.types[1][1]], "bytes");
	assert_string_equal(d.strings[d.default_type], "inuse_space");
	assert_int_equal(d.time, 1700000000ULL * 1000000000ULL);
	assert_int_equal(d.duration, 2500000000ULL);

	assert_int_equal(d.n_samples, 2);
	assert_int_equal(d.samples[0].n_vals, 2);
	assert_int_equal(d.samples[0].vals[0], 2);
	assert_int_equal(d.samples[0].vals[1], 4096);
	assert_int_equal(d.samples[0].pid, 42);
	assert_string_equal(d.strings[d.samples[0].comm], "app");
	/* The inlined call is a line of its caller's location. */
	sample_text(&d, &d.samples[0], text, sizeof(text));
	assert_string_equal(text, "inl:3 outer:20 | main:50");
	assert_int_equal(location(&d, d.samples[0].locs[0])->addr, 0x400100);

	assert_int_equal(d.samples[1].vals[1], 100);
	assert_int_equal(d.samples[1].pid, 43);
	sample_text(&d, &d.samples[1], text, sizeof(text));
	assert_string_equal(text, "handle:9 | main:50");
	/* main's location is shared; the Python frame has no mapping. */
	assert_int_equal(d.samples[1].locs[1], d.samples[0].locs[1]);
	assert_int_equal(location(&d, d.samples[1].locs[0])->mapping, 0);
	assert_string_equal(
		d.strings[function(&d,
				   location(&d, d.samples[1].locs[0])->funcs[0])
				  ->file],
		"/srv/app.py");
	assert_int_equal(d.n_funcs, 4);
	assert_int_equal(d.n_locs, 3);
	decoded_free(&d);
	free(buf);
	profile_free(&p);
}

static void test_mappings(void **state)
{
	struct decoded d;
	struct profile p;
	unsigned char *buf;
	size_t len;

	build(&p);
	assert_int_equal(pprof_encode_raw(&p, &buf, &len), 0);
	decode(buf, len, &d);
	assert_int_equal(d.n_maps, 1);
	assert_int_equal(d.maps[0].id, 1);
	assert_int_equal(d.maps[0].start, 0x400000);
	assert_int_equal(d.maps[0].limit, 0x401000);
	assert_string_equal(d.strings[d.maps[0].file], "/usr/bin/app");
	assert_string_equal(d.strings[d.maps[0].build_id], "abcdef0123");
	assert_int_equal(d.maps[0].has_functions, 1);
	assert_int_equal(location(&d, d.samples[0].locs[0])->mapping, 1);
	decoded_free(&d);
	free(buf);
	profile_free(&p);
}

/* A mapping whose limit is unknown is stretched over its addresses. */
static void test_mapping_limit(void **state)
{
	struct prof_module m = {
		.path = "app", .start = 0x1000, .limit = 0x1001, .pid = 1
	};
	struct profile p = { 0 };
	struct prof_frame f;
	unsigned char *buf;
	struct decoded d;
	size_t len;

	f = frame(&p, "f", "", 0, 0x5000, profile_module(&p, &m));
	assert_int_equal(profile_add(&p, &f, 1, 1, 1, 0, 1, "a"), 0);
	assert_int_equal(pprof_encode_raw(&p, &buf, &len), 0);
	decode(buf, len, &d);
	assert_int_equal(d.maps[0].limit, 0x5001);
	decoded_free(&d);
	free(buf);
	profile_free(&p);
}

static void test_gzip(void **state)
{
	unsigned char *raw, *gz, out[65536];
	size_t raw_len, gz_len;
	struct profile p;
	z_stream z = { 0 };

	build(&p);
	assert_int_equal(pprof_encode_raw(&p, &raw, &raw_len), 0);
	assert_int_equal(pprof_encode(&p, &gz, &gz_len), 0);
	/* gzip magic, then the same bytes once inflated. */
	assert_int_equal(gz[0], 0x1f);
	assert_int_equal(gz[1], 0x8b);
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = gz;
	z.avail_in = gz_len;
	z.next_out = out;
	z.avail_out = sizeof(out);
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.total_out, raw_len);
	assert_memory_equal(out, raw, raw_len);
	inflateEnd(&z);
	free(raw);
	free(gz);
	profile_free(&p);
}

static void test_empty(void **state)
{
	struct profile p = { 0 };
	unsigned char *buf;
	struct decoded d;
	size_t len;

	assert_int_equal(pprof_encode_raw(&p, &buf, &len), 0);
	decode(buf, len, &d);
	assert_int_equal(d.n_samples, 0);
	assert_int_equal(d.n_types, 2);
	decoded_free(&d);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_mappings),
		cmocka_unit_test(test_mapping_limit),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
