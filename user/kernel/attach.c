// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <wordexp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "kernel/attach.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/procmaps.h"
#include "sym/elfsym.h"
#include "kernel/placement.h"
#include "kernel/uprobe_session.h"

static const char *const func_names[LT_F_NR] = {
	[LT_F_MALLOC] = "malloc",
	[LT_F_CALLOC] = "calloc",
	[LT_F_REALLOC] = "realloc",
	[LT_F_REALLOCARRAY] = "reallocarray",
	[LT_F_POSIX_MEMALIGN] = "posix_memalign",
	[LT_F_ALIGNED_ALLOC] = "aligned_alloc",
	[LT_F_MEMALIGN] = "memalign",
	[LT_F_VALLOC] = "valloc",
	[LT_F_PVALLOC] = "pvalloc",
	[LT_F_FREE] = "free",
};

/* Where libc lives when we cannot ask a running process (-c, static). */
static const char *const libc_candidates[] = {
	"/lib/x86_64-linux-gnu/libc.so.6",
	"/usr/lib/x86_64-linux-gnu/libc.so.6",
	"/lib/aarch64-linux-gnu/libc.so.6",
	"/usr/lib64/libc.so.6",
	"/lib64/libc.so.6",
	"/usr/lib/libc.so.6",
};

#define CAP_SYS_ADMIN 21
#define CAP_PERFMON   38
#define CAP_BPF	      39

static struct bpf_program *entry_prog(struct leaktrace_bpf *skel,
				      enum lt_func f)
{
	struct bpf_program *progs[LT_F_NR] = {
		[LT_F_MALLOC] = skel->progs.malloc_entry,
		[LT_F_CALLOC] = skel->progs.calloc_entry,
		[LT_F_REALLOC] = skel->progs.realloc_entry,
		[LT_F_REALLOCARRAY] = skel->progs.reallocarray_entry,
		[LT_F_POSIX_MEMALIGN] = skel->progs.posix_memalign_entry,
		[LT_F_ALIGNED_ALLOC] = skel->progs.aligned_alloc_entry,
		[LT_F_MEMALIGN] = skel->progs.memalign_entry,
		[LT_F_VALLOC] = skel->progs.valloc_entry,
		[LT_F_PVALLOC] = skel->progs.pvalloc_entry,
		[LT_F_FREE] = skel->progs.free_entry,
	};
	return progs[f];
}

static bool has_capability(int cap)
{
	unsigned long long eff = 0;
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return eff & (1ULL << cap);
}

static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

