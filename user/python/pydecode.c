// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Naming Python frames: code objects, strings and line tables read from the
 * traced process with process_vm_readv. All of it is untrusted input: every
 * length is bounded, every object's type is checked when the interpreter
 * exports its type objects, and anything odd yields "[unknown python]".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "python/pylines.h"
#include "python/python.h"
#include "lib/keyhash.h"
#include "lib/target_mem.h"
#include "lib/vec.h"

#define MAX_NAME    255	       /* characters of a name or file we read */
#define MAX_TABLE   (64 << 10) /* bytes of a line table */
#define CODE_HEADER 256	       /* bytes of a code object we read */

struct code_info {
	uint64_t code;
	uint64_t fingerprint; /* of the header fields that never change */
	uint32_t gen;	      /* how many code objects we saw at code before */
	bool valid;
	int firstlineno;
	char name[400];
	char file[512];
	uint8_t *table;
	size_t table_len;
};

/* A named frame: its key (code object, generation, position) and name. */
struct sym_slot {
	uint64_t code;
	uint32_t gen, pos;
	struct py_sym sym;
};

struct py_decoder {
	pid_t pid;
	struct py_interp interp;
	struct code_info *codes;
	size_t n_codes, cap_codes;
	struct hashmap slots; /* struct sym_slot * -> itself */
};

static size_t slot_hash(long key, void *ctx)
{
	const struct sym_slot *s = (const struct sym_slot *)key;

	return s->code ^ ((uint64_t)s->pos << 40) ^ s->gen;
}

static bool slot_equal(long a, long b, void *ctx)
{
	const struct sym_slot *x = (const struct sym_slot *)a;
	const struct sym_slot *y = (const struct sym_slot *)b;

	return x->code == y->code && x->pos == y->pos && x->gen == y->gen;
}

struct py_decoder *py_decoder_new(pid_t pid, const struct py_interp *interp)
{
	struct py_decoder *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->pid = pid;
	d->interp = *interp;
	hashmap__init(&d->slots, slot_hash, slot_equal, NULL);
	return d;
}

void py_decoder_free(struct py_decoder *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n_codes; i++)
		free(d->codes[i].table);
	keyhash_clear(&d->slots, free);
	free(d->codes);
	free(d);
}

