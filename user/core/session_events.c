// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The kernel's events: mappings, forks, execs, exits, new stacks. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <bpf/libbpf.h>
#include "leaktrace.h"
#include "kernel/kmaps.h"
#include "kernel/links.h"
#include "kernel/loader.h"
#include "kernel/probes.h"
#include "kernel/spawn.h"
#include "export/export.h"
#include "export/folded.h"
#include "lib/log.h"
#include "lib/monotime.h"
#include "core/mappings.h"
#include "core/mapsync.h"
#include "lib/proc.h"
#include "lib/vec.h"
#include "core/procs.h"
#include "python/census.h"
#include "core/reclaim.h"
#include "report/report.h"
#include "core/session_priv.h"
#include "core/snapshot.h"
#include "core/stacks.h"
#include "unwind/unwind_procs.h"

#define PROT_EXEC     0x4
#define MAP_ANONYMOUS 0x20

/* ---- mapping events -------------------------------------------------- */

/* The kernel's walk needs the process's mappings and their tables. */
void session_events_scan(struct session *s, pid_t pid)
{
	if (s->unwind_on)
		unwind_procs_scan(&s->unwind, pid);
}

/* System-wide: every process there is; new ones come with their mmaps. */
void session_events_scan_all(struct session *s)
{
	if (s->unwind_on)
		unwind_procs_scan_all(&s->unwind, getpid());
}

/* ---- the mapping tracker against /proc -------------------------------- */

/*
 * What pid has mapped when tracing begins (or its image after exec) is
 * known but not counted: without that, a resync after lost events could
 * not tell it from memory whose mapping event was lost.
 */
void session_events_baseline(struct session *s, pid_t pid)
{
	struct mresync rs;

	mapsync_process(s->mt, pid, s->opts->file_mappings, MTRACK_RESERVED,
			&rs);
}

void session_events_baseline_all(struct session *s)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid == getpid())
			continue;
		session_events_baseline(s, (pid_t)pid);
	}
	if (d)
		closedir(d);
}

/*
 * Mapping events were lost: make every tracked process's ranges agree with
 * its /proc/PID/maps. Events still in the ring then apply on top, in order.
 */
void session_events_resync(struct session *s)
{
	int64_t dropped = 0, filled = 0;
	uint32_t *tgids;
	long n = mtrack_tgids(s->mt, &tgids), i;

	for (i = 0; i < n; i++) {
		struct mresync rs;

		if (mapsync_process(s->mt, tgids[i], s->opts->file_mappings,
				    LT_STACK_UNATTRIBUTED, &rs))
			continue;
		dropped += rs.dropped_bytes;
		filled += rs.filled_bytes;
	}
	free(tgids);
	s->map_resyncs++;
	lt_debug(
		"mapping events lost: %ld processes resynchronised with /proc, %lld bytes no longer mapped dropped, %lld unknown bytes unattributed",
		n, (long long)dropped, (long long)filled);
}

/* An exec'd process: probe its new image's allocator once it is mapped. */
static void find_new_allocator(struct session *s, struct traced_proc *p)
{
	if (s->system_wide || !p->exec_pending)
		return;
	p->exec_pending = probes_exec(&s->tracer, p->pid) == 1;
}

/*
 * System-wide, an exec'd program may bring an allocator no other process
 * uses (jemalloc linked in, a static binary's own): it is probed for every
 * process as soon as the image maps it, not at the next report's scan.
 */
static size_t exec_pending_index(const struct session *s, pid_t pid)
{
	size_t i;

	for (i = 0; i < s->n_exec_pending; i++)
		if (s->exec_pending[i] == pid)
			break;
	return i;
}

static void exec_pending_forget(struct session *s, pid_t pid)
{
	size_t i = exec_pending_index(s, pid);

	if (i < s->n_exec_pending)
		s->exec_pending[i] = s->exec_pending[--s->n_exec_pending];
}

