/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The session's state, shared by its three files: session.c (targets and
 * the main loop), session_events.c (the kernel's events) and
 * session_report.c (reports). Not for use outside user/core/session*.c.
 */
#ifndef LT_SESSION_PRIV_H
#define LT_SESSION_PRIV_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "cli/cli.h"
#include "core/mappings.h"
#include "core/procs.h"
#include "core/snapshot.h"
#include "core/stacks.h"
#include "export/export.h"
#include "kernel/tracer.h"
#include "unwind/unwind_procs.h"

#define NSEC		     1000000000ULL
#define SESSION_EXEC_PENDING 64

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
	uint64_t last_sweep_ns; /* the free-slot check, once a second */
	bool sweep_failed;	/* said once */
	long reports;
	bool system_wide;
	bool targets_gone;
	struct unwind_procs unwind; /* --unwind=dwarf: tables in the kernel */
	bool unwind_on;
	/* exec'd, their old image's blocks not dropped yet: one walk for all */
	struct kmaps_exec *execs;
	size_t n_execs, cap_execs;
	/* System-wide: exec'd, their new image's allocator not mapped yet. */
	pid_t exec_pending[SESSION_EXEC_PENDING];
	size_t n_exec_pending;
	long reports_unwritten;	   /* the report stream failed */
	int report_errno;	   /* its last error, said once */
	uint64_t events_lost_seen; /* at the last mapping resync */
	uint64_t map_resyncs;
};

/* session_events.c: the kernel's event ring and what each event changes. */
int session_events_handle(void *ctx, void *data, size_t len);
void session_events_scan(struct session *s, pid_t pid);
void session_events_scan_all(struct session *s);
void session_events_note_exit(struct session *s, uint32_t tgid);
void session_events_sync_python(struct session *s);
void session_events_drop_exec_blocks(struct session *s);
void session_events_baseline(struct session *s, pid_t pid);
void session_events_baseline_all(struct session *s);
void session_events_resync(struct session *s);

/* session_report.c: one report (final: the last one), censuses, and
 * whether reports name processes at the root of their stacks. */
int session_report(struct session *s, bool final);
/* Ctrl-C or SIGTERM came: housekeeping waits, the final report comes. */
bool session_stopping(void);
void session_report_censuses(struct session *s);
bool session_report_many_processes(const struct session *s);

#endif
