// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
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
#include "lib/proc.h"
#include "core/procs.h"
#include "python/census.h"
#include "core/reclaim.h"
#include "report/report.h"
#include "core/session.h"
#include "core/snapshot.h"
#include "core/stacks.h"
#include "unwind/unwind_procs.h"

#define POLL_MS	      100
#define PROT_EXEC     0x4
#define MAP_ANONYMOUS 0x20
#define NSEC	      1000000000ULL

struct session {
	const struct options *opts;
	struct tracer tracer;
	struct ring_buffer *rb;
	struct mtrack *mt;
	struct proc_table procs;
	struct stack_store *stacks;
	struct snapshot prev;
	struct exporter *exp;	   /* --svg, --pprof, --pyroscope */
	uint64_t stacks_reclaimed; /* deleted from the kernel's map */
	uint64_t start_ns, last_report_ns;
	long reports;
	bool system_wide;
	bool targets_gone;
	struct unwind_procs unwind; /* --unwind=dwarf: tables in the kernel */
	bool unwind_on;
};

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	stop_requested = sig;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* ---- mapping events -------------------------------------------------- */

/* The kernel's walk needs the process's mappings and their tables. */
static void unwind_scan(struct session *s, pid_t pid)
{
	if (s->unwind_on)
		unwind_procs_scan(&s->unwind, pid);
}

/* System-wide: every process there is; new ones come with their mmaps. */
static void unwind_scan_all(struct session *s)
{
	if (s->unwind_on)
		unwind_procs_scan_all(&s->unwind, getpid());
}

/* An exec'd process: probe its new image's allocator once it is mapped. */
static void find_new_allocator(struct session *s, struct traced_proc *p)
{
	if (s->system_wide || !p->exec_pending)
		return;
	p->exec_pending = probes_exec(&s->tracer, p->pid) == 1;
}

static void note_new_code(struct session *s, uint32_t tgid)
{
	struct traced_proc *p = procs_get(&s->procs, tgid, !s->system_wide);

	if (s->unwind_on)
		unwind_procs_mark(&s->unwind, tgid);
	if (p) {
		p->modules_stale = true;
		find_new_allocator(s, p);
	}
}

/*
 * exec: the old image's blocks and mappings are gone with it (not leaks);
 * its modules, name and interpreter are read again.
 */
static void note_exec(struct session *s, uint32_t tgid, uint64_t ts_ns)
{
	struct traced_proc *p = procs_get(&s->procs, tgid, !s->system_wide);
	long dropped = kmaps_drop_before(s->tracer.maps, tgid, ts_ns,
					 loader_epoch_ns(&s->tracer));

	mtrack_drop_process(s->mt, tgid);
	lt_debug("pid %u exec'd: %ld blocks of the old image dropped", tgid,
		 dropped);
	if (!p)
		return;
	p->modules_stale = true;
	p->exec_pending = true;
	find_new_allocator(s, p);
}

static void note_exit(struct session *s, uint32_t tgid)
{
	struct traced_proc *p = procs_get(&s->procs, tgid, false);

	if (p)
		p->exited = true;
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
static void sync_python(struct session *s)
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
	lt_debug("pid %u forked pid %u: tracing it too", parent, child);
	procs_get(&s->procs, child, true);
	probes_add_child(&s->tracer, child);
}

/* Decode a new Python stack while its code objects are still there. */
static void name_stack_now(struct session *s, uint32_t tgid, uint64_t id)
{
	stack_name_python(s->stacks, procs_get(&s->procs, tgid, false), id);
}

static int on_event(void *ctx, void *data, size_t len)
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
		if ((!(ev->flags & MAP_ANONYMOUS) && !s->opts->file_mappings) ||
		    !ev->prot)
			mtrack_unmap(s->mt, ev->tgid, ev->addr, ev->len);
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
		note_exit(s, ev->tgid);
		break;
	case LT_EV_FORK:
		note_fork(s, ev->tgid, ev->old_addr);
		break;
	case LT_EV_EXEC:
		note_exec(s, ev->tgid, ev->ts_ns);
		break;
	case LT_EV_NEW_STACK:
		name_stack_now(s, ev->tgid, ev->stack_id);
		break;
	}
	return 0;
}

/* ---- reports --------------------------------------------------------- */

static void read_losses(struct session *s, uint64_t *losses)
{
	kmaps_read_counters(s->tracer.maps, losses);
}

/* Heap epochs below the limit are old enough for --min-age. */
static uint32_t epoch_limit(const struct session *s, uint64_t now)
{
	uint64_t epoch = loader_epoch_ns(&s->tracer);

	if (!s->opts->min_age_ns || !epoch)
		return UINT32_MAX;
	if (now < s->opts->min_age_ns)
		return 0;
	return (now - s->opts->min_age_ns) / epoch;
}