static void find_shared_allocator(struct session *s, pid_t pid)
{
	if (exec_pending_index(s, pid) == s->n_exec_pending)
		return;
	if (probes_exec_shared(&s->tracer, pid) != 1)
		exec_pending_forget(s, pid);
}

static void note_exec_shared(struct session *s, pid_t pid)
{
	/* Full: the oldest waits for the report's scan instead. */
	if (exec_pending_index(s, pid) == s->n_exec_pending &&
	    s->n_exec_pending == SESSION_EXEC_PENDING)
		exec_pending_forget(s, s->exec_pending[0]);
	if (exec_pending_index(s, pid) == s->n_exec_pending)
		s->exec_pending[s->n_exec_pending++] = pid;
	find_shared_allocator(s, pid);
}

static void note_new_code(struct session *s, uint32_t tgid)
{
	struct traced_proc *p = procs_get(&s->procs, tgid, !s->system_wide);

	if (s->unwind_on)
		unwind_procs_mark(&s->unwind, tgid);
	if (s->system_wide)
		find_shared_allocator(s, tgid);
	if (p) {
		p->modules_stale = true;
		find_new_allocator(s, p);
	}
}

/* Enough execs queued to be worth one walk of the block map. */
#define EXEC_BATCH 256

static int cmp_exec(const void *a, const void *b)
{
	const struct kmaps_exec *x = a, *y = b;

	return (x->tgid > y->tgid) - (x->tgid < y->tgid);
}

/* Before a report reads the aggregates, and whenever the queue is full. */
void session_events_drop_exec_blocks(struct session *s)
{
	size_t i;

	if (!s->n_execs)
		return;
	qsort(s->execs, s->n_execs, sizeof(*s->execs), cmp_exec);
	kmaps_drop_before(s->tracer.maps, s->execs, s->n_execs);
	for (i = 0; i < s->n_execs; i++)
		lt_debug("pid %d exec'd: %ld blocks of the old image dropped",
			 s->execs[i].tgid, s->execs[i].dropped);
	s->n_execs = 0;
}

/* One entry a process: blocks before its latest exec are all the old's. */
static void queue_exec(struct session *s, pid_t tgid, uint32_t image)
{
	size_t i;

	for (i = 0; i < s->n_execs; i++)
		if (s->execs[i].tgid == tgid) {
			if (lt_image_cmp(image, s->execs[i].image) > 0)
				s->execs[i].image = image;
			return;
		}
	if (VEC_RESERVE(&s->execs, &s->cap_execs, s->n_execs + 1)) {
		/* No memory to queue: drop now, alone. */
		struct kmaps_exec e = { .tgid = tgid, .image = image };

		kmaps_drop_before(s->tracer.maps, &e, 1);
		return;
	}
	s->execs[s->n_execs++] =
		(struct kmaps_exec){ .tgid = tgid, .image = image };
	if (s->n_execs >= EXEC_BATCH)
		session_events_drop_exec_blocks(s);
}

/*
 * exec: the old image's blocks and mappings are gone with it (not leaks);
 * its modules, name and interpreter are read again. The blocks are dropped
 * in batches: a system-wide session sees every exec on the machine.
 */
static void note_exec(struct session *s, uint32_t tgid, uint32_t image)
{
	struct traced_proc *p = procs_get(&s->procs, tgid, !s->system_wide);

	queue_exec(s, tgid, image);
	mtrack_drop_process(s->mt, tgid);
	session_events_baseline(s, tgid);
	if (s->system_wide)
		note_exec_shared(s, tgid);
	if (!p)
		return;
	p->modules_stale = true;
	p->exec_pending = true;
	find_new_allocator(s, p);
}

void session_events_note_exit(struct session *s, uint32_t tgid)
{
	struct traced_proc *p = procs_get(&s->procs, tgid, false);

	if (p)
		p->exited = true;
	exec_pending_forget(s, tgid);
	if (s->unwind_on)
		unwind_procs_drop(&s->unwind, tgid);
}

