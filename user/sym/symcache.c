// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/keyhash.h"
#include "sym/debuginfo.h"
#include "sym/elffile.h"
#include "lib/log.h"
#include "sym/demangle.h"
#include "sym/symcache.h"

#define BUILD_ID_MAX ELFFILE_BUILD_ID_MAX
#define MAX_INLINE   32 /* function scopes kept per address */
#define IDLE_MAX     32 /* modules no process maps, kept for the next */

/* A separate file of debug info: found early, handed to libdwfl late. */
struct debug_file {
	int fd;
	char *path;
};

struct sc_module {
	struct symcache *cache;
	struct sc_module *next;
	int refs;
	uint64_t idle_tick; /* when the last reference went, for eviction */
	char *name;
	unsigned char id[BUILD_ID_MAX];
	size_t id_len;
	char id_hex[2 * BUILD_ID_MAX + 1];
	struct stat st; /* identity of modules without build-id */
	Dwfl *dwfl;
	Dwfl_Module *mod;
	struct elf_loads loads; /* for load biases */
	struct debug_file debug;
	char *alt_name; /* .gnu_debugaltlink (dwz) of the debug info */
	unsigned char alt_id[BUILD_ID_MAX];
	size_t alt_id_len;
	struct debug_file alt;
	struct hashmap syms; /* module address -> struct sc_entry */
};

/* A resolved address; strings point into libdw's data of the module. */
struct sc_entry {
	struct sym_frames sf;
	struct frame_sym f[];
};

struct symcache {
	struct sc_module *modules;
	size_t n_idle;
	uint64_t tick;
	struct symcache_stats stats;
};

static const struct frame_sym unknown_sym = {
	.name = "", .mangled = "", .file = "", .module = "", .build_id = ""
};
static const struct sym_frames unknown_frames = { 1, &unknown_sym };

static int find_debuginfo_cb(Dwfl_Module *mod, void **userdata,
			     const char *modname, GElf_Addr base,
			     const char *file_name, const char *debuglink,
			     GElf_Word crc, char **debuginfo_file_name);

static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = find_debuginfo_cb,
	.section_address = dwfl_offline_section_address,
};

struct symcache *symcache_new(void)
{
	elf_version(EV_CURRENT);
	return calloc(1, sizeof(struct symcache));
}

void symcache_get_stats(const struct symcache *c, struct symcache_stats *st)
{
	size_t n = 0;
	const struct sc_module *m;

	for (m = c->modules; m; m = m->next)
		n++;
	*st = c->stats;
	st->modules = n;
}

static void debug_file_close(struct debug_file *d)
{
	if (d->fd >= 0)
		close(d->fd);
	free(d->path);
	d->fd = -1;
	d->path = NULL;
}

static void module_destroy(struct sc_module *m)
{
	keyhash_clear(&m->syms, free);
	if (m->dwfl)
		dwfl_end(m->dwfl);
	debug_file_close(&m->debug);
	debug_file_close(&m->alt);
	free(m->alt_name);
	free(m->name);
	free(m);
}

void symcache_free(struct symcache *c)
{
	struct sc_module *m, *next;

	if (!c)
		return;
	for (m = c->modules; m; m = next) {
		next = m->next;
		module_destroy(m);
	}
	free(c);
}

/* ---- opening a module ------------------------------------------------ */

static bool has_section(Elf *elf, const char *name)
{
	GElf_Shdr sh;

	return elffile_section(elf, name, &sh) && sh.sh_type != SHT_NOBITS;
}

/* .gnu_debugaltlink: a dwz file holding what several debug files share. */
static void read_altlink(struct sc_module *m, Elf *elf)
{
	GElf_Shdr sh;
	Elf_Scn *scn = elffile_section(elf, ".gnu_debugaltlink", &sh);
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	const char *name;
	size_t len;

	if (!d || !d->d_size)
		return;
	name = d->d_buf;
	len = strnlen(name, d->d_size);
	if (len + 1 >= d->d_size)
		return;
	m->alt_id_len = d->d_size - len - 1;
	if (m->alt_id_len > BUILD_ID_MAX)
		m->alt_id_len = BUILD_ID_MAX;
	memcpy(m->alt_id, name + len + 1, m->alt_id_len);
	m->alt_name = strndup(name, len);
}