/* Sampled block counts are kept in 1/LT_COUNT_ONE units. */
static void unscale_counts(struct raw_stat *heap, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		heap[i].count =
			(heap[i].count + LT_COUNT_ONE / 2) / LT_COUNT_ONE;
}

/* What the kernel and the mapping tracker hold, as read for one report. */
struct aggregates {
	struct raw_stat *heap; /* every process and epoch */
	size_t n_heap;
	struct mstat *maps;
	size_t n_maps;
};

static void aggregates_free(struct aggregates *a)
{
	free(a->heap);
	free(a->maps);
}

static int read_aggregates(struct session *s, uint64_t now,
			   struct aggregates *a)
{
	uint64_t map_cutoff = UINT64_MAX;
	long n_maps;
	int err;

	err = kmaps_read_heap(s->tracer.maps, &a->heap, &a->n_heap);
	if (err) {
		lt_error("cannot read the kernel's allocation statistics: %s",
			 strerror(-err));
		return err;
	}
	if (s->opts->sample_bytes)
		unscale_counts(a->heap, a->n_heap);
	if (s->opts->min_age_ns)
		map_cutoff = now > s->opts->min_age_ns
				     ? now - s->opts->min_age_ns
				     : 0;
	n_maps = mtrack_stats(s->mt, map_cutoff, &a->maps);
	if (n_maps < 0)
		return n_maps;
	a->n_maps = n_maps;
	return 0;
}

static int take_snapshot(struct session *s, uint64_t now, struct aggregates *a,
			 struct snapshot *snap)
{
	int err = read_aggregates(s, now, a);

	if (err)
		return err;
	/* snapshot_build sorts the heap array in place: fine for reclaim. */
	return snapshot_build(snap, a->heap, a->n_heap, epoch_limit(s, now),
			      a->maps, a->n_maps, &s->prev);
}

/*
 * After a report: free the kernel's stack map of stacks that hold nothing,
 * so churning stacks never fill it.
 */
static void reclaim(struct session *s, const struct aggregates *a)
{
	uint64_t t0 = monotime_ns();
	struct reclaim_pass pass;
	int err;

	err = reclaim_stacks(s->tracer.maps, s->stacks, a->heap, a->n_heap,
			     a->maps, a->n_maps, &pass);
	if (err) {
		lt_warn("stack reclaim: %s", strerror(-err));
		return;
	}
	s->stacks_reclaimed += pass.deleted;
	lt_debug(
		"stack reclaim: %zu of %zu kernel stacks freed (%llu since attach), %zu copies kept, %zu dropped, took %.1f ms",
		pass.deleted, pass.kernel,
		(unsigned long long)s->stacks_reclaimed, pass.copies,
		pass.dropped, (monotime_ns() - t0) / 1e6);
}

static bool many_processes(const struct session *s)
{
	return s->system_wide || s->opts->n_pids > 1;
}

static void emit_report(struct session *s, struct report *r)
{
	FILE *out = s->opts->report_out ?: stdout;
	int err;

	if (s->opts->json)
		report_print_json(out, r);
	else
		report_print_text(out, r);
	exporter_report(s->exp, r);
	if (!s->opts->folded)
		return;
	err = folded_write_report(r, s->opts->folded, many_processes(s));
	if (err)
		lt_warn("cannot write %s: %s", s->opts->folded, strerror(-err));
}

static bool is_root_target(const struct session *s, pid_t pid)
{
	int i;

	if (s->opts->command)
		return s->tracer.child == pid;
	for (i = 0; i < s->opts->n_pids; i++)
		if (s->opts->pids[i] == pid)
			return true;
	return false;
}

/*
 * A process that exited has had its last report: forget it here and in
 * the kernel, or its PID's next owner would inherit its blocks. The
 * processes named on the command line stay until the final report.
 */
static void forget_exited(struct session *s)
{
	size_t i = 0;

	while (i < s->procs.n) {
		struct traced_proc *p = s->procs.procs[i];
		pid_t pid = p->pid;

		if (!p->exited || is_root_target(s, pid)) {
			i++;
			continue;
		}
		probes_drop_pid(&s->tracer, pid);
		mtrack_drop_process(s->mt, pid);
		procs_remove(&s->procs, pid);
	}
}

/* --objects: a census of every CPython process; the first is the baseline. */
static void take_censuses(struct session *s)
{
	size_t i;

	if (!s->opts->objects)
		return;
	for (i = 0; i < s->procs.n; i++) {
		struct traced_proc *p = s->procs.procs[i];

		if (!p->py || p->exited)
			continue;
		if (!p->census_tried) {
			p->census_tried = true;
			p->census = census_new(p->pid);
		}
		census_take(p->census);
	}
}

