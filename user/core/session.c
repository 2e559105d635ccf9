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
#include "core/session_priv.h"
#include "core/snapshot.h"
#include "core/stacks.h"
#include "sym/demangle.h"
#include "unwind/unwind_procs.h"

#define POLL_MS 100

static volatile sig_atomic_t stop_requested;

/* The first stop signal asks for the final report; a second one kills. */
static void on_stop_signal(int sig)
{
	if (stop_requested) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	stop_requested = sig;
}

bool session_stopping(void)
{
	return stop_requested;
}

static void install_signals(void)
{
	/*
	 * SA_RESTART: a report being written when Ctrl-C comes is finished, not
	 * cut by EINTR (the event poll and sleeps still return at once).
	 */
	struct sigaction sa = { .sa_handler = on_stop_signal,
				.sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* ---- targets --------------------------------------------------------- */

static bool child_exited(struct session *s)
{
	int status;

	if (!s->tracer.child)
		return false;
	if (waitpid(s->tracer.child, &status, WNOHANG) != s->tracer.child)
		return false;
	session_events_note_exit(s, s->tracer.child);
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
		session_events_scan(s, children[i]);
		session_events_baseline(s, children[i]);
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
		session_events_scan_all(s);
		session_events_baseline_all(s);
		return err < 0 ? err : 0;
	}
	for (i = 0; i < s->opts->n_pids; i++) {
		err = probes_add_pid(&s->tracer, s->opts->pids[i]);
		if (err)
			return err;
		session_events_scan(s, s->opts->pids[i]);
		session_events_baseline(s, s->opts->pids[i]);
		procs_get(&s->procs, s->opts->pids[i], true);
		follow_children(s, s->opts->pids[i], 0);
	}
	session_events_sync_python(s);
	return 0;
}

/* A library's name for people: a deleted or memfd file has no path. */
static const char *lib_label(const char *path)
{
	const char *base = strrchr(path, '/');

	if (strstr(path, "/map_files/"))
		return "[deleted or memfd]";
	return base ? base + 1 : path;
}

/* The same file probed for several processes is one allocator. */
static bool lib_seen_before(const struct tracer *t, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (t->libs[j].dev == t->libs[i].dev &&
		    t->libs[j].ino == t->libs[i].ino)
			return true;
	return false;
}

/* "libc.so.6", or the first three files and how many more (-v: each). */
static void allocators_label(const struct tracer *t, char *out, size_t len)
{
	size_t i, shown = 0, distinct = 0;
	int at = 0;

	/* No malloc to probe (Go): mapping syscalls only. */
	if (!t->n_libs) {
		snprintf(out, len, "none");
		return;
	}
	for (i = 0; i < t->n_libs; i++) {
		if (lib_seen_before(t, i))
			continue;
		distinct++;
		if (shown == 3 || at < 0 || (size_t)at >= len)
			continue;
		at += snprintf(out + at, len - at, "%s%s", shown ? ", " : "",
			       t->n_libs == 1 ? t->libs[i].path
					      : lib_label(t->libs[i].path));
		shown++;
	}
	if (distinct > shown && at >= 0 && (size_t)at < len)
		snprintf(out + at, len - at, " and %zu more", distinct - shown);
}

static void announce(const struct session *s)
{
	const struct tracer *t = &s->tracer;
	char what[128], libs[4352];

	allocators_label(t, libs, sizeof(libs));
	if (s->opts->command)
		snprintf(what, sizeof(what), "command %s (pid %d)",
			 s->opts->command, t->child);
	else if (s->system_wide)
		snprintf(what, sizeof(what), "all processes");
	else if (s->opts->n_pids == 1)
		snprintf(what, sizeof(what), "PID %d (%s)", s->opts->pids[0],
			 s->procs.n ? s->procs.procs[0]->comm : "?");
	else
		snprintf(what, sizeof(what), "%d processes", s->opts->n_pids);
	lt_info("tracing %s: allocator%s %s, mapping syscalls; report every %.6g s, Ctrl-C for the final report",
		what, strchr(libs, ',') ? "s" : "", libs,
		s->opts->interval_ns / 1e9);
}

/* ---- main loop ------------------------------------------------------- */

static int setup(struct session *s)
{
	int err;

	s->system_wide = !s->opts->n_pids && !s->opts->command;
	s->exp = exporter_new(s->opts, session_report_many_processes(s));
	if (!s->exp)
		return -ENOMEM;
	err = loader_open(&s->tracer, s->opts);
	if (err)
		return err;
	s->unwind_on = s->opts->unwind == UNWIND_DWARF;
	if (s->unwind_on)
		unwind_procs_init(&s->unwind, kmaps_unwind(s->tracer.maps));
	s->mt = mtrack_new();
	s->stacks = stack_store_new(s->tracer.maps);
	s->rb = kmaps_event_ring(s->tracer.maps, session_events_handle, s);
	if (!s->mt || !s->stacks || !s->rb) {
		lt_error("out of memory");
		return -ENOMEM;
	}
	err = loader_attach_tracepoints(&s->tracer);
	if (!err)
		err = attach_targets(s);
	if (!err && s->opts->command && s->unwind_on)
		unwind_procs_prepare(&s->unwind, s->tracer.child_name);
	if (!err && s->opts->command)
		err = spawn_release(&s->tracer);
	if (!err)
		session_report_censuses(s);
	return err;
}

/* How long a stopped leaktrace waits for its command (Ctrl-C hit both). */
#define CHILD_GRACE_MS 1000

/*
 * -c: after COUNT reports leaktrace waits for its command, as a shell
 * would. Stopped by a signal sent to it alone (kill, a service manager),
 * it gives the command a moment, then leaves it running, untraced.
 */
static void wait_command(const struct session *s)
{
	pid_t child = s->tracer.child;
	int waited_ms = 0;

	if (child <= 0)
		return;
	/* Polled: a stop signal during the wait must end it (SA_RESTART). */
	while (waitpid(child, NULL, WNOHANG) == 0) {
		if (!stop_requested) {
			usleep(10000);
			continue;
		}
		if (waited_ms >= CHILD_GRACE_MS) {
			lt_info("command %s (pid %d) is still running, no longer traced",
				s->opts->command, child);
			return;
		}
		usleep(10000);
		waited_ms += 10;
	}
}

static void teardown(struct session *s)
{
	ring_buffer__free(s->rb);
	loader_destroy(&s->tracer);
	wait_command(s);
	snapshot_free(&s->prev);
	exporter_free(s->exp);
	stack_store_free(s->stacks);
	procs_free(&s->procs);
	mtrack_free(s->mt);
	free(s->execs);
	if (s->unwind_on)
		unwind_procs_free(&s->unwind);
	demangle_forget();
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

/* Freed blocks' slots the kernel keeps: deleted once there are many. */
static void sweep_free_slots(struct session *s)
{
	uint64_t now = monotime_ns();
	long swept;

	if (now - s->last_sweep_ns < 1000000000ULL)
		return;
	s->last_sweep_ns = now;
	swept = kmaps_sweep_free_slots(s->tracer.maps);
	if (swept < 0 && !s->sweep_failed)
		lt_warn("cannot delete freed blocks' slots (%s): the block map may fill (alloc_map_full)",
			strerror((int)-swept));
	s->sweep_failed = swept < 0;
	if (swept > 0)
		lt_debug("deleted %ld slots of freed blocks", swept);
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
		session_events_sync_python(s);
		release_exited_probes(s);
		sweep_free_slots(s);
		if (all_targets_gone(s))
			break;
		if (monotime_ns() - s->last_report_ns < s->opts->interval_ns)
			continue;
		if (s->system_wide)
			probes_attach_all(&s->tracer); /* new containers */
		/* The last of COUNT reports is the final one. */
		if (s->opts->count && s->reports + 1 >= s->opts->count)
			break;
		err = session_report(s, false);
		if (err)
			return err;
	}
	return session_report(s, true);
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
	if (!err && s.reports_unwritten) {
		lt_error("%ld of %ld reports could not be written",
			 s.reports_unwritten, s.reports);
		err = -EIO;
	}
	return err ? LT_EXIT_FAILURE : 0;
}