static int check_system(void)
{
	if (!has_capability(CAP_SYS_ADMIN) &&
	    !(has_capability(CAP_BPF) && has_capability(CAP_PERFMON))) {
		lt_error(
			"permission denied: tracing needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN); run it with sudo");
		return -EPERM;
	}
	if (!kernel_at_least(5, 8)) {
		lt_error(
			"kernel too old: leaktrace needs Linux 5.8 or newer with BTF");
		return -ENOTSUP;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		lt_error(
			"kernel BTF missing (/sys/kernel/btf/vmlinux): leaktrace needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return -ENOTSUP;
	}
	return 0;
}

/*
 * Since 6.1 hash maps can allocate elements at run time from tracing
 * programs; before that only preallocated maps are safe there.
 */
static void size_maps(struct leaktrace_bpf *skel, long max_stacks)
{
	if (!kernel_at_least(6, 1)) {
		bpf_map__set_max_entries(skel->maps.allocs, 1 << 18);
		bpf_map__set_max_entries(skel->maps.stacks, 1 << 13);
		bpf_map__set_max_entries(skel->maps.stats, 1 << 15);
	} else {
		bpf_map__set_map_flags(skel->maps.allocs, BPF_F_NO_PREALLOC);
		bpf_map__set_map_flags(skel->maps.stacks, BPF_F_NO_PREALLOC);
		bpf_map__set_map_flags(skel->maps.stats, BPF_F_NO_PREALLOC);
	}
	if (max_stacks)
		bpf_map__set_max_entries(skel->maps.stacks, max_stacks);
}

/*
 * Tables for --sample, at the midpoints of their buckets: -ln(u) for
 * exponential gaps, g(x) = x / (1 - exp(-x)) for block weights.
 */
static void set_sampling(struct leaktrace_bpf *skel, uint64_t period)
{
	int i;

	skel->rodata->sample_bytes = period;
	for (i = 0; i < LT_SAMPLE_TABLE; i++) {
		double u = (i + 0.5) / LT_SAMPLE_TABLE;
		double x = (i + 0.5) * LT_SAMPLE_XMAX / LT_SAMPLE_TABLE;

		skel->rodata->neglog_q16[i] = (uint32_t)(-log(u) * 65536.0);
		skel->rodata->gain_q16[i] =
			(uint32_t)(x / -expm1(-x) * 65536.0);
	}
}

static uint64_t epoch_for(uint64_t min_age_ns)
{
	uint64_t epoch = min_age_ns / 4;

	return epoch < 100000000ULL ? 100000000ULL : epoch;
}

/*
 * Uprobe sessions where the kernel has them (6.13+): one program for every
 * allocator function, returns trapped only when needed. Else one entry
 * program per function and a return program shared by all.
 */
static void choose_probe_programs(struct tracer *t)
{
	struct leaktrace_bpf *skel = t->skel;
	int f;

	t->sessions = !t->opts->no_sessions && uprobe_sessions_supported();
	skel->rodata->use_sessions = t->sessions;
	bpf_program__set_autoload(skel->progs.alloc_session, t->sessions);
	bpf_program__set_autoload(skel->progs.alloc_return, !t->sessions);
	for (f = 0; f < LT_F_NR; f++)
		bpf_program__set_autoload(entry_prog(skel, f), !t->sessions);
	if (t->sessions)
		bpf_program__set_expected_attach_type(skel->progs.alloc_session,
						      LT_ATTACH_UPROBE_SESSION);
	lt_debug("allocator probes: %s",
		 t->sessions ? "uprobe sessions, one link per library"
			     : "a uprobe and a uretprobe per function");
}

int tracer_load(struct tracer *t, const struct options *opts)
{
	int err;

	memset(t, 0, sizeof(*t));
	t->opts = opts;
	t->child_go_fd = t->child_err_fd = -1;
	err = check_system();
	if (err)
		return err;

	t->skel = leaktrace_bpf__open();
	if (!t->skel) {
		lt_error("cannot open the BPF program: %s", strerror(errno));
		return -errno;
	}
	t->skel->rodata->system_wide = !opts->n_pids && !opts->command;
	t->skel->rodata->self_tgid = getpid();
	t->skel->rodata->min_size = opts->min_size;
	t->skel->rodata->max_size = opts->max_size;
	t->skel->rodata->page_size = sysconf(_SC_PAGESIZE);
	if (opts->sample_bytes)
		set_sampling(t->skel, opts->sample_bytes);
	if (opts->min_age_ns)
		t->skel->rodata->epoch_ns = epoch_for(opts->min_age_ns);
	size_maps(t->skel, opts->max_stacks);
	choose_probe_programs(t);

	err = leaktrace_bpf__load(t->skel);
	if (err) {
		lt_error(
			"cannot load the BPF program into the kernel: %s (run with -vv for the verifier log)",
			strerror(-err));
		return err;
	}
	return 0;
}

uint64_t tracer_epoch_ns(const struct tracer *t)
{
	return t->skel->rodata->epoch_ns;
}

static void release_link(struct tracer_link *l)
{
	if (l->link)
		bpf_link__destroy(l->link);
	else
		close(l->fd);
}

/*
 * Removing a probe waits for an RCU grace period (tens of ms). Removals in
 * parallel share grace periods, so many links go in about the time of one.
 */
#define RELEASE_THREADS 32

struct release_slice {
	struct tracer_link *links;
	size_t n;
};

static void *release_slice(void *arg)
{
	struct release_slice *r = arg;
	size_t i;

	for (i = 0; i < r->n; i++)
		release_link(&r->links[i]);
	return NULL;
}

static void release_links(struct tracer_link *links, size_t n)
{
	struct release_slice slices[RELEASE_THREADS];
	pthread_t threads[RELEASE_THREADS];
	bool started[RELEASE_THREADS] = { false };
	size_t nt = n < RELEASE_THREADS ? n : RELEASE_THREADS, i, done = 0;

	for (i = 0; i < nt; i++) {
		size_t share = (n - done) / (nt - i);

		slices[i].links = links + done;
		slices[i].n = share;
		done += share;
		started[i] =
			nt > 1 && !pthread_create(&threads[i], NULL,
						  release_slice, &slices[i]);
		if (!started[i])
			release_slice(&slices[i]);
	}
	for (i = 0; i < nt; i++)
		if (started[i])
			pthread_join(threads[i], NULL);
}

/* Keep a libbpf link, or (link NULL) a link fd. */
static int keep_link(struct tracer *t, struct bpf_link *link, int fd, pid_t pid)
{
	struct tracer_link l = { .link = link, .fd = fd, .pid = pid };

	if (t->n_links == t->cap_links) {
		size_t cap = t->cap_links ? 2 * t->cap_links : 64;
		struct tracer_link *links =
			realloc(t->links, cap * sizeof(*links));

		if (!links) {
			release_link(&l);
			return -ENOMEM;
		}
		t->links = links;
		t->cap_links = cap;
	}
	t->links[t->n_links++] = l;
	return 0;
}

static bool pid_listed(const pid_t *pids, size_t n, __u32 tgid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((__u32)pids[i] == tgid)
			return true;
	return false;
}

/*
 * Keys are collected first and deleted after: deleting while walking a hash
 * map restarts the walk. Both key types start with the tgid.
 */
static long forget_in_map(int fd, size_t key_size, const pid_t *pids, size_t n)
{
	char prev[32] = { 0 }, key[32];
	char *doomed = NULL, *grown;
	size_t count = 0, cap = 0, i;
	bool first = true;

	while (!bpf_map_get_next_key(fd, first ? NULL : prev, key)) {
		first = false;
		memcpy(prev, key, key_size);
		if (!pid_listed(pids, n, *(__u32 *)key))
			continue;
		if (count == cap) {
			cap = cap ? 2 * cap : 256;
			grown = realloc(doomed, cap * key_size);
			if (!grown)
				break;
			doomed = grown;
		}
		memcpy(doomed + count++ * key_size, key, key_size);
	}
	for (i = 0; i < count; i++)
		bpf_map_delete_elem(fd, doomed + i * key_size);
	free(doomed);
	return count;
}

long tracer_forget_processes(struct tracer *t, const pid_t *pids, size_t n)
{
	struct leaktrace_bpf *skel = t->skel;
	long removed;
	size_t i;

	if (!n)
		return 0;
	removed = forget_in_map(bpf_map__fd(skel->maps.stats),
				sizeof(struct lt_stat_key), pids, n);
	removed += forget_in_map(bpf_map__fd(skel->maps.allocs),
				 sizeof(struct lt_alloc_key), pids, n);
	for (i = 0; i < n; i++) {
		__u32 key = pids[i];

		bpf_map__delete_elem(skel->maps.targets, &key, sizeof(key), 0);
	}
	return removed;
}

int tracer_attach_tracepoints(struct tracer *t)
{
	struct bpf_program *progs[] = {
		t->skel->progs.sys_enter,
		t->skel->progs.sys_exit,
		t->skel->progs.process_exit,
		t->skel->progs.process_fork,
	};
	size_t i;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_link *link = bpf_program__attach(progs[i]);
		int err = libbpf_get_error(link);

		if (err) {
			lt_error("cannot attach tracepoint %s: %s",
				 bpf_program__section_name(progs[i]),
				 strerror(-err));
			return err;
		}
		err = keep_link(t, link, -1, 0);
		if (err)
			return err;
	}
	return 0;
}