static void find_alt(struct sc_module *m, const char *root)
{
	struct debug_want w = { .id = m->alt_id, .id_len = m->alt_id_len };
	char path[4200];

	if (!m->alt_name || !m->alt_id_len)
		return;
	m->alt.fd = debuginfo_find_local(root, NULL, &w, &m->alt.path);
	if (m->alt.fd >= 0 || m->alt_name[0] != '/')
		return;
	/* The name dwz wrote: absolute, in the process's root first. */
	snprintf(path, sizeof(path), "%s%s", root, m->alt_name);
	m->alt.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (m->alt.fd < 0 && root[0]) {
		snprintf(path, sizeof(path), "%s", m->alt_name);
		m->alt.fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (m->alt.fd >= 0 && !debuginfo_matches(m->alt.fd, &w))
		debug_file_close(&m->alt);
	else if (m->alt.fd >= 0)
		m->alt.path = strdup(path);
}

/* The debug info in another file: dwz alt file of whichever has DWARF. */
static void altlink_of_fd(struct sc_module *m, int fd, const char *root)
{
	struct elf_file f;

	if (elffile_from_fd(fd, &f))
		return;
	read_altlink(m, f.elf);
	elffile_close(&f);
	find_alt(m, root);
}

static void find_debug(struct sc_module *m, Elf *elf, int fd, const char *path,
		       const char *root)
{
	struct debug_want w = { .id = m->id,
				.id_len = m->id_len,
				.main_st = &m->st };

	if (has_section(elf, ".debug_info")) {
		read_altlink(m, elf);
		find_alt(m, root);
		return;
	}
	w.link = dwelf_elf_gnu_debuglink(elf, &w.crc);
	m->debug.fd = debuginfo_find_local(root, path, &w, &m->debug.path);
	if (m->debug.fd < 0)
		return;
	lt_debug("%s: debug info in %s", path, m->debug.path);
	altlink_of_fd(m, m->debug.fd, root);
}

static bool same_module(const struct sc_module *m, const unsigned char *id,
			size_t id_len, const struct stat *st)
{
	if (id_len || m->id_len)
		return m->id_len == id_len && !memcmp(m->id, id, id_len);
	return m->st.st_dev == st->st_dev && m->st.st_ino == st->st_ino &&
	       m->st.st_size == st->st_size &&
	       m->st.st_mtim.tv_sec == st->st_mtim.tv_sec &&
	       m->st.st_mtim.tv_nsec == st->st_mtim.tv_nsec;
}

static struct sc_module *find_module(struct symcache *c, Elf *elf,
				     const struct stat *st)
{
	unsigned char id[BUILD_ID_MAX];
	size_t len = elffile_build_id(elf, id);
	struct sc_module *m;

	for (m = c->modules; m; m = m->next)
		if (same_module(m, id, len, st))
			return sc_module_get(m);
	return NULL;
}

static int report_to_dwfl(struct sc_module *m, int fd, const char *path,
			  const char *opened)
{
	void **userdata;

	m->dwfl = dwfl_begin(&callbacks);
	if (!m->dwfl)
		return -ENOMEM;
	dwfl_report_begin(m->dwfl);
	/* At its own addresses (bias 0): one module serves every process. */
	m->mod = dwfl_report_elf(m->dwfl, path, opened, fd, 0, true);
	dwfl_report_end(m->dwfl, NULL, NULL);
	if (!m->mod) {
		lt_debug("cannot load symbols of %s: %s", path,
			 dwfl_errmsg(-1));
		return -ENOEXEC;
	}
	/* libdwfl owns fd from here on; its callbacks find m. */
	dwfl_module_info(m->mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
	*userdata = m;
	return 0;
}

static struct sc_module *new_module(struct symcache *c, Elf *elf, int fd,
				    const char *path, const char *root)
{
	struct sc_module *m = calloc(1, sizeof(*m));
	const char *base = strrchr(path, '/');

	if (!m)
		return NULL;
	m->cache = c;
	m->refs = 1;
	keyhash_u64_init(&m->syms);
	m->debug.fd = m->alt.fd = -1;
	m->name = strdup(base ? base + 1 : path);
	m->id_len = elffile_build_id(elf, m->id);
	elffile_build_id_hex(m->id, m->id_len, m->id_hex, sizeof(m->id_hex));
	if (!m->name || fstat(fd, &m->st) || elffile_loads(elf, &m->loads)) {
		module_destroy(m);
		return NULL;
	}
	find_debug(m, elf, fd, path, root);
	return m;
}

struct sc_module *symcache_module(struct symcache *c, int fd, const char *path,
				  const char *root)
{
	struct sc_module *m = NULL;
	struct elf_file f;
	char opened[64];
	struct stat st;

	if (elffile_from_fd(fd, &f))
		goto fail;
	if (fstat(fd, &st))
		goto fail;
	m = find_module(c, f.elf, &st);
	if (m)
		goto fail; /* known: this fd is not needed */
	m = new_module(c, f.elf, fd, path, root);
	elffile_close(&f);
	snprintf(opened, sizeof(opened), "/proc/self/fd/%d", fd);
	if (!m || report_to_dwfl(m, fd, path, opened)) {
		if (m)
			module_destroy(m);
		close(fd);
		return NULL;
	}
	m->next = c->modules;
	c->modules = m;
	return m;
fail:
	elffile_close(&f);
	close(fd);
	return m;
}

/* ---- references ------------------------------------------------------ */

struct sc_module *sc_module_get(struct sc_module *m)
{
	if (m && !m->refs++)
		m->cache->n_idle--;
	return m;
}

static void unlink_module(struct symcache *c, struct sc_module *m)
{
	struct sc_module **pp;

	for (pp = &c->modules; *pp; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			return;
		}
}

/*
 * The last process mapping a module is gone: keep it a while, the next
 * process of the same program (a restarted worker) will want it. Only
 * symcache_trim() closes it, so frames already looked up stay valid.
 */
void sc_module_put(struct sc_module *m)
{
	if (!m || --m->refs)
		return;
	m->idle_tick = ++m->cache->tick;
	m->cache->n_idle++;
}

/* Close the modules idle the longest, beyond IDLE_MAX. */
void symcache_trim(struct symcache *c)
{
	while (c->n_idle > IDLE_MAX) {
		struct sc_module *m, *oldest = NULL;

		for (m = c->modules; m; m = m->next)
			if (!m->refs &&
			    (!oldest || m->idle_tick < oldest->idle_tick))
				oldest = m;
		if (!oldest)
			return;
		unlink_module(c, oldest);
		c->n_idle--;
		module_destroy(oldest);
	}
}

const char *sc_module_name(const struct sc_module *m)
{
	return m->name;
}

int sc_module_bias(struct sc_module *m, uint64_t start, uint64_t off,
		   uint64_t *bias)
{
	return elffile_bias(&m->loads, start, off, bias);
}

/* ---- debug info on demand -------------------------------------------- */

static int hand_over(struct debug_file *d, char **name)
{
	int fd = d->fd;

	*name = d->path;
	d->fd = -1;
	d->path = NULL;
	return fd;
}

/* A debug file from debuginfod may name a dwz file too. */
static int fetch_debug(struct sc_module *m, char **name)
{
	int fd = debuginfo_fetch(m->id, m->id_len, name);

	if (fd >= 0 && !m->alt_name)
		altlink_of_fd(m, fd, "");
	return fd;
}

/*
 * libdwfl wants the debug file (or, with the dwz name as debuglink, the
 * alt file). Local files were found when the module was opened; only
 * debuginfod is asked now, when a printed stack needs it.
 */
static int find_debuginfo_cb(Dwfl_Module *mod, void **userdata,
			     const char *modname, GElf_Addr base,
			     const char *file_name, const char *debuglink,
			     GElf_Word crc, char **debuginfo_file_name)
{
	struct sc_module *m = *userdata;

	*debuginfo_file_name = NULL;
	if (!m)
		return -1;
	if (m->alt_name && debuglink && !strcmp(debuglink, m->alt_name)) {
		if (m->alt.fd >= 0)
			return hand_over(&m->alt, debuginfo_file_name);
		return debuginfo_fetch(m->alt_id, m->alt_id_len,
				       debuginfo_file_name);
	}
	if (m->debug.fd >= 0)
		return hand_over(&m->debug, debuginfo_file_name);
	return fetch_debug(m, debuginfo_file_name);
}

/* ---- resolving ------------------------------------------------------- */

static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;

	/* Inlined instances name their function through DW_AT_abstract_origin. */
	if (dwarf_attr_integrate(die, DW_AT_name, &a))
		return dwarf_formstring(&a);
	return NULL;
}

static bool is_function(Dwarf_Die *die)
{
	int tag = dwarf_tag(die);

	return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine;
}

/* Where an inlined function was called from. */
static void call_site(Dwarf_Die *cu, Dwarf_Die *inl, const char **file,
		      unsigned int *line)
{
	Dwarf_Files *files;
	Dwarf_Attribute a;
	Dwarf_Word idx = 0, l = 0;
	size_t nfiles;

	*file = "";
	*line = 0;
	if (dwarf_attr(inl, DW_AT_call_line, &a) && !dwarf_formudata(&a, &l))
		*line = l;
	if (dwarf_attr(inl, DW_AT_call_file, &a) &&
	    !dwarf_formudata(&a, &idx) &&
	    !dwarf_getsrcfiles(cu, &files, &nfiles) && idx < nfiles)
		*file = dwarf_filesrc(files, idx, NULL, NULL) ?: "";
}

/* Does the unit say which addresses it holds (ranges, or low/high pc)? */
static bool cu_has_ranges(Dwarf_Die *cu)
{
	Dwarf_Addr base, start, end;

	return dwarf_ranges(cu, 0, &base, &start, &end) > 0;
}

/*
 * The compile unit holding pc. libdwfl (0.188) takes the last address
 * range that starts below pc even across a gap, and finds no unit in a
 * file without .debug_aranges: Go's units have none, so Go functions got
 * a C file's line (cgo) or none (static). A unit that says which
 * addresses it holds must hold pc; else each unit is tried.
 */
static bool cu_at(struct sc_module *m, Dwarf_Addr pc, Dwarf_Addr *bias,
		  Dwarf_Die *out)
{
	Dwarf_Die *cu = dwfl_module_addrdie(m->mod, pc, bias);

	if (cu && (dwarf_haspc(cu, pc - *bias) > 0 || !cu_has_ranges(cu))) {
		*out = *cu;
		return true;
	}
	for (cu = NULL; (cu = dwfl_module_nextcu(m->mod, cu, bias));) {
		if (dwarf_haspc(cu, pc - *bias) > 0) {
			*out = *cu;
			return true;
		}
	}
	return false;
}

/*
 * The function scopes at pc (dwarf address), innermost first, up to the
 * real function. dwarf_getscopes() follows an inlined function to its
 * abstract definition; the chain of callers is that of the innermost
 * concrete DIE.
 */
static size_t function_scopes(Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die *out,
			      size_t max)
{
	Dwarf_Die *chain = NULL, *scopes;
	int i, n;
	size_t k = 0;

	n = dwarf_getscopes(cu, pc, &scopes);
	if (n <= 0)
		return 0;
	n = dwarf_getscopes_die(&scopes[0], &chain);
	free(scopes);
	for (i = 0; i < n && k < max; i++) {
		if (!is_function(&chain[i]))
			continue;
		out[k++] = chain[i];
		if (dwarf_tag(&chain[i]) == DW_TAG_subprogram)
			break;
	}
	if (n > 0)
		free(chain);
	return k;
}

static void source_line(Dwarf_Die *cu, Dwarf_Addr pc, const char **file,
			unsigned int *line)
{
	Dwarf_Line *l = dwarf_getsrc_die(cu, pc);
	int lineno = 0;

	*file = "";
	*line = 0;
	if (!l)
		return;
	*file = dwarf_linesrc(l, NULL, NULL) ?: "";
	if (!dwarf_lineno(l, &lineno) && lineno > 0)
		*line = lineno;
}

/* The containing function: the symbol table first, DWARF without one. */
static void outer_name(struct sc_module *m, Dwarf_Die *fn, Dwarf_Addr pc,
		       Dwarf_Addr bias, struct frame_sym *f)
{
	GElf_Off off = 0;
	GElf_Sym sym;
	Dwarf_Addr low;
	const char *name =
		dwfl_module_addrinfo(m->mod, pc, &off, &sym, NULL, NULL, NULL);

	if (name) {
		f->name = demangle_name(name);
		f->mangled = f->name != name ? name : "";
		f->offset = off + 1;
		return;
	}
	if (!fn || !(name = die_name(fn)))
		return;
	f->name = name;
	if (!dwarf_lowpc(fn, &low) && low + bias <= pc)
		f->offset = pc + 1 - (low + bias);
}

static struct sc_entry *resolve(struct sc_module *m, uint64_t rel)
{
	Dwarf_Die cu, fns[MAX_INLINE];
	Dwarf_Addr pc = rel - 1, bias = 0;
	bool have_cu = cu_at(m, pc, &bias, &cu);
	size_t n =
		have_cu ? function_scopes(&cu, pc - bias, fns, MAX_INLINE) : 0;
	size_t nf = n ? n : 1, i;
	struct sc_entry *e = calloc(1, sizeof(*e) + nf * sizeof(e->f[0]));
	const char *file = "";
	unsigned int line = 0;

	if (!e)
		return NULL;
	e->sf.n = nf;
	e->sf.f = e->f;
	if (have_cu)
		source_line(&cu, pc - bias, &file, &line);
	for (i = 0; i < nf; i++) {
		struct frame_sym *f = &e->f[i];
		bool inl = i < n &&
			   dwarf_tag(&fns[i]) == DW_TAG_inlined_subroutine;

		f->name = (i < n ? die_name(&fns[i]) : NULL) ?: "";
		f->mangled = "";
		f->file = file;
		f->line = line;
		f->inlined = inl && i + 1 < nf;
		f->module = m->name;
		f->module_offset = rel;
		f->build_id = m->id_hex;
		/* The next frame out is at the call of this inlined one. */
		if (inl)
			call_site(&cu, &fns[i], &file, &line);
	}
	outer_name(m, n ? &fns[n - 1] : NULL, pc, bias, &e->f[nf - 1]);
	m->cache->stats.resolved++;
	return e;
}

const struct sym_frames *sc_module_lookup(struct sc_module *m, uint64_t rel)
{
	struct sc_entry *e = keyhash_get(&m->syms, rel);

	if (e) {
		m->cache->stats.cache_hits++;
		return &e->sf;
	}
	if (!rel)
		return &unknown_frames;
	e = resolve(m, rel);
	if (!e)
		return &unknown_frames;
	if (hashmap__add(&m->syms, rel, e)) {
		free(e);
		return &unknown_frames;
	}
	return &e->sf;
}