/*
 * --pymalloc: each object allocation, where the build calls PyObject_Malloc;
 * elsewhere pymalloc's arenas are attributed to the lines that made them.
 */
static void probe_pymalloc(struct session *s, struct traced_proc *p)
{
	int err;

	if (!p->py_routes) {
		lt_warn("pid %d: this CPython build inlines PyObject_Malloc (LTO): --pymalloc cannot see objects, attributing pymalloc arenas instead",
			p->pid);
		return;
	}
	err = probes_attach_pymalloc(&s->tracer, p->pid, p->py_path);
	if (err && err != -ESRCH)
		lt_warn("pid %d: cannot probe PyObject_Malloc: %s", p->pid,
			strerror(-err));
	p->py_objects = !err;
}

/* Newly found interpreters: tell the kernel side where their frames are. */
void session_events_sync_python(struct session *s)
{
	size_t i;

	for (i = 0; i < s->procs.n; i++) {
		struct traced_proc *p = s->procs.procs[i];

		if (!p->py_new)
			continue;
		p->py_new = false;
		if (kmaps_set_python(s->tracer.maps, p->pid, &p->py_config))
			lt_warn("pid %d: cannot enable Python frames", p->pid);
		if (s->opts->pymalloc)
			probe_pymalloc(s, p);
	}
}

static void note_fork(struct session *s, uint32_t child, uint32_t parent)
{
	mtrack_fork(s->mt, parent, child);
	if (s->system_wide) /* every process is traced already */
		return;
	lt_debug("pid %u forked pid %u: tracing it too", parent, child);
	procs_get(&s->procs, child, true);
	probes_add_child(&s->tracer, child);
}

/* Decode a new Python stack while its code objects are still there. */
static void name_stack_now(struct session *s, uint32_t tgid, uint64_t id)
{
	stack_name_python(s->stacks, procs_get(&s->procs, tgid, false), id);
}

int session_events_handle(void *ctx, void *data, size_t len)
{
	struct session *s = ctx;
	const struct lt_event *ev = data;

	if (len < sizeof(*ev))
		return 0;
	switch (ev->kind) {
	case LT_EV_MMAP:
		/*
		 * File mappings are mostly code and data of libraries;
		 * PROT_NONE ones only reserve addresses (malloc's arenas,
		 * guard pages) and use no memory.
		 */
		if (!(ev->flags & MAP_ANONYMOUS) && !s->opts->file_mappings)
			mtrack_unmap(s->mt, ev->tgid, ev->addr, ev->len);
		else if (!ev->prot)
			mtrack_reserve(s->mt, ev->tgid, ev->addr, ev->len);
		else
			mtrack_map(s->mt, ev->tgid, ev->addr, ev->len,
				   ev->stack_id, ev->ts_ns);
		if (ev->prot & PROT_EXEC)
			note_new_code(s, ev->tgid);
		break;
	case LT_EV_MUNMAP:
		mtrack_unmap(s->mt, ev->tgid, ev->addr, ev->len);
		break;
	case LT_EV_MREMAP:
		mtrack_remap(s->mt, ev->tgid, ev->old_addr, ev->old_len,
			     ev->addr, ev->len);
		break;
	case LT_EV_BRK:
		mtrack_brk(s->mt, ev->tgid, ev->old_addr, ev->addr,
			   ev->stack_id, ev->ts_ns);
		break;
	case LT_EV_EXIT:
		session_events_note_exit(s, ev->tgid);
		break;
	case LT_EV_FORK:
		note_fork(s, ev->tgid, ev->old_addr);
		break;
	case LT_EV_EXEC:
		note_exec(s, ev->tgid, (uint32_t)ev->addr);
		break;
	case LT_EV_NEW_STACK:
		name_stack_now(s, ev->tgid, ev->stack_id);
		break;
	}
	return 0;
}