static int attach_probe(struct tracer *t, struct bpf_program *prog, bool ret,
			pid_t pid, const char *path, uint64_t offset)
{
	struct bpf_link *link;
	int err;

	link = bpf_program__attach_uprobe(prog, ret, pid, path, offset);
	err = libbpf_get_error(link);
	if (err)
		return err;
	return keep_link(t, link, -1, pid);
}

static bool lib_probed(const struct tracer *t, dev_t dev, ino_t ino, pid_t pid)
{
	size_t i;

	for (i = 0; i < t->n_libs; i++)
		if (t->libs[i].dev == dev && t->libs[i].ino == ino &&
		    (t->libs[i].pid == pid || t->libs[i].pid == -1))
			return true;
	return false;
}

static int remember_lib(struct tracer *t, const struct probed_lib *lib)
{
	if (t->n_libs == t->cap_libs) {
		size_t cap = t->cap_libs ? 2 * t->cap_libs : 8;
		struct probed_lib *libs = realloc(t->libs, cap * sizeof(*libs));

		if (!libs)
			return -ENOMEM;
		t->libs = libs;
		t->cap_libs = cap;
	}
	t->libs[t->n_libs++] = *lib;
	return 0;
}

/* CPython's object allocator, for --pymalloc. */
static const char *const pymalloc_names[LT_F_NR] = {
	[LT_F_MALLOC] = "PyObject_Malloc",
	[LT_F_CALLOC] = "PyObject_Calloc",
	[LT_F_REALLOC] = "PyObject_Realloc",
	[LT_F_FREE] = "PyObject_Free",
};

