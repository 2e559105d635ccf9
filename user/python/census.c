// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Finding a CPython process's GC state and taking censuses of it. Offsets
 * verified with gdb on the interpreters here (see the shared notes).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lib/log.h"
#include "lib/procmaps.h"
#include "lib/target_mem.h"
#include "python/census_priv.h"
#include "python/python.h"
#include "sym/elfsym.h"

#define GENS_IN_GC   24	 /* generations[3] in struct _gc_runtime_state */
#define PERM_IN_GC   104 /* permanent_generation */
#define GEN_SIZE     24	 /* struct gc_generation */
#define MAX_OBJECTS  (64ull << 20)
#define MAX_WALK_NS  (3ull * 1000000000ull)
#define MAX_COPY     (256u << 20) /* bytes of the local copy */
#define DEBUG_COOKIE "xdebugpy"
/* Holder scan bounds: referents checked, time, items per container, and
 * (container, type) pairs counted one by one (40 B each, twice over). */
#define HOLDER_REFS  (64ull << 20)
#define HOLDER_NS    (1000000000ull)
#define HOLDER_ITEMS (1ull << 22)
#define HOLDER_PAIRS (1ull << 16)

/* _PyRuntime.interpreters.main, and gc in PyInterpreterState; 3.8: gc in
 * _PyRuntime itself. 3.13 reads both from _Py_DebugOffsets. */
static const struct {
	int minor;
	uint32_t runtime_gc, main_interp, interp_gc;
} gc_places[] = {
	{ 8, 344, 0, 0 },   { 9, 0, 40, 616 },	{ 10, 0, 40, 616 },
	{ 11, 0, 48, 648 }, { 12, 0, 48, 112 },
};

/* 3.13 _Py_DebugOffsets: free_threaded, runtime_state.interpreters_head,
 * interpreter_state.gc. */
#define DBG_FREE_THREADED 16
#define DBG_INTERP_HEAD	  40
#define DBG_INTERP_GC	  80

static int read_u64(pid_t pid, uint64_t addr, uint64_t *v)
{
	return target_read(pid, addr, v, sizeof(*v));
}

/* 3.13+: where the debug offsets say; -1 when absent or not usable. */
static int gc_from_debug_offsets(pid_t pid, uint64_t runtime, uint64_t *gc)
{
	uint64_t ft, head_off, gc_off, interp;
	char cookie[8];

	if (target_read(pid, runtime, cookie, sizeof(cookie)) ||
	    memcmp(cookie, DEBUG_COOKIE, sizeof(cookie)))
		return -1;
	if (read_u64(pid, runtime + DBG_FREE_THREADED, &ft) ||
	    read_u64(pid, runtime + DBG_INTERP_HEAD, &head_off) ||
	    read_u64(pid, runtime + DBG_INTERP_GC, &gc_off))
		return -1;
	if (ft) {
		lt_warn("pid %d: free-threaded CPython build: --objects is not supported (its objects are on no GC list)",
			pid);
		return -2;
	}
	if (head_off > (1 << 20) || gc_off > (1 << 20) ||
	    read_u64(pid, runtime + head_off, &interp) || !interp)
		return -1;
	*gc = interp + gc_off;
	return 0;
}

static int gc_state(pid_t pid, const struct py_interp *in, uint64_t *gc)
{
	uint64_t interp;
	size_t i;

	if (in->minor >= 13)
		return gc_from_debug_offsets(pid, in->runtime, gc);
	for (i = 0; i < sizeof(gc_places) / sizeof(gc_places[0]); i++) {
		if (gc_places[i].minor != in->minor)
			continue;
		if (gc_places[i].runtime_gc) {
			*gc = in->runtime + gc_places[i].runtime_gc;
			return 0;
		}
		if (read_u64(pid, in->runtime + gc_places[i].main_interp,
			     &interp) ||
		    !interp)
			return -1;
		*gc = interp + gc_places[i].interp_gc;
		return 0;
	}
	return -1;
}

static int type_type_address(const struct py_interp *in, uint64_t *addr)
{
	static const char *const names[] = { "_PyRuntime", "PyType_Type" };
	uint64_t a[2];

	if (elf_symbol_addresses(in->path, names, 2, a) || !a[0] || !a[1])
		return -1;
	*addr = a[1] + (in->runtime - a[0]);
	return 0;
}

/* Each list head must point at readable, aligned memory. */
static bool heads_look_valid(pid_t pid, const struct census_gc_layout *l)
{
	int g;

	for (g = 0; g < CENSUS_GENS; g++) {
		uint64_t link[2], probe;
		int k;

		if (target_read(pid, l->heads[g], link, sizeof(link)))
			return false;
		for (k = 0; k < 2; k++) {
			uint64_t p = link[k] & ~3ull;

			if (!p || p & 7 || read_u64(pid, p, &probe))
				return false;
		}
	}
	return true;
}

struct py_census *census_new(pid_t pid)
{
	struct py_interp in;
	struct py_census *c;
	uint64_t gc = 0;
	int g, err;

