// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Reports: read the kernel's aggregates, snapshot, print, export. */
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
#include "lib/vec.h"
#include "core/procs.h"
#include "python/census.h"
#include "core/reclaim.h"
#include "report/report.h"
#include "core/session_priv.h"
#include "core/snapshot.h"
#include "core/stacks.h"
#include "unwind/unwind_procs.h"

/* ---- reports --------------------------------------------------------- */

static void read_losses(struct session *s, uint64_t *losses)
{
	kmaps_read_counters(s->tracer.maps, losses);
}

/* Lost mapping events leave the tracker wrong until it looks at /proc. */
static void resync_after_losses(struct session *s)
{
	uint64_t losses[LT_C_NR];

	read_losses(s, losses);
	if (losses[LT_C_EVENTS_LOST] <= s->events_lost_seen)
		return;
	s->events_lost_seen = losses[LT_C_EVENTS_LOST];
	session_events_resync(s);
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

bool session_report_many_processes(const struct session *s)
{
	return s->system_wide || s->opts->n_pids > 1;
}

/*
 * A report that could not be written (disk full, a closed pipe's reader
 * gone) is said once per cause and counted; the exit status tells too.
 */
static void check_written(struct session *s, FILE *out)
{
	int err;

	if (!fflush(out) && !ferror(out)) {
		s->report_errno = 0;
		return;
	}
	err = errno ? errno : EIO;
	s->reports_unwritten++;
	if (err != s->report_errno)
		lt_warn("cannot write the report to %s: %s",
			s->opts->output ? s->opts->output : "standard output",
			strerror(err));
	s->report_errno = err;
	clearerr(out);
}

static void emit_report(struct session *s, struct report *r)
{
	FILE *out = s->opts->report_out ?: stdout;
	int err;

	errno = 0; /* what a failed write sets is what check_written says */
	if (s->opts->json)
		report_print_json(out, r);
	else
		report_print_text(out, r);
	check_written(s, out);
	exporter_report(s->exp, r);
	if (!s->opts->folded)
		return;
	err = folded_write_report(r, s->opts->folded,
				  session_report_many_processes(s));
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
	pid_t *gone = NULL;
	size_t i = 0, n = 0, cap = 0;

	while (i < s->procs.n) {
		struct traced_proc *p = s->procs.procs[i];
		pid_t pid = p->pid;

		if (!p->exited || is_root_target(s, pid)) {
			i++;
			continue;
		}
		if (VEC_RESERVE(&gone, &cap, n + 1))
			probes_drop_pids(&s->tracer, &pid, 1);
		else
			gone[n++] = pid;
		mtrack_drop_process(s->mt, pid);
		procs_remove(&s->procs, pid);
	}
	/* All at once: each walk of the kernel's maps costs their size. */
	probes_drop_pids(&s->tracer, gone, n);
	free(gone);
}

/* --objects: a census of every CPython process; the first is the baseline. */
void session_report_censuses(struct session *s)
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

int session_report(struct session *s, bool final)
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
	session_events_drop_exec_blocks(s);
	resync_after_losses(s);
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
	r.map_resyncs = s->map_resyncs;
	session_report_censuses(s);
	err = report_build(&r, &snap, &s->procs, s->opts->top, final);
	census_sum_losses(&s->procs, &r.census_incomplete, &r.census_skipped);
	session_events_sync_python(s);
	if (!err)
		emit_report(s, &r);
	lt_debug("report took %.1f ms (%zu stacks, %zu aggregates)",
		 (monotime_ns() - now) / 1e6, snap.n, agg.n_heap);
	if (!err && !final && !session_stopping())
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