static void census_sum_losses(const struct proc_table *t, uint64_t *incomplete,
			      uint64_t *skipped)
{
	size_t i;

	*incomplete = *skipped = 0;
	for (i = 0; i < t->n; i++) {
		uint64_t a, b;

		census_losses(t->procs[i]->census, &a, &b);
		*incomplete += a;
		*skipped += b;
	}
}

static int do_report(struct session *s, bool final)
{
	const struct options *o = s->opts;
	bool exports = o->svg || o->svg_growth || o->pprof || o->pyroscope;
	struct report r = { .stacks = s->stacks,
			    .all_frames = exports || o->folded,
			    .with_maps = exports };
	struct aggregates agg = { 0 };
	struct snapshot snap = { 0 };
	uint64_t now;
	size_t i;
	int err;

	ring_buffer__consume(s->rb);
	procs_refresh_modules(&s->procs);
	now = monotime_ns();
	err = take_snapshot(s, now, &agg, &snap);
	if (err) {
		aggregates_free(&agg);
		snapshot_free(&snap);
		return err;
	}
	clock_gettime(CLOCK_REALTIME, &r.wall);
	r.elapsed_s = (now - s->start_ns) / 1e9;
	r.interval_s = (now - s->last_report_ns) / 1e9;
	r.min_age_ns = s->opts->min_age_ns;
	r.sample_bytes = s->opts->sample_bytes;
	r.unwind = unwind_mode_name(s->opts->unwind);
	read_losses(s, r.losses);
	take_censuses(s);
	err = report_build(&r, &snap, &s->procs, s->opts->top, final);
	census_sum_losses(&s->procs, &r.census_incomplete, &r.census_skipped);
	sync_python(s);
	if (!err)
		emit_report(s, &r);
	lt_debug("report took %.1f ms (%zu stacks, %zu aggregates)",
		 (monotime_ns() - now) / 1e6, snap.n, agg.n_heap);
	if (!err && !final)
		reclaim(s, &agg);
	aggregates_free(&agg);
	for (i = 0; i < r.n_procs; i++)
		r.procs[i].proc->prev_total =
			r.procs[i].heap_bytes + r.procs[i].map_bytes;
	forget_exited(s);
	report_free(&r);
	snapshot_free(&s->prev);
	s->prev = snap;
	s->last_report_ns = now;
	s->reports++;
	return err;
}

/* ---- targets --------------------------------------------------------- */

static bool child_exited(struct session *s)
{
	int status;

	if (!s->tracer.child)
		return false;
	if (waitpid(s->tracer.child, &status, WNOHANG) != s->tracer.child)
		return false;
	note_exit(s, s->tracer.child);
	lt_info("command exited with status %d",
		WIFEXITED(status) ? WEXITSTATUS(status)
				  : 128 + WTERMSIG(status));
	s->tracer.child = 0;
	return true;
}

static bool all_targets_gone(struct session *s)
{
	int i;

	if (s->opts->command)
		return child_exited(s);
	if (s->system_wide)
		return false;
	for (i = 0; i < s->opts->n_pids; i++)
		if (proc_alive(s->opts->pids[i]))
			return false;
	lt_info("traced process%s exited", s->opts->n_pids > 1 ? "es" : "");
	return true;
}

/*
 * Processes the target forked before we came (gunicorn's workers) are
 * traced like the ones it forks later, which the kernel side catches.
 */
static void follow_children(struct session *s, pid_t pid, int depth)
{
	pid_t *children;
	size_t i, n = proc_children(pid, &children);

	for (i = 0; i < n && depth < 8; i++) {
		if (procs_get(&s->procs, children[i], false))
			continue;
		if (probes_follow(&s->tracer, children[i]))
			continue;
		lt_debug("pid %d: tracing its child %d too", pid, children[i]);
		procs_get(&s->procs, children[i], true);
		unwind_scan(s, children[i]);
		follow_children(s, children[i], depth + 1);
	}
	free(children);
}

static int attach_targets(struct session *s)
{
	int i, err;

	if (s->opts->command)
		return spawn_command(&s->tracer);
	if (s->system_wide) {
		err = probes_attach_all(&s->tracer);
		unwind_scan_all(s);
		return err < 0 ? err : 0;
	}
	for (i = 0; i < s->opts->n_pids; i++) {
		err = probes_add_pid(&s->tracer, s->opts->pids[i]);
		if (err)
			return err;
		unwind_scan(s, s->opts->pids[i]);
		procs_get(&s->procs, s->opts->pids[i], true);
		follow_children(s, s->opts->pids[i], 0);
	}
	sync_python(s);
	return 0;
}