static uint64_t u64_at(const uint8_t *b, uint32_t off)
{
	uint64_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

static uint32_t u32_at(const uint8_t *b, uint32_t off)
{
	uint32_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

static bool has_type(const struct py_decoder *d, const uint8_t *obj,
		     uint64_t type)
{
	return !type || u64_at(obj, 8) == type; /* ob_type */
}

/* Append one code point as UTF-8; false when out of room. */
static bool put_utf8(char *out, size_t len, size_t *n, uint32_t c)
{
	char tmp[4];
	size_t k, w;

	if (c < 0x80) {
		tmp[0] = c;
		w = 1;
	} else if (c < 0x800) {
		tmp[0] = 0xc0 | c >> 6;
		tmp[1] = 0x80 | (c & 0x3f);
		w = 2;
	} else if (c < 0x10000) {
		tmp[0] = 0xe0 | c >> 12;
		tmp[1] = 0x80 | ((c >> 6) & 0x3f);
		tmp[2] = 0x80 | (c & 0x3f);
		w = 3;
	} else if (c < 0x110000) {
		tmp[0] = 0xf0 | c >> 18;
		tmp[1] = 0x80 | ((c >> 12) & 0x3f);
		tmp[2] = 0x80 | ((c >> 6) & 0x3f);
		tmp[3] = 0x80 | (c & 0x3f);
		w = 4;
	} else {
		tmp[0] = '?';
		w = 1;
	}
	if (*n + w >= len)
		return false;
	for (k = 0; k < w; k++)
		out[(*n)++] = tmp[k];
	return true;
}

static uint32_t code_point(const uint8_t *data, int kind, size_t i)
{
	if (kind == 1)
		return data[i];
	if (kind == 2)
		return data[2 * i] | data[2 * i + 1] << 8;
	return u32_at(data, 4 * i);
}

/* A compact str object (every identifier and file name is one). */
static int read_str(const struct py_decoder *d, uint64_t addr, char *out,
		    size_t len)
{
	const struct py_layout *l = d->interp.layout;
	uint8_t hdr[80], data[4 * MAX_NAME];
	uint32_t state;
	int64_t chars;
	size_t i, n = 0;
	int kind;

	if (target_read(d->pid, addr, hdr, sizeof(hdr)) ||
	    !has_type(d, hdr, d->interp.unicode_type))
		return -EINVAL;
	chars = (int64_t)u64_at(hdr, 16);
	state = u32_at(hdr, 32);
	kind = (state >> 2) & 7;
	if (chars < 0 || !((state >> 5) & 1) ||
	    (kind != 1 && kind != 2 && kind != 4))
		return -EINVAL;
	if (chars > MAX_NAME)
		chars = MAX_NAME;
	addr += (state >> 6) & 1 ? l->ascii_header : l->compact_header;
	if (chars && target_read(d->pid, addr, data, chars * kind))
		return -EFAULT;
	for (i = 0; i < (size_t)chars; i++)
		if (!put_utf8(out, len, &n, code_point(data, kind, i)))
			break;
	out[n] = '\0';
	return 0;
}

/* A bytes object: the line table. */
static int read_bytes(const struct py_decoder *d, uint64_t addr, uint8_t **out,
		      size_t *len)
{
	uint8_t hdr[32];
	int64_t size;

	if (target_read(d->pid, addr, hdr, sizeof(hdr)) ||
	    !has_type(d, hdr, d->interp.bytes_type))
		return -EINVAL;
	size = (int64_t)u64_at(hdr, 16); /* ob_size */
	if (size < 0 || size > MAX_TABLE)
		return -EINVAL;
	*out = malloc(size ? size : 1);
	if (!*out)
		return -ENOMEM;
	/* Data follows ob_shash, 32 bytes in. */
	if (size && target_read(d->pid, addr + 32, *out, size)) {
		free(*out);
		*out = NULL;
		return -EFAULT;
	}
	*len = size;
	return 0;
}

/* Where import paths end: what follows is the dotted module name. */
static const char *after_import_root(const char *file)
{
	static const char *const roots[] = { "/site-packages/",
					     "/dist-packages/" };
	const char *p, *lib;
	size_t i;

	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		p = strstr(file, roots[i]);
		if (p)
			return p + strlen(roots[i]);
	}
	/* The standard library: .../lib/python3.X/module.py */
	lib = strstr(file, "/lib/python3.");
	if (lib && (p = strchr(lib + 13, '/')))
		return p + 1;
	p = strrchr(file, '/');
	return p ? p + 1 : file;
}

/* "/usr/lib/python3/dist-packages/flask/app.py" -> "flask.app" */
static void module_name(const char *file, char *out, size_t len)
{
	const char *rel = after_import_root(file);
	size_t i, n = strlen(rel);

	if (n > 3 && !strcmp(rel + n - 3, ".py"))
		n -= 3;
	if (n > 9 && !strncmp(rel + n - 9, "/__init__", 9))
		n -= 9;
	snprintf(out, len, "%.*s", (int)n, rel);
	for (i = 0; out[i]; i++)
		if (out[i] == '/')
			out[i] = '.';
}

static uint32_t name_offset(const struct py_layout *l)
{
	return l->code_qualname != LT_PY_NO_OFFSET ? l->code_qualname
						   : l->code_name;
}

/* What tells two code objects at one address apart. */
static uint64_t code_fingerprint(const struct py_decoder *d, const uint8_t *hdr)
{
	const struct py_layout *l = d->interp.layout;
	uint64_t h = u32_at(hdr, l->code_argcount);

	h = lt_mix64(h ^ ((uint64_t)u32_at(hdr, l->code_flags) << 32));
	h = lt_mix64(h ^ u32_at(hdr, l->code_firstlineno));
	h = lt_mix64(h ^ u64_at(hdr, l->code_filename));
	return lt_mix64(h ^ u64_at(hdr, name_offset(l)));
}

static void load_code(const struct py_decoder *d, struct code_info *ci)
{
	const struct py_layout *l = d->interp.layout;
	uint32_t name_off = name_offset(l);
	uint8_t hdr[CODE_HEADER];
	char qualname[256], module[128];

	if (target_read(d->pid, ci->code, hdr, sizeof(hdr)) ||
	    !has_type(d, hdr, d->interp.code_type))
		return;
	ci->fingerprint = code_fingerprint(d, hdr);
	ci->firstlineno = (int)u32_at(hdr, l->code_firstlineno);
	if (read_str(d, u64_at(hdr, l->code_filename), ci->file,
		     sizeof(ci->file)) ||
	    read_str(d, u64_at(hdr, name_off), qualname, sizeof(qualname)))
		return;
	if (read_bytes(d, u64_at(hdr, l->code_linetable), &ci->table,
		       &ci->table_len))
		return;
	module_name(ci->file, module, sizeof(module));
	snprintf(ci->name, sizeof(ci->name), "%s.%s", module, qualname);
	ci->valid = true;
}

/* The newest code_info at code, or NULL. */
static struct code_info *find_code(struct py_decoder *d, uint64_t code)
{
	size_t i;

	for (i = d->n_codes; i-- > 0;)
		if (d->codes[i].code == code)
			return &d->codes[i];
	return NULL;
}

static struct code_info *add_code(struct py_decoder *d, uint64_t code,
				  uint32_t gen)
{
	struct code_info *ci;

	if (VEC_ROOM(&d->codes, &d->n_codes, &d->cap_codes))
		return NULL;
	ci = &d->codes[d->n_codes++];
	memset(ci, 0, sizeof(*ci));
	ci->code = code;
	ci->gen = gen;
	load_code(d, ci);
	return ci;
}

static struct code_info *code_info(struct py_decoder *d, uint64_t code)
{
	struct code_info *ci = find_code(d, code);

	return ci ? ci : add_code(d, code, 0);
}

void py_decoder_recheck(struct py_decoder *d, uint64_t code)
{
	struct code_info *ci = find_code(d, code);
	uint8_t hdr[CODE_HEADER];

	if (!ci || target_read(d->pid, code, hdr, sizeof(hdr)) ||
	    !has_type(d, hdr, d->interp.code_type))
		return;
	if (!ci->valid || code_fingerprint(d, hdr) != ci->fingerprint)
		add_code(d, code, ci->gen + 1);
}

static int line_of(const struct py_decoder *d, const struct code_info *ci,
		   uint32_t pos)
{
	const struct py_layout *l = d->interp.layout;

	if (l->pos_is_pointer) {
		if (pos < l->code_adaptive)
			return -1;
		return py_line_locations(ci->table, ci->table_len,
					 ci->firstlineno,
					 (pos - l->code_adaptive) / 2);
	}
	if (l->minor >= 10)
		return py_line_linetable(ci->table, ci->table_len,
					 ci->firstlineno, pos * 2);
	return py_line_lnotab(ci->table, ci->table_len, ci->firstlineno, pos);
}

static void fill_sym(const struct py_decoder *d, const struct code_info *ci,
		     uint32_t pos, struct py_sym *sym)
{
	if (!ci->valid) {
		snprintf(sym->name, sizeof(sym->name), "[unknown python]");
		sym->file[0] = '\0';
		sym->line = -1;
		return;
	}
	snprintf(sym->name, sizeof(sym->name), "%s", ci->name);
	snprintf(sym->file, sizeof(sym->file), "%s", ci->file);
	sym->line = line_of(d, ci, pos);
}

const struct py_sym *py_decode(struct py_decoder *d,
			       const struct lt_py_frame *f)
{
	static struct py_sym unknown = { "[unknown python]", "", -1 };
	struct code_info *ci = code_info(d, f->code);
	struct sym_slot want, *s = NULL;

	if (!ci)
		return &unknown;
	want.code = f->code;
	want.pos = f->pos;
	want.gen = ci->gen;
	if (hashmap__find(&d->slots, &want, &s))
		return &s->sym;
	s = malloc(sizeof(*s));
	if (!s)
		return &unknown;
	*s = want;
	fill_sym(d, ci, f->pos, &s->sym);
	if (hashmap__add(&d->slots, s, s)) {
		free(s);
		return &unknown;
	}
	return &s->sym;
}
