// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Per-process mapping tables for the kernel's DWARF walk. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/env.h"
#include "lib/log.h"
#include "lib/procmaps.h"
#include "lib/proc.h"
#include "kernel/allocator.h"
#include "unwind/unwind_procs.h"

int unwind_parse_mode(const char *s, enum unwind_mode *mode)
{
	if (!strcmp(s, "dwarf"))
		*mode = UNWIND_DWARF;
	else if (!strcmp(s, "fp"))
		*mode = UNWIND_FP;
	else
		return -EINVAL;
	return 0;
}

const char *unwind_mode_name(enum unwind_mode mode)
{
	return mode == UNWIND_FP ? "fp" : "dwarf";
}

bool unwind_want_bpf_loop(void)
{
	if (env_flag("LEAKTRACE_NO_BPF_LOOP"))
		return false;
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_loop,
				       NULL) == 1;
}

bool unwind_want_find_vma(void)
{
	if (env_flag("LEAKTRACE_NO_FIND_VMA"))
		return false;
	/* The walk runs in uprobes (kprobe type) and tracepoints. */
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_find_vma,
				       NULL) == 1 &&
	       libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT,
				       BPF_FUNC_find_vma, NULL) == 1 &&
	       libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE,
				       BPF_FUNC_get_current_task_btf,
				       NULL) == 1;
}

uint32_t unwind_rows_max(bool system_wide)
{
	const char *env = getenv("LEAKTRACE_UNWIND_ROWS");
	char *end;
	unsigned long rows;

	/* Fewer rows, for tests of files that do not fit (at least 1). */
	if (env && *env) {
		errno = 0;
		rows = strtoul(env, &end, 10);
		if (!errno && !*end && rows >= 1 && rows <= 16u << 20)
			return (uint32_t)rows;
		lt_warn("LEAKTRACE_UNWIND_ROWS=%s is not 1 to 16777216: ignored",
			env);
	}
	/*
	 * 12 bytes a row, preallocated: 12 MiB for a few processes (libc,
	 * libstdc++ and python3.11 take 127 k rows), 24 MiB system-wide (a
	 * whole machine here: 247 k rows over 45 files).
	 */
	return system_wide ? 2u << 20 : 1u << 20;
}

/*
 * Index entries for rows: a table's index has about one entry per 10 to 30
 * rows (libc, libstdc++, python3.11), and at least 2 (see unwind_index.h);
 * room for one per 4 rows leaves the rows array to fill first.
 */
uint32_t unwind_index_max(uint32_t rows)
{
	return rows / 4 + 2 * LT_UNWIND_MAX_TABLES;
}

void unwind_procs_init(struct unwind_procs *u, const struct kmaps_unwind *k)
{
	const struct unwind_cache_maps maps = {
		.rows_fd = k->rows_fd,
		.tables_fd = k->tables_fd,
		.index_fd = k->index_fd,
		.files_fd = k->files_fd,
		.rows_max = k->rows_max,
		.tables_max = k->tables_max,
		.index_max = k->index_max,
	};

	memset(u, 0, sizeof(*u));
	unwind_cache_init(&u->cache, &maps);
	u->procs_fd = k->procs_fd;
	u->walk_gen = k->walk_gen;
}

/* A process's table changed: the kernel's memos of walks are stale. */
static void stale_walks(struct unwind_procs *u)
{
	if (u->walk_gen)
		__atomic_add_fetch(u->walk_gen, 1, __ATOMIC_SEQ_CST);
}

void unwind_procs_free(struct unwind_procs *u)
{
	unwind_cache_free(&u->cache);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Add one executable file mapping to the process table. */
static void add_mapping(struct unwind_procs *u, pid_t pid,
			const struct map_entry *e, struct lt_unwind_proc *p)
{
	const struct unwind_module *m;
	struct lt_unwind_map *km;
	char path[PATH_MAX + 64];
	struct stat st;
	uint64_t bias;
	int fd;

	if (p->n >= LT_UNWIND_MAX_MAPS || e->path[0] != '/')
		return;
	fd = proc_open_mapped(pid, e, path, sizeof(path));
	if (fd < 0)
		return;
	m = fstat(fd, &st)
		    ? NULL
		    : unwind_cache_get(&u->cache, fd, &st, base_name(e->path));
	close(fd);
	if (!m || !unwind_module_bias(m, e->start, e->offset, &bias))
		return;
	km = &p->maps[p->n++];
	km->start = e->start;
	km->end = e->end;
	km->bias = bias;
	km->table = m->table;
	if (m->eval_hi) {
		p->eval_lo = m->eval_lo + bias;
		p->eval_hi = m->eval_hi + bias;
	}
}

int unwind_procs_scan(struct unwind_procs *u, pid_t pid)
{
	struct lt_unwind_proc *p = calloc(1, sizeof(*p));
	struct map_entry *maps = NULL;
	size_t n = 0;
	int err;

	if (!p)
		return -ENOMEM;
	err = procmaps_read(pid, &maps, &n);
	if (!err && n) { /* kernel threads have none */
		for (size_t i = 0; i < n; i++)
			if (maps[i].executable)
				add_mapping(u, pid, &maps[i], p);
		p->gen = (uint32_t)++u->scans;
		if (bpf_map_update_elem(u->procs_fd, &pid, p, BPF_ANY))
			err = -errno;
		stale_walks(u);
	}
	free(maps);
	free(p);
	return err;
}

void unwind_procs_prepare(struct unwind_procs *u, const char *cmd)
{
	struct allocator_module *mods;
	struct stat st;
	size_t n;

	if (allocator_command_modules(cmd, &mods, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		int fd = open(mods[i].path, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			continue;
		if (!fstat(fd, &st))
			unwind_cache_get(&u->cache, fd, &st,
					 base_name(mods[i].name));
		close(fd);
	}
	free(mods);
}

void unwind_procs_mark(struct unwind_procs *u, pid_t pid)
{
	for (size_t i = 0; i < u->n_pending; i++)
		if (u->pending[i] == pid)
			return;
	if (u->n_pending == UNWIND_PENDING_MAX)
		unwind_procs_flush(u);
	u->pending[u->n_pending++] = pid;
}

void unwind_procs_flush(struct unwind_procs *u)
{
	size_t n = u->n_pending;

	u->n_pending = 0;
	for (size_t i = 0; i < n; i++)
		unwind_procs_scan(u, u->pending[i]);
}

void unwind_procs_scan_all(struct unwind_procs *u, pid_t self)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid == self)
			continue;
		unwind_procs_scan(u, (pid_t)pid);
	}
	if (d)
		closedir(d);
}

void unwind_procs_drop(struct unwind_procs *u, pid_t pid)
{
	bpf_map_delete_elem(u->procs_fd, &pid);
	stale_walks(u);
}