static void symbol_name(const struct tracer *t, const struct probed_lib *lib,
			enum lt_func f, char *buf, size_t len)
{
	const char *prefix = t->opts->symbol_prefix;

	if (lib->pymalloc)
		snprintf(buf, len, "%s", pymalloc_names[f] ?: "");
	else
		snprintf(buf, len, "%s%s", prefix ? prefix : "", func_names[f]);
}

/*
 * Aliases (glibc's memalign is aligned_alloc) share one address: probe it
 * once, under the first name, or one call would count twice.
 */
static void drop_aliases(uint64_t *offsets)
{
	int f, g;

	for (f = 0; f < LT_F_NR; f++)
		for (g = 0; g < f; g++)
			if (offsets[f] && offsets[f] == offsets[g])
				offsets[f] = 0;
}

/* Argument registers (rdi, rsi, rdx) each entry program reads. */
static const int func_nargs[LT_F_NR] = {
	[LT_F_MALLOC] = 1,	   [LT_F_CALLOC] = 2,
	[LT_F_REALLOC] = 2,	   [LT_F_REALLOCARRAY] = 3,
	[LT_F_POSIX_MEMALIGN] = 3, [LT_F_ALIGNED_ALLOC] = 2,
	[LT_F_MEMALIGN] = 2,	   [LT_F_VALLOC] = 1,
	[LT_F_PVALLOC] = 1,	   [LT_F_FREE] = 1,
};

/*
 * Move each probe from the function's entry to the first instruction the
 * kernel emulates, where the stack pointer and the arguments are still
 * those of the entry (see placement.h); offsets[f] becomes that place.
 */
static void place_probes(const struct tracer *t, const struct probed_lib *lib,
			 uint64_t *offsets, struct placement *where)
{
	struct placement found[LT_F_NR];
	uint64_t entries[LT_F_NR];
	int nargs[LT_F_NR], f, err;
	size_t n = 0, i;

	for (f = 0; f < LT_F_NR; f++) {
		memset(&where[f], 0, sizeof(where[f]));
		where[f].entry = where[f].offset = offsets[f];
		snprintf(where[f].reason, sizeof(where[f].reason),
			 "entry, --no-placement");
		if (offsets[f]) {
			entries[n] = offsets[f];
			nargs[n++] = func_nargs[f];
		}
	}
	if (t->opts->no_placement)
		return;
	err = probe_placements(lib->path, entries, nargs, n, found);
	for (f = 0, i = 0; f < LT_F_NR; f++) {
		if (!offsets[f])
			continue;
		where[f] = found[i++];
		if (err) {
			where[f].insn[0] = '\0';
			snprintf(where[f].reason, sizeof(where[f].reason),
				 "entry, cannot read the code: %s",
				 strerror(-err));
		}
		offsets[f] = where[f].offset;
	}
}

