// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "lib/keyhash.h"
#include "lib/monotime.h"
#include "lib/log.h"
#include "sym/perfmap.h"
#include "lib/proc.h"
#include "lib/procmaps.h"
#include "sym/symcache.h"
#include "sym/symbolize.h"

#define PERFMAP_RETRY_NS 1000000000ULL /* between tries to open it */
#define MAX_RANGES	 4096	       /* code ranges kept per process */
#define REREAD_NS	 1000000000ULL /* between unplanned reads of maps */

/* Code the process maps: a module, or anonymous memory ("[anon]"). */
struct sym_range {
	uint64_t start, end, offset, inode;
	uint64_t bias;
	struct sc_module *mod; /* NULL: no ELF file to read */
	char label[64];	       /* module name when mod is NULL */
};

/* A frame outside modules: JIT code or anonymous memory. */
struct anon_entry {
	unsigned int gen; /* of the perf map it was named with */
	char module[64];
	struct frame_sym f;
	struct sym_frames sf;
};

struct symbolizer {
	pid_t pid;
	uint64_t start_time; /* not a later process with the same PID */
	uint64_t read_ns;    /* when its maps were last read */
	char root[32];
	struct symcache *cache;
	struct sym_range *ranges; /* sorted by start, not overlapping */
	size_t n;
	struct perfmap perf;
	char perf_name[64];
	uint64_t perf_tried_ns;
	struct hashmap anon; /* address -> struct anon_entry */
};

static const struct frame_sym unknown_sym = {
	.name = "", .mangled = "", .file = "", .module = "", .build_id = ""
};
static const struct sym_frames unknown_frames = { 1, &unknown_sym };

/* The PID the process knows itself by (inside its PID namespace). */
static pid_t ns_pid(pid_t pid)
{
	char value[256], *p = value, *end;
	pid_t last = pid;
	long v;

	if (proc_status_field(pid, "NSpid", value, sizeof(value)))
		return pid;
	/* The last field is the innermost namespace. */
	while ((v = strtol(p, &end, 10)) > 0 && end != p) {
		last = v;
		p = end;
	}
	return last;
}

/* In clock ticks since boot; 0 if gone. */
static uint64_t start_time(pid_t pid)
{
	struct proc_stat st;

	return proc_read_stat(pid, &st) ? 0 : st.start_time;
}

struct symbolizer *symbolizer_new(struct symcache *cache, pid_t pid)
{
	struct symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->pid = pid;
	s->cache = cache;
	keyhash_u64_init(&s->anon);
	snprintf(s->root, sizeof(s->root), "/proc/%d/root", pid);
	s->start_time = start_time(pid);
	snprintf(s->perf_name, sizeof(s->perf_name), "perf-%d.map",
		 ns_pid(pid));
	perfmap_init(&s->perf);
	return s;
}

static void free_ranges(struct sym_range *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sc_module_put(r[i].mod);
	free(r);
}

void symbolizer_free(struct symbolizer *s)
{
	if (!s)
		return;
	free_ranges(s->ranges, s->n);
	keyhash_clear(&s->anon, free);
	perfmap_free(&s->perf);
	free(s);
}

/* ---- what the process maps ------------------------------------------- */

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static void file_range(struct symbolizer *s, const struct map_entry *e,
		       struct sym_range *r)
{
	char path[4200];
	int fd = proc_open_mapped(s->pid, e, path, sizeof(path));

	snprintf(r->label, sizeof(r->label), "%.63s", base_name(e->path));
	if (fd < 0) {
		lt_debug("pid %d: cannot open %s: %s", s->pid, e->path,
			 strerror(errno));
		return;
	}
	r->mod = symcache_module(s->cache, fd, e->path, s->root);
	if (r->mod && sc_module_bias(r->mod, e->start, e->offset, &r->bias)) {
		sc_module_put(r->mod);
		r->mod = NULL;
	}
}

