// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pprof profiles. Protocol buffers are simple enough to write by hand
 * (varints and length-prefixed fields), which spares a code generator and a
 * runtime library in a tool that must also build statically.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "export/pprof.h"
#include "lib/keyhash.h"
#include "lib/utf8.h"

/* Field numbers of profile.proto. */
enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUE_TYPE_TYPE = 1,
	VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1,
	SAMPLE_VALUE = 2,
	SAMPLE_LABEL = 3,
	LABEL_KEY = 1,
	LABEL_STR = 2,
	LABEL_NUM = 3,
	MAPPING_ID = 1,
	MAPPING_MEMORY_START = 2,
	MAPPING_MEMORY_LIMIT = 3,
	MAPPING_FILE_OFFSET = 4,
	MAPPING_FILENAME = 5,
	MAPPING_BUILD_ID = 6,
	MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8,
	MAPPING_HAS_LINE_NUMBERS = 9,
	MAPPING_HAS_INLINE_FRAMES = 10,
	LOCATION_ID = 1,
	LOCATION_MAPPING_ID = 2,
	LOCATION_ADDRESS = 3,
	LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1,
	LINE_LINE = 2,
	FUNCTION_ID = 1,
	FUNCTION_NAME = 2,
	FUNCTION_SYSTEM_NAME = 3,
	FUNCTION_FILENAME = 4,
};

#define WIRE_VARINT 0
#define WIRE_LEN    2
#define KEY_MAX	    2048
#define MAX_INLINE  64 /* lines of one location */

/* ---- protobuf writing -------------------------------------------------- */

struct pbuf {
	unsigned char *p;
	size_t len, cap;
	bool oom; /* checked once at the end instead of after every call */
};