static int find_offsets(const struct tracer *t, const struct probed_lib *lib,
			uint64_t *offsets, struct placement *where)
{
	char names[LT_F_NR][128];
	const char *ptrs[LT_F_NR];
	int f, err;

	for (f = 0; f < LT_F_NR; f++) {
		symbol_name(t, lib, f, names[f], sizeof(names[f]));
		ptrs[f] = names[f];
	}
	err = elf_function_offsets(lib->path, ptrs, LT_F_NR, offsets);
	if (err)
		return err;
	if (!offsets[LT_F_MALLOC] || !offsets[LT_F_FREE])
		return -ENOENT;
	drop_aliases(offsets);
	place_probes(t, lib, offsets, where);
	return 0;
}

/*
 * Classic probes, one link each. Return probes first: a call caught between
 * the two is a return without entry, which is counted and ignored; the
 * other order would leave a pending entry that never returns.
 */
static int attach_classic(struct tracer *t, const struct probed_lib *lib,
			  const uint64_t *offsets, int *failed)
{
	int f, err;

	for (f = 0; f < LT_F_NR; f++) {
		if (!offsets[f] || f == LT_F_FREE)
			continue;
		*failed = f;
		err = attach_probe(t, t->skel->progs.alloc_return, true,
				   lib->pid, lib->path, offsets[f]);
		if (err)
			return err;
	}
	for (f = 0; f < LT_F_NR; f++) {
		if (!offsets[f])
			continue;
		*failed = f;
		err = attach_probe(t, entry_prog(t->skel, f), false, lib->pid,
				   lib->path, offsets[f]);
		if (err)
			return err;
	}
	return 0;
}

/* Sessions: every function of the library in one link, cookie = function. */
static int attach_session(struct tracer *t, const struct probed_lib *lib,
			  const uint64_t *offsets)
{
	uint64_t where[LT_F_NR], cookies[LT_F_NR];
	size_t n = 0;
	int f, fd;

	for (f = 0; f < LT_F_NR; f++) {
		if (!offsets[f])
			continue;
		where[n] = offsets[f];
		cookies[n++] = f;
	}
	fd = uprobe_session_attach(
		bpf_program__fd(t->skel->progs.alloc_session), lib->path, where,
		cookies, n, lib->pid);
	if (fd < 0)
		return fd;
	return keep_link(t, NULL, fd, lib->pid);
}

static void describe_probes(const struct tracer *t, struct probed_lib *lib,
			    const uint64_t *offsets,
			    const struct placement *where)
{
	char name[128], how[256];
	int f;

	for (f = 0; f < LT_F_NR; f++) {
		symbol_name(t, lib, f, name, sizeof(name));
		if (!offsets[f]) {
			lt_debug("%s: no %s of its own, not probed", lib->path,
				 name);
			continue;
		}
		lib->n_probes++;
		placement_describe(&where[f], how, sizeof(how));
		lt_debug("probe %s at %s+0x%llx%s (%s)", name, lib->path,
			 (unsigned long long)offsets[f],
			 f == LT_F_FREE ? ""
			 : t->sessions	? ", session"
					: ", entry and return",
			 how);
	}
}

static void attach_failed(const struct tracer *t, const struct probed_lib *lib,
			  int f, int err)
{
	char name[128] = "the allocator functions";

	if (!t->sessions)
		symbol_name(t, lib, f, name, sizeof(name));
	lt_error(
		"cannot attach %s to %s in %s: %s%s",
		t->sessions ? "uprobe session" : "uprobe", name, lib->path,
		strerror(-err),
		err == -EINVAL
			? " (another tracer, e.g. memleak-bpfcc, may hold a probe with a reference counter there)"
			: "");
}

static int attach_allocator(struct tracer *t, struct probed_lib *lib)
{
	struct placement where[LT_F_NR];
	uint64_t offsets[LT_F_NR];
	int failed = 0, err;

	err = find_offsets(t, lib, offsets, where);
	if (err == -ENOENT) {
		lt_error(
			"%s has no %smalloc/%sfree symbols: is it the allocator? (see --lib, --symbol-prefix)",
			lib->path, t->opts->symbol_prefix ?: "",
			t->opts->symbol_prefix ?: "");
		return err;
	}
	if (err) {
		lt_error("cannot read %s: %s", lib->path, strerror(-err));
		return err;
	}
	if (t->sessions)
		err = attach_session(t, lib, offsets);
	else
		err = attach_classic(t, lib, offsets, &failed);
	if (err) {
		/* A target that just exited is reported once, by the caller. */
		if (lib->pid > 0 && !proc_alive(lib->pid))
			return -ESRCH;
		attach_failed(t, lib, failed, err);
		return err;
	}
	describe_probes(t, lib, offsets, where);
	return remember_lib(t, lib);
}