static const struct sym_range *same_range(const struct symbolizer *s,
					  const struct map_entry *e)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->ranges[i].start == e->start &&
		    s->ranges[i].end == e->end &&
		    s->ranges[i].offset == e->offset &&
		    s->ranges[i].inode == e->inode)
			return &s->ranges[i];
	return NULL;
}

static void make_range(struct symbolizer *s, const struct map_entry *e,
		       struct sym_range *r)
{
	const struct sym_range *old = same_range(s, e);

	if (old) {
		*r = *old;
		sc_module_get(r->mod);
		return;
	}
	memset(r, 0, sizeof(*r));
	r->start = e->start;
	r->end = e->end;
	r->offset = e->offset;
	r->inode = e->inode;
	if (e->inode && e->path[0] == '/')
		file_range(s, e, r);
	else
		snprintf(r->label, sizeof(r->label), "%.63s",
			 e->path[0] ? e->path : "[anon]");
}

static bool overlaps_any(const struct sym_range *r, const struct sym_range *set,
			 size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (r->start < set[i].end && set[i].start < r->end)
			return true;
	return false;
}

static int by_start(const void *a, const void *b)
{
	const struct sym_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Old code stays nameable unless new code took its place. */
static size_t keep_old(struct symbolizer *s, struct sym_range *fresh, size_t n)
{
	size_t i, kept = n;

	for (i = 0; i < s->n; i++) {
		if (overlaps_any(&s->ranges[i], fresh, n) ||
		    kept >= MAX_RANGES) {
			sc_module_put(s->ranges[i].mod);
			continue;
		}
		fresh[kept++] = s->ranges[i];
	}
	return kept;
}

static void open_perfmap(struct symbolizer *s)
{
	char path[128];
	int fd;

	if (s->perf.fd >= 0) {
		perfmap_update(&s->perf);
		return;
	}
	s->perf_tried_ns = monotime_ns();
	/* Once the process is gone its PID may name another one. */
	if (!s->start_time || start_time(s->pid) != s->start_time)
		return;
	snprintf(path, sizeof(path), "%s/tmp/%s", s->root, s->perf_name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	s->perf.fd = fd;
	perfmap_update(&s->perf);
	lt_debug("pid %d: JIT symbols from /tmp/%s", s->pid, s->perf_name);
}

static int read_ranges(struct symbolizer *s)
{
	struct map_entry *maps = NULL;
	struct sym_range *fresh;
	size_t i, n = 0, nf = 0;
	int err = procmaps_read(s->pid, &maps, &n);

	if (err)
		return err;
	fresh = calloc(n + s->n + 1, sizeof(*fresh));
	if (!fresh) {
		free(maps);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		if (maps[i].executable)
			make_range(s, &maps[i], &fresh[nf++]);
	free(maps);
	nf = keep_old(s, fresh, nf);
	free(s->ranges);
	s->ranges = fresh;
	s->n = nf;
	qsort(s->ranges, s->n, sizeof(*s->ranges), by_start);
	s->read_ns = monotime_ns();
	open_perfmap(s);
	return 0;
}

int symbolizer_refresh(struct symbolizer *s)
{
	int err = read_ranges(s);

	symcache_trim(s->cache);
	return err;
}

/* ---- naming addresses ------------------------------------------------ */

static const struct sym_range *find_range(const struct symbolizer *s,
					  uint64_t addr)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < s->ranges[mid].start)
			hi = mid;
		else if (addr >= s->ranges[mid].end)
			lo = mid + 1;
		else
			return &s->ranges[mid];
	}
	return NULL;
}

/* JIT code may be written to the map after the last look at it. */
static void update_jit(struct symbolizer *s)
{
	if (s->perf.fd >= 0)
		perfmap_update(&s->perf);
	else if (monotime_ns() - s->perf_tried_ns > PERFMAP_RETRY_NS)
		open_perfmap(s);
}