static void announce(const struct session *s)
{
	const struct tracer *t = &s->tracer;
	const char *lib = t->n_libs ? t->libs[0].path : "?";
	char what[128];

	if (s->opts->command)
		snprintf(what, sizeof(what), "command %s (pid %d)",
			 s->opts->command, t->child);
	else if (s->system_wide)
		snprintf(what, sizeof(what),
			 "all processes (%zu allocator librar%s)", t->n_libs,
			 t->n_libs == 1 ? "y" : "ies");
	else if (s->opts->n_pids == 1)
		snprintf(what, sizeof(what), "PID %d (%s)", s->opts->pids[0],
			 s->procs.n ? s->procs.procs[0]->comm : "?");
	else
		snprintf(what, sizeof(what), "%d processes", s->opts->n_pids);
	lt_info("tracing %s: allocator %s, mapping syscalls; report every %.3g s, Ctrl-C for the final report",
		what, lib, s->opts->interval_ns / 1e9);
}

/* ---- main loop ------------------------------------------------------- */

static int setup(struct session *s)
{
	int err;

	s->system_wide = !s->opts->n_pids && !s->opts->command;
	s->exp = exporter_new(s->opts, many_processes(s));
	if (!s->exp)
		return -ENOMEM;
	err = loader_open(&s->tracer, s->opts);
	if (err)
		return err;
	s->unwind_on = s->opts->unwind == UNWIND_DWARF;
	if (s->unwind_on)
		unwind_procs_init(&s->unwind,
				  kmaps_unwind(s->tracer.maps)->rows_fd,
				  kmaps_unwind(s->tracer.maps)->tables_fd,
				  kmaps_unwind(s->tracer.maps)->procs_fd,
				  kmaps_unwind(s->tracer.maps)->rows_max,
				  kmaps_unwind(s->tracer.maps)->tables_max);
	s->mt = mtrack_new();
	s->stacks = stack_store_new(s->tracer.maps);
	s->rb = kmaps_event_ring(s->tracer.maps, on_event, s);
	if (!s->mt || !s->stacks || !s->rb) {
		lt_error("out of memory");
		return -ENOMEM;
	}
	err = loader_attach_tracepoints(&s->tracer);
	if (!err)
		err = attach_targets(s);
	if (!err && s->opts->command)
		err = spawn_release(&s->tracer);
	if (!err)
		take_censuses(s);
	return err;
}

static void teardown(struct session *s)
{
	ring_buffer__free(s->rb);
	loader_destroy(&s->tracer);
	if (s->tracer.child > 0)
		waitpid(s->tracer.child, NULL, 0);
	snapshot_free(&s->prev);
	exporter_free(s->exp);
	stack_store_free(s->stacks);
	procs_free(&s->procs);
	mtrack_free(s->mt);
	if (s->unwind_on)
		unwind_procs_free(&s->unwind);
}

/*
 * Let go of the probes of processes that exited as soon as they exit, all
 * together: children of a service come and go, and holding their probes
 * until the next report would pile them up.
 */
static void release_exited_probes(struct session *s)
{
	pid_t pids[64];
	size_t i, n = 0;

	for (i = 0; i < s->procs.n && n < 64; i++) {
		struct traced_proc *p = s->procs.procs[i];

		if (!p->exited || p->probes_released)
			continue;
		p->probes_released = true;
		pids[n++] = p->pid;
	}
	if (n)
		links_release_pids(&s->tracer, pids, n);
}

static int poll_timeout_ms(const struct session *s, uint64_t now)
{
	uint64_t due = s->last_report_ns + s->opts->interval_ns;
	uint64_t left = due > now ? (due - now) / 1000000 : 0;

	return left < POLL_MS ? (int)left : POLL_MS;
}

static int run_loop(struct session *s)
{
	int err = 0;

	while (!stop_requested) {
		uint64_t now = monotime_ns();
		int n = ring_buffer__poll(s->rb, poll_timeout_ms(s, now));

		if (n < 0 && n != -EINTR) {
			lt_error("reading events: %s", strerror(-n));
			return n;
		}
		if (s->unwind_on)
			unwind_procs_flush(&s->unwind);
		procs_refresh_modules(&s->procs);
		sync_python(s);
		release_exited_probes(s);
		if (all_targets_gone(s))
			break;
		if (monotime_ns() - s->last_report_ns < s->opts->interval_ns)
			continue;
		if (s->system_wide)
			probes_attach_all(&s->tracer); /* new containers */
		/* The last of COUNT reports is the final one. */
		if (s->opts->count && s->reports + 1 >= s->opts->count)
			break;
		err = do_report(s, false);
		if (err)
			return err;
	}
	return do_report(s, true);
}

int session_run(const struct options *opts)
{
	struct session s = { .opts = opts };
	int err;

	install_signals();
	err = setup(&s);
	if (!err) {
		s.start_ns = s.last_report_ns = monotime_ns();
		announce(&s);
		err = run_loop(&s);
	}
	teardown(&s);
	if (!err && stop_requested)
		lt_info("stopped; probes detached");
	return err ? LT_EXIT_FAILURE : 0;
}