static bool is_libc_name(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "libc.so", 7) ||
	       (!strncmp(base, "libc-", 5) && strstr(base, ".so"));
}

static bool same_file(const struct map_entry *e, const struct stat *st)
{
	return e->inode == st->st_ino && e->dev_major == major(st->st_dev) &&
	       e->dev_minor == minor(st->st_dev);
}

/* The mapping of the allocator library in one process's maps. */
static const struct map_entry *find_allocator(const struct tracer *t,
					      const struct map_entry *maps,
					      size_t n,
					      const struct stat *lib_st)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!maps[i].executable || !maps[i].inode)
			continue;
		if (lib_st ? same_file(&maps[i], lib_st)
			   : is_libc_name(maps[i].path))
			return &maps[i];
	}
	return NULL;
}

/*
 * Path through which the probes reach the file this process maps: its root
 * (containers), or map_files when the file was replaced on disk.
 */
static int mapped_file_path(pid_t pid, const struct map_entry *e, char *out,
			    size_t len, struct stat *st)
{
	proc_root_path(pid, e->path, out, len);
	if (!stat(out, st) && same_file(e, st))
		return 0;
	snprintf(out, len, "/proc/%d/map_files/%llx-%llx", pid,
		 (unsigned long long)e->start, (unsigned long long)e->end);
	if (!stat(out, st))
		return 0;
	return -errno;
}

static int stat_lib_option(const struct tracer *t, struct stat *st)
{
	int fd = open(t->opts->lib, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, st)) {
		int err = -errno;

		lt_error("cannot read --lib %s: %s", t->opts->lib,
			 strerror(-err));
		if (fd >= 0)
			close(fd);
		return err;
	}
	close(fd);
	return 0;
}

static int probe_process_allocator(struct tracer *t, pid_t pid, pid_t filter,
				   bool quiet)
{
	struct stat lib_st, st;
	struct map_entry *maps = NULL;
	const struct map_entry *e;
	struct probed_lib lib = { .pid = filter };
	size_t n = 0;
	int err;

	if (t->opts->lib && (err = stat_lib_option(t, &lib_st)))
		return err;
	err = procmaps_read(pid, &maps, &n);
	if (err)
		return err;
	e = find_allocator(t, maps, n, t->opts->lib ? &lib_st : NULL);
	if (!e) {
		free(maps);
		if (quiet)
			return 0;
		lt_error(
			"process %d does not map %s: nothing to probe (statically linked? try --lib /proc/%d/exe)",
			pid, t->opts->lib ?: "libc", pid);
		return -ENOENT;
	}
	err = mapped_file_path(pid, e, lib.path, sizeof(lib.path), &st);
	free(maps);
	if (err)
		return err;
	lib.dev = st.st_dev;
	lib.ino = st.st_ino;
	if (lib_probed(t, lib.dev, lib.ino, filter))
		return 0;
	return attach_allocator(t, &lib);
}

static int add_target(struct tracer *t, pid_t pid)
{
	__u32 key = pid;
	__u8 one = 1;

	return bpf_map__update_elem(t->skel->maps.targets, &key, sizeof(key),
				    &one, sizeof(one), BPF_ANY);
}

int tracer_add_pid(struct tracer *t, pid_t pid)
{
	int err;

	if (!proc_alive(pid)) {
		lt_error("no process with PID %d (check the PID with ps)", pid);
		return -ESRCH;
	}
	err = add_target(t, pid);
	if (!err)
		err = probe_process_allocator(t, pid, pid, false);
	if (err && !proc_alive(pid)) {
		lt_error("process %d exited while leaktrace was attaching",
			 pid);
		return -ESRCH;
	}
	if (err == -EACCES || err == -EPERM)
		lt_error("cannot read /proc/%d/maps: %s", pid, strerror(-err));
	else if (err && err != -ENOENT && err > -4096)
		lt_error("cannot attach to process %d: %s", pid,
			 strerror(-err));
	return err;
}