static void name_anon(struct symbolizer *s, uint64_t addr,
		      const struct sym_range *r, struct anon_entry *a)
{
	const struct perfmap_entry *jit =
		s->perf.fd >= 0 ? perfmap_find(&s->perf, addr - 1) : NULL;

	memset(&a->f, 0, sizeof(a->f));
	a->f.name = "";
	a->f.mangled = "";
	a->f.file = "";
	a->f.build_id = "";
	a->f.module = a->module;
	a->gen = s->perf.gen;
	a->sf.n = 1;
	a->sf.f = &a->f;
	a->f.jit = jit != NULL;
	a->f.anon = !jit;
	if (jit) {
		/* Names stay allocated as long as the perf map is. */
		a->f.name = jit->name;
		a->f.offset = addr - jit->start;
		snprintf(a->module, sizeof(a->module), "%s", s->perf_name);
	} else if (r) {
		snprintf(a->module, sizeof(a->module), "%s", r->label);
		a->f.module_offset =
			addr - r->start + (r->inode ? r->offset : 0);
	} else {
		a->module[0] = '\0';
		a->f.module_offset = addr;
	}
}

/* Named again whenever the perf map changed: JIT code gets replaced. */
static const struct sym_frames *lookup_anon(struct symbolizer *s, uint64_t addr,
					    const struct sym_range *r)
{
	struct anon_entry *a;

	update_jit(s);
	a = keyhash_get(&s->anon, addr);
	if (a && a->gen == s->perf.gen)
		return &a->sf;
	if (!a) {
		a = calloc(1, sizeof(*a));
		if (!a)
			return &unknown_frames;
		if (hashmap__add(&s->anon, addr, a)) {
			free(a);
			return &unknown_frames;
		}
	}
	name_anon(s, addr, r, a);
	return &a->sf;
}

/*
 * Code nobody told us about (an exec without mmap events, a static
 * program run with -c): read the maps again while the process lives.
 * Modules are not closed here: frames of this report point into them.
 */
static const struct sym_range *find_or_reread(struct symbolizer *s,
					      uint64_t addr)
{
	const struct sym_range *r = find_range(s, addr);
	uint64_t now = monotime_ns();

	if (r || now - s->read_ns < REREAD_NS || !s->start_time ||
	    start_time(s->pid) != s->start_time)
		return r;
	read_ranges(s);
	s->read_ns = now;
	return find_range(s, addr);
}

const struct sym_frames *symbolizer_lookup(struct symbolizer *s, uint64_t addr)
{
	const struct sym_range *r;

	if (!addr)
		return &unknown_frames;
	r = find_or_reread(s, addr - 1);
	if (r && r->mod)
		return sc_module_lookup(r->mod, addr - r->bias);
	return lookup_anon(s, addr, r);
}

/* ---- text ------------------------------------------------------------ */

char *frame_sym_short(const struct frame_sym *f, char *buf, size_t len)
{
	if (f->name[0])
		snprintf(buf, len, "%s", f->name);
	else if (f->module[0])
		snprintf(buf, len, "%s+0x%llx", f->module,
			 (unsigned long long)f->module_offset);
	else
		snprintf(buf, len, "[unknown]");
	return buf;
}

char *frame_sym_text(const struct frame_sym *f, char *buf, size_t len)
{
	size_t used;

	if (f->name[0] && !f->inlined)
		snprintf(buf, len, "%s+0x%llx", f->name,
			 (unsigned long long)f->offset);
	else
		frame_sym_short(f, buf, len);
	used = strlen(buf);
	if (f->file[0] && f->line && used < len)
		used += snprintf(buf + used, len - used, " (%s:%u)",
				 base_name(f->file), f->line);
	if (f->name[0] && f->module[0] && used < len)
		used += snprintf(buf + used, len - used, " [%s]", f->module);
	if (f->inlined && used < len)
		snprintf(buf + used, len - used, " (inlined)");
	return buf;
}
