// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "kernel/allocator.h"
#include "kernel/arch.h"
#include "kernel/kmaps.h"
#include "kernel/links.h"
#include "kernel/loader.h"
#include "kernel/placement.h"
#include "kernel/probes.h"
#include "kernel/uprobe_session.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/procmaps.h"
#include "sym/elfsym.h"
#include "lib/vec.h"

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
	"/lib/" ARCH_MULTIARCH "/libc.so.6",
	"/usr/lib/" ARCH_MULTIARCH "/libc.so.6",
	"/usr/lib64/libc.so.6",
	"/lib64/libc.so.6",
	"/usr/lib/libc.so.6",
};

static int attach_probe(struct tracer *t, struct bpf_program *prog, bool ret,
			pid_t pid, const char *path, uint64_t offset)
{
	struct bpf_link *link;
	int err;

	link = bpf_program__attach_uprobe(prog, ret, pid, path, offset);
	err = libbpf_get_error(link);
	if (err)
		return err;
	return links_keep(t, link, -1, pid);
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
	if (VEC_ROOM(&t->libs, &t->n_libs, &t->cap_libs))
		return -ENOMEM;
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
 * The order probes go live in, so that no block can be recorded whose free
 * would be missed: free first, then realloc (it frees too), then the
 * functions that only allocate. A block is only recorded once its free is
 * seen; what the window misses is a free_unknown, never a false leak.
 */
static const enum lt_func attach_order[LT_F_NR] = {
	LT_F_FREE,   LT_F_REALLOC,	  LT_F_REALLOCARRAY,  LT_F_MALLOC,
	LT_F_CALLOC, LT_F_POSIX_MEMALIGN, LT_F_ALIGNED_ALLOC, LT_F_MEMALIGN,
	LT_F_VALLOC, LT_F_PVALLOC,
};

/*
 * Classic probes, one link each, in attach_order; for each function the
 * return probe first: a call caught between the two is a return without
 * entry, which is counted and ignored; the other order would leave a
 * pending entry that never returns.
 */
static int attach_classic(struct tracer *t, const struct probed_lib *lib,
			  const uint64_t *offsets, int *failed)
{
	int i, err;

	for (i = 0; i < LT_F_NR; i++) {
		enum lt_func f = attach_order[i];

		if (!offsets[f])
			continue;
		*failed = f;
		if (f != LT_F_FREE) {
			err = attach_probe(t, loader_return_prog(t), true,
					   lib->pid, lib->path, offsets[f]);
			if (err)
				return err;
		}
		err = attach_probe(t, loader_entry_prog(t, f), false, lib->pid,
				   lib->path, offsets[f]);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Sessions: free's entry program on a link of its own, first, then every
 * other function of the library in one link, cookie = function; the
 * kernel registers them in array order, so attach_order holds too.
 */
static int attach_session(struct tracer *t, const struct probed_lib *lib,
			  const uint64_t *offsets)
{
	uint64_t where[LT_F_NR], cookies[LT_F_NR], free_cookie = LT_F_FREE;
	size_t n = 0;
	int i, f, fd, err;

	if (offsets[LT_F_FREE]) {
		fd = uprobe_session_attach_entries(
			bpf_program__fd(loader_entry_prog(t, LT_F_FREE)),
			lib->path, &offsets[LT_F_FREE], &free_cookie, 1,
			lib->pid);
		err = fd < 0 ? fd : links_keep(t, NULL, fd, lib->pid);
		if (err)
			return err;
	}
	for (i = 0; i < LT_F_NR; i++) {
		f = attach_order[i];
		if (!offsets[f] || f == LT_F_FREE)
			continue;
		where[n] = offsets[f];
		cookies[n++] = f;
	}
	fd = uprobe_session_attach(loader_session_prog_fd(t), lib->path, where,
				   cookies, n, lib->pid);
	if (fd < 0)
		return fd;
	return links_keep(t, NULL, fd, lib->pid);
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
	if (err && lib->pid > 0 && !proc_alive(lib->pid))
		return -ESRCH; /* its files went with it */
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
		if (lib_st ? procmaps_same_file(&maps[i], lib_st->st_dev,
						lib_st->st_ino)
			   : is_libc_name(maps[i].path))
			return &maps[i];
	}
	return NULL;
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

/* No --lib: the module that serves malloc, as the dynamic linker binds it. */
static int probe_found_allocator(struct tracer *t, pid_t pid, pid_t filter,
				 bool quiet)
{
	struct probed_lib lib = { .pid = filter };
	struct allocator_pick pick;
	int err = allocator_pick_process(pid, quiet, &pick);

	if (err || !pick.found)
		return err;
	snprintf(lib.path, sizeof(lib.path), "%s", pick.path);
	lib.dev = pick.dev;
	lib.ino = pick.ino;
	if (lib_probed(t, lib.dev, lib.ino, filter))
		return 0;
	err = attach_allocator(t, &lib);
	/* Exited while we attached: its exit may be handled already. */
	if (filter > 0 && !proc_alive(filter)) {
		links_release_pids(t, &filter, 1);
		return -ESRCH;
	}
	return err;
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

	if (!t->opts->lib)
		return probe_found_allocator(t, pid, filter, quiet);
	if ((err = stat_lib_option(t, &lib_st)))
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
	err = proc_mapped_path(pid, e, lib.path, sizeof(lib.path), &st);
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
	return kmaps_add_target(t->maps, pid);
}

/* Refused, with the reason: gone, a zombie, or a kernel thread. */
static bool pid_traceable(pid_t pid)
{
	struct proc_stat st;

	if (proc_read_stat(pid, &st) || st.state == 'X')
		lt_error("no process with PID %d (check the PID with ps)", pid);
	else if (st.state == 'Z')
		lt_error(
			"process %d has exited (a zombie its parent has not reaped)",
			pid);
	else if (st.flags & PROC_PF_KTHREAD)
		lt_error(
			"PID %d is a kernel thread: it has no user memory to trace",
			pid);
	else
		return true;
	return false;
}

int probes_add_pid(struct tracer *t, pid_t pid)
{
	int err;

	if (!pid_traceable(pid))
		return -ESRCH;
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

int probes_add_child(struct tracer *t, pid_t child)
{
	/* The child may already be gone; that is no error. */
	return probe_process_allocator(t, child, child, true);
}

int probes_follow(struct tracer *t, pid_t pid)
{
	int err = add_target(t, pid);

	return err ? err : probe_process_allocator(t, pid, pid, true);
}

int probes_exec(struct tracer *t, pid_t pid)
{
	struct probed_lib lib = { .pid = pid };
	struct allocator_pick pick;
	int err;

	if (t->opts->lib)
		return 0; /* --lib: the user's choice stands */
	err = allocator_pick_process(pid, true, &pick);
	if (err || !pick.found)
		return err ? err : 1;
	if (lib_probed(t, pick.dev, pick.ino, pid))
		return 0;
	lt_debug("pid %d exec'd: allocator %s, probes replaced", pid,
		 pick.path);
	links_release_pids(t, &pid, 1);
	snprintf(lib.path, sizeof(lib.path), "%s", pick.path);
	lib.dev = pick.dev;
	lib.ino = pick.ino;
	return attach_allocator(t, &lib);
}

int probes_exec_shared(struct tracer *t, pid_t pid)
{
	struct probed_lib lib = { .pid = -1 };
	struct allocator_pick pick;
	int err;

	if (t->opts->lib)
		return 0; /* --lib: probed for every process already */
	err = allocator_pick_process(pid, true, &pick);
	if (err || !pick.found)
		return err ? err : 1;
	if (lib_probed(t, pick.dev, pick.ino, -1))
		return 0;
	lt_debug("pid %d exec'd: allocator %s, probed for every process", pid,
		 pick.path);
	snprintf(lib.path, sizeof(lib.path), "%s", pick.path);
	lib.dev = pick.dev;
	lib.ino = pick.ino;
	return attach_allocator(t, &lib);
}

void probes_drop_pids(struct tracer *t, const pid_t *pids, size_t n)
{
	if (!n)
		return;
	links_release_pids(t, pids, n);
	kmaps_forget_processes(t->maps, pids, n);
}

int probes_attach_pymalloc(struct tracer *t, pid_t pid, const char *path)
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

int probes_attach_all(struct tracer *t)
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

/* ---- -c: a command that has not started yet --------------------------- */
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

int probes_add_command(struct tracer *t, pid_t pid)
{
	struct probed_lib lib = { .pid = pid };
	struct allocator_pick pick;
	struct stat st;
	int err;

	if (t->opts->lib)
		snprintf(lib.path, sizeof(lib.path), "%s", t->opts->lib);
	else if (!allocator_pick_command(t->child_name, &pick)) {
		if (!pick.found)
			return add_target(t, pid); /* mappings only */
		snprintf(lib.path, sizeof(lib.path), "%s", pick.path);
	} else if (host_libc(lib.path, sizeof(lib.path))) {
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