int tracer_add_child(struct tracer *t, pid_t child)
{
	/* The child may already be gone; that is no error. */
	return probe_process_allocator(t, child, child, true);
}

int tracer_follow(struct tracer *t, pid_t pid)
{
	int err = add_target(t, pid);

	return err ? err : probe_process_allocator(t, pid, pid, true);
}

/* Move the links of pids to the end of t->links; returns how many. */
static size_t gather_links(struct tracer *t, const pid_t *pids, size_t n)
{
	size_t i, kept = 0, doomed = 0;
	struct tracer_link l;

	for (i = 0; i < t->n_links; i++) {
		l = t->links[i];
		if (l.pid > 0 && pid_listed(pids, n, l.pid)) {
			doomed++;
			continue;
		}
		t->links[i] = t->links[kept];
		t->links[kept++] = l;
	}
	return doomed;
}

void tracer_release_probes(struct tracer *t, const pid_t *pids, size_t n)
{
	size_t doomed = gather_links(t, pids, n), i, kept = 0;

	t->n_links -= doomed;
	release_links(t->links + t->n_links, doomed);
	for (i = 0; i < t->n_libs; i++)
		if (!pid_listed(pids, n, t->libs[i].pid))
			t->libs[kept++] = t->libs[i];
	t->n_libs = kept;
}

void tracer_drop_pid(struct tracer *t, pid_t pid)
{
	tracer_release_probes(t, &pid, 1);
	tracer_forget_processes(t, &pid, 1);
	bpf_map__delete_elem(t->skel->maps.py_procs, &pid, sizeof(pid), 0);
}

int tracer_attach_pymalloc(struct tracer *t, pid_t pid, const char *path)
{
	struct probed_lib lib = { .pid = pid, .pymalloc = true };
	struct stat st;

	proc_root_path(pid, path, lib.path, sizeof(lib.path));
	if (stat(lib.path, &st))
		return -errno;
	lib.dev = st.st_dev;
	lib.ino = st.st_ino;
	return attach_allocator(t, &lib);
}

int tracer_set_python(struct tracer *t, pid_t pid,
		      const struct lt_py_config *config)
{
	__u32 key = pid;

	return bpf_map__update_elem(t->skel->maps.py_procs, &key, sizeof(key),
				    config, sizeof(*config), BPF_ANY);
}

int tracer_attach_all(struct tracer *t)
{
	DIR *dir = opendir("/proc");
	struct dirent *d;
	int attached = 0;

	if (!dir) {
		lt_error("cannot read /proc: %s", strerror(errno));
		return -errno;
	}
	while ((d = readdir(dir))) {
		pid_t pid = atoi(d->d_name);
		size_t before = t->n_libs;

		if (pid <= 0)
			continue;
		/* Processes come and go: only hard errors matter here. */
		if (probe_process_allocator(t, pid, -1, true) == -ENOMEM) {
			closedir(dir);
			return -ENOMEM;
		}
		attached += t->n_libs > before;
	}
	closedir(dir);
	if (!t->n_libs) {
		lt_error("found no process mapping %s", t->opts->lib ?: "libc");
		return -ENOENT;
	}
	return attached;
}

/* ---- -c: run a command traced from its first instruction ------------- */