static void pb_raw(struct pbuf *b, const void *data, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		unsigned char *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void pb_varint(struct pbuf *b, uint64_t v)
{
	unsigned char buf[10];
	size_t n = 0;

	do {
		buf[n] = v & 0x7f;
		v >>= 7;
		if (v)
			buf[n] |= 0x80;
		n++;
	} while (v);
	pb_raw(b, buf, n);
}

static void pb_key(struct pbuf *b, int field, int wire)
{
	pb_varint(b, (uint64_t)field << 3 | wire);
}

/* Zero is the default of every scalar field: leaving it out is the same. */
static void pb_uint(struct pbuf *b, int field, uint64_t v)
{
	if (!v)
		return;
	pb_key(b, field, WIRE_VARINT);
	pb_varint(b, v);
}

static void pb_bytes(struct pbuf *b, int field, const void *data, size_t n)
{
	pb_key(b, field, WIRE_LEN);
	pb_varint(b, n);
	pb_raw(b, data, n);
}

/* Append the message built in m as field, and empty m for the next one. */
static void pb_msg(struct pbuf *b, int field, struct pbuf *m)
{
	if (m->oom)
		b->oom = true;
	pb_bytes(b, field, m->p, m->len);
	m->len = 0;
}

/* ---- interning tables -------------------------------------------------- */

struct table {
	struct hashmap ids; /* strdup'd key -> id */
};

/* The id of key; a new key gets the next id (1, 2, ...) and *fresh. */
static uint64_t table_id(struct table *t, const char *key, bool *fresh)
{
	long id = 0;
	char *copy;

	*fresh = false;
	if (!t->ids.hash_fn)
		hashmap__init(&t->ids, keyhash_str, keyhash_str_equal, NULL);
	if (hashmap__find(&t->ids, key, &id))
		return id;
	copy = strdup(key);
	id = hashmap__size(&t->ids) + 1;
	if (!copy || hashmap__add(&t->ids, copy, id)) {
		free(copy);
		return 0;
	}
	*fresh = true;
	return id;
}

static void table_free(struct table *t)
{
	struct hashmap_entry *e;
	size_t bkt;

	hashmap__for_each_entry(&t->ids, e, bkt)
		free((void *)e->pkey);
	hashmap__clear(&t->ids);
}

/* ---- the profile ------------------------------------------------------- */

struct pp {
	const struct profile *p;
	struct table strings, functions, locations;
	struct pbuf strtab, samples, locs, funcs, tmp, line;
	uint64_t *limits; /* per module: past the highest address seen */
	bool oom;
};

/* String table index; the table starts with "" at 0 as pprof requires. */
static int64_t valid_str_id(struct pp *x, const char *s)
{
	bool fresh;
	uint64_t id = table_id(&x->strings, s ? s : "", &fresh);

	if (!id) {
		x->oom = true;
		return 0;
	}
	if (fresh)
		pb_bytes(&x->strtab, PROFILE_STRING_TABLE, s ? s : "",
			 strlen(s ? s : ""));
	return id - 1;
}

/* Protobuf strings are UTF-8: names from the target are repaired first. */
static int64_t str_id(struct pp *x, const char *s)
{
	char *fixed;
	int64_t id;

	if (!s || utf8_valid(s))
		return valid_str_id(x, s);
	fixed = utf8_repaired(s);
	if (!fixed) {
		x->oom = true;
		return 0;
	}
	id = valid_str_id(x, fixed);
	free(fixed);
	return id;
}

static uint64_t function_id(struct pp *x, const struct prof_frame *f)
{
	char key[KEY_MAX];
	bool fresh;
	uint64_t id;

	snprintf(key, sizeof(key), "%s\x01%s", f->name, f->file);
	id = table_id(&x->functions, key, &fresh);
	if (!id) {
		x->oom = true;
		return 0;
	}
	if (!fresh)
		return id;
	pb_uint(&x->tmp, FUNCTION_ID, id);
	pb_uint(&x->tmp, FUNCTION_NAME, str_id(x, f->name));
	pb_uint(&x->tmp, FUNCTION_SYSTEM_NAME,
		str_id(x, f->system_name ? f->system_name : f->name));
	pb_uint(&x->tmp, FUNCTION_FILENAME, str_id(x, f->file));
	pb_msg(&x->funcs, PROFILE_FUNCTION, &x->tmp);
	return id;
}

static size_t module_index(const struct profile *p, const struct prof_module *m)
{
	size_t i;

	for (i = 0; i < p->n_modules; i++)
		if (p->modules[i] == m)
			return i;
	return p->n_modules;
}

/*
 * One location per address (and per source position for frames without
 * one): the frames from first to last, last being the caller the others
 * were inlined into. Lines go leaf first, as pprof wants them.
 */
static uint64_t location_id(struct pp *x, const struct prof_frame *fr,
			    size_t first, size_t last)
{
	const struct prof_frame *outer = &fr[last];
	size_t mod = outer->module ? module_index(x->p, outer->module) + 1 : 0;
	uint64_t fids[MAX_INLINE], id;
	char key[KEY_MAX];
	size_t used, i;
	bool fresh;

	used = snprintf(key, sizeof(key), "%zu:%" PRIx64, mod, outer->addr);
	for (i = first; i <= last; i++) {
		fids[i - first] = function_id(x, &fr[i]);
		if (used < sizeof(key))
			used += snprintf(key + used, sizeof(key) - used,
					 ";%" PRIu64 ":%d", fids[i - first],
					 fr[i].line);
	}
	id = table_id(&x->locations, key, &fresh);
	if (!id) {
		x->oom = true;
		return 0;
	}
	if (!fresh)
		return id;
	if (mod && outer->addr >= x->limits[mod - 1])
		x->limits[mod - 1] = outer->addr + 1;
	pb_uint(&x->tmp, LOCATION_ID, id);
	pb_uint(&x->tmp, LOCATION_MAPPING_ID, mod);
	pb_uint(&x->tmp, LOCATION_ADDRESS, outer->addr);
	for (i = first; i <= last; i++) {
		pb_uint(&x->line, LINE_FUNCTION_ID, fids[i - first]);
		pb_uint(&x->line, LINE_LINE, fr[i].line);
		pb_msg(&x->tmp, LOCATION_LINE, &x->line);
	}
	pb_msg(&x->locs, PROFILE_LOCATION, &x->tmp);
	return id;
}

static void add_label(struct pp *x, struct pbuf *sample, const char *key,
		      const char *str, int64_t num)
{
	pb_uint(&x->line, LABEL_KEY, str_id(x, key));
	if (str)
		pb_uint(&x->line, LABEL_STR, str_id(x, str));
	else
		pb_uint(&x->line, LABEL_NUM, num);
	pb_msg(sample, SAMPLE_LABEL, &x->line);
}

static void add_sample(struct pp *x, const struct prof_sample *s)
{
	struct pbuf ids = { 0 }, vals = { 0 }, msg = { 0 };
	size_t i, first;

	for (i = 0; i < s->n_frames; i++) {
		first = i;
		while (s->frames[i].inlined && i + 1 < s->n_frames &&
		       i - first + 1 < MAX_INLINE)
			i++;
		pb_varint(&ids, location_id(x, s->frames, first, i));
	}
	pb_varint(&vals, s->count);
	pb_varint(&vals, s->bytes);
	pb_bytes(&msg, SAMPLE_LOCATION_ID, ids.p, ids.len);
	pb_bytes(&msg, SAMPLE_VALUE, vals.p, vals.len);
	add_label(x, &msg, "pid", NULL, s->pid);
	if (s->comm)
		add_label(x, &msg, "comm", s->comm, 0);
	if (ids.oom || vals.oom)
		msg.oom = true;
	pb_msg(&x->samples, PROFILE_SAMPLE, &msg);
	free(ids.p);
	free(vals.p);
	free(msg.p);
}

static void add_mappings(struct pp *x, struct pbuf *out)
{
	size_t i;

	for (i = 0; i < x->p->n_modules; i++) {
		const struct prof_module *m = x->p->modules[i];
		uint64_t limit =
			m->limit > x->limits[i] ? m->limit : x->limits[i];

		pb_uint(&x->tmp, MAPPING_ID, i + 1);
		pb_uint(&x->tmp, MAPPING_MEMORY_START, m->start);
		pb_uint(&x->tmp, MAPPING_MEMORY_LIMIT, limit);
		pb_uint(&x->tmp, MAPPING_FILE_OFFSET, m->offset);
		pb_uint(&x->tmp, MAPPING_FILENAME, str_id(x, m->path));
		pb_uint(&x->tmp, MAPPING_BUILD_ID, str_id(x, m->build_id));
		/* Names are resolved already: tools must not symbolize again. */
		pb_uint(&x->tmp, MAPPING_HAS_FUNCTIONS, 1);
		pb_uint(&x->tmp, MAPPING_HAS_FILENAMES, 1);
		pb_uint(&x->tmp, MAPPING_HAS_LINE_NUMBERS, 1);
		pb_uint(&x->tmp, MAPPING_HAS_INLINE_FRAMES, 1);
		pb_msg(out, PROFILE_MAPPING, &x->tmp);
	}
}

static void value_type(struct pp *x, struct pbuf *out, int field,
		       const char *type, const char *unit)
{
	pb_uint(&x->tmp, VALUE_TYPE_TYPE, str_id(x, type));
	pb_uint(&x->tmp, VALUE_TYPE_UNIT, str_id(x, unit));
	pb_msg(out, field, &x->tmp);
}

static void add_header(struct pp *x, struct pbuf *out)
{
	const struct profile *p = x->p;

	value_type(x, out, PROFILE_SAMPLE_TYPE, "inuse_objects", "count");
	value_type(x, out, PROFILE_SAMPLE_TYPE, "inuse_space", "bytes");
	pb_uint(out, PROFILE_TIME_NANOS,
		p->wall.tv_sec * 1000000000ULL + p->wall.tv_nsec);
	pb_uint(out, PROFILE_DURATION_NANOS, p->elapsed_s * 1e9);
	value_type(x, out, PROFILE_PERIOD_TYPE, "space", "bytes");
	pb_uint(out, PROFILE_PERIOD, 1);
	pb_uint(out, PROFILE_COMMENT,
		str_id(x,
		       "leaktrace: outstanding heap and mapped bytes per stack"));
	pb_uint(out, PROFILE_DEFAULT_SAMPLE_TYPE, str_id(x, "inuse_space"));
}

static void pp_free(struct pp *x)
{
	table_free(&x->strings);
	table_free(&x->functions);
	table_free(&x->locations);
	free(x->strtab.p);
	free(x->samples.p);
	free(x->locs.p);
	free(x->funcs.p);
	free(x->tmp.p);
	free(x->line.p);
	free(x->limits);
}

int pprof_encode_raw(const struct profile *p, unsigned char **out, size_t *len)
{
	struct pp x = { .p = p };
	struct pbuf head = { 0 };
	size_t i;

	x.limits = calloc(p->n_modules + 1, sizeof(*x.limits));
	if (!x.limits)
		return -ENOMEM;
	str_id(&x, "");
	add_header(&x, &head);
	for (i = 0; i < p->n; i++)
		if (p->samples[i].bytes > 0)
			add_sample(&x, &p->samples[i]);
	add_mappings(&x, &head);
	pb_raw(&head, x.samples.p, x.samples.len);
	pb_raw(&head, x.locs.p, x.locs.len);
	pb_raw(&head, x.funcs.p, x.funcs.len);
	pb_raw(&head, x.strtab.p, x.strtab.len);
	if (x.oom || head.oom || x.samples.oom || x.locs.oom || x.funcs.oom ||
	    x.strtab.oom || x.tmp.oom || x.line.oom) {
		pp_free(&x);
		free(head.p);
		return -ENOMEM;
	}
	pp_free(&x);
	*out = head.p;
	*len = head.len;
	return 0;
}

static int gzip(const unsigned char *in, size_t n, unsigned char **out,
		size_t *len)
{
	z_stream z = { 0 };
	unsigned char *buf;
	uLong bound;

	/* 15 window bits + 16: a gzip header and trailer, not zlib's. */
	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	bound = deflateBound(&z, n);
	buf = malloc(bound);
	if (!buf) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (unsigned char *)in;
	z.avail_in = n;
	z.next_out = buf;
	z.avail_out = bound;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(buf);
		return -EIO;
	}
	*out = buf;
	*len = z.total_out;
	deflateEnd(&z);
	return 0;
}

int pprof_encode(const struct profile *p, unsigned char **out, size_t *len)
{
	unsigned char *raw;
	size_t n;
	int err = pprof_encode_raw(p, &raw, &n);

	if (err)
		return err;
	err = gzip(raw, n, out, len);
	free(raw);
	return err;
}