	if (py_detect(pid, &in) != 1)
		return NULL;
	err = gc_state(pid, &in, &gc);
	if (err == -2)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->pid = pid;
	c->minor = in.minor;
	c->py.minor = in.minor;
	c->py.str_type = in.unicode_type;
	c->py.ascii_data = in.layout->ascii_header;
	/* PyHeapTypeObject.ht_cached_keys: sizes the values arrays. */
	c->py.cached_keys = in.minor == 11 ? 872 : in.minor == 12 ? 880 : 0;
	for (g = 0; g < 3; g++)
		c->layout.heads[g] = gc + GENS_IN_GC + (uint64_t)g * GEN_SIZE;
	c->layout.heads[3] = gc + PERM_IN_GC;
	if (err || type_type_address(&in, &c->layout.type_type) ||
	    !heads_look_valid(pid, &c->layout)) {
		lt_warn("pid %d: CPython 3.%d's GC state does not look valid: no object census",
			pid, in.minor);
		return c;
	}
	c->usable = true;
	return c;
}

void census_free(struct py_census *c)
{
	if (!c)
		return;
	census_rows_free(&c->rows);
	census_holders_free(&c->holders);
	free(c);
}

static struct census_range *readable_ranges(pid_t pid, size_t *n)
{
	struct map_entry *maps = NULL;
	struct census_range *r;
	size_t i, k = 0, count = 0;

	if (procmaps_read(pid, &maps, &count))
		return NULL;
	r = malloc((count ? count : 1) * sizeof(*r));
	for (i = 0; r && i < count; i++) {
		/* [vvar] and device mappings fault or have side effects. */
		if (!maps[i].readable || !strcmp(maps[i].path, "[vvar]") ||
		    !strncmp(maps[i].path, "/dev/", 5))
			continue;
		r[k].start = maps[i].start;
		r[k].end = maps[i].end;
		k++;
	}
	free(maps);
	*n = k;
	return r;
}

static void keep_results(struct py_census *c, const struct census_walk *w,
			 const struct census_mem *m)
{
	size_t i;

	c->objects = w->objects;
	c->skipped = w->skipped;
	c->reread = w->reread;
	c->torn = w->torn;
	c->gens_incomplete = w->gens_incomplete;
	c->stop = w->stop;
	c->elapsed_ms = w->elapsed_ns / 1e6;
	c->types = 0;
	for (i = 0; i < w->n_types; i++)
		c->types += w->types[i].valid && w->types[i].count;
	census_mem_stats(m, &c->mem);
	c->total_incomplete += w->gens_incomplete ? 1 : 0;
	c->total_skipped += w->skipped;
}

static bool picked(const char *const *names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

/*
 * The types whose holders are looked for: those that grew most since the
 * last census, then (a quiet interval) those that grew most since attach.
 */
static size_t pick_types(const struct census_rows *r, const char **names)
{
	const struct census_row *rows[HOLDER_TYPES];
	size_t n = census_rows_ranked(r, rows, HOLDER_TYPES), k = 0, i;

	for (i = 0; i < n; i++)
		if (census_row_growth(rows[i]) > 0)
			names[k++] = rows[i]->name;
	while (k < HOLDER_TYPES) {
		const struct census_row *best = NULL;

		for (i = 0; i < r->n; i++) {
			const struct census_row *row = &r->rows[i];

			if (census_row_since_attach(row) > 0 &&
			    (!best || census_row_since_attach(row) >
					      census_row_since_attach(best)) &&
			    !picked(names, k, row->name))
				best = row;
		}
		if (!best)
			break;
		names[k++] = best->name;
	}
	return k;
}

/* The referrers of the types that grew most. */
static void find_holders(struct py_census *c, const struct census_walk *w,
			 struct census_mem *m)
{
	static const struct census_holder_limits lim = { HOLDER_REFS, HOLDER_NS,
							 HOLDER_ITEMS,
							 HOLDER_PAIRS };
	const char *names[HOLDER_TYPES];
	size_t k;

	census_holders_free(&c->holders);
	k = pick_types(&c->rows, names);
	if (!k)
		return;
	if (census_holders_find(&c->holders, w, m, &c->py, names, k, &lim))
		lt_warn("pid %d: out of memory for the holders of objects",
			c->pid);
}

/* This thread's CPU time: what one census costs leaktrace. */
static double thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void census_take(struct py_census *c)
{
	struct census_limits lim = { MAX_OBJECTS, MAX_WALK_NS };
	struct census_walk w;
	struct census_range *ranges;
	struct census_mem *m = NULL;
	struct census_src src;
	double cpu0;
	size_t n = 0;

	if (!c || !c->usable)
		return;
	cpu0 = thread_cpu_ms();
	src = census_src_process(&c->pid);
	ranges = readable_ranges(c->pid, &n);
	if (ranges)
		m = census_mem_new(&src, ranges, n, MAX_COPY);
	free(ranges);
	if (!m)
		return; /* the process is gone, or no memory */
	census_walk_init(&w);
	census_walk_run(&w, m, &c->layout, &lim);
	if (census_rows_update(&c->rows, &w))
		lt_warn("pid %d: out of memory for census rows", c->pid);
	find_holders(c, &w, m);
	keep_results(c, &w, m);
	census_walk_free(&w);
	census_mem_free(m);
	c->cpu_ms = thread_cpu_ms() - cpu0;
	lt_debug("pid %d: census of %" PRIu64
		 " objects in %.1f ms, holders in %.1f ms, %" PRIu64
		 " reads of %" PRIu64 " KiB; %.1f ms of CPU",
		 c->pid, c->objects, c->elapsed_ms, c->holders.elapsed_ns / 1e6,
		 c->mem.syscalls, c->mem.bytes_read >> 10, c->cpu_ms);
}

void census_losses(const struct py_census *c, uint64_t *incomplete,
		   uint64_t *skipped)
{
	*incomplete = c ? c->total_incomplete : 0;
	*skipped = c ? c->total_skipped : 0;
}