static int search_path(const char *cmd, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;

	if (strchr(cmd, '/')) {
		snprintf(out, len, "%s", cmd);
		return access(out, X_OK) ? -errno : 0;
	}
	copy = strdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	if (!copy)
		return -ENOMEM;
	for (dir = strtok_r(copy, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", *dir ? dir : ".", cmd);
		if (!access(out, X_OK)) {
			free(copy);
			return 0;
		}
	}
	free(copy);
	return -ENOENT;
}

/* The libc a new command will load: ours, else a standard location. */
static int host_libc(char *out, size_t len)
{
	struct map_entry *maps = NULL;
	size_t i, n = 0;

	if (!procmaps_read(getpid(), &maps, &n)) {
		for (i = 0; i < n; i++) {
			if (maps[i].inode && is_libc_name(maps[i].path)) {
				snprintf(out, len, "%s", maps[i].path);
				free(maps);
				return 0;
			}
		}
		free(maps);
	}
	for (i = 0; i < sizeof(libc_candidates) / sizeof(*libc_candidates);
	     i++) {
		if (!access(libc_candidates[i], R_OK)) {
			snprintf(out, len, "%s", libc_candidates[i]);
			return 0;
		}
	}
	return -ENOENT;
}

static void run_child(const char *path, char **argv, int go_fd, int err_fd)
{
	char go;
	int err;

	/* Wait until the probes are in place; EOF means leaktrace failed. */
	if (read(go_fd, &go, 1) != 1)
		_exit(127);
	execv(path, argv);
	err = errno;
	if (write(err_fd, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

static int probe_child(struct tracer *t, pid_t pid)
{
	struct probed_lib lib = { .pid = pid };
	struct stat st;
	int err;

	if (t->opts->lib)
		snprintf(lib.path, sizeof(lib.path), "%s", t->opts->lib);
	else if (host_libc(lib.path, sizeof(lib.path))) {
		lt_error("cannot find libc.so.6 to probe; use --lib PATH");
		return -ENOENT;
	}
	if (stat(lib.path, &st)) {
		err = -errno;
		lt_error("cannot read %s%s: %s", t->opts->lib ? "--lib " : "",
			 lib.path, strerror(-err));
		return err;
	}
	lib.dev = st.st_dev;
	lib.ino = st.st_ino;
	err = add_target(t, pid);
	return err ? err : attach_allocator(t, &lib);
}

int tracer_spawn(struct tracer *t)
{
	int go[2], errp[2], err;
	char path[4096];
	wordexp_t we;
	pid_t pid;

	if (wordexp(t->opts->command, &we, WRDE_NOCMD) || !we.we_wordc) {
		lt_error(
			"cannot parse -c \"%s\": give a command and its arguments",
			t->opts->command);
		return -EINVAL;
	}
	err = search_path(we.we_wordv[0], path, sizeof(path));
	if (err) {
		lt_error("cannot run %s: %s", we.we_wordv[0],
			 err == -ENOENT ? "command not found" : strerror(-err));
		wordfree(&we);
		return err;
	}
	if (pipe2(go, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
		wordfree(&we);
		return -errno;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		lt_error("fork: %s", strerror(-err));
		wordfree(&we);
		return err;
	}
	if (pid == 0)
		run_child(path, we.we_wordv, go[0], errp[1]);
	wordfree(&we);
	close(go[0]);
	close(errp[1]);
	t->child = pid;
	t->child_go_fd = go[1];
	t->child_err_fd = errp[0];
	return probe_child(t, pid);
}

int tracer_release_child(struct tracer *t)
{
	int child_errno = 0;
	ssize_t n;

	if (write(t->child_go_fd, "g", 1) != 1)
		return -errno;
	close(t->child_go_fd);
	t->child_go_fd = -1;
	/* Close-on-exec makes this read return 0 once exec succeeded. */
	n = read(t->child_err_fd, &child_errno, sizeof(child_errno));
	close(t->child_err_fd);
	t->child_err_fd = -1;
	if (n == sizeof(child_errno)) {
		lt_error("cannot run %s: %s", t->opts->command,
			 strerror(child_errno));
		return -child_errno;
	}
	return 0;
}

void tracer_destroy(struct tracer *t)
{
	release_links(t->links, t->n_links);
	free(t->links);
	t->links = NULL;
	t->n_links = t->cap_links = 0;
	free(t->libs);
	t->libs = NULL;
	t->n_libs = 0;
	if (t->child_go_fd >= 0)
		close(t->child_go_fd); /* an unreleased child exits */
	if (t->child_err_fd >= 0)
		close(t->child_err_fd);
	t->child_go_fd = t->child_err_fd = -1;
	leaktrace_bpf__destroy(t->skel);
	t->skel = NULL;
}
